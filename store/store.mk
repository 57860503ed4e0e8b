# store rules: the sqlite3 registry and the image files (see store/store.h).
# Linking the store needs $(STORE_OBJS) and $(STORE_LIBS).

STORE_OBJS := $(B)/store/store.o $(B)/store/image.o $(B)/store/function.o \
	$(B)/store/invocation.o $(B)/store/objects.o $(B)/store/events.o \
	$(B)/store/multipart.o
STORE_LIBS := -lsqlite3 -lcrypto

TEST_BINS += $(B)/tests/test_store $(B)/tests/test_store_objects

$(B)/tests/test_store: $(B)/tests/test_store.o $(STORE_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(STORE_LIBS) $(LDLIBS)

$(B)/tests/test_store_objects: $(B)/tests/test_store_objects.o $(STORE_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(STORE_LIBS) $(LDLIBS)

TEST_BINS += $(B)/tests/test_store_multipart

$(B)/tests/test_store_multipart: $(B)/tests/test_store_multipart.o \
		$(STORE_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(STORE_LIBS) $(LDLIBS)
