/* test_vmm_hostile.c: containment: hostile guests end only their own VM.
 *
 * Each case loads one image from build/tests/guests/ (see tests/guests.mk),
 * invokes it and checks the exact outcome: the vmm_error and a substring of
 * the reason (or, for guests that are allowed to answer, the answer). After
 * every case a well-behaved guest must still get 200 and its body. Then:
 * broken ELF files must be refused at load, a secret planted by one guest
 * must not be visible to the next, and the VM counters must add up.
 *
 * Without /dev/kvm every case is reported as SKIP. The guest directory can
 * be moved with MF_TEST_GUESTS.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tests/testlib.h"
#include "vmm/vmm.h"

#define MEM_MIB 8
#define MEM_BYTES ((uint64_t)MEM_MIB << 20)
#define DEFAULT_TIMEOUT_MS 2000

typedef int (*check_fn)(const struct vmm_result *r, char *why, size_t n);

struct hcase {
    const char *name; /* image: <dir>/<name>.elf */
    enum vmm_error want;
    const char *reason[3]; /* substrings of res.reason (VMM_OK: none);
                              "a|b" accepts either a or b */
    uint32_t timeout_ms;   /* 0: DEFAULT_TIMEOUT_MS, unless vmm_default */
    int vmm_default;       /* ask for timeout 0: the VMM's default (1 s) */
    size_t max_response;   /* 0: the VMM's default */
    check_fn check;        /* more checks on the result, or NULL */
    int ops;               /* offer the object host services */
    uint32_t mem_mib;      /* guest memory; 0: MEM_MIB */
};

static struct vmm *vmm;
static struct vmm_image *good, *hello;
static const char *guest_dir = "build/tests/guests";
static unsigned long invocations, crashes_seen, timeouts_seen;

/* ---- object host services ---------------------------------------------- */

static const char object[] = "object-bytes";
static struct {
    char bucket[64], key[64], data[64];
    size_t len;
    unsigned calls;
} written;

static int64_t test_obj_read(void *ctx, uint64_t off, void *buf, size_t len)
{
    size_t n = sizeof(object) - 1;

    (void)ctx;
    if (off >= n)
        return 0;
    n = n - off < len ? n - off : len;
    memcpy(buf, object + off, n);
    return (int64_t)n;
}

static int test_obj_write(void *ctx, const char *bucket, const char *key,
                          const void *buf, size_t len)
{
    (void)ctx;
    written.calls++;
    snprintf(written.bucket, sizeof(written.bucket), "%s", bucket);
    snprintf(written.key, sizeof(written.key), "%s", key);
    written.len = len < sizeof(written.data) ? len : sizeof(written.data);
    memcpy(written.data, buf, written.len);
    return 0;
}

static const struct vmm_host_ops test_ops = {
    .obj_read = test_obj_read,
    .obj_write = test_obj_write,
};

/* ---- verdicts ----------------------------------------------------------- */

static int why(char *buf, size_t n, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, n, fmt, ap);
    va_end(ap);
    return -1;
}

static const char *error_name(int e)
{
    static const char *names[] = {"VMM_OK",     "VMM_ECRASH", "VMM_ETIMEOUT",
                                  "VMM_ELIMIT", "VMM_EHOST",  "VMM_EREQUEST"};

    return e >= 0 && e <= VMM_EREQUEST ? names[e] : "?";
}

/* ---- images and invocations -------------------------------------------- */

static void *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;

    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
        fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1)) &&
        fread(buf, 1, (size_t)n, f) == (size_t)n) {
        *len = (size_t)n;
    } else {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    return buf;
}

/* Loads <dir>/<name>.elf (or `path` if it contains a '/'). Returns 0, or
 * -ENOENT if the file is missing, or vmm_image_load's error. */
static int load_mib(const char *name, uint32_t mib, struct vmm_image **img,
                    char *err, size_t errlen)
{
    char path[1024];
    size_t len = 0;
    void *elf;
    int rc;

    if (strchr(name, '/'))
        snprintf(path, sizeof(path), "%s", name);
    else
        snprintf(path, sizeof(path), "%s/%s.elf", guest_dir, name);
    elf = read_file(path, &len);
    if (!elf) {
        snprintf(err, errlen, "cannot read %.200s", path);
        return -ENOENT;
    }
    rc = vmm_image_load(vmm, elf, len, mib, img, err, errlen);
    free(elf);
    return rc;
}

static int load(const char *name, struct vmm_image **img, char *err,
                size_t errlen)
{
    return load_mib(name, MEM_MIB, img, err, errlen);
}

