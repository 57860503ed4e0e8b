/* vmm.c: the VMM's public entry points: open, images, statistics. */
#include <errno.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vmm/vmm_int.h"

#define DEFAULT_POOL 4
#define DEFAULT_POOL_MIB 8

int vmm_signal_number(void);
void vmm_on_timer_signal(int sig);

/* KVM reports the guest TSC rate per vCPU; ask a throwaway one. */
static void probe_tsc(struct vmm_kvm *k)
{
    struct vmm_vm *vm;
    int khz;

    if (vmm_vm_create(k, NULL, &vm) < 0)
        return;
    khz = ioctl(vm->vcpufd, KVM_GET_TSC_KHZ, 0);
    k->tsc_khz = khz > 0 ? (uint64_t)khz : 0;
    vmm_vm_destroy(vm);
}

static int install_signal(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = vmm_on_timer_signal; /* no SA_RESTART: KVM_RUN EINTRs */
    sigemptyset(&sa.sa_mask);
    return sigaction(vmm_signal_number(), &sa, NULL) < 0 ? -errno : 0;
}

int vmm_open(struct vmm **out, const struct vmm_config *cfg, char *err,
             size_t errlen)
{
    struct vmm *vmm = calloc(1, sizeof(*vmm));
    unsigned target = cfg && cfg->pool_size ? cfg->pool_size : DEFAULT_POOL;
    uint32_t mib =
        cfg && cfg->pool_memory_mib ? cfg->pool_memory_mib : DEFAULT_POOL_MIB;
    int rc;

    if (!vmm)
        return -ENOMEM;
    rc = vmm_kvm_open(&vmm->kvm, err, errlen);
    if (rc)
        goto free_vmm;
    probe_tsc(&vmm->kvm);
    /* An idle VM with one vCPU, kept for the VMM's life. KVM counts vCPUs
     * without an in-kernel APIC in a static key; each time that count goes
     * between 0 and 1 the kernel rewrites its own code and stops every CPU
     * to do it. Without the anchor that happened for most VMs made and
     * destroyed, a fifth of all CPU time under load (perf, docs/
     * DESIGN-NOTES.md). Failing to make it only costs speed. */
    vmm->anchor_vmfd = ioctl(vmm->kvm.fd, KVM_CREATE_VM, 0);
    vmm->anchor_vcpufd =
        vmm->anchor_vmfd < 0 ? -1 : ioctl(vmm->anchor_vmfd, KVM_CREATE_VCPU, 0);
    rc = vmm_template_warm(&vmm->warm, (uint64_t)mib << 20);
    if (rc) {
        snprintf(err, errlen, "warm-up template: %s", strerror(-rc));
        goto close_kvm;
    }
    vmm->kvm.warm = &vmm->warm;
    rc = install_signal();
    if (rc) {
        snprintf(err, errlen, "sigaction: %s", strerror(-rc));
        goto close_kvm;
    }
    rc = vmm_pool_start(vmm, target);
    if (rc) {
        snprintf(err, errlen, "starting pool: %s", strerror(-rc));
        goto close_kvm;
    }
    *out = vmm;
    return 0;

close_kvm:
    if (vmm->anchor_vcpufd >= 0)
        close(vmm->anchor_vcpufd);
    if (vmm->anchor_vmfd >= 0)
        close(vmm->anchor_vmfd);
    if (vmm->warm.fd > 0)
        close(vmm->warm.fd);
    close(vmm->kvm.fd);
free_vmm:
    free(vmm);
    return rc;
}

void vmm_close(struct vmm *vmm)
{
    if (!vmm)
        return;
    vmm_pool_stop(vmm);
    if (vmm->anchor_vcpufd >= 0)
        close(vmm->anchor_vcpufd);
    if (vmm->anchor_vmfd >= 0)
        close(vmm->anchor_vmfd);
    close(vmm->warm.fd);
    close(vmm->kvm.fd);
    free(vmm);
}

int vmm_image_load(struct vmm *vmm, const void *elf, size_t len,
                   uint32_t memory_mib, struct vmm_image **out, char *err,
                   size_t errlen)
{
    uint64_t mem = (uint64_t)memory_mib << 20;
    struct vmm_image *img;
    int rc;

    (void)vmm;
    if (mem < MF_MEM_MIN || mem > MF_MEM_MAX || mem % MF_MEM_MIN) {
        snprintf(err, errlen,
                 "memory must be a multiple of 2 MiB in "
                 "[%u, %u] MiB",
                 MF_MEM_MIN >> 20, MF_MEM_MAX >> 20);
        return -EINVAL;
    }
    img = calloc(1, sizeof(*img));
    if (!img)
        return -ENOMEM;
    img->mem_size = mem;
    img->fd = -1;
    rc = vmm_elf_parse(elf, len, mem, &img->elf, err, errlen);
    if (rc == 0)
        rc = vmm_template_build(img, elf, len, err, errlen);
    if (rc) {
        free(img);
        return rc;
    }
    atomic_init(&img->refs, 1);
    *out = img;
    return 0;
}

void vmm_image_get(struct vmm_image *img)
{
    atomic_fetch_add(&img->refs, 1);
}

void vmm_image_put(struct vmm_image *img)
{
    if (img && atomic_fetch_sub(&img->refs, 1) == 1) {
        close(img->fd);
        free(img);
    }
}

void vmm_stats(struct vmm *vmm, struct vmm_stats *st)
{
    st->vms_created = atomic_load(&vmm->created);
    st->vms_destroyed = atomic_load(&vmm->destroyed);
    st->crashes = atomic_load(&vmm->crashes);
    st->timeouts = atomic_load(&vmm->timeouts);
    pthread_mutex_lock(&vmm->pool.lock);
    st->pool_depth = vmm->pool.depth;
    for (unsigned i = 0; i < VMM_MAX_LANES; i++)
        st->pool_depth += vmm->pool.lanes[i].depth;
    pthread_mutex_unlock(&vmm->pool.lock);
}
