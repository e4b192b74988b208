#!/usr/bin/env bash
# make check-part2: the series cut after its second part, the ring core on
# upstream's uAPI (up to the api.rst contract), as a maintainer could take
# it without the new uAPI.  Builds that kernel in its own worktree and
# output folder and runs the tests that exist there (tests/part2.plan):
# the core KUnit suite, the base tree's pristine dirty_log_test, the uAPI
# selftest and QEMU 7.2 migrating a guest over the dirty ring.
# Prints TAP and "N passed, N failed"; exits non-zero on failure.
. "$(dirname "$0")/lib.sh"

[ -d "$SRC/.git" ] || bash "$TOP/scripts/tree.sh"
tag=$(git -C "$SRC" describe --tags --abbrev=0 --match 'base-*' series)
end_subject=${PART2_END:-"KVM: Documentation: Rewrite the dirty ring section as a contract"}
last=$(git -C "$SRC" log --reverse --format='%H %s' "$tag..series" |
	awk -v s="$end_subject" 'substr($0, 42) == s {print $1; exit}')
[ -n "$last" ] || die "no patch \"$end_subject\" in the series"
n=$(git -C "$SRC" rev-list --count "$tag..$last")
log "part 2 ends at patch $n: $end_subject"

wt=$CACHE/part2
if [ -e "$wt/.git" ]; then
	git -C "$wt" checkout -q -f --detach "$last"
else
	git -C "$SRC" worktree add -q --detach "$wt" "$last"
fi
out=$OUT/kernel-part2
kconfig "$wt" "$out" "$TOP/config/base.config" "$TOP/config/debug.config" \
	"$TOP/config/series.config"
log "building the part-2 kernel in $out"
make -s -C "$wt" O="$out" CC="ccache gcc" -j"$JOBS" bzImage modules

hdr=$OUT/hdr-part2 st=$OUT/selftests-part2
make -s -C "$wt" O="$hdr" INSTALL_HDR_PATH="$hdr/usr" headers_install
mkdir -p "$st"
make -s -C "$wt/tools/testing/selftests/kvm" -j"$JOBS" OUTPUT="$st" \
	KHDR_INCLUDES="-isystem $hdr/usr/include" EXTRA_CFLAGS=-static "$st/dirty_ring_uapi_test"
# The base tree's own dirty_log_test, as make selftests builds it.
[ -x "$OUT/selftests-base/dirty_log_test" ] || bash "$TOP/scripts/selftests.sh" >/dev/null
qemu=$(bash "$TOP/scripts/qemu.sh" | sed -n 's/^QEMU=//p' | tail -1)
[ -n "$qemu" ] && [ -x "$qemu" ] || die "QEMU build failed"

mkdir -p "$RESULTS"
python3 "$TOP/scripts/guest.py" --kernel "$out/arch/x86/boot/bzImage" \
	--plan "$TOP/tests/part2.plan" --rundir "$RESULTS/part2" \
	--env ST="$st" --env BST="$OUT/selftests-base" --env TOOLS="$OUT/tools" \
	--env KUNIT_KO="$out/arch/x86/kvm/kvm_dirty_ring_test.ko" --env QEMU_PATCHED="$qemu"
