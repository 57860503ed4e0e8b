/* fuzz_hypercall.c: libFuzzer target: the host's checks on what a guest
 * hands it (vmm_response_collect, vmm_abort_reason, vmm_obj_io) over a
 * small guest memory whose every byte, and the boot page copy, come from
 * the input.
 *
 * Input: [op: 1 byte][arg: 8 bytes][struct mf_boot][guest memory...].
 * Guest memory is a heap buffer of exactly MEM bytes, so ASan sees any
 * access outside it. Besides memory errors it aborts when an accepted
 * response breaks a promise: status range, body limit, header syntax,
 * log cap, copies equal to guest memory.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/vmm_int.h"

#define MEM 0x3000u
#define MAX_LOG (64u << 10)

static const uint8_t *mem_lo, *mem_hi;

static void die(const char *what, uint64_t a)
{
    fprintf(stderr, "fuzz_hypercall: %s (0x%llx)\n", what,
            (unsigned long long)a);
    abort();
}

static int inside(const void *p, size_t len)
{
    const uint8_t *b = p;

    return b >= mem_lo && b <= mem_hi && len <= (size_t)(mem_hi - b);
}

/* ---- host services that check what the VMM passes them ----------------- */

static int64_t obj_read(void *ctx, uint64_t off, void *buf, size_t len)
{
    (void)ctx;
    if (!inside(buf, len))
        die("obj_read buffer outside guest memory", len);
    memset(buf, 0xab, len);
    return off & 1 ? -5 : (int64_t)len;
}

static int obj_write(void *ctx, const char *bucket, const char *key,
                     const void *buf, size_t len)
{
    const uint8_t *b = buf;
    unsigned sum = 0;

    (void)ctx;
    if (!inside(buf, len))
        die("obj_write buffer outside guest memory", len);
    if (strlen(bucket) > 255 || strlen(key) > 1024)
        die("object name too long", strlen(key));
    for (size_t i = 0; i < len; i++)
        sum += b[i];
    return (int)(sum & 1);
}

static const struct vmm_host_ops ops = {obj_read, obj_write, NULL};

/* ---- oracles ------------------------------------------------------------ */

static int tchar(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static void check_headers(const char *h, size_t len, size_t count)
{
    size_t i = 0, pairs = 0;

    if (len > (16u << 10) || count > 64 || (len && h[len - 1] != 0))
        die("header block shape", len);
    while (i < len) {
        size_t name = i;

        while (h[i])
            if (!tchar((unsigned char)h[i++]))
                die("bad header name byte", i);
        if (i == name)
            die("empty header name", i);
        for (i++; h[i]; i++)
            if (((unsigned char)h[i] < 0x20 && h[i] != '\t') || h[i] == 0x7f)
                die("control byte in header value", i);
        i++;
        pairs++;
    }
    if (pairs != count)
        die("header count", pairs);
}

static void check_response(const struct mf_boot *b, size_t max,
                           const uint8_t *mem, const struct vmm_result *r)
{
    if (r->status < 100 || r->status > 599)
        die("status", (uint64_t)r->status);
    if (r->body_len > max || r->body_len != b->resp_body.len)
        die("body length", r->body_len);
    if (memcmp(r->body, mem + b->resp_body.gpa, r->body_len) != 0 ||
        r->body[r->body_len] != 0)
        die("body copy", r->body_len);
    if (memcmp(r->headers, mem + b->resp_headers.gpa, r->headers_len) != 0)
        die("header copy", r->headers_len);
    check_headers(r->headers, r->headers_len, r->headers_count);
    if (r->log_len > MAX_LOG || r->log_len > b->log.len ||
        memcmp(r->log, mem + b->log.gpa, r->log_len) != 0)
        die("log", r->log_len);
    if (b->log.len > MAX_LOG && !r->log_truncated)
        die("cut log not flagged", b->log.len);
}

static void check_error(int rc, const struct vmm_result *r)
{
    if (rc != (int)r->error || rc == VMM_OK || r->reason[0] == 0)
        die("error without a reason", (uint64_t)rc);
    if (strnlen(r->reason, sizeof(r->reason)) == sizeof(r->reason))
        die("reason not terminated", 0);
}

static void check_abort(int rc, const struct vmm_result *r)
{
    static const char prefix[] = "guest aborted: ";

    check_error(rc, r);
    if (rc != VMM_ECRASH || strncmp(r->reason, prefix, sizeof(prefix) - 1))
        die("abort reason", (uint64_t)rc);
    for (const char *p = r->reason; *p; p++)
        if (*p < 0x20 || *p >= 0x7f)
            die("unprintable abort reason", (unsigned char)*p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const size_t head = 1 + 8 + sizeof(struct mf_boot);
    struct vmm_result res;
    struct mf_boot b;
    struct vmm_mem mem;
    uint64_t arg;
    uint8_t *m;
    int rc;

    if (size < head)
        return 0;
    memcpy(&arg, data + 1, 8);
    memcpy(&b, data + 9, sizeof(b));
    m = calloc(1, MEM);
    if (!m)
        return 0;
    memcpy(m, data + head, size - head < MEM ? size - head : MEM);
    mem = (struct vmm_mem){m, MEM};
    mem_lo = m;
    mem_hi = m + MEM;
    memset(&res, 0, sizeof(res));

    switch (data[0] % 6) {
    case 0:
        rc = vmm_response_collect(&mem, &b, (size_t)arg, &res);
        if (rc == VMM_OK)
            check_response(&b, (size_t)arg, m, &res);
        else
            check_error(rc, &res);
        break;
    case 1:
        /* EAX is 32 bits: the guest cannot name more. */
        check_abort(vmm_abort_reason(&mem, (uint32_t)arg, &res), &res);
        break;
    default: {
        int write = data[0] % 2;
        const struct vmm_host_ops *o = data[0] % 6 < 4 ? &ops : NULL;

        rc = vmm_obj_io(&mem, (uint32_t)arg, write, o, &res);
        if (rc != 0)
            check_error(rc, &res);
        else if (!inside(m + (uint32_t)arg, sizeof(struct mf_obj_io)))
            die("object block outside memory accepted", arg);
        break;
    }
    }
    vmm_result_free(&res);
    free(m);
    return 0;
}
