/* side_kvm.c: the in-process contenders, each in a runner process of its
 * own so that its peak RSS is its own: the raw KVM floor and Mayfly's cold
 * invocation through the VMM API.
 *
 * The driver starts `side --serve floor` or `side --serve mayfly IMAGE`
 * and talks to it in lines:
 *   lat N         N samples, one line each: "NS" (floor) or
 *                 "TOTAL WAIT LOAD ENTER START RUN DONE" (mayfly), in ns,
 *                 or "err REASON"; then "end"
 *   tput S P      P threads for S seconds: "OPS NS"
 *   rss           "KIB" (VmHWM)
 *   stats         mayfly: "INVOCATIONS CREATED POOL_AT_START"
 * End of input ends the runner.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/cold.h"
#include "bench/floor.h"
#include "bench/side.h"
#include "vmm/vmm.h"

/* A full pool: the VMM's default of 4 blank VMs plus 4 primed for the
 * image's lane, which exists from the image's first invocation on. */
#define POOL_TARGET 8

/* ---- Runner side (the child) ------------------------------------------ */

struct runner {
    int mayfly;
    int kvm;
    size_t run_size;
    struct vmm *vmm;
    struct vmm_image *img;
    uint64_t invocations;
    uint64_t created_at_start, pool_at_start;
};

static int mayfly_once(struct runner *r, struct vmm_timings *t, char *why,
                       size_t len)
{
    struct vmm_result res;
    int rc = vmm_invoke(r->vmm, r->img, &bench_hello_req, NULL, &res);

    if (rc == 0 && (res.status != 200 || res.body_len != 10 ||
                    memcmp(res.body, "hello, ada", 10) != 0)) {
        snprintf(why, len, "unexpected answer: status %d", res.status);
        rc = -1;
    } else if (rc != 0) {
        snprintf(why, len, "%s", res.reason);
    }
    *t = res.t;
    r->invocations += rc == 0;
    vmm_result_free(&res);
    return rc;
}

static void serve_lat(struct runner *r, unsigned n)
{
    char why[200];

    for (unsigned i = 0; i < n; i++) {
        struct vmm_timings t;
        uint64_t ns;

        if (!r->mayfly) {
            if (bench_floor_once(r->kvm, r->run_size, &ns) == 0)
                printf("%llu\n", (unsigned long long)ns);
            else
                printf("err floor VM did not halt\n");
            continue;
        }
        bench_settle(r->vmm, POOL_TARGET);
        if (mayfly_once(r, &t, why, sizeof(why)) == 0)
            printf("%llu %llu %llu %llu %llu %llu %llu\n",
                   (unsigned long long)t.total, (unsigned long long)t.wait,
                   (unsigned long long)t.load, (unsigned long long)t.enter,
                   (unsigned long long)t.start, (unsigned long long)t.run,
                   (unsigned long long)t.done);
        else
            printf("err %s\n", why);
    }
    printf("end\n");
}

struct load_arg {
    struct runner *r;
    uint64_t until;
    atomic_ulong done;
};

static void *load_main(void *p)
{
    struct load_arg *a = p;
    char why[200];

    while (bench_now_ns() < a->until) {
        struct vmm_timings t;
        uint64_t ns;
        int rc = a->r->mayfly
                     ? mayfly_once(a->r, &t, why, sizeof(why))
                     : bench_floor_once(a->r->kvm, a->r->run_size, &ns);

        if (rc == 0)
            atomic_fetch_add(&a->done, 1);
    }
    return NULL;
}

/* Unpaced: the pool, the reaper and the streams compete for the cores. */
static void serve_tput(struct runner *r, double secs, unsigned streams)
{
    struct load_arg a = {.r = r};
    pthread_t th[64];
    uint64_t t0;
    unsigned i;

    if (streams > 64)
        streams = 64;
    if (r->mayfly)
        bench_settle(r->vmm, POOL_TARGET);
    t0 = bench_now_ns();
    a.until = t0 + (uint64_t)(secs * 1e9);
    for (i = 0; i < streams; i++)
        pthread_create(&th[i], NULL, load_main, &a);
    for (i = 0; i < streams; i++)
        pthread_join(th[i], NULL);
    printf("%lu %llu\n", (unsigned long)atomic_load(&a.done),
           (unsigned long long)(bench_now_ns() - t0));
    if (r->mayfly)
        bench_settle(r->vmm, POOL_TARGET);
}

