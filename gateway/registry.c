/* registry.c: in-memory table of active functions and their VMM images. */
#include "gateway/registry.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/fnconf.h"
#include "gateway/log.h"

#define NBUCKETS 256

struct gw_registry {
    struct st *st;
    struct vmm *vmm;
    struct gw_fn *table[NBUCKETS];
};

int gw_valid_name(const char *name)
{
    size_t i;

    if (!((name[0] >= 'a' && name[0] <= 'z') ||
          (name[0] >= '0' && name[0] <= '9')))
        return 0;
    for (i = 1; name[i]; i++) {
        if (i >= ST_NAME_MAX)
            return 0;
        if (!((name[i] >= 'a' && name[i] <= 'z') ||
              (name[i] >= '0' && name[i] <= '9') || name[i] == '_' ||
              name[i] == '-'))
            return 0;
    }
    return 1;
}

void gw_fn_get(struct gw_fn *fn)
{
    fn->refs++;
}

void gw_fn_put(struct gw_fn *fn)
{
    if (!fn || --fn->refs > 0)
        return;
    if (fn->img)
        vmm_image_put(fn->img);
    gw_fnconf_put(fn->conf);
    free(fn);
}

static unsigned hash(const char *name)
{
    unsigned h = 2166136261u;

    for (; *name; name++)
        h = (h ^ (unsigned char)*name) * 16777619u;
    return h % NBUCKETS;
}

int gw_registry_open(struct gw_registry **out, struct st *st, struct vmm *vmm)
{
    struct gw_registry *r = calloc(1, sizeof(*r));

    if (!r)
        return -ENOMEM;
    r->st = st;
    r->vmm = vmm;
    *out = r;
    return 0;
}

struct gw_fn *gw_registry_find(struct gw_registry *r, const char *name)
{
    struct gw_fn *fn;

    for (fn = r->table[hash(name)]; fn; fn = fn->next)
        if (strcmp(fn->name, name) == 0)
            return fn;
    return NULL;
}

/* Another function already using this image at this size shares it. */
static struct vmm_image *find_shared(struct gw_registry *r, const char *sha,
                                     uint32_t memory_mib)
{
    struct gw_fn *fn;
    unsigned i;

    for (i = 0; i < NBUCKETS; i++)
        for (fn = r->table[i]; fn; fn = fn->next)
            if (fn->img && fn->memory_mib == memory_mib &&
                strcmp(fn->sha, sha) == 0)
                return fn->img;
    return NULL;
}

static int load_image(struct gw_registry *r, struct gw_fn *fn, char *err,
                      size_t errlen)
{
    struct vmm_image *img = find_shared(r, fn->sha, fn->memory_mib);
    void *elf;
    size_t len;
    int rc;

    if (img) {
        vmm_image_get(img);
        fn->img = img;
        return 0;
    }
    rc = st_image_get(r->st, fn->sha, &elf, &len);
    if (rc < 0) {
        snprintf(err, errlen, "cannot read image %.12s: %s", fn->sha,
                 strerror(-rc));
        return rc;
    }
    rc =
        vmm_image_load(r->vmm, elf, len, fn->memory_mib, &fn->img, err, errlen);
    free(elf);
    return rc;
}

int gw_registry_image(struct gw_registry *r, struct gw_fn *fn,
                      struct vmm_image **img, char *err, size_t errlen)
{
    int rc;

    if (!fn->img) {
        rc = load_image(r, fn, err, errlen);
        if (rc < 0)
            return rc;
    }
    vmm_image_get(fn->img);
    *img = fn->img;
    return 0;
}

/* Takes over the reference to `conf`. */
static void fn_set(struct gw_fn *fn, const struct st_function *sf,
                   struct gw_fnconf *conf)
{
    snprintf(fn->name, sizeof(fn->name), "%s", sf->name);
    snprintf(fn->sha, sizeof(fn->sha), "%s", sf->image_sha);
    fn->version = sf->version;
    fn->memory_mib = sf->memory_mib;
    fn->timeout_ms = sf->timeout_ms;
    fn->created_ms = sf->created_ms;
    gw_fnconf_put(fn->conf);
    fn->conf = conf;
}

