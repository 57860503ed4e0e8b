/* fnctl.c: the Mayfly command line: talks to fnd's admin API, or boots an
 * image locally with `run`. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>

#include "gateway/buf.h"
#include "gateway/client.h"
#include "gateway/log.h"
#include "mayfly_abi.h"
#include "vmm/vmm.h"

#define EXIT_OK 0
#define EXIT_FAIL 1 /* request failed or the function failed */
#define EXIT_USAGE 2
#define EXIT_UNREACHABLE 3 /* fnd cannot be reached */

#define DEFAULT_URL "http://127.0.0.1:8080"
#define MAX_INPUT (1u << 30)

struct ctx {
    const char *url;
    const char *token;
    struct gw_url u;
};

struct command {
    const char *name;
    int (*run)(struct ctx *c, int argc, char **argv);
    const char *usage;
};

static const char main_usage[] =
    "usage: fnctl [--url URL] [--token TOKEN] COMMAND [ARGS]\n"
    "\n"
    "Commands:\n"
    "  deploy NAME IMAGE [--memory N] [--timeout N]   deploy an ELF image\n"
    "  invoke NAME [-d DATA | -d @FILE]               call a function\n"
    "  ls                                             list functions\n"
    "  inspect NAME                                   show a function\n"
    "  logs NAME [-n N]                               recent guest logs\n"
    "  rm NAME                                        delete a function\n"
    "  run IMAGE [-d DATA]                            boot an image here,\n"
    "                                                 without fnd\n"
    "\n"
    "Options:\n"
    "  --url URL      fnd's address ($FN_URL, else " DEFAULT_URL ")\n"
    "  --token TOKEN  admin token for changes ($FN_TOKEN)\n"
    "  --help         this text; `fnctl COMMAND --help` for a command\n"
    "\n"
    "Exit status: 0 ok, 1 the request or the function failed, 2 usage "
    "error,\n"
    "3 cannot reach fnd.\n";

/* ---- Helpers ------------------------------------------------------------ */

static void errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void errorf(const char *fmt, ...)
{
    va_list ap;

    fputs("fnctl: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* Parses a number with an optional unit: `units` is a list of
 * (suffix, multiplier) pairs, the first being the default unit. */
struct unit {
    const char *suffix;
    uint64_t mult;
};

static int parse_with_unit(const char *s, const struct unit *units,
                           uint32_t *out)
{
    char *end;
    unsigned long long v;
    size_t i;

    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno || end == s || s[0] == '-')
        return -1;
    for (i = 0; units[i].suffix; i++) {
        if (strcasecmp(end, units[i].suffix) != 0)
            continue;
        v *= units[i].mult;
        if (v > UINT32_MAX)
            return -1;
        *out = (uint32_t)v;
        return 0;
    }
    return -1;
}

static int parse_memory(const char *s, uint32_t *mib)
{
    static const struct unit u[] = {
        {"", 1},     {"m", 1},     {"mb", 1},     {"mib", 1},
        {"g", 1024}, {"gb", 1024}, {"gib", 1024}, {NULL, 0},
    };

    return parse_with_unit(s, u, mib);
}

static int parse_count(const char *s, uint32_t *n)
{
    static const struct unit u[] = {{"", 1}, {NULL, 0}};

    return parse_with_unit(s, u, n);
}

static int parse_timeout(const char *s, uint32_t *ms)
{
    static const struct unit u[] = {
        {"", 1}, {"ms", 1}, {"s", 1000}, {"m", 60000}, {NULL, 0},
    };

    return parse_with_unit(s, u, ms);
}

/* Reads a whole file ("-" is stdin). Returns 0 or a negative errno. */
static int read_file(const char *path, struct gw_buf *b)
{
    return gw_buf_read_file(b, path, MAX_INPUT);
}

/* -d DATA, -d @FILE, -d @- */
static int load_data(const char *arg, struct gw_buf *b)
{
    int rc;

    if (arg[0] != '@')
        return gw_buf_adds(b, arg);
    rc = read_file(arg + 1, b);
    if (rc < 0)
        errorf("cannot read %s: %s", arg + 1, strerror(-rc));
    return rc;
}

static void format_time(int64_t ms, char *buf, size_t len)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;

    localtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm);
}

