#!/bin/bash
# Runs inside the test guest, chrooted into the host's root (read-only) with
# the run folder at /tmp/kdr (read-write, shared with the host).
#
# /tmp/kdr/env.sh sets the variables the plan uses; /tmp/kdr/plan lists the
# tests, one per line:   name <TAB> timeout-seconds <TAB> shell command
# Each test's output goes to /tmp/kdr/<name>.log and its exit code to
# /tmp/kdr/status.  Markers written to /dev/kmsg let the host attribute any
# kernel report in the console log to the test that was running.
K=/tmp/kdr
. $K/env.sh
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/tmp TMPDIR=/tmp
cd /tmp

mark() { echo "kdr-mark: $*" > /dev/kmsg; }
say() { echo "kdr: $*"; }

: > $K/status
say "guest up: $(uname -r), $(nproc) cpus, $(awk '/MemTotal/ {print int($2/1024)}' /proc/meminfo) MiB"
[ -c /dev/kvm ] || say "no /dev/kvm in the guest"
while IFS=$'\t' read -r name tmo cmd; do
	case $name in ''|'#'*) continue ;; esac
	mark "BEGIN $name"
	say "running $name"
	start=$(date +%s.%N)
	# A test about to run out of time shows where every CPU and every
	# blocked task is before it is killed (sysrq l and w, on the console,
	# summarized by the host): a hang is then diagnosable from CI's output.
	(
		sleep $((tmo > 60 ? tmo - 10 : tmo))
		echo "kdr-diag: $name is running out of time: CPUs and blocked tasks" > /dev/kmsg
		echo l > /proc/sysrq-trigger
		echo w > /proc/sysrq-trigger
	) &
	dumper=$!
	timeout -k 10 "$tmo" bash -c "$cmd" > "$K/$name.log" 2>&1 < /dev/null
	rc=$?
	kill $dumper 2>/dev/null
	wait $dumper 2>/dev/null
	secs=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
	# Let the kernel finish printing whatever the test provoked before
	# the END marker closes its window.
	sleep 1
	mark "END $name rc=$rc"
	printf '%s\t%s\t%s\n' "$name" "$rc" "$secs" >> $K/status
	say "done $name rc=$rc ($secs s)"
done < $K/plan
dmesg > $K/dmesg.txt
echo done > $K/finished
sync
