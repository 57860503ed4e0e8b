/* s3tags.c: object tags: x-amz-tagging on writes, Get/Put/DeleteObjectTagging.
 *
 * A tag set is kept in the store as one text in the x-amz-tagging form,
 * "k1=v1&k2=v2" with keys and values percent-encoded, in the order the
 * client gave. S3's limits are checked here: at most 10 tags, keys of 1 to
 * 128 characters, values of at most 256, no key twice.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <llhttp.h>

#include "gateway/s3_int.h"
#include "gateway/url.h"

#define S3_TAGS_MAX 10
#define S3_TAG_KEY_MAX 128   /* characters */
#define S3_TAG_VALUE_MAX 256 /* characters */

struct s3_tagset {
    char *key[S3_TAGS_MAX];
    char *value[S3_TAGS_MAX];
    int n;
};

static void s3_tagset_free(struct s3_tagset *t)
{
    int i;

    for (i = 0; i < t->n; i++) {
        free(t->key[i]);
        free(t->value[i]);
    }
    t->n = 0;
}

/* Characters of valid UTF-8 (bytes that start one); -1 for a control
 * character, which no tag may hold. */
static long s3_tag_chars(const char *s)
{
    long n = 0;

    for (; *s; s++) {
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return -1;
        n += ((unsigned char)*s & 0xc0) != 0x80;
    }
    return n;
}

/* Adds a tag (taking key and value over); returns NULL, or why the set
 * is refused. */
static const char *s3_tagset_add(struct s3_tagset *t, char *key, char *value)
{
    long kc = s3_tag_chars(key), vc = s3_tag_chars(value);
    const char *why = NULL;
    int i;

    if (t->n == S3_TAGS_MAX)
        why = "Object tags cannot be greater than 10";
    else if (kc < 1 || kc > S3_TAG_KEY_MAX)
        why = "The TagKey you have provided is invalid";
    else if (vc < 0 || vc > S3_TAG_VALUE_MAX)
        why = "The TagValue you have provided is invalid";
    for (i = 0; !why && i < t->n; i++)
        if (strcmp(t->key[i], key) == 0)
            why = "Cannot provide multiple Tags with the same key";
    if (why) {
        free(key);
        free(value);
        return why;
    }
    t->key[t->n] = key;
    t->value[t->n++] = value;
    return NULL;
}

/* Decodes n bytes of form-encoded text; NULL for no memory or a NUL. */
static char *s3_form_decode(const char *s, size_t n)
{
    size_t len;
    char *d = gw_url_decode(s, n, GW_URL_PLUS, &len);

    if (d && strlen(d) != len) {
        free(d);
        return NULL;
    }
    return d;
}

/* Parses "k1=v1&k2=v2". Returns 0, -EINVAL with *why, or -ENOMEM. */
static int s3_tagset_parse_form(const char *s, struct s3_tagset *t,
                                const char **why)
{
    const char *p, *amp, *eq;
    size_t len;
    char *k, *v;

    for (p = s; *p; p = amp ? amp + 1 : p + len) {
        amp = strchr(p, '&');
        len = amp ? (size_t)(amp - p) : strlen(p);
        if (len == 0)
            continue;
        eq = memchr(p, '=', len);
        k = s3_form_decode(p, eq ? (size_t)(eq - p) : len);
        v = eq ? s3_form_decode(eq + 1, len - (size_t)(eq - p) - 1)
               : strdup("");
        if (!k || !v) {
            free(k);
            free(v);
            *why = "The tag set is not valid";
            return -EINVAL;
        }
        *why = s3_tagset_add(t, k, v);
        if (*why)
            return -EINVAL;
    }
    return 0;
}

/* The text of element <name> in [p, end) (malloc'd, unescaped), "" for
 * an empty element (<name/>, <name />); NULL if absent or without
 * memory. */
static char *s3_xml_child(const char *p, const char *end, const char *name)
{
    char close[24];
    size_t n = strlen(name);
    const char *s, *q, *e;

    snprintf(close, sizeof(close), "</%s>", name);
    for (s = p; (s = memmem(s, (size_t)(end - s), "<", 1)); s++) {
        if ((size_t)(end - s) <= n + 1 || memcmp(s + 1, name, n) != 0)
            continue;
        q = s + 1 + n;
        if (*q == '>') {
            e = memmem(q, (size_t)(end - q), close, strlen(close));
            return e ? s3_xml_unescape(q + 1, (size_t)(e - q - 1)) : NULL;
        }
        while (q < end && (*q == ' ' || *q == '\t' || *q == '\n'))
            q++;
        if (end - q >= 2 && q[0] == '/' && q[1] == '>')
            return strdup("");
    }
    return NULL;
}

/* Parses a Tagging document. Returns 0, -EINVAL with *why (NULL: not
 * well-formed), or -ENOMEM. */
static int s3_tagset_parse_xml(const char *body, size_t len,
                               struct s3_tagset *t, const char **why)
{
    const char *p = body, *end = body + len, *s, *e;
    char *k, *v;

