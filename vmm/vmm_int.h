/* vmm_int.h: internals shared by the files of vmm/; not part of the API.
 *
 * Errors: helpers return 0 or a negative errno and never log.
 */
#ifndef MAYFLY_VMM_INT_H
#define MAYFLY_VMM_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "mayfly_abi.h"
#include "vmm/vmm.h"

/* A guest-physical address: a number, never dereferenced. Only
 * vmm_gpa_ptr() turns one into a host pointer. */
typedef uint64_t gpa_t;

/* Guest memory as the host sees it. */
struct vmm_mem {
    uint8_t *base; /* host address of GPA 0 */
    uint64_t size; /* bytes */
};

/* Returns a host pointer for [gpa, gpa + len) if the whole range lies in
 * guest memory (no overflow), else NULL. len 0 is valid at any gpa <= size. */
void *vmm_gpa_ptr(const struct vmm_mem *mem, gpa_t gpa, uint64_t len);

/* ---- ELF images (elf.c) ---------------------------------------------- */
#define VMM_MAX_SEGS 8

struct vmm_seg {
    uint64_t vaddr, memsz, offset, filesz;
    int writable, executable;
};

struct vmm_elf {
    uint64_t entry;
    uint64_t end; /* highest vaddr + memsz of any segment */
    unsigned nsegs;
    struct vmm_seg segs[VMM_MAX_SEGS];
};

/* Validates every field of a static ELF64 x86-64 image meant for a guest of
 * mem_size bytes and fills *out. Returns 0, or -EINVAL with a reason in err. */
int vmm_elf_parse(const void *data, size_t len, uint64_t mem_size,
                  struct vmm_elf *out, char *err, size_t errlen);

/* ---- Templates (template.c) ------------------------------------------ */
struct vmm_image {
    atomic_int refs;
    int fd;            /* memfd: page tables, system page, image */
    uint64_t tpl_size; /* bytes of the template mapped from fd */
    uint64_t mem_size;
    uint64_t heap_base; /* first free page after the image */
    struct vmm_elf elf;
};

int vmm_template_build(struct vmm_image *img, const void *data, size_t len,
                       char *err, size_t errlen);
/* Bytes past the image that the warm-up stub touches (request, heap). */
#define VMM_STUB_HEAP_BYTES (1 * MF_PAGE_SIZE)
/* Builds the warm-up image every new VM runs once (see kvm.c). */
int vmm_template_warm(struct vmm_image *img, uint64_t mem_size);

/* ---- KVM VMs (kvm.c) ------------------------------------------------- */
struct vmm_vm {
    int vmfd, vcpufd;
    struct kvm_run *run;
    size_t run_size;
    uint8_t *mem; /* mapping of guest memory */
    uint64_t mem_size;
    uint64_t dirty_to; /* the warm-up may have touched [0, dirty_to) */
    const struct vmm_image *primed; /* image mapped and warmed, or NULL */
    struct vmm_vm *next;
};

struct vmm_kvm {
    int fd;
    struct vmm_image *warm; /* warm-up image run once by every new VM */
    size_t run_size;
    uint64_t tsc_khz;
};

int vmm_kvm_open(struct vmm_kvm *k, char *err, size_t errlen);
/* Makes a VM: VM, vCPU with long-mode CPL-3 segment state, and primes it
 * (vmm_vm_prime) for `img`, which pays the vCPU's first-run costs ahead of
 * demand. With img NULL it primes for k->warm instead (if set): a blank
 * VM, good for any image. A VM that cannot be primed for img is still
 * returned, blank and unprimed. */
int vmm_vm_create(const struct vmm_kvm *k, const struct vmm_image *img,
                  struct vmm_vm **out);
/* Maps img into vm and runs its warm-up stub; vm->primed = img after. */
int vmm_vm_prime(struct vmm_vm *vm, const struct vmm_image *img);
/* Maps a private copy-on-write view of img's template as guest memory
 * (fresh zero pages elsewhere) and sets the entry registers. */
int vmm_vm_load(struct vmm_vm *vm, const struct vmm_image *img);
void vmm_vm_destroy(struct vmm_vm *vm);

/* ---- Hypercall arguments (run.c) -------------------------------------
 * The checks on what a stopped guest hands the host, apart from KVM so that
 * they can be fuzzed. Each returns VMM_OK or a VMM_E* code with res->reason
 * set; copies it makes are owned by res (vmm_result_free).
 */

/* Validates the response in *b (a copy the guest can no longer change:
 * status, body, headers, log, each span against mem) and copies body,
 * headers and log out; a body over `max` bytes is VMM_ELIMIT. */
int vmm_response_collect(const struct vmm_mem *mem, const struct mf_boot *b,
                         size_t max, struct vmm_result *res);
/* MF_PORT_ABORT: the reason at gpa, printable and cut short. */
int vmm_abort_reason(const struct vmm_mem *mem, gpa_t gpa,
                     struct vmm_result *res);
/* MF_PORT_OBJ_READ / MF_PORT_OBJ_WRITE with the argument block at gpa;
 * the host's answer goes to the block's `result`. */
int vmm_obj_io(const struct vmm_mem *mem, gpa_t gpa, int write,
               const struct vmm_host_ops *ops, struct vmm_result *res);

/* ---- Pool and reaper (pool.c) ---------------------------------------- */
#define VMM_MAX_LANES 8

/* VMs primed for one image: its template mapped and its first pages
 * touched (kvm.c), so its invocations start without page faults. */
struct vmm_lane {
    struct vmm_image *img; /* holds a reference; NULL: lane unused */
    struct vmm_vm *ready;
    unsigned depth;
    uint64_t used_ns;
};

struct vmm_pool {
    struct vmm_lane lanes[VMM_MAX_LANES];
    pthread_mutex_t lock;
    pthread_cond_t need; /* pool thread waits: pool below target */
    pthread_cond_t have; /* takers wait: a VM is ready */
    pthread_cond_t dead; /* reaper waits: something to destroy */
    struct vmm_vm *ready, *graveyard;
    unsigned depth, target, graves;
    int stop, error;
    pthread_t maker, reaper;
};

struct vmm {
    struct vmm_kvm kvm;
    struct vmm_image warm;
    struct vmm_pool pool;
    int anchor_vmfd, anchor_vcpufd; /* see vmm_open */
    atomic_uint_least64_t created, destroyed, crashes, timeouts;
};

int vmm_pool_start(struct vmm *vmm, unsigned target);
void vmm_pool_stop(struct vmm *vmm);
/* Takes a VM for img: one primed for it if its lane has one, else a blank
 * VM, waiting for the pool if needed. Opens a lane for img. */
int vmm_pool_take(struct vmm *vmm, struct vmm_image *img, int wait,
                  struct vmm_vm **out);
/* Hands a used VM to the reaper, or destroys it here when the reaper is
 * far behind. */
void vmm_pool_bury(struct vmm *vmm, struct vmm_vm *vm);

/* ---- Clock ------------------------------------------------------------ */
static inline uint64_t vmm_rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

uint64_t vmm_now_ns(void);

#endif /* MAYFLY_VMM_INT_H */
