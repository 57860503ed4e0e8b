# bench: benchmarks (never part of `make test`).
.PHONY: bench-boot
BENCH_BOOT := $(B)/bench/boot

$(BENCH_BOOT): $(B)/bench/boot.o $(VMM_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(VMM_LIBS) $(LDLIBS)

# Under 60 s: 1000 paced cold invocations beside the raw floor, then 5 s
# of sustained load.
bench-boot: $(BENCH_BOOT) $(B)/functions/hello.elf
	$(BENCH_BOOT) $(B)/functions/hello.elf 1000 5
