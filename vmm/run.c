/* run.c: one invocation: take a blank VM, load, run to `done`, collect. */
#include <errno.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "vmm/vmm_int.h"

#define DEFAULT_MAX_RESPONSE (6u << 20)
#define MAX_LOG (64u << 10)
#define MAX_RESP_HEADERS_LEN (16u << 10)
#define MAX_RESP_HEADERS 64
#define MIN_HEAP (64u << 10)

/* Per worker thread: the timer that interrupts a guest that runs too long. */
static __thread timer_t t_timer;
static __thread int t_timer_ready;
static __thread struct kvm_run *volatile t_run;
static __thread volatile sig_atomic_t t_expired;

int vmm_signal_number(void)
{
    return SIGRTMIN + 1;
}

/* The signal interrupts KVM_RUN (EINTR); immediate_exit covers a signal
 * that lands just before the thread enters KVM_RUN. */
void vmm_on_timer_signal(int sig)
{
    struct kvm_run *run = t_run;

    (void)sig;
    t_expired = 1;
    if (run)
        run->immediate_exit = 1;
}

static int timer_setup(void)
{
    struct sigevent sev = {.sigev_notify = SIGEV_THREAD_ID};
    sigset_t set;

    if (t_timer_ready)
        return 0;
    sev.sigev_signo = vmm_signal_number();
    sev._sigev_un._tid = gettid();
    if (timer_create(CLOCK_MONOTONIC, &sev, &t_timer) < 0)
        return -errno;
    sigemptyset(&set);
    sigaddset(&set, vmm_signal_number());
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    t_timer_ready = 1;
    return 0;
}

static void timer_arm(uint64_t ns)
{
    struct itimerspec its = {
        .it_value = {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)},
    };

    if (!ns)
        its.it_value.tv_nsec = 1; /* zero would disarm */

    timer_settime(t_timer, 0, &its, NULL);
}

static void timer_disarm(void)
{
    struct itimerspec its = {0};

    timer_settime(t_timer, 0, &its, NULL);
}

/* ---- results ----------------------------------------------------------- */

static int set_error(struct vmm_result *res, enum vmm_error e, const char *fmt,
                     ...)
{
    va_list ap;

    res->error = e;
    va_start(ap, fmt);
    vsnprintf(res->reason, sizeof(res->reason), fmt, ap);
    va_end(ap);
    return e;
}

static uint64_t tsc_to_ns(uint64_t khz, uint64_t ticks)
{
    return khz ? (uint64_t)((unsigned __int128)ticks * 1000000 / khz) : 0;
}

/* ---- placing the request ---------------------------------------------- */

struct placer {
    uint8_t *mem;
    uint64_t at, limit;
};

/* Copies len bytes plus a NUL terminator at p->at; returns the span. */
static struct mf_span place(struct placer *p, const void *src, uint64_t len)
{
    struct mf_span s = {p->at, len};

    if (len)
        memcpy(p->mem + p->at, src, len);
    p->mem[p->at + len] = 0;
    p->at += len + 1;
    return s;
}

static uint64_t request_size(const struct vmm_request *rq)
{
    return strlen(rq->method) + strlen(rq->path) +
           (rq->query ? strlen(rq->query) : 0) + rq->headers.len +
           rq->body_len + rq->env.len + rq->event_len + 7;
}

static int place_request(struct vmm_vm *vm, const struct vmm_image *img,
                         const struct vmm_request *rq, struct mf_boot *b)
{
    struct placer p = {vm->mem, img->heap_base, img->mem_size};
    uint64_t need = request_size(rq);
    struct mf_span h, e;

    if (need > p.limit - p.at || p.limit - p.at - need < MIN_HEAP)
        return -E2BIG;
    b->method = place(&p, rq->method, strlen(rq->method));
    b->path = place(&p, rq->path, strlen(rq->path));
    b->query = place(&p, rq->query ? rq->query : "",
                     rq->query ? strlen(rq->query) : 0);
    h = place(&p, rq->headers.data, rq->headers.len);
    b->headers = (struct mf_kv){h.gpa, h.len, rq->headers.count};
    b->body = place(&p, rq->body, rq->body_len);
    e = place(&p, rq->env.data, rq->env.len);
    b->env = (struct mf_kv){e.gpa, e.len, rq->env.count};
    if (rq->event)
        b->event = place(&p, rq->event, rq->event_len);
    b->heap_start = (p.at + MF_PAGE_SIZE - 1) & ~(uint64_t)(MF_PAGE_SIZE - 1);
    b->heap_end = img->mem_size;
    return 0;
}