/* ---- Talking to fnd ----------------------------------------------------- */

static void auth_header(const struct ctx *c, struct gw_buf *h)
{
    if (c->token)
        gw_buf_addf(h, "Authorization: Bearer %s\r\n", c->token);
}

/* Prints fnd's JSON error (or the status) for a failed request. */
static void print_failure(const char *what, const struct gw_client_resp *r)
{
    json_t *j = json_loadb(r->body.data, r->body.len, 0, NULL);
    const char *code = json_string_value(json_object_get(j, "error"));
    const char *detail = json_string_value(json_object_get(j, "detail"));
    const char *rid = gw_client_header(r, "x-request-id");

    if (code)
        errorf("%s: %s%s%s (HTTP %d%s%s)", what, code, detail ? ": " : "",
               detail ? detail : "", r->status, rid ? ", request id " : "",
               rid ? rid : "");
    else
        errorf("%s: HTTP %d%s%s", what, r->status, rid ? ", request id " : "",
               rid ? rid : "");
    json_decref(j);
}

/* Runs one admin request; returns an exit status. On 0 the caller owns
 * *r; otherwise it has been freed and the failure printed. */
static int call(struct ctx *c, const char *what, const char *method,
                const char *path, const char *ctype, const void *body,
                size_t len, struct gw_client_resp *r)
{
    struct gw_buf h = {0};
    char err[256];
    int rc;

    auth_header(c, &h);
    if (ctype)
        gw_buf_addf(&h, "Content-Type: %s\r\n", ctype);
    if (h.err)
        return EXIT_FAIL;
    rc = gw_client_do(&c->u, method, path, h.data, body, len, r, err,
                      sizeof(err));
    gw_buf_free(&h);
    if (rc == GW_CLIENT_EREACH) {
        errorf("%s: cannot reach fnd at %s: %s", what, c->url, err);
        return EXIT_UNREACHABLE;
    }
    if (rc < 0) {
        errorf("%s: %s", what, err);
        return EXIT_FAIL;
    }
    if (r->status < 200 || r->status > 299) {
        print_failure(what, r);
        gw_client_resp_free(r);
        return EXIT_FAIL;
    }
    return EXIT_OK;
}

/* Parses the body of a successful admin response. */
static json_t *body_json(const struct gw_client_resp *r, const char *what)
{
    json_error_t e;
    json_t *j = json_loadb(r->body.data, r->body.len, 0, &e);

    if (!j)
        errorf("%s: fnd sent bad JSON: %s", what, e.text);
    return j;
}

/* ---- Tables ------------------------------------------------------------- */

#define TABLE_COLS 8

struct table {
    size_t ncols;
    size_t nrows;
    char **cells; /* row-major */
    size_t width[TABLE_COLS];
};

static void table_row(struct table *t, ...)
{
    char **cells;
    const char *s;
    va_list ap;
    size_t i;

    cells = realloc(t->cells, (t->nrows + 1) * t->ncols * sizeof(char *));
    if (!cells)
        return;
    t->cells = cells;
    va_start(ap, t);
    for (i = 0; i < t->ncols; i++) {
        s = va_arg(ap, const char *);
        cells[t->nrows * t->ncols + i] = strdup(s ? s : "");
        if (s && strlen(s) > t->width[i])
            t->width[i] = strlen(s);
    }
    va_end(ap);
    t->nrows++;
}

static void table_print(struct table *t)
{
    struct gw_buf line = {0};
    size_t r, i;

    for (r = 0; r < t->nrows; r++) {
        gw_buf_reset(&line);
        for (i = 0; i < t->ncols; i++)
            gw_buf_addf(&line, "%-*s  ", (int)t->width[i],
                        t->cells[r * t->ncols + i]);
        while (line.len && line.data[line.len - 1] == ' ')
            line.len--;
        printf("%.*s\n", (int)line.len, line.data ? line.data : "");
    }
    gw_buf_free(&line);
    for (i = 0; i < t->nrows * t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    t->cells = NULL;
    t->nrows = 0;
}

static const char *jstr(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));

    return s ? s : "";
}

static long long jint(json_t *o, const char *key)
{
    return (long long)json_integer_value(json_object_get(o, key));
}

