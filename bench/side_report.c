/* side_report.c: the side-by-side table, CSVs and the latency CDF plot of
 * `make bench`, written to stdout and to the results folder:
 *   summary.txt   what stdout shows, RESULT lines last
 *   summary.csv   one row per contender
 *   raw/NAME.csv  every latency sample with its round
 *   raw/mayfly-inproc-phases.csv
 *   cdf/NAME.dat, cdf.gp, cdf.png, cdf.svg
 */
#include <errno.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "bench/side.h"

#define CDF_POINTS 1500

extern char **environ;

/* Prints to stdout and to summary.txt alike. */
static FILE *summary;

static void out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void out(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    if (summary) {
        va_start(ap, fmt);
        vfprintf(summary, fmt, ap);
        va_end(ap);
    }
}

static FILE *open_in(const struct side_opts *o, const char *sub,
                     const char *name, const char *ext)
{
    char path[1024];

    snprintf(path, sizeof(path), "%s/%s", o->out, sub);
    mkdir(path, 0755);
    snprintf(path, sizeof(path), "%s/%s%s%s%s", o->out, sub, *sub ? "/" : "",
             name, ext);
    return fopen(path, "w");
}

static double ops_per_s(const struct contender *c)
{
    return c->ops_ns ? (double)c->ops_done / ((double)c->ops_ns / 1e9) : 0;
}

/* ---- Raw samples -------------------------------------------------------- */

/* Written before sorting: samples in the order they were taken. */
static void write_raw(const struct contender *c, const struct side_opts *o)
{
    FILE *f = open_in(o, "raw", c->name, ".csv");

    if (!f)
        return;
    fprintf(f, "round,latency_us\n");
    for (size_t i = 0; i < c->lat.n; i++)
        fprintf(f, "%llu,%.1f\n", (unsigned long long)c->round.v[i],
                (double)c->lat.v[i] / 1000.0);
    fclose(f);
}

static void write_phases(const struct contender *c, const struct side_opts *o)
{
    FILE *f = open_in(o, "raw", c->name, "-phases.csv");

    if (!f)
        return;
    for (int p = 0; p < PH_COUNT; p++)
        fprintf(f, "%s_us%s", side_phase_names[p],
                p + 1 < PH_COUNT ? "," : "\n");
    for (size_t i = 0; i < c->phases[0].n; i++)
        for (int p = 0; p < PH_COUNT; p++)
            fprintf(f, "%.1f%s", (double)c->phases[p].v[i] / 1000.0,
                    p + 1 < PH_COUNT ? "," : "\n");
    fclose(f);
}

/* ---- Table -------------------------------------------------------------- */

static void table_head(void)
{
    out("%-18s %7s %9s %9s %9s %9s %12s %7s %10s\n", "contender", "n", "p50_us",
        "p90_us", "p99_us", "ops_s", "peak_rss_kib", "ratio", "tput_ratio");
}

static void table_row(const struct contender *c, const struct contender *ref)
{
    double ratio =
        ref ? series_pct_us(&c->lat, 50) / series_pct_us(&ref->lat, 50) : 0;
    double ops = ops_per_s(c), rops = ref ? ops_per_s(ref) : 0;
    char tr[16] = "-", os[16] = "-";

    if (c->skipped && c->lat.n == 0) {
        out("%-18s skipped: %s\n", c->name, c->why);
        return;
    }
    if (ops > 0 && rops > 0)
        snprintf(tr, sizeof(tr), "%.2f", rops / ops);
    if (ops > 0)
        snprintf(os, sizeof(os), "%.0f", ops);
    out("%-18s %7zu %9.1f %9.1f %9.1f %9s %12ld %7.2f %10s\n", c->name,
        c->lat.n, series_pct_us(&c->lat, 50), series_pct_us(&c->lat, 90),
        series_pct_us(&c->lat, 99), os, c->rss_kib, ratio, tr);
}

static void phase_table(const struct contender *c)
{
    out("\nMayfly in-process, per phase (vmm.h; enter/start/run/done from "
        "the guest's TSC stamps):\n");
    out("%-10s %8s %9s %9s %9s\n", "phase", "n", "p50_us", "p90_us", "p99_us");
    for (int p = 0; p < PH_COUNT; p++) {
        struct series *s = &c->phases[p];

        series_sort(s);
        out("%-10s %8zu %9.1f %9.1f %9.1f\n", side_phase_names[p], s->n,
            series_pct_us(s, 50), series_pct_us(s, 90), series_pct_us(s, 99));
    }
}

