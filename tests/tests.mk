# tests: `make test` builds everything, then tests/run.sh runs each
# build/tests/test_* binary and each tests/test_*.sh script.
# Folders add their host test binaries to TEST_BINS.

include tests/guests_s3/guests_s3.mk

.PHONY: test
test: all $(TEST_BINS)
	@tests/run.sh
