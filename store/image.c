/* image.c: content-addressed image files under images/, written atomically. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "store/store_int.h"

#define ST_SHA_LEN 32
#define ST_TMP_TRIES 8

bool st__sha_valid(const char *s)
{
    int i;

    if (!s)
        return false;
    for (i = 0; i < ST_SHA_HEX - 1; i++) {
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    }
    return s[i] == '\0';
}

void st__hex(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    size_t i;

    for (i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 0xf];
    }
    out[2 * n] = '\0';
}

int st__image_exists(struct st *st, const char *sha)
{
    struct stat sb;

    if (fstatat(st->images_fd, sha, &sb, AT_SYMLINK_NOFOLLOW) < 0)
        return -errno;
    return S_ISREG(sb.st_mode) ? 0 : -ENOENT;
}

static int st_sha256(const void *data, size_t len, char hex[ST_SHA_HEX])
{
    unsigned char md[ST_SHA_LEN];
    unsigned int mdlen = 0;

    if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) ||
        mdlen != ST_SHA_LEN)
        return -EIO;
    st__hex(md, ST_SHA_LEN, hex);
    return 0;
}

/* Hidden names are never valid content names, so a reader never opens
 * one, and the sweeps (st__images_sweep, st_objects_sweep) know them for
 * leftovers. */
int st__tmp_open(int dir_fd, char tmp[ST_TMP_NAME])
{
    uint64_t r;
    int fd, tries;

    for (tries = 0; tries < ST_TMP_TRIES; tries++) {
        if (getrandom(&r, sizeof(r), 0) != sizeof(r))
            return -EIO;
        snprintf(tmp, ST_TMP_NAME, ".tmp-%016llx", (unsigned long long)r);
        fd = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd >= 0 || errno != EEXIST)
            return fd >= 0 ? fd : -errno;
    }
    return -EEXIST;
}

int st__write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    ssize_t n;

    while (len > 0) {
        n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* The data is on disk before the rename makes it visible, and the rename is
 * on disk (directory fsync) before we report success: after a crash the name
 * either is absent or holds the whole file. */
int st__tmp_commit(int dir_fd, int fd, const char *tmp, const char *name)
{
    int rc;

    if (fsync(fd) < 0) {
        rc = -errno;
        goto close_tmp;
    }
    if (close(fd) < 0) {
        rc = -errno;
        goto unlink_tmp;
    }
    if (renameat(dir_fd, tmp, dir_fd, name) < 0) {
        rc = -errno;
        goto unlink_tmp;
    }
    if (fsync(dir_fd) < 0)
        return -errno;
    return 0;

close_tmp:
    close(fd);
unlink_tmp:
    unlinkat(dir_fd, tmp, 0);
    return rc;
}

int st__file_put(int dir_fd, const char *name, const void *data, size_t len)
{
    char tmp[ST_TMP_NAME];
    int fd, rc;

    fd = st__tmp_open(dir_fd, tmp);
    if (fd < 0)
        return fd;
    rc = st__write_all(fd, data, len);
    if (rc < 0) {
        close(fd);
        unlinkat(dir_fd, tmp, 0);
        return rc;
    }
    return st__tmp_commit(dir_fd, fd, tmp, name);
}

int st_image_put(struct st *st, const void *data, size_t len,
                 char sha_out[ST_SHA_HEX])
{
    char sha[ST_SHA_HEX];
    int rc;

    if (!st || (!data && len > 0) || !sha_out)
        return -EINVAL;
    rc = st_sha256(data ? data : "", len, sha);
    if (rc < 0)
        return rc;
    if (st__image_exists(st, sha) != 0) {
        rc = st__file_put(st->images_fd, sha, data, len);
        if (rc < 0)
            return rc;
    }
    memcpy(sha_out, sha, ST_SHA_HEX);
    return 0;
}

static int st_read_all(int fd, void *buf, size_t len)
{
    char *p = buf;
    ssize_t n;

    while (len > 0) {
        n = read(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            return -EIO; /* shorter than fstat said: not ours to read */
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int st_image_get(struct st *st, const char *sha, void **data, size_t *len)
{
    struct stat sb;
    void *buf;
    int fd, rc;

    if (!st || !data || !len)
        return -EINVAL;
    /* Checked before sha becomes a file name: no "..", no "/". */
    if (!st__sha_valid(sha))
        return -EINVAL;
    fd = openat(st->images_fd, sha, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return errno == ELOOP ? -ENOENT : -errno;
    if (fstat(fd, &sb) < 0) {
        rc = -errno;
        goto close_fd;
    }
    if (!S_ISREG(sb.st_mode)) {
        rc = -ENOENT;
        goto close_fd;
    }

    /* One spare byte so that an empty image still gets a real buffer. */
    buf = malloc((size_t)sb.st_size + 1);
    if (!buf) {
        rc = -ENOMEM;
        goto close_fd;
    }
    rc = st_read_all(fd, buf, (size_t)sb.st_size);
    if (rc < 0)
        goto free_buf;
    close(fd);
    *data = buf;
    *len = (size_t)sb.st_size;
    return 0;

free_buf:
    free(buf);
close_fd:
    close(fd);
    return rc;
}

/* Calls fn for each name in folder fd except "." and ".." until it returns
 * a negative errno; adds its positive returns. Takes fd over. */
int st__dir_each(int fd, int (*fn)(int dir, const char *name, void *arg),
                 void *arg)
{
    struct dirent *de;
    DIR *d = fdopendir(fd);
    int n = 0, rc = 0;

    if (!d) {
        close(fd);
        return -errno;
    }
    rewinddir(d);
    while (rc >= 0 && (de = readdir(d))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        rc = fn(dirfd(d), de->d_name, arg);
        n += rc > 0 ? rc : 0;
    }
    closedir(d);
    return rc < 0 ? rc : n;
}

static int st_sweep_image_tmp(int dir, const char *name, void *arg)
{
    (void)arg;
    if (strncmp(name, ".tmp-", 5) != 0)
        return 0;
    if (unlinkat(dir, name, 0) < 0)
        return errno == ENOENT ? 0 : -errno;
    return 1;
}

int st__images_sweep(struct st *st)
{
    int fd = dup(st->images_fd);

    return fd < 0 ? -errno : st__dir_each(fd, st_sweep_image_tmp, NULL);
}
