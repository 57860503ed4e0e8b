/* floor.c: one minimal KVM VM, created, run to `hlt` and destroyed. */
#include "bench/floor.h"

#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

uint64_t bench_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int bench_floor_once(int kvm, size_t run_size, uint64_t *ns)
{
    uint64_t t0 = bench_now_ns();
    int vm = ioctl(kvm, KVM_CREATE_VM, 0), vcpu = -1, rc = -1;
    struct kvm_userspace_memory_region reg = {0, 0, 0x1000, 0x1000, 0};
    struct kvm_regs regs = {.rip = 0, .rflags = 2};
    struct kvm_sregs sregs;
    struct kvm_run *run = MAP_FAILED;
    uint8_t *mem;

    mem = mmap(NULL, 0x1000, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (vm < 0 || mem == MAP_FAILED)
        goto out;
    mem[0] = 0xf4; /* hlt */
    reg.userspace_addr = (uint64_t)(uintptr_t)mem;
    vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
    if (vcpu < 0 || ioctl(vm, KVM_SET_USER_MEMORY_REGION, &reg) < 0)
        goto out;
    run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
    if (run == MAP_FAILED || ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0)
        goto out;
    sregs.cs.base = 0x1000; /* real mode: CS base 0x1000, IP 0 */
    sregs.cs.selector = 0x100;
    if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0 ||
        ioctl(vcpu, KVM_SET_REGS, &regs) < 0 || ioctl(vcpu, KVM_RUN, 0) < 0)
        goto out;
    rc = run->exit_reason == KVM_EXIT_HLT ? 0 : -1;
out:
    if (run != MAP_FAILED)
        munmap(run, run_size);
    if (vcpu >= 0)
        close(vcpu);
    if (vm >= 0)
        close(vm);
    if (mem != MAP_FAILED)
        munmap(mem, 0x1000);
    *ns = bench_now_ns() - t0;
    return rc;
}
