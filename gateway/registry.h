/* registry.h: the functions this node serves, with their loaded images.
 *
 * An in-memory copy of the active version of every function, kept in step
 * with the store by going through it for every change (deploy, remove).
 * Images are loaded into the VMM once per (image sha, memory size) and
 * shared by reference; a redeploy swaps the reference, and invocations in
 * flight keep the one they took. Loop thread only.
 *
 * Each entry is reference-counted: the registry holds one reference and an
 * invocation that needs the entry after it has been removed or replaced
 * (for the function's in-flight count) takes another.
 *
 * Errors: 0 or a negative errno; -ENOENT for an unknown function or
 * version; -EINVAL for an image the VMM refuses or a config that does not
 * parse; -EEXIST for a custom route that another function already takes
 * (the reason is in `err`).
 */
#ifndef MAYFLY_GW_REGISTRY_H
#define MAYFLY_GW_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "gateway/buf.h"
#include "gateway/fnconf.h"
#include "store/store.h"
#include "vmm/vmm.h"

#define GW_MEMORY_DEFAULT 8u     /* MiB */
#define GW_MEMORY_MAX 1024u      /* MiB, multiple of 2 */
#define GW_TIMEOUT_DEFAULT 1000u /* ms */
#define GW_TIMEOUT_MAX 60000u    /* ms */

struct gw_registry;

struct gw_fn {
    struct gw_fn *next;
    unsigned refs;
    unsigned inflight; /* invocations admitted and not yet answered */
    char name[ST_NAME_MAX + 1];
    int64_t version;
    char sha[ST_SHA_HEX];
    uint32_t memory_mib;
    uint32_t timeout_ms;
    int64_t created_ms;
    struct vmm_image *img;  /* NULL until loaded */
    struct gw_fnconf *conf; /* the active version's; never NULL */
};

void gw_fn_get(struct gw_fn *fn);
void gw_fn_put(struct gw_fn *fn);

/* Function names: [a-z0-9][a-z0-9_-]{0,62}. */
int gw_valid_name(const char *name);

int gw_registry_open(struct gw_registry **out, struct st *st, struct vmm *vmm);
/* Reads every active function from the store and loads its image. An
 * image that fails to load is logged and retried on first use. Returns the
 * number of functions, or a negative errno if the store cannot be read. */
int gw_registry_load(struct gw_registry *r);
struct gw_fn *gw_registry_find(struct gw_registry *r, const char *name);
/* Gives a new reference to fn's image (vmm_image_put it), loading it first
 * if needed. */
int gw_registry_image(struct gw_registry *r, struct gw_fn *fn,
                      struct vmm_image **img, char *err, size_t errlen);
/* The function that custom route takes (method, path): an exact route
 * before a prefix route, a longer prefix before a shorter one, a route
 * with a method before one for any method. NULL if none; then, if `allow`
 * is not NULL and routes exist for the path with other methods, their
 * methods are appended to it ("GET, POST") for a 405. */
struct gw_fn *gw_registry_route(struct gw_registry *r, const char *method,
                                const char *path, struct gw_buf *allow);
/* Validates `elf` by loading it, stores it with `config_json` (checked by
 * gw_fnconf_check; NULL for none) and makes it the active version of
 * `name`. *out points into the registry. It is the two halves below in a
 * row. */
int gw_registry_deploy(struct gw_registry *r, const char *name, const void *elf,
                       size_t len, uint32_t memory_mib, uint32_t timeout_ms,
                       const char *config_json, struct gw_fn **out, char *err,
                       size_t errlen);
/* The slow half of a deploy, safe on any thread given that thread's own
 * store handle: validates `elf` by loading it into *img and stores its
 * bytes by content (sha gets the hex digest). The registry is not
 * touched. */
int gw_registry_prepare(struct vmm *vmm, struct st *st, const void *elf,
                        size_t len, uint32_t memory_mib, struct vmm_image **img,
                        char sha[ST_SHA_HEX], char *err, size_t errlen);
/* The quick half, on the loop thread: takes over the reference to `img`
 * (prepared from image `sha`), stores a new version of `name` with it and
 * makes that version the active one. Routes are checked here, against the
 * registry as it is now. */
int gw_registry_commit(struct gw_registry *r, const char *name,
                       struct vmm_image *img, const char *sha,
                       uint32_t memory_mib, uint32_t timeout_ms,
                       const char *config_json, struct gw_fn **out, char *err,
                       size_t errlen);
/* A rollback, in three steps like a deploy's two. On the loop thread:
 * reads `version` of `name` (0: the newest older than the active one) into
 * *sf (st_function_clear it), and gives a reference to its image in *img
 * if that image is loaded already, else NULL. */
int gw_registry_version(struct gw_registry *r, const char *name,
                        int64_t version, struct st_function *sf,
                        struct vmm_image **img, char *err, size_t errlen);
/* On any thread, with that thread's own store handle: loads sf's image. */
int gw_registry_version_image(struct vmm *vmm, struct st *st,
                              const struct st_function *sf,
                              struct vmm_image **img, char *err, size_t errlen);
/* On the loop thread: makes sf the active version again, with `img`
 * (whose reference it takes); routes are checked here. */
int gw_registry_activate(struct gw_registry *r, const struct st_function *sf,
                         struct vmm_image *img, struct gw_fn **out, char *err,
                         size_t errlen);
/* Deletes every version of `name` from the store and the registry. */
int gw_registry_remove(struct gw_registry *r, const char *name);
void gw_registry_close(struct gw_registry *r);

#endif /* MAYFLY_GW_REGISTRY_H */
