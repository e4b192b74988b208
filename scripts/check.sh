#!/usr/bin/env bash
# make check: the project's test command (README; .ci/run calls it).
#   1. series hygiene: the series applies to the base; checkpatch --strict
#      reports 0 errors on every patch; the rig's detector test passes
#   2. every patch builds on its own (scripts/check-series.sh) unless
#      CHECK_SERIES=0
#   3. build the patched debug kernel, a non-debug one for the small guest
#      that QEMU migrates inside the test guest, the selftests, and QEMU
#      from Debian's source with qemu/patches (scripts/qemu.sh)
#   4. boot it under QEMU and run tests/plan; any kernel report fails
# Prints TAP and a closing "N passed, N failed"; exits non-zero on failure.
. "$(dirname "$0")/lib.sh"

t_start=$(date +%s)
mkdir -p "$RESULTS"
host=$RESULTS/host-results
: > "$host"
record() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >> "$host"; }
step() { log "step: $*"; }

# Works as the first command on a new machine: make deps is idempotent
# (1 s when everything is installed).
step "install what is missing (make deps)"
bash "$TOP/scripts/deps.sh" >&2 || die "make deps failed"

step "apply the series (make tree)"
if bash "$TOP/scripts/tree.sh"; then
	record series-applies ok "$(series_patches | wc -l) patch(es) on $BASE_PKG $BASE_VER"
else
	record series-applies fail "git am -3 failed, see above"
	echo "1..1"; echo "not ok 1 series-applies"; echo "0 passed, 1 failed"; exit 1
fi

step "checkpatch --strict on every patch"
n=0
while read -r p; do
	n=$((n + 1))
	# from the kernel tree: run inside this repo, checkpatch takes the
	# tracked patch file for a source file
	out=$(cd "$SRC" && ./scripts/checkpatch.pl --strict --no-tree "$TOP/patches/$p" 2>&1 || true)
	errs=$(sed -n 's/.*total: \([0-9]*\) errors.*/\1/p' <<< "$out" | tail -1)
	if [ "${errs:-1}" = 0 ]; then
		record "checkpatch-$p" ok "$(grep -o 'total: .*' <<< "$out" || echo clean)"
	else
		record "checkpatch-$p" fail "$(grep -o 'total: .*' <<< "$out" || echo "$out" | tail -3)"
		echo "$out" | sed 's/^/#   /'
	fi
done < <(series_patches)
[ $n -gt 0 ] || log "the series has no patches yet (cover letter only): nothing for checkpatch"

step "rig detector self-test"
if python3 "$TOP/tests/scan_test.py" > "$RESULTS/scan_test.tap" 2>&1; then
	record rig-scan-selftest ok "$(grep -c '^ok' "$RESULTS/scan_test.tap") checks"
else
	record rig-scan-selftest fail "see $RESULTS/scan_test.tap"
	cat "$RESULTS/scan_test.tap"
fi

if [ "${CHECK_SERIES:-1}" = 1 ]; then
	step "every patch builds on its own (x86_64, arm64, riscv64 KVM)"
	if bash "$TOP/scripts/check-series.sh" > "$RESULTS/check-series.log" 2>&1; then
		record check-series ok "$(tail -1 "$RESULTS/check-series.log")"
	else
		record check-series fail "see $RESULTS/check-series.log"
		tail -30 "$RESULTS/check-series.log"
	fi
fi

step "build the patched debug kernel"
kernel=$(bash "$TOP/scripts/kernel.sh" patched | sed -n 's/^KERNEL=//p' | tail -1)
[ -n "$kernel" ] && [ -f "$kernel" ] || die "kernel build failed"
step "sparse on the KVM objects (virt/kvm and arch/x86/kvm)"
# The base has warnings of its own (mmu notifiers, pvclock, emulate.c): a
# warning fails only if it is in the dirty ring's code.
sparse=$(cd "$SRC" && make -s O="$OUT/kernel-debug" CC="ccache gcc" C=2 -j"$JOBS" \
	arch/x86/kvm/ 2>&1 >/dev/null | grep -E 'warning:|error:' || true)
echo "$sparse" > "$RESULTS/sparse.log"
ours=$(grep -E 'dirty_ring|mark_page_dirty' <<< "$sparse" || true)
if [ -z "$ours" ]; then
	record sparse ok "none in the dirty ring's code; $(grep -c . <<< "$sparse") in the base's"
else
	record sparse fail "$(grep -c . <<< "$ours") in the dirty ring's code, see $RESULTS/sparse.log"
	echo "$ours"
fi
step "build the selftests and tools"
bash "$TOP/scripts/selftests.sh" > "$RESULTS/selftests.out"
step "build QEMU from Debian's source with qemu/patches (make qemu)"
qemu=$(bash "$TOP/scripts/qemu.sh" | sed -n 's/^QEMU=//p' | tail -1)
[ -n "$qemu" ] && [ -x "$qemu" ] || die "QEMU build failed"
log "build steps done after $(( $(date +%s) - t_start )) s"

step "boot and run tests/plan in the guest"
set +e
python3 "$TOP/scripts/guest.py" --kernel "$kernel" --plan "$TOP/tests/plan" \
	--rundir "$RESULTS/guest" --host-results "$host" \
	--env ST="$OUT/selftests-patched" --env BST="$OUT/selftests-base" \
	--env TOOLS="$OUT/tools" --env KUNIT_KO="$OUT/kernel-debug/arch/x86/kvm/kvm_dirty_ring_test.ko" \
	--env QEMU_PATCHED="$qemu" \
	${ONLY:+--only "$ONLY"} ${GUEST_TIMEOUT:+--timeout "$GUEST_TIMEOUT"}
rc=$?
log "make check took $(( $(date +%s) - t_start )) s"
exit $rc
