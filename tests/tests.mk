# tests: `make test` builds everything, then tests/run.sh runs each
# build/tests/test_* binary and each tests/test_*.sh script.
# Folders add their host test binaries to TEST_BINS.

include tests/guests_s3/guests_s3.mk

.PHONY: test test-build
# test-build: all that the suite runs, built but not run (the other .mk
# files add to it).
test-build: all $(TEST_BINS)

ifeq ($(SAN),)
test: test-build
	@tests/run.sh
else
# SAN=...: the scripts deploy images from build/ and call bin/fnctl, so a
# normal build is made too; fnd and the test binaries are the sanitized
# ones.
test: test-build
	$(MAKE) SAN= test-build
	@TEST_BUILD=$(B) FND_BIN=$(BIN)/fnd tests/run.sh
endif
