#!/usr/bin/env bash
# make bench: what collecting dirty pages costs with the series' ring, the
# base kernel's (upstream) ring and the dirty bitmap (issue 9).
#   1. build the non-debug series and base kernels (FLAVOUR=bench, same
#      config) and the tools (tools/bench/dirty_bench.c, one static binary
#      for both kernels)
#   2. boot them alternately, base first (BOOTS=3 of each), every boot
#      running tests/bench.plan under the nested rig (scripts/guest.py)
#   3. scripts/bench_report.py: ratios within each boot, then medians and
#      spread across boots per kernel; table.md (printed), the targets,
#      CSV and PNG plots
# Everything lands in results/bench-<date>/ (BENCH_OUT= to choose): raw
# logs per boot under raw/, command.txt says what ran, when and how long.
# Overrides: KERNEL_BASE= / KERNEL_SERIES= (bzImages: skip those builds),
# TOOLS= (a folder with dirty_bench: skip the tools build), BENCH_PLAN=,
# BENCH_ONLY=<regex> (plan tests), BOOTS=.
. "$(dirname "$0")/lib.sh"

boots=${BOOTS:-3}
plan=${BENCH_PLAN:-$TOP/tests/bench.plan}
dest=${BENCH_OUT:-$TOP/results/bench-$(date +%Y%m%d-%H%M)}
work=$RESULTS/bench
t_start=$(date +%s)

[ -e "$dest" ] && die "$dest exists: remove it or set BENCH_OUT="
mkdir -p "$dest/raw" "$work"

kernel() {	# kernel <patched|base>: build with FLAVOUR=bench, print its path
	local k
	k=$(FLAVOUR=bench bash "$TOP/scripts/kernel.sh" "$1" | sed -n 's/^KERNEL=//p' | tail -1)
	[ -n "$k" ] && [ -f "$k" ] || die "$1 kernel (FLAVOUR=bench) build failed"
	echo "$k"
}

log "build the series kernel (non-debug)"
series_k=${KERNEL_SERIES:-$(kernel patched)}
log "build the base kernel (non-debug)"
base_k=${KERNEL_BASE:-$(kernel base)}
tools=${TOOLS:-}
if [ -z "$tools" ]; then
	log "build the tools (and the selftests, as make selftests does)"
	bash "$TOP/scripts/selftests.sh" > "$work/selftests.out"
	tools=$OUT/tools
fi
[ -x "$tools/dirty_bench" ] || die "$tools/dirty_bench missing"
t_built=$(date +%s)
log "builds done after $((t_built - t_start)) s"

{
	echo "command: make bench (scripts/bench.sh), BOOTS=$boots${BENCH_ONLY:+ BENCH_ONLY=$BENCH_ONLY}"
	echo "plan: ${plan#"$TOP"/}"
	echo "started: $(date -u -d "@$t_start" +%FT%TZ)"
	echo "host: $(uname -srm), $(nproc) cpus, $(awk '/MemTotal/ {print int($2/1048576)}' /proc/meminfo) GiB"
	echo "rig: $(qemu-system-x86_64 --version | head -1), TCG, -cpu EPYC,+svm,+npt -smp 1 -m 4G"
	echo "base: $BASE_PKG $BASE_VER"
	echo "series: $(series_patches | tr '\n' ' ')"
	echo "project: $(git -C "$TOP" describe --always --dirty 2>/dev/null || echo unknown)"
	echo "kernel base: $base_k ($(sha256sum < "$base_k" | cut -c1-16))"
	echo "kernel series: $series_k ($(sha256sum < "$series_k" | cut -c1-16))"
} > "$dest/command.txt"

# base, series, base, series, ...: boots differ in speed (up to +-50 %),
# so every figure is first compared within its boot.  One L1 CPU: see
# tests/bench.plan (2 CPUs under multi-threaded TCG reset the L1 guest).
failed=()
for i in $(seq 1 "$boots"); do
	for k in base series; do
		kern=$base_k
		[ $k = series ] && kern=$series_k
		name=boot$i-$k
		log "boot $i of $boots, $k kernel"
		set +e
		python3 "$TOP/scripts/guest.py" --kernel "$kern" --plan "$plan" \
			--rundir "$work/$name" --timeout "${BENCH_BOOT_TIMEOUT:-2400}" --smp 1 \
			--env TOOLS="$tools" ${BENCH_ONLY:+--only "$BENCH_ONLY"} 2>&1 |
			tee "$work/$name.tap" | grep --line-buffered -E '^# kdr: (running|done)|^not ok|passed,'
		rc=${PIPESTATUS[0]}
		set -e
		[ "$rc" = 0 ] || failed+=("$name")
		mkdir -p "$dest/raw/$name"
		cp "$work/$name.tap" "$dest/raw/$name/guest.tap"
		for g in "$work/$name"/*/; do
			g=${g%/}
			mkdir -p "$dest/raw/$name/${g##*/}"
			cp "$g"/*.log "$g"/status "$dest/raw/$name/${g##*/}/" 2>/dev/null || true
			[ -f "$dest/raw/$name/${g##*/}/console.log" ] &&
				gzip -9f "$dest/raw/$name/${g##*/}/console.log"
		done
	done
done
t_booted=$(date +%s)

{
	echo "finished: $(date -u +%FT%TZ)"
	echo "took: $((t_booted - t_start)) s (builds $((t_built - t_start)) s, boots $((t_booted - t_built)) s)"
	echo "failed boots: ${failed[*]:-none}"
} >> "$dest/command.txt"

python3 "$TOP/scripts/bench_report.py" "$dest"
log "results in $dest; make bench took $(( $(date +%s) - t_start )) s"
[ ${#failed[@]} = 0 ] || die "boots with failures: ${failed[*]} (see $dest/raw/*/guest.tap)"
