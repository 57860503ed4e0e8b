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
#include "gateway/fnbench.h"
#include "gateway/url.h"
#include "gateway/log.h"
#include "gateway/s3cred.h"
#include "gateway/token.h"
#include "mayfly_abi.h"
#include "vmm/vmm.h"

#define EXIT_OK 0
#define EXIT_FAIL 1 /* request failed or the function failed */
#define EXIT_USAGE 2
#define EXIT_UNREACHABLE 3 /* fnd cannot be reached */
#define EXIT_DENIED 4      /* fnd wants a (valid) admin token */

#define DEFAULT_URL "http://127.0.0.1:8080"
#define MAX_INPUT (1u << 30)

struct ctx {
    const char *url;
    const char *token;
    const char *data; /* --data: where to look for the token file */
    char token_buf[GW_TOKEN_MAX + 1];
    int token_looked; /* the token file has been looked for */
    int json;         /* -o json */
    struct gw_url u;
};

struct command {
    const char *name;
    int (*run)(struct ctx *c, int argc, char **argv);
    const char *usage;
};

static const char main_usage[] =
    "usage: fnctl [--url URL] [--token TOKEN] [--data DIR] [-o json]\n"
    "             COMMAND [ARGS]\n"
    "\n"
    "Commands:\n"
    "  deploy NAME IMAGE [--memory N] [--timeout N] [--env K=V]...\n"
    "         [--route 'GET /path*']... [--max-body N] [--concurrency N]\n"
    "         [--on-object BUCKET[/PREFIX][:SUFFIX] [--events put,delete]]...\n"
    "                                     deploy an ELF image as a new\n"
    "                                     version of NAME\n"
    "  invoke NAME [-d DATA | -d @FILE]   call a function\n"
    "  ls                                 list functions\n"
    "  inspect NAME                       show a function and its versions\n"
    "  rollback NAME [VERSION]            make an older version active\n"
    "  logs NAME [-n N] [-f]              recent invocations, timings and\n"
    "                                     guest logs; -f follows\n"
    "  rm NAME                            delete a function\n"
    "  run IMAGE [-d DATA]                boot an image here, without fnd\n"
    "  events [--failed] [--function F]   object events waiting, or dead\n"
    "  events redrive [ID] [--function F] retry dead letters\n"
    "  s3-credentials                     the built-in S3 store's keys\n"
    "  bench NAME [-n N] [-c C] [-d DATA] HTTP load on a deployed function:\n"
    "                                     latency percentiles, requests/s,\n"
    "                                     fresh VMs counted from /metrics\n"
    "\n"
    "Options (before or after the command):\n"
    "  --url URL      fnd's address ($FN_URL, else " DEFAULT_URL ")\n"
    "  --token TOKEN  admin token for changes ($FN_TOKEN; else read from\n"
    "                 the data folder's admin.token)\n"
    "  --data DIR     fnd's data folder, to find admin.token in "
    "($MAYFLY_DATA,\n"
    "                 else ./mayfly-data)\n"
    "  -o FORMAT      table (for people, the default) or json (for scripts);\n"
    "                 invoke and run print the function's response as is\n"
    "  --help         this text; `fnctl COMMAND --help` for a command\n"
    "\n"
    "Exit status: 0 ok, 1 the request or the function failed, 2 usage\n"
    "error, 3 cannot reach fnd, 4 fnd refused the admin token (missing or\n"
    "wrong).\n";

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

/* --token or $FN_TOKEN, else admin.token in the data folder: --data,
 * $MAYFLY_DATA, or ./mayfly-data when it is there. */
static const char *find_token(struct ctx *c)
{
    const char *dir = c->data, *env = getenv("MAYFLY_DATA");
    int rc;

    if (c->token || c->token_looked)
        return c->token;
    c->token_looked = 1;
    if (!dir)
        dir = env && *env ? env : "./mayfly-data";
    rc = gw_token_load(dir, c->token_buf);
    if (rc == 0)
        c->token = c->token_buf;
    else if (rc == -EPERM)
        errorf("ignoring %s/%s: others may read it (chmod 600)", dir,
               GW_TOKEN_FILE);
    else if (rc != -ENOENT || c->data)
        errorf("cannot read the admin token %s/%s: %s", dir, GW_TOKEN_FILE,
               strerror(-rc));
    return c->token;
}

static void auth_header(struct ctx *c, struct gw_buf *h)
{
    if (find_token(c))
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
        if (r->status == 401 && !c->token)
            errorf("no admin token: give --token, set $FN_TOKEN, or point "
                   "--data at fnd's data folder");
        rc = r->status == 401 || r->status == 403 ? EXIT_DENIED : EXIT_FAIL;
        gw_client_resp_free(r);
        return rc;
    }
    return EXIT_OK;
}

