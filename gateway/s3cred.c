/* s3cred.c: makes, stores and reads the S3 access key of a data folder. */
#include "gateway/s3cred.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

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
    char path[4096], text[FILE_MAX + 1];
    ssize_t n;
    int fd;

    if (snprintf(path, sizeof(path), "%s/%s", dir, GW_S3CRED_FILE) >=
        (int)sizeof(path))
        return -ENAMETOOLONG;
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return -errno;
    n = read(fd, text, FILE_MAX);
    close(fd);
    if (n < 0)
        return -errno;
    text[n] = '\0';
    return parse(text, c);
}

static int write_all(int fd, const char *s, size_t n)
{
    ssize_t w;

    while (n > 0) {
        w = write(fd, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -errno;
        s += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Writes the file under a temp name, then links it into place: link(2)
 * never replaces, so of two racing processes the first one wins and the
 * second reads what the first wrote. */
static int store_new(const char *dir, const struct gw_s3cred *c)
{
    char path[4096], tmp[4200], text[FILE_MAX];
    int fd, n, rc = 0;

    snprintf(path, sizeof(path), "%s/%s", dir, GW_S3CRED_FILE);
    snprintf(tmp, sizeof(tmp), "%s.tmp-%d", path, (int)getpid());
    n = snprintf(text, sizeof(text),
                 "access_key_id: %s\nsecret_access_key: %s\n", c->access_key_id,
                 c->secret);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return -errno;
    rc = write_all(fd, text, (size_t)n);
    if (rc == 0 && fsync(fd) < 0)
        rc = -errno;
    close(fd);
    if (rc == 0 && link(tmp, path) < 0)
        rc = -errno;
    unlink(tmp);
    if (rc == 0) {
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd >= 0) {
            fsync(fd);
            close(fd);
        }
    }
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
