/* side_spawn.c: the process-per-request contenders: hello built as a static
 * native program and run as CGI would (fork+exec, request on stdin,
 * response on stdout), and QEMU's microvm booting the very image fnd runs
 * (PVH entry, answer on the debug console, exit through isa-debug-exit).
 *
 * Timed runs use posix_spawn (vfork and exec: its cost does not grow with
 * the driver's size). Peak RSS comes from separate, untimed runs: the child
 * is traced and stopped at its exit (PTRACE_O_TRACEEXIT), when its memory
 * is still there, and its VmHWM is read then. A child's getrusage
 * ru_maxrss would not do: it includes the parent's RSS from before exec.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/floor.h"
#include "bench/side.h"

#define OUT_MAX 4096

extern char **environ;

struct spawner {
    char *argv[40];
    char **envp;
    const char *input;  /* written to stdin, or NULL for /dev/null */
    const char *expect; /* stdout must end with this */
    int expect_exit;    /* exit status of a good run */
    char *stderr_path;  /* where the last validation run's stderr went */
};

/* The CGI environment of the request: POST /fn/hello, 3 bytes. */
static char *cgi_env[] = {
    "GATEWAY_INTERFACE=CGI/1.1",
    "SERVER_PROTOCOL=HTTP/1.1",
    "REQUEST_METHOD=POST",
    "PATH_INFO=/fn/hello",
    "CONTENT_LENGTH=3",
    "CONTENT_TYPE=text/plain",
    NULL,
};

struct child {
    pid_t pid;
    int in, out; /* our ends of its stdin and stdout, or -1 */
};