/* -o json: fnd's answer as it is. */
static int print_raw(struct gw_client_resp *r)
{
    fwrite(r->body.data, 1, r->body.len, stdout);
    if (r->body.len && r->body.data[r->body.len - 1] != '\n')
        putchar('\n');
    gw_client_resp_free(r);
    return fflush(stdout) ? EXIT_FAIL : EXIT_OK;
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
    OPT_DATA,
    OPT_HELP,
    OPT_MEMORY,
    OPT_TIMEOUT,
    OPT_PATH,
    OPT_JSON,
    OPT_ON_OBJECT,
    OPT_EVENTS,
    OPT_FUNCTION,
    OPT_FAILED,
    OPT_PENDING,
    OPT_RUNNING,
    OPT_ENV,
    OPT_ROUTE,
    OPT_MAX_BODY,
    OPT_CONCURRENCY,
    OPT_FOLLOW,
};

#define COMMON_OPTIONS                                                         \
    {"url", required_argument, NULL, OPT_URL},                                 \
        {"token", required_argument, NULL, OPT_TOKEN},                         \
        {"data", required_argument, NULL, OPT_DATA},                           \
        {"output", required_argument, NULL, 'o'},                              \
    {                                                                          \
        "help", no_argument, NULL, OPT_HELP                                    \
    }

/* Handles --url, --token, --data, -o and --help; returns 1 if handled, -1
 * to exit (help printed: *status says how), 0 if the option is not
 * common. Every command's short options include "ho:". */
