#!/usr/bin/env python3
"""Run in mv-wt on T10 (the per-VM ring patch): remove the reporting
through vCPU 0 (flags, irq_work, kick, vcpu_created, LOST, api.rst), giving
T10a.  T10 itself then is T10a + 'report through vCPU 0'."""
import re, subprocess, sys
C10 = open('/tmp/c10').read().strip()
def rd(f): return open(f).read()
def sub(s, old, new, f):
    n = s.count(old)
    if n != 1:
        sys.exit(f'{f}: found {n} times: {old[:70]!r}')
    return s.replace(old, new)
def cut(s, start_pat, end_pat, f, repl=''):
    """Remove from the first match of start_pat up to (not incl.) end_pat."""
    a = s.find(start_pat)
    if a < 0: sys.exit(f'{f}: start not found {start_pat[:60]!r}')
    b = s.find(end_pat, a)
    if b < 0: sys.exit(f'{f}: end not found {end_pat[:60]!r}')
    return s[:a] + repl + s[b:]

# api.rst, x86.c, trace, Kconfig: as in T9.
subprocess.check_call(['git', 'checkout', C10 + '^', '--', 'Documentation/virt/kvm/api.rst',
                       'arch/x86/kvm/x86.c', 'include/trace/events/kvm.h', 'virt/kvm/Kconfig'])

f = 'include/uapi/linux/kvm.h'
s = rd(f)
s = sub(s, '''		/* KVM_EXIT_DIRTY_RING_FULL */
		struct {
#define KVM_DIRTY_RING_FULL_VCPU	(1U << 0)
#define KVM_DIRTY_RING_FULL_VM		(1U << 1)
#define KVM_DIRTY_RING_FULL_VM_LOST	(1U << 2)
			__u32 flags;
		} dirty_ring_full;
''', '', f)
open(f, 'w').write(s)

f = 'include/linux/kvm_host.h'
s = rd(f)
s = sub(s, '#include <linux/irq_work.h>\n', '', f)
s = sub(s, '''	/* Pages were lost to a full per-VM ring and not yet reported. */
	u32 vm_dirty_ring_lost;
	/*
	 * vCPU 0's kick, deferred from the push path, see
	 * virt/kvm/dirty_ring.c; dirty_ring_notify_off (under
	 * vm_dirty_ring_lock) stops it while the VM is destroyed.
	 */
	struct irq_work dirty_ring_irq_work;
	bool dirty_ring_notify_off;
''', '', f)
open(f, 'w').write(s)

f = 'include/linux/kvm_dirty_ring.h'
s = rd(f)
s = sub(s, '''static inline void kvm_dirty_ring_stop_notify(struct kvm *kvm)
{
}

static inline void kvm_dirty_ring_vcpu_created(struct kvm_vcpu *vcpu)
{
}

''', '', f)
s = sub(s, '''void kvm_dirty_ring_queue_notify(struct kvm *kvm);
void kvm_dirty_ring_notify(struct kvm *kvm);
void kvm_dirty_ring_vcpu_created(struct kvm_vcpu *vcpu);
void kvm_dirty_ring_stop_notify(struct kvm *kvm);
''', '', f)
open(f, 'w').write(s)

f = 'virt/kvm/kvm_main.c'
s = rd(f)
s = sub(s, '\tkvm_dirty_ring_stop_notify(kvm);\n', '', f)
s = sub(s, '\tkvm_dirty_ring_vcpu_created(vcpu);\n', '', f)
s = sub(s, '''	case KVM_CAP_DIRTY_LOG_RING_VM:
		return kvm_vm_ioctl_check_extension_generic(kvm, KVM_CAP_DIRTY_LOG_RING) ?:
		       kvm_vm_ioctl_check_extension_generic(kvm, KVM_CAP_DIRTY_LOG_RING_ACQ_REL);
''', '', f)
open(f, 'w').write(s)