/* Fills one "functions" or "versions" row. */
static void fn_row(struct table *t, json_t *f, int with_name)
{
    char ver[24], mem[24], tmo[24], created[32], sha[16];

    snprintf(ver, sizeof(ver), "%lld", jint(f, "version"));
    snprintf(mem, sizeof(mem), "%lld MiB", jint(f, "memory_mib"));
    snprintf(tmo, sizeof(tmo), "%lld ms", jint(f, "timeout_ms"));
    snprintf(sha, sizeof(sha), "%.12s", jstr(f, "image_sha"));
    format_time(jint(f, "created_ms"), created, sizeof(created));
    if (with_name)
        table_row(t, jstr(f, "name"), ver, mem, tmo, sha, created);
    else
        table_row(t, ver, mem, tmo, sha, created);
}

/* ---- Option parsing shared by every command ----------------------------- */

enum {
    OPT_URL = 256,
    OPT_TOKEN,
    OPT_HELP,
    OPT_MEMORY,
    OPT_TIMEOUT,
    OPT_PATH,
    OPT_JSON,
};

#define COMMON_OPTIONS                                                         \
    {"url", required_argument, NULL, OPT_URL},                                 \
        {"token", required_argument, NULL, OPT_TOKEN},                         \
    {                                                                          \
        "help", no_argument, NULL, OPT_HELP                                    \
    }

/* Handles --url, --token and --help; returns 1 if handled, -1 to exit
 * (help printed: *status says how), 0 if the option is not common. */
static int common_option(struct ctx *c, int opt, const char *usage, int *status)
{
    switch (opt) {
    case OPT_URL: c->url = optarg; return 1;
    case OPT_TOKEN: c->token = optarg; return 1;
    case OPT_HELP:
    case 'h':
        fputs(usage, stdout);
        *status = EXIT_OK;
        return -1;
    case '?':
        fprintf(stderr, "%s", usage);
        *status = EXIT_USAGE;
        return -1;
    default: return 0;
    }
}

static int want_args(int argc, char **argv, int n, const char *usage)
{
    if (argc - optind == n)
        return 0;
    errorf("%s: expected %d argument%s, got %d", argv[0], n, n == 1 ? "" : "s",
           argc - optind);
    fprintf(stderr, "%s", usage);
    return -1;
}

static int resolve_url(struct ctx *c)
{
    if (gw_url_parse(c->url, &c->u) == 0)
        return 0;
    errorf("bad URL '%s' (want http://HOST[:PORT])", c->url);
    return -1;
}

/* ---- deploy ------------------------------------------------------------- */

static const char deploy_usage[] =
    "usage: fnctl deploy NAME IMAGE [--memory N] [--timeout N]\n"
    "\n"
    "Deploys the ELF file IMAGE as a new version of function NAME.\n"
    "  --memory N    guest memory in MiB, even, 2..1024 (8); 16M, 1G work\n"
    "  --timeout N   wall-clock limit in ms, 1..60000 (1000); 500ms, 2s\n";

static int deploy_send(struct ctx *c, const char *name, struct gw_buf *img,
                       const char *query)
{
    struct gw_client_resp r;
    char path[512];
    json_t *j;
    int rc;

    snprintf(path, sizeof(path), "/api/v1/functions/%s%s", name, query);
    rc = call(c, "deploy", "PUT", path, "application/octet-stream", img->data,
              img->len, &r);
    if (rc)
        return rc;
    j = body_json(&r, "deploy");
    if (j)
        printf("deployed %s version %lld (image %.12s, %lld MiB, %lld ms)\n",
               jstr(j, "name"), jint(j, "version"), jstr(j, "image_sha"),
               jint(j, "memory_mib"), jint(j, "timeout_ms"));
    json_decref(j);
    gw_client_resp_free(&r);
    return j ? EXIT_OK : EXIT_FAIL;
}