static int invoke_ops(struct vmm_image *img, const void *body, size_t body_len,
                      uint32_t timeout_ms, size_t max_response,
                      const struct vmm_host_ops *ops, struct vmm_result *res)
{
    static const char hdrs[] = "host\0test\0x-test\0hostile\0";
    struct vmm_request rq = {
        .method = "POST",
        .path = "/fn/hostile",
        .headers = {hdrs, sizeof(hdrs) - 1, 2},
        .body = body,
        .body_len = body_len,
        .trigger = 1,
        .timeout_ms = timeout_ms,
        .max_response = max_response,
    };
    int rc = vmm_invoke(vmm, img, &rq, ops, res);

    invocations++;
    crashes_seen += rc == VMM_ECRASH;
    timeouts_seen += rc == VMM_ETIMEOUT;
    return rc;
}

static int invoke(struct vmm_image *img, const void *body, size_t body_len,
                  uint32_t timeout_ms, size_t max_response,
                  struct vmm_result *res)
{
    return invoke_ops(img, body, body_len,
                      timeout_ms ? timeout_ms : DEFAULT_TIMEOUT_MS,
                      max_response, NULL, res);
}

/* The well-behaved guests still answer as they should. */
static int still_serving(char *buf, size_t n)
{
    static const char want[] = "good guest\n";
    struct vmm_result r;
    int rc = invoke(good, NULL, 0, 0, 0, &r), bad = 0;

    if (rc != VMM_OK)
        bad = why(buf, n, "good guest then got %s (%s)", error_name(rc),
                  r.reason);
    else if (r.status != 200 || r.body_len != sizeof(want) - 1 ||
             memcmp(r.body, want, r.body_len) != 0)
        bad = why(buf, n, "good guest then answered %d \"%.*s\"", r.status,
                  (int)r.body_len, r.body);
    else if (r.headers_count != 1 || r.headers_len != sizeof("x-guest\0good") ||
             memcmp(r.headers, "x-guest\0good", r.headers_len) != 0)
        bad = why(buf, n, "good guest then lost its header");
    vmm_result_free(&r);
    if (bad || !hello)
        return bad;

    rc = invoke(hello, NULL, 0, 0, 0, &r);
    if (rc != VMM_OK)
        bad = why(buf, n, "hello then got %s (%s)", error_name(rc), r.reason);
    else if (r.status != 200 || r.body_len != 12 ||
             memcmp(r.body, "hello, world", 12) != 0)
        bad = why(buf, n, "hello then answered %d \"%.*s\"", r.status,
                  (int)r.body_len, r.body);
    vmm_result_free(&r);
    return bad;
}

/* PASS unless bad is set (its reason in err) or the well-behaved guests no
 * longer answer as they should. */
static void verdict_serving(const char *name, int bad, char *err, size_t n)
{
    if (!bad && still_serving(err, n))
        bad = -1;
    if (bad)
        tl_fail(name, "%s", err);
    else
        tl_pass(name);
}

/* ---- checks for guests that are allowed to answer ---------------------- */

static int check_oom(const struct vmm_result *r, char *buf, size_t n)
{
    static const char want[] = "out of memory after ";
    unsigned long blocks;

    if (r->status != 500 || r->body_len < sizeof(want) ||
        memcmp(r->body, want, sizeof(want) - 1) != 0)
        return why(buf, n, "answered %d \"%.*s\"", r->status, (int)r->body_len,
                   r->body);
    /* 64 KiB blocks: nearly all of the 8 MiB minus image and request. */
    blocks = strtoul(r->body + sizeof(want) - 1, NULL, 10);
    if (blocks < 100 || blocks >= MEM_BYTES / (64 << 10))
        return why(buf, n, "implausible block count %lu", blocks);
    return 0;
}

/* 0 if the guest answered `status` with exactly `body`, else -1 and why. */
static int answered(const struct vmm_result *r, char *buf, size_t n, int status,
                    const char *body)
{
    size_t len = strlen(body);

    if (r->status != status || r->body_len != len ||
        memcmp(r->body, body, len) != 0)
        return why(buf, n, "answered %d \"%.*s\"", r->status, (int)r->body_len,
                   r->body);
    return 0;
}

static int check_log_flood(const struct vmm_result *r, char *buf, size_t n)
{
    if (answered(r, buf, n, 200, "flooded\n") < 0)
        return -1;
    if (!r->log_truncated || r->log_len != 64 * 1024)
        return why(buf, n,
                   "log of %zu bytes, truncated=%d (want the "
                   "64 KiB cap and the flag)",
                   r->log_len, r->log_truncated);
    return 0;
}

static int check_big_body(const struct vmm_result *r, char *buf, size_t n)
{
    if (r->status != 200 || r->body_len != (64u << 10) + 1)
        return why(buf, n, "answered %d with %zu bytes", r->status,
                   r->body_len);
    for (size_t i = 0; i < r->body_len; i++)
        if (r->body[i] != 'r')
            return why(buf, n, "body byte %zu is 0x%02x", i,
                       (unsigned char)r->body[i]);
    return 0;
}