static void write_csv(const struct contender *cs, size_t n,
                      const struct contender *ref, const struct side_opts *o)
{
    FILE *f = open_in(o, "", "summary", ".csv");

    if (!f)
        return;
    fprintf(f, "contender,n,p50_us,p90_us,p99_us,mean_us,ops_s,peak_rss_kib,"
               "ratio_p50,interval,ops_how,rss_how,skipped\n");
    for (size_t i = 0; i < n; i++) {
        const struct contender *c = &cs[i];
        double ratio = ref && c->lat.n ? series_pct_us(&c->lat, 50) /
                                             series_pct_us(&ref->lat, 50)
                                       : 0;

        fprintf(f,
                "%s,%zu,%.1f,%.1f,%.1f,%.1f,%.1f,%ld,%.3f,\"%s\",\"%s\","
                "\"%s\",\"%s\"\n",
                c->name, c->lat.n, series_pct_us(&c->lat, 50),
                series_pct_us(&c->lat, 90), series_pct_us(&c->lat, 99),
                series_mean_us(&c->lat), ops_per_s(c), c->rss_kib, ratio,
                c->interval ? c->interval : "", c->ops_how ? c->ops_how : "",
                c->rss_how ? c->rss_how : "", c->skipped ? c->why : "");
    }
    fclose(f);
}

/* ---- CDF ---------------------------------------------------------------- */

static void write_cdf(const struct contender *c, const struct side_opts *o)
{
    FILE *f = open_in(o, "cdf", c->name, ".dat");
    size_t n = c->lat.n, k = n < CDF_POINTS ? n : CDF_POINTS;

    if (!f)
        return;
    for (size_t i = 0; i < k; i++) {
        size_t idx = k > 1 ? i * (n - 1) / (k - 1) : 0;

        fprintf(f, "%.1f %.5f\n", (double)c->lat.v[idx] / 1000.0,
                (double)(idx + 1) / (double)n);
    }
    fclose(f);
}

/* Line styles in contender order: Mayfly in greens and blues, the
 * others in warm colours, the two reference lines dashed. */
static const char *const styles[] = {
    "lc rgb \"#7f7f7f\" lw 2 dt 2", "lc rgb \"#006d2c\" lw 3",
    "lc rgb \"#41ab5d\" lw 2",      "lc rgb \"#2171b5\" lw 2",
    "lc rgb \"#08306b\" lw 2",      "lc rgb \"#e6550d\" lw 2",
    "lc rgb \"#cb181d\" lw 2",      "lc rgb \"#67000d\" lw 2 dt 2",
};

static void plot_lines(FILE *f, const struct contender *cs, size_t n,
                       const struct side_opts *o)
{
    const size_t nstyles = sizeof(styles) / sizeof(styles[0]);
    const char *sep = "plot ";

    for (size_t i = 0; i < n; i++) {
        if (cs[i].lat.n == 0)
            continue;
        fprintf(f,
                "%s\"%s/cdf/%s.dat\" using 1:2 with lines %s "
                "title \"%s (p50 %.0f us)\"",
                sep, o->out, cs[i].name, styles[i % nstyles], cs[i].name,
                series_pct_us(&cs[i].lat, 50));
        sep = ", \\\n     ";
    }
    fprintf(f, "\n");
}

static void run_gnuplot(const char *script)
{
    char *argv[] = {"gnuplot", (char *)script, NULL};
    pid_t pid;
    int st;

    if (posix_spawnp(&pid, "gnuplot", NULL, NULL, argv, environ) != 0) {
        fprintf(stderr, "side: gnuplot not found: no plot\n");
        return;
    }
    if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
        fprintf(stderr, "side: gnuplot failed: no plot\n");
}

