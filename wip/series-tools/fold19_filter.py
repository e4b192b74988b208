#!/usr/bin/env python3
"""Tree filter: fold old 19-21 (deferred notification, halted vCPU, absent
vCPU 0) into 4 (no printk on the push path), 10 (per-VM ring: deferred
vCPU 0 kick) and 14 (the rest).  Args: <index> <subject>."""
import re, subprocess, sys
i = int(sys.argv[1])
L = open('/tmp/L.txt').read().split()
T21 = L[20]
PATHS = ['Documentation/virt/kvm/api.rst', 'include/linux/kvm_dirty_ring.h',
         'include/linux/kvm_host.h', 'virt/kvm/Kconfig', 'virt/kvm/dirty_ring.c',
         'virt/kvm/kvm_main.c', 'arch/x86/kvm/x86.c']

def rd(f):
    return open(f).read()

def sub(s, old, new, f):
    n = s.count(old)
    if n != 1:
        sys.exit(f'commit {i}: {f}: found {n} times: {old[:70]!r}')
    return s.replace(old, new)

if 14 <= i <= 21:
    subprocess.check_call(['git', 'checkout', T21, '--'] + PATHS)
    sys.exit(0)
if i < 4 or i > 13:
    sys.exit(0)

# 4..13: the push path prints nothing.
f = 'virt/kvm/dirty_ring.c'
s = rd(f)
if i < 10:
    s = sub(s, '''	if (!pushed)
		pr_warn_ratelimited("kvm: dirty ring %d overflowed: slot %u offset 0x%llx\\n",
				    ring->index, slot, offset);
	return pushed;''', '	return pushed;', f)
else:
    s = sub(s, '''	if (pushed)
		return 0;
	if (ring == &kvm->vm_dirty_ring)
		return -ENOBUFS;

	pr_warn_ratelimited("kvm: dirty ring %d overflowed: slot %u offset 0x%llx\\n",
			    ring->index, slot, offset);
	return -ENOSPC;''', '''	if (pushed)
		return 0;
	return ring == &kvm->vm_dirty_ring ? -ENOBUFS : -ENOSPC;''', f)
open(f, 'w').write(s)

if i >= 9:
    f = 'Documentation/virt/kvm/api.rst'
    s = rd(f)
    s = sub(s, '''reported, the vCPU statistic ``dirty_ring_overflows`` counts it, and KVM logs
a warning.''', '''reported, and the vCPU statistic ``dirty_ring_overflows`` counts it.''', f)
    open(f, 'w').write(s)
if i < 10:
    sys.exit(0)

# 10..13: the per-VM ring defers vCPU 0's kick to an irq_work.
f = 'Documentation/virt/kvm/api.rst'
s = rd(f)
s = sub(s, '''them and KVM logs a rate-limited message.  A memslot created with
KVM_MEM_LOG_DIRTY_PAGES before KVM_CAP_DIRTY_LOG_RING was enabled is no
exception: without KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP, KVM_GET_DIRTY_LOG
cannot read its bitmap, so KVM puts no page there, and frees that bitmap
when the memslot's flags change or it is moved.''', '''them (KVM prints nothing: these writes can come from any context).  A
memslot created with KVM_MEM_LOG_DIRTY_PAGES before KVM_CAP_DIRTY_LOG_RING
was enabled is no exception: without KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP,
KVM_GET_DIRTY_LOG cannot read its bitmap, so KVM puts no page there, and
frees that bitmap when the memslot's flags change or it is moved.''', f)
s = sub(s, '''brought the per-VM ring below half.  Other vCPUs keep running.  If no vCPU
exists yet, nothing is kicked.''', '''brought the per-VM ring below half.  vCPU 0 does so even if it is blocked
waiting for an interrupt (an x86 vCPU stays halted: the next KVM_RUN halts
again).  Other vCPUs keep running.  If vCPU 0 does not exist yet, its first
KVM_RUN exits so.''', f)
open(f, 'w').write(s)

f = 'virt/kvm/Kconfig'
s = rd(f)
s = sub(s, 'config HAVE_KVM_DIRTY_RING\n       bool\n',
        'config HAVE_KVM_DIRTY_RING\n       bool\n       select IRQ_WORK\n', f)
open(f, 'w').write(s)

