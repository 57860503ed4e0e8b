/* registry.c: in-memory table of active functions and their VMM images. */
#include "gateway/registry.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static void fn_set(struct gw_fn *fn, const struct st_function *sf)
{
    snprintf(fn->name, sizeof(fn->name), "%s", sf->name);
    snprintf(fn->sha, sizeof(fn->sha), "%s", sf->image_sha);
    fn->version = sf->version;
    fn->memory_mib = sf->memory_mib;
    fn->timeout_ms = sf->timeout_ms;
    fn->created_ms = sf->created_ms;
}

static struct gw_fn *fn_insert(struct gw_registry *r,
                               const struct st_function *sf)
{
    struct gw_fn *fn = calloc(1, sizeof(*fn));
    unsigned h;

    if (!fn)
        return NULL;
    fn_set(fn, sf);
    h = hash(fn->name);
    fn->next = r->table[h];
    r->table[h] = fn;
    return fn;
}

static int load_one(const struct st_function *sf, void *arg)
{
    struct gw_registry *r = arg;
    struct gw_fn *fn = fn_insert(r, sf);
    char err[160] = "";
    int rc;

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

static int store_version(struct gw_registry *r, const char *name,
                         const void *elf, size_t len, uint32_t memory_mib,
                         uint32_t timeout_ms, struct st_function *sf)
{
    int rc;

    memset(sf, 0, sizeof(*sf));
    snprintf(sf->name, sizeof(sf->name), "%s", name);
    sf->memory_mib = memory_mib;
    sf->timeout_ms = timeout_ms;
    rc = st_image_put(r->st, elf, len, sf->image_sha);
    if (rc < 0)
        return rc;
    return st_function_deploy(r->st, sf);
}

int gw_registry_deploy(struct gw_registry *r, const char *name, const void *elf,
                       size_t len, uint32_t memory_mib, uint32_t timeout_ms,
                       struct gw_fn **out, char *err, size_t errlen)
{
    struct st_function sf;
    struct vmm_image *img;
    struct gw_fn *fn;
    int rc;

    rc = vmm_image_load(r->vmm, elf, len, memory_mib, &img, err, errlen);
    if (rc < 0)
        return is_host_error(rc) ? rc : -EINVAL;
    rc = store_version(r, name, elf, len, memory_mib, timeout_ms, &sf);
    if (rc < 0) {
        snprintf(err, errlen, "store: %s", strerror(-rc));
        goto err_image;
    }
    fn = gw_registry_find(r, name);
    if (!fn)
        fn = fn_insert(r, &sf);
    if (!fn) {
        rc = -ENOMEM;
        goto err_fn;
    }
    if (fn->img)
        vmm_image_put(fn->img);
    fn_set(fn, &sf);
    fn->img = img;
    st_function_clear(&sf);
    *out = fn;
    return 0;

err_fn:
    st_function_clear(&sf);
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
        if (fn->img)
            vmm_image_put(fn->img);
        free(fn);
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
            if (fn->img)
                vmm_image_put(fn->img);
            free(fn);
        }
    free(r);
}
