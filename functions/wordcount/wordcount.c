/* wordcount.c: counts an uploaded object's lines, words and bytes, as wc. */
#include <ctype.h>
#include <mayfly.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Deploy it with an object trigger, for example
 *   fnctl deploy wordcount build/functions/wordcount.elf \
 *       --on-object texts:.txt --env OUTPUT_BUCKET=results
 * Each object written to `texts` whose key ends in .txt gets a result
 * object <key>.json in OUTPUT_BUCKET ("results" when unset):
 *   {"bucket": "texts", "key": "a.txt", "lines": 3, "words": 12,
 *    "bytes": 64}
 * Counting follows wc in the C locale: a line is a '\n', a word a run of
 * bytes that isspace() does not match. Small objects come in memory with
 * the event; bigger ones are read in chunks through mf_object_read(). */

#define WC_CHUNK (256 * 1024)

struct wc_counts {
    unsigned long long lines, words, bytes;
    int in_word;
};

static void wc_count(struct wc_counts *c, const unsigned char *p, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (p[i] == '\n')
            c->lines++;
        if (isspace(p[i])) {
            c->in_word = 0;
        } else if (!c->in_word) {
            c->in_word = 1;
            c->words++;
        }
    }
    c->bytes += n;
}

/* Reads the object through the host, one chunk per exit. */
static int wc_read_all(struct wc_counts *c)
{
    unsigned char *buf = malloc(WC_CHUNK);
    unsigned long long off = 0;
    long n;

    if (!buf)
        return -1;
    while ((n = mf_object_read(off, buf, WC_CHUNK)) > 0) {
        wc_count(c, buf, (size_t)n);
        off += (unsigned long long)n;
    }
    free(buf);
    if (n < 0)
        mf_log("reading the object failed: errno %ld", -n);
    return n < 0 ? -1 : 0;
}

/* Appends s as a JSON string (quotes, backslashes and control bytes
 * escaped) to out, at most size bytes; returns the length or -1. */
static int wc_json_string(char *out, size_t size, const char *s)
{
    size_t o = 0;

    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        int n = ch < 0x20 ? snprintf(out + o, size - o, "\\u%04x", ch)
                : (ch == '"' || ch == '\\')
                    ? snprintf(out + o, size - o, "\\%c", ch)
                    : snprintf(out + o, size - o, "%c", ch);

        if (n < 0 || (size_t)n >= size - o)
            return -1;
        o += (size_t)n;
    }
    return (int)o;
}

static int wc_write_result(const char *bucket, const char *key,
                           const struct wc_counts *c)
{
    static char ebucket[256], ekey[6200], json[7000], out_key[1100];
    const char *out_bucket = mf_env("OUTPUT_BUCKET");
    int n, rc;

    if (!out_bucket || !*out_bucket)
        out_bucket = "results";
    if (wc_json_string(ebucket, sizeof(ebucket), bucket) < 0 ||
        wc_json_string(ekey, sizeof(ekey), key) < 0)
        return -1;
    n = snprintf(json, sizeof(json),
                 "{\"bucket\":\"%s\",\"key\":\"%s\",\"lines\":%llu,"
                 "\"words\":%llu,\"bytes\":%llu}\n",
                 ebucket, ekey, c->lines, c->words, c->bytes);
    if (n < 0 || (size_t)n >= sizeof(json) ||
        snprintf(out_key, sizeof(out_key), "%s.json", key) >=
            (int)sizeof(out_key))
        return -1;
    rc = mf_object_write(out_bucket, out_key, json, (size_t)n);
    if (rc < 0) {
        mf_log("writing %s/%s failed: errno %d", out_bucket, out_key, -rc);
        return -1;
    }
    mf_log("%s/%s: %llu lines, %llu words, %llu bytes -> %s/%s", bucket, key,
           c->lines, c->words, c->bytes, out_bucket, out_key);
    return 0;
}

int mf_handler(void)
{
    const char *bucket = mf_header("x-mayfly-bucket");
    const char *key = mf_header("x-mayfly-key");
    const char *event = mf_header("x-mayfly-event");
    const char *in_memory = mf_header("x-mayfly-object-inline");
    struct wc_counts c = {0};
    size_t len;
    const void *body;

    if (mf_trigger() != MF_TRIGGER_OBJECT || !bucket || !key || !event) {
        mf_status(400);
        mf_puts("wordcount runs on object events\n");
        return 0;
    }
    if (strncmp(event, "ObjectCreated:", 14) != 0) {
        mf_log("%s/%s: %s, nothing to count", bucket, key, event);
        return 0;
    }
    if (in_memory && strcmp(in_memory, "1") == 0) {
        body = mf_body(&len);
        wc_count(&c, body, len);
    } else if (wc_read_all(&c) < 0) {
        return 1;
    }
    return wc_write_result(bucket, key, &c) < 0 ? 1 : 0;
}
