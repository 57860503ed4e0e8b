# bench: benchmarks (never part of `make test`).
.PHONY: bench-boot
BENCH_BOOT := $(B)/bench/boot

$(BENCH_BOOT): $(B)/bench/boot.o $(B)/bench/floor.o $(B)/bench/series.o \
		$(B)/bench/cold.o \
		$(VMM_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(VMM_LIBS) $(LDLIBS)

# Under 60 s: 1000 paced cold invocations beside the raw floor, then 5 s
# of sustained load.
bench-boot: $(BENCH_BOOT) $(B)/functions/hello.elf
	$(BENCH_BOOT) $(B)/functions/hello.elf 1000 5

# ---- make bench / make bench-quick: side by side -------------------------
# bench/bench.sh starts fnd on a loopback port, then build/bench/side runs
# every contender interleaved and writes bench/results/<time>/.
.PHONY: bench bench-quick
BENCH_SIDE := $(B)/bench/side
BENCH_SIDE_OBJS := $(addprefix $(B)/bench/, side.o side_kvm.o side_spawn.o \
	side_http.o side_report.o floor.o series.o cold.o)
BENCH_NATIVE := $(B)/bench/native/hello

$(BENCH_SIDE): $(BENCH_SIDE_OBJS) $(VMM_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(VMM_LIBS) $(LDLIBS)

# hello as a static host program on the native shim of mayfly.h.
$(BENCH_NATIVE): functions/hello/hello.c bench/native/mf_native.c \
		guest/include/mayfly.h guest/include/mayfly_abi.h
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O2 -Wall -Wextra -Wno-unused-parameter \
		-D_GNU_SOURCE -static -Iguest/include -o $@ \
		functions/hello/hello.c bench/native/mf_native.c

BENCH_DEPS := $(BENCH_SIDE) $(BENCH_NATIVE) $(B)/functions/hello.elf \
	$(BIN)/fnd $(BIN)/fnctl

# At most 10 minutes on 2 cores (about 3 here).
bench: $(BENCH_DEPS)
	bench/bench.sh full

# Under 60 s: fewer samples, same contenders, same report.
bench-quick: $(BENCH_DEPS)
	bench/bench.sh quick

# ---- make bench-deploy: does a large deploy hold up requests? ------------
.PHONY: bench-deploy
BENCH_BIG := $(B)/bench/guests/big_image.elf

$(B)/bench/guests/%.o: bench/guests/%.c
	$(GUEST_COMPILE)

$(BENCH_BIG): $(B)/bench/guests/big_image.o $(GUEST_RT)
	$(GUEST_LINK)

bench-deploy: $(BENCH_BIG) $(BIN)/fnd $(B)/functions/hello.elf
	bench/deploy_stall.sh $(BENCH_BIG)
