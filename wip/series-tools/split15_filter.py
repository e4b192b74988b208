#!/usr/bin/env python3
"""Run in mv-wt on T15 (wait mode + poll): remove poll() on the VM fd and the
vCPU-ring crossing notification, giving T15a (wait mode only)."""
import re, subprocess, sys
C15 = open('/tmp/c15').read().strip()
def rd(f): return open(f).read()
def sub(s, old, new, f):
    n = s.count(old)
    if n != 1:
        sys.exit(f'{f}: found {n} times: {old[:70]!r}')
    return s.replace(old, new)

f = 'virt/kvm/kvm_main.c'
s = rd(f)
s = sub(s, '\t.poll           = kvm_vm_poll,\n', '', f)
open(f, 'w').write(s)

f = 'include/linux/kvm_dirty_ring.h'
s = rd(f)
s = sub(s, '''static inline bool kvm_dirty_ring_harvest_pending(struct kvm *kvm)
{
	return false;
}

''', '', f)
s = sub(s, 'bool kvm_dirty_ring_harvest_pending(struct kvm *kvm);\n', '', f)
s = sub(s, '__poll_t kvm_vm_poll(struct file *file, struct poll_table_struct *wait);\n', '', f)
open(f, 'w').write(s)

f = 'include/linux/kvm_host.h'
s = rd(f)
s = sub(s, '''	 * on dirty_ring_waitq, which KVM_RESET_DIRTY_RINGS wakes, instead of
	 * exiting.  Harvesters polling the VM fd wait on dirty_ring_pollq.
	 */''', '''	 * on dirty_ring_waitq, which KVM_RESET_DIRTY_RINGS wakes, instead of
	 * exiting.
	 */''', f)
s = sub(s, '\twait_queue_head_t dirty_ring_pollq;\n', '', f)
s = sub(s, '''	/* vCPUs (vcpu_idx) whose ring crossed its soft limit, for the above. */
	DECLARE_BITMAP(dirty_ring_crossed, KVM_MAX_VCPUS);
''', '', f)
open(f, 'w').write(s)

f = 'virt/kvm/dirty_ring.c'
s = rd(f)
s = sub(s, '#include <linux/poll.h>\n', '', f)
m = re.search(r'(?s)/\*\n \* Whether a harvester has work:.*?\n}\n\n', s)
s = s[:m.start()] + s[m.end():]
s = sub(s, '''	atomic_inc(&kvm->dirty_ring_waiters);
	wake_up_interruptible_poll(&kvm->dirty_ring_pollq, EPOLLIN | EPOLLRDNORM);
''', '''	atomic_inc(&kvm->dirty_ring_waiters);
''', f)
s = sub(s, ''' * request bits, the loss flag, counters.  Everything that may take a lock
 * of its own (waking a harvester in poll(), waking a vCPU in wait mode,
 * kicking vCPU 0) is deferred to kvm->dirty_ring_irq_work, which runs in
 * hard IRQ context outside of whatever the pusher holds; nothing is
 * printed.''', ''' * request bits, the loss flag, counters.  Everything that may take a lock
 * of its own (waking a vCPU in wait mode, kicking vCPU 0) is deferred to
 * kvm->dirty_ring_irq_work, which runs in hard IRQ context outside of
 * whatever the pusher holds; nothing is printed.''', f)
m = re.search(r'(?s)/\*\n \* kvm->dirty_ring_irq_work:.*?\n \*/\n', s)
s = s[:m.start()] + '''/*
 * kvm->dirty_ring_irq_work: the per-VM ring reached its soft limit or lost
 * a page, or the VM died.  Wakes the vCPUs waiting for room for a loss or a
 * dead VM (vCPU 0 must exit to report a loss; nothing will make room in a
 * dead VM).  Asks vCPU 0 to leave KVM_RUN on behalf of the per-VM ring.
 * If vCPU 0 does not exist yet, kvm_dirty_ring_vcpu_created() asks it.
 *
 * Context: hard IRQ (irq_work; a kthread on PREEMPT_RT, as it takes wait
 * queue locks).  vCPUs are not freed while it may run: kvm_destroy_vm()
 * stops and flushes it first.
 */
''' + s[m.end():]
s = sub(s, '''	struct kvm_vcpu *vcpu;
	unsigned long i;

	/* The full barrier in wq_has_sleeper() pairs with kvm_vm_poll()'s. */
	if (wq_has_sleeper(&kvm->dirty_ring_pollq))
		wake_up_interruptible_poll(&kvm->dirty_ring_pollq,
					   EPOLLIN | EPOLLRDNORM |
					   (READ_ONCE(kvm->vm_dirty_ring_lost) ? EPOLLPRI : 0));
	if (READ_ONCE(kvm->vm_dirty_ring_lost) || READ_ONCE(kvm->vm_dead))
		kvm_dirty_ring_wake_up(kvm);

	/*
	 * Only the vCPUs whose ring crossed: the bit is set before the work
	 * is queued, and irq_work_queue() orders the two.
	 */
	for_each_set_bit(i, kvm->dirty_ring_crossed, KVM_MAX_VCPUS) {
		clear_bit(i, kvm->dirty_ring_crossed);
		vcpu = kvm_get_vcpu(kvm, i);
		if (vcpu && kvm_dirty_ring_soft_full(&vcpu->dirty_ring))
			kvm_dirty_ring_kick_vcpu(vcpu);
	}
''', '''	struct kvm_vcpu *vcpu;

	if (READ_ONCE(kvm->vm_dirty_ring_lost) || READ_ONCE(kvm->vm_dead))
		kvm_dirty_ring_wake_up(kvm);
''', f)
s = sub(s, '''	init_waitqueue_head(&kvm->dirty_ring_pollq);
''', '', f)
s = sub(s, ''' * ring's lock, the wait queues and the deferred notification.''',
        ''' * ring's lock, the wait queue and the deferred notification.''', f)