static void plot(const struct contender *cs, size_t n,
                 const struct side_opts *o)
{
    FILE *f = open_in(o, "", "cdf", ".gp");
    char path[1024];

    if (!f)
        return;
    for (size_t i = 0; i < n; i++)
        if (cs[i].lat.n)
            write_cdf(&cs[i], o);
    fprintf(
        f,
        "set logscale x\nset grid xtics mxtics ytics\n"
        "set xlabel \"latency, microseconds (log scale)\"\n"
        "set ylabel \"fraction of requests answered within\"\n"
        "set yrange [0:1]\nset key outside right top vertical Left reverse\n"
        "set format x \"%%.0f\"\n"
        "set title \"hello, cold: latency CDF per contender "
        "(%s run)\"\n",
        o->quick ? "quick" : "full");
    fprintf(f,
            "set terminal pngcairo size 1400,760 font \"sans,11\"\n"
            "set output \"%s/cdf.png\"\n",
            o->out);
    plot_lines(f, cs, n, o);
    fprintf(f,
            "set terminal svg size 1400,760 dynamic font \"sans,11\"\n"
            "set output \"%s/cdf.svg\"\nreplot\n",
            o->out);
    fclose(f);
    snprintf(path, sizeof(path), "%s/cdf.gp", o->out);
    run_gnuplot(path);
}

/* ---- Notes and RESULT lines --------------------------------------------- */

static void notes(const struct contender *cs, size_t n,
                  const struct contender *ref)
{
    out("\nratio = contender p50 / %s p50 (Mayfly's in-process cold "
        "invocation: vmm_invoke() entry to return)\n"
        "tput_ratio = %s ops/s / contender ops/s\n",
        ref ? ref->name : "-", ref ? ref->name : "-");
    out("\nIntervals, ops/s and peak RSS:\n");
    for (size_t i = 0; i < n; i++)
        out("  %-18s %s\n  %-18s ops/s: %s; peak RSS: %s\n", cs[i].name,
            cs[i].interval ? cs[i].interval : "-", "",
            cs[i].ops_how ? cs[i].ops_how : "-",
            cs[i].rss_how ? cs[i].rss_how : "-");
    out("\nFresh VMs:\n");
    for (size_t i = 0; i < n; i++)
        if (cs[i].fresh_line[0])
            out("  %s\n", cs[i].fresh_line);
    for (size_t i = 0, first = 1; i < n; i++) {
        if (!cs[i].why[0])
            continue;
        out("%s  %s: %s\n", first ? "\nProblems:\n" : "", cs[i].name,
            cs[i].why);
        first = 0;
    }
    out("\n");
}

static void result_lines(const struct contender *cs, size_t n,
                         const struct contender *ref)
{
    for (size_t i = 0; i < n; i++) {
        const struct contender *c = &cs[i];

        if (c->lat.n == 0 || !ref) {
            out("RESULT name=%s p50_us=NA p99_us=NA ratio=NA\n", c->name);
            continue;
        }
        out("RESULT name=%s p50_us=%.0f p99_us=%.0f ratio=%.2f\n", c->name,
            series_pct_us(&c->lat, 50), series_pct_us(&c->lat, 99),
            series_pct_us(&c->lat, 50) / series_pct_us(&ref->lat, 50));
    }
}

void side_report(struct contender *cs, size_t n, const struct contender *ref,
                 const struct side_opts *o, double elapsed_s)
{
    char path[1024], when[64];
    time_t now = time(NULL);

    snprintf(path, sizeof(path), "%s/summary.txt", o->out);
    summary = fopen(path, "w");
    strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", gmtime(&now));
    for (size_t i = 0; i < n; i++) {
        write_raw(&cs[i], o);
        if (cs[i].phases)
            write_phases(&cs[i], o);
        series_sort(&cs[i].lat);
    }
    out("\n== mayfly bench (%s): hello, POST \"ada\", every request cold; "
        "%s, %u rounds, %u streams, %.0f s\n",
        o->quick ? "quick" : "full", when, o->rounds, o->streams, elapsed_s);
    table_head();
    for (size_t i = 0; i < n; i++)
        table_row(&cs[i], ref);
    if (ref && ref->phases)
        phase_table(ref);
    notes(cs, n, ref);
    write_csv(cs, n, ref, o);
    plot(cs, n, o);
    out("results: %s\n", o->out);
    result_lines(cs, n, ref);
    if (summary)
        fclose(summary);
    summary = NULL;
}