static int check_stamps(const struct vmm_result *r, char *buf, size_t n)
{
    const uint64_t second = 1000000000ULL;

    if (r->status != 200)
        return why(buf, n, "answered %d", r->status);
    if (r->t.start > second || r->t.run > second || r->t.enter > second ||
        r->t.done > second)
        return why(buf, n,
                   "guest stamps became durations: start=%llu "
                   "run=%llu enter=%llu done=%llu ns",
                   (unsigned long long)r->t.start, (unsigned long long)r->t.run,
                   (unsigned long long)r->t.enter,
                   (unsigned long long)r->t.done);
    return 0;
}

static int check_clean(const struct vmm_result *r, char *buf, size_t n)
{
    return answered(r, buf, n, 200, "clean\n");
}

static int check_obj(const struct vmm_result *r, char *buf, size_t n)
{
    size_t len = sizeof(object) - 1;

    if (answered(r, buf, n, 200, object) < 0)
        return -1;
    if (written.calls != 1 || strcmp(written.bucket, "out-bucket") != 0 ||
        strcmp(written.key, "out/key") != 0 || written.len != len ||
        memcmp(written.data, object, len) != 0)
        return why(buf, n, "host saw %u writes, last %s/%s %zu bytes",
                   written.calls, written.bucket, written.key, written.len);
    return 0;
}

static int check_no_write(const struct vmm_result *r, char *buf, size_t n)
{
    if (written.calls != 0)
        return why(buf, n, "host obj_write was called");
    return 0;
}

static int check_libos_log(const struct vmm_result *r, char *buf, size_t n)
{
    static const char mark[] = "...[log truncated]\n";
    const size_t m = sizeof(mark) - 1;

    if (answered(r, buf, n, 200, "flooded\n") < 0)
        return -1;
    if (!r->log_truncated || r->log_len > 16384 || r->log_len < m ||
        memcmp(r->log + r->log_len - m, mark, m) != 0)
        return why(buf, n, "log of %zu bytes, truncated=%d, no mark",
                   r->log_len, r->log_truncated);
    return 0;
}

static int check_libos_bad(const struct vmm_result *r, char *buf, size_t n)
{
    static const char want[] = "crlf=-1 empty=-1\n";

    if (r->status != 500 || r->body_len != sizeof(want) - 1 ||
        memcmp(r->body, want, r->body_len) != 0 || r->headers_count != 0)
        return why(buf, n, "answered %d \"%.*s\" with %zu headers", r->status,
                   (int)r->body_len, r->body, r->headers_count);
    return 0;
}

static int check_stub(const struct vmm_result *r, char *buf, size_t n)
{
    return answered(r, buf, n, 200, "ran the stub\n");
}

/* A timeout of `ms` fired; allow for a slow machine but not for a hang. */
static int took(const struct vmm_result *r, uint64_t ms, char *buf, size_t n)
{
    const uint64_t total_ms = r->t.total / 1000000;

    if (total_ms + 10 < ms || total_ms > ms + 3000)
        return why(buf, n, "took %llu ms, want %llu",
                   (unsigned long long)total_ms, (unsigned long long)ms);
    return 0;
}

static int check_timeout(const struct vmm_result *r, char *buf, size_t n)
{
    return took(r, 200, buf, n);
}

static int check_default_timeout(const struct vmm_result *r, char *buf,
                                 size_t n)
{
    return took(r, 1000, buf, n);
}

/* ---- the hostile cases ------------------------------------------------- */

#define PF "guest exception #PF (vector 14)"
#define GP "guest exception #GP (vector 13)"
#define UD "guest exception #UD (vector 6)"
#define CRASH(n, ...)                                                          \
    {                                                                          \
        .name = n, .want = VMM_ECRASH, .reason = { __VA_ARGS__ }               \
    }
#define ANSWER(n, fn)                                                          \
    {                                                                          \
        .name = n, .want = VMM_OK, .check = fn                                 \
    }

