/* fnbench.c: `fnctl bench NAME`: N requests at concurrency C over
 * keep-alive connections, latency percentiles, requests/s, and a check
 * against fnd's /metrics that every 2xx response came from a fresh VM. The
 * table has the columns of `make bench` (bench/side.c). */
#include "gateway/fnbench.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "gateway/client.h"
#include "gateway/loadgen.h"

#define BENCH_OK 0
#define BENCH_FAIL 1
#define BENCH_USAGE 2
#define BENCH_UNREACHABLE 3
#define BENCH_MAX_REQUESTS 10000000u
#define BENCH_MAX_CONNS 1024u

const char fnctl_bench_usage[] =
    "usage: fnctl bench NAME [-n N] [-c C] [-d DATA] [--raw FILE]\n"
    "                  [--pause-ms MS] [--label NAME] [--time-limit S]\n"
    "                  [-o json]\n"
    "\n"
    "Sends N requests (1000) to function NAME over C keep-alive connections\n"
    "(1), one request in flight per connection, and prints latency\n"
    "percentiles and requests/s. Each latency runs from the request written\n"
    "to the whole response read. fnd's /metrics is read before and after to\n"
    "check that every 2xx response was served by a VM created for it.\n"
    "  -d DATA             request body; POST when given, else GET\n"
    "  --raw FILE          write each latency in microseconds, one a line\n"
    "  --pause-ms MS       each connection waits MS after a response before\n"
    "                      its next request (0): latency without queueing;\n"
    "                      requests/s then counts the pauses too\n"
    "  --label NAME        name of the row in the table (http-cC)\n"
    "  --time-limit S      give up after S seconds (600)\n"
    "  -o json             print the figures as one JSON object instead:\n"
    "                      name, function, requests, concurrency, n, ok,\n"
    "                      errors, reconnects, p50_us, p90_us, p99_us,\n"
    "                      ops_s, vms_created, pool_before, fresh (true\n"
    "                      when every 2xx response had a VM of its own)\n"
    "Exit status: 0 all 2xx from fresh VMs, 1 otherwise, 2 usage error,\n"
    "3 cannot reach fnd.\n";

struct bench_args {
    const char *url;
    const char *name;
    const char *data;
    const char *raw;
    const char *label;
    unsigned n, c, limit_s, pause_ms;
    int json; /* -o json */
};

/* VM counters from /metrics. */
struct vm_counts {
    double created;
    double pool;
};

/* What a run measured, as printed. */
struct bench_figures {
    double p50_us, p90_us, p99_us;
    double ops_s;
    double vms_created; /* mayfly_vms_created_total during the run */
    int all_fresh;      /* every 2xx response had a VM of its own */
};

