#!/usr/bin/env bash
# make demo: build and boot the patched kernel and show the dirty ring at
# work: a guest dirtying a 64 MiB slot while the VMM harvests and resets
# the ring, counts printed per pass; then the base tree's dirty_log_test in
# dirty-ring mode.  KERNEL=<bzImage> runs it on another kernel (for
# example the one make base-kernel prints).
. "$(dirname "$0")/lib.sh"

# The first command on a new machine may be this one: install what is
# missing (idempotent, 1 s when everything is there) and unpack the tree.
bash "$TOP/scripts/deps.sh" >&2
[ -d "$SRC/.git" ] || bash "$TOP/scripts/tree.sh"

kernel=${KERNEL:-}
if [ -z "$kernel" ]; then
	kernel=$(bash "$TOP/scripts/kernel.sh" patched | sed -n 's/^KERNEL=//p' | tail -1)
fi
bash "$TOP/scripts/selftests.sh" > /dev/null
exec python3 "$TOP/scripts/guest.py" --kernel "$kernel" --plan "$TOP/tests/demo.plan" \
	--rundir "$RESULTS/demo" --timeout 1500 \
	--env ST="$OUT/selftests-patched" --env BST="$OUT/selftests-base" --env TOOLS="$OUT/tools"