static const struct hcase cases[] = {
    /* Running forever, quietly or with an exit storm. */
    {.name = "loop",
     .want = VMM_ETIMEOUT,
     .timeout_ms = 200,
     .reason = {"timed out after 200 ms"},
     .check = check_timeout},
    {.name = "exit_storm",
     .want = VMM_ETIMEOUT,
     .timeout_ms = 200,
     .reason = {"timed out after 200 ms"},
     .check = check_timeout},
    {.name = "loop",
     .want = VMM_ETIMEOUT,
     .vmm_default = 1,
     .reason = {"timed out after 1000 ms"},
     .check = check_default_timeout},

    /* Memory protection: page 0, W^X, NX, guard page, system pages,
     * beyond memory. Error codes: P=1 W=2 U=4 I=0x10. */
    CRASH("null_deref", PF, "cr2=0x0 ", "error=0x4"),
    CRASH("write_text", PF, "error=0x7"),
    CRASH("exec_data", PF, "error=0x15"),
    CRASH("exec_stack", PF, "error=0x15"),
    CRASH("exec_heap", PF, "error=0x15"),
    CRASH("stack_overflow", PF, "cr2=0x1f", "error=0x6"),
    CRASH("return_start", PF, "cr2=0x40000 "),
    CRASH("mmio", PF, "cr2=0x10000000 ", "error=0x6"),
    CRASH("past_end", PF, "cr2=0x800000 ", "error=0x4"),
    CRASH("write_sys", PF, "cr2=0x2100 ", "error=0x7"),
    CRASH("write_pt", PF, "cr2=0x4000 ", "error=0x7"),
    CRASH("read_fstack", PF, "cr2=0x3000 ", "error=0x5"),
    CRASH("jump_sys", PF, "rip=0x2400 ", "error=0x15"),
    CRASH("write_stub", PF, "cr2=0x1e000 ", "error=0x7"),
    ANSWER("call_stub", check_stub),
    CRASH("noncanon", GP),
    CRASH("stack_noncanon", "guest exception #SS (vector 12)"),

    /* Privileged or faulting instructions at CPL 3. */
    CRASH("hlt", GP),
    CRASH("cli", GP),
    CRASH("rdmsr", GP),
    CRASH("wrmsr", GP),
    CRASH("lidt", GP),
    CRASH("load_kseg", GP, "error=0x10"),
    /* Hardware KVM: DPL-0 gates refuse int3 and `int n` from CPL 3 with
     * #GP. PVM delivers int3 as #BP and `int $0x80` as #UD. */
    CRASH("int3", GP "|#BP (vector 3)"),
    CRASH("int_high", GP "|" UD),
    CRASH("ud2", UD),
    /* EFER.SCE is clear: #UD on hardware. PVM takes SYSCALL to LSTAR (0)
     * and stays at CPL 3, so the fetch at page 0 faults. */
    CRASH("syscall", UD "|" PF " rip=0x0 "),
    CRASH("div0", "guest exception #DE (vector 0)"),
    CRASH("simd_fault", "guest exception #XM (vector 19)"),
    CRASH("trap_flag", "guest exception #DB (vector 1)"),
    CRASH("forge_fault", "forged fault report from CPL 3"),

    /* Port I/O outside the hypercall contract. */
    CRASH("port_unknown", "unknown hypercall port 0x600"),
    CRASH("port_in", "unexpected port I/O: port 0x500 in size 4"),
    CRASH("port_byte", "unexpected port I/O: port 0x500 out size 1"),
    CRASH("port_high", GP, "error=0x0"),

    /* Hypercall arguments. */
    CRASH("abort_msg", "guest aborted: hostile abort? here"),
    CRASH("abort_outside", "guest aborted: "),
    CRASH("abort_unterminated", "guest aborted: tail"),
    CRASH("obj_outside", "object buffer outside memory"),
    CRASH("obj_block_outside", "bad object hypercall address"),
    {.name = "obj_name_outside",
     .want = VMM_ECRASH,
     .ops = 1,
     .reason = {"bad object name span"},
     .check = check_no_write},
    {.name = "obj_ok", .want = VMM_OK, .ops = 1, .check = check_obj},

    /* The response in the boot page. */
    CRASH("status_0", "bad status 0"),
    CRASH("status_1000", "bad status 1000"),
    {.name = "resp_huge",
     .want = VMM_ELIMIT,
     .reason = {"response of 18446744073709551615 bytes exceeds limit"}},
    CRASH("resp_outside", "response outside guest memory"),
    CRASH("resp_wrap", "response outside guest memory"),
    CRASH("hdr_overflow", "response outside guest memory"),
    CRASH("hdr_crlf", "malformed response headers"),
    CRASH("hdr_empty_name", "malformed response headers"),
    CRASH("hdr_count", "malformed response headers"),
    CRASH("hdr_unterminated", "malformed response headers"),
    {.name = "resp_65537",
     .want = VMM_ELIMIT,
     .max_response = 65536,
     .reason = {"response of 65537 bytes exceeds limit 65536"}},
    {.name = "resp_65537",
     .want = VMM_OK,
     .max_response = 65537,
     .check = check_big_body},

    /* Allowed to answer, within limits. */
    ANSWER("oom", check_oom),
    ANSWER("log_flood", check_log_flood),
    ANSWER("stamps_bogus", check_stamps),
    ANSWER("entry_state", check_clean),

    /* Functions built on the libOS that push its limits. */
    ANSWER("libos_oom", check_oom),
    ANSWER("libos_log_flood", check_libos_log),
    ANSWER("libos_bad_response", check_libos_bad),
    CRASH("libos_abort", "guest aborted: abort() called"),
    CRASH("libos_null", PF, "cr2=0x0 ", "error=0x6"),
    {.name = "libos_big_body",
     .want = VMM_ELIMIT,
     .mem_mib = 16,
     .reason = {"response of 7340032 bytes exceeds limit 6291456"}},
};

