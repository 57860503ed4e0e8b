/* token.c: makes, stores and reads the admin token of a data folder. */
#include "gateway/token.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define TOKEN_BYTES 32

int gw_token_valid(const char *tok)
{
    size_t i, n = strlen(tok);

    if (n < GW_TOKEN_MIN || n > GW_TOKEN_MAX)
        return 0;
    for (i = 0; i < n; i++)
        if (tok[i] <= ' ' || tok[i] > '~')
            return 0;
    return 1;
}

int gw_token_equal(const char *a, const char *b)
{
    size_t i, n = strlen(a);
    unsigned char diff = 0;

    if (strlen(b) != n)
        return 0;
    for (i = 0; i < n; i++)
        diff |= (unsigned char)(a[i] ^ b[i]);
    return diff == 0;
}

static int token_path(const char *dir, char *path, size_t len)
{
    if (snprintf(path, len, "%s/%s", dir, GW_TOKEN_FILE) >= (int)len)
        return -ENAMETOOLONG;
    return 0;
}

int gw_token_load(const char *dir, char *out)
{
    char path[4096], text[GW_TOKEN_MAX + 2];
    struct stat sb;
    ssize_t n;
    int fd, rc;

    rc = token_path(dir, path, sizeof(path));
    if (rc < 0)
        return rc;
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return -errno;
    if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return -EINVAL;
    }
    if (sb.st_mode & 077) {
        close(fd);
        return -EPERM;
    }
    n = read(fd, text, sizeof(text) - 1);
    close(fd);
    if (n < 0)
        return -errno;
    text[n] = '\0';
    text[strcspn(text, "\r\n")] = '\0';
    if (!gw_token_valid(text))
        return -EINVAL;
    memcpy(out, text, strlen(text) + 1);
    explicit_bzero(text, sizeof(text));
    return 0;
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

static int make_token(char *out)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char r[TOKEN_BYTES];
    size_t i;

    if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
        return -EIO;
    for (i = 0; i < sizeof(r); i++) {
        out[2 * i] = hex[r[i] >> 4];
        out[2 * i + 1] = hex[r[i] & 15];
    }
    out[2 * sizeof(r)] = '\n';
    out[2 * sizeof(r) + 1] = '\0';
    explicit_bzero(r, sizeof(r));
    return 0;
}

static void sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

/* Writes the file whole under a temp name, then links it into place:
 * link(2) never replaces, so the first of two racing processes wins and
 * the other reads what it wrote. */
static int store_new(const char *dir, const char *text)
{
    char path[4096], tmp[4200];
    int fd, rc;

    rc = token_path(dir, path, sizeof(path));
    if (rc < 0)
        return rc;
    snprintf(tmp, sizeof(tmp), "%s.tmp-%d", path, (int)getpid());
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return -errno;
    /* The umask may only take bits away; make sure none were added. */
    rc = fchmod(fd, 0600) < 0 ? -errno : 0;
    if (rc == 0)
        rc = write_all(fd, text, strlen(text));
    if (rc == 0 && fsync(fd) < 0)
        rc = -errno;
    close(fd);
    if (rc == 0 && link(tmp, path) < 0)
        rc = -errno;
    unlink(tmp);
    if (rc == 0)
        sync_dir(dir);
    return rc;
}

int gw_token_ensure(const char *dir, char *out)
{
    char fresh[2 * TOKEN_BYTES + 2];
    int rc;

    rc = gw_token_load(dir, out);
    if (rc != -ENOENT)
        return rc;
    rc = make_token(fresh);
    if (rc == 0)
        rc = store_new(dir, fresh);
    if (rc == 0 || rc == -EEXIST)
        rc = gw_token_load(dir, out);
    explicit_bzero(fresh, sizeof(fresh));
    return rc;
}
