# Mayfly: top-level build. Each folder adds its rules in <folder>/<folder>.mk.
#   make            build bin/fnd, bin/fnctl and build/functions/*.elf
#   make deps       install the Debian packages the project needs
#   make run        deps + build, then start fnd with the example functions
#   make test       build and run the test suite
#   make bench-boot / bench / bench-quick / fuzz / soak
#
# Sanitizers: SAN=LIST builds the host code with -fsanitize=LIST into its
# own folders, build-san/ and bin-san/, so it never mixes with the normal
# build; guest images are built as always. For example
#   make SAN=address,undefined          bin-san/fnd, bin-san/fnctl, ...
#   FND_BIN=bin-san/fnd tests/test_http_e2e.sh
#                                       one test against the sanitized fnd
#   make SAN=address,undefined test     the whole suite: build-san/tests/*
#                                       and fnd from bin-san/ (the scripts'
#                                       fnctl and images from a normal build)
# A sanitizer's report ends the process (-fno-sanitize-recover=all), so a
# test sees it as a failure; the report is in the test's fnd log.

CC      ?= cc
CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 -Wall -Wextra -Wno-unused-parameter -D_GNU_SOURCE
CPPFLAGS += -Iguest/include -I. -I/usr/share/include/llhttp
LDLIBS  += -lpthread

SAN ?=
ifeq ($(SAN),)
B := build
BIN := bin
else
B := build-san
BIN := bin-san
SAN_FLAGS := -fsanitize=$(SAN) -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
CFLAGS += $(SAN_FLAGS)
LDFLAGS += $(SAN_FLAGS)
endif

.PHONY: all deps run test clean
all:

# Keep intermediate objects (guest images are built in two steps).
.SECONDARY:

include guest/guest.mk
include functions/functions.mk
include vmm/vmm.mk
include store/store.mk
include gateway/gateway.mk
include bench/bench.mk
include bench/soak.mk
include tests/guests.mk
include tests/tests.mk

# Debian packages: the one place that installs things.
DEB_PKGS := build-essential pkg-config clang clang-format libclang-rt-14-dev \
	libuv1-dev node-llhttp libsqlite3-dev libjansson-dev libssl-dev \
	curl awscli s3cmd python3-boto3 wrk qemu-system-x86 gnuplot-nox \
	valgrind

deps:
	@missing=$$(for p in $(DEB_PKGS); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
		grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing:" $$missing; \
		SUDO=$$( [ $$(id -u) -eq 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
			$$missing >/dev/null; \
	fi

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

clean:
	rm -rf $(B) $(BIN)

-include $(shell find $(B) -name '*.d' 2>/dev/null)

# The main job: fnd on its defaults (127.0.0.1:8080, ./mayfly-data) with
# the example functions deployed.
run: deps
	$(MAKE) all
	bin/fnd --functions $(B)/functions

.PHONY: format
format:
	git ls-files '*.c' '*.h' | xargs clang-format -i
