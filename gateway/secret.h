/* secret.h: the small secret files of a data folder (admin token, S3 key).
 *
 * A secret file is made once and never replaced: its text is written whole
 * to a temp file (mode 0600, fsync) that is then linked into place. link(2)
 * never replaces, so of two processes racing to make the same file the
 * first wins and the other gets -EEXIST and reads what the first wrote.
 * Files are never opened through a symlink.
 *
 * Errors: 0 or a negative errno; -ENOENT when there is no file yet. Nothing
 * is logged.
 */
#ifndef MAYFLY_GW_SECRET_H
#define MAYFLY_GW_SECRET_H

#include <stddef.h>

/* gw_secret_read flag: refuse a file that is not a regular file (-EINVAL)
 * or that group or others may use (-EPERM). */
#define GW_SECRET_OWNER_ONLY 1

/* Reads file `name` of folder `dir` into buf: at most size - 1 bytes, then
 * a NUL. flags: 0 or GW_SECRET_OWNER_ONLY. */
int gw_secret_read(const char *dir, const char *name, char *buf, size_t size,
                   int flags);
/* Makes file `name` in `dir` holding `text`, mode 0600; it and the folder
 * are on disk when this returns 0. -EEXIST if the file is there already. */
int gw_secret_create(const char *dir, const char *name, const char *text);

#endif /* MAYFLY_GW_SECRET_H */