static void *slurp(const char *path, size_t *len)
{
    struct stat st;
    char *buf = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd >= 0 && fstat(fd, &st) == 0 && st.st_size > 0 &&
        (buf = malloc((size_t)st.st_size)) != NULL &&
        read(fd, buf, (size_t)st.st_size) == st.st_size) {
        *len = (size_t)st.st_size;
    } else {
        free(buf);
        buf = NULL;
    }
    if (fd >= 0)
        close(fd);
    return buf;
}

static int runner_open(struct runner *r, int argc, char **argv)
{
    struct vmm_config cfg = {0};
    struct vmm_stats st;
    char err[256];
    size_t len = 0;
    void *elf;

    r->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (r->kvm < 0) {
        printf("err /dev/kvm: %s\n", strerror(errno));
        return -1;
    }
    r->run_size = (size_t)ioctl(r->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (!r->mayfly)
        return 0;
    if (argc < 1 || (elf = slurp(argv[0], &len)) == NULL) {
        printf("err cannot read the image\n");
        return -1;
    }
    if (vmm_open(&r->vmm, &cfg, err, sizeof(err)) ||
        vmm_image_load(r->vmm, elf, len, 8, &r->img, err, sizeof(err))) {
        printf("err %s\n", err);
        free(elf);
        return -1;
    }
    free(elf);
    /* Only 4 blank VMs so far: the image has no lane before its first
     * invocation, so this waits out its bound. */
    bench_settle(r->vmm, POOL_TARGET);
    vmm_stats(r->vmm, &st);
    r->created_at_start = st.vms_created;
    r->pool_at_start = st.pool_depth;
    return 0;
}

static void serve_stats(struct runner *r)
{
    struct vmm_stats st = {0};

    if (r->vmm)
        vmm_stats(r->vmm, &st);
    printf("%llu %llu %llu\n", (unsigned long long)r->invocations,
           (unsigned long long)(st.vms_created - r->created_at_start),
           (unsigned long long)r->pool_at_start);
}

/* `side --serve floor|mayfly [IMAGE]`: argv starts after --serve. */
int side_serve(int argc, char **argv)
{
    struct runner r = {.mayfly = argc > 0 && strcmp(argv[0], "mayfly") == 0};
    char line[128];
    unsigned n, p;
    double secs;

    setvbuf(stdout, NULL, _IOFBF, 1 << 16);
    if (runner_open(&r, argc - 1, argv + 1) < 0) {
        fflush(stdout);
        return 1;
    }
    printf("ready\n");
    fflush(stdout);
    while (fgets(line, sizeof(line), stdin)) {
        if (sscanf(line, "lat %u", &n) == 1)
            serve_lat(&r, n);
        else if (sscanf(line, "tput %lf %u", &secs, &p) == 2)
            serve_tput(&r, secs, p);
        else if (strncmp(line, "rss", 3) == 0)
            printf("%ld\n", side_vmhwm_kib(getpid()));
        else if (strncmp(line, "stats", 5) == 0)
            serve_stats(&r);
        else
            printf("err unknown command\n");
        fflush(stdout);
    }
    if (r.vmm) {
        vmm_image_put(r.img);
        vmm_close(r.vmm);
    }
    return 0;
}

/* ---- Driver side -------------------------------------------------------- */

struct runner_link {
    pid_t pid;
    FILE *to, *from;
    char fresh[200];
};

static int link_cmd(struct contender *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int link_cmd(struct contender *c, const char *fmt, ...)
{
    struct runner_link *l = c->priv;
    va_list ap;

    va_start(ap, fmt);
    vfprintf(l->to, fmt, ap);
    va_end(ap);
    if (fflush(l->to) != 0) {
        side_fail(c, "runner went away");
        return -1;
    }
    return 0;
}

static char *link_line(struct contender *c, char *buf, size_t len)
{
    struct runner_link *l = c->priv;

    if (!fgets(buf, (int)len, l->from)) {
        side_fail(c, "runner went away");
        return NULL;
    }
    buf[strcspn(buf, "\n")] = '\0';
    if (strncmp(buf, "err ", 4) == 0) {
        side_fail(c, "%s", buf + 4);
        return NULL;
    }
    return buf;
}

static int kvm_sample(struct contender *c, const char *line)
{
    unsigned long long v[PH_COUNT];

    if (!c->phases) {
        series_push(&c->lat, strtoull(line, NULL, 10));
        series_push(&c->round, c->cur_round);
        return 0;
    }
    if (sscanf(line, "%llu %llu %llu %llu %llu %llu %llu", &v[PH_TOTAL],
               &v[PH_WAIT], &v[PH_LOAD], &v[PH_ENTER], &v[PH_START], &v[PH_RUN],
               &v[PH_DONE]) != PH_COUNT) {
        side_fail(c, "runner said '%s'", line);
        return -1;
    }
    for (int i = 0; i < PH_COUNT; i++)
        series_push(&c->phases[i], v[i]);
    series_push(&c->lat, v[PH_TOTAL]);
    series_push(&c->round, c->cur_round);
    return 0;
}

static int kvm_batch(struct contender *c, unsigned n)
{
    char line[256];

    if (link_cmd(c, "lat %u\n", n) < 0)
        return -1;
    while (link_line(c, line, sizeof(line))) {
        if (strcmp(line, "end") == 0)
            return 0;
        if (kvm_sample(c, line) < 0)
            return -1;
    }
    return -1;
}

static int kvm_tput(struct contender *c, double secs)
{
    unsigned long long ops, ns;
    char line[128];

    if (link_cmd(c, "tput %.3f %u\n", secs, c->opts->streams) < 0 ||
        !link_line(c, line, sizeof(line)))
        return -1;
    if (sscanf(line, "%llu %llu", &ops, &ns) != 2) {
        side_fail(c, "runner said '%s'", line);
        return -1;
    }
    c->ops_done += ops;
    c->ops_ns += ns;
    return 0;
}

static int kvm_rss(struct contender *c)
{
    char line[64];

    if (link_cmd(c, "rss\n") < 0 || !link_line(c, line, sizeof(line)))
        return -1;
    c->rss_kib = atol(line);
    return 0;
}

static const char *kvm_fresh(struct contender *c)
{
    struct runner_link *l = c->priv;
    unsigned long long inv, created, pool;
    char line[128];

    if (!c->phases || link_cmd(c, "stats\n") < 0 ||
        !link_line(c, line, sizeof(line)) ||
        sscanf(line, "%llu %llu %llu", &inv, &created, &pool) != 3)
        return NULL;
    snprintf(l->fresh, sizeof(l->fresh),
             "%s: %llu invocations, VMs created +%llu (pool held %llu "
             "before): %s",
             c->name, inv, created, pool,
             inv <= created + pool ? "every invocation had a VM of its own"
                                   : "NOT every invocation had a fresh VM");
    return l->fresh;
}

static void kvm_close(struct contender *c)
{
    struct runner_link *l = c->priv;

    if (!l)
        return;
    if (l->to)
        fclose(l->to);
    if (l->from)
        fclose(l->from);
    if (l->pid > 0)
        waitpid(l->pid, NULL, 0);
    free(l);
    c->priv = NULL;
}

static const struct contender_ops kvm_ops = {
    kvm_batch, kvm_tput, kvm_rss, kvm_fresh, kvm_close,
};

static int runner_start(struct contender *c, const char *mode)
{
    struct runner_link *l = calloc(1, sizeof(*l));
    int in[2], out[2];
    char line[256];

    c->ops = &kvm_ops;
    c->priv = l;
    if (!l || pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0) {
        side_fail(c, "out of resources");
        return -1;
    }
    l->pid = fork();
    if (l->pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        execl(c->opts->self, c->opts->self, "--serve", mode, c->opts->image,
              (char *)NULL);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    l->to = fdopen(in[1], "w");
    l->from = fdopen(out[0], "r");
    if (l->pid < 0 || !l->to || !l->from) {
        side_fail(c, "cannot start the runner");
        return -1;
    }
    return link_line(c, line, sizeof(line)) ? 0 : -1;
}

int side_floor_init(struct contender *c)
{
    c->interval = "KVM_CREATE_VM .. vCPU runs `hlt` in real mode .. fds "
                  "closed (bench/floor.c)";
    c->ops_how = "streams in one process";
    c->rss_how = "runner process VmHWM";
    return runner_start(c, "floor");
}

int side_mayfly_init(struct contender *c)
{
    c->phases = calloc(PH_COUNT, sizeof(struct series));
    c->interval = "vmm_invoke() entry .. return: pooled blank VM, load, "
                  "guest runs to done, response collected";
    c->ops_how = "streams of vmm_invoke(), pool+reaper included";
    c->rss_how = "runner process VmHWM (VMM, pool, VMs)";
    return runner_start(c, "mayfly");
}
