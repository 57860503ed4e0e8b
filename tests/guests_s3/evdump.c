/* evdump.c: stores what an object-triggered function receives, as JSON.
 *
 * Writes <key>.json to OUTPUT_BUCKET ("dump"): the event, the headers, and
 * the object's length and byte sum read in memory and in chunks. */
#include <mayfly.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK 4096

struct sum {
    unsigned long long len, sum;
};

static void add(struct sum *s, const unsigned char *p, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        s->sum += p[i];
    s->len += n;
}

/* Reads the object in chunks; len is -errno on failure. */
static struct sum read_chunks(void)
{
    static unsigned char buf[CHUNK];
    struct sum s = {0, 0};
    long n;

    while ((n = mf_object_read(s.len, buf, sizeof(buf))) > 0)
        add(&s, buf, (size_t)n);
    if (n < 0)
        s.len = (unsigned long long)n;
    return s;
}

/* Writes s as a JSON string into out; returns bytes or -1. */
static int json_str(char *out, size_t size, const char *s)
{
    size_t o = 0;
    int n;

    if (!s)
        return snprintf(out, size, "null");
    out[o++] = '"';
    for (; *s && o + 8 < size; s++) {
        unsigned char c = (unsigned char)*s;

        if (c < 0x20)
            n = snprintf(out + o, size - o, "\\u%04x", c);
        else if (c == '"' || c == '\\')
            n = snprintf(out + o, size - o, "\\%c", c);
        else
            n = snprintf(out + o, size - o, "%c", c);
        o += (size_t)n;
    }
    if (*s || o + 2 > size)
        return -1;
    out[o++] = '"';
    out[o] = '\0';
    return (int)o;
}

int mf_handler(void)
{
    static char doc[65536], k[4200], b[300], nm[200], name[1100];
    const char *out = mf_env("OUTPUT_BUCKET");
    const char *key = mf_header("x-mayfly-key");
    const char *inl = mf_header("x-mayfly-object-inline");
    struct sum mem = {0, 0}, chunks = read_chunks();
    size_t blen;
    const void *body = mf_body(&blen);
    int n;

    if (!key || json_str(k, sizeof(k), key) < 0 ||
        json_str(b, sizeof(b), mf_header("x-mayfly-bucket")) < 0 ||
        json_str(nm, sizeof(nm), mf_header("x-mayfly-event")) < 0)
        return 1;
    add(&mem, body, blen);
    n = snprintf(doc, sizeof(doc),
                 "{\"bucket\":%s,\"key\":%s,\"name\":%s,\"inline\":\"%s\","
                 "\"size\":\"%s\",\"mem_len\":%llu,\"mem_sum\":%llu,"
                 "\"read_len\":%lld,\"read_sum\":%llu,\"trigger\":%u,"
                 "\"event\":%s}",
                 b, k, nm, inl ? inl : "",
                 mf_header("x-mayfly-object-size")
                     ? mf_header("x-mayfly-object-size")
                     : "",
                 mem.len, mem.sum, (long long)chunks.len, chunks.sum,
                 mf_trigger(), mf_event(NULL) ? mf_event(NULL) : "null");
    if (n < 0 || (size_t)n >= sizeof(doc))
        return 1;
    snprintf(name, sizeof(name), "%s.json", key);
    return mf_object_write(out ? out : "dump", name, doc, (size_t)n) < 0;
}