static int cmd_deploy(struct ctx *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"memory", required_argument, NULL, OPT_MEMORY},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        COMMON_OPTIONS,
        {NULL, 0, NULL, 0}};
    struct gw_buf img = {0}, q = {0};
    uint32_t mem = 0, tmo = 0;
    int opt, rc, status;

    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if ((rc = common_option(c, opt, deploy_usage, &status)) < 0)
            return status;
        if (rc)
            continue;
        if (opt == OPT_MEMORY && parse_memory(optarg, &mem) == 0)
            continue;
        if (opt == OPT_TIMEOUT && parse_timeout(optarg, &tmo) == 0)
            continue;
        errorf("bad value '%s' for --%s", optarg,
               opt == OPT_MEMORY ? "memory" : "timeout");
        return EXIT_USAGE;
    }
    if (want_args(argc, argv, 2, deploy_usage) || resolve_url(c))
        return EXIT_USAGE;
    rc = read_file(argv[optind + 1], &img);
    if (rc < 0) {
        errorf("deploy: cannot read %s: %s", argv[optind + 1], strerror(-rc));
        return EXIT_FAIL;
    }
    if (mem)
        gw_buf_addf(&q, "%smemory_mib=%" PRIu32, q.len ? "&" : "?", mem);
    if (tmo)
        gw_buf_addf(&q, "%stimeout_ms=%" PRIu32, q.len ? "&" : "?", tmo);
    rc = deploy_send(c, argv[optind], &img, q.data ? q.data : "");
    gw_buf_free(&img);
    gw_buf_free(&q);
    return rc;
}

/* ---- invoke ------------------------------------------------------------- */

static const char invoke_usage[] =
    "usage: fnctl invoke NAME [-d DATA | -d @FILE | -d @-] [-X METHOD]\n"
    "                    [-H 'Name: value']... [--path /REST] [-v]\n"
    "\n"
    "Calls function NAME and prints the response body on stdout. With -d\n"
    "the method defaults to POST, else GET. -v prints the status and\n"
    "headers (Server-Timing among them) on stderr. A status other than\n"
    "2xx exits 1, with the reason on stderr.\n";

struct invoke_args {
    const char *method;
    const char *rest;
    struct gw_buf data;
    struct gw_buf headers;
    int has_data;
    int verbose;
};

static void print_headers(const struct gw_client_resp *r)
{
    const char *p = r->headers.data, *end = p + r->headers.len;

    fprintf(stderr, "HTTP %d\n", r->status);
    while (p && p < end) {
        fprintf(stderr, "%s: ", p);
        p += strlen(p) + 1;
        fprintf(stderr, "%s\n", p);
        p += strlen(p) + 1;
    }
}

static int invoke_send(struct ctx *c, const char *name, struct invoke_args *a)
{
    struct gw_client_resp r;
    char path[8192], err[256], what[128];
    int rc;

    snprintf(path, sizeof(path), "/fn/%s%s", name, a->rest);
    snprintf(what, sizeof(what), "invoke %s", name);
    rc = gw_client_do(&c->u, a->method, path, a->headers.data, a->data.data,
                      a->data.len, &r, err, sizeof(err));
    if (rc == GW_CLIENT_EREACH) {
        errorf("%s: cannot reach fnd at %s: %s", what, c->url, err);
        return EXIT_UNREACHABLE;
    }
    if (rc < 0) {
        errorf("%s: %s", what, err);
        return EXIT_FAIL;
    }
    if (a->verbose)
        print_headers(&r);
    rc = EXIT_OK;
    if (r.status < 200 || r.status > 299) {
        print_failure(what, &r);
        rc = EXIT_FAIL;
    } else if (r.body.len &&
               fwrite(r.body.data, 1, r.body.len, stdout) != r.body.len) {
        rc = EXIT_FAIL;
    }
    gw_client_resp_free(&r);
    if (fflush(stdout) != 0)
        rc = EXIT_FAIL;
    return rc;
}

static int invoke_header(struct invoke_args *a, const char *h)
{
    if (!strchr(h, ':') || strpbrk(h, "\r\n")) {
        errorf("bad header '%s' (want 'Name: value')", h);
        return -1;
    }
    gw_buf_addf(&a->headers, "%s\r\n", h);
    return 0;
}

