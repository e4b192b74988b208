#!/usr/bin/env python3
"""Tree filter: allocate the reset scratch space at enable from patch 4 on
(it was folded into the per-VM ring patch)."""
import sys
i = int(sys.argv[1])
if i < 4 or i > 9:
    sys.exit(0)
def sub(s, old, new, f):
    n = s.count(old)
    if n != 1:
        sys.exit(f'commit {i}: {f}: found {n} times: {old[:70]!r}')
    return s.replace(old, new)
f = 'virt/kvm/dirty_ring.c'
s = open(f).read()
a = s.index('int kvm_vm_ioctl_enable_dirty_log_ring(')
b = s.index('\n}\n', a)
fn = s[a:b]
fn = sub(fn, '''	u64 entries = size / sizeof(struct kvm_dirty_gfn);
	int r = -EINVAL;
''', '''	u64 entries = size / sizeof(struct kvm_dirty_gfn);
	int r = -EINVAL;
	u64 *keys;
''', f)
fn = sub(fn, '''	mutex_lock(&kvm->lock);
	/* Once only, and never under an existing vCPU. */
	if (!kvm->dirty_ring_size && !kvm->created_vcpus) {
		kvm->dirty_ring_size = size;
		r = 0;
	}
	mutex_unlock(&kvm->lock);
	return r;''', '''	/*
	 * KVM_RESET_DIRTY_RINGS' scratch space is allocated here, so that a
	 * reset never fails for lack of memory.
	 */
	keys = kvmalloc_array(2 * KVM_DIRTY_RING_RESET_BATCH, sizeof(*keys),
			      GFP_KERNEL_ACCOUNT);
	if (!keys)
		return -ENOMEM;

	mutex_lock(&kvm->lock);
	/* Once only, and never under an existing vCPU. */
	if (!kvm->dirty_ring_size && !kvm->created_vcpus) {
		kvm->dirty_ring_keys = keys;
		/* Pairs with the acquire in kvm_vm_ioctl_reset_dirty_pages(). */
		smp_store_release(&kvm->dirty_ring_size, size);
		keys = NULL;
		r = 0;
	}
	mutex_unlock(&kvm->lock);
	kvfree(keys);
	return r;''', f)
s = s[:a] + fn + s[b:]
s = sub(s, '''	if (!kvm->dirty_ring_size)
		return -EINVAL;

	/* Serializes resets and keeps the memslots stable while re-protecting. */
	mutex_lock(&kvm->slots_lock);

	/*
	 * The keys buffer is allocated on the first reset and kept with the VM:
	 * allocating it per call would cost more than resetting a few entries.
	 */
	if (!kvm->dirty_ring_keys) {
		kvm->dirty_ring_keys = kvmalloc_array(2 * KVM_DIRTY_RING_RESET_BATCH,
						      sizeof(*kvm->dirty_ring_keys),
						      GFP_KERNEL_ACCOUNT);
		if (!kvm->dirty_ring_keys) {
			mutex_unlock(&kvm->slots_lock);
			return -ENOMEM;
		}
	}
''', '''	/* The keys are set before the size: pairs with the enable's release. */
	if (!smp_load_acquire(&kvm->dirty_ring_size))
		return -EINVAL;

	/* Serializes resets and keeps the memslots stable while re-protecting. */
	mutex_lock(&kvm->slots_lock);

''', f)
open(f, 'w').write(s)
if i == 9:
    f = 'Documentation/virt/kvm/api.rst'
    s = open(f).read()
    s = sub(s, ''':Parameters: args[0] - size of each dirty ring, in bytes
:Returns: 0 on success, -EINVAL or -E2BIG (see below)''', ''':Parameters: args[0] - size of each dirty ring, in bytes
:Returns: 0 on success, -EINVAL, -E2BIG or -ENOMEM (see below)''', f)
    s = sub(s, '''  (all 64 bits of args[0] are checked).
''', '''  (all 64 bits of args[0] are checked);
- ENOMEM if KVM cannot allocate the scratch space of KVM_RESET_DIRTY_RINGS,
  which it allocates here so that a reset never fails for lack of memory.
''', f)
    open(f, 'w').write(s)
