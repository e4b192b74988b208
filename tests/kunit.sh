#!/bin/bash
# Runs in the guest: run a KUnit suite and report it from debugfs.  A suite
# built as a module is loaded from $KUNIT_KO (it runs as it loads); a
# built-in one ran at boot.  Passes only if the suite exists and its result
# is "ok".
suite=$1
f=/sys/kernel/debug/kunit/$suite/results
if [ ! -r "$f" ] && [ -n "$KUNIT_KO" ]; then
	if [ ! -r "$KUNIT_KO" ]; then
		echo "KUnit module $KUNIT_KO not found"
		exit 1
	fi
	insmod "$KUNIT_KO" || { echo "insmod $KUNIT_KO failed"; exit 1; }
fi
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
