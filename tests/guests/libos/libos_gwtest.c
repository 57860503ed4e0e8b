/* libos_gwtest.c: built on the libOS. A function for the gateway tests,
 * driven by its query string, one action per parameter:
 *   env=NAME   answers the value of environment variable NAME, or "-"
 *   spin=MS    keeps the vCPU busy for MS milliseconds first (no exits)
 *   log=WORD   writes WORD to the guest log
 * With none it answers "ok". Each invocation logs "gwtest ran". */
#include <mayfly.h>
#include <stdlib.h>
#include <string.h>

/* The value of query parameter `name` copied into out, or NULL. */
static const char *param(const char *name, char *out, size_t outlen)
{
    const char *q = mf_query();
    size_t nlen = strlen(name), vlen;

    while (*q) {
        vlen = strchr(q, '&') ? (size_t)(strchr(q, '&') - q) : strlen(q);
        if (vlen > nlen && strncmp(q, name, nlen) == 0 && q[nlen] == '=') {
            vlen -= nlen + 1;
            if (vlen >= outlen)
                vlen = outlen - 1;
            memcpy(out, q + nlen + 1, vlen);
            out[vlen] = '\0';
            return out;
        }
        q += vlen;
        if (*q == '&')
            q++;
    }
    return NULL;
}

static void spin(unsigned long ms)
{
    uint64_t end = mf_time_ns() + (uint64_t)ms * 1000000u;

    while (mf_time_ns() < end)
        ;
}

int mf_handler(void)
{
    char v[128];
    const char *env;

    mf_log("gwtest ran");
    if (param("log", v, sizeof(v)))
        mf_log("%s", v);
    if (param("spin", v, sizeof(v)))
        spin(strtoul(v, NULL, 10));
    mf_set_header("Content-Type", "text/plain");
    if (param("env", v, sizeof(v))) {
        env = mf_env(v);
        return mf_puts(env ? env : "-") < 0;
    }
    return mf_puts("ok") < 0;
}