/* 1 if `reason` contains one of the '|'-separated alternatives of pat. */
static int matches(const char *reason, const char *pat)
{
    char alt[160];

    while (*pat) {
        size_t n = strcspn(pat, "|");

        snprintf(alt, sizeof(alt), "%.*s", (int)n, pat);
        if (strstr(reason, alt))
            return 1;
        pat += n + (pat[n] == '|');
    }
    return 0;
}

static int check_outcome(const struct hcase *c, int rc,
                         const struct vmm_result *r, char *buf, size_t n)
{
    if (rc != (int)c->want || r->error != c->want)
        return why(buf, n, "got %s (%s), want %s", error_name(rc), r->reason,
                   error_name(c->want));
    for (unsigned i = 0; i < 3 && c->reason[i]; i++)
        if (!matches(r->reason, c->reason[i]))
            return why(buf, n, "reason \"%s\" lacks \"%s\"", r->reason,
                       c->reason[i]);
    if (c->check)
        return c->check(r, buf, n);
    return 0;
}

static void case_name(const struct hcase *c, char *name, size_t n)
{
    const char *suffix = c->vmm_default      ? "_default_timeout"
                         : !c->max_response  ? ""
                         : c->want == VMM_OK ? "_fits"
                                             : "_limit";

    snprintf(name, n, "vmm_hostile_%s%s", c->name, suffix);
}

static void run_case(const struct hcase *c)
{
    char name[96], err[256];
    struct vmm_image *img;
    struct vmm_result r;
    int rc;

    case_name(c, name, sizeof(name));
    rc = load_mib(c->name, c->mem_mib ? c->mem_mib : MEM_MIB, &img, err,
                  sizeof(err));
    if (rc) {
        tl_fail(name, "load: %s", err);
        return;
    }
    memset(&written, 0, sizeof(written));
    rc = invoke_ops(img, "hostile", 7,
                    c->vmm_default  ? 0
                    : c->timeout_ms ? c->timeout_ms
                                    : DEFAULT_TIMEOUT_MS,
                    c->max_response, c->ops ? &test_ops : NULL, &r);
    if (check_outcome(c, rc, &r, err, sizeof(err)) == 0 &&
        still_serving(err, sizeof(err)) == 0)
        tl_pass(name);
    else
        tl_fail(name, "%s", err);
    vmm_result_free(&r);
    vmm_image_put(img);
}

/* ---- broken images ----------------------------------------------------- */

static void elf_case(const char *file, const char *want)
{
    char name[96], err[256] = "";
    struct vmm_image *img = NULL;
    int rc;

    snprintf(name, sizeof(name), "vmm_hostile_elf_%s", file + 4);
    rc = load(file, &img, err, sizeof(err));
    if (rc == -ENOENT)
        tl_fail(name, "%s", err);
    else if (rc == 0)
        tl_fail(name, "image was accepted");
    else if (rc != -EINVAL || !strstr(err, want))
        tl_fail(name, "rc %d \"%s\", want -EINVAL \"%s\"", rc, err, want);
    else
        tl_pass(name);
    if (rc == 0)
        vmm_image_put(img);
}

static void elf_cases(void)
{
    elf_case("bad_truncated", "not an ELF file");
    elf_case("bad_not_elf", "not an ELF file");
    elf_case("bad_elf32", "not a 64-bit ELF file");
    elf_case("bad_overlap", "overlap");
    elf_case("bad_out_of_range", "outside 8388608 bytes of guest memory");
    elf_case("bad_entry_outside", "entry 0x50 not in an executable segment");
}

/* ---- host-side limits -------------------------------------------------- */

static void request_too_big(void)
{
    const char *name = "vmm_hostile_request_too_big";
    size_t len = MEM_BYTES;
    char *body = calloc(1, len), err[256];
    struct vmm_result r;
    int rc;

    if (!body) {
        tl_fail(name, "out of memory");
        return;
    }
    rc = invoke(good, body, len, 0, 0, &r);
    if (rc != VMM_EREQUEST || !strstr(r.reason, "does not fit"))
        tl_fail(name, "got %s (%s), want VMM_EREQUEST", error_name(rc),
                r.reason);
    else if (still_serving(err, sizeof(err)))
        tl_fail(name, "%s", err);
    else
        tl_pass(name);
    vmm_result_free(&r);
    free(body);
}

/* ---- isolation --------------------------------------------------------- */

/* Runs the scanner with `hex` as its body; returns its answer in buf. */
static int scan_for(struct vmm_image *scan, const char *hex, char *buf,
                    size_t n)
{
    struct vmm_result r;
    int rc = invoke(scan, hex, strlen(hex), 0, 0, &r);

    if (rc != VMM_OK || r.status != 200)
        rc = why(buf, n, "scanner got %s (%s) status %d", error_name(rc),
                 r.reason, r.status);
    else
        snprintf(buf, n, "%.*s", (int)r.body_len, r.body);
    vmm_result_free(&r);
    return rc;
}

