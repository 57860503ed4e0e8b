/* fnbench.h: `fnctl bench`: HTTP load against a deployed function.
 *
 * fnctl_bench() takes the command's own argv (argv[0] is "bench"), the
 * fnd URL fnctl resolved so far (--url after the command overrides it) and
 * whether -o json came before the command (-o after it overrides that). It
 * prints the result table, or with json one JSON object, and returns an
 * fnctl exit status: 0 when every response was 2xx and came from a fresh
 * VM, 1 when not, 2 for bad usage, 3 when fnd cannot be reached.
 */
#ifndef MAYFLY_GW_FNBENCH_H
#define MAYFLY_GW_FNBENCH_H

int fnctl_bench(const char *url, int json, int argc, char **argv);
extern const char fnctl_bench_usage[];

#endif /* MAYFLY_GW_FNBENCH_H */
