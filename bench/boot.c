/* boot.c: `make bench-boot`: the raw KVM floor and cold invocations through
 * the VMM API, side by side in one process, plus sustained boots/s.
 *
 * Intervals (all CLOCK_MONOTONIC on the host unless said otherwise):
 *   floor     KVM_CREATE_VM .. vCPU in real mode runs `hlt` .. fds closed
 *   critical  vmm_invoke() entry .. return: take a pooled VM, load, run the
 *             guest to its done hypercall, collect the response
 *   phases    wait/load/enter/start/run/done as in vmm.h (enter, start, run
 *             and done come from TSC stamps the guest writes)
 * Cold invocations are paced so the pool is full when each starts: this
 * measures the critical path, while boots/s measures what the pool, the
 * reaper and the workers sustain together.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "bench/cold.h"
#include "bench/floor.h"
#include "bench/series.h"
#include "vmm/vmm.h"
#include "vmm/vmm_int.h" /* memory per VM: primes VMs without invoking */

enum {
    P_FLOOR,
    P_WAIT,
    P_LOAD,
    P_ENTER,
    P_START,
    P_RUN,
    P_DONE,
    P_TOTAL,
    NPHASES
};
static const char *phase_names[NPHASES] = {
    "floor", "wait", "load", "enter", "start", "run", "done", "critical",
};

static void *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;

    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 &&
        fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n)) &&
        fread(buf, 1, (size_t)n, f) == (size_t)n)
        *len = (size_t)n;
    else {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    return buf;
}

static int cold_once(struct vmm *vmm, struct vmm_image *img, struct series *s)
{
    struct vmm_result r;
    int rc = vmm_invoke(vmm, img, &bench_hello_req, NULL, &r);

    if (rc == 0 && (r.body_len != 10 || memcmp(r.body, "hello, ada", 10)))
        rc = -1;
    if (rc == 0) {
        series_push(&s[P_WAIT], r.t.wait);
        series_push(&s[P_LOAD], r.t.load);
        series_push(&s[P_ENTER], r.t.enter);
        series_push(&s[P_START], r.t.start);
        series_push(&s[P_RUN], r.t.run);
        series_push(&s[P_DONE], r.t.done);
        series_push(&s[P_TOTAL], r.t.total);
    } else {
        fprintf(stderr, "invocation failed: %s\n", r.reason);
    }
    vmm_result_free(&r);
    return rc;
}

struct load_arg {
    struct vmm *vmm;
    struct vmm_image *img;
    uint64_t until;
    atomic_ulong *done;
    atomic_ulong *failed;
};

static void *load_main(void *p)
{
    struct load_arg *a = p;

    while (bench_now_ns() < a->until) {
        struct vmm_result r;

        if (vmm_invoke(a->vmm, a->img, &bench_hello_req, NULL, &r) == 0)
            atomic_fetch_add(a->done, 1);
        else
            atomic_fetch_add(a->failed, 1);
        vmm_result_free(&r);
    }
    return NULL;
}

/* Sustained fresh-VM invocations per second with `workers` threads. */
static double boots_per_s(struct vmm *vmm, struct vmm_image *img,
                          unsigned workers, double secs)
{
    atomic_ulong done = 0, failed = 0;
    pthread_t th[64];
    uint64_t t0 = bench_now_ns();
    struct load_arg a = {vmm, img, t0 + (uint64_t)(secs * 1e9), &done, &failed};

    for (unsigned i = 0; i < workers; i++)
        pthread_create(&th[i], NULL, load_main, &a);
    for (unsigned i = 0; i < workers; i++)
        pthread_join(th[i], NULL);
    if (failed)
        fprintf(stderr, "%lu invocations failed under load\n",
                (unsigned long)failed);
    return (double)done / ((double)(bench_now_ns() - t0) / 1e9);
}

/* A /proc/meminfo or /proc/self/status field, in KiB. */
static long kib_field(const char *file, const char *field)
{
    FILE *f = fopen(file, "r");
    size_t n = strlen(field);
    char line[256];
    long v = -1;

    while (f && fgets(line, sizeof(line), f))
        if (strncmp(line, field, n) == 0)
            v = atol(line + n);
    if (f)
        fclose(f);
    return v;
}

/* The kernel's own memory, in KiB: what KVM's structures, shadow page
 * tables and memory slots are allocated from. */
static long kernel_kib(void)
{
    static const char *const fields[] = {
        "Slab:",        "PageTables:",  "SecPageTables:",
        "KernelStack:", "VmallocUsed:", "Percpu:",
    };
    long sum = 0;

    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        long v = kib_field("/proc/meminfo", fields[i]);

        sum += v > 0 ? v : 0;
    }
    return sum;
}

/* Host memory that K primed VMs hold, per VM: the guest pages they touched
 * (our process's anonymous RSS: copy-on-write and zero-fill pages), and the
 * rest: kernel memory (slab, page tables, vmalloc, per-CPU) plus our
 * file-backed and shared RSS (the vCPUs' kvm_run pages). Other work on the
 * machine adds noise; the median of three rounds is reported. */
