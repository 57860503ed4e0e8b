/* secret.c: makes and reads the small secret files of a data folder. */
#include "gateway/secret.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int secret_path(const char *dir, const char *name, char *path,
                       size_t len)
{
    if (snprintf(path, len, "%s/%s", dir, name) >= (int)len)
        return -ENAMETOOLONG;
    return 0;
}

static int check_owner_only(int fd)
{
    struct stat sb;

    if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode))
        return -EINVAL;
    if (sb.st_mode & 077)
        return -EPERM;
    return 0;
}

static int read_text(int fd, char *buf, size_t size)
{
    ssize_t n = read(fd, buf, size - 1);

    if (n < 0)
        return -errno;
    buf[n] = '\0';
    return 0;
}

int gw_secret_read(const char *dir, const char *name, char *buf, size_t size,
                   int flags)
{
    char path[4096];
    int fd, rc;

    rc = secret_path(dir, name, path, sizeof(path));
    if (rc < 0)
        return rc;
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return -errno;
    rc = (flags & GW_SECRET_OWNER_ONLY) ? check_owner_only(fd) : 0;
    if (rc == 0)
        rc = read_text(fd, buf, size);
    close(fd);
    return rc;
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

/* Writes text to a new file `tmp`, mode 0600, and syncs it. */
static int write_new(const char *tmp, const char *text)
{
    int fd, rc;

    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return -errno;
    /* open(2) applies the umask, which may have taken the owner's bits. */
    rc = fchmod(fd, 0600) < 0 ? -errno : 0;
    if (rc == 0)
        rc = write_all(fd, text, strlen(text));
    if (rc == 0 && fsync(fd) < 0)
        rc = -errno;
    close(fd);
    return rc;
}

static void sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

int gw_secret_create(const char *dir, const char *name, const char *text)
{
    char path[4096], tmp[4200];
    int rc;

    rc = secret_path(dir, name, path, sizeof(path));
    if (rc < 0)
        return rc;
    snprintf(tmp, sizeof(tmp), "%s.tmp-%d", path, (int)getpid());
    rc = write_new(tmp, text);
    if (rc == 0 && link(tmp, path) < 0)
        rc = -errno;
    unlink(tmp);
    if (rc == 0)
        sync_dir(dir);
    return rc;
}
