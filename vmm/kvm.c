/* kvm.c: raw KVM: blank VMs in 64-bit long mode at CPL 3, their memory. */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "vmm/vmm_int.h"

#define CR0_PE (1ULL << 0)
#define CR0_MP (1ULL << 1)
#define CR0_ET (1ULL << 4)
#define CR0_NE (1ULL << 5)
#define CR0_WP (1ULL << 16)
#define CR0_PG (1ULL << 31)
#define CR4_PAE (1ULL << 5)
#define CR4_OSFXSR (1ULL << 9)
#define CR4_OSXMMEXCPT (1ULL << 10)
#define EFER_LME (1ULL << 8)
#define EFER_LMA (1ULL << 10)
#define EFER_NXE (1ULL << 11)

uint64_t vmm_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int vmm_kvm_open(struct vmm_kvm *k, char *err, size_t errlen)
{
    int rc;

    k->fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (k->fd < 0) {
        rc = -errno;
        snprintf(err, errlen, "open /dev/kvm: %s", strerror(errno));
        return rc;
    }
    if (ioctl(k->fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
        snprintf(err, errlen, "unsupported KVM API version");
        goto close_fd;
    }
    if (ioctl(k->fd, KVM_CHECK_EXTENSION, KVM_CAP_IMMEDIATE_EXIT) <= 0) {
        snprintf(err, errlen, "KVM lacks KVM_CAP_IMMEDIATE_EXIT");
        goto close_fd;
    }
    rc = ioctl(k->fd, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (rc < (int)sizeof(struct kvm_run)) {
        snprintf(err, errlen, "bad KVM_GET_VCPU_MMAP_SIZE");
        goto close_fd;
    }
    k->run_size = (size_t)rc;
    return 0;

close_fd:
    close(k->fd);
    k->fd = -1;
    return -ENOTSUP;
}

static void seg_user(struct kvm_segment *s, uint16_t sel, int code)
{
    memset(s, 0, sizeof(*s));
    s->selector = sel;
    s->limit = 0xffffffff;
    s->present = 1;
    s->dpl = 3;
    s->s = 1;
    s->g = 1;
    s->type = code ? 11 : 3; /* execute/read, accessed : read/write, acc. */
    s->l = code;
    s->db = !code;
}

/* Long mode, paging on, CPL 3: the guest's first instruction is already in
 * user mode, so it never runs emulated ring-0 code on PVM. */
static int set_sregs(int vcpufd)
{
    struct kvm_sregs sr;

    if (ioctl(vcpufd, KVM_GET_SREGS, &sr) < 0)
        return -errno;
    seg_user(&sr.cs, MF_SEL_UCODE, 1);
    seg_user(&sr.ss, MF_SEL_UDATA, 0);
    sr.ds = sr.es = sr.fs = sr.gs = sr.ss;
    memset(&sr.tr, 0, sizeof(sr.tr));
    sr.tr.base = MF_SYS_GPA + MF_SYS_TSS_OFF;
    sr.tr.limit = MF_SYS_TSS_LIMIT;
    sr.tr.selector = MF_SEL_TSS;
    sr.tr.type = 11; /* 64-bit TSS, busy */
    sr.tr.present = 1;
    sr.ldt.unusable = 1;
    sr.gdt.base = MF_SYS_GPA;
    sr.gdt.limit = 7 * 8 - 1;
    sr.idt.base = MF_SYS_GPA + 0x100;
    sr.idt.limit = 32 * 16 - 1;
    sr.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
    sr.cr3 = MF_PML4_GPA;
    sr.cr4 = CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT;
    sr.efer = EFER_LME | EFER_LMA | EFER_NXE;
    if (ioctl(vcpufd, KVM_SET_SREGS, &sr) < 0)
        return -errno;
    return 0;
}

static int set_memory(struct vmm_vm *vm, uint64_t size)
{
    struct kvm_userspace_memory_region region = {.slot = 0};
    uint8_t *m;

    if (vm->mem) {
        /* KVM cannot resize a slot in place: delete it, then add anew. */
        if (ioctl(vm->vmfd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
            return -errno;
        munmap(vm->mem, vm->mem_size);
        vm->mem = NULL;
    }
    m = mmap(NULL, size, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED)
        return -errno;
    vm->mem = m;
    vm->mem_size = size;
    region.memory_size = size;
    region.userspace_addr = (uint64_t)(uintptr_t)m;
    if (ioctl(vm->vmfd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
        return -errno;
    return 0;
}

/* Lays a private copy-on-write view of the template over the low part of
 * guest memory; anonymous zero pages stay above it. KVM's MMU notifier
 * drops whatever the previous mapping left in the guest's page tables. */
static int map_template(struct vmm_vm *vm, const struct vmm_image *img,
                        uint64_t clear_to)
{
    if (mmap(vm->mem, img->tpl_size, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_FIXED, img->fd, 0) == MAP_FAILED)
        return -errno;
    if (clear_to > img->tpl_size &&
        mmap(vm->mem + img->tpl_size, clear_to - img->tpl_size,
             PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1,
             0) == MAP_FAILED)
        return -errno;
    return 0;
}

static int set_entry(struct vmm_vm *vm, uint64_t rip)
{
    struct kvm_regs regs = {
        .rip = rip,
        .rsp = MF_STACK_TOP,
        .rdi = MF_BOOT_GPA,
        .rflags = 2, /* IF=0; port access comes from the TSS bitmap */
    };

    return ioctl(vm->vcpufd, KVM_SET_REGS, &regs) < 0 ? -errno : 0;
}

/* Runs img's warm-up stub (template.c) in this VM: it touches the pages
 * the guest will touch first, so KVM maps them now instead of on the
 * guest's page faults, and the vCPU's first-run costs (on PVM ~130 us:
 * shadow MMU and vCPU state set-up) are paid here, off the critical path.
 * Only host code runs; the guest later finds memory exactly as its
 * template made it. */
int vmm_vm_prime(struct vmm_vm *vm, const struct vmm_image *img)
{
    uint64_t touched = img->heap_base + VMM_STUB_HEAP_BYTES;
    int rc = 0;

    if (vm->mem_size != img->mem_size) {
        rc = set_memory(vm, img->mem_size);
        vm->dirty_to = 0;
    }
    if (rc == 0)
        rc = map_template(vm, img, vm->dirty_to);
    if (rc == 0)
        rc = set_entry(vm, MF_STUB_GPA);
    if (rc)
        return rc;
    vm->primed = NULL;
    vm->dirty_to = touched < img->mem_size ? touched : img->mem_size;
    if (ioctl(vm->vcpufd, KVM_RUN, 0) < 0)
        return -errno;
    if (vm->run->exit_reason != KVM_EXIT_IO || vm->run->io.port != MF_PORT_DONE)
        return -EIO;
    rc = set_entry(vm, img->elf.entry);
    if (rc == 0)
        vm->primed = img;
    return rc;
}

int vmm_vm_create(const struct vmm_kvm *k, const struct vmm_image *img,
                  struct vmm_vm **out)
{
    struct vmm_vm *vm = calloc(1, sizeof(*vm));
    int rc = -ENOMEM;

    if (!vm)
        return rc;
    vm->vcpufd = -1;
    vm->run = MAP_FAILED;
    vm->vmfd = ioctl(k->fd, KVM_CREATE_VM, 0);
    if (vm->vmfd < 0)
        goto fail;
    vm->vcpufd = ioctl(vm->vmfd, KVM_CREATE_VCPU, 0);
    if (vm->vcpufd < 0)
        goto fail;
    vm->run_size = k->run_size;
    vm->run = mmap(NULL, k->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
                   vm->vcpufd, 0);
    if (vm->run == MAP_FAILED)
        goto fail;
    rc = set_sregs(vm->vcpufd);
    if (rc == 0 && img && vmm_vm_prime(vm, img) < 0)
        vm->primed = NULL; /* still a usable blank VM */
    else if (rc == 0 && !img && k->warm)
        rc = vmm_vm_prime(vm, k->warm);
    if (rc)
        goto destroy;
    *out = vm;
    return 0;

fail:
    rc = -errno;
destroy:
    vmm_vm_destroy(vm);
    return rc;
}

int vmm_vm_load(struct vmm_vm *vm, const struct vmm_image *img)
{
    int rc = 0;

    if (vm->primed != img) {
        if (vm->mem_size != img->mem_size) {
            rc = set_memory(vm, img->mem_size);
            vm->dirty_to = 0;
        }
        if (rc == 0)
            rc = map_template(vm, img, vm->dirty_to);
    }
    if (vm->primed == img) {
        vm->primed = NULL; /* a VM runs one invocation */
        return 0;
    }
    return rc ? rc : set_entry(vm, img->elf.entry);
}

void vmm_vm_destroy(struct vmm_vm *vm)
{
    if (!vm)
        return;
    if (vm->run != MAP_FAILED)
        munmap(vm->run, vm->run_size);
    if (vm->vcpufd >= 0)
        close(vm->vcpufd);
    if (vm->vmfd >= 0)
        close(vm->vmfd);
    if (vm->mem)
        munmap(vm->mem, vm->mem_size);
    free(vm);
}