static void fill_boot(struct vmm *vmm, struct vmm_vm *vm,
                      const struct vmm_image *img, struct mf_boot *b)
{
    struct timespec ts;

    b->magic = MF_BOOT_MAGIC;
    b->abi_version = MF_ABI_VERSION;
    b->mem_size = img->mem_size;
    b->tsc_khz = vmm->kvm.tsc_khz;
    clock_gettime(CLOCK_REALTIME, &ts);
    b->wall_ns = (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
    b->tsc_base = vmm_rdtsc();
    if (getrandom(b->entropy, sizeof(b->entropy), 0) < 0)
        memset(b->entropy, 0, sizeof(b->entropy));
    (void)vm;
}

/* ---- collecting the response ------------------------------------------ */

static int is_tchar(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* Checks a packed header list from the guest: count pairs, names are HTTP
 * tokens, values hold no control characters but tab. */
static int check_headers(const char *p, uint64_t len, uint64_t count)
{
    uint64_t i = 0, pairs = 0;

    while (i < len) {
        uint64_t start = i;

        while (i < len && is_tchar((unsigned char)p[i]))
            i++;
        if (i == start || i == len || p[i] != 0)
            return -1;
        for (i++; i < len && p[i]; i++)
            if (((unsigned char)p[i] < 0x20 && p[i] != '\t') || p[i] == 0x7f)
                return -1;
        if (i == len)
            return -1;
        i++;
        pairs++;
    }
    return pairs == count ? 0 : -1;
}

static char *copy_out(const void *src, uint64_t len)
{
    char *d = malloc(len + 1);

    if (d) {
        memcpy(d, src, len);
        d[len] = 0;
    }
    return d;
}

int vmm_response_collect(const struct vmm_mem *mem, const struct mf_boot *b,
                         size_t max, struct vmm_result *res)
{
    const void *body, *hdrs, *log;

    if (b->status < 100 || b->status > 599)
        return set_error(res, VMM_ECRASH, "bad status %u", b->status);
    if (b->resp_body.len > max)
        return set_error(res, VMM_ELIMIT,
                         "response of %llu bytes exceeds "
                         "limit %zu",
                         (unsigned long long)b->resp_body.len, max);
    body = vmm_gpa_ptr(mem, b->resp_body.gpa, b->resp_body.len);
    hdrs = vmm_gpa_ptr(mem, b->resp_headers.gpa, b->resp_headers.len);
    log = vmm_gpa_ptr(mem, b->log.gpa, b->log.len);
    if (!body || !hdrs || !log)
        return set_error(res, VMM_ECRASH, "response outside guest memory");
    if (b->resp_headers.len > MAX_RESP_HEADERS_LEN ||
        b->resp_headers.count > MAX_RESP_HEADERS ||
        check_headers(hdrs, b->resp_headers.len, b->resp_headers.count))
        return set_error(res, VMM_ECRASH, "malformed response headers");
    res->log_truncated = b->log_truncated != 0 || b->log.len > MAX_LOG;
    res->log_len = b->log.len > MAX_LOG ? MAX_LOG : b->log.len;
    res->status = (int)b->status;
    res->body_len = b->resp_body.len;
    res->headers_len = b->resp_headers.len;
    res->headers_count = b->resp_headers.count;
    res->body = copy_out(body, res->body_len);
    res->headers = copy_out(hdrs, res->headers_len);
    res->log = copy_out(log, res->log_len);
    if (!res->body || !res->headers || !res->log)
        return set_error(res, VMM_EHOST, "out of host memory");
    return 0;
}

static int collect(struct vmm *vmm, const struct vmm_mem *mem,
                   const struct vmm_request *rq, struct vmm_result *res)
{
    const struct mf_boot *live = vmm_gpa_ptr(mem, MF_BOOT_GPA, sizeof(*live));
    size_t max = rq->max_response ? rq->max_response : DEFAULT_MAX_RESPONSE;
    struct mf_boot b;
    int rc;

    /* One read of everything the guest wrote; checks use the copy. */
    memcpy(&b, live, sizeof(b));
    rc = vmm_response_collect(mem, &b, max, res);
    if (rc)
        return rc;
    res->t.start = tsc_to_ns(vmm->kvm.tsc_khz, b.stamps.main - b.stamps.start);
    res->t.run = tsc_to_ns(vmm->kvm.tsc_khz, b.stamps.done - b.stamps.main);
    return 0;
}

/* ---- hypercalls and exits ---------------------------------------------- */

static const char *vector_name(unsigned v)
{
    static const char *names[] = {
        "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM",
        "#DF", "CSO", "#TS", "#NP", "#SS", "#GP", "#PF", "#15",
        "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
    };

    return v < sizeof(names) / sizeof(names[0]) ? names[v] : "#?";
}

static int has_error_code(unsigned v)
{
    return v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21 || v == 29 ||
           v == 30;
}

/* A fault stub reported vector `v`; the frame the CPU pushed on the fault
 * stack gives RIP, CR2 comes from the special registers. */
static int report_fault(struct vmm_vm *vm, const struct vmm_mem *mem,
                        unsigned v, struct vmm_result *res)
{
    struct kvm_regs regs;
    struct kvm_sregs sregs;
    const uint64_t *frame;
    uint64_t rip = 0, errc = 0;

    if (ioctl(vm->vcpufd, KVM_GET_REGS, &regs) < 0 ||
        ioctl(vm->vcpufd, KVM_GET_SREGS, &sregs) < 0)
        return set_error(res, VMM_ECRASH, "guest fault %u", v);
    /* Only the host's stubs run at CPL 0; CPL 3 on the fault port is the
     * guest pretending. */
    if ((sregs.cs.selector & 3) != 0)
        return set_error(res, VMM_ECRASH,
                         "forged fault report from CPL 3 "
                         "at rip=0x%llx",
                         (unsigned long long)regs.rip);
    frame = vmm_gpa_ptr(mem, regs.rsp, 6 * sizeof(uint64_t));
    if (frame) {
        uint64_t f[2];

        memcpy(f, frame, sizeof(f));
        errc = has_error_code(v) ? f[0] : 0;
        rip = has_error_code(v) ? f[1] : f[0];
    }
    return set_error(res, VMM_ECRASH,
                     "guest exception %s (vector %u) "
                     "rip=0x%llx cr2=0x%llx error=0x%llx",
                     vector_name(v), v, (unsigned long long)rip,
                     (unsigned long long)sregs.cr2, (unsigned long long)errc);
}

int vmm_abort_reason(const struct vmm_mem *mem, gpa_t gpa,
                     struct vmm_result *res)
{
    char msg[96] = "";
    uint64_t n = 0;

    for (; n + 1 < sizeof(msg); n++) {
        const char *c = vmm_gpa_ptr(mem, gpa + n, 1);

        if (!c || !*c)
            break;
        msg[n] = (*c >= 0x20 && *c < 0x7f) ? *c : '?';
    }
    msg[n] = 0;
    return set_error(res, VMM_ECRASH, "guest aborted: %s", msg);
}

int vmm_obj_io(const struct vmm_mem *mem, gpa_t gpa, int write,
               const struct vmm_host_ops *ops, struct vmm_result *res)
{
    /* The guest picks the block's alignment: bytes only, via memcpy. */
    uint8_t *live = vmm_gpa_ptr(mem, gpa, sizeof(struct mf_obj_io));
    struct mf_obj_io io;
    void *buf;
    int64_t r;

    if (!live)
        return set_error(res, VMM_ECRASH, "bad object hypercall address");
    memcpy(&io, live, sizeof(io));
    buf = vmm_gpa_ptr(mem, io.buf.gpa, io.buf.len);
    if (!buf)
        return set_error(res, VMM_ECRASH, "object buffer outside memory");
    if (!ops || (write ? !ops->obj_write : !ops->obj_read)) {
        r = -ENOSYS;
    } else if (!write) {
        r = ops->obj_read(ops->ctx, io.offset, buf, io.buf.len);
    } else {
        char *bucket, *key;
        const void *pb = vmm_gpa_ptr(mem, io.bucket.gpa, io.bucket.len);
        const void *pk = vmm_gpa_ptr(mem, io.key.gpa, io.key.len);

        if (!pb || !pk || io.bucket.len > 255 || io.key.len > 1024)
            return set_error(res, VMM_ECRASH, "bad object name span");
        bucket = copy_out(pb, io.bucket.len);
        key = copy_out(pk, io.key.len);
        r = bucket && key
                ? ops->obj_write(ops->ctx, bucket, key, buf, io.buf.len)
                : -ENOMEM;
        free(bucket);
        free(key);
    }
    memcpy(live + offsetof(struct mf_obj_io, result), &r, sizeof(r));
    return 0;
}

enum { RUN_CONTINUE = -1 };

static int on_io(struct vmm_vm *vm, const struct vmm_mem *mem,
                 const struct vmm_host_ops *ops, struct vmm_result *res)
{
    struct kvm_run *run = vm->run;
    uint32_t val;

    /* The fault stubs use an 8-bit out; every hypercall is 32-bit. */
    if (run->io.direction == KVM_EXIT_IO_OUT && run->io.port == MF_PORT_FAULT &&
        run->io.size == 1 && run->io.count == 1)
        return report_fault(vm, mem, *((uint8_t *)run + run->io.data_offset),
                            res);
    if (run->io.direction != KVM_EXIT_IO_OUT || run->io.size != 4 ||
        run->io.count != 1)
        return set_error(res, VMM_ECRASH,
                         "unexpected port I/O: port 0x%x "
                         "%s size %u",
                         run->io.port,
                         run->io.direction == KVM_EXIT_IO_OUT ? "out" : "in",
                         run->io.size);
    memcpy(&val, (uint8_t *)run + run->io.data_offset, 4);
    switch (run->io.port) {
    case MF_PORT_DONE: return VMM_OK;
    case MF_PORT_ABORT: return vmm_abort_reason(mem, val, res);
    case MF_PORT_OBJ_READ:
    case MF_PORT_OBJ_WRITE: {
        int rc =
            vmm_obj_io(mem, val, run->io.port == MF_PORT_OBJ_WRITE, ops, res);

        return rc ? rc : RUN_CONTINUE;
    }
    default:
        return set_error(res, VMM_ECRASH, "unknown hypercall port 0x%x",
                         run->io.port);
    }
}

static int handle_exit(struct vmm_vm *vm, const struct vmm_mem *mem,
                       const struct vmm_host_ops *ops, struct vmm_result *res)
{
    struct kvm_run *run = vm->run;

    switch (run->exit_reason) {
    case KVM_EXIT_IO: return on_io(vm, mem, ops, res);
    case KVM_EXIT_HLT:
        return set_error(res, VMM_ECRASH, "guest halted without done");
    case KVM_EXIT_SHUTDOWN: return set_error(res, VMM_ECRASH, "triple fault");
    case KVM_EXIT_MMIO:
        return set_error(res, VMM_ECRASH, "MMIO access at 0x%llx",
                         (unsigned long long)run->mmio.phys_addr);
    case KVM_EXIT_FAIL_ENTRY:
        return set_error(
            res, VMM_ECRASH, "entry failed: 0x%llx",
            (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
    case KVM_EXIT_INTERNAL_ERROR:
        return set_error(res, VMM_ECRASH, "KVM internal error %u",
                         run->internal.suberror);
    default:
        return set_error(res, VMM_ECRASH, "unexpected exit %u",
                         run->exit_reason);
    }
}

/* One invocation from VM taken to VM buried. It may start on one thread
 * and go on on another (vmm_invoke_try, vmm_call_finish). */
struct vmm_call {
    struct vmm *vmm;
    struct vmm_vm *vm;
    struct vmm_image *img;
    const struct vmm_request *rq;
    const struct vmm_host_ops *ops;
    struct vmm_result *res;
    uint32_t limit_ms;
    uint64_t t0;        /* vmm_now_ns() at the start */
    uint64_t deadline;  /* vmm_now_ns() past which the guest has timed out */
    uint64_t tsc_entry; /* just before the first KVM_RUN */
    int running;        /* set aside by vmm_invoke_try mid-run */
};

/* Runs the vCPU until the guest answers, breaks the contract or times out,
 * or, with a nonzero `slice`, until `slice` ns have passed. Returns the
 * outcome, or RUN_CONTINUE when the slice ended first; the vCPU can then
 * be run again, from any thread. */
static int run_loop(struct vmm_call *c, uint64_t slice)
{
    struct vmm_vm *vm = c->vm;
    struct vmm_result *res = c->res;
    struct vmm_mem mem = {vm->mem, vm->mem_size};
    uint64_t now = vmm_now_ns();
    uint64_t left = c->deadline > now ? c->deadline - now : 0;
    int last = !slice || slice >= left; /* the timer marks the deadline */
    int rc = RUN_CONTINUE;

    t_expired = 0;
    t_run = vm->run;
    vm->run->immediate_exit = 0;
    timer_arm(last ? left : slice);
    while (rc == RUN_CONTINUE) {
        if (ioctl(vm->vcpufd, KVM_RUN, 0) < 0) {
            if (errno != EINTR)
                rc = set_error(res, VMM_EHOST, "KVM_RUN: %s", strerror(errno));
            else if (t_expired && last)
                rc = set_error(res, VMM_ETIMEOUT, "timed out after %u ms",
                               c->limit_ms);
            else if (t_expired)
                break;
            continue;
        }
        res->exits++;
        rc = handle_exit(vm, &mem, c->ops, res);
    }
    timer_disarm();
    t_run = NULL;
    if (rc == VMM_OK)
        rc = collect(c->vmm, &mem, c->rq, res);
    if (rc == VMM_ECRASH)
        atomic_fetch_add(&c->vmm->crashes, 1);
    else if (rc == VMM_ETIMEOUT)
        atomic_fetch_add(&c->vmm->timeouts, 1);
    return rc;
}

/* Phase boundaries the guest stamped; used only when they are consistent
 * with the host's own clock readings (same TSC on both sides). */
static void guest_phases(struct vmm *vmm, const struct vmm_vm *vm,
                         uint64_t tsc_entry, uint64_t tsc_exit,
                         struct vmm_result *res)
{
    const struct mf_boot *b = (const struct mf_boot *)(vm->mem + MF_BOOT_GPA);
    uint64_t s = b->stamps.start, m = b->stamps.main, d = b->stamps.done;

    if (s < tsc_entry || m < s || d < m || d > tsc_exit) {
        res->t.start = res->t.run = 0;
        return;
    }
    res->t.enter = tsc_to_ns(vmm->kvm.tsc_khz, s - tsc_entry);
    res->t.done = tsc_to_ns(vmm->kvm.tsc_khz, tsc_exit - d);
}

/* The guest is done: completes the result's timings. */
static void call_timed(struct vmm_call *c)
{
    uint64_t tsc_exit = vmm_rdtsc();

    if (c->res->error == VMM_OK)
        guest_phases(c->vmm, c->vm, c->tsc_entry, tsc_exit, c->res);
    c->res->t.total = vmm_now_ns() - c->t0;
}

static void call_end(struct vmm_call *c)
{
    call_timed(c);
    vmm_pool_bury(c->vmm, c->vm);
}

/* Takes a VM (waiting for one only if `wait`) and loads the request into
 * it. Returns 0 when the guest is ready to run, -EAGAIN when no VM was
 * ready, or the error (res filled, VM buried). */
static int call_begin(struct vmm_call *c, int wait)
{
    struct vmm_result *res = c->res;
    struct vmm_image *img = c->img;
    struct mf_boot *boot;
    uint64_t t1;
    int rc;

    memset(res, 0, sizeof(*res));
    c->t0 = vmm_now_ns();
    if (timer_setup() < 0)
        return set_error(res, VMM_EHOST, "cannot create timer");
    rc = vmm_pool_take(c->vmm, img, wait, &c->vm);
    if (rc == -EAGAIN && !wait)
        return rc;
    if (rc < 0)
        return set_error(res, VMM_EHOST, "cannot create VM");
    t1 = vmm_now_ns();
    res->t.wait = t1 - c->t0;
    rc = vmm_vm_load(c->vm, img);
    if (rc) {
        set_error(res, VMM_EHOST, "loading VM: %s", strerror(-rc));
        goto bury;
    }
    boot = (struct mf_boot *)(c->vm->mem + MF_BOOT_GPA);
    if (place_request(c->vm, img, c->rq, boot) < 0) {
        set_error(res, VMM_EREQUEST,
                  "request does not fit in %llu MiB of "
                  "guest memory",
                  (unsigned long long)(img->mem_size >> 20));
        goto bury;
    }
    boot->trigger = c->rq->trigger;
    fill_boot(c->vmm, c->vm, img, boot);
    c->limit_ms = c->rq->timeout_ms ? c->rq->timeout_ms : 1000;
    c->tsc_entry = vmm_rdtsc();
    t1 = vmm_now_ns();
    res->t.load = t1 - c->t0 - res->t.wait;
    c->deadline = t1 + (uint64_t)c->limit_ms * 1000000u;
    return 0;
bury:
    vmm_pool_bury(c->vmm, c->vm);
    res->t.total = vmm_now_ns() - c->t0;
    return res->error;
}

int vmm_invoke(struct vmm *vmm, struct vmm_image *img,
               const struct vmm_request *rq, const struct vmm_host_ops *ops,
               struct vmm_result *res)
{
    struct vmm_call c = {
        .vmm = vmm, .img = img, .rq = rq, .ops = ops, .res = res};

    if (call_begin(&c, 1))
        return res->error;
    run_loop(&c, 0);
    call_end(&c);
    return res->error;
}

enum vmm_try vmm_invoke_try(struct vmm *vmm, struct vmm_image *img,
                            const struct vmm_request *rq,
                            const struct vmm_host_ops *ops,
                            struct vmm_result *res, uint32_t slice_us,
                            struct vmm_call **call)
{
    struct vmm_call c = {
        .vmm = vmm, .img = img, .rq = rq, .ops = ops, .res = res};
    int rc = call_begin(&c, 0);

    *call = NULL;
    if (rc == -EAGAIN)
        return VMM_TRY_BUSY;
    if (rc)
        return VMM_TRY_DONE;
    rc = run_loop(&c, (uint64_t)slice_us * 1000u);
    *call = malloc(sizeof(c));
    if (!*call) { /* cannot keep it: finish here */
        if (rc == RUN_CONTINUE)
            run_loop(&c, 0);
        call_end(&c);
        return VMM_TRY_DONE;
    }
    c.running = rc == RUN_CONTINUE;
    if (!c.running)
        call_timed(&c);
    **call = c;
    return c.running ? VMM_TRY_MORE : VMM_TRY_DONE;
}

int vmm_call_finish(struct vmm_call *c)
{
    int rc = 0;

    if (!c)
        return 0;
    if (c->running) {
        if (timer_setup() < 0)
            set_error(c->res, VMM_EHOST, "cannot create timer");
        else
            run_loop(c, 0);
        call_end(c);
        rc = c->res->error;
    } else {
        vmm_pool_bury(c->vmm, c->vm); /* res may be gone by now */
    }
    free(c);
    return rc;
}

void vmm_result_free(struct vmm_result *res)
{
    free(res->headers);
    free(res->body);
    free(res->log);
    res->headers = res->body = res->log = NULL;
}