/* Takes over the reference to `conf` (also when it fails). */
static struct gw_fn *fn_insert(struct gw_registry *r,
                               const struct st_function *sf,
                               struct gw_fnconf *conf)
{
    struct gw_fn *fn = calloc(1, sizeof(*fn));
    unsigned h;

    if (!fn) {
        gw_fnconf_put(conf);
        return NULL;
    }
    fn->refs = 1;
    fn_set(fn, sf, conf);
    h = hash(fn->name);
    fn->next = r->table[h];
    r->table[h] = fn;
    return fn;
}

static int load_one(const struct st_function *sf, void *arg)
{
    struct gw_registry *r = arg;
    struct gw_fnconf *conf;
    char err[160] = "";
    struct gw_fn *fn;
    int rc;

    rc = gw_fnconf_parse(sf->config_json, &conf);
    if (rc == -EINVAL) {
        gw_warn("function config unreadable, ignored",
                "function=%s version=%lld", sf->name, (long long)sf->version);
        rc = gw_fnconf_parse(NULL, &conf);
    }
    if (rc < 0)
        return rc;
    fn = fn_insert(r, sf, conf);
    if (!fn)
        return -ENOMEM;
    rc = load_image(r, fn, err, sizeof(err));
    if (rc < 0)
        gw_warn("function image not loaded",
                "function=%s version=%lld reason=\"%s\"", fn->name,
                (long long)fn->version, err);
    return 0;
}

int gw_registry_load(struct gw_registry *r)
{
    struct gw_fn *fn;
    unsigned i;
    int rc, n = 0;

    rc = st_function_list(r->st, load_one, r);
    if (rc < 0)
        return rc;
    for (i = 0; i < NBUCKETS; i++)
        for (fn = r->table[i]; fn; fn = fn->next)
            n++;
    return n;
}

/* Errors from the loader that mean "this is not a usable image", as
 * opposed to the host failing. */
static int is_host_error(int rc)
{
    return rc == -ENOMEM || rc == -EMFILE || rc == -ENFILE || rc == -EIO ||
           rc == -EAGAIN;
}

/* A custom route of `conf` that another function's active version takes
 * already. Returns 0 or -EEXIST with the clash in err. */
static int check_routes(struct gw_registry *r, const char *name,
                        const struct gw_fnconf *conf, char *err, size_t errlen)
{
    const struct gw_route *a, *b;
    struct gw_fn *fn;
    size_t i, j;
    unsigned h;

    for (h = 0; h < NBUCKETS; h++)
        for (fn = r->table[h]; fn; fn = fn->next) {
            if (strcmp(fn->name, name) == 0)
                continue;
            for (i = 0; i < conf->nroutes; i++)
                for (j = 0; j < fn->conf->nroutes; j++) {
                    a = &conf->routes[i];
                    b = &fn->conf->routes[j];
                    if (!gw_route_clash(a, b))
                        continue;
                    snprintf(err, errlen,
                             "route %s %.*s%s is function %s's already",
                             a->method[0] ? a->method : "ANY", (int)a->len,
                             a->path, a->prefix ? "*" : "", fn->name);
                    return -EEXIST;
                }
        }
    return 0;
}

/* How well a route fits: exact before prefix, longer before shorter, a
 * method before any method. */
static size_t route_score(const struct gw_route *rt)
{
    return (rt->prefix ? 0 : 4 * (GW_ROUTE_PATH_MAX + 1)) + 2 * rt->len +
           (rt->method[0] ? 1 : 0);
}

/* Adds the method of a route that takes `path` to the Allow list. */
static void allow_add(struct gw_buf *allow, const struct gw_route *rt)
{
    const char *m = rt->method[0] ? rt->method : "*";

    if (allow->data && strstr(allow->data, m))
        return;
    gw_buf_addf(allow, "%s%s", allow->len ? ", " : "", m);
}