    *why = NULL;
    if (!body || !memmem(body, len, "<Tagging", 8) ||
        !memmem(body, len, "<TagSet", 7))
        return -EINVAL;
    while ((s = memmem(p, (size_t)(end - p), "<Tag>", 5))) {
        e = memmem(s, (size_t)(end - s), "</Tag>", 6);
        if (!e)
            return -EINVAL;
        k = s3_xml_child(s, e, "Key");
        v = s3_xml_child(s, e, "Value");
        if (!k || !v) {
            free(k);
            free(v);
            return -EINVAL;
        }
        *why = s3_tagset_add(t, k, v);
        if (*why)
            return -EINVAL;
        p = e + 6;
    }
    return 0;
}

/* The set in the stored form (malloc'd; "" for none), or NULL. */
static char *s3_tagset_form(const struct s3_tagset *t)
{
    struct gw_buf b = {0};
    char *k, *v;
    int i;

    for (i = 0; i < t->n; i++) {
        k = gw_url_encode(t->key[i], strlen(t->key[i]), 0);
        v = gw_url_encode(t->value[i], strlen(t->value[i]), 0);
        if (!k || !v)
            b.err = -ENOMEM;
        else
            gw_buf_addf(&b, "%s%s=%s", i ? "&" : "", k, v);
        free(k);
        free(v);
    }
    if (b.err) {
        gw_buf_free(&b);
        return NULL;
    }
    return b.data ? b.data : strdup("");
}

static void s3_tag_error(struct s3_op *op, int rc, const char *why)
{
    if (rc == -ENOMEM)
        s3_error(op, 500, "InternalError", "out of memory");
    else if (why)
        s3_error(op, 400, "InvalidTag", why);
    else
        s3_error(op, 400, "MalformedXML",
                 "The XML you provided was not well-formed or did not "
                 "validate against our published schema");
}

int s3_tags_header(struct s3_op *op, char **tags)
{
    const char *h = gw_http_header(op->req, "x-amz-tagging");
    struct s3_tagset t = {0};
    const char *why = NULL;
    int rc;

    *tags = NULL;
    if (!h)
        return 0;
    rc = s3_tagset_parse_form(h, &t, &why);
    if (rc == 0) {
        *tags = s3_tagset_form(&t);
        rc = *tags ? 0 : -ENOMEM;
    }
    s3_tagset_free(&t);
    if (rc < 0) {
        s3_tag_error(op, rc,
                     why ? why
                         : "The header 'x-amz-tagging' "
                           "shall be encoded as UTF-8 "
                           "URL query parameters");
        return -1;
    }
    return 0;
}

/* -ENOENT from a tag call: the bucket or the key is missing. */
static void s3_tags_store_error(struct s3_op *op, int rc)
{
    if (rc == -ENOENT || rc == -EINVAL)
        s3_not_found(op, op->bucket, "NoSuchKey");
    else
        s3_store_error(op, rc);
}

static void s3_tags_get(struct s3_op *op)
{
    struct s3_tagset t = {0};
    struct gw_buf b = {0};
    const char *why;
    char *form = NULL;
    int rc, i;

    rc = st_object_tags_get(op->st, op->bucket, op->key, &form);
    if (rc < 0) {
        s3_tags_store_error(op, rc);
        return;
    }
    rc = s3_tagset_parse_form(form, &t, &why);
    free(form);
    if (rc < 0) {
        s3_tagset_free(&t);
        s3_error(op, 500, "InternalError", "the stored tags are unreadable");
        return;
    }
    gw_buf_adds(&b, S3_XML_HEAD "<Tagging xmlns=\"" S3_XMLNS "\"><TagSet>");
    for (i = 0; i < t.n; i++) {
        gw_buf_adds(&b, "<Tag>");
        s3_xml_elem(&b, "Key", t.key[i]);
        s3_xml_elem(&b, "Value", t.value[i]);
        gw_buf_adds(&b, "</Tag>");
    }
    gw_buf_adds(&b, "</TagSet></Tagging>\n");
    s3_tagset_free(&t);
    s3_xml_reply(op, 200, &b);
}

static void s3_tags_put(struct s3_op *op)
{
    struct s3_tagset t = {0};
    const char *why = NULL;
    char *form = NULL;
    int rc;

    if (s3_check_md5(op) < 0)
        return;
    rc = s3_tagset_parse_xml(op->body, op->body_len, &t, &why);
    if (rc == 0) {
        form = s3_tagset_form(&t);
        rc = form ? 0 : -ENOMEM;
    }
    s3_tagset_free(&t);
    if (rc < 0) {
        s3_tag_error(op, rc, why);
        return;
    }
    rc = st_object_tags_set(op->st, op->bucket, op->key, form);
    free(form);
    if (rc < 0)
        s3_tags_store_error(op, rc);
    else
        s3_empty_reply(op, 200);
}

static void s3_tags_delete(struct s3_op *op)
{
    int rc = st_object_tags_set(op->st, op->bucket, op->key, NULL);

    if (rc < 0)
        s3_tags_store_error(op, rc);
    else
        s3_empty_reply(op, 204);
}

void s3_object_tagging(struct s3_op *op)
{
    int m = op->req->method_id;

    if (m == HTTP_GET)
        s3_tags_get(op);
    else if (m == HTTP_PUT)
        s3_tags_put(op);
    else if (m == HTTP_DELETE)
        s3_tags_delete(op);
    else
        s3_error(op, 405, "MethodNotAllowed",
                 "The specified method is not allowed against this "
                 "resource.");
}