f = 'include/linux/kvm_host.h'
s = rd(f)
s = sub(s, '#include <linux/rcuwait.h>\n', '#include <linux/rcuwait.h>\n#include <linux/irq_work.h>\n', f)
s = sub(s, '''	/* Pages were lost to a full per-VM ring and not yet reported. */
	u32 vm_dirty_ring_lost;
''', '''	/* Pages were lost to a full per-VM ring and not yet reported. */
	u32 vm_dirty_ring_lost;
	/*
	 * vCPU 0's kick, deferred from the push path, see
	 * virt/kvm/dirty_ring.c; dirty_ring_notify_off (under
	 * vm_dirty_ring_lock) stops it while the VM is destroyed.
	 */
	struct irq_work dirty_ring_irq_work;
	bool dirty_ring_notify_off;
''', f)
open(f, 'w').write(s)

f = 'include/linux/kvm_dirty_ring.h'
s = rd(f)
s = sub(s, '''static inline int mark_page_dirty_in_ring(struct kvm *kvm,''',
        '''static inline void kvm_dirty_ring_vm_init(struct kvm *kvm)
{
}

static inline void kvm_dirty_ring_stop_notify(struct kvm *kvm)
{
}

static inline void kvm_dirty_ring_vcpu_created(struct kvm_vcpu *vcpu)
{
}

static inline int mark_page_dirty_in_ring(struct kvm *kvm,''', f)
s = sub(s, '''bool kvm_dirty_ring_check_request(struct kvm_vcpu *vcpu);
struct page *kvm_dirty_ring_get_page''', '''bool kvm_dirty_ring_check_request(struct kvm_vcpu *vcpu);
bool kvm_vm_dirty_ring_enabled(struct kvm *kvm);
void kvm_dirty_ring_vm_init(struct kvm *kvm);
void kvm_dirty_ring_queue_notify(struct kvm *kvm);
void kvm_dirty_ring_notify(struct kvm *kvm);
void kvm_dirty_ring_vcpu_created(struct kvm_vcpu *vcpu);
void kvm_dirty_ring_stop_notify(struct kvm *kvm);
struct page *kvm_dirty_ring_get_page''', f)
open(f, 'w').write(s)

f = 'virt/kvm/kvm_main.c'
s = rd(f)
s = sub(s, '\traw_spin_lock_init(&kvm->vm_dirty_ring_lock);\n', '\tkvm_dirty_ring_vm_init(kvm);\n', f)
s = sub(s, '''	struct mm_struct *mm = kvm->mm;

	kvm_destroy_pm_notifier(kvm);''', '''	struct mm_struct *mm = kvm->mm;

	kvm_dirty_ring_stop_notify(kvm);
	kvm_destroy_pm_notifier(kvm);''', f)
s = sub(s, '\tatomic_inc(&kvm->online_vcpus);\n', '\tatomic_inc(&kvm->online_vcpus);\n\tkvm_dirty_ring_vcpu_created(vcpu);\n', f)
open(f, 'w').write(s)

f = 'arch/x86/kvm/x86.c'
s = rd(f)
s = sub(s, '''		 * vCPU's activity state.
		 */
		if (!kvm_arch_vcpu_runnable(vcpu))
			return 1;''', '''		 * vCPU's activity state.  A dirty ring that needs userspace
		 * is one: a halted vCPU 0 must still report the per-VM ring.
		 */
		if (!kvm_arch_vcpu_runnable(vcpu))
			return kvm_dirty_ring_check_request(vcpu) ? 0 : 1;''', f)
open(f, 'w').write(s)

f = 'virt/kvm/dirty_ring.c'
s = rd(f)
s = sub(s, '#include <kunit/visibility.h>\n', '#include <kunit/visibility.h>\n#include <linux/irq_work.h>\n', f)
t21 = subprocess.check_output(['git', 'show', T21 + ':' + f]).decode()
a = t21.index('/* ---- The push path and its deferred notification')
b = t21.index('/*\n * A ring size must be a power of two')
blk = t21[a:b]
def bsub(old, new):
    global blk
    blk = sub(blk, old, new, 'block')
