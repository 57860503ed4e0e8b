/* vmm.h: Mayfly's in-process KVM VMM: one fresh VM per invocation.
 *
 * Call order:
 *   vmm_open()                      once; starts the pool and reaper threads
 *   vmm_image_load()                per image; validates the ELF, builds a
 *                                   ready template (refcounted)
 *   vmm_invoke()                    per request, on a worker thread (it
 *                                   blocks in KVM_RUN; never call it on an
 *                                   event loop)
 *   vmm_invoke_try()                per request on an event loop: runs a
 *                                   time slice; vmm_call_finish() goes on
 *                                   on a worker
 *   vmm_result_free(), vmm_image_put(), vmm_close()
 *
 * Errors: vmm_open and vmm_image_load return 0 or a negative errno and
 * describe the problem in `err`. vmm_invoke returns 0 when the guest ran and
 * answered; otherwise a VMM_E* code with res->reason filled. A guest that
 * breaks the contract only ends its own VM. The VMM never logs.
 */
#ifndef MAYFLY_VMM_H
#define MAYFLY_VMM_H

#include <stddef.h>
#include <stdint.h>

struct vmm;
struct vmm_image;

struct vmm_config {
    unsigned pool_size;       /* blank VMs kept ready; 0 = default */
    uint32_t pool_memory_mib; /* guest memory of pooled VMs; 0 = 8 MiB.
                                 Other sizes work, at the cost of a
                                 memory-slot change per invocation. */
};

/* Outcome of one invocation. */
enum vmm_error {
    VMM_OK = 0,
    VMM_ECRASH = 1,   /* fault, triple fault, bad exit, bad hypercall */
    VMM_ETIMEOUT = 2, /* wall-clock limit reached */
    VMM_ELIMIT = 3,   /* response or log larger than allowed */
    VMM_EHOST = 4,    /* host-side failure (KVM, memory) */
    VMM_EREQUEST = 5, /* the request does not fit in the guest's memory */
};

/* A packed list of "name\0value\0" pairs (see mayfly_abi.h). */
struct vmm_kv {
    const char *data;
    size_t len;
    size_t count;
};

struct vmm_request {
    const char *method;
    const char *path;
    const char *query; /* may be NULL */
    struct vmm_kv headers;
    const void *body;
    size_t body_len;
    struct vmm_kv env;
    const char *event; /* trigger event JSON or NULL */
    size_t event_len;
    uint32_t trigger; /* MF_TRIGGER_* */
    uint32_t timeout_ms;
    size_t max_response; /* 0 = default (6 MiB) */
};

/* Durations of the phases of one invocation, in nanoseconds. */
struct vmm_timings {
    uint64_t wait;  /* taking a blank VM from the pool */
    uint64_t load;  /* mapping the template, placing the request */
    uint64_t enter; /* KVM_RUN to the guest's first instruction */
    uint64_t start; /* guest first instruction to main */
    uint64_t run;   /* the function: main to done */
    uint64_t done;  /* done hypercall to result collected */
    uint64_t total; /* vmm_invoke entry to return */
};

/* Optional host services for hypercalls other than done. */
struct vmm_host_ops {
    /* Reads the triggering object from `off`; returns bytes or -errno. */
    int64_t (*obj_read)(void *ctx, uint64_t off, void *buf, size_t len);
    /* Writes a whole object; returns 0 or -errno. */
    int (*obj_write)(void *ctx, const char *bucket, const char *key,
                     const void *buf, size_t len);
    void *ctx;
};

struct vmm_result {
    enum vmm_error error;
    char reason[160]; /* short reason when error != VMM_OK */
    int status;       /* guest's HTTP status */
    char *headers;    /* packed pairs, validated; owned */
    size_t headers_len;
    size_t headers_count;
    char *body; /* owned */
    size_t body_len;
    char *log; /* owned, lines end in '\n' */
    size_t log_len;
    int log_truncated;
    unsigned exits; /* VM exits taken */
    struct vmm_timings t;
};

int vmm_open(struct vmm **out, const struct vmm_config *cfg, char *err,
             size_t errlen);
void vmm_close(struct vmm *vmm);

/* Validates an ELF64 image and builds its template for `memory_mib` MiB of
 * guest memory. The image bytes are copied; the caller keeps `elf`. */
int vmm_image_load(struct vmm *vmm, const void *elf, size_t len,
                   uint32_t memory_mib, struct vmm_image **out, char *err,
                   size_t errlen);
void vmm_image_get(struct vmm_image *img);
void vmm_image_put(struct vmm_image *img);

/* Runs one invocation in a fresh VM; fills *res (always; free it with
 * vmm_result_free) and returns res->error. Thread-safe. */
int vmm_invoke(struct vmm *vmm, struct vmm_image *img,
               const struct vmm_request *req, const struct vmm_host_ops *ops,
               struct vmm_result *res);
void vmm_result_free(struct vmm_result *res);

/* An invocation begun by vmm_invoke_try that still holds its VM. */
struct vmm_call;

enum vmm_try {
    VMM_TRY_BUSY, /* no VM was ready: nothing done, use vmm_invoke */
    VMM_TRY_DONE, /* the guest is done: *res is filled as by vmm_invoke */
    VMM_TRY_MORE, /* the guest still runs: *res is filled by finishing */
};

/* vmm_invoke for a thread that must not block for long, such as an event
 * loop: runs only if a VM is ready at once, and sets the guest aside after
 * `slice_us` microseconds of running. The guest's time limit counts from
 * its first instruction here, wherever it goes on. Unless BUSY, *call
 * (possibly NULL) must be given to vmm_call_finish: after DONE once the
 * answer is on its way, since only then is the used VM handed to the
 * reaper and the pool refilled; after MORE on a thread that may block. */
enum vmm_try vmm_invoke_try(struct vmm *vmm, struct vmm_image *img,
                            const struct vmm_request *req,
                            const struct vmm_host_ops *ops,
                            struct vmm_result *res, uint32_t slice_us,
                            struct vmm_call **call);
/* After MORE: runs the guest to its end (blocking in KVM_RUN; any thread
 * of the process), fills the `res` given to vmm_invoke_try and returns
 * res->error. After DONE: returns 0 without touching `res`. Either way
 * lets go of the VM and frees `call` (NULL: nothing to do). */
int vmm_call_finish(struct vmm_call *call);

/* Counters since vmm_open. */
struct vmm_stats {
    uint64_t vms_created;
    uint64_t vms_destroyed;
    uint64_t pool_depth;
    uint64_t crashes;
    uint64_t timeouts;
};
void vmm_stats(struct vmm *vmm, struct vmm_stats *st);

#endif /* MAYFLY_VMM_H */
