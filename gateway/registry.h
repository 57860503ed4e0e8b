/* registry.h: the functions this node serves, with their loaded images.
 *
 * An in-memory copy of the active version of every function, kept in step
 * with the store by going through it for every change (deploy, remove).
 * Images are loaded into the VMM once per (image sha, memory size) and
 * shared by reference; a redeploy swaps the reference, and invocations in
 * flight keep the one they took. Loop thread only.
 *
 * Errors: 0 or a negative errno; -ENOENT for an unknown function; -EINVAL
 * for an image the VMM refuses (the reason is in `err`).
 */
#ifndef MAYFLY_GW_REGISTRY_H
#define MAYFLY_GW_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "store/store.h"
#include "vmm/vmm.h"

#define GW_MEMORY_DEFAULT 8u     /* MiB */
#define GW_MEMORY_MAX 1024u      /* MiB, multiple of 2 */
#define GW_TIMEOUT_DEFAULT 1000u /* ms */
#define GW_TIMEOUT_MAX 60000u    /* ms */

struct gw_registry;

struct gw_fn {
    struct gw_fn *next;
    char name[ST_NAME_MAX + 1];
    int64_t version;
    char sha[ST_SHA_HEX];
    uint32_t memory_mib;
    uint32_t timeout_ms;
    int64_t created_ms;
    struct vmm_image *img; /* NULL until loaded */
};

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
/* Validates `elf` by loading it, stores it, and makes it the active
 * version of `name`. *out points into the registry. */
int gw_registry_deploy(struct gw_registry *r, const char *name, const void *elf,
                       size_t len, uint32_t memory_mib, uint32_t timeout_ms,
                       struct gw_fn **out, char *err, size_t errlen);
/* Deletes every version of `name` from the store and the registry. */
int gw_registry_remove(struct gw_registry *r, const char *name);
void gw_registry_close(struct gw_registry *r);

#endif /* MAYFLY_GW_REGISTRY_H */