# Drop what belongs to wait mode and poll (patch 14).
m = re.search(r'(?s)/\*\*\n \* kvm_dirty_ring_vm_dead\(\).*?EXPORT_SYMBOL_GPL\(kvm_dirty_ring_vm_dead\);\n\n', blk)
blk = blk[:m.start()] + blk[m.end():]
m = re.search(r'(?s)/\*\n \* kvm->dirty_ring_irq_work:.*?\n}\n', blk)
blk = blk[:m.start()] + '''/*
 * kvm->dirty_ring_irq_work: the per-VM ring reached its soft limit or lost
 * a page.  Asks vCPU 0 to leave KVM_RUN on behalf of the per-VM ring.  If
 * vCPU 0 does not exist yet, kvm_dirty_ring_vcpu_created() asks it.
 *
 * Context: hard IRQ (irq_work).  vCPUs are not freed while it may run:
 * kvm_destroy_vm() stops and flushes it first.
 */
static void kvm_dirty_ring_irq_work_fn(struct irq_work *work)
{
	struct kvm *kvm = container_of(work, struct kvm, dirty_ring_irq_work);
	struct kvm_vcpu *vcpu;

	if (!kvm_vm_dirty_ring_needs_vcpu0(kvm))
		return;
	vcpu = kvm_get_vcpu(kvm, 0);
	if (vcpu)
		kvm_dirty_ring_kick_vcpu(vcpu);
}
''' + blk[m.end():]
bsub('''	init_waitqueue_head(&kvm->dirty_ring_waitq);
	init_waitqueue_head(&kvm->dirty_ring_pollq);
''', '')
bsub(''' * The state that exists whether or not a ring is ever enabled: the per-VM
 * ring's lock, the wait queues and the deferred notification.''',
     ''' * The state that exists whether or not a ring is ever enabled: the per-VM
 * ring's lock and the deferred notification.''')
bsub(''' * @kvm: the VM whose ring crossed its soft limit or lost a page, or that died''',
     ''' * @kvm: the VM whose ring crossed its soft limit or lost a page''')
bsub('''	if (kvm_dirty_ring_soft_full(ring)) {
		kvm_make_request(KVM_REQ_DIRTY_RING_SOFT_FULL, vcpu);
		if (kvm_dirty_ring_just_full(ring)) {
			set_bit(vcpu->vcpu_idx, kvm->dirty_ring_crossed);
			kvm_dirty_ring_notify(kvm);
		}
	}''', '''	if (kvm_dirty_ring_soft_full(ring))
		kvm_make_request(KVM_REQ_DIRTY_RING_SOFT_FULL, vcpu);''')
bsub(''' * leave KVM_RUN with KVM_EXIT_DIRTY_RING_FULL (or wait) before it enters
 * the guest again; the entries above the soft limit absorb what is still
 * written until userspace has harvested.  Crossing the soft limit queues
 * the deferred notification.  A page the per-VM ring had no room for is
 * accounted by the caller, once it knows no bitmap took it either.''', ''' * leave KVM_RUN with KVM_EXIT_DIRTY_RING_FULL before it enters the guest
 * again; the entries above the soft limit absorb what is still written
 * until userspace has harvested.  The per-VM ring crossing its soft limit
 * queues the deferred notification.  A page the per-VM ring had no room
 * for is accounted by the caller, once it knows no bitmap took it either.''')
bsub(''' * (KVM_DIRTY_RING_FULL_VM_LOST, EPOLLPRI).''', ''' * (KVM_DIRTY_RING_FULL_VM_LOST).''')
# The push path's contexts, as of this patch.
m = re.search(r'(?s) \* So the push path only writes.*?innermost lock of every path that takes it\.\n', blk)
blk = blk[:m.start()] + ''' * So the push path only writes the ring and sets state: ring indexes,
 * request bits, the loss flag, counters.  Kicking vCPU 0 for the per-VM
 * ring, which looks the vCPU up and may wake it, is deferred to
 * kvm->dirty_ring_irq_work, which runs in hard IRQ context outside of
 * whatever the pusher holds; nothing is printed.  The only lock taken is
 * vm_dirty_ring_lock, a raw spinlock that is the innermost lock of every
 * path that takes it.
''' + blk[m.end():]
a = s.index('struct page *kvm_dirty_ring_get_page(')
b = s.index('/*\n * A ring size must be a power of two')
s = s[:a] + blk + s[b:]
open(f, 'w').write(s)
