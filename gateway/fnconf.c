/* fnconf.c: per-version function settings: checked JSON in, parsed form
 * for the request path out. */
#include "gateway/fnconf.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/buf.h"

static const char *const reserved_prefixes[] = {
    "/fn/", "/api/", "/hooks/", "/metrics", "/healthz",
};

/* ---- Environment -------------------------------------------------------- */

static int env_name_valid(const char *s, size_t n)
{
    size_t i;

    if (n == 0 || n > GW_ENV_NAME_MAX || isdigit((unsigned char)s[0]))
        return 0;
    for (i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '_')
            return 0;
    return 1;
}

static json_t *member(json_t *cfg, const char *key, json_t *(*make)(void))
{
    json_t *v = json_object_get(cfg, key);

    if (!v && json_object_set_new(cfg, key, make()) == 0)
        v = json_object_get(cfg, key);
    return v;
}

const char *gw_fnconf_add_env(json_t *cfg, const char *kv, size_t len)
{
    const char *eq = memchr(kv, '=', len);
    char name[GW_ENV_NAME_MAX + 1];
    json_t *env, *value;
    size_t nlen;

    if (!eq)
        return "env entries are NAME=VALUE";
    nlen = (size_t)(eq - kv);
    if (!env_name_valid(kv, nlen))
        return "env names are [A-Za-z_][A-Za-z0-9_]*, at most 128 "
               "characters";
    if (memchr(kv, '\0', len))
        return "env values may not hold NUL bytes";
    memcpy(name, kv, nlen);
    name[nlen] = '\0';
    env = member(cfg, "env", json_object);
    if (!json_is_object(env))
        return "env must be an object";
    if (json_object_get(env, name))
        return "an env name is given twice";
    value = json_stringn(eq + 1, len - nlen - 1);
    if (!value)
        return "env values must be UTF-8";
    json_object_set_new(env, name, value);
    return NULL;
}

static const char *check_env(json_t *env)
{
    const char *name;
    size_t total = 0;
    json_t *v;

    if (!json_is_object(env))
        return "env must be an object of strings";
    json_object_foreach(env, name, v)
    {
        if (!env_name_valid(name, strlen(name)))
            return "env names are [A-Za-z_][A-Za-z0-9_]*, at most 128 "
                   "characters";
        if (!json_is_string(v) ||
            json_string_length(v) != strlen(json_string_value(v)))
            return "env values must be strings without NUL bytes";
        total += strlen(name) + json_string_length(v) + 2;
    }
    if (total > GW_ENV_MAX)
        return "env is larger than 4096 bytes of names and values";
    return NULL;
}

/* ---- Routes ------------------------------------------------------------- */

static int is_reserved(const char *path, size_t len)
{
    size_t i, n;

    for (i = 0; i < sizeof(reserved_prefixes) / sizeof(char *); i++) {
        n = strlen(reserved_prefixes[i]);
        if (len >= n && strncmp(path, reserved_prefixes[i], n) == 0)
            return 1;
    }
    return 0;
}

/* Parses "METHOD /path", "/path"; fills r (r->path points into spec) and
 * returns NULL, or what is wrong. */
static const char *route_parse(const char *spec, size_t len, struct gw_route *r)
{
    const char *sp = memchr(spec, ' ', len), *path = spec;
    size_t mlen = 0, i;

    memset(r, 0, sizeof(*r));
    if (sp) {
        mlen = (size_t)(sp - spec);
        path = sp + 1;
        if (mlen == 0 || mlen >= sizeof(r->method))
            return "a route's method is a word like GET, or ANY";
        for (i = 0; i < mlen; i++) {
            if (!isalpha((unsigned char)spec[i]) && spec[i] != '*')
                return "a route's method is a word like GET, or ANY";
            r->method[i] = (char)toupper((unsigned char)spec[i]);
        }
        if (strcmp(r->method, "ANY") == 0 || strcmp(r->method, "*") == 0)
            r->method[0] = '\0';
        else if (strchr(r->method, '*'))
            return "a route's method is a word like GET, or ANY";
    }
    r->len = len - (size_t)(path - spec);
    if (r->len == 0 || path[0] != '/' || r->len > GW_ROUTE_PATH_MAX)
        return "a route's path starts with '/' and has at most 512 "
               "characters";
    for (i = 0; i < r->len; i++)
        if (path[i] <= ' ' || path[i] > '~' || path[i] == '?' ||
            path[i] == '#' || (path[i] == '*' && i != r->len - 1))
            return "a route's path has no spaces, '?' or '#', and '*' only "
                   "at its end";
    if (path[r->len - 1] == '*') {
        r->prefix = 1;
        r->len--;
    }
    if (is_reserved(path, r->len))
        return "paths under /fn/, /api/, /hooks/, /metrics and /healthz "
               "are fnd's own";
    r->path = (char *)path;
    return NULL;
}

