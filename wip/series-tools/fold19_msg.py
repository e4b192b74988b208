#!/usr/bin/env python3
import sys
i = int(sys.argv[1])
s = sys.stdin.read()
def sub(old, new):
    global s
    if s.count(old) != 1:
        sys.exit(f'msg {i}: not found: {old[:60]!r}')
    s = s.replace(old, new)
if i == 4:
    sub('''   handed back; the caller falls back to the memslot's bitmap when there
   is one and warns otherwise.''', '''   handed back; the caller falls back to the memslot's bitmap when there
   is one.  Nothing is printed otherwise: the push path runs from the
   scheduler's sched-out notifier too, with the runqueue lock held.''')
elif i == 10:
    sub('''the loss is reported, never silent: the new VM stat dirty_ring_vm_lost
counts it and vCPU 0's next exit carries KVM_DIRTY_RING_FULL_VM_LOST, so
that the VMM can resend everything.  A page the bitmap took is no loss.
''', '''the loss is reported, never silent: the new VM stat dirty_ring_vm_lost
counts it and vCPU 0's next exit carries KVM_DIRTY_RING_FULL_VM_LOST, so
that the VMM can resend everything.  A page the bitmap took is no loss.

vCPU 0 is not kicked from the push path, which runs in hard IRQ context
and under spinlocks, and whose kick could find vCPU 0 being freed by
kvm_destroy_vm().  The push path only sets state; a per-VM irq_work,
queued when the per-VM ring crosses its soft limit or loses a page,
makes the request and kicks vCPU 0.  It makes KVM_REQ_UNBLOCK too, so
that a vCPU 0 halted in HLT leaves KVM_RUN as well (x86 handles the
request from vcpu_block() without changing the activity state).
Queueing takes the per-VM ring's raw lock, so that kvm_destroy_vm() can
stop the irq_work for good and flush it before any vCPU is freed.  A
vCPU 0 created after the ring filled (Xen's shared_info is written before
vCPUs exist) takes the request over when it is created.
''')
elif i == 14:
    sub('''arch to wait, and x86's vcpu_enter_guest() drops SRCU (memslot updates
wait for its readers)''', '''arch to wait, and x86's vcpu_enter_guest() (or vcpu_block(), for a
halted vCPU) drops SRCU (memslot updates wait for its readers)''')
    sub('''So that the harvester does not poll the rings either, the VM fd becomes
pollable: EPOLLIN while a ring is at its soft limit, a page was lost or
a vCPU waits.  Pushes wake pollers once per crossing of the soft limit.
''', '''So that the harvester does not poll the rings either, the VM fd becomes
pollable: EPOLLIN while a ring is at its soft limit or a vCPU waits,
EPOLLPRI while a page lost to the per-VM ring was not yet reported by
vCPU 0, so that a loss is visible while no vCPU runs (the stop-and-copy
phase of a migration).  Pollers are woken by the per-VM irq_work, never
by the push path, which may run with the runqueue lock held: a vCPU ring
crossing its soft limit records the vCPU in a per-VM bitmap and queues
the work, which wakes pollers once per crossing and kicks that vCPU with
KVM_REQ_UNBLOCK (its task may have pushed from sched-out on its way to
block in HLT, with nothing left to wake it).  The work also wakes the
vCPUs waiting for room on a loss, so that vCPU 0 exits to report it, and
when the VM dies (kvm_vm_dead()), as no ioctl, so no reset, runs on a
dead VM.
''')
sys.stdout.write(s)