static int cmd_invoke(struct ctx *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"data", required_argument, NULL, 'd'},
        {"request", required_argument, NULL, 'X'},
        {"header", required_argument, NULL, 'H'},
        {"path", required_argument, NULL, OPT_PATH},
        {"verbose", no_argument, NULL, 'v'},
        COMMON_OPTIONS,
        {NULL, 0, NULL, 0}};
    struct invoke_args a = {.rest = ""};
    int opt, rc, status = EXIT_USAGE;

    while ((opt = getopt_long(argc, argv, "hd:X:H:v", opts, NULL)) != -1) {
        if ((rc = common_option(c, opt, invoke_usage, &status)) < 0)
            goto out;
        if (rc)
            continue;
        if (opt == 'd') {
            gw_buf_reset(&a.data);
            a.has_data = 1;
            if (load_data(optarg, &a.data) < 0) {
                status = EXIT_FAIL;
                goto out;
            }
        } else if (opt == 'X') {
            a.method = optarg;
        } else if (opt == 'H') {
            if (invoke_header(&a, optarg) < 0)
                goto out;
        } else if (opt == OPT_PATH) {
            a.rest = optarg;
        } else if (opt == 'v') {
            a.verbose = 1;
        }
    }
    if (want_args(argc, argv, 1, invoke_usage) || resolve_url(c))
        goto out;
    if (a.rest[0] && a.rest[0] != '/' && a.rest[0] != '?') {
        errorf("--path must start with '/' or '?'");
        goto out;
    }
    if (!a.method)
        a.method = a.has_data ? "POST" : "GET";
    status = invoke_send(c, argv[optind], &a);
out:
    gw_buf_free(&a.data);
    gw_buf_free(&a.headers);
    return status;
}

/* ---- ls, inspect, logs, rm ---------------------------------------------- */

static const char ls_usage[] =
    "usage: fnctl ls\n\nLists the active version of every function.\n";

static int simple_options(struct ctx *c, int argc, char **argv,
                          const char *usage, int nargs, int *json)
{
    static const struct option opts[] = {{"json", no_argument, NULL, OPT_JSON},
                                         COMMON_OPTIONS,
                                         {NULL, 0, NULL, 0}};
    int opt, rc, status;

    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if ((rc = common_option(c, opt, usage, &status)) < 0)
            return status;
        if (rc)
            continue;
        if (opt == OPT_JSON && json) {
            *json = 1;
            continue;
        }
        fprintf(stderr, "%s", usage);
        return EXIT_USAGE;
    }
    if (want_args(argc, argv, nargs, usage) || resolve_url(c))
        return EXIT_USAGE;
    return -1;
}

static int cmd_ls(struct ctx *c, int argc, char **argv)
{
    struct table t = {.ncols = 6};
    struct gw_client_resp r;
    json_t *j, *f;
    size_t i;
    int rc;

    if ((rc = simple_options(c, argc, argv, ls_usage, 0, NULL)) >= 0)
        return rc;
    rc = call(c, "ls", "GET", "/api/v1/functions", NULL, NULL, 0, &r);
    if (rc)
        return rc;
    j = body_json(&r, "ls");
    gw_client_resp_free(&r);
    if (!j)
        return EXIT_FAIL;
    table_row(&t, "NAME", "VERSION", "MEMORY", "TIMEOUT", "IMAGE", "CREATED");
    json_array_foreach(json_object_get(j, "functions"), i, f) fn_row(&t, f, 1);
    table_print(&t);
    json_decref(j);
    return EXIT_OK;
}

static const char inspect_usage[] =
    "usage: fnctl inspect NAME [--json]\n"
    "\n"
    "Shows a function: its active version, all versions, and its recent\n"
    "invocations. --json prints fnd's answer as it is.\n";

static void inspect_invocations(json_t *invs)
{
    struct table t = {.ncols = 7};
    char st[16], boot[24], run[24], total[24], when[32];
    json_t *v;
    size_t i;

    table_row(&t, "REQUEST ID", "STARTED", "STATUS", "BOOT", "RUN", "TOTAL",
              "ERROR");
    json_array_foreach(invs, i, v)
    {
        snprintf(st, sizeof(st), "%lld", jint(v, "status"));
        snprintf(boot, sizeof(boot), "%.3f ms",
                 json_number_value(json_object_get(v, "boot_ms")));
        snprintf(run, sizeof(run), "%.3f ms",
                 json_number_value(json_object_get(v, "run_ms")));
        snprintf(total, sizeof(total), "%.3f ms",
                 json_number_value(json_object_get(v, "total_ms")));
        format_time(jint(v, "started_ms"), when, sizeof(when));
        table_row(&t, jstr(v, "request_id"), when, st, boot, run, total,
                  jstr(v, "error"));
    }
    table_print(&t);
}