/* The canonical text of a route: "GET /users*" or "ANY /x". */
static json_t *route_text(const struct gw_route *r)
{
    struct gw_buf b = {0};
    json_t *s;

    gw_buf_addf(&b, "%s %.*s%s", r->method[0] ? r->method : "ANY", (int)r->len,
                r->path, r->prefix ? "*" : "");
    s = b.err ? NULL : json_string(b.data);
    gw_buf_free(&b);
    return s;
}

const char *gw_fnconf_add_route(json_t *cfg, const char *spec, size_t len)
{
    struct gw_route r;
    json_t *routes;
    const char *bad;

    if (memchr(spec, '\0', len))
        return "a route may not hold NUL bytes";
    bad = route_parse(spec, len, &r);
    if (bad)
        return bad;
    routes = member(cfg, "routes", json_array);
    if (!json_is_array(routes))
        return "routes must be an array";
    if (json_array_append_new(routes, route_text(&r)))
        return "out of memory";
    return NULL;
}

int gw_route_match(const struct gw_route *r, const char *method,
                   const char *path)
{
    /* A GET route answers HEAD as well; the server drops the body. */
    if (r->method[0] && strcmp(r->method, method) != 0 &&
        !(strcmp(method, "HEAD") == 0 && strcmp(r->method, "GET") == 0))
        return 0;
    if (r->prefix)
        return strncmp(path, r->path, r->len) == 0;
    return strlen(path) == r->len && memcmp(path, r->path, r->len) == 0;
}

int gw_route_clash(const struct gw_route *a, const struct gw_route *b)
{
    if (a->prefix != b->prefix || a->len != b->len ||
        memcmp(a->path, b->path, a->len) != 0)
        return 0;
    return !a->method[0] || !b->method[0] || strcmp(a->method, b->method) == 0;
}

/* Parses every route of `routes` (strings) into out[]; paths point into
 * the JSON strings. */
static const char *routes_parse(json_t *routes, struct gw_route *out, size_t *n)
{
    const char *bad;
    size_t i, j;
    json_t *v;

    if (!json_is_array(routes))
        return "routes must be an array of strings";
    if (json_array_size(routes) > GW_ROUTES_MAX)
        return "a function has at most 16 routes";
    json_array_foreach(routes, i, v)
    {
        if (!json_is_string(v))
            return "routes must be an array of strings";
        bad = route_parse(json_string_value(v), json_string_length(v), &out[i]);
        if (bad)
            return bad;
        for (j = 0; j < i; j++)
            if (gw_route_clash(&out[i], &out[j]))
                return "two routes of the function take the same requests";
    }
    *n = json_array_size(routes);
    return NULL;
}

/* Checks routes and rewrites them in canonical form. */
static const char *check_routes(json_t *routes)
{
    struct gw_route r[GW_ROUTES_MAX];
    json_t *canon;
    const char *bad;
    size_t i, n;

    bad = routes_parse(routes, r, &n);
    if (bad)
        return bad;
    canon = json_array();
    for (i = 0; i < n; i++)
        json_array_append_new(canon, route_text(&r[i]));
    if (json_array_size(canon) != n) {
        json_decref(canon);
        return "out of memory";
    }
    json_array_clear(routes);
    json_array_extend(routes, canon);
    json_decref(canon);
    return NULL;
}

/* ---- The whole config ---------------------------------------------------- */

static int int_in(json_t *v, json_int_t lo, json_int_t hi)
{
    return json_is_integer(v) && json_integer_value(v) >= lo &&
           json_integer_value(v) <= hi;
}

const char *gw_fnconf_check(json_t *cfg, uint64_t body_ceiling)
{
    const char *bad = NULL;
    json_t *v;

    if (!json_is_object(cfg))
        return "config must be an object";
    if ((v = json_object_get(cfg, "env")) && (bad = check_env(v)))
        return bad;
    if ((v = json_object_get(cfg, "routes")) && (bad = check_routes(v)))
        return bad;
    v = json_object_get(cfg, "max_body");
    if (v && !int_in(v, 1, (json_int_t)body_ceiling))
        return "max_body must be from 1 to fnd's --max-body";
    v = json_object_get(cfg, "concurrency");
    if (v && !int_in(v, 0, GW_CONCURRENCY_MAX))
        return "concurrency must be from 0 (no limit) to 100000";
    return NULL;
}

