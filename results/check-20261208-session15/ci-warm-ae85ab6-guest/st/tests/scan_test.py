#!/usr/bin/env python3
"""Test of the rig's kernel-report detector (scripts/guest.py:scan_console).

Feeds it console logs with one report of every kind the rig must catch,
placed inside and outside test windows, and checks each is found and
attributed to the right window.  The guest-side canary in tests/plan proves
the same end to end with a real WARNING from LKDTM."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts"))
from guest import scan_console, scan_traces  # noqa: E402

SAMPLES = {
    "warn": "[   12.1] WARNING: CPU: 1 PID: 77 at arch/x86/kvm/x86.c:123 foo+0x1/0x2",
    "bug": "[   12.1] BUG: unable to handle page fault for address: 0000000000001234",
    "kasan": "[   12.1] BUG: KASAN: slab-use-after-free in kvm_dirty_ring_push+0x10/0x20",
    "atomic-sleep": "[   12.1] BUG: sleeping function called from invalid context at mm/x.c:1",
    "lockdep-circular": "[   12.1] WARNING: possible circular locking dependency detected",
    "lockdep-recursive": "[   12.1] WARNING: possible recursive locking detected",
    "lockdep-inconsistent": "[   12.1] WARNING: inconsistent lock state",
    "rcu-usage": "[   12.1] WARNING: suspicious RCU usage",
    "hung-task": "[  130.0] INFO: task dirty_log_test:123 blocked for more than 60 seconds.",
    "rcu-stall": "[   80.0] rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:",
    "soft-lockup": "[   80.0] watchdog: BUG: soft lockup - CPU#1 stuck for 26s! [x:1]",
    "oops": "[   12.1] Oops: general protection fault, probably for non-canonical address",
    "panic": "[   12.1] Kernel panic - not syncing: Fatal exception",
    "kernel-bug": "[   12.1] kernel BUG at virt/kvm/dirty_ring.c:42!",
    "ubsan": "[   12.1] UBSAN: shift-out-of-bounds in virt/kvm/dirty_ring.c:10:3",
}
CLEAN = [
    "[    0.0] Linux version 6.12.57-kdr",
    "kdr: running foo",
    "# ok 1 dirty ring basic",
    "[    1.0] kvm_amd: Nested Virtualization enabled",
    "Testing Log Mode 'dirty-ring'",
]

n, bad = 0, 0


def check(cond, what):
    global n, bad
    n += 1
    print(f"{'ok' if cond else 'not ok'} {n} {what}")
    bad += not cond


for kind, line in SAMPLES.items():
    log = CLEAN + [f"[ 10.0] kdr-mark: BEGIN t-{kind}", line, f"[ 11.0] kdr-mark: END t-{kind} rc=0"]
    got = scan_console(log)
    check(list(got) == [f"t-{kind}"] and len(got[f"t-{kind}"]) == 1, f"detects {kind} inside its test")

check(scan_console(CLEAN + ["[ 1.0] kdr-mark: BEGIN a", "[ 2.0] kdr-mark: END a rc=0"]) == {},
      "clean log gives no report")
got = scan_console([SAMPLES["warn"], "[ 1.0] kdr-mark: BEGIN a", "[ 2.0] kdr-mark: END a rc=0"])
check(list(got) == ["boot"], "report before the first test is a boot report")
got = scan_console(["[ 1.0] kdr-mark: BEGIN a", "[ 2.0] kdr-mark: END a rc=0", SAMPLES["hung-task"]])
check(list(got) == ["outside-tests"], "report after the last test is an outside-tests report")
got = scan_console(["[ 1.0] kdr-mark: BEGIN a", "[ 2.0] kdr-mark: END a rc=0",
                    "[ 3.0] kdr-mark: BEGIN b", SAMPLES["kasan"]])
check(list(got) == ["b"], "report in an unterminated window goes to the test that hung")

# Stack dumps: a soft lockup, a blocked task and a sysrq CPU backtrace,
# each summarized as its head and its first reliable frames, RIP first.
TRACE = [
    "[ 1.0] kdr-mark: BEGIN mig",
    "[ 600.1] watchdog: BUG: soft lockup - CPU#1 stuck for 579s! [qemu-system-x86:155]",
    "[ 600.1] CPU: 1 UID: 0 PID: 155 Comm: qemu-system-x86 Not tainted 6.12.117-kdr+ #1",
    "[ 600.1] RIP: 0010:kvm_dirty_ring_reprotect+0x12/0x200 [kvm]",
    "[ 600.1] RSP: 0018:ffffc90000abcde8 EFLAGS: 00000246",
    "[ 600.1] Call Trace:",
    "[ 600.1]  <IRQ>",
    "[ 600.1]  ? watchdog_timer_fn+0x21c/0x290",
    "[ 600.1]  </IRQ>",
    "[ 600.1]  <TASK>",
    "[ 600.1]  kvm_vm_ioctl+0x123/0x456 [kvm]",
    "[ 600.1]  __x64_sys_ioctl+0x90/0xd0",
    "[ 700.0] INFO: task khugepaged:33 blocked for more than 61 seconds.",
    "[ 700.0] task:khugepaged      state:D stack:0     pid:33",
    "[ 700.0] Call Trace:",
    "[ 700.0]  __schedule+0x3f0/0xb40",
    "[ 700.0]  schedule+0x27/0xf0",
    "[ 800.0] NMI backtrace for cpu 0",
    "[ 800.0] RIP: 0010:default_idle+0xb/0x20",
    "[ 900.0] kdr-mark: END mig rc=124",
]
got = scan_traces(TRACE)
check(list(got) == ["mig"] and got["mig"] == [
    "watchdog: BUG: soft lockup - CPU#1 stuck for 579s! [qemu-system-x86:155]: "
    "kvm_dirty_ring_reprotect+0x12/0x200 < kvm_vm_ioctl+0x123/0x456 < __x64_sys_ioctl+0x90/0xd0",
    "task:khugepaged      state:D stack:0     pid:33: __schedule+0x3f0/0xb40 < schedule+0x27/0xf0",
    "NMI backtrace for cpu 0: default_idle+0xb/0x20"], "stack dumps summarized per test")
check(scan_traces(CLEAN) == {}, "clean log gives no stack dump")
print(f"1..{n}")
sys.exit(1 if bad else 0)