static void inspect_print(json_t *j)
{
    struct table t = {.ncols = 5};
    char created[32];
    json_t *v;
    size_t i;

    format_time(jint(j, "created_ms"), created, sizeof(created));
    printf("name:     %s\nversion:  %lld\nimage:    %s\nmemory:   %lld MiB\n"
           "timeout:  %lld ms\ncreated:  %s\nloaded:   %s\n\n",
           jstr(j, "name"), jint(j, "version"), jstr(j, "image_sha"),
           jint(j, "memory_mib"), jint(j, "timeout_ms"), created,
           json_is_true(json_object_get(j, "loaded")) ? "yes" : "no");
    table_row(&t, "VERSION", "MEMORY", "TIMEOUT", "IMAGE", "CREATED");
    json_array_foreach(json_object_get(j, "versions"), i, v) fn_row(&t, v, 0);
    table_print(&t);
    if (json_array_size(json_object_get(j, "invocations")) == 0)
        return;
    printf("\n");
    inspect_invocations(json_object_get(j, "invocations"));
}

static int cmd_inspect(struct ctx *c, int argc, char **argv)
{
    struct gw_client_resp r;
    char path[256];
    int rc, raw = 0;
    json_t *j;

    if ((rc = simple_options(c, argc, argv, inspect_usage, 1, &raw)) >= 0)
        return rc;
    snprintf(path, sizeof(path), "/api/v1/functions/%s", argv[optind]);
    rc = call(c, "inspect", "GET", path, NULL, NULL, 0, &r);
    if (rc)
        return rc;
    if (raw) {
        fwrite(r.body.data, 1, r.body.len, stdout);
        gw_client_resp_free(&r);
        return EXIT_OK;
    }
    j = body_json(&r, "inspect");
    gw_client_resp_free(&r);
    if (!j)
        return EXIT_FAIL;
    inspect_print(j);
    json_decref(j);
    return EXIT_OK;
}

static const char logs_usage[] =
    "usage: fnctl logs NAME [-n N]\n"
    "\n"
    "Prints the guest log of the N (20) most recent invocations, oldest\n"
    "first.\n";

static void logs_print(json_t *invs)
{
    char when[32];
    const char *log;
    json_t *v;
    size_t i;

    for (i = json_array_size(invs); i-- > 0;) {
        v = json_array_get(invs, i);
        format_time(jint(v, "started_ms"), when, sizeof(when));
        printf("--- %s %s status=%lld total=%.3fms%s%s\n", when,
               jstr(v, "request_id"), jint(v, "status"),
               json_number_value(json_object_get(v, "total_ms")),
               *jstr(v, "error") ? " error=" : "", jstr(v, "error"));
        log = jstr(v, "log");
        fputs(log, stdout);
        if (*log && log[strlen(log) - 1] != '\n')
            putchar('\n');
    }
}

static int cmd_logs(struct ctx *c, int argc, char **argv)
{
    static const struct option opts[] = {COMMON_OPTIONS, {NULL, 0, NULL, 0}};
    struct gw_client_resp r;
    uint32_t n = 20;
    char path[256];
    int opt, rc, status;
    json_t *j;

    while ((opt = getopt_long(argc, argv, "hn:", opts, NULL)) != -1) {
        if ((rc = common_option(c, opt, logs_usage, &status)) < 0)
            return status;
        if (rc == 0 && (opt != 'n' || parse_count(optarg, &n) || !n)) {
            errorf("bad -n '%s'", optarg);
            return EXIT_USAGE;
        }
    }
    if (want_args(argc, argv, 1, logs_usage) || resolve_url(c))
        return EXIT_USAGE;
    snprintf(path, sizeof(path),
             "/api/v1/functions/%s/invocations?limit=%" PRIu32, argv[optind],
             n);
    rc = call(c, "logs", "GET", path, NULL, NULL, 0, &r);
    if (rc)
        return rc;
    j = body_json(&r, "logs");
    gw_client_resp_free(&r);
    if (!j)
        return EXIT_FAIL;
    logs_print(json_object_get(j, "invocations"));
    json_decref(j);
    return EXIT_OK;
}

