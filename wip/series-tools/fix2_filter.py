#!/usr/bin/env python3
"""Review fixes of session 11: api.rst corrections of the per-VM ring moved
into 11, the WAIT text for x86 only, the scratch space allocated after the
enable's checks (4-23), KUnit dead-VM case without kvm_vm_dead(), a
VCPU_LOST KUnit case (21)."""
import re, sys, textwrap
i = int(sys.argv[1])
def rd(f):
    return open(f).read()
def wr(f, s):
    open(f, 'w').write(s)
def sub(s, old, new, what, need=True):
    n = s.count(old)
    if n != 1:
        if need or n > 1:
            sys.exit(f'commit {i}: {what}: {n} x {old[:60]!r}')
        return s
    return s.replace(old, new)
def reflow_para(s, start):
    a = s.find(start)
    if a < 0:
        sys.exit(f'commit {i}: paragraph {start[:40]!r} not found')
    b = s.find('\n\n', a)
    chunk = re.sub(r'\s*\n\s*', ' ', s[a:b].strip())
    chunk = chunk.replace('.  ', '.\x01 ').replace(':  ', ':\x01 ')
    out = textwrap.fill(chunk, width=75, break_long_words=False, break_on_hyphens=False)
    out = out.replace('\x01 ', '  ').replace('\x01\n', '\n').replace('\x01', '')
    return s[:a] + out + s[b:]
def wsre(text):
    return r'\s+'.join(re.escape(w) for w in text.split())

f = 'Documentation/virt/kvm/api.rst'
s = rd(f)
if 11 <= i <= 20:
    s = sub(s, 'per-VM ring (section 8.42).  Kernels before this field existed leave it 0.',
            '''per-VM ring (section 8.42).  At least one flag is set.  KVM writes 'flags'
on every KVM_EXIT_DIRTY_RING_FULL if
KVM_CHECK_EXTENSION(KVM_CAP_DIRTY_LOG_RING_VM) is non-zero.  Older kernels
do not write it: the field then holds whatever an earlier exit left in the
union, and userspace must ignore it.''', 'flags doc')
    s = reflow_para(s, "KVM_EXIT_DIRTY_RING_FULL: a dirty ring reached its soft limit")
    s, n = re.subn(wsre('(once per loss, even if the ring has been reset in between).'),
                   '(once for all the losses since the last report, even if the ring has been reset in between).', s)
    if n != 1:
        sys.exit(f'commit {i}: once per loss: {n}')
    old = ('A lost page is not write-protected again by any reset, so later writes to it '
           'would not be reported either: to track it again, clear and set '
           'KVM_MEM_LOG_DIRTY_PAGES on the memslots (KVM_SET_USER_MEMORY_REGION2), '
           'which write-protects all their pages.')
    s, n = re.subn(wsre(old), 'The writes that go to the per-VM ring are made by KVM through its own '
                   'mapping of guest memory, never by the guest through a page KVM made '
                   'writable, so a lost page stays tracked: its next write is reported as usual.', s)
    if n != 1:
        sys.exit(f'commit {i}: stays tracked: {n}')
    s = reflow_para(s, 'Overrun.  If the per-VM ring is completely full anyway')
if i >= 15:
    s, n = re.subn(wsre('KVM_RUN then fails with EIO (on x86; elsewhere it returns and the next call fails).'),
                   'KVM_RUN then fails with EIO.', s)
    if n != 1:
        sys.exit(f'commit {i}: EIO: {n}')
    s = reflow_para(s, 'The vCPU waits with no lock held, outside the guest')
wr(f, s)

