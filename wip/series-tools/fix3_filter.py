#!/usr/bin/env python3
"""Review fixes, second round: the mark_page_dirty_in_slot() kernel-doc and
the "what counts is the task" text go to 10; dirty_ring_waiters to 16; the
kick of a vCPU whose own ring crossed its soft limit (and the halt text) to
11."""
import re, sys, textwrap
i = int(sys.argv[1])
def rd(f): return open(f).read()
def wr(f, s): open(f, 'w').write(s)
def sub(s, old, new, what):
    n = s.count(old)
    if n != 1:
        sys.exit(f'commit {i}: {what}: {n} x {old[:60]!r}')
    return s.replace(old, new)
def wsre(text):
    return r'\s+'.join(re.escape(w) for w in text.split())
def reflow_at(s, anchor):
    k = s.find(anchor)
    if k < 0:
        sys.exit(f'commit {i}: anchor {anchor[:40]!r}')
    a = s.rfind('\n\n', 0, k) + 2
    b = s.find('\n\n', k)
    chunk = re.sub(r'\s*\n\s*', ' ', s[a:b].strip())
    chunk = chunk.replace('.  ', '.\x01 ').replace(':  ', ':\x01 ')
    out = textwrap.fill(chunk, width=75, break_long_words=False, break_on_hyphens=False)
    out = out.replace('\x01 ', '  ').replace('\x01\n', '\n').replace('\x01', '')
    return s[:a] + out + s[b:]

if 10 <= i <= 14 and i >= 11:
    f = 'Documentation/virt/kvm/api.rst'
    s = rd(f)
    s = sub(s, '''them (KVM prints nothing: these writes can come from any context).  A
memslot created with''', '''them (KVM prints nothing: these writes can come from any context).  What
counts is the task, not the device: an irqfd signalled while a vCPU
ioctl runs in the signalling task (for instance by an ioeventfd the guest
triggered during KVM_RUN) writes into that vCPU's ring.  A
memslot created with''', 'task text')
    wr(f, s)
if 10 <= i <= 14:
    f = 'virt/kvm/kvm_main.c'
    s = rd(f)
    s = sub(s, '''void mark_page_dirty_in_slot(struct kvm *kvm,
			     const struct kvm_memory_slot *memslot,
			     gfn_t gfn)
{''', '''/**
 * mark_page_dirty_in_slot() - Log a guest page as dirty.
 * @kvm: the VM
 * @memslot: the memslot holding @gfn, or NULL
 * @gfn: the page
 *
 * The page goes to a dirty ring, or to the memslot's dirty bitmap, if the
 * memslot logs dirty pages; see kvm_get_dirty_ring() for the ring.  With a
 * ring, the bitmap takes only what no ring could, and only if userspace can
 * read it (KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP); a page that neither took is
 * counted as lost.
 *
 * Context: any task, hard IRQ, or the sched-out preempt notifier (runqueue
 * lock held, IRQs off); may hold spinlocks, never sleeps, wakes nobody.
 */
void mark_page_dirty_in_slot(struct kvm *kvm,
			     const struct kvm_memory_slot *memslot,
			     gfn_t gfn)
{''', 'kdoc')
    s = sub(s, '''	/*
	 * Userspace can provoke a loss, so it is no WARN, and this may run
	 * with the runqueue lock held, so nothing is printed: the loss is
	 * accounted in the VM's dirty_ring_vm_lost stat, unless the VM is
	 * going away and nobody can harvest anyway.
	 */
	if (r == -ENOSPC || !refcount_read(&kvm->users_count))
		return;
	kvm_dirty_ring_count_lost(kvm, r == -ENOBUFS);
}''', '''	/* Not while the VM is going away and nobody can harvest anyway. */
	if (r != -ENOSPC && refcount_read(&kvm->users_count))
		kvm_dirty_ring_count_lost(kvm, r == -ENOBUFS);
}''', 'loss cond')
    wr(f, s)

if i >= 15:
    f = 'Documentation/virt/kvm/api.rst'
    s = rd(f)
    if s.count('with EIO. The vCPU statistic') == 1:
        wr(f, s.replace('with EIO. The vCPU statistic', 'with EIO.  The vCPU statistic'))