static int set_fds(posix_spawn_file_actions_t *fa, int in, int out,
                   const char *err_path)
{
    posix_spawn_file_actions_init(fa);
    if (in >= 0)
        posix_spawn_file_actions_adddup2(fa, in, 0);
    else
        posix_spawn_file_actions_addopen(fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(fa, out, 1);
    return posix_spawn_file_actions_addopen(fa, 2,
                                            err_path ? err_path : "/dev/null",
                                            O_WRONLY | O_CREAT | O_TRUNC, 0644);
}

/* Starts the child with pipes on stdin (if there is input) and stdout.
 * All our pipe ends are close-on-exec, so that children started at the
 * same time by other streams never hold them open. */
static int child_start(const struct spawner *s, struct child *ch,
                       const char *err_path)
{
    int in[2] = {-1, -1}, out[2];
    posix_spawn_file_actions_t fa;
    int rc;

    if (pipe2(out, O_CLOEXEC) < 0)
        return -1;
    if (s->input && pipe2(in, O_CLOEXEC) < 0) {
        close(out[0]);
        close(out[1]);
        return -1;
    }
    set_fds(&fa, in[0], out[1], err_path);
    rc = posix_spawn(&ch->pid, s->argv[0], &fa, NULL, s->argv, s->envp);
    posix_spawn_file_actions_destroy(&fa);
    close(out[1]);
    if (in[0] >= 0)
        close(in[0]);
    ch->in = in[1];
    ch->out = out[0];
    if (rc != 0) {
        close(ch->out);
        if (ch->in >= 0)
            close(ch->in);
        errno = rc;
        return -1;
    }
    return 0;
}

/* Writes the input, reads stdout to its end, reaps the child. Returns 0
 * if the output and the exit status are as expected. */
static int child_finish(const struct spawner *s, struct child *ch, char *out,
                        size_t *outlen)
{
    size_t len = 0, elen = strlen(s->expect);
    int st = 0;
    ssize_t n;

    if (ch->in >= 0) {
        if (write(ch->in, s->input, strlen(s->input)) < 0)
            len = 0; /* the child may not read: its answer decides */
        close(ch->in);
    }
    while ((n = read(ch->out, out + len, OUT_MAX - 1 - len)) > 0 ||
           (n < 0 && errno == EINTR))
        len += n > 0 ? (size_t)n : 0;
    close(ch->out);
    out[len] = '\0';
    *outlen = len;
    while (waitpid(ch->pid, &st, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != s->expect_exit)
        return -1;
    return len >= elen && memcmp(out + len - elen, s->expect, elen) == 0 ? 0
                                                                         : -1;
}

static int spawn_once(const struct spawner *s, uint64_t *ns,
                      const char *err_path, char *out)
{
    uint64_t t0 = bench_now_ns();
    struct child ch;
    size_t len;
    int rc;

    out[0] = '\0';
    if (child_start(s, &ch, err_path) < 0) {
        snprintf(out, OUT_MAX, "cannot start %s: %s", s->argv[0],
                 strerror(errno));
        return -1;
    }
    rc = child_finish(s, &ch, out, &len);
    *ns = bench_now_ns() - t0;
    return rc;
}

static int spawn_batch(struct contender *c, unsigned n)
{
    struct spawner *s = c->priv;
    char out[OUT_MAX];
    uint64_t ns;

    for (unsigned i = 0; i < n; i++) {
        if (spawn_once(s, &ns, NULL, out) < 0) {
            side_fail(c, "a run failed: output '%.60s'", out);
            return -1;
        }
        series_push(&c->lat, ns);
        series_push(&c->round, c->cur_round);
    }
    return 0;
}

struct stream_arg {
    const struct spawner *s;
    uint64_t until;
    atomic_ulong done, failed;
};

static void *stream_main(void *p)
{
    struct stream_arg *a = p;
    char out[OUT_MAX];
    uint64_t ns;

    while (bench_now_ns() < a->until) {
        if (spawn_once(a->s, &ns, NULL, out) == 0)
            atomic_fetch_add(&a->done, 1);
        else
            atomic_fetch_add(&a->failed, 1);
    }
    return NULL;
}

static int spawn_tput(struct contender *c, double secs)
{
    struct stream_arg a = {.s = c->priv};
    unsigned i, n = c->opts->streams < 64 ? c->opts->streams : 64;
    pthread_t th[64];
    uint64_t t0 = bench_now_ns();

    a.until = t0 + (uint64_t)(secs * 1e9);
    for (i = 0; i < n; i++)
        pthread_create(&th[i], NULL, stream_main, &a);
    for (i = 0; i < n; i++)
        pthread_join(th[i], NULL);
    c->ops_done += atomic_load(&a.done);
    c->ops_ns += bench_now_ns() - t0;
    if (atomic_load(&a.failed)) {
        side_fail(c, "%lu runs failed under load",
                  (unsigned long)atomic_load(&a.failed));
        return -1;
    }
    return 0;
}

/* ---- Peak RSS: one traced, untimed run ---------------------------------- */

static long traced_vmhwm(const struct spawner *s)
{
    int in[2] = {-1, -1}, devnull, st;
    long kib = -1;
    pid_t pid;

    if (s->input && pipe2(in, O_CLOEXEC) < 0)
        return -1;
    devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    pid = fork();
    if (pid == 0) {
        ptrace(PTRACE_TRACEME, 0, NULL, NULL);
        dup2(in[0] >= 0 ? in[0] : devnull, 0);
        dup2(devnull, 1);
        dup2(devnull, 2);
        execve(s->argv[0], s->argv, s->envp);
        _exit(127);
    }
    if (in[0] >= 0)
        close(in[0]);
    close(devnull);
    if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFSTOPPED(st))
        goto out;
    /* Stopped at exec: ask for a stop at exit too. */
    ptrace(PTRACE_SETOPTIONS, pid, NULL,
           (void *)(long)(PTRACE_O_TRACEEXIT | PTRACE_O_EXITKILL));
    ptrace(PTRACE_CONT, pid, NULL, NULL);
    if (in[1] >= 0) {
        if (write(in[1], s->input, strlen(s->input)) < 0)
            kib = -1;
        close(in[1]);
        in[1] = -1;
    }
    while (waitpid(pid, &st, 0) > 0 && WIFSTOPPED(st)) {
        int sig = WSTOPSIG(st);

        if (st >> 8 == (SIGTRAP | (PTRACE_EVENT_EXIT << 8))) {
            kib = side_vmhwm_kib(pid);
            sig = 0;
        }
        ptrace(PTRACE_CONT, pid, NULL, (void *)(long)sig);
    }
out:
    if (in[1] >= 0)
        close(in[1]);
    return kib;
}

static int spawn_rss(struct contender *c)
{
    for (int i = 0; i < 3; i++) {
        long kib = traced_vmhwm(c->priv);

        if (kib > c->rss_kib)
            c->rss_kib = kib;
    }
    return c->rss_kib > 0 ? 0 : -1;
}

static void spawn_close(struct contender *c)
{
    struct spawner *s = c->priv;

    if (s && s->stderr_path) {
        unlink(s->stderr_path);
        free(s->stderr_path);
    }
    free(s);
    c->priv = NULL;
}

static const struct contender_ops spawn_ops = {
    spawn_batch, spawn_tput, spawn_rss, NULL, spawn_close,
};

/* One run with stderr kept, to check that the contender works here and to
 * say why not. */
static int validate(struct contender *c)
{
    struct spawner *s = c->priv;
    char out[OUT_MAX], err[200] = "";
    uint64_t ns;
    FILE *f;

    if (asprintf(&s->stderr_path, "%s/%s.stderr", c->opts->out, c->name) < 0) {
        s->stderr_path = NULL;
        return -1;
    }
    if (spawn_once(s, &ns, s->stderr_path, out) == 0)
        return 0;
    f = fopen(s->stderr_path, "r");
    if (f && fgets(err, sizeof(err), f))
        err[strcspn(err, "\n")] = '\0';
    if (f)
        fclose(f);
    out[strcspn(out, "\r\n")] = '\0';
    side_fail(c, "%s%s%s", err[0] ? err : "no good answer",
              out[0] ? "; output: " : "", out);
    return -1;
}

static struct spawner *spawner_new(struct contender *c)
{
    struct spawner *s = calloc(1, sizeof(*s));

    c->ops = &spawn_ops;
    c->priv = s;
    if (!s)
        side_fail(c, "out of memory");
    return s;
}

int side_native_init(struct contender *c)
{
    struct spawner *s = spawner_new(c);

    if (!s)
        return -1;
    s->argv[0] = (char *)c->opts->native;
    s->envp = cgi_env;
    s->input = "ada";
    s->expect = "\r\n\r\nhello, ada";
    s->expect_exit = 0;
    c->interval = "posix_spawn() .. child reaped, its CGI response read "
                  "(request body written to its stdin)";
    c->ops_how = "streams of fork+exec";
    c->rss_how = "the child, VmHWM at exit";
    return validate(c);
}

/* The leanest microvm QEMU offers: no option ROMs, PIT, PIC, RTC, serial
 * or ACPI; the debug console on stdout; isa-debug-exit to end. */
static void qemu_argv(struct spawner *s, const struct side_opts *o,
                      const char *accel)
{
    static char *fixed[] = {
        "-M",
        "microvm,x-option-roms=off,pit=off,pic=off,rtc=off,"
        "isa-serial=off,acpi=off",
        "-m",
        "32M",
        "-nodefaults",
        "-no-user-config",
        "-display",
        "none",
        "-no-reboot",
        "-chardev",
        "stdio,id=con",
        "-device",
        "isa-debugcon,iobase=0xe9,chardev=con",
        "-device",
        "isa-debug-exit,iobase=0xf4,iosize=4",
    };
    size_t n = 0;

    s->argv[n++] = (char *)o->qemu;
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        s->argv[n++] = fixed[i];
    s->argv[n++] = "-accel";
    s->argv[n++] = (char *)accel;
    /* This host's KVM offers no SSE3 to guests; asking for it only makes
     * QEMU warn. */
    s->argv[n++] = "-cpu";
    s->argv[n++] = strcmp(accel, "kvm") == 0 ? "qemu64,-pni" : "qemu64";
    s->argv[n++] = "-kernel";
    s->argv[n++] = (char *)o->image;
    s->argv[n] = NULL;
}

int side_qemu_init(struct contender *c, const char *accel)
{
    struct spawner *s = spawner_new(c);

    if (!s)
        return -1;
    qemu_argv(s, c->opts, accel);
    s->envp = environ;
    s->expect = "hello, ada";
    s->expect_exit = 1; /* isa-debug-exit: (0 << 1) | 1 */
    c->interval = "posix_spawn(qemu) .. QEMU exited through isa-debug-exit "
                  "and reaped, answer read from the debug console";
    c->ops_how = "streams of QEMU processes";
    c->rss_how = "the QEMU process, VmHWM at exit";
    return validate(c);
}