/* ---- Parsed form ----------------------------------------------------------
 */

static void conf_free(struct gw_fnconf *c)
{
    size_t i;

    for (i = 0; i < c->nroutes; i++)
        free(c->routes[i].path);
    free(c->routes);
    free(c->env);
    free(c);
}

static int parse_env(json_t *env, struct gw_fnconf *c)
{
    struct gw_buf b = {0};
    const char *name;
    json_t *v;

    if (!env)
        return 0;
    if (check_env(env))
        return -EINVAL;
    json_object_foreach(env, name, v)
    {
        gw_buf_add(&b, name, strlen(name) + 1);
        gw_buf_add(&b, json_string_value(v), json_string_length(v) + 1);
        c->env_count++;
    }
    if (b.err) {
        gw_buf_free(&b);
        return -ENOMEM;
    }
    c->env = gw_buf_steal(&b, &c->env_len);
    return 0;
}

static int parse_routes(json_t *routes, struct gw_fnconf *c)
{
    struct gw_route r[GW_ROUTES_MAX];
    size_t i, n;

    if (!routes)
        return 0;
    if (routes_parse(routes, r, &n))
        return -EINVAL;
    c->routes = calloc(n ? n : 1, sizeof(*c->routes));
    if (!c->routes)
        return -ENOMEM;
    for (i = 0; i < n; i++) {
        c->routes[i] = r[i];
        c->routes[i].path = strndup(r[i].path, r[i].len);
        if (!c->routes[i].path)
            return -ENOMEM;
        c->nroutes++;
    }
    return 0;
}

static int parse_limits(json_t *cfg, struct gw_fnconf *c)
{
    json_t *v = json_object_get(cfg, "max_body");

    if (v && !int_in(v, 1, INT64_MAX))
        return -EINVAL;
    c->max_body = v ? (uint64_t)json_integer_value(v) : 0;
    v = json_object_get(cfg, "concurrency");
    if (v && !int_in(v, 0, GW_CONCURRENCY_MAX))
        return -EINVAL;
    c->concurrency = v ? (uint32_t)json_integer_value(v) : 0;
    return 0;
}

int gw_fnconf_parse(const char *json, struct gw_fnconf **out)
{
    struct gw_fnconf *c = calloc(1, sizeof(*c));
    json_t *cfg = NULL;
    int rc = 0;

    if (!c)
        return -ENOMEM;
    c->refs = 1;
    if (json && *json) {
        cfg = json_loads(json, 0, NULL);
        rc = json_is_object(cfg) ? 0 : -EINVAL;
    }
    if (rc == 0 && cfg)
        rc = parse_env(json_object_get(cfg, "env"), c);
    if (rc == 0 && cfg)
        rc = parse_routes(json_object_get(cfg, "routes"), c);
    if (rc == 0 && cfg)
        rc = parse_limits(cfg, c);
    json_decref(cfg);
    if (rc < 0) {
        conf_free(c);
        return rc;
    }
    *out = c;
    return 0;
}

void gw_fnconf_get(struct gw_fnconf *c)
{
    c->refs++;
}

void gw_fnconf_put(struct gw_fnconf *c)
{
    if (c && --c->refs == 0)
        conf_free(c);
}

json_t *gw_fnconf_view(const char *json, int with_values)
{
    json_t *cfg = json && *json ? json_loads(json, 0, NULL) : NULL;
    json_t *view = json_object(), *env, *v;
    const char *name;
    static const char *const copied[] = {"routes", "max_body", "concurrency",
                                         "triggers"};
    size_t i;

    if (!view || !json_is_object(cfg)) {
        json_decref(cfg);
        return view;
    }
    env = json_object_get(cfg, "env");
    if (json_is_object(env) && !with_values) {
        env = json_object();
        json_object_foreach(json_object_get(cfg, "env"), name, v)
            json_object_set_new(env, name, json_null());
        json_object_set_new(view, "env", env);
    } else if (env) {
        json_object_set(view, "env", env);
    }
    for (i = 0; i < sizeof(copied) / sizeof(char *); i++)
        if ((v = json_object_get(cfg, copied[i])))
            json_object_set(view, copied[i], v);
    json_decref(cfg);
    return view;
}
