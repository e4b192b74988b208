#!/usr/bin/env bash
# make check-series: prove every patch of the series builds on its own.
# For the base and then each patch in turn: x86_64 vmlinux with the test
# config (the same output folder as make kernel, so the last step leaves it
# up to date), an arm64 cross-build of arch/arm64/kvm (which compiles
# virt/kvm too), and a riscv64 one of arch/riscv/kvm: riscv has no dirty
# ring, so it proves the series builds without one.  Needs a clean tree;
# leaves it on branch series.
# loongarch also selects the dirty ring, but Debian 12 has no loongarch
# cross compiler, so it cannot be built here.
. "$(dirname "$0")/lib.sh"

[ -d "$SRC/.git" ] || bash "$TOP/scripts/tree.sh"
[ -z "$(git -C "$SRC" status --porcelain --untracked-files=no)" ] || die "$SRC has uncommitted changes"
tag=$(git -C "$SRC" describe --tags --abbrev=0 --match 'base-*' series)
x86=$OUT/kernel-debug
arm=$OUT/arm64-kvm
rv=$OUT/riscv-kvm
trap 'git -C "$SRC" checkout -q series' EXIT

# sparse_counts <file> [source...]: "path count" of sparse warnings per file
# for the checked-out commit, over the x86 objects of the given sources
# (all of arch/x86/kvm, which compiles virt/kvm too, if none).
sparse_counts() {
	local out=$1 f targets=(); shift
	for f in "$@"; do
		case $f in
		virt/kvm/*.c) f=arch/x86/kvm/../../../$f ;;
		arch/x86/kvm/*.c) ;;
		*) continue ;;
		esac
		[ -f "$x86/${f%.c}.o" ] && targets+=("${f%.c}.o")
	done
	if [ $# = 0 ]; then
		targets=(arch/x86/kvm/)
	elif [ ${#targets[@]} = 0 ]; then
		: > "$out"
		return
	fi
	make -s -C "$SRC" O="$x86" CC="ccache gcc" C=2 -j"$JOBS" "${targets[@]}" 2>&1 >/dev/null |
		grep -E 'warning:|error:' | sed -E "s|^$SRC/||; s|^arch/x86/kvm/../../../||; s|:.*||" |
		sort | uniq -c | awk '{print $2, $1}' > "$out"
}
n=0 failed=0 prev=
for c in $(git -C "$SRC" rev-parse "$tag^{commit}") $(git -C "$SRC" rev-list --reverse "$tag..series"); do
	subj=$(git -C "$SRC" log -1 --format=%s "$c")
	git -C "$SRC" checkout -q --detach "$c"
	log "[$n] $subj"
	KCONFIG_LOOSE=$TOP/config/series.config kconfig "$SRC" "$x86" \
		"$TOP/config/base.config" "$TOP/config/debug.config" "$TOP/config/series.config"
	if ! make -s -C "$SRC" O="$x86" CC="ccache gcc" -j"$JOBS" vmlinux modules 2> "$OUT/cs-x86.err"; then
		cat "$OUT/cs-x86.err"; log "FAIL x86_64: [$n] $subj"; failed=$((failed + 1))
	fi
	# sparse: no file the patch touches may have more warnings than in
	# the base (which has some of its own, e.g. mmu notifiers, emulate.c).
	if [ -z "$prev" ]; then
		sparse_counts "$OUT/cs-sparse-base"
	else
		# The touched sources, and the two that include every touched header.
		touched=$(git -C "$SRC" diff --name-only "$prev" "$c" -- '*.c' '*.h')
		sparse_counts "$OUT/cs-sparse" $touched virt/kvm/kvm_main.c virt/kvm/dirty_ring.c
		for f in $touched; do
			now=$(awk -v f="$f" '$1 == f {print $2}' "$OUT/cs-sparse"); now=${now:-0}
			was=$(awk -v f="$f" '$1 == f {print $2}' "$OUT/cs-sparse-base"); was=${was:-0}
			if [ "$now" -gt "$was" ]; then
				log "FAIL sparse: [$n] $subj: $f has $now warnings, the base $was"
				failed=$((failed + 1))
			fi
		done
	fi
	prev=$c
	KMAKE_ARGS="ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-" \
		KCONFIG_LOOSE=$TOP/config/series.config \
		kconfig "$SRC" "$arm" "$TOP/config/arm64.config" "$TOP/config/series.config"
	if ! make -s -C "$SRC" O="$arm" ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu- \
		CC="ccache aarch64-linux-gnu-gcc" -j"$JOBS" arch/arm64/kvm/ 2> "$OUT/cs-arm64.err"; then
		cat "$OUT/cs-arm64.err"; log "FAIL arm64: [$n] $subj"; failed=$((failed + 1))
	fi
	KMAKE_ARGS="ARCH=riscv CROSS_COMPILE=riscv64-linux-gnu-" \
		kconfig "$SRC" "$rv" "$TOP/config/riscv.config"
	if ! make -s -C "$SRC" O="$rv" ARCH=riscv CROSS_COMPILE=riscv64-linux-gnu- \
		CC="ccache riscv64-linux-gnu-gcc" -j"$JOBS" arch/riscv/kvm/ 2> "$OUT/cs-riscv.err"; then
		cat "$OUT/cs-riscv.err"; log "FAIL riscv64: [$n] $subj"; failed=$((failed + 1))
	fi
	n=$((n + 1))
done
[ $failed = 0 ] || die "$failed build failure(s)"
echo "$((n - 1)) patch(es) + base build on x86_64 (vmlinux), arm64 (arch/arm64/kvm) and riscv64 (arch/riscv/kvm, no dirty ring); sparse adds no warning to the files they touch"