# The scratch space: allocated under kvm->lock, after the checks.
f = 'virt/kvm/dirty_ring.c'
s = rd(f)
if 4 <= i <= 23:
    m = re.search(r'(?s)\t/\*\n\t \* KVM_RESET_DIRTY_RINGS\' scratch space is allocated here, so that a\n'
                  r'\t \* reset never fails for lack of memory\.\n\t \*/\n\tkeys = kvmalloc_array.*?'
                  r'\tkvfree\(keys\);\n\treturn r;\n', s)
    if not m:
        sys.exit(f'commit {i}: scratch not found')
    s = s[:m.start()] + '''	mutex_lock(&kvm->lock);
	/* Once only, and never under an existing vCPU: EINVAL before ENOMEM. */
	r = -EINVAL;
	if (kvm->dirty_ring_size || kvm->created_vcpus)
		goto out;

	/*
	 * KVM_RESET_DIRTY_RINGS' scratch space is allocated here, so that a
	 * reset never fails for lack of memory.
	 */
	r = -ENOMEM;
	keys = kvmalloc_array(2 * KVM_DIRTY_RING_RESET_BATCH, sizeof(*keys),
			      GFP_KERNEL_ACCOUNT);
	if (!keys)
		goto out;

	kvm->dirty_ring_keys = keys;
	/* Pairs with the acquire in kvm_vm_ioctl_reset_dirty_pages(). */
	smp_store_release(&kvm->dirty_ring_size, size);
	r = 0;
out:
	mutex_unlock(&kvm->lock);
	return r;
''' + s[m.end():]
if i >= 21:
    s = sub(s, '''	set_bit(vcpu->vcpu_idx, kvm->dirty_ring_crossed);
	kvm_dirty_ring_notify(kvm);
}
''', '''	set_bit(vcpu->vcpu_idx, kvm->dirty_ring_crossed);
	kvm_dirty_ring_notify(kvm);
}
EXPORT_SYMBOL_IF_KUNIT(kvm_dirty_ring_vcpu_lost);
''', 'export vcpu_lost')
wr(f, s)

f = 'virt/kvm/dirty_ring_test.c'
if i >= 21:
    s = rd(f)
    s = sub(s, '''	kvm_vm_dead(kvm);
	KUNIT_EXPECT_TRUE''', '''	/* What kvm_vm_dead() does for the rings, without kicking vCPUs. */
	WRITE_ONCE(kvm->vm_dead, true);
	kvm_dirty_ring_vm_dead(kvm);
	KUNIT_EXPECT_TRUE''', 'vm_dead')
    s = sub(s, '''struct vm_test_waiter {''', '''/*
 * A page lost to a completely full vCPU ring is reported once, by that
 * vCPU's next exit, with KVM_DIRTY_RING_FULL_VCPU_LOST, and is pending
 * (poll() reports EPOLLPRI) until then.
 */
static void dirty_ring_test_vm_vcpu_lost(struct kunit *test)
{
	struct kvm *kvm = vm_test_create(test, 0);
	struct kvm_vcpu *vcpu = vm_test_vcpu(test, kvm, NR_ENTRIES);

	KUNIT_EXPECT_FALSE(test, kvm_dirty_ring_push(&vcpu->dirty_ring, 0, NR_ENTRIES));
	kvm_dirty_ring_vcpu_lost(kvm, vcpu);
	kvm_dirty_ring_vcpu_lost(kvm, vcpu);
	KUNIT_EXPECT_TRUE(test, kvm_dirty_ring_loss_pending(kvm));

	KUNIT_EXPECT_EQ(test, kvm_dirty_ring_check_request(vcpu), KVM_DIRTY_RING_EXIT);
	KUNIT_EXPECT_EQ(test, vcpu->run->dirty_ring_full.flags,
			KVM_DIRTY_RING_FULL_VCPU | KVM_DIRTY_RING_FULL_VCPU_LOST);
	KUNIT_EXPECT_FALSE(test, kvm_dirty_ring_loss_pending(kvm));

	/* Once: the ring is still full, the loss was reported. */
	KUNIT_EXPECT_EQ(test, kvm_dirty_ring_check_request(vcpu), KVM_DIRTY_RING_EXIT);
	KUNIT_EXPECT_EQ(test, vcpu->run->dirty_ring_full.flags, KVM_DIRTY_RING_FULL_VCPU);
}

struct vm_test_waiter {''', 'vcpu_lost case')
    s = sub(s, '''	KUNIT_CASE(dirty_ring_test_vm_request),
''', '''	KUNIT_CASE(dirty_ring_test_vm_request),
	KUNIT_CASE(dirty_ring_test_vm_vcpu_lost),
''', 'case list')
    wr(f, s)
