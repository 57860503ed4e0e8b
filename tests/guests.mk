# tests/guests.mk: ELF loader unit tests, hostile guests and the containment
# test that runs them, and the fuzzers (`make fuzz`).
#
# Most hostile guests are freestanding: each tests/guests/<case>.c
# includes tests/guests/hostile.h (ELF note, entry point, hypercall
# helpers) and nothing from guest/, so they misbehave exactly as written
# whatever the libOS does. They are linked like a Mayfly image: static, at
# MF_IMAGE_MIN, one PT_LOAD per permission, 4 KiB pages. The cases in
# tests/guests/libos/ are ordinary functions built on the libOS (guest.mk's
# GUEST_COMPILE and GUEST_LINK) and check its limits (malloc, log, headers).

GUEST_TEST_DIR := $(B)/tests/guests
HOSTILE_SRCS := $(filter-out tests/guests/mkbad.c, \
	$(wildcard tests/guests/*.c))
HOSTILE_ELFS := $(HOSTILE_SRCS:tests/guests/%.c=$(GUEST_TEST_DIR)/%.elf)
LIBOS_CASES := $(notdir $(basename $(wildcard tests/guests/libos/*.c)))
HOSTILE_ELFS += $(LIBOS_CASES:%=$(GUEST_TEST_DIR)/%.elf)
BAD_ELF_CASES := truncated not_elf elf32 overlap out_of_range entry_outside
BAD_ELFS := $(BAD_ELF_CASES:%=$(GUEST_TEST_DIR)/bad_%.elf)

HOSTILE_CC := gcc
HOSTILE_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -ffreestanding \
	-fno-builtin -fno-stack-protector -fno-pic -fcf-protection=none \
	-fno-asynchronous-unwind-tables -fno-tree-loop-distribute-patterns \
	-mno-red-zone -mno-avx
HOSTILE_LDFLAGS := -static -nostdlib -no-pie -Wl,-z,max-page-size=4096 \
	-Wl,-Ttext-segment=0x100000 -Wl,--build-id=none -Wl,-z,noexecstack

TEST_ELF_BIN := $(B)/tests/test_elf
TEST_HOSTILE_BIN := $(B)/tests/test_vmm_hostile
TEST_BINS += $(TEST_ELF_BIN) $(TEST_HOSTILE_BIN)

.PHONY: hostile-guests fuzz
hostile-guests: $(HOSTILE_ELFS) $(BAD_ELFS)

# `test-build` is declared in tests/tests.mk; listing these here as well
# keeps them built whatever order the .mk files are included in.
test-build: $(TEST_ELF_BIN) $(TEST_HOSTILE_BIN) hostile-guests

$(GUEST_TEST_DIR)/%.elf: tests/guests/%.c tests/guests/hostile.h \
		guest/include/mayfly_abi.h
	@mkdir -p $(dir $@)
	$(HOSTILE_CC) -Iguest/include $(HOSTILE_CFLAGS) $(HOSTILE_LDFLAGS) \
		-o $@ $<

$(GUEST_TEST_DIR)/libos/%.o: tests/guests/libos/%.c
	$(GUEST_COMPILE)

$(GUEST_TEST_DIR)/libos_%.elf: $(GUEST_TEST_DIR)/libos/libos_%.o $(GUEST_RT)
	$(GUEST_LINK)

$(GUEST_TEST_DIR)/mkbad: tests/guests/mkbad.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $<

$(BAD_ELFS) &: $(GUEST_TEST_DIR)/mkbad $(GUEST_TEST_DIR)/good.elf
	$(GUEST_TEST_DIR)/mkbad $(GUEST_TEST_DIR)/good.elf $(GUEST_TEST_DIR)

$(TEST_ELF_BIN): $(B)/tests/test_elf.o $(VMM_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(VMM_LIBS) $(LDLIBS)

$(TEST_HOSTILE_BIN): $(B)/tests/test_vmm_hostile.o $(VMM_OBJS) \
		| hostile-guests
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(filter %.o,$^) $(VMM_LIBS) \
		$(LDLIBS)

# ---- fuzzers ------------------------------------------------------------
# Built with clang's libFuzzer and ASan/UBSan from the VMM sources
# directly (instrumented separately from $(VMM_OBJS)). Each runs for
# FUZZ_SECONDS on a scratch copy of its committed seed corpus; findings
# (crash-*, leak-*, timeout-*) land in $(B)/fuzz/.
FUZZ_CC := clang
FUZZ_SECONDS ?= 30
FUZZ_CFLAGS := -std=gnu11 -g -O1 -D_GNU_SOURCE -Iguest/include -I. \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-fno-integrated-as
FUZZERS := elf hypercall
FUZZ_BINS := $(FUZZERS:%=$(B)/fuzz/fuzz_%)

$(B)/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(VMM_SRCS) vmm/vmm_int.h vmm/vmm.h \
		guest/include/mayfly_abi.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(VMM_SRCS) $(VMM_LIBS)

fuzz: $(FUZZ_BINS)
	@set -e; for f in $(FUZZERS); do \
		rm -rf $(B)/fuzz/corpus_$$f; \
		mkdir -p $(B)/fuzz/corpus_$$f; \
		cp tests/fuzz/corpus_$$f/* $(B)/fuzz/corpus_$$f/; \
		echo "== fuzz_$$f for $(FUZZ_SECONDS) s"; \
		(cd $(B)/fuzz && ./fuzz_$$f -max_total_time=$(FUZZ_SECONDS) \
			-print_final_stats=1 corpus_$$f \
			>fuzz_$$f.log 2>&1) || { tail -40 $(B)/fuzz/fuzz_$$f.log; \
			exit 1; }; \
		grep -E '^(Done|stat::number_of_executed_units)' \
			$(B)/fuzz/fuzz_$$f.log; \
	done
