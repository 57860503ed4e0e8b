/* s3cred.c: makes, stores and reads the S3 access key of a data folder. */
#include "gateway/s3cred.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "gateway/secret.h"

#define FILE_MAX 256

static const char id_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
static const char secret_chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/* n characters drawn uniformly from `set`: bytes past the largest multiple
 * of the set's size are thrown away. */
static int random_chars(char *out, size_t n, const char *set)
{
    size_t m = strlen(set), limit = 256 - 256 % m, i = 0;
    unsigned char r[64];
    size_t j;

    while (i < n) {
        if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
            return -EIO;
        for (j = 0; j < sizeof(r) && i < n; j++)
            if (r[j] < limit)
                out[i++] = set[r[j] % m];
    }
    out[n] = '\0';
    return 0;
}

static int only_of(const char *s, size_t n, const char *set)
{
    return strlen(s) == n && strspn(s, set) == n;
}

static int parse(const char *text, struct gw_s3cred *c)
{
    char id[64], secret[64];

    if (sscanf(text, "access_key_id: %63s\nsecret_access_key: %63s", id,
               secret) != 2)
        return -EINVAL;
    if (!only_of(id, GW_S3CRED_ID_LEN, id_chars) ||
        !only_of(secret, GW_S3CRED_SECRET_LEN, secret_chars))
        return -EINVAL;
    memcpy(c->access_key_id, id, GW_S3CRED_ID_LEN + 1);
    memcpy(c->secret, secret, GW_S3CRED_SECRET_LEN + 1);
    return 0;
}

int gw_s3cred_load(const char *dir, struct gw_s3cred *c)
{
    char text[FILE_MAX + 1];
    int rc;

    rc = gw_secret_read(dir, GW_S3CRED_FILE, text, sizeof(text), 0);
    if (rc < 0)
        return rc;
    return parse(text, c);
}

static int store_new(const char *dir, const struct gw_s3cred *c)
{
    char text[FILE_MAX];
    int rc;

    snprintf(text, sizeof(text), "access_key_id: %s\nsecret_access_key: %s\n",
             c->access_key_id, c->secret);
    rc = gw_secret_create(dir, GW_S3CRED_FILE, text);
    explicit_bzero(text, sizeof(text));
    return rc;
}

int gw_s3cred_ensure(const char *dir, struct gw_s3cred *c)
{
    struct gw_s3cred fresh;
    int rc;

    rc = gw_s3cred_load(dir, c);
    if (rc != -ENOENT)
        return rc;
    memcpy(fresh.access_key_id, "MF", 2);
    rc = random_chars(fresh.access_key_id + 2, GW_S3CRED_ID_LEN - 2, id_chars);
    if (rc == 0)
        rc = random_chars(fresh.secret, GW_S3CRED_SECRET_LEN, secret_chars);
    if (rc == 0)
        rc = store_new(dir, &fresh);
    if (rc == -EEXIST || rc == 0)
        rc = gw_s3cred_load(dir, c);
    explicit_bzero(&fresh, sizeof(fresh));
    return rc;
}
