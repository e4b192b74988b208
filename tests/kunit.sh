#!/bin/bash
# Runs in the guest: report a KUnit suite that ran at boot (built-in tests)
# from debugfs.  Passes only if the suite exists and its result is "ok".
suite=$1
f=/sys/kernel/debug/kunit/$suite/results
if [ ! -r "$f" ]; then
	echo "KUnit suite $suite did not run (no $f)"
	exit 1
fi
cat "$f"
last=$(grep -E "^(not )?ok [0-9]+ $suite\$" "$f" | tail -1)
[ -n "$last" ] || { echo "no result line for $suite"; exit 1; }
case $last in
"ok "*) exit 0 ;;
*) exit 1 ;;
esac
