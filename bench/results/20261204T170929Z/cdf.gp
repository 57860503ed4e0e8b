set logscale x
set grid xtics mxtics ytics
set xlabel "latency, microseconds (log scale)"
set ylabel "fraction of requests answered within"
set yrange [0:1]
set key outside right top vertical Left reverse
set format x "%.0f"
set title "hello, cold: latency CDF per contender (full run)"
set terminal pngcairo size 1400,760 font "sans,11"
set output "bench/results/20261204T170929Z/cdf.png"
plot "bench/results/20261204T170929Z/cdf/kvm-floor.dat" using 1:2 with lines lc rgb "#7f7f7f" lw 2 dt 2 title "kvm-floor (p50 642 us)", \
     "bench/results/20261204T170929Z/cdf/mayfly-inproc.dat" using 1:2 with lines lc rgb "#006d2c" lw 3 title "mayfly-inproc (p50 88 us)", \
     "bench/results/20261204T170929Z/cdf/mayfly-http-paced.dat" using 1:2 with lines lc rgb "#41ab5d" lw 2 title "mayfly-http-paced (p50 391 us)", \
     "bench/results/20261204T170929Z/cdf/mayfly-http-c1.dat" using 1:2 with lines lc rgb "#2171b5" lw 2 title "mayfly-http-c1 (p50 927 us)", \
     "bench/results/20261204T170929Z/cdf/mayfly-http-c16.dat" using 1:2 with lines lc rgb "#08306b" lw 2 title "mayfly-http-c16 (p50 15427 us)", \
     "bench/results/20261204T170929Z/cdf/fork-exec.dat" using 1:2 with lines lc rgb "#e6550d" lw 2 title "fork-exec (p50 520 us)", \
     "bench/results/20261204T170929Z/cdf/qemu-microvm-kvm.dat" using 1:2 with lines lc rgb "#cb181d" lw 2 title "qemu-microvm-kvm (p50 45856 us)", \
     "bench/results/20261204T170929Z/cdf/qemu-microvm-tcg.dat" using 1:2 with lines lc rgb "#67000d" lw 2 dt 2 title "qemu-microvm-tcg (p50 31359 us)"
set terminal svg size 1400,760 dynamic font "sans,11"
set output "bench/results/20261204T170929Z/cdf.svg"
replot
