# functions rules: every folder functions/<name>/ is one function, built from
# all of its .c files into build/functions/<name>.elf (stripped image) and
# build/functions/<name>.elf.debug (with symbols). Adding a folder adds a
# function; nothing to edit here.

FN_NAMES := $(patsubst functions/%/,%,$(wildcard functions/*/))
FN_IMAGES := $(FN_NAMES:%=$(B)/functions/%.elf)

$(B)/functions/%.o: functions/%.c
	$(GUEST_COMPILE)

define FN_RULE
$(B)/functions/$(1).elf: \
		$(patsubst %.c,$(B)/%.o,$(wildcard functions/$(1)/*.c)) $(GUEST_RT)
	$$(GUEST_LINK)
endef
$(foreach fn,$(FN_NAMES),$(eval $(call FN_RULE,$(fn))))

.PHONY: functions
functions: $(FN_IMAGES)
all: $(FN_IMAGES)