static void bench_err(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static void bench_err(const char *fmt, ...)
{
    va_list ap;

    fputs("fnctl: bench: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static double metric(const char *text, const char *name)
{
    size_t n = strlen(name);
    const char *p = text;

    while ((p = strstr(p, name)) != NULL) {
        if ((p == text || p[-1] == '\n') && p[n] == ' ')
            return strtod(p + n + 1, NULL);
        p += n;
    }
    return -1;
}

static int read_counts(const struct gw_url *u, struct vm_counts *vc)
{
    struct gw_client_resp r;
    char err[256];
    int rc =
        gw_client_do(u, "GET", "/metrics", NULL, NULL, 0, &r, err, sizeof(err));

    if (rc < 0) {
        bench_err("reading /metrics: %s", err);
        return rc == GW_CLIENT_EREACH ? BENCH_UNREACHABLE : BENCH_FAIL;
    }
    if (r.status != 200 || r.body.len == 0) {
        bench_err("/metrics answered HTTP %d", r.status);
        gw_client_resp_free(&r);
        return BENCH_FAIL;
    }
    vc->created = metric(r.body.data, "mayfly_vms_created_total");
    vc->pool = metric(r.body.data, "mayfly_pool_depth");
    gw_client_resp_free(&r);
    return BENCH_OK;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of a sorted array, in microseconds. */
static double pct_us(const uint64_t *v, size_t n, double p)
{
    size_t i = (size_t)(p / 100.0 * (double)n + 0.5);

    if (n == 0)
        return 0;
    i = i ? i - 1 : 0;
    return (double)v[i < n ? i : n - 1] / 1000.0;
}

static int write_raw(const char *path, const uint64_t *v, size_t n)
{
    FILE *f = fopen(path, "w");

    if (!f) {
        bench_err("%s: %s", path, strerror(errno));
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%.1f\n", (double)v[i] / 1000.0);
    if (fclose(f) != 0) {
        bench_err("%s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* The table of `make bench`, one row; peak RSS and ratio are not known
 * from here. */
static void print_table(const char *label, const struct gw_load_result *r,
                        const struct bench_figures *f)
{
    printf("%-18s %7s %9s %9s %9s %9s %12s %7s\n", "contender", "n", "p50_us",
           "p90_us", "p99_us", "ops_s", "peak_rss_kib", "ratio");
    printf("%-18s %7zu %9.1f %9.1f %9.1f %9.0f %12s %7s\n", label, r->done,
           f->p50_us, f->p90_us, f->p99_us, f->ops_s, "-", "-");
}

static void print_text(const struct bench_args *a,
                       const struct gw_load_result *r,
                       const struct vm_counts *before,
                       const struct bench_figures *f)
{
    print_table(a->label, r, f);
    printf("responses: %zu (%zu 2xx), broken connections: %zu, "
           "reconnects: %zu\n",
           r->done, r->ok, r->errors, r->reconnects);
    printf("fresh VMs: mayfly_vms_created_total +%.0f (pool held %.0f "
           "before) for %zu 2xx responses: %s\n",
           f->vms_created, before->pool, r->ok,
           f->all_fresh ? "every 2xx had a VM of its own"
                        : "NOT every 2xx had a fresh VM");
    printf("RESULT name=%s n=%zu ok=%zu p50_us=%.1f p90_us=%.1f "
           "p99_us=%.1f ops_s=%.1f vms_created=%.0f fresh=%s\n",
           a->label, r->done, r->ok, f->p50_us, f->p90_us, f->p99_us, f->ops_s,
           f->vms_created, f->all_fresh ? "yes" : "no");
}

/* -o json: the same figures, as numbers, in one object. */
static int print_json(const struct bench_args *a,
                      const struct gw_load_result *r,
                      const struct vm_counts *before,
                      const struct bench_figures *f)
{
    json_t *j;
    char *s;

    j = json_pack(
        "{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:f, s:f, s:f, s:I, "
        "s:I, s:b}",
        "name", a->label, "function", a->name, "requests", (json_int_t)a->n,
        "concurrency", (json_int_t)a->c, "n", (json_int_t)r->done, "ok",
        (json_int_t)r->ok, "errors", (json_int_t)r->errors, "reconnects",
        (json_int_t)r->reconnects, "p50_us", f->p50_us, "p90_us", f->p90_us,
        "p99_us", f->p99_us, "ops_s", f->ops_s, "vms_created",
        (json_int_t)f->vms_created, "pool_before", (json_int_t)before->pool,
        "fresh", f->all_fresh);
    /* 12 digits: microseconds to the nanosecond, without binary noise. */
    s = j ? json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(12)) : NULL;
    json_decref(j);
    if (!s) {
        bench_err("out of memory");
        return -1;
    }
    printf("%s\n", s);
    free(s);
    return 0;
}

static int report(const struct bench_args *a, struct gw_load_result *r,
                  const struct vm_counts *before, const struct vm_counts *after)
{
    double secs = (double)r->wall_ns / 1e9;
    double avail, fresh = after->created - before->created;
    struct bench_figures f = {.vms_created = fresh};

    avail = fresh + (before->pool > 0 ? before->pool : 0);
    f.all_fresh =
        before->created >= 0 && after->created >= 0 && (double)r->ok <= avail;
    if (a->raw && write_raw(a->raw, r->lat_ns, r->done) < 0)
        return BENCH_FAIL;
    qsort(r->lat_ns, r->done, sizeof(uint64_t), cmp_u64);
    f.p50_us = pct_us(r->lat_ns, r->done, 50);
    f.p90_us = pct_us(r->lat_ns, r->done, 90);
    f.p99_us = pct_us(r->lat_ns, r->done, 99);
    f.ops_s = secs > 0 ? (double)r->done / secs : 0;
    if (!a->json)
        print_text(a, r, before, &f);
    else if (print_json(a, r, before, &f) < 0)
        return BENCH_FAIL;
    return r->ok == r->done && r->errors == 0 && f.all_fresh ? BENCH_OK
                                                             : BENCH_FAIL;
}

static void print_start(const struct bench_args *a,
                        const struct gw_load_config *cfg)
{
    printf("fnctl bench %s: %u requests, concurrency %u, %s %s (%zu bytes)",
           a->name, a->n, a->c, cfg->method, cfg->path, cfg->body_len);
    if (a->pause_ms)
        printf(", %u ms pause after each response", a->pause_ms);
    printf("\n");
    fflush(stdout);
}

static int run(const struct bench_args *a, const struct gw_url *u)
{
    char path[512], err[256];
    struct gw_load_config cfg = {
        .url = u,
        .method = a->data ? "POST" : "GET",
        .path = path,
        .body = a->data ? a->data : "",
        .body_len = a->data ? strlen(a->data) : 0,
        .requests = a->n,
        .concurrency = a->c,
        .time_limit_ms = a->limit_s * 1000u,
        .pause_ms = a->pause_ms,
    };
    struct gw_load_result r;
    struct vm_counts before, after;
    int rc;

    snprintf(path, sizeof(path), "/fn/%s", a->name);
    if ((rc = read_counts(u, &before)) != BENCH_OK)
        return rc;
    if (!a->json)
        print_start(a, &cfg);
    if (gw_load_run(&cfg, &r, err, sizeof(err)) < 0) {
        bench_err("%s", err);
        gw_load_result_free(&r);
        return BENCH_FAIL;
    }
    rc = read_counts(u, &after);
    if (rc == BENCH_OK)
        rc = report(a, &r, &before, &after);
    gw_load_result_free(&r);
    return rc;
}

static int parse_uint(const char *s, unsigned min, unsigned max, unsigned *out)
{
    char *end;
    unsigned long v;

    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-' || v < min || v > max)
        return -1;
    *out = (unsigned)v;
    return 0;
}

/* -o: "table" or "json", as for every fnctl command. */
static int parse_output(const char *s, int *json)
{
    if (strcmp(s, "json") != 0 && strcmp(s, "table") != 0)
        return -1;
    *json = s[0] == 'j';
    return 0;
}

enum { OPT_RAW = 256, OPT_LABEL, OPT_LIMIT, OPT_URL, OPT_TOKEN, OPT_PAUSE };

static int parse(struct bench_args *a, int argc, char **argv)
{
    static const struct option opts[] = {
        {"data", required_argument, NULL, 'd'},
        {"raw", required_argument, NULL, OPT_RAW},
        {"label", required_argument, NULL, OPT_LABEL},
        {"time-limit", required_argument, NULL, OPT_LIMIT},
        {"pause-ms", required_argument, NULL, OPT_PAUSE},
        {"url", required_argument, NULL, OPT_URL},
        {"token", required_argument, NULL, OPT_TOKEN},
        {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int opt, bad = 0;

    while (!bad &&
           (opt = getopt_long(argc, argv, "n:c:d:o:h", opts, NULL)) != -1) {
        switch (opt) {
        case 'n': bad = parse_uint(optarg, 1, BENCH_MAX_REQUESTS, &a->n); break;
        case 'c': bad = parse_uint(optarg, 1, BENCH_MAX_CONNS, &a->c); break;
        case OPT_LIMIT: bad = parse_uint(optarg, 1, 86400, &a->limit_s); break;
        case OPT_PAUSE: bad = parse_uint(optarg, 0, 60000, &a->pause_ms); break;
        case 'd': a->data = optarg; break;
        case OPT_RAW: a->raw = optarg; break;
        case OPT_LABEL: a->label = optarg; break;
        case OPT_URL: a->url = optarg; break;
        case OPT_TOKEN: /* not needed: the bench only invokes */ break;
        case 'o': bad = parse_output(optarg, &a->json); break;
        case 'h': fputs(fnctl_bench_usage, stdout); return 1;
        default: bad = 1;
        }
    }
    if (bad || argc - optind != 1) {
        if (bad && optarg)
            bench_err("bad value '%s'", optarg);
        fputs(fnctl_bench_usage, stderr);
        return -1;
    }
    a->name = argv[optind];
    return 0;
}

int fnctl_bench(const char *url, int json, int argc, char **argv)
{
    struct bench_args a = {
        .url = url, .n = 1000, .c = 1, .limit_s = 600, .json = json};
    char label[32];
    struct gw_url u;
    int rc = parse(&a, argc, argv);

    if (rc)
        return rc > 0 ? BENCH_OK : BENCH_USAGE;
    if (gw_url_parse(a.url, &u) < 0) {
        bench_err("bad URL '%s' (want http://HOST[:PORT])", a.url);
        return BENCH_USAGE;
    }
    if (a.c > a.n)
        a.c = a.n;
    if (!a.label) {
        snprintf(label, sizeof(label), "http-c%u%s", a.c,
                 a.pause_ms ? "-paced" : "");
        a.label = label;
    }
    return run(&a, &u);
}