static int common_option(struct ctx *c, int opt, const char *usage, int *status)
{
    switch (opt) {
    case OPT_URL: c->url = optarg; return 1;
    case OPT_TOKEN: c->token = *optarg ? optarg : NULL; return 1;
    case OPT_DATA: c->data = optarg; return 1;
    case 'o':
        if (strcmp(optarg, "json") == 0 || strcmp(optarg, "table") == 0) {
            c->json = optarg[0] == 'j';
            return 1;
        }
        errorf("-o wants table or json, got '%s'", optarg);
        *status = EXIT_USAGE;
        return -1;
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
    "                    [--env NAME=VALUE]... [--route 'METHOD /path']...\n"
    "                    [--max-body N] [--concurrency N]\n"
    "                    [--on-object BUCKET[/PREFIX][:SUFFIX]\n"
    "                     [--events put,delete]]... [-o json]\n"
    "\n"
    "Deploys the ELF file IMAGE as a new, immutable version of function\n"
    "NAME and makes it the active one (fnctl rollback goes back). Every\n"
    "setting belongs to the version: what is not given is not inherited.\n"
    "  --memory N       guest memory in MiB, even, 2..1024 (8); 16M, 1G work\n"
    "  --timeout N      wall-clock limit in ms, 1..60000 (1000); 500ms, 2s\n"
    "  --env NAME=VALUE an environment variable the function reads with\n"
    "                   mf_env(); repeatable, 4 KiB in all\n"
    "  --route SPEC     also serve the function at 'METHOD /path' ('GET\n"
    "                   /users/*': a final '*' matches any rest; no method\n"
    "                   or ANY: every method); repeatable, 16 at most\n"
    "  --max-body N     largest request body, in bytes (fnd's --max-body);\n"
    "                   64k, 2m work; larger bodies get 413\n"
    "  --concurrency N  invocations at once; more get 429 (0: no limit)\n"
    "  --on-object SPEC run on writes to the built-in object store (or\n"
    "                   notifications posted to /hooks/s3) in bucket BUCKET,\n"
    "                   for keys that start with PREFIX and end in SUFFIX\n"
    "                   (the last ':' starts SUFFIX); repeatable\n"
    "  --events LIST    which events the --on-object before it takes:\n"
    "                   put (ObjectCreated:*), delete (ObjectRemoved:*) or\n"
    "                   put,delete (default: put)\n";

/* Appends "&key=" and value, %-encoded, to the query. */
static void query_add(struct gw_buf *q, const char *key, const char *value)
{
    char *v = gw_url_encode(value, strlen(value), GW_URL_KEEP_SLASH);

    if (!v) {
        q->err = -ENOMEM;
        return;
    }
    gw_buf_addf(q, "%c%s=%s", q->len ? '&' : '?', key, v);
    free(v);
}

/* "on-object: texts/in/:.txt (put,delete)" per object trigger. */
static void print_triggers(json_t *triggers, const char *indent)
{
    struct gw_buf ev = {0};
    json_t *t, *e;
    size_t i, k;

    json_array_foreach(triggers, i, t)
    {
        gw_buf_reset(&ev);
        json_array_foreach(json_object_get(t, "events"), k, e)
            gw_buf_addf(&ev, "%s%s", k ? "," : "", json_string_value(e));
        printf("%son-object: %s%s%s%s%s (%s)\n", indent, jstr(t, "bucket"),
               *jstr(t, "prefix") ? "/" : "", jstr(t, "prefix"),
               *jstr(t, "suffix") ? ":" : "", jstr(t, "suffix"),
               ev.data ? ev.data : "put");
    }
    gw_buf_free(&ev);
}

static void print_config(json_t *cfg, const char *indent)
{
    json_t *env = json_object_get(cfg, "env"), *v;
    const char *name;
    size_t i;

    json_object_foreach(env, name, v)
        printf("%senv:      %s=%s\n", indent, name,
               json_is_string(v) ? json_string_value(v) : "(hidden)");
    json_array_foreach(json_object_get(cfg, "routes"), i, v)
        printf("%sroute:    %s\n", indent, json_string_value(v));
    print_triggers(json_object_get(cfg, "triggers"), indent);
    if ((v = json_object_get(cfg, "max_body")))
        printf("%smax body: %lld bytes\n", indent,
               (long long)json_integer_value(v));
    if ((v = json_object_get(cfg, "concurrency")))
        printf("%sconcurrency: %lld\n", indent,
               (long long)json_integer_value(v));
}

static int deploy_send(struct ctx *c, const char *name, struct gw_buf *img,
                       const char *query)
{
    struct gw_client_resp r;
    struct gw_buf path = {0};
    json_t *j;
    int rc;

    gw_buf_addf(&path, "/api/v1/functions/%s%s", name, query);
    rc = path.err ? EXIT_FAIL
                  : call(c, "deploy", "PUT", path.data,
                         "application/octet-stream", img->data, img->len, &r);
    gw_buf_free(&path);
    if (rc)
        return rc;
    if (c->json)
        return print_raw(&r);
    j = body_json(&r, "deploy");
    if (j) {
        printf("deployed %s version %lld (image %.12s, %lld MiB, %lld ms)\n",
               jstr(j, "name"), jint(j, "version"), jstr(j, "image_sha"),
               jint(j, "memory_mib"), jint(j, "timeout_ms"));
        print_config(json_object_get(j, "config"), "  ");
    }
    json_decref(j);
    gw_client_resp_free(&r);
    return j ? EXIT_OK : EXIT_FAIL;
}

static int parse_bytes(const char *s, uint32_t *n)
{
    static const struct unit u[] = {
        {"", 1},         {"b", 1},         {"k", 1024},
        {"kb", 1024},    {"kib", 1024},    {"m", 1 << 20},
        {"mb", 1 << 20}, {"mib", 1 << 20}, {NULL, 0},
    };

    return parse_with_unit(s, u, n) || *n == 0 ? -1 : 0;
}

/* One deploy option into the query; returns 0 or -1 (bad value). */
static int deploy_option(int opt, struct gw_buf *q)
{
    char num[16];
    uint32_t v;

    switch (opt) {
    case OPT_MEMORY:
    case OPT_TIMEOUT:
    case OPT_MAX_BODY:
    case OPT_CONCURRENCY:
        if ((opt == OPT_MEMORY && parse_memory(optarg, &v)) ||
            (opt == OPT_TIMEOUT && parse_timeout(optarg, &v)) ||
            (opt == OPT_MAX_BODY && parse_bytes(optarg, &v)) ||
            (opt == OPT_CONCURRENCY && parse_count(optarg, &v)))
            return -1;
        snprintf(num, sizeof(num), "%" PRIu32, v);
        query_add(q,
                  opt == OPT_MEMORY     ? "memory_mib"
                  : opt == OPT_TIMEOUT  ? "timeout_ms"
                  : opt == OPT_MAX_BODY ? "max_body"
                                        : "concurrency",
                  num);
        return 0;
    case OPT_ENV:
        if (!strchr(optarg, '='))
            return -1;
        query_add(q, "env", optarg);
        return 0;
    case OPT_ROUTE: query_add(q, "route", optarg); return 0;
    case OPT_ON_OBJECT: query_add(q, "on_object", optarg); return 0;
    case OPT_EVENTS: query_add(q, "events", optarg); return 0;
    default: return -1;
    }
}

static int cmd_deploy(struct ctx *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"memory", required_argument, NULL, OPT_MEMORY},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"env", required_argument, NULL, OPT_ENV},
        {"route", required_argument, NULL, OPT_ROUTE},
        {"max-body", required_argument, NULL, OPT_MAX_BODY},
        {"concurrency", required_argument, NULL, OPT_CONCURRENCY},
        {"on-object", required_argument, NULL, OPT_ON_OBJECT},
        {"events", required_argument, NULL, OPT_EVENTS},
        COMMON_OPTIONS,
        {NULL, 0, NULL, 0}};
    struct gw_buf img = {0}, q = {0};
    int opt, rc, status = EXIT_USAGE;

    while ((opt = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
        if ((rc = common_option(c, opt, deploy_usage, &status)) < 0)
            goto out;
        if (rc)
            continue;
        if (deploy_option(opt, &q) < 0) {
            errorf("deploy: bad value '%s'", optarg ? optarg : "");
            goto out;
        }
    }
    if (want_args(argc, argv, 2, deploy_usage) || resolve_url(c))
        goto out;
    rc = read_file(argv[optind + 1], &img);
    if (rc < 0) {
        errorf("deploy: cannot read %s: %s", argv[optind + 1], strerror(-rc));
        status = EXIT_FAIL;
        goto out;
    }
    status = q.err ? EXIT_FAIL
                   : deploy_send(c, argv[optind], &img, q.data ? q.data : "");
out:
    gw_buf_free(&img);
    gw_buf_free(&q);
    return status;
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

    while ((opt = getopt_long(argc, argv, "ho:d:X:H:v", opts, NULL)) != -1) {
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

static const char ls_usage[] = "usage: fnctl ls [-o json]\n"
                               "\n"
                               "Lists the active version of every function.\n";

/* Options of commands that take only the common ones (and --json, the
 * same as -o json); returns -1 to go on, else the exit status. */
static int simple_options(struct ctx *c, int argc, char **argv,
                          const char *usage, int nargs)
{
    static const struct option opts[] = {{"json", no_argument, NULL, OPT_JSON},
                                         COMMON_OPTIONS,
                                         {NULL, 0, NULL, 0}};
    int opt, rc, status;

    while ((opt = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
        if ((rc = common_option(c, opt, usage, &status)) < 0)
            return status;
        if (rc)
            continue;
        if (opt == OPT_JSON) {
            c->json = 1;
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

    if ((rc = simple_options(c, argc, argv, ls_usage, 0)) >= 0)
        return rc;
    rc = call(c, "ls", "GET", "/api/v1/functions", NULL, NULL, 0, &r);
    if (rc)
        return rc;
    if (c->json)
        return print_raw(&r);
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
    "usage: fnctl inspect NAME [-o json]\n"
    "\n"
    "Shows a function: its active version and settings, every version\n"
    "(the active one marked *), and its recent invocations. Env values\n"
    "show only with the admin token.\n";

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

/* "env 2, routes 1, max body 1024, concurrency 4", or "". */
static void config_summary(json_t *cfg, char *buf, size_t len)
{
    struct gw_buf b = {0};
    json_t *v;

    if (json_object_size(json_object_get(cfg, "env")))
        gw_buf_addf(&b, "env %zu",
                    json_object_size(json_object_get(cfg, "env")));
    if (json_array_size(json_object_get(cfg, "routes")))
        gw_buf_addf(&b, "%sroutes %zu", b.len ? ", " : "",
                    json_array_size(json_object_get(cfg, "routes")));
    if ((v = json_object_get(cfg, "max_body")))
        gw_buf_addf(&b, "%smax body %lld", b.len ? ", " : "",
                    (long long)json_integer_value(v));
    if ((v = json_object_get(cfg, "concurrency")))
        gw_buf_addf(&b, "%sconcurrency %lld", b.len ? ", " : "",
                    (long long)json_integer_value(v));
    snprintf(buf, len, "%s", b.data && !b.err ? b.data : "");
    gw_buf_free(&b);
}

static void inspect_versions(json_t *j)
{
    char ver[24], mem[24], tmo[24], created[32], sha[16], cfg[160];
    struct table t = {.ncols = 6};
    long long active = jint(j, "version");
    json_t *v;
    size_t i;

    table_row(&t, "VERSION", "MEMORY", "TIMEOUT", "IMAGE", "CREATED",
              "SETTINGS");
    json_array_foreach(json_object_get(j, "versions"), i, v)
    {
        snprintf(ver, sizeof(ver), "%lld%s", jint(v, "version"),
                 jint(v, "version") == active ? " *" : "");
        snprintf(mem, sizeof(mem), "%lld MiB", jint(v, "memory_mib"));
        snprintf(tmo, sizeof(tmo), "%lld ms", jint(v, "timeout_ms"));
        snprintf(sha, sizeof(sha), "%.12s", jstr(v, "image_sha"));
        format_time(jint(v, "created_ms"), created, sizeof(created));
        config_summary(json_object_get(v, "config"), cfg, sizeof(cfg));
        table_row(&t, ver, mem, tmo, sha, created, cfg);
    }
    table_print(&t);
}

static void inspect_print(json_t *j)
{
    char created[32];

    format_time(jint(j, "created_ms"), created, sizeof(created));
    printf("name:     %s\nversion:  %lld\nimage:    %s\nmemory:   %lld MiB\n"
           "timeout:  %lld ms\ncreated:  %s\nloaded:   %s\n"
           "inflight: %lld\n",
           jstr(j, "name"), jint(j, "version"), jstr(j, "image_sha"),
           jint(j, "memory_mib"), jint(j, "timeout_ms"), created,
           json_is_true(json_object_get(j, "loaded")) ? "yes" : "no",
           jint(j, "inflight"));
    print_config(json_object_get(j, "config"), "");
    printf("\n");
    inspect_versions(j);
    if (json_array_size(json_object_get(j, "invocations")) == 0)
        return;
    printf("\n");
    inspect_invocations(json_object_get(j, "invocations"));
}

static int cmd_inspect(struct ctx *c, int argc, char **argv)
{
    struct gw_client_resp r;
    char path[256];
    json_t *j;
    int rc;

    if ((rc = simple_options(c, argc, argv, inspect_usage, 1)) >= 0)
        return rc;
    snprintf(path, sizeof(path), "/api/v1/functions/%s", argv[optind]);
    /* With the token, fnd shows env values too. */
    rc = call(c, "inspect", "GET", path, NULL, NULL, 0, &r);
    if (rc)
        return rc;
    if (c->json)
        return print_raw(&r);
    j = body_json(&r, "inspect");
    gw_client_resp_free(&r);
    if (!j)
        return EXIT_FAIL;
    inspect_print(j);
    json_decref(j);
    return EXIT_OK;
}

static const char rollback_usage[] =
    "usage: fnctl rollback NAME [VERSION] [-o json]\n"
    "\n"
    "Makes VERSION of function NAME the active one again, with the image\n"
    "and settings it was deployed with; without VERSION, the newest version\n"
    "older than the active one. Versions never change; fnctl inspect lists\n"
    "them.\n";

static int cmd_rollback(struct ctx *c, int argc, char **argv)
{
    static const struct option opts[] = {COMMON_OPTIONS, {NULL, 0, NULL, 0}};
    struct gw_client_resp r;
    int opt, rc, status, nargs;
    uint32_t version = 0;
    char path[256];
    json_t *j;

    while ((opt = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
        if ((rc = common_option(c, opt, rollback_usage, &status)) < 0)
            return status;
        if (rc == 0) {
            fprintf(stderr, "%s", rollback_usage);
            return EXIT_USAGE;
        }
    }
    nargs = argc - optind;
    if (nargs == 2 && (parse_count(argv[optind + 1], &version) || !version)) {
        errorf("rollback: bad version '%s'", argv[optind + 1]);
        return EXIT_USAGE;
    }
    if ((nargs != 2 && want_args(argc, argv, 1, rollback_usage)) ||
        resolve_url(c))
        return EXIT_USAGE;
    if (version)
        snprintf(path, sizeof(path),
                 "/api/v1/functions/%s/rollback?version=%" PRIu32, argv[optind],
                 version);
    else
        snprintf(path, sizeof(path), "/api/v1/functions/%s/rollback",
                 argv[optind]);
    rc = call(c, "rollback", "POST", path, NULL, NULL, 0, &r);
    if (rc)
        return rc;
    if (c->json)
        return print_raw(&r);
    j = body_json(&r, "rollback");
    gw_client_resp_free(&r);
    if (!j)
        return EXIT_FAIL;
    printf("%s: version %lld is active (image %.12s, %lld MiB, %lld ms)\n",
           jstr(j, "name"), jint(j, "version"), jstr(j, "image_sha"),
           jint(j, "memory_mib"), jint(j, "timeout_ms"));
    print_config(json_object_get(j, "config"), "  ");
    json_decref(j);
    return EXIT_OK;
}

static const char logs_usage[] =
    "usage: fnctl logs NAME [-n N] [-f] [-o json]\n"
    "\n"
    "Prints the N (20) most recent invocations of NAME, oldest first: a\n"
    "row each (request id, start, version, status, the time spent waiting\n"
    "for a VM, booting, running and in all, the error if any) followed by\n"
    "the guest's log lines, indented. -f keeps printing new invocations as\n"
    "they come (Ctrl-C stops). -o json prints fnd's answer, or with -f one\n"
    "JSON object per invocation and line.\n";

#define FOLLOW_LIMIT 200
#define FOLLOW_MS 500

/* Whether a and b are the same invocation. fnd's answer carries no row
 * id, so this compares the start time and the request id. */
static int inv_same(json_t *a, json_t *b)
{
    return jint(a, "started_ms") == jint(b, "started_ms") &&
           strcmp(jstr(a, "request_id"), jstr(b, "request_id")) == 0;
}

/* How many invocations at the front of `cur` are newer than all of
 * `old`; both are fnd's answers, newest first. The log only grows at the
 * newest end, so the rows of `old` reappear in `cur` as one run after the
 * new ones: the first place where they all line up (as far as `cur`
 * reaches) ends the new rows. If none does, every row of `cur` is new. */
static size_t logs_newer(json_t *cur, json_t *old)
{
    size_t k, i, ncur = json_array_size(cur), nold = json_array_size(old);

    if (nold == 0)
        return ncur;
    for (k = 0; k < ncur; k++) {
        for (i = 0; i < nold && k + i < ncur; i++)
            if (!inv_same(json_array_get(cur, k + i), json_array_get(old, i)))
                break;
        if (i == nold || k + i == ncur)
            return k;
    }
    return ncur;
}

static double jms(json_t *v, const char *key)
{
    return json_number_value(json_object_get(v, key));
}

#define LOG_ROW "%-23s  %-19s  %3s  %6s  %9s  %9s  %9s  %9s%s%s\n"

static void log_header(int json)
{
    if (!json)
        printf(LOG_ROW, "REQUEST ID", "STARTED", "VER", "STATUS", "WAIT",
               "BOOT", "RUN", "TOTAL", "  ", "ERROR");
}

/* One invocation: a row of fixed columns (rows come one by one with -f),
 * then the guest's log lines, indented. */
static void log_print_one(json_t *v, int json)
{
    char when[32], ver[16], st[16], t[4][24], *s;
    static const char *const keys[4] = {"wait_ms", "boot_ms", "run_ms",
                                        "total_ms"};
    const char *log, *nl;
    int i;

    if (json) {
        s = json_dumps(v, JSON_COMPACT);
        if (s)
            printf("%s\n", s);
        free(s);
        return;
    }
    format_time(jint(v, "started_ms"), when, sizeof(when));
    snprintf(ver, sizeof(ver), "%lld", jint(v, "version"));
    snprintf(st, sizeof(st), "%lld", jint(v, "status"));
    for (i = 0; i < 4; i++)
        snprintf(t[i], sizeof(t[i]), "%.3f ms", jms(v, keys[i]));
    printf(LOG_ROW, jstr(v, "request_id"), when, ver, st, t[0], t[1], t[2],
           t[3], *jstr(v, "error") ? "  " : "", jstr(v, "error"));
    for (log = jstr(v, "log"); *log; log = nl ? nl + 1 : "") {
        nl = strchr(log, '\n');
        printf("    %.*s\n", (int)(nl ? (size_t)(nl - log) : strlen(log)), log);
    }
}

/* Prints the first n invocations of `invs` (newest first), oldest first. */
static void logs_print(json_t *invs, size_t n, int json)
{
    while (n-- > 0)
        log_print_one(json_array_get(invs, n), json);
    fflush(stdout);
}

static int logs_fetch(struct ctx *c, const char *name, uint32_t n, json_t **out)
{
    struct gw_client_resp r;
    char path[256];
    int rc;

    snprintf(path, sizeof(path),
             "/api/v1/functions/%s/invocations?limit=%" PRIu32, name, n);
    rc = call(c, "logs", "GET", path, NULL, NULL, 0, &r);
    if (rc)
        return rc;
    *out = body_json(&r, "logs");
    gw_client_resp_free(&r);
    return *out ? EXIT_OK : EXIT_FAIL;
}

/* -f: prints the n most recent invocations, then polls fnd and prints
 * those that came after, each once and in order, until fnd goes away. */
static int logs_follow(struct ctx *c, const char *name, uint32_t n)
{
    struct timespec pause = {0, FOLLOW_MS * 1000000L};
    json_t *j, *old = NULL, *invs;
    size_t fresh;
    int rc;

    log_header(c->json);
    for (;;) {
        rc = logs_fetch(c, name, n, &j);
        if (rc)
            break;
        invs = json_object_get(j, "invocations");
        fresh = logs_newer(invs, json_object_get(old, "invocations"));
        if (old && fresh == FOLLOW_LIMIT && !c->json)
            printf("--- (invocations may have been missed: more than %d "
                   "in %d ms)\n",
                   FOLLOW_LIMIT, FOLLOW_MS);
        logs_print(invs, fresh, c->json);
        json_decref(old);
        old = j;
        n = FOLLOW_LIMIT;
        nanosleep(&pause, NULL);
    }
    json_decref(old);
    return rc;
}

static int cmd_logs(struct ctx *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"follow", no_argument, NULL, 'f'}, COMMON_OPTIONS, {NULL, 0, NULL, 0}};
    struct gw_client_resp r;
    int opt, rc, status, follow = 0;
    uint32_t n = 20;
    char path[256];
    json_t *j, *invs;

    while ((opt = getopt_long(argc, argv, "ho:n:f", opts, NULL)) != -1) {
        if ((rc = common_option(c, opt, logs_usage, &status)) < 0)
            return status;
        if (rc)
            continue;
        if (opt == 'f') {
            follow = 1;
        } else if (opt != 'n' || parse_count(optarg, &n) || !n || n > 1000) {
            errorf("bad -n '%s' (1 to 1000)", optarg ? optarg : "");
            return EXIT_USAGE;
        }
    }
    if (want_args(argc, argv, 1, logs_usage) || resolve_url(c))
        return EXIT_USAGE;
    if (follow)
        return logs_follow(c, argv[optind], n);
    snprintf(path, sizeof(path),
             "/api/v1/functions/%s/invocations?limit=%" PRIu32, argv[optind],
             n);
    rc = call(c, "logs", "GET", path, NULL, NULL, 0, &r);
    if (rc)
        return rc;
    if (c->json)
        return print_raw(&r);
    j = body_json(&r, "logs");
    gw_client_resp_free(&r);
    if (!j)
        return EXIT_FAIL;
    log_header(0);
    invs = json_object_get(j, "invocations");
    logs_print(invs, json_array_size(invs), 0);
    json_decref(j);
    return EXIT_OK;
}

static const char rm_usage[] = "usage: fnctl rm NAME [-o json]\n"
                               "\n"
                               "Deletes every version of function NAME.\n";

static int cmd_rm(struct ctx *c, int argc, char **argv)
{
    struct gw_client_resp r;
    char path[256];
    int rc;

    if ((rc = simple_options(c, argc, argv, rm_usage, 1)) >= 0)
        return rc;
    snprintf(path, sizeof(path), "/api/v1/functions/%s", argv[optind]);
    rc = call(c, "rm", "DELETE", path, NULL, NULL, 0, &r);
    if (rc)
        return rc;
    if (c->json)
        return print_raw(&r);
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
    case VMM_EREQUEST: return "request too large";
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

    while ((opt = getopt_long(argc, argv, "ho:d:X:", opts, NULL)) != -1) {
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

/* ---- s3-credentials ----------------------------------------------------- */

static const char s3cred_usage[] =
    "usage: fnctl s3-credentials [--data DIR] [-o json]\n"
    "\n"
    "Prints the access key of fnd's built-in S3 store, which fnd makes on\n"
    "its first start in DIR/" GW_S3CRED_FILE " (--data, $MAYFLY_DATA, else\n"
    "./mayfly-data), as two lines:\n"
    "  access_key_id: ...\n"
    "  secret_access_key: ...\n"
    "With -o json, one JSON object with these two keys.\n";

/* Prints the credentials in the form -o asks for; returns 0 or -1. */
static int s3cred_print(const struct gw_s3cred *cred, int json)
{
    json_t *j;
    char *s;

    if (!json) {
        printf("access_key_id: %s\nsecret_access_key: %s\n",
               cred->access_key_id, cred->secret);
        return 0;
    }
    j = json_pack("{s:s, s:s}", "access_key_id", cred->access_key_id,
                  "secret_access_key", cred->secret);
    s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    if (!s)
        return -1;
    printf("%s\n", s);
    explicit_bzero(s, strlen(s));
    free(s);
    return 0;
}

static int cmd_s3_credentials(struct ctx *c, int argc, char **argv)
{
    static const struct option opts[] = {COMMON_OPTIONS, {NULL, 0, NULL, 0}};
    const char *dir = c->data, *env = getenv("MAYFLY_DATA");
    struct gw_s3cred cred;
    int opt, rc, status = EXIT_USAGE;

    while ((opt = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
        if ((rc = common_option(c, opt, s3cred_usage, &status)) < 0)
            return status;
        if (!rc)
            return EXIT_USAGE;
    }
    if (want_args(argc, argv, 0, s3cred_usage))
        return EXIT_USAGE;
    dir = c->data ? c->data : env && *env ? env : "./mayfly-data";
    rc = gw_s3cred_load(dir, &cred);
    if (rc < 0) {
        errorf("cannot read %s/%s: %s%s", dir, GW_S3CRED_FILE, strerror(-rc),
               rc == -ENOENT ? " (fnd makes it on its first start)" : "");
        return EXIT_FAIL;
    }
    rc = s3cred_print(&cred, c->json);
    explicit_bzero(&cred, sizeof(cred));
    return fflush(stdout) || rc ? EXIT_FAIL : EXIT_OK;
}

/* ---- events ------------------------------------------------------------- */

static const char events_usage[] =
    "usage: fnctl events [--pending | --running | --failed]\n"
    "                    [--function NAME] [-n N] [-o json]\n"
    "       fnctl events redrive [ID] [--function NAME]\n"
    "\n"
    "Object events on their way to functions. fnd delivers each at least\n"
    "once, retrying failed deliveries with growing pauses; after the last\n"
    "retry the event is kept as a dead letter.\n"
    "  --pending        events waiting to be delivered (the default)\n"
    "  --running        events being delivered now\n"
    "  --failed         dead letters\n"
    "  --function NAME  only NAME's events\n"
    "  -n N             at most N events, oldest first (20)\n"
    "redrive puts dead letters back in the queue with fresh retries: event\n"
    "ID, or all of them (of one function, with --function).\n";

static void event_row(struct table *t, json_t *e)
{
    char id[24], tries[16], when[32], obj[512];

    snprintf(id, sizeof(id), "%lld", jint(e, "id"));
    snprintf(tries, sizeof(tries), "%lld", jint(e, "attempts"));
    snprintf(obj, sizeof(obj), "%s/%s", jstr(e, "bucket"), jstr(e, "key"));
    format_time(jint(e, "time_ms"), when, sizeof(when));
    table_row(t, id, jstr(e, "function"), jstr(e, "event"), obj, tries, when,
              jstr(e, "last_error"));
}

static int events_print(struct ctx *c, struct gw_client_resp *r)
{
    struct table t = {.ncols = 7};
    json_t *j, *e;
    size_t i;

    if (c->json)
        return print_raw(r);
    j = body_json(r, "events");
    gw_client_resp_free(r);
    if (!j)
        return EXIT_FAIL;
    table_row(&t, "ID", "FUNCTION", "EVENT", "OBJECT", "ATTEMPTS", "TIME",
              "LAST ERROR");
    json_array_foreach(json_object_get(j, "events"), i, e) event_row(&t, e);
    table_print(&t);
    json_decref(j);
    return EXIT_OK;
}

static int events_redrive(struct ctx *c, const char *id, struct gw_buf *q)
{
    struct gw_client_resp r;
    struct gw_buf path = {0};
    json_t *j;
    int rc;

    if (id)
        query_add(q, "id", id);
    gw_buf_addf(&path, "/api/v1/events/redrive%s", q->data ? q->data : "");
    rc = path.err ? EXIT_FAIL
                  : call(c, "redrive", "POST", path.data, NULL, NULL, 0, &r);
    gw_buf_free(&path);
    if (rc)
        return rc;
    if (c->json)
        return print_raw(&r);
    j = body_json(&r, "redrive");
    gw_client_resp_free(&r);
    if (!j)
        return EXIT_FAIL;
    printf("redriven: %lld event(s)\n", jint(j, "redriven"));
    json_decref(j);
    return EXIT_OK;
}

static int events_list(struct ctx *c, const char *state, struct gw_buf *q)
{
    struct gw_client_resp r;
    struct gw_buf path = {0};
    int rc;

    query_add(q, "state", state);
    gw_buf_addf(&path, "/api/v1/events%s", q->data);
    rc = path.err ? EXIT_FAIL
                  : call(c, "events", "GET", path.data, NULL, NULL, 0, &r);
    gw_buf_free(&path);
    return rc ? rc : events_print(c, &r);
}

static int cmd_events(struct ctx *c, int argc, char **argv)
{
    static const struct option opts[] = {
        {"function", required_argument, NULL, OPT_FUNCTION},
        {"failed", no_argument, NULL, OPT_FAILED},
        {"pending", no_argument, NULL, OPT_PENDING},
        {"running", no_argument, NULL, OPT_RUNNING},
        COMMON_OPTIONS,
        {NULL, 0, NULL, 0}};
    const char *state = "pending";
    struct gw_buf q = {0};
    int opt, rc, n, status = EXIT_USAGE, redrive;
    uint32_t limit;

    while ((opt = getopt_long(argc, argv, "ho:n:", opts, NULL)) != -1) {
        if ((rc = common_option(c, opt, events_usage, &status)) < 0)
            goto out;
        if (rc)
            continue;
        if (opt == OPT_FUNCTION) {
            query_add(&q, "function", optarg);
        } else if (opt == 'n' && parse_count(optarg, &limit) == 0) {
            query_add(&q, "limit", optarg);
        } else if (opt == OPT_FAILED || opt == OPT_PENDING ||
                   opt == OPT_RUNNING) {
            state = opt == OPT_FAILED    ? "failed"
                    : opt == OPT_PENDING ? "pending"
                                         : "running";
        } else {
            fprintf(stderr, "%s", events_usage);
            goto out;
        }
    }
    n = argc - optind;
    redrive = n >= 1 && strcmp(argv[optind], "redrive") == 0;
    if ((n > 0 && !redrive) || n > 2) {
        fprintf(stderr, "%s", events_usage);
        goto out;
    }
    if (resolve_url(c))
        goto out;
    status = redrive ? events_redrive(c, n == 2 ? argv[optind + 1] : NULL, &q)
                     : events_list(c, state, &q);
out:
    gw_buf_free(&q);
    return status;
}

/* ---- bench: gateway/fnbench.c ------------------------------------------ */

static int cmd_bench(struct ctx *c, int argc, char **argv)
{
    return fnctl_bench(c->url, c->json, argc, argv);
}

static const struct command commands[] = {
    {"deploy", cmd_deploy, deploy_usage},
    {"invoke", cmd_invoke, invoke_usage},
    {"ls", cmd_ls, ls_usage},
    {"inspect", cmd_inspect, inspect_usage},
    {"logs", cmd_logs, logs_usage},
    {"rollback", cmd_rollback, rollback_usage},
    {"rm", cmd_rm, rm_usage},
    {"run", cmd_run, run_usage},
    {"s3-credentials", cmd_s3_credentials, s3cred_usage},
    {"events", cmd_events, events_usage},
    {"bench", cmd_bench, fnctl_bench_usage},
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
    while ((opt = getopt_long(argc, argv, "+ho:", opts, NULL)) != -1)
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
