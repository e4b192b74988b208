#!/usr/bin/env bash
# make bench: what collecting dirty pages costs with the series' ring, the
# base kernel's (upstream) ring and the dirty bitmap (issues 9 and 14).
#   1. build the non-debug series and base kernels (FLAVOUR=bench, same
#      config) and the tools (tools/bench/dirty_bench.c, one static binary
#      for both kernels)
#   2. boot them, every boot running tests/bench.plan under the nested rig
#      (scripts/guest.py, one L1 CPU), in two modes:
#      icount  single-threaded TCG with -icount shift=0,sleep=off: every
#              time the guest reads is an instruction count (1 ns = 1
#              instruction), repeatable from boot to boot (issue 14).
#              ICOUNT_BOOTS lists the kernels, in order (default
#              "base series series": the second series boot is the A/A
#              check); raw/icount<N>-<kernel>
#      wall    multi-threaded TCG as before: host time, boots differ by up
#              to +-50 %; WALL_BOOTS of each kernel, alternating base,
#              series, ... (default 2); raw/boot<N>-<kernel>
#   3. scripts/bench_report.py: the tables for both figures (wall: ratios
#      within each boot, medians over boots; icount: absolute costs), the
#      A/A check, the targets, CSV and PNG plots; table.md (printed)
# Everything lands in results/bench-<date>/ (BENCH_OUT= to choose): raw
# logs per boot under raw/, command.txt says what ran, in which mode, when
# and how long.
# Overrides: KERNEL_BASE= / KERNEL_SERIES= (bzImages: skip those builds),
# TOOLS= (a folder with dirty_bench, not under /tmp: skip the tools build),
# BENCH_PLAN=, BENCH_ONLY=<regex> (plan tests), WALL_BOOTS= (BOOTS= is the
# old name), ICOUNT_BOOTS= ("" or 0: none), BENCH_BOOT_TIMEOUT= (host
# seconds per boot, either mode: an icount boot takes about as long as a
# wall-clock one, ~10 s more to boot).
. "$(dirname "$0")/lib.sh"

wall_boots=${WALL_BOOTS:-${BOOTS:-2}}
icount_boots=${ICOUNT_BOOTS-base series series}
[ "$icount_boots" = 0 ] && icount_boots=
case $wall_boots in ''|*[!0-9]*) die "WALL_BOOTS=$wall_boots: a number of boots per kernel" ;; esac
for k in $icount_boots; do
	case $k in base|series) ;; *) die "ICOUNT_BOOTS: '$k' is neither base nor series" ;; esac
