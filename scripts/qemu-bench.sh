#!/usr/bin/env bash
# make qemu-bench: live migration of the small guest (tests/qemu/l2-dirty.S)
# with stock QEMU (dirty ring in exit mode, and the bitmap) and with QEMU
# patched for the series (qemu/patches: per-VM ring, wait mode, reaper
# woken by poll()), inside the test guest on the series' kernel
# (tests/qemu/bench_migrate.py says what is measured).  Two boots:
#   icount  single-threaded TCG, -icount shift=0,sleep=off: guest time is
#           an instruction count of the L1 guest, repeatable between boots
#   wall    multi-threaded TCG: host time, boots differ by up to +-50 %
# Results in results/qemu-bench-<date>/ (QEMU_BENCH_OUT= to choose):
# raw/<mode>.log, runs.csv, table.md, throughput.png.
# QEMU_BENCH_MODES= "icount wall" by default.
. "$(dirname "$0")/lib.sh"

dest=${QEMU_BENCH_OUT:-$TOP/results/qemu-bench-$(date +%Y%m%d-%H%M)}
modes=${QEMU_BENCH_MODES:-icount wall}
[ -e "$dest" ] && die "$dest exists: remove it or set QEMU_BENCH_OUT="
mkdir -p "$dest/raw"
t_start=$(date +%s)

# The debug kernel of make check: the comparison is between two QEMUs on
# one kernel.
kernel=$(bash "$TOP/scripts/kernel.sh" patched | sed -n 's/^KERNEL=//p' | tail -1)
qemu=$(bash "$TOP/scripts/qemu.sh" | sed -n 's/^QEMU=//p' | tail -1)
[ -x "$qemu" ] || die "QEMU build failed"
{
	echo "command: make qemu-bench (scripts/qemu-bench.sh), modes: $modes"
	echo "started: $(date -u -d "@$t_start" +%FT%TZ)"
	echo "host: $(uname -srm), $(nproc) cpus"
	echo "kernel: $kernel (debug config of make check)"
	echo "stock QEMU: $(qemu-system-x86_64 --version | head -1) (Debian)"
	echo "patched QEMU: $qemu, qemu/patches: $(grep -v '^#' "$TOP/qemu/patches/series" | tr '\n' ' ')"
	echo "project: $(git -C "$TOP" describe --always --dirty 2>/dev/null || echo unknown)"
} > "$dest/command.txt"

rc=0
for mode in $modes; do
	extra=()
	[ "$mode" = icount ] && extra=(--icount)
	log "boot: $mode"
	python3 "$TOP/scripts/guest.py" --kernel "$kernel" --plan "$TOP/tests/qemu-bench.plan" \
		--rundir "$RESULTS/qemu-bench-$mode" "${extra[@]}" --env QEMU_PATCHED="$qemu" \
		> "$dest/raw/$mode.tap" 2>&1 || rc=1
	cp "$RESULTS/qemu-bench-$mode"/*/qemu-bench.log "$dest/raw/$mode.log" 2>/dev/null || rc=1
done

# runs.csv: every run of both modes; table.md: the medians per mode.
{
	first=1
	for mode in $modes; do
		[ -f "$dest/raw/$mode.log" ] || continue
		sed -n 's/^csv://p' "$dest/raw/$mode.log" | if [ $first = 1 ]; then
			sed '1s/^/mode,/; 2,$s/^/'"$mode"',/'
		else
			sed '1d; s/^/'"$mode"',/'
		fi
		first=0
	done
} > "$dest/runs.csv"
{
	echo "# make qemu-bench, $(date -u +%F)"
	echo
	for mode in $modes; do
		[ -f "$dest/raw/$mode.log" ] || continue
		echo "## $mode"
		echo
		sed -n 's/^# small guest/Small guest/p' "$dest/raw/$mode.log"
		echo
		sed -n '/^| cell/,/^$/p' "$dest/raw/$mode.log"
		echo
	done
} > "$dest/table.md"
# A bar per run: pages/s the small guest wrote during the migration.
if command -v gnuplot > /dev/null && [ -s "$dest/runs.csv" ]; then
	awk -F, 'NR > 1 { print $1 "/" $2 "#" $3, $5 }' "$dest/runs.csv" > "$dest/.plot"
	gnuplot -e "set terminal png size 1000,500; set output '$dest/throughput.png';
		set title 'pages/s written by the small guest during live migration (debug kernel, nested TCG)';
		set style fill solid; set boxwidth 0.7; set xtics rotate by -45; set ylabel 'pages/s';
		plot '$dest/.plot' using 0:2:xtic(1) with boxes notitle" || true
	rm -f "$dest/.plot"
fi
echo "took: $(( $(date +%s) - t_start )) s" >> "$dest/command.txt"
cat "$dest/table.md"
exit $rc