f = 'virt/kvm/dirty_ring.c'
s = rd(f)
s = sub(s, '#include <linux/irq_work.h>\n', '', f)
t9 = subprocess.check_output(['git', 'show', C10 + '^:' + f]).decode()
a = t9.index('bool kvm_dirty_ring_check_request(')
b = t9.index('\n}\n', a) + 3
old_req = t9[a:b]
a = s.index('/*\n * Which rings keep @vcpu out of the guest')
b = s.index('\n}\n', s.index('bool kvm_dirty_ring_check_request(')) + 3
s = s[:a] + old_req + s[b:]
# The deferred notification goes; the push path comment says what is left.
m = re.search(r'(?s) \* So the push path only writes.*?path that takes it\.\n', s)
s = s[:m.start()] + ''' * So the push path only writes the ring and sets state: ring indexes,
 * request bits, counters; nothing is printed.  The only lock taken is
 * vm_dirty_ring_lock, a raw spinlock that is the innermost lock of every
 * path that takes it.
''' + s[m.end():]
s = s.replace('/* ---- The push path and its deferred notification --------------------- */',
              '/* ---- The push path ---------------------------------------------------- */')
s = cut(s, '/**\n * kvm_dirty_ring_queue_notify()', '/**\n * kvm_dirty_ring_vm_init()', f)
s = sub(s, '''	raw_spin_lock_init(&kvm->vm_dirty_ring_lock);
	init_irq_work(&kvm->dirty_ring_irq_work, kvm_dirty_ring_irq_work_fn);
''', '''	raw_spin_lock_init(&kvm->vm_dirty_ring_lock);
''', f)
s = sub(s, ''' * The state that exists whether or not a ring is ever enabled: the per-VM
 * ring's lock and the deferred notification.''', ''' * The state that exists whether or not a ring is ever enabled: the per-VM
 * ring's lock.''', f)
s = cut(s, '/**\n * kvm_dirty_ring_vcpu_created()', 'struct page *kvm_dirty_ring_get_page(', f)
s = cut(s, 'static bool kvm_dirty_ring_just_full(', '/*\n * Done pushing to @ring', f)
s = sub(s, ''' * until userspace has harvested.  The per-VM ring crossing its soft limit
 * queues the deferred notification.  A page the per-VM ring had no room
 * for is accounted by the caller, once it knows no bitmap took it either.''',
 ''' * until userspace has harvested.  A page the per-VM ring had no room for
 * is accounted by the caller, once it knows no bitmap took it either.''', f)
s = sub(s, '''		if (pushed)
			++kvm->stat.generic.dirty_ring_vm_pushes;
		if (pushed && kvm_dirty_ring_just_full(ring))
			kvm_dirty_ring_queue_notify(kvm);
''', '''		if (pushed)
			++kvm->stat.generic.dirty_ring_vm_pushes;
''', f)
m = re.search(r'(?s)/\*\*\n \* kvm_dirty_ring_count_lost\(\).*?\n}\n', s)
s = s[:m.start()] + '''/**
 * kvm_dirty_ring_count_lost() - Account a page that no ring and no bitmap took
 * @kvm: the VM
 * @vm_ring_full: whether the per-VM ring was full (else there is none)
 *
 * A page written with no running vCPU in this task went to no ring and to
 * no bitmap userspace can read: the per-VM ring was full (@vm_ring_full),
 * or there is none.  Userspace can provoke this, so it is no WARN, and it
 * may happen in any context of the push path, so nothing is printed: the
 * loss is counted in the VM's dirty_ring_vm_lost stat.
 *
 * Context: any context that calls mark_page_dirty_in_slot().
 */
void kvm_dirty_ring_count_lost(struct kvm *kvm, bool vm_ring_full)
{
	/*
	 * No lock: without a per-VM ring, every event channel delivery to a
	 * logged page may end here.
	 */
	atomic64_inc(&kvm->stat.generic.dirty_ring_vm_lost_count);
}
''' + s[m.end():]
open(f, 'w').write(s)