if i == 15:
    f = 'include/linux/kvm_host.h'
    s = sub(rd(f), '\tatomic_t dirty_ring_waiters;\n', '', 'waiters field')
    wr(f, s)
    f = 'virt/kvm/dirty_ring.c'
    s = rd(f)
    s = sub(s, '\tatomic_inc(&kvm->dirty_ring_waiters);\n', '', 'inc')
    s = sub(s, '\tatomic_dec(&kvm->dirty_ring_waiters);\n', '', 'dec')
    wr(f, s)

if i >= 11:
    f = 'arch/x86/kvm/x86.c'
    s = rd(f)
    s = sub(s, '''		 * vCPU's activity state.  A dirty ring that needs userspace
		 * is one: a halted vCPU 0 must still report the per-VM ring.''',
            '''		 * vCPU's activity state.  A dirty ring that needs userspace
		 * is one: a halted vCPU must still report its full ring (and
		 * vCPU 0 the per-VM ring).''', 'vcpu_block comment')
    wr(f, s)

if 11 <= i <= 15:
    f = 'include/linux/kvm_host.h'
    s = sub(rd(f), '\tbool dirty_ring_notify_off;\n', '''	bool dirty_ring_notify_off;
	/* vCPUs (vcpu_idx) whose ring crossed its soft limit, for the above. */
	DECLARE_BITMAP(dirty_ring_crossed, KVM_MAX_VCPUS);
''', 'crossed field')
    wr(f, s)
    f = 'virt/kvm/dirty_ring.c'
    s = rd(f)
    s = sub(s, '''	if (kvm_dirty_ring_soft_full(ring))
		kvm_make_request(KVM_REQ_DIRTY_RING_SOFT_FULL, vcpu);
	__release(&kvm->vm_dirty_ring_lock);''', '''	if (kvm_dirty_ring_soft_full(ring)) {
		kvm_make_request(KVM_REQ_DIRTY_RING_SOFT_FULL, vcpu);
		if (kvm_dirty_ring_just_full(ring)) {
			set_bit(vcpu->vcpu_idx, kvm->dirty_ring_crossed);
			kvm_dirty_ring_notify(kvm);
		}
	}
	__release(&kvm->vm_dirty_ring_lock);''', 'put crossed')
    s = sub(s, '''	struct kvm *kvm = container_of(work, struct kvm, dirty_ring_irq_work);
	struct kvm_vcpu *vcpu;
''', '''	struct kvm *kvm = container_of(work, struct kvm, dirty_ring_irq_work);
	struct kvm_vcpu *vcpu;
	unsigned long i;
''', 'irq_work i')
    s = sub(s, '''
	if (!kvm_vm_dirty_ring_needs_vcpu0(kvm))
		return;
	vcpu = kvm_get_vcpu(kvm, 0);''', '''
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

	if (!kvm_vm_dirty_ring_needs_vcpu0(kvm))
		return;
	vcpu = kvm_get_vcpu(kvm, 0);''', 'irq_work loop')
    m = re.search(r'(?s)/\*\n \* kvm->dirty_ring_irq_work:.*? \*/\nstatic void kvm_dirty_ring_irq_work_fn', s)
    if i < 15:
        doc = '''/*
 * kvm->dirty_ring_irq_work: a ring reached its soft limit, or the per-VM
 * ring lost a page.  Kicks the vCPUs whose own ring crossed its soft limit
 * (recorded in kvm->dirty_ring_crossed, so that the work is not
 * O(vCPUs)): their task made the request itself, but may have done so
 * from sched-out on its way to block, with nothing left to wake it.  Asks
 * vCPU 0 to leave KVM_RUN on behalf of the per-VM ring.  If vCPU 0 does
 * not exist yet, kvm_dirty_ring_vcpu_created() asks it.
 *
 * Context: hard IRQ (irq_work).  vCPUs are not freed while it may run:
 * kvm_destroy_vm() stops and flushes it first.
 */
static void kvm_dirty_ring_irq_work_fn'''
    else:
        doc = '''/*
 * kvm->dirty_ring_irq_work: a ring reached its soft limit, the per-VM ring
 * lost a page, or the VM died.  Wakes the vCPUs waiting for room for a loss
 * or a dead VM (vCPU 0 must exit to report a loss; nothing will make room
 * in a dead VM).  Kicks the vCPUs whose own ring crossed its soft limit
 * (recorded in kvm->dirty_ring_crossed, so that the work is not
 * O(vCPUs)): their task made the request itself, but may have done so
 * from sched-out on its way to block, with nothing left to wake it.  Asks
 * vCPU 0 to leave KVM_RUN on behalf of the per-VM ring.  If vCPU 0 does
 * not exist yet, kvm_dirty_ring_vcpu_created() asks it.
 *
 * Context: hard IRQ (irq_work; a kthread on PREEMPT_RT, as it takes wait
 * queue locks).  vCPUs are not freed while it may run: kvm_destroy_vm()
 * stops and flushes it first.
 */
static void kvm_dirty_ring_irq_work_fn'''
    s = s[:m.start()] + doc + s[m.end():]
    # The put() comment: the vCPU ring's crossing is announced too.
    m = re.search(r'(?s) \* Done pushing to @ring.*?\n \*\n \* Context: as kvm_get_dirty_ring\(\)', s)
    if not m:
        sys.exit(f'commit {i}: put doc')
    wait = ' (or wait)' if i == 15 else ''
    body = (f'Done pushing to @ring (@pushed: whether the page found room).  A vCPU ring at its '
            f'soft limit asks its vCPU, which is running in this task, to leave KVM_RUN with '
            f'KVM_EXIT_DIRTY_RING_FULL{wait} before it enters the guest again; the entries above '
            f'the soft limit absorb what is still written until userspace has harvested.  '
            f'Crossing the soft limit queues the deferred notification.  A page the per-VM ring '
            f'had no room for is accounted by the caller, once it knows no bitmap took it either.')
    body = body.replace('.  ', '.\x01 ')
    out = textwrap.fill(body, width=72, break_long_words=False, break_on_hyphens=False)
    out = out.replace('\x01 ', '  ').replace('\x01\n', '\n').replace('\x01', '')
    out = '\n'.join(' * ' + l for l in out.split('\n'))
    s = s[:m.start()] + out + '\n *\n * Context: as kvm_get_dirty_ring()' + s[m.end():]
    wr(f, s)
    f = 'Documentation/virt/kvm/api.rst'
    s = rd(f)
    s = sub(s, '''section 8.42 for the per-VM ring).  If the reserve is exhausted anyway, the
page goes to the memslot's bitmap when it has one; otherwise it is not
reported, and the vCPU statistic ``dirty_ring_overflows`` counts it.''', '''section 8.42 for the per-VM ring).  A vCPU blocked in KVM_RUN waiting
for an interrupt (x86 HLT, arm64 WFI, loongarch IDLE) when its ring
reaches the limit leaves KVM_RUN the same way.  On x86 it stays halted:
the next KVM_RUN halts again.  On arm64 and loongarch the instruction
completes, as on any spurious wakeup; an arm64 vCPU suspended with PSCI
SYSTEM_SUSPEND reports the ring only once it resumes.  If the reserve is
exhausted anyway, the page goes to the memslot's bitmap when it has one;
otherwise it is not reported, and the vCPU statistic
``dirty_ring_overflows`` counts it.''', 'halt text')
    s = sub(s, '''brought the per-VM ring below half.  vCPU 0 does so even if it is blocked
waiting for an interrupt (an x86 vCPU stays halted: the next KVM_RUN halts
again).  Other vCPUs keep running.  If vCPU 0 does not exist yet, its first
KVM_RUN exits so.''', '''brought the per-VM ring below half.  vCPU 0 does so even if it is blocked
waiting for an interrupt (section 8.29 says what becomes of the halt).
Other vCPUs keep running.  If vCPU 0 does not exist yet, its first
KVM_RUN exits so.''', '8.42 halt')
    wr(f, s)
