#!/usr/bin/env bash
# make fuzz: the dirty ring uAPI fuzzer for a long budget on the debug
# kernel (lockdep, KASAN, atomic-sleep, hung-task): any kernel report or
# any outcome the documentation does not allow fails it.
#   FUZZ_SECONDS (default 3600) fuzzing time; FUZZ_SEED (default: the date)
# Results: results/fuzz-<date>/ (TAP, the test's log, the guest console).
. "$(dirname "$0")/lib.sh"

secs=${FUZZ_SECONDS:-3600}
seed=${FUZZ_SEED:-$(date +%Y%m%d)}
dest=$TOP/results/fuzz-$(date +%Y%m%d-%H%M)
kernel=$(bash "$TOP/scripts/kernel.sh" patched | sed -n 's/^KERNEL=//p' | tail -1)
bash "$TOP/scripts/selftests.sh" > /dev/null
mkdir -p "$dest"
# Single-threaded TCG: resets racing faulting vCPUs under multi-threaded TCG
# corrupt the L1 guest (QEMU 7.2 nested SVM, see README), any kernel.
printf 'dirty-ring-fuzz-long\t%s\tpass@st\t$ST/dirty_ring_fuzz_test -s %s -t %s fuzz reset-storm never-lose\n' \
	$((secs + 900)) "$seed" "$secs" > "$dest/plan"
set +e
python3 "$TOP/scripts/guest.py" --kernel "$kernel" --plan "$dest/plan" \
	--rundir "$RESULTS/fuzz" --timeout $((secs + 1500)) \
	--env ST="$OUT/selftests-patched" | tee "$dest/tap.txt"
rc=${PIPESTATUS[0]}
set -e
cp "$RESULTS"/fuzz/st/dirty-ring-fuzz-long.log "$dest/test.log" 2>/dev/null || true
cp "$RESULTS"/fuzz/st/console.log "$dest/console.log" 2>/dev/null || true
echo "make fuzz: seed $seed, $secs s, rc $rc, $(date -u +%FT%TZ)" > "$dest/command.txt"
exit "$rc"