static void memory_per_vm(struct vmm_image *img, long *guest_kib,
                          long *host_kib)
{
    enum { K = 100, ROUNDS = 3 };
    struct vmm_kvm k = {0};
    struct vmm_image warm;
    long g[ROUNDS], h[ROUNDS];
    char err[128];

    *guest_kib = *host_kib = -1;
    if (vmm_kvm_open(&k, err, sizeof(err)) ||
        vmm_template_warm(&warm, img->mem_size))
        return;
    k.warm = &warm;
    for (int r = 0; r < ROUNDS; r++) {
        static struct vmm_vm *vms[K];
        long anon0, host0;
        int n = 0;

        usleep(200 * 1000); /* let deferred frees of earlier VMs settle */
        anon0 = kib_field("/proc/self/status", "RssAnon:");
        host0 = kernel_kib() + kib_field("/proc/self/status", "RssFile:") +
                kib_field("/proc/self/status", "RssShmem:");

        while (n < K && vmm_vm_create(&k, img, &vms[n]) == 0) {
            n++;
            if (vms[n - 1]->primed != img)
                break;
        }
        g[r] =
            (kib_field("/proc/self/status", "RssAnon:") - anon0) / (n ? n : 1);
        h[r] = (kernel_kib() + kib_field("/proc/self/status", "RssFile:") +
                kib_field("/proc/self/status", "RssShmem:") - host0) /
               (n ? n : 1);
        while (n > 0)
            vmm_vm_destroy(vms[--n]);
    }
    for (int i = 0; i < ROUNDS; i++)
        for (int j = i + 1; j < ROUNDS; j++) {
            long t;

            if (g[j] < g[i])
                t = g[i], g[i] = g[j], g[j] = t;
            if (h[j] < h[i])
                t = h[i], h[i] = h[j], h[j] = t;
        }
    *guest_kib = g[ROUNDS / 2];
    *host_kib = h[ROUNDS / 2];
    close(warm.fd);
    close(k.fd);
}

static void print_table(struct series *s)
{
    printf("%-10s %8s %10s %10s %10s\n", "phase", "n", "p50_us", "p90_us",
           "p99_us");
    for (int i = 0; i < NPHASES; i++) {
        series_sort(&s[i]);
        printf("%-10s %8zu %10.1f %10.1f %10.1f\n", phase_names[i], s[i].n,
               series_pct_us(&s[i], 50), series_pct_us(&s[i], 90),
               series_pct_us(&s[i], 99));
    }
}

int main(int argc, char **argv)
{
    const char *image = argc > 1 ? argv[1] : "build/functions/hello.elf";
    int n = argc > 2 ? atoi(argv[2]) : 1000;
    double secs = argc > 3 ? atof(argv[3]) : 5;
    unsigned workers = (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
    struct series s[NPHASES] = {{0}};
    struct vmm_config cfg = {0};
    struct vmm_image *img;
    struct vmm *vmm;
    char err[256];
    size_t len, run_size;
    void *elf = read_file(image, &len);
    int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);

    if (kvm < 0) {
        printf("SKIP bench-boot: /dev/kvm absent\n");
        return 0;
    }
    if (!elf || vmm_open(&vmm, &cfg, err, sizeof(err)) ||
        vmm_image_load(vmm, elf, len, 8, &img, err, sizeof(err))) {
        fprintf(stderr, "bench-boot: %s: %s\n", image,
                elf ? err : strerror(errno));
        return 1;
    }
    run_size = (size_t)ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    /* Interleaved in rounds, so that drift of a shared machine hits the
     * floor and the invocations alike. */
    for (int i = 0; i < n; i++) {
        uint64_t ns;

        bench_settle(vmm, 8);
        if (bench_floor_once(kvm, run_size, &ns) == 0)
            series_push(&s[P_FLOOR], ns);
        bench_settle(vmm, 8);
        if (cold_once(vmm, img, s))
            return 1;
    }
    print_table(s);
    double bps = boots_per_s(vmm, img, workers, secs);
    long guest_kib, host_kib;

    printf("boots_per_s=%.0f workers=%u seconds=%.1f\n", bps, workers, secs);
    memory_per_vm(img, &guest_kib, &host_kib);
    printf("memory per primed VM: guest pages touched %ld KiB, host "
           "beyond them %ld KiB (median of 3 x 100 VMs)\n",
           guest_kib, host_kib);
    printf("image %s: %zu bytes\n", image, len);
    printf("RESULT critical_p50_us=%.0f critical_p99_us=%.0f "
           "boots_per_s=%.0f floor_p50_us=%.0f\n",
           series_pct_us(&s[P_TOTAL], 50), series_pct_us(&s[P_TOTAL], 99), bps,
           series_pct_us(&s[P_FLOOR], 50));
    vmm_image_put(img);
    vmm_close(vmm);
    free(elf);
    return 0;
}