/* Linear in the number of routes; fine for the hundreds a node serves. */
struct gw_fn *gw_registry_route(struct gw_registry *r, const char *method,
                                const char *path, struct gw_buf *allow)
{
    struct gw_fn *fn, *best = NULL;
    size_t i, score, best_score = 0;
    const struct gw_route *rt;
    unsigned h;

    for (h = 0; h < NBUCKETS; h++)
        for (fn = r->table[h]; fn; fn = fn->next)
            for (i = 0; i < fn->conf->nroutes; i++) {
                rt = &fn->conf->routes[i];
                if (!gw_route_match(rt, method, path)) {
                    if (allow && gw_route_match(rt, rt->method, path))
                        allow_add(allow, rt);
                    continue;
                }
                score = route_score(rt);
                if (!best || score > best_score) {
                    best = fn;
                    best_score = score;
                }
            }
    return best;
}

static int store_version(struct gw_registry *r, const char *name,
                         const char *sha, uint32_t memory_mib,
                         uint32_t timeout_ms, const char *config_json,
                         struct st_function *sf)
{
    int rc;

    memset(sf, 0, sizeof(*sf));
    snprintf(sf->name, sizeof(sf->name), "%s", name);
    snprintf(sf->image_sha, sizeof(sf->image_sha), "%s", sha);
    sf->memory_mib = memory_mib;
    sf->timeout_ms = timeout_ms;
    sf->config_json = (char *)config_json;
    rc = st_function_deploy(r->st, sf);
    sf->config_json = NULL; /* the caller's */
    return rc;
}

/* Makes sf (with img and conf, whose references it takes) the active
 * version of its function in the registry. */
static int install(struct gw_registry *r, const struct st_function *sf,
                   struct vmm_image *img, struct gw_fnconf *conf,
                   struct gw_fn **out)
{
    struct gw_fn *fn = gw_registry_find(r, sf->name);

    if (fn) {
        fn_set(fn, sf, conf);
    } else {
        fn = fn_insert(r, sf, conf);
        if (!fn) {
            vmm_image_put(img);
            return -ENOMEM;
        }
    }
    if (fn->img)
        vmm_image_put(fn->img);
    fn->img = img;
    *out = fn;
    return 0;
}

static int parse_conf(const char *config_json, struct gw_fnconf **conf,
                      char *err, size_t errlen)
{
    int rc = gw_fnconf_parse(config_json, conf);

    if (rc == -EINVAL)
        snprintf(err, errlen, "the function's config does not parse");
    return rc;
}

int gw_registry_prepare(struct vmm *vmm, struct st *st, const void *elf,
                        size_t len, uint32_t memory_mib, struct vmm_image **img,
                        char sha[ST_SHA_HEX], char *err, size_t errlen)
{
    int rc = vmm_image_load(vmm, elf, len, memory_mib, img, err, errlen);

    if (rc < 0)
        return is_host_error(rc) ? rc : -EINVAL;
    rc = st_image_put(st, elf, len, sha);
    if (rc < 0) {
        snprintf(err, errlen, "store: %s", strerror(-rc));
        vmm_image_put(*img);
        *img = NULL;
    }
    return rc;
}

int gw_registry_commit(struct gw_registry *r, const char *name,
                       struct vmm_image *img, const char *sha,
                       uint32_t memory_mib, uint32_t timeout_ms,
                       const char *config_json, struct gw_fn **out, char *err,
                       size_t errlen)
{
    struct gw_fnconf *conf;
    struct st_function sf;
    int rc;

    rc = parse_conf(config_json, &conf, err, errlen);
    if (rc < 0)
        goto err_image;
    rc = check_routes(r, name, conf, err, errlen);
    if (rc < 0)
        goto err_conf;
    rc = store_version(r, name, sha, memory_mib, timeout_ms, config_json, &sf);
    if (rc < 0) {
        snprintf(err, errlen, "store: %s", strerror(-rc));
        goto err_conf;
    }
    return install(r, &sf, img, conf, out);

err_conf:
    gw_fnconf_put(conf);
err_image:
    vmm_image_put(img);
    return rc;
}

