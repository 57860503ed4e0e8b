/* token.c: makes, stores and reads the admin token of a data folder. */
#include "gateway/token.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "gateway/secret.h"

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

int gw_token_load(const char *dir, char *out)
{
    char text[GW_TOKEN_MAX + 2];
    int rc;

    rc = gw_secret_read(dir, GW_TOKEN_FILE, text, sizeof(text),
                        GW_SECRET_OWNER_ONLY);
    if (rc < 0)
        return rc;
    text[strcspn(text, "\r\n")] = '\0';
    if (!gw_token_valid(text))
        return -EINVAL;
    memcpy(out, text, strlen(text) + 1);
    explicit_bzero(text, sizeof(text));
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

int gw_token_ensure(const char *dir, char *out)
{
    char fresh[2 * TOKEN_BYTES + 2];
    int rc;

    rc = gw_token_load(dir, out);
    if (rc != -ENOENT)
        return rc;
    rc = make_token(fresh);
    if (rc == 0)
        rc = gw_secret_create(dir, GW_TOKEN_FILE, fresh);
    if (rc == 0 || rc == -EEXIST)
        rc = gw_token_load(dir, out);
    explicit_bzero(fresh, sizeof(fresh));
    return rc;
}
