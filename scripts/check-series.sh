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

n=0 failed=0
for c in $(git -C "$SRC" rev-parse "$tag^{commit}") $(git -C "$SRC" rev-list --reverse "$tag..series"); do
	subj=$(git -C "$SRC" log -1 --format=%s "$c")
	git -C "$SRC" checkout -q --detach "$c"
	log "[$n] $subj"
	KCONFIG_LOOSE=$TOP/config/series.config kconfig "$SRC" "$x86" \
		"$TOP/config/base.config" "$TOP/config/debug.config" "$TOP/config/series.config"
	if ! make -s -C "$SRC" O="$x86" CC="ccache gcc" -j"$JOBS" vmlinux modules 2> "$OUT/cs-x86.err"; then
		cat "$OUT/cs-x86.err"; log "FAIL x86_64: [$n] $subj"; failed=$((failed + 1))
	fi
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
echo "$((n - 1)) patch(es) + base build on x86_64 (vmlinux), arm64 (arch/arm64/kvm) and riscv64 (arch/riscv/kvm, no dirty ring)"
