/* floor.h: the raw KVM floor: what any KVM-based VMM pays for a VM that
 * runs one instruction. Shared by `make bench-boot` and `make bench`.
 *
 * Interval: KVM_CREATE_VM .. memory slot, vCPU, registers set .. KVM_RUN
 * until the real-mode `hlt` exits .. every fd closed and mapping released.
 */
#ifndef MAYFLY_BENCH_FLOOR_H
#define MAYFLY_BENCH_FLOOR_H

#include <stddef.h>
#include <stdint.h>

/* Monotonic clock in nanoseconds. */
uint64_t bench_now_ns(void);

/* One floor VM on the open /dev/kvm fd `kvm`; run_size is
 * KVM_GET_VCPU_MMAP_SIZE. Stores the interval in *ns; returns 0 if the
 * vCPU exited with HLT, -1 otherwise. */
int bench_floor_once(int kvm, size_t run_size, uint64_t *ns);

#endif /* MAYFLY_BENCH_FLOOR_H */
