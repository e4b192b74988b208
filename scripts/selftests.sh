#!/usr/bin/env bash
# make selftests: build static KVM selftests from the patched tree (the ones
# listed in tests/selftests.list) and, separately, the pristine base tree's
# dirty_log_test, each against its own tree's uapi headers.
. "$(dirname "$0")/lib.sh"

[ -d "$SRC/.git" ] || bash "$TOP/scripts/tree.sh"

# build_kvm_selftests <srcdir> <name> <test...>; ARCH_ARGS (e.g. ARCH=arm64
# CROSS_COMPILE=...) cross-builds them.
build_kvm_selftests() {
	local src=$1 name=$2; shift 2
	local hdr=$OUT/hdr-$name st=$OUT/selftests-$name targets=() t
	make -s -C "$src" ${ARCH_ARGS:-} O="$hdr" INSTALL_HDR_PATH="$hdr/usr" headers_install
	mkdir -p "$st"
	for t in "$@"; do targets+=("$st/$t"); done
	log "building $name selftests: $*"
	make -s -C "$src/tools/testing/selftests/kvm" ${ARCH_ARGS:-} -j"$JOBS" OUTPUT="$st" \
		KHDR_INCLUDES="-isystem $hdr/usr/include" EXTRA_CFLAGS=-static \
		"${targets[@]}"
	for t in "$@"; do
		[ -x "$st/$t" ] || die "$st/$t was not built"
	done
	echo "SELFTESTS_$name=$st"
}

mapfile -t ours < <(grep -v -e '^#' -e '^$' "$TOP/tests/selftests.list")
build_kvm_selftests "$SRC" patched "${ours[@]}"
build_kvm_selftests "$BASESRC" base dirty_log_test
# The architecture-neutral ones must build for arm64 too (not run here).
ARCH_ARGS="ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-" build_kvm_selftests "$SRC" arm64 \
	$(printf '%s\n' "${ours[@]}" | grep -v /)

# The project's own userspace tools (demo, rig tests), built against the
# patched tree's uapi headers.
make -s -C "$TOP/tools" OUT="$OUT/tools" KHDR="$OUT/hdr-patched/usr/include"
echo "TOOLS=$OUT/tools"