static const char rm_usage[] =
    "usage: fnctl rm NAME\n\nDeletes every version of function NAME.\n";

static int cmd_rm(struct ctx *c, int argc, char **argv)
{
    struct gw_client_resp r;
    char path[256];
    int rc;

    if ((rc = simple_options(c, argc, argv, rm_usage, 1, NULL)) >= 0)
        return rc;
    snprintf(path, sizeof(path), "/api/v1/functions/%s", argv[optind]);
    rc = call(c, "rm", "DELETE", path, NULL, NULL, 0, &r);
    if (rc)
        return rc;
    gw_client_resp_free(&r);
    printf("deleted %s\n", argv[optind]);
    return EXIT_OK;
}

/* ---- run: boot locally -------------------------------------------------- */

static const char run_usage[] =
    "usage: fnctl run IMAGE [-d DATA | -d @FILE] [-X METHOD] [--path PATH]\n"
    "                 [--memory N] [--timeout N]\n"
    "\n"
    "Boots IMAGE in a fresh VM in this process (no fnd needed; /dev/kvm\n"
    "is) and prints the response body on stdout; the guest log and the\n"
    "timings go to stderr. Exits 1 if the guest fails or answers non-2xx.\n";

struct run_args {
    const char *method;
    const char *path;
    uint32_t memory_mib;
    uint32_t timeout_ms;
    struct gw_buf data;
    int has_data;
};

static const char *error_name(enum vmm_error e)
{
    switch (e) {
    case VMM_OK: return "none";
    case VMM_ECRASH: return "crash";
    case VMM_ETIMEOUT: return "timeout";
    case VMM_ELIMIT: return "limit";
    case VMM_EHOST: return "host";
    default: return "unknown";
    }
}

static void run_report(const struct vmm_result *res)
{
    const struct vmm_timings *t = &res->t;

    if (res->log_len)
        fprintf(stderr, "%.*s%s", (int)res->log_len, res->log,
                res->log[res->log_len - 1] == '\n' ? "" : "\n");
    if (res->log_truncated)
        gw_warn("guest log truncated", "bytes=%zu", res->log_len);
    gw_info("invoked",
            "status=%d exits=%u wait_ms=%.3f boot_ms=%.3f run_ms=%.3f "
            "total_ms=%.3f",
            res->status, res->exits, t->wait / 1e6,
            (t->load + t->enter + t->start) / 1e6, t->run / 1e6,
            t->total / 1e6);
}

static int run_invoke(struct vmm *vmm, struct vmm_image *img,
                      struct run_args *a)
{
    struct vmm_request req = {0};
    struct vmm_result res = {0};
    const char *q = strchr(a->path, '?');
    char path[4096];
    int rc = EXIT_OK;

    snprintf(path, sizeof(path), "%.*s",
             (int)(q ? (size_t)(q - a->path) : strlen(a->path)), a->path);
    req.method = a->method;
    req.path = path;
    req.query = q ? q + 1 : NULL;
    req.body = a->data.data;
    req.body_len = a->data.len;
    req.trigger = MF_TRIGGER_HTTP;
    req.timeout_ms = a->timeout_ms;
    if (vmm_invoke(vmm, img, &req, NULL, &res) != VMM_OK) {
        gw_error("invocation failed", "error=%s reason=\"%s\"",
                 error_name(res.error), res.reason);
        rc = EXIT_FAIL;
    } else {
        run_report(&res);
        if (res.body_len &&
            fwrite(res.body, 1, res.body_len, stdout) != res.body_len)
            rc = EXIT_FAIL;
        if (res.status < 200 || res.status > 299)
            rc = EXIT_FAIL;
    }
    vmm_result_free(&res);
    return rc;
}

