/* side_http.c: Mayfly end to end over HTTP: each batch is one run of
 * `fnctl bench` against the fnd that bench/bench.sh started, with hello
 * deployed. Latencies come from its --raw file, requests/s and the
 * fresh-VM check from its RESULT line. Peak RSS is fnd's VmHWM.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/side.h"

/* After a batch: let fnd's pool refill and its reaper catch up before the
 * next contender runs. */
#define HTTP_SETTLE_US 300000

extern char **environ;

struct http {
    unsigned conc, pause_ms;
    char raw[512];
    unsigned long long ok, done, created;
    int all_fresh;
    char fresh[256];
    char how[64];
};

/* Runs fnctl bench for n requests; leaves its RESULT line in line. */
static int run_fnctl(struct contender *c, unsigned n, char *line, size_t len)
{
    struct http *h = c->priv;
    char ns[16], cs[16], ps[16], *argv[20];
    posix_spawn_file_actions_t fa;
    int out[2], st = 0, rc;
    FILE *f;
    pid_t pid;

    snprintf(ns, sizeof(ns), "%u", n);
    snprintf(cs, sizeof(cs), "%u", h->conc);
    snprintf(ps, sizeof(ps), "%u", h->pause_ms);
    char *a[] = {(char *)c->opts->fnctl,
                 "--url",
                 (char *)c->opts->url,
                 "bench",
                 "hello",
                 "-n",
                 ns,
                 "-c",
                 cs,
                 "-d",
                 "ada",
                 "--pause-ms",
                 ps,
                 "--raw",
                 h->raw,
                 "--label",
                 (char *)c->name,
                 NULL};
    memcpy(argv, a, sizeof(a));
    if (pipe2(out, O_CLOEXEC) < 0)
        return -1;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(out[1]);
    line[0] = '\0';
    f = fdopen(out[0], "r");
    while (f && fgets(line, (int)len, f) && strncmp(line, "RESULT ", 7))
        ;
    if (f)
        fclose(f);
    if (rc == 0)
        waitpid(pid, &st, 0);
    if (rc != 0 || !WIFEXITED(st) || strncmp(line, "RESULT ", 7) != 0) {
        side_fail(c, "fnctl bench failed (status %d)", WEXITSTATUS(st));
        return -1;
    }
    return 0;
}

static unsigned long long field(const char *line, const char *key)
{
    const char *p = strstr(line, key);

    return p ? strtoull(p + strlen(key), NULL, 10) : 0;
}

static double field_d(const char *line, const char *key)
{
    const char *p = strstr(line, key);

    return p ? strtod(p + strlen(key), NULL) : 0;
}

static int read_raw(struct contender *c)
{
    struct http *h = c->priv;
    FILE *f = fopen(h->raw, "r");
    double us;

    if (!f) {
        side_fail(c, "%s: %s", h->raw, strerror(errno));
        return -1;
    }
    while (fscanf(f, "%lf", &us) == 1) {
        series_push(&c->lat, (uint64_t)(us * 1000.0 + 0.5));
        series_push(&c->round, c->cur_round);
    }
    fclose(f);
    return 0;
}

static int http_batch(struct contender *c, unsigned n)
{
    struct http *h = c->priv;
    char line[512];
    double ops;

    if (run_fnctl(c, n, line, sizeof(line)) < 0 || read_raw(c) < 0)
        return -1;
    ops = field_d(line, " ops_s=");
    h->done += field(line, " n=");
    h->ok += field(line, " ok=");
    h->created += field(line, " vms_created=");
    h->all_fresh &= strstr(line, " fresh=yes") != NULL;
    if (ops > 0 && h->pause_ms == 0) {
        c->ops_done += field(line, " n=");
        c->ops_ns += (uint64_t)((double)field(line, " n=") / ops * 1e9);
    }
    usleep(HTTP_SETTLE_US);
    return 0;
}

static int http_rss(struct contender *c)
{
    c->rss_kib = side_vmhwm_kib(c->opts->fnd_pid);
    return c->rss_kib > 0 ? 0 : -1;
}

static const char *http_fresh(struct contender *c)
{
    struct http *h = c->priv;

    snprintf(h->fresh, sizeof(h->fresh),
             "%s: %llu responses, %llu of them 200, "
             "mayfly_vms_created_total +%llu: %s",
             c->name, h->done, h->ok, h->created,
             h->all_fresh && h->ok == h->done
                 ? "every 200 had a VM of its own (per batch)"
                 : "NOT every response was a 200 from a fresh VM");
    return h->fresh;
}

static void http_close(struct contender *c)
{
    struct http *h = c->priv;

    if (h)
        unlink(h->raw);
    free(h);
    c->priv = NULL;
}

static const struct contender_ops http_ops = {
    http_batch, NULL, http_rss, http_fresh, http_close,
};

int side_http_init(struct contender *c, unsigned conc, unsigned pause_ms)
{
    struct http *h = calloc(1, sizeof(*h));

    c->ops = &http_ops;
    c->priv = h;
    if (!h) {
        side_fail(c, "out of memory");
        return -1;
    }
    h->conc = conc;
    h->pause_ms = pause_ms;
    h->all_fresh = 1;
    snprintf(h->raw, sizeof(h->raw), "%s/%s.raw.tmp", c->opts->out, c->name);
    c->interval = "request written .. whole response read, on a keep-alive "
                  "connection (fnctl bench, libuv)";
    if (pause_ms)
        snprintf(h->how, sizeof(h->how),
                 "not measured (%u ms pause after "
                 "each response)",
                 pause_ms);
    else
        snprintf(h->how, sizeof(h->how), "requests/s at concurrency %u", conc);
    c->ops_how = h->how;
    c->rss_how = "fnd VmHWM, whole run";
    if (!c->opts->url || c->opts->fnd_pid <= 0) {
        side_fail(c, "no fnd to talk to");
        return -1;
    }
    return 0;
}
