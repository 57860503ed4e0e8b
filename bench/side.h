/* side.h: `make bench`: Mayfly's cold invocation beside what a user would
 * pick instead, measured in one run. What the driver's files share.
 *
 * A contender is one way of answering the same request (POST "ada" to
 * hello, answer "hello, ada"). The driver (side.c) runs every contender in
 * rounds, a slice of each per round in rotating order, so that drift of
 * the machine hits all alike; then a throughput slice of each, again in
 * rounds; then one peak-RSS measurement of each. side_report.c turns the
 * samples into the table, CSVs and the CDF plot.
 *
 * Errors: a contender that cannot run (no QEMU, no fnd) is marked skipped
 * with the reason and left out; init, batch and tput return 0 or -1 with
 * c->why set. The driver never stops for one contender.
 */
#ifndef MAYFLY_BENCH_SIDE_H
#define MAYFLY_BENCH_SIDE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "bench/series.h"

/* Phases of a Mayfly in-process invocation (struct vmm_timings). */
enum {
    PH_WAIT,
    PH_LOAD,
    PH_ENTER,
    PH_START,
    PH_RUN,
    PH_DONE,
    PH_TOTAL,
    PH_COUNT
};
extern const char *const side_phase_names[PH_COUNT];

struct side_opts {
    int quick;
    const char *out;    /* results folder, created by the caller */
    const char *image;  /* the hello image */
    const char *native; /* hello built as a static host program */
    const char *fnctl;  /* bin/fnctl */
    const char *url;    /* fnd with hello deployed, or NULL */
    pid_t fnd_pid;
    const char *qemu; /* qemu-system-x86_64 */
    const char *self; /* this program, for the in-process runners */
    unsigned rounds;
    unsigned streams; /* parallel streams in the throughput slices */
    double tput_secs; /* throughput time per contender, whole run */
};

struct contender;

struct contender_ops {
    /* Runs n more latency samples, appended to c->lat. */
    int (*batch)(struct contender *c, unsigned n);
    /* Runs opts->streams parallel streams for secs; adds the operations
     * completed and the time to c->ops_done and c->ops_ns. NULL when the
     * latency batches already measure throughput (HTTP). */
    int (*tput)(struct contender *c, double secs);
    /* Sets c->rss_kib. */
    int (*rss)(struct contender *c);
    /* One line on the fresh-VM check, or NULL when there is none. */
    const char *(*fresh)(struct contender *c);
    void (*close)(struct contender *c);
};

struct contender {
    const char *name;     /* RESULT name */
    const char *interval; /* from which event to which event */
    const char *ops_how;  /* how ops/s was measured */
    const char *rss_how;  /* whose peak RSS */
    const struct contender_ops *ops;
    const struct side_opts *opts;
    unsigned want; /* latency samples over the whole run */
    struct series lat;
    struct series round;   /* the round of each sample */
    struct series *phases; /* PH_COUNT series, Mayfly in-process only */
    unsigned cur_round;
    uint64_t ops_done, ops_ns;
    long rss_kib;
    int skipped;
    char why[256];
    char fresh_line[256];
    void *priv;
};

/* side_kvm.c: the raw KVM floor and Mayfly in-process, each in a runner
 * process of its own (this program with --serve). */
int side_floor_init(struct contender *c);
int side_mayfly_init(struct contender *c);
int side_serve(int argc, char **argv);

/* side_spawn.c: a process per request: the native program (CGI-like) and
 * QEMU microvm booting the image (accel "kvm" or "tcg"). */
int side_native_init(struct contender *c);
int side_qemu_init(struct contender *c, const char *accel);

/* side_http.c: Mayfly over HTTP through `fnctl bench` at concurrency
 * conc, each connection pausing pause_ms after a response (0: none). */
int side_http_init(struct contender *c, unsigned conc, unsigned pause_ms);

/* side_report.c: table and RESULT lines on stdout and in summary.txt,
 * CSVs, CDF data and plot. ref is Mayfly in-process (ratios), or NULL. */
void side_report(struct contender *cs, size_t n, const struct contender *ref,
                 const struct side_opts *o, double elapsed_s);

/* Helpers. */
long side_vmhwm_kib(pid_t pid);
void side_fail(struct contender *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif /* MAYFLY_BENCH_SIDE_H */