static int run_image(const char *file, struct run_args *a)
{
    struct vmm_config cfg = {.pool_size = 1};
    struct vmm_image *img;
    struct gw_buf elf = {0};
    struct vmm *vmm;
    char err[256] = "";
    int rc;

    rc = read_file(file, &elf);
    if (rc < 0) {
        errorf("run: cannot read %s: %s", file, strerror(-rc));
        return EXIT_FAIL;
    }
    rc = vmm_open(&vmm, &cfg, err, sizeof(err));
    if (rc < 0) {
        errorf("run: cannot start the VMM: %s", err);
        goto err_elf;
    }
    rc = vmm_image_load(vmm, elf.data, elf.len, a->memory_mib, &img, err,
                        sizeof(err));
    if (rc < 0) {
        errorf("run: %s: %s", file, err);
        goto err_vmm;
    }
    rc = run_invoke(vmm, img, a);
    vmm_image_put(img);
    vmm_close(vmm);
    gw_buf_free(&elf);
    return fflush(stdout) ? EXIT_FAIL : rc;

err_vmm:
    vmm_close(vmm);
err_elf:
    gw_buf_free(&elf);
    return EXIT_FAIL;
}

static int run_option(int opt, struct run_args *a)
{
    switch (opt) {
    case 'd':
        gw_buf_reset(&a->data);
        a->has_data = 1;
        return load_data(optarg, &a->data) < 0 ? -1 : 0;
    case 'X': a->method = optarg; return 0;
    case OPT_PATH: a->path = optarg; return optarg[0] == '/' ? 0 : -1;
    case OPT_MEMORY: return parse_memory(optarg, &a->memory_mib);
    case OPT_TIMEOUT: return parse_timeout(optarg, &a->timeout_ms);
    default: return -1;
    }
}

static int cmd_run(struct ctx *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"data", required_argument, NULL, 'd'},
        {"request", required_argument, NULL, 'X'},
        {"path", required_argument, NULL, OPT_PATH},
        {"memory", required_argument, NULL, OPT_MEMORY},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        COMMON_OPTIONS,
        {NULL, 0, NULL, 0}};
    struct run_args a = {.path = "/", .memory_mib = 8, .timeout_ms = 1000};
    int opt, rc, status = EXIT_USAGE;

    while ((opt = getopt_long(argc, argv, "hd:X:", opts, NULL)) != -1) {
        if ((rc = common_option(c, opt, run_usage, &status)) < 0)
            goto out;
        if (rc == 0 && run_option(opt, &a) < 0) {
            errorf("run: bad value '%s'", optarg);
            status = EXIT_USAGE;
            goto out;
        }
    }
    if (want_args(argc, argv, 1, run_usage))
        goto out;
    if (!a.method)
        a.method = a.has_data ? "POST" : "GET";
    status = run_image(argv[optind], &a);
out:
    gw_buf_free(&a.data);
    return status;
}

/* ---- main --------------------------------------------------------------- */

static const struct command commands[] = {
    {"deploy", cmd_deploy, deploy_usage},
    {"invoke", cmd_invoke, invoke_usage},
    {"ls", cmd_ls, ls_usage},
    {"inspect", cmd_inspect, inspect_usage},
    {"logs", cmd_logs, logs_usage},
    {"rm", cmd_rm, rm_usage},
    {"run", cmd_run, run_usage},
};

static const struct command *find_command(const char *name)
{
    size_t i;

    for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {COMMON_OPTIONS, {NULL, 0, NULL, 0}};
    const struct command *cmd;
    struct ctx c = {.url = getenv("FN_URL"), .token = getenv("FN_TOKEN")};
    int opt, rc, status;

    if (!c.url || !*c.url)
        c.url = DEFAULT_URL;
    if (c.token && !*c.token)
        c.token = NULL;
    while ((opt = getopt_long(argc, argv, "+h", opts, NULL)) != -1)
        if ((rc = common_option(&c, opt, main_usage, &status)) < 0)
            return status;
    if (optind >= argc) {
        fputs(main_usage, stderr);
        return EXIT_USAGE;
    }
    cmd = find_command(argv[optind]);
    if (!cmd) {
        errorf("unknown command '%s' (try fnctl --help)", argv[optind]);
        return EXIT_USAGE;
    }
    argc -= optind;
    argv += optind;
    optind = 0; /* glibc: start over, permuting options after operands */
    return cmd->run(&c, argc, argv);
}