done
[ "$wall_boots" -gt 0 ] || [ -n "$icount_boots" ] || die "WALL_BOOTS=0 and no ICOUNT_BOOTS: nothing to boot"
tools=${TOOLS:-}
case $tools/ in
/tmp/*) die "TOOLS=$tools: the test guest has its own /tmp and cannot see it" ;;
esac
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

# Wall boots need both kernels; icount boots only those they list.
needs() { [ "$wall_boots" -gt 0 ] || [[ " $icount_boots " == *" $1 "* ]]; }
series_k= base_k=
if needs series; then
	log "build the series kernel (non-debug)"
	series_k=${KERNEL_SERIES:-$(kernel patched)}
fi
if needs base; then
	log "build the base kernel (non-debug)"
	base_k=${KERNEL_BASE:-$(kernel base)}
fi
if [ -z "$tools" ]; then
	log "build the tools (and the selftests, as make selftests does)"
	bash "$TOP/scripts/selftests.sh" > "$work/selftests.out"
	tools=$OUT/tools
fi
[ -x "$tools/dirty_bench" ] || die "$tools/dirty_bench missing"
t_built=$(date +%s)
log "builds done after $((t_built - t_start)) s"

{
	echo "command: make bench (scripts/bench.sh), WALL_BOOTS=$wall_boots ICOUNT_BOOTS=\"$icount_boots\"${BENCH_ONLY:+ BENCH_ONLY=$BENCH_ONLY}"
	echo "plan: ${plan#"$TOP"/}"
	echo "started: $(date -u -d "@$t_start" +%FT%TZ)"
	echo "host: $(uname -srm), $(nproc) cpus, $(awk '/MemTotal/ {print int($2/1048576)}' /proc/meminfo) GiB"
	echo "rig: $(qemu-system-x86_64 --version | head -1), TCG, -cpu EPYC,+svm,+npt -smp 1 -m 4G"
	echo "modes: wall = raw/boot<N>-<kernel>: -accel tcg,thread=multi, guest time is host time;" \
		"icount = raw/icount<N>-<kernel>: -accel tcg,thread=single -icount shift=0,sleep=off," \
		"guest time is instructions (1 ns = 1 instruction)"
	echo "base: $BASE_PKG $BASE_VER"
	echo "series: $(series_patches | tr '\n' ' ')"
	echo "project: $(git -C "$TOP" describe --always --dirty 2>/dev/null || echo unknown)"
	for k in base series; do
		kern=$base_k
		[ $k = series ] && kern=$series_k
		[ -n "$kern" ] && echo "kernel $k: $kern ($(sha256sum < "$kern" | cut -c1-16))"
	done
	echo "tools: $tools/dirty_bench ($(sha256sum < "$tools/dirty_bench" | cut -c1-16))"
} > "$dest/command.txt"

failed=()
bootrun() {	# bootrun <wall|icount> <base|series> <name> <what>: one boot into raw/<name>
	local mode=$1 k=$2 name=$3 what=$4 kern=$base_k rc t0 extra=(--smp 1)
	[ "$k" = series ] && kern=$series_k
	[ "$mode" = icount ] && extra=(--icount)
	log "$what, $k kernel"
	t0=$(date +%s)
	set +e
	python3 "$TOP/scripts/guest.py" --kernel "$kern" --plan "$plan" \
		--rundir "$work/$name" --timeout "${BENCH_BOOT_TIMEOUT:-2400}" "${extra[@]}" \
		--env TOOLS="$tools" ${BENCH_ONLY:+--only "$BENCH_ONLY"} 2>&1 |
		tee "$work/$name.tap" | grep --line-buffered -E '^# kdr: (running|done)|^not ok|passed,'
	rc=${PIPESTATUS[0]}
	set -e
	[ "$rc" = 0 ] || failed+=("$name")
	echo "boot $name: $mode, $k kernel, $(( $(date +%s) - t0 )) s, exit $rc" >> "$dest/command.txt"
	mkdir -p "$dest/raw/$name"
	echo "$mode" > "$dest/raw/$name/mode"
	cp "$work/$name.tap" "$dest/raw/$name/guest.tap"
	for g in "$work/$name"/*/; do
		g=${g%/}
		mkdir -p "$dest/raw/$name/${g##*/}"
		cp "$g"/*.log "$g"/status "$dest/raw/$name/${g##*/}/" 2>/dev/null || true
		[ -f "$dest/raw/$name/${g##*/}/console.log" ] &&
			gzip -9f "$dest/raw/$name/${g##*/}/console.log"
	done
}

# icount boots first: issue 14's targets are judged on them.  Guest time
# is an instruction count, the same from boot to boot, so their order does
# not matter; the second series boot checks that (A/A, bench_report.py).
declare -A nth=()
for k in $icount_boots; do
	nth[$k]=$(( ${nth[$k]:-0} + 1 ))
	bootrun icount "$k" "icount${nth[$k]}-$k" "icount boot ${nth[$k]}"
done

# Wall clock: base, series, base, series, ...: boots differ in speed (up
# to +-50 %), so every wall figure is first compared within its boot.  One
# L1 CPU: see tests/bench.plan (2 CPUs under multi-threaded TCG reset the
# L1 guest).
for i in $(seq 1 "$wall_boots"); do
	for k in base series; do
		bootrun wall "$k" "boot$i-$k" "wall-clock boot $i of $wall_boots"
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
