/* side.c: `make bench` / `make bench-quick`: runs the contenders of
 * side.h interleaved in rounds and reports them side by side.
 *
 * bench/bench.sh prepares the run (results folder, machine description,
 * fnd on a loopback port with hello deployed) and calls this program;
 * `side --serve ...` is the in-process runner (side_kvm.c).
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/floor.h"
#include "bench/side.h"

const char *const side_phase_names[PH_COUNT] = {
    "wait", "load", "enter", "start", "run", "done", "critical",
};

static const char usage[] =
    "usage: side [--quick] --out DIR [--image ELF] [--native PROG]\n"
    "            [--qemu QEMU] [--fnctl FNCTL --url URL --fnd-pid PID]\n"
    "       side --serve floor|mayfly IMAGE\n";

/* ---- Helpers shared by the driver's files ------------------------------ */

long side_vmhwm_kib(pid_t pid)
{
    char path[64], line[256];
    long kib = -1;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    f = fopen(path, "r");
    while (f && fgets(line, sizeof(line), f))
        if (strncmp(line, "VmHWM:", 6) == 0)
            kib = atol(line + 6);
    if (f)
        fclose(f);
    return kib;
}

void side_fail(struct contender *c, const char *fmt, ...)
{
    va_list ap;

    if (c->why[0])
        return; /* the first reason is the one that matters */
    va_start(ap, fmt);
    vsnprintf(c->why, sizeof(c->why), fmt, ap);
    va_end(ap);
}

/* ---- The run ------------------------------------------------------------ */

enum {
    C_FLOOR,
    C_MAYFLY,
    C_HTTP_PACED,
    C_HTTP1,
    C_HTTP16,
    C_NATIVE,
    C_QKVM,
    C_QTCG,
    NCONTENDERS
};

/* The paced HTTP contender waits this long after each response, so that
 * fnd's pool is full and its reaper idle when the next request comes:
 * latency without queueing. */
#define HTTP_PAUSE_MS 2

struct plan {
    const char *name;
    unsigned full, quick; /* latency samples */
};

static const struct plan plans[NCONTENDERS] = {
    [C_FLOOR] = {"kvm-floor", 5000, 1000},
    [C_MAYFLY] = {"mayfly-inproc", 5000, 1000},
    [C_HTTP_PACED] = {"mayfly-http-paced", 3000, 500},
    [C_HTTP1] = {"mayfly-http-c1", 5000, 1000},
    [C_HTTP16] = {"mayfly-http-c16", 20000, 4000},
    [C_NATIVE] = {"fork-exec", 3000, 1000},
    [C_QKVM] = {"qemu-microvm-kvm", 1000, 100},
    [C_QTCG] = {"qemu-microvm-tcg", 1000, 100},
};

static int init_one(struct contender *c, int which)
{
    switch (which) {
    case C_FLOOR: return side_floor_init(c);
    case C_MAYFLY: return side_mayfly_init(c);
    case C_HTTP_PACED: return side_http_init(c, 1, HTTP_PAUSE_MS);
    case C_HTTP1: return side_http_init(c, 1, 0);
    case C_HTTP16: return side_http_init(c, 16, 0);
    case C_NATIVE: return side_native_init(c);
    case C_QKVM: return side_qemu_init(c, "kvm");
    default: return side_qemu_init(c, "tcg");
    }
}

static void init_all(struct contender *cs, const struct side_opts *o)
{
    for (int i = 0; i < NCONTENDERS; i++) {
        struct contender *c = &cs[i];

        c->name = plans[i].name;
        c->opts = o;
        c->want = o->quick ? plans[i].quick : plans[i].full;
        if (init_one(c, i) < 0) {
            c->skipped = 1;
            fprintf(stderr, "side: %s skipped: %s\n", c->name, c->why);
        }
    }
}

/* Samples of round r out of the contender's total. */
static unsigned share(unsigned want, unsigned r, unsigned rounds)
{
    return (unsigned)((uint64_t)want * (r + 1) / rounds -
                      (uint64_t)want * r / rounds);
}

static void run_batch(struct contender *c, unsigned r, unsigned rounds)
{
    c->cur_round = r;
    if (c->ops->batch(c, share(c->want, r, rounds)) < 0) {
        c->skipped = 1;
        fprintf(stderr, "side: %s stopped: %s\n", c->name, c->why);
    }
}

static void run_tput(struct contender *c, double secs)
{
    if (c->ops->tput && c->ops->tput(c, secs) < 0)
        fprintf(stderr, "side: %s throughput: %s\n", c->name, c->why);
}

/* Every round runs a slice of every contender, starting one further along
 * each time, so that none always follows the same neighbour. */