static int plant(struct vmm_image *img, char *hex, size_t n)
{
    struct vmm_result r;
    int rc = invoke(img, NULL, 0, 0, 0, &r);

    if (rc != VMM_OK || r.status != 200 || r.body_len != 65)
        rc = why(hex, n, "planter got %s (%s) status %d", error_name(rc),
                 r.reason, r.status);
    else
        snprintf(hex, n, "%.64s", r.body);
    vmm_result_free(&r);
    return rc;
}

static void secret_cases(void)
{
    /* Hex of secret_scan.c's canary: the scanner must find its own. */
    static const char canary[] = "4d6179666c792063616e617279203132"
                                 "33343536373839302140232425"
                                 "5e262a";
    const char *name = "vmm_hostile_secret_not_inherited";
    struct vmm_image *planter, *scanner;
    char err[256], hex[160], answer[160], first[80] = "";
    int bad = 0;

    if (load("secret_plant", &planter, err, sizeof(err))) {
        tl_fail(name, "load: %s", err);
        return;
    }
    if (load("secret_scan", &scanner, err, sizeof(err))) {
        tl_fail(name, "load: %s", err);
        vmm_image_put(planter);
        return;
    }

    if (scan_for(scanner, canary, answer, sizeof(answer)) != 0)
        tl_fail("vmm_hostile_secret_scanner_works", "%s", answer);
    else if (strncmp(answer, "clean", 5) == 0)
        tl_fail("vmm_hostile_secret_scanner_works", "canary not found");
    else
        tl_pass("vmm_hostile_secret_scanner_works");

    /* Several rounds, so that pooled VMs of every age take part. */
    for (int round = 0; round < 6 && !bad; round++) {
        if (plant(planter, hex, sizeof(hex))) {
            bad = why(err, sizeof(err), "%s", hex);
            break;
        }
        if (round == 0)
            snprintf(first, sizeof(first), "%.64s", hex);
        else if (strcmp(first, hex) == 0)
            bad = why(err, sizeof(err), "entropy repeated: %s", hex);
        if (!bad && scan_for(scanner, hex, answer, sizeof(answer)))
            bad = why(err, sizeof(err), "%s", answer);
        else if (!bad && strcmp(answer, "clean\n") != 0)
            bad = why(err, sizeof(err), "round %d: secret %s %s", round, hex,
                      answer);
    }
    verdict_serving(name, bad, err, sizeof(err));
    vmm_image_put(scanner);
    vmm_image_put(planter);
}

/* A guest's lane fills with VMs primed for it (template mapped, warm-up
 * stub run) shortly after its first invocation: later invocations must
 * start from exactly the same registers as a blank VM's. */
static void entry_state_primed(void)
{
    const char *name = "vmm_hostile_entry_state_primed";
    char err[256] = "";
    struct vmm_image *img;
    struct vmm_result r;
    int bad = 0;

    if (load("entry_state", &img, err, sizeof(err))) {
        tl_fail(name, "load: %s", err);
        return;
    }
    for (int i = 0; i < 5 && !bad; i++) {
        int rc = invoke(img, NULL, 0, 0, 0, &r);

        if (rc != VMM_OK || check_clean(&r, err, sizeof(err)) != 0)
            bad = why(err, sizeof(err), "run %d: %s %.*s", i, error_name(rc),
                      (int)r.body_len, r.body ? r.body : r.reason);
        vmm_result_free(&r);
        usleep(20000);
    }
    vmm_image_put(img);
    if (bad)
        tl_fail(name, "%s", err);
    else
        tl_pass(name);
}

/* ---- AVX state ----------------------------------------------------------
 * The VMM leaves XSAVE off (CR4.OSXSAVE clear), so on hardware KVM a VEX
 * instruction is #UD. PVM runs CPL 3 natively under the host's XCR0, where
 * AVX works: then ymm state must still start clean in every VM.
 */

static int run_image(const char *image, const void *body, size_t len,
                     struct vmm_result *r, char *err, size_t errlen)
{
    struct vmm_image *img;
    int rc = load(image, &img, err, errlen);

    if (rc) {
        memset(r, 0, sizeof(*r));
        return -1;
    }
    rc = invoke(img, body, len, 0, 0, r);
    vmm_image_put(img);
    return rc;
}

