/* mf_request.c: the request as the host placed it, read in place. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../libc/libc_internal.h"
#include "mayfly.h"
#include "mf_internal.h"

/* A span lies inside guest memory with a NUL right after it; gpa 0 means
 * absent and needs len 0. */
MF__BOOT_PATH
static int mf__span_ok(const struct mf_span *s, uint64_t mem)
{
    if (s->gpa == 0)
        return s->len == 0;
    if (s->gpa >= mem || s->len >= mem - s->gpa)
        return 0;
    return *(const char *)mf__ptr(s->gpa + s->len) == '\0';
}

/* A packed list lies inside guest memory and holds `count` pairs of
 * NUL-terminated strings within its len bytes. */
MF__BOOT_PATH
static int mf__kv_ok(const struct mf_kv *kv, uint64_t mem)
{
    const char *p, *end;
    size_t n;
    uint64_t i;

    if (kv->gpa == 0)
        return kv->len == 0 && kv->count == 0;
    if (kv->gpa >= mem || kv->len > mem - kv->gpa || kv->count > kv->len / 2)
        return 0;
    p = mf__ptr(kv->gpa);
    end = p + kv->len;
    for (i = 0; i < 2 * kv->count; i++) {
        n = strnlen(p, (size_t)(end - p));
        if (n == (size_t)(end - p))
            return 0;
        p += n + 1;
    }
    return 1;
}

MF__BOOT_PATH
const char *mf__request_check(const struct mf_boot *b)
{
    uint64_t mem = b->mem_size;

    if (!mf__span_ok(&b->method, mem) || !mf__span_ok(&b->path, mem) ||
        !mf__span_ok(&b->query, mem))
        return "boot page: bad method, path or query span";
    if (!mf__span_ok(&b->body, mem) || !mf__span_ok(&b->event, mem))
        return "boot page: bad body or event span";
    if (!mf__kv_ok(&b->headers, mem) || !mf__kv_ok(&b->env, mem))
        return "boot page: bad headers or env list";
    return NULL;
}

static const char *mf__span_str(const struct mf_span *s, size_t *len)
{
    if (len != NULL)
        *len = s->len;
    return s->gpa != 0 ? mf__ptr(s->gpa) : "";
}

const char *mf_method(void)
{
    return mf__span_str(&mf__boot->method, NULL);
}

const char *mf_path(void)
{
    return mf__span_str(&mf__boot->path, NULL);
}

const char *mf_query(void)
{
    return mf__span_str(&mf__boot->query, NULL);
}

const void *mf_body(size_t *len)
{
    return mf__span_str(&mf__boot->body, len);
}

const char *mf_event(size_t *len)
{
    if (mf__boot->event.gpa == 0) {
        if (len != NULL)
            *len = 0;
        return NULL;
    }
    return mf__span_str(&mf__boot->event, len);
}

unsigned mf_trigger(void)
{
    return mf__boot->trigger;
}

/* The pair after the one at p (mf__kv_ok() made this safe). */
static const char *mf__kv_skip(const char *p)
{
    p += strlen(p) + 1;
    return p + strlen(p) + 1;
}

static const char *mf__kv_find(const struct mf_kv *kv, const char *name,
                               int nocase)
{
    const char *p = mf__ptr(kv->gpa);
    uint64_t i;

    for (i = 0; i < kv->count; i++, p = mf__kv_skip(p)) {
        if ((nocase ? strcasecmp(p, name) : strcmp(p, name)) == 0)
            return p + strlen(p) + 1;
    }
    return NULL;
}

const char *mf_header(const char *name)
{
    return mf__kv_find(&mf__boot->headers, name, 1);
}

const char *mf_env(const char *name)
{
    return mf__kv_find(&mf__boot->env, name, 0);
}

size_t mf_header_count(void)
{
    return (size_t)mf__boot->headers.count;
}

/* Where the last mf_header_at() stopped, so a walk upwards is linear. */
static struct {
    size_t index;
    const char *pair;
} mf__hcursor;

int mf_header_at(size_t i, const char **name, const char **value)
{
    const struct mf_kv *kv = &mf__boot->headers;

    if (i >= kv->count)
        return -1;
    if (mf__hcursor.pair == NULL || i < mf__hcursor.index) {
        mf__hcursor.index = 0;
        mf__hcursor.pair = mf__ptr(kv->gpa);
    }
    for (; mf__hcursor.index < i; mf__hcursor.index++)
        mf__hcursor.pair = mf__kv_skip(mf__hcursor.pair);
    *name = mf__hcursor.pair;
    *value = *name + strlen(*name) + 1;
    return 0;
}

uint64_t mf_time_ns(void)
{
    const struct mf_boot *b = mf__boot;
    uint64_t now = mf__rdtsc(), d, khz = b->tsc_khz;

    if (khz == 0 || now < b->tsc_base)
        return b->wall_ns;
    d = now - b->tsc_base;
    /* Split so that nothing overflows: d / khz whole milliseconds, then the
     * remainder (below khz) in nanoseconds. */
    return b->wall_ns + d / khz * 1000000u + d % khz * 1000000u / khz;
}

const uint8_t *mf_entropy(void)
{
    return mf__boot->entropy;
}
