#!/usr/bin/env python3
import sys
i = int(sys.argv[1])
s = sys.stdin.read()
def sub(old, new):
    global s
    if s.count(old) != 1:
        sys.exit(f'msg {i}: {old[:50]!r}')
    s = s.replace(old, new)
if i == 11:
    sub('''api.rst documents the capability in section 7''', '''The same work kicks a vCPU whose own ring crossed its soft limit, which
the push path records in a per-VM bitmap so that the work does not read
every vCPU's ring: the vCPU's task made the request itself, but may have
done so from sched-out (steal time, the Xen runstate area) on its way to
block in HLT, with nothing left to wake it to report its ring.  api.rst
says what becomes of the halt on each architecture.

api.rst documents the capability in section 7''')
elif i == 16:
    sub('''Pollers are woken by the per-VM irq_work, never by the push path,
which may run with the runqueue lock held: a vCPU ring crossing its soft
limit records the vCPU in a per-VM bitmap (so that the work does not
read every vCPU's ring) and queues the work, which wakes pollers once
per crossing and kicks that vCPU with KVM_REQ_UNBLOCK: its task may have
pushed from sched-out on its way to block in HLT, with nothing left to
wake it to report its ring.  api.rst says what becomes of the halt on
each architecture.  poll() gives the full barrier that pairs with
wq_has_sleeper() in the deferred wakeup.''', '''Pollers are woken by the per-VM irq_work, never by the push path,
which may run with the runqueue lock held: the work already runs when a
ring crosses its soft limit, so pollers are woken once per crossing, not
for every entry pushed.  A waiting vCPU wakes pollers from its own task.
poll() gives the full barrier that pairs with wq_has_sleeper() in the
deferred wakeup.''')
sys.stdout.write(s)