static void ymm_case(void)
{
    const char *name = "vmm_hostile_ymm_not_inherited";
    char err[256] = "", hex[80];
    struct vmm_result r;
    int rc, bad = 0;

    for (int round = 0; round < 3 && !bad; round++) {
        rc = run_image("ymm_plant", NULL, 0, &r, err, sizeof(err));
        if (rc != VMM_OK || r.status != 200 || r.body_len != 65)
            bad = why(err, sizeof(err), "planter got %s (%s) %d",
                      error_name(rc), r.reason[0] ? r.reason : err, r.status);
        else
            snprintf(hex, sizeof(hex), "%.64s", r.body);
        vmm_result_free(&r);
        if (bad)
            break;
        rc = run_image("ymm_scan", hex, 64, &r, err, sizeof(err));
        if (rc != VMM_OK || check_clean(&r, err, sizeof(err)) != 0)
            bad = why(err, sizeof(err), "round %d, after %s: %s %.*s", round,
                      hex, error_name(rc), (int)r.body_len,
                      r.body ? r.body : r.reason);
        vmm_result_free(&r);
    }
    verdict_serving(name, bad, err, sizeof(err));
}

static void avx_cases(void)
{
    const char *name = "vmm_hostile_avx";
    char err[256] = "";
    struct vmm_result r;
    int rc = run_image("avx", NULL, 0, &r, err, sizeof(err));
    int ran = rc == VMM_OK && r.status == 200 && r.body_len == 8 &&
              memcmp(r.body, "AVX ran\n", 8) == 0;
    int refused = rc == VMM_ECRASH && matches(r.reason, UD);

    if (!ran && !refused)
        tl_fail(name, "got %s (%s), want #UD or a normal answer",
                error_name(rc), r.reason[0] ? r.reason : err);
    else if (still_serving(err, sizeof(err)))
        tl_fail(name, "%s", err);
    else
        tl_pass(name);
    vmm_result_free(&r);
    if (ran)
        ymm_case();
    else
        printf("SKIP vmm_hostile_ymm_not_inherited: AVX is off in guests\n");
}

/* ---- counters ---------------------------------------------------------- */

static void stats_case(const struct vmm_stats *before)
{
    const char *name = "vmm_hostile_stats";
    struct vmm_stats st;
    unsigned long crashes, timeouts;

    /* The reaper destroys used VMs in the background: wait for it. */
    for (int i = 0; i < 500; i++) {
        vmm_stats(vmm, &st);
        if (st.vms_destroyed - before->vms_destroyed >= invocations &&
            st.vms_created == st.vms_destroyed + st.pool_depth)
            break;
        usleep(10000);
    }
    crashes = (unsigned long)(st.crashes - before->crashes);
    timeouts = (unsigned long)(st.timeouts - before->timeouts);
    if (crashes != crashes_seen || timeouts != timeouts_seen)
        tl_fail(name, "crashes %lu timeouts %lu, but saw %lu and %lu", crashes,
                timeouts, crashes_seen, timeouts_seen);
    else if (st.vms_created - before->vms_created < invocations)
        tl_fail(name, "%llu VMs created for %lu invocations",
                (unsigned long long)(st.vms_created - before->vms_created),
                invocations);
    else if (st.vms_destroyed - before->vms_destroyed < invocations)
        tl_fail(name, "%llu VMs destroyed after %lu invocations",
                (unsigned long long)(st.vms_destroyed - before->vms_destroyed),
                invocations);
    else if (st.vms_created != st.vms_destroyed + st.pool_depth)
        tl_fail(name, "created %llu != destroyed %llu + pooled %llu",
                (unsigned long long)st.vms_created,
                (unsigned long long)st.vms_destroyed,
                (unsigned long long)st.pool_depth);
    else
        tl_pass(name);
}

/* ---- main -------------------------------------------------------------- */

static void skip_all(const char *reason)
{
    char name[96];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        case_name(&cases[i], name, sizeof(name));
        printf("SKIP %s: %s\n", name, reason);
    }
    printf("SKIP vmm_hostile_elf: %s\n", reason);
    printf("SKIP vmm_hostile_secret_not_inherited: %s\n", reason);
    printf("SKIP vmm_hostile_entry_state_primed: %s\n", reason);
    printf("SKIP vmm_hostile_avx: %s\n", reason);
    printf("SKIP vmm_hostile_stats: %s\n", reason);
}

/* ---- time slices: begun on one thread, finished on another -------------
 * fnd runs a guest's first slice on its event loop and lets a worker
 * finish a guest that outlives it (vmm_invoke_try, vmm_call_finish).
 */

struct sliced {
    struct vmm_call *call;
    int rc;
};

static void *finish_thread(void *arg)
{
    struct sliced *s = arg;

    s->rc = vmm_call_finish(s->call);
    return NULL;
}

/* Starts img with `query` under a `slice_us` slice, retrying while no VM
 * is ready; a guest set aside is finished on a thread of its own. Returns
 * the vmm_try outcome of the start (-1: never got a VM). */
static int sliced_invoke(struct vmm_image *img, const char *query,
                         uint32_t slice_us, uint32_t timeout_ms,
                         struct vmm_result *res)
{
    struct vmm_request rq = {
        .method = "GET",
        .path = "/fn/sliced",
        .query = query,
        .trigger = 1,
        .timeout_ms = timeout_ms,
    };
    struct sliced s = {0};
    pthread_t t;
    enum vmm_try how = VMM_TRY_BUSY;

