# gateway rules: the daemon bin/fnd, the CLI bin/fnctl, and llhttp.
#
# llhttp comes as C sources from Debian's node-llhttp; it is compiled here
# with its own flags (generated code, not ours to warn about).

LLHTTP_SRC := /usr/share/llhttp
LLHTTP_OBJS := $(B)/llhttp/api.o $(B)/llhttp/http.o $(B)/llhttp/llhttp.o

UV_CFLAGS := $(shell pkg-config --cflags libuv 2>/dev/null)
UV_LIBS := $(shell pkg-config --libs libuv 2>/dev/null || echo -luv)

GW_COMMON := log buf token secret url
GW_FND := fnd http api invoke registry dispatch invlog metrics fnconf \
	s3 s3obj s3list s3multipart sigv4 s3cred bg events s3event hooks api_events \
	triggers objstore checksum s3tags s3meta
GW_FNCTL := fnctl client s3cred fnbench loadgen

GW_COMMON_OBJS := $(GW_COMMON:%=$(B)/gateway/%.o)
FND_OBJS := $(GW_FND:%=$(B)/gateway/%.o) $(GW_COMMON_OBJS)
FNCTL_OBJS := $(GW_FNCTL:%=$(B)/gateway/%.o) $(GW_COMMON_OBJS)

all: $(BIN)/fnd $(BIN)/fnctl

$(B)/llhttp/%.o: $(LLHTTP_SRC)/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -O2 -g -w -c -o $@ $<

$(FND_OBJS) $(FNCTL_OBJS): CPPFLAGS += $(UV_CFLAGS)

$(BIN)/fnd: $(FND_OBJS) $(LLHTTP_OBJS) $(VMM_OBJS) $(STORE_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(VMM_LIBS) $(STORE_LIBS) $(UV_LIBS) \
		-ljansson $(LDLIBS)

$(BIN)/fnctl: $(FNCTL_OBJS) $(LLHTTP_OBJS) $(VMM_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(VMM_LIBS) $(UV_LIBS) -ljansson $(LDLIBS)

# SigV4 verification against requests signed by botocore (see the test).
TEST_BINS += $(B)/tests/test_sigv4

$(B)/tests/test_sigv4: $(B)/tests/test_sigv4.o $(B)/gateway/sigv4.o \
		$(B)/gateway/url.o $(B)/gateway/buf.o
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ -lcrypto $(LDLIBS)

# Notification JSON both ways (the webhook's parser, the guest's event).
TEST_BINS += $(B)/tests/test_s3event

$(B)/tests/test_s3event: $(B)/tests/test_s3event.o $(B)/gateway/s3event.o \
		$(B)/gateway/url.o $(B)/gateway/buf.o
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ -ljansson $(LDLIBS)

# CRC32, CRC32C and the S3 checksum values against known vectors.
TEST_BINS += $(B)/tests/test_checksum

$(B)/tests/test_checksum: $(B)/tests/test_checksum.o $(B)/gateway/checksum.o
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ -lcrypto $(LDLIBS)
