# Object-trigger test functions for tests/test_s3.sh: every
# tests/guests_s3/NAME.c becomes build/guests_s3/NAME.elf.

GUESTS_S3 := $(patsubst tests/guests_s3/%.c,$(B)/guests_s3/%.elf, \
	$(wildcard tests/guests_s3/*.c))

$(B)/guests_s3/%.o: tests/guests_s3/%.c
	$(GUEST_COMPILE)

$(B)/guests_s3/%.elf: $(B)/guests_s3/%.o $(GUEST_RT)
	$(GUEST_LINK)

.PHONY: guests-s3
guests-s3: $(GUESTS_S3)
test-build: $(GUESTS_S3)
