#!/bin/bash
# Runs in the guest: run KUnit suites and report them from debugfs.  Suites
# built as a module are loaded from $KUNIT_KO (they run as it loads);
# built-in ones ran at boot.  Passes only if every suite named exists and
# its result is "ok".
# usage: kunit.sh <suite>...
[ $# -gt 0 ] || { echo "usage: $0 <suite>..."; exit 1; }
f=/sys/kernel/debug/kunit/$1/results
if [ ! -r "$f" ] && [ -n "$KUNIT_KO" ]; then
	if [ ! -r "$KUNIT_KO" ]; then
		echo "KUnit module $KUNIT_KO not found"
		exit 1
	fi
	insmod "$KUNIT_KO" || { echo "insmod $KUNIT_KO failed"; exit 1; }
fi
rc=0
for suite in "$@"; do
	f=/sys/kernel/debug/kunit/$suite/results
	if [ ! -r "$f" ]; then
		echo "KUnit suite $suite did not run (no $f)"
		rc=1
		continue
	fi
	cat "$f"
	last=$(grep -E "^(not )?ok [0-9]+ $suite\$" "$f" | tail -1)
	case $last in
	"ok "*) ;;
	"") echo "no result line for $suite"; rc=1 ;;
	*) rc=1 ;;
	esac
done
exit $rc