int gw_registry_deploy(struct gw_registry *r, const char *name, const void *elf,
                       size_t len, uint32_t memory_mib, uint32_t timeout_ms,
                       const char *config_json, struct gw_fn **out, char *err,
                       size_t errlen)
{
    struct vmm_image *img;
    char sha[ST_SHA_HEX];
    int rc = gw_registry_prepare(r->vmm, r->st, elf, len, memory_mib, &img, sha,
                                 err, errlen);

    if (rc < 0)
        return rc;
    return gw_registry_commit(r, name, img, sha, memory_mib, timeout_ms,
                              config_json, out, err, errlen);
}

struct prev_walk {
    int64_t active;
    int64_t found;
};

static int find_previous(const struct st_function *f, void *arg)
{
    struct prev_walk *w = arg;

    if (f->version < w->active && f->version > w->found)
        w->found = f->version;
    return 0;
}

/* The newest version of `name` older than the active one. */
static int previous_version(struct gw_registry *r, const char *name,
                            int64_t *version, char *err, size_t errlen)
{
    struct gw_fn *fn = gw_registry_find(r, name);
    struct prev_walk w = {fn ? fn->version : 0, 0};
    int rc;

    if (!fn)
        return -ENOENT;
    rc = st_function_versions(r->st, name, find_previous, &w);
    if (rc < 0)
        return rc;
    if (w.found == 0) {
        snprintf(err, errlen, "version %lld is the oldest there is",
                 (long long)w.active);
        return -ENOENT;
    }
    *version = w.found;
    return 0;
}

int gw_registry_version(struct gw_registry *r, const char *name,
                        int64_t version, struct st_function *sf,
                        struct vmm_image **img, char *err, size_t errlen)
{
    int rc;

    *img = NULL;
    if (version == 0) {
        rc = previous_version(r, name, &version, err, errlen);
        if (rc < 0)
            return rc;
    }
    rc = st_function_get(r->st, name, version, sf);
    if (rc < 0)
        return rc;
    *img = find_shared(r, sf->image_sha, sf->memory_mib);
    if (*img)
        vmm_image_get(*img);
    return 0;
}

int gw_registry_version_image(struct vmm *vmm, struct st *st,
                              const struct st_function *sf,
                              struct vmm_image **img, char *err, size_t errlen)
{
    void *elf;
    size_t len;
    int rc = st_image_get(st, sf->image_sha, &elf, &len);

    if (rc < 0) {
        snprintf(err, errlen, "cannot read image %.12s: %s", sf->image_sha,
                 strerror(-rc));
        return is_host_error(rc) ? rc : -EINVAL;
    }
    rc = vmm_image_load(vmm, elf, len, sf->memory_mib, img, err, errlen);
    free(elf);
    return rc < 0 && !is_host_error(rc) ? -EINVAL : rc;
}

int gw_registry_activate(struct gw_registry *r, const struct st_function *sf,
                         struct vmm_image *img, struct gw_fn **out, char *err,
                         size_t errlen)
{
    struct gw_fnconf *conf;
    int rc;

    rc = parse_conf(sf->config_json, &conf, err, errlen);
    if (rc < 0)
        goto err_image;
    rc = check_routes(r, sf->name, conf, err, errlen);
    if (rc < 0)
        goto err_conf;
    rc = st_function_activate(r->st, sf->name, sf->version);
    if (rc < 0) {
        snprintf(err, errlen, "store: %s", strerror(-rc));
        goto err_conf;
    }
    return install(r, sf, img, conf, out);

err_conf:
    gw_fnconf_put(conf);
err_image:
    vmm_image_put(img);
    return rc;
}

int gw_registry_remove(struct gw_registry *r, const char *name)
{
    struct gw_fn **pp, *fn;
    int rc;

    rc = st_function_delete(r->st, name);
    if (rc < 0)
        return rc;
    for (pp = &r->table[hash(name)]; *pp; pp = &(*pp)->next) {
        fn = *pp;
        if (strcmp(fn->name, name) != 0)
            continue;
        *pp = fn->next;
        gw_fn_put(fn);
        break;
    }
    return 0;
}

void gw_registry_close(struct gw_registry *r)
{
    struct gw_fn *fn, *next;
    unsigned i;

    if (!r)
        return;
    for (i = 0; i < NBUCKETS; i++)
        for (fn = r->table[i]; fn; fn = next) {
            next = fn->next;
            gw_fn_put(fn);
        }
    free(r);
}