    for (int i = 0; i < 200 && how == VMM_TRY_BUSY; i++) {
        how = vmm_invoke_try(vmm, img, &rq, NULL, res, slice_us, &s.call);
        if (how == VMM_TRY_BUSY)
            usleep(5000);
    }
    if (how == VMM_TRY_BUSY)
        return -1;
    invocations++;
    if (how == VMM_TRY_MORE) {
        if (pthread_create(&t, NULL, finish_thread, &s) != 0)
            s.rc = vmm_call_finish(s.call);
        else
            pthread_join(t, NULL);
    } else {
        vmm_call_finish(s.call); /* lets go of the VM */
    }
    crashes_seen += res->error == VMM_ECRASH;
    timeouts_seen += res->error == VMM_ETIMEOUT;
    return (int)how;
}

static void slice_case(const char *name, struct vmm_image *img,
                       const char *query, uint32_t slice_us,
                       uint32_t timeout_ms, int want_how, int want_error,
                       const char *want_body)
{
    struct vmm_result r;
    char err[256] = "";
    int how = sliced_invoke(img, query, slice_us, timeout_ms, &r), bad = 0;

    if (how < 0) {
        tl_fail(name, "no VM became ready in 1 s");
        return;
    }
    if (how != want_how)
        bad = why(err, sizeof(err), "started as %d, want %d", how, want_how);
    else if ((int)r.error != want_error)
        bad = why(err, sizeof(err), "got %s (%s), want %s", error_name(r.error),
                  r.reason, error_name(want_error));
    else if (want_body && (r.status != 200 || r.body_len != strlen(want_body) ||
                           memcmp(r.body, want_body, r.body_len) != 0))
        bad = why(err, sizeof(err), "answered %d \"%.*s\"", r.status,
                  (int)r.body_len, r.body);
    else if (want_error == VMM_ETIMEOUT)
        bad = took(&r, timeout_ms, err, sizeof(err));
    vmm_result_free(&r);
    verdict_serving(name, bad, err, sizeof(err));
}

static void slice_cases(void)
{
    struct vmm_image *gw, *loop;
    char err[256];

    if (load("libos_gwtest", &gw, err, sizeof(err))) {
        tl_fail("vmm_slice_images", "load: %s", err);
        return;
    }
    if (load("loop", &loop, err, sizeof(err))) {
        tl_fail("vmm_slice_images", "load: %s", err);
        vmm_image_put(gw);
        return;
    }
    /* A slice of a whole second: the guest answers within it. */
    slice_case("vmm_slice_answers_within", gw, "", 1000000, 2000, VMM_TRY_DONE,
               VMM_OK, "ok");
    /* 20 ms of work under a 100 us slice: set aside, finished elsewhere. */
    slice_case("vmm_slice_finished_on_another_thread", gw, "spin=20", 100, 2000,
               VMM_TRY_MORE, VMM_OK, "ok");
    /* The time limit holds across the move. */
    slice_case("vmm_slice_timeout_after_move", loop, "", 100, 200, VMM_TRY_MORE,
               VMM_ETIMEOUT, NULL);
    /* A slice longer than the limit: the limit ends it where it started. */
    slice_case("vmm_slice_timeout_within", loop, "", 5000000, 200, VMM_TRY_DONE,
               VMM_ETIMEOUT, NULL);
    vmm_image_put(loop);
    vmm_image_put(gw);
}

int main(void)
{
    struct vmm_config cfg = {.pool_size = 2, .pool_memory_mib = MEM_MIB};
    struct vmm_stats before;
    char err[256];

    setvbuf(stdout, NULL, _IOLBF, 0);
    if (getenv("MF_TEST_GUESTS"))
        guest_dir = getenv("MF_TEST_GUESTS");
    if (access("/dev/kvm", R_OK | W_OK) != 0) {
        skip_all("/dev/kvm absent");
        return 0;
    }
    if (vmm_open(&vmm, &cfg, err, sizeof(err)) != 0) {
        printf("FAIL vmm_hostile_open: %s\n", err);
        return 1;
    }
    if (load("good", &good, err, sizeof(err)) != 0) {
        printf("FAIL vmm_hostile_good_image: %s\n", err);
        vmm_close(vmm);
        return 1;
    }
    if (access("build/functions/hello.elf", R_OK) == 0 &&
        load("build/functions/hello.elf", &hello, err, sizeof(err)) != 0) {
        tl_fail("vmm_hostile_hello_image", "%s", err);
        hello = NULL;
    }
    vmm_stats(vmm, &before);

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        run_case(&cases[i]);
    elf_cases();
    request_too_big();
    secret_cases();
    entry_state_primed();
    avx_cases();
    slice_cases();
    stats_case(&before);

    vmm_image_put(hello);
    vmm_image_put(good);
    vmm_close(vmm);
    return tl_failed ? 1 : 0;
}