static void run_rounds(struct contender *cs, const struct side_opts *o,
                       uint64_t t0)
{
    for (unsigned r = 0; r < o->rounds; r++) {
        for (unsigned k = 0; k < NCONTENDERS; k++) {
            struct contender *c = &cs[(k + r) % NCONTENDERS];

            if (!c->skipped)
                run_batch(c, r, o->rounds);
        }
        fprintf(stderr, "side: latency round %u/%u done, %.0f s\n", r + 1,
                o->rounds, (double)(bench_now_ns() - t0) / 1e9);
    }
    for (unsigned r = 0; r < o->rounds; r++)
        for (unsigned k = 0; k < NCONTENDERS; k++) {
            struct contender *c = &cs[(k + r) % NCONTENDERS];

            if (!c->skipped)
                run_tput(c, o->tput_secs / o->rounds);
        }
    fprintf(stderr, "side: throughput slices done, %.0f s\n",
            (double)(bench_now_ns() - t0) / 1e9);
}

static void finish_all(struct contender *cs)
{
    for (int i = 0; i < NCONTENDERS; i++) {
        struct contender *c = &cs[i];
        const char *line;

        if (!c->skipped && c->ops->rss && c->ops->rss(c) < 0)
            c->rss_kib = -1;
        if (c->ops && c->ops->fresh && (line = c->ops->fresh(c)) != NULL)
            snprintf(c->fresh_line, sizeof(c->fresh_line), "%s", line);
    }
}

static void close_all(struct contender *cs)
{
    for (int i = 0; i < NCONTENDERS; i++) {
        if (cs[i].ops && cs[i].ops->close)
            cs[i].ops->close(&cs[i]);
        free(cs[i].lat.v);
        free(cs[i].round.v);
        for (int p = 0; cs[i].phases && p < PH_COUNT; p++)
            free(cs[i].phases[p].v);
        free(cs[i].phases);
    }
}

enum {
    OPT_OUT = 256,
    OPT_IMAGE,
    OPT_NATIVE,
    OPT_QEMU,
    OPT_FNCTL,
    OPT_URL,
    OPT_FND_PID,
    OPT_QUICK
};

static int parse(struct side_opts *o, int argc, char **argv)
{
    static const struct option opts[] = {
        {"quick", no_argument, NULL, OPT_QUICK},
        {"out", required_argument, NULL, OPT_OUT},
        {"image", required_argument, NULL, OPT_IMAGE},
        {"native", required_argument, NULL, OPT_NATIVE},
        {"qemu", required_argument, NULL, OPT_QEMU},
        {"fnctl", required_argument, NULL, OPT_FNCTL},
        {"url", required_argument, NULL, OPT_URL},
        {"fnd-pid", required_argument, NULL, OPT_FND_PID},
        {NULL, 0, NULL, 0},
    };
    int opt;

    while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (opt) {
        case OPT_QUICK: o->quick = 1; break;
        case OPT_OUT: o->out = optarg; break;
        case OPT_IMAGE: o->image = optarg; break;
        case OPT_NATIVE: o->native = optarg; break;
        case OPT_QEMU: o->qemu = optarg; break;
        case OPT_FNCTL: o->fnctl = optarg; break;
        case OPT_URL: o->url = optarg; break;
        case OPT_FND_PID: o->fnd_pid = (pid_t)atoi(optarg); break;
        default: return -1;
        }
    }
    return o->out && optind == argc ? 0 : -1;
}

int main(int argc, char **argv)
{
    struct side_opts o = {
        .image = "build/functions/hello.elf",
        .native = "build/bench/native/hello",
        .fnctl = "bin/fnctl",
        .qemu = "/usr/bin/qemu-system-x86_64",
        .self = "/proc/self/exe",
    };
    struct contender cs[NCONTENDERS] = {{0}};
    uint64_t t0 = bench_now_ns();
    char self[4096];
    ssize_t n;

    if (argc > 1 && strcmp(argv[1], "--serve") == 0)
        return side_serve(argc - 2, argv + 2);
    if (parse(&o, argc, argv) < 0) {
        fputs(usage, stderr);
        return 2;
    }
    /* The runners exec this very file, wherever it was started from. */
    n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n > 0) {
        self[n] = '\0';
        o.self = self;
    }
    o.rounds = o.quick ? 4 : 10;
    o.tput_secs = o.quick ? 1.0 : 5.0;
    o.streams = (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
    init_all(cs, &o);
    run_rounds(cs, &o, t0);
    finish_all(cs);
    side_report(cs, NCONTENDERS, cs[C_MAYFLY].skipped ? NULL : &cs[C_MAYFLY],
                &o, (double)(bench_now_ns() - t0) / 1e9);
    close_all(cs);
    return cs[C_MAYFLY].skipped ? 1 : 0;
}
