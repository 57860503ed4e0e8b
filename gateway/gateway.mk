# gateway rules: the daemon bin/fnd, the CLI bin/fnctl, and llhttp.
#
# llhttp comes as C sources from Debian's node-llhttp; it is compiled here
# with its own flags (generated code, not ours to warn about).

LLHTTP_SRC := /usr/share/llhttp
LLHTTP_OBJS := $(B)/llhttp/api.o $(B)/llhttp/http.o $(B)/llhttp/llhttp.o

UV_CFLAGS := $(shell pkg-config --cflags libuv 2>/dev/null)
UV_LIBS := $(shell pkg-config --libs libuv 2>/dev/null || echo -luv)

GW_COMMON := log buf
GW_FND := fnd http api invoke registry dispatch invlog metrics
GW_FNCTL := fnctl client

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
	$(CC) $(LDFLAGS) -o $@ $^ $(VMM_LIBS) -ljansson $(LDLIBS)
