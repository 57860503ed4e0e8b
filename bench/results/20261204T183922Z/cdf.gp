set logscale x
set grid xtics mxtics ytics
set xlabel "latency, microseconds (log scale)"
set ylabel "fraction of requests answered within"
set yrange [0:1]
set key outside right top vertical Left reverse
set format x "%.0f"
set title "hello, cold: latency CDF per contender (full run)"
set terminal pngcairo size 1400,760 font "sans,11"
set output "bench/results/20261204T183922Z/cdf.png"
plot "bench/results/20261204T183922Z/cdf/kvm-floor.dat" using 1:2 with lines lc rgb "#7f7f7f" lw 2 dt 2 title "kvm-floor (p50 1081 us)", \
     "bench/results/20261204T183922Z/cdf/mayfly-inproc.dat" using 1:2 with lines lc rgb "#006d2c" lw 3 title "mayfly-inproc (p50 133 us)", \
     "bench/results/20261204T183922Z/cdf/mayfly-http-paced.dat" using 1:2 with lines lc rgb "#41ab5d" lw 2 title "mayfly-http-paced (p50 276 us)", \
     "bench/results/20261204T183922Z/cdf/mayfly-http-c1.dat" using 1:2 with lines lc rgb "#2171b5" lw 2 title "mayfly-http-c1 (p50 1423 us)", \
     "bench/results/20261204T183922Z/cdf/mayfly-http-c16.dat" using 1:2 with lines lc rgb "#08306b" lw 2 title "mayfly-http-c16 (p50 23903 us)", \
     "bench/results/20261204T183922Z/cdf/fork-exec.dat" using 1:2 with lines lc rgb "#e6550d" lw 2 title "fork-exec (p50 945 us)", \
     "bench/results/20261204T183922Z/cdf/qemu-microvm-kvm.dat" using 1:2 with lines lc rgb "#cb181d" lw 2 title "qemu-microvm-kvm (p50 65778 us)", \
     "bench/results/20261204T183922Z/cdf/qemu-microvm-tcg.dat" using 1:2 with lines lc rgb "#67000d" lw 2 dt 2 title "qemu-microvm-tcg (p50 48098 us)"
set terminal svg size 1400,760 dynamic font "sans,11"
set output "bench/results/20261204T183922Z/cdf.svg"
replot
