#!/usr/bin/env bash
# make compare-base: run the same VM-context writer (Xen event channel
# delivery from a VM ioctl, no vCPU running) on the pristine base kernel and
# on the patched kernel, and show side by side what each does with the
# page it dirties: the base loses it, the series logs it in the per-VM ring
# (or, in legacy mode, counts it in dirty_ring_vm_lost).
# Output: results/compare-base/summary.txt (plus both guests' logs).
. "$(dirname "$0")/lib.sh"

base=$(bash "$TOP/scripts/kernel.sh" base | sed -n 's/^KERNEL=//p' | tail -1)
ours=$(bash "$TOP/scripts/kernel.sh" patched | sed -n 's/^KERNEL=//p' | tail -1)
bash "$TOP/scripts/selftests.sh" > /dev/null
out=$RESULTS/compare-base
rm -rf "$out"
mkdir -p "$out"
rc=0
for k in base ours; do
	kernel=$base
	[ $k = ours ] && kernel=$ours
	log "booting the $k kernel"
	python3 "$TOP/scripts/guest.py" --kernel "$kernel" --plan "$TOP/tests/compare.plan" \
		--rundir "$out/$k" --timeout 900 --env ST="$OUT/selftests-patched" > "$out/$k.tap" 2>&1 || rc=1
done
{
	echo "# make compare-base, $(date -u +%F' '%T) UTC"
	for k in base ours; do
		echo "== $k kernel"
		grep -h -E '^(ok|not ok) |^# (SKIP|legacy:)|Exiting|WARNING' \
			"$out/$k.tap" "$out"/$k/*/*.log 2>/dev/null | sort -u
	done
} | tee "$out/summary.txt"
exit $rc
