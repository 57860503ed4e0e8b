# guest rules: the libOS that every function image links against.
#
# Products
#   build/guest/libmayfly.a     libc (guest/libc) + runtime (guest/rt)
#   build/guest/rt/crt0.o       entry point and the Mayfly ELF note
#   guest/mayfly.ld             linker script (segments, W^X, note)
#   build/tests/test_guest_libc host unit test of the libc sources
#
# Guest code never sees the host's headers or libraries: it is compiled with
# -nostdinc against guest/libc/include (string.h, stdlib.h, stdio.h, ...),
# gcc's freestanding headers (stddef.h, stdint.h, stdarg.h, stdbool.h) and
# guest/include (mayfly.h, mayfly_abi.h). Host code only ever gets
# -Iguest/include, so the two sets of libc headers never meet.
#
# Function images are built by functions/functions.mk. Building another
# guest image against the libOS from another folder (bench, tests):
#
#   $(B)/bench/guests/%.o: bench/guests/%.c
#   	$(GUEST_COMPILE)
#   $(B)/bench/guests/%.elf: $(B)/bench/guests/%.o $(GUEST_RT)
#   	$(GUEST_LINK)
#
# GUEST_COMPILE compiles $< into $@ with the guest flags. GUEST_LINK links
# every .o and .a among the prerequisites with crt0 and libmayfly.a into
# $@.debug (with symbols and debug info), then strips that into $@, the image
# to deploy. $(GUEST_RT) as a prerequisite relinks when the libOS changes.

GUEST_CC ?= gcc
GUEST_AR ?= ar
GUEST_OBJCOPY ?= objcopy

GUEST_CPPFLAGS := -nostdinc \
	-isystem $(shell $(GUEST_CC) -print-file-name=include) \
	-Iguest/libc/include -Iguest/include
# -Os: every page of text is a page the host maps and the guest faults in.
GUEST_CFLAGS := -std=gnu11 -Os -g -ffreestanding -fno-pic -fno-pie \
	-fno-stack-protector -fno-asynchronous-unwind-tables \
	-fno-unwind-tables -fcf-protection=none -ffunction-sections \
	-fdata-sections -fno-common -Wall -Wextra -Wno-unused-parameter
GUEST_LDFLAGS := -nostdlib -static -no-pie -Wl,-T,guest/mayfly.ld \
	-Wl,--gc-sections -Wl,--build-id=none -Wl,-z,noexecstack \
	-Wl,--orphan-handling=error
GUEST_LIBGCC := $(shell $(GUEST_CC) -print-libgcc-file-name)

GUEST_CRT0 := $(B)/guest/rt/crt0.o
GUEST_LIB := $(B)/guest/libmayfly.a
GUEST_RT := $(GUEST_CRT0) $(GUEST_LIB) guest/mayfly.ld

define GUEST_COMPILE
@mkdir -p $(dir $@)
$(GUEST_CC) $(GUEST_CPPFLAGS) $(GUEST_CFLAGS) -MMD -MP -c -o $@ $<
endef

define GUEST_LINK
@mkdir -p $(dir $@)
$(GUEST_CC) $(GUEST_LDFLAGS) -o $@.debug $(GUEST_CRT0) \
	$(filter-out $(GUEST_RT),$(filter %.o %.a,$^)) $(GUEST_LIB) \
	$(GUEST_LIBGCC)
$(GUEST_OBJCOPY) --strip-all -R .comment $@.debug $@
endef

GUEST_LIBC_SRCS := $(addprefix guest/libc/, \
	string.c ctype.c printf.c strtol.c malloc.c errno.c)
GUEST_RT_SRCS := $(addprefix guest/rt/, \
	mf_boot.c mf_request.c mf_response.c mf_log.c mf_object.c mf_pvh.c)
GUEST_LIB_OBJS := $(patsubst %.c,$(B)/%.o, \
	$(GUEST_LIBC_SRCS) guest/libc/abort.c $(GUEST_RT_SRCS))

# The libc must not have its own loops turned into calls to itself.
$(B)/guest/libc/%.o: GUEST_CFLAGS += -fno-tree-loop-distribute-patterns

$(B)/guest/%.o: guest/%.c
	$(GUEST_COMPILE)

$(GUEST_LIB): $(GUEST_LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	$(GUEST_AR) rcs $@ $^

.PHONY: guest
guest: $(GUEST_LIB) $(GUEST_CRT0)
all: guest

# ---- Host unit test of the libc --------------------------------------------
# The libc sources are compiled for the host exactly as they are (freestanding,
# against the guest headers), linked into one relocatable object, and every
# symbol they define is renamed with the prefix mft_ so that they live beside
# glibc in one test program. Their one outside reference, mf__abort(), is
# provided by the test.
GUEST_HOSTLIBC_DIR := $(B)/tests/guest_libc_host
GUEST_HOSTLIBC_OBJS := $(patsubst guest/libc/%.c,$(GUEST_HOSTLIBC_DIR)/%.o, \
	$(GUEST_LIBC_SRCS))
GUEST_HOSTLIBC_CFLAGS := -std=gnu11 -O2 -g -ffreestanding -fno-builtin \
	-fno-tree-loop-distribute-patterns -fno-stack-protector \
	-Wall -Wextra -Wno-unused-parameter

$(GUEST_HOSTLIBC_DIR)/%.o: guest/libc/%.c
	@mkdir -p $(dir $@)
	$(CC) $(GUEST_CPPFLAGS) $(GUEST_HOSTLIBC_CFLAGS) -MMD -MP -c -o $@ $<

$(GUEST_HOSTLIBC_DIR)/libc.o: $(GUEST_HOSTLIBC_OBJS)
	$(LD) -r -o $@.tmp $^
	nm --defined-only -g $@.tmp | awk '{ print $$3, "mft_" $$3 }' > $@.syms
	$(GUEST_OBJCOPY) --redefine-syms=$@.syms $@.tmp $@
	rm -f $@.tmp

TEST_BINS += $(B)/tests/test_guest_libc

$(B)/tests/test_guest_libc: tests/test_guest_libc.c \
		$(GUEST_HOSTLIBC_DIR)/libc.o
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -o $@ $^ $(LDFLAGS)
