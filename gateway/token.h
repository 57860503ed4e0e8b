/* token.h: the admin API's bearer token, kept in the data folder.
 *
 * fnd makes a token on its first start and keeps it in <data>/admin.token
 * (mode 0600, 64 hex digits from getrandom and a newline); fnctl reads the
 * same file when it shares the data folder. A token given to fnd by flag or
 * environment takes the file's place and is never written to disk.
 *
 * Errors: 0 or a negative errno; -ENOENT when there is no file yet,
 * -EINVAL when its contents are not a token, -EPERM when group or others
 * may read it (fnd then refuses to start rather than trust it). Nothing is
 * logged.
 */
#ifndef MAYFLY_GW_TOKEN_H
#define MAYFLY_GW_TOKEN_H

#include <stddef.h>

#define GW_TOKEN_FILE "admin.token"
#define GW_TOKEN_MIN 16  /* shortest token fnd accepts */
#define GW_TOKEN_MAX 256 /* longest */

/* A token is GW_TOKEN_MIN..GW_TOKEN_MAX visible ASCII characters. */
int gw_token_valid(const char *tok);
/* Reads the token of data folder `dir` into out (GW_TOKEN_MAX + 1). */
int gw_token_load(const char *dir, char *out);
/* Reads it, or makes and stores a new one if there is none. Two processes
 * racing here end up with the same token. */
int gw_token_ensure(const char *dir, char *out);
/* Compares in time that depends only on the lengths. */
int gw_token_equal(const char *a, const char *b);

#endif /* MAYFLY_GW_TOKEN_H */