s = sub(s, ''' * written until userspace has harvested.  Crossing the soft limit queues
 * the deferred notification.  A page the per-VM ring had no room for is
 * accounted by the caller, once it knows no bitmap took it either.''',
 ''' * written until userspace has harvested.  The per-VM ring crossing its
 * soft limit queues the deferred notification.  A page the per-VM ring had
 * no room for is accounted by the caller, once it knows no bitmap took it
 * either.''', f)
s = sub(s, '''	if (kvm_dirty_ring_soft_full(ring)) {
		kvm_make_request(KVM_REQ_DIRTY_RING_SOFT_FULL, vcpu);
		if (kvm_dirty_ring_just_full(ring)) {
			set_bit(vcpu->vcpu_idx, kvm->dirty_ring_crossed);
			kvm_dirty_ring_notify(kvm);
		}
	}''', '''	if (kvm_dirty_ring_soft_full(ring))
		kvm_make_request(KVM_REQ_DIRTY_RING_SOFT_FULL, vcpu);''', f)
s = sub(s, ''' * (KVM_DIRTY_RING_FULL_VM_LOST, EPOLLPRI).''', ''' * (KVM_DIRTY_RING_FULL_VM_LOST).''', f)
m = re.search(r'(?s)\n/\*\*\n \* kvm_vm_poll\(\).*?\n}\n', s)
s = s[:m.start()] + s[m.end():]
open(f, 'w').write(s)

# api.rst: T15 without the halt, EPOLLPRI and Harvester text.
f = 'Documentation/virt/kvm/api.rst'
s = rd(f)
s = sub(s, '''section 8.42 for the per-VM ring).  A vCPU blocked in KVM_RUN waiting
for an interrupt (x86 HLT, arm64 WFI, loongarch IDLE) when its ring
reaches the limit leaves KVM_RUN the same way.  On x86 it stays halted:
the next KVM_RUN halts again.  On arm64 and loongarch the instruction
completes, as on any spurious wakeup; an arm64 vCPU suspended with PSCI
SYSTEM_SUSPEND reports the ring only once it resumes.  If the reserve is
exhausted anyway, the page goes to the memslot's bitmap when it has one;
otherwise it is not reported, and the vCPU statistic
``dirty_ring_overflows`` counts it.''', '''section 8.42 for the per-VM ring).  If the reserve is exhausted anyway, the
page goes to the memslot's bitmap when it has one; otherwise it is not
reported, and the vCPU statistic ``dirty_ring_overflows`` counts it.''', f)
s = sub(s, '''brought the per-VM ring below half.  vCPU 0 does so even if it is blocked
waiting for an interrupt (section 8.29 says what becomes of the halt).
Other vCPUs keep running.  If vCPU 0 does not exist yet, its first
KVM_RUN exits so.  KVM does not depend on vCPU 0 to tell the VMM: poll()
on the VM fd reports the soft limit too (section 8.43, Harvester),
whether or not a vCPU runs.''', '''brought the per-VM ring below half.  vCPU 0 does so even if it is blocked
waiting for an interrupt (an x86 vCPU stays halted: the next KVM_RUN halts
again).  Other vCPUs keep running.  If vCPU 0 does not exist yet, its first
KVM_RUN exits so.''', f)
s = sub(s, '''reset in between).  A loss is visible on the VM fd as well, for a VMM
whose vCPUs do not run (stop-and-copy): poll() reports EPOLLPRI from the
loss until vCPU 0 reported it, and ``dirty_ring_vm_lost`` is read from
the VM's statistics fd (KVM_GET_STATS_FD on the VM fd); it only grows, so
comparing it with the value read before tells whether pages were lost
since.  On a loss a VMM must consider
every page of every dirty-logged memslot dirty''', '''reset in between).  On KVM_DIRTY_RING_FULL_VM_LOST a VMM must consider
every page of every dirty-logged memslot dirty''', f)
a = s.index('\nHarvester.  In either mode')
b = s.index('\n9. Known KVM API problems')
s = s[:a] + s[b:]
s = sub(s, '''the VM fails with EIO and nothing could reset the rings): KVM_RUN then
fails with EIO (on x86; elsewhere it returns and the next call fails).  The vCPU statistic
``dirty_ring_waits`` counts the waits.''', '''the VM fails with EIO and nothing could reset the rings): KVM_RUN then
fails with EIO (on x86; elsewhere it returns and the next call fails).
The vCPU statistic ``dirty_ring_waits`` counts the waits.''', f)
open(f, 'w').write(s)
