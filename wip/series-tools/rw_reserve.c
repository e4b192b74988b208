/**
 * kvm_dirty_ring_reserve_reset() - Size the reset words for the VM's rings.
 * @kvm: the VM
 * @vm_entries: entries of a per-VM ring being enabled, or 0; an enabled
 *		per-VM ring is counted anyway
 *
 * A reset gathers at most one word per entry its rings hold: room for that
 * many words makes it never allocate, and re-protect each word once.
 * Called for each new vCPU before a reset can see its ring, and before the
 * per-VM ring is enabled; kvm->created_vcpus counts the vCPUs whose rings a
 * reset may see, those being created included.  The reset words are never
 * shrunk.
 *
 * Context: process context; takes kvm->slots_lock.
 * Return: 0, or -ENOMEM.
 */
int kvm_dirty_ring_reserve_reset(struct kvm *kvm, u32 vm_entries)
{
	u64 entries;
	int r;

	/*
	 * Under slots_lock, which orders this against the other callers:
	 * every vCPU counts itself in created_vcpus, under kvm->lock, before
	 * its call, and the per-VM ring's size is published, under
	 * kvm->lock too, after its call.
	 */
	mutex_lock(&kvm->slots_lock);
	vm_entries = max_t(u32, vm_entries, READ_ONCE(kvm->vm_dirty_ring_size) /
			   sizeof(struct kvm_dirty_gfn));
	entries = (u64)READ_ONCE(kvm->created_vcpus) *
		  (kvm->dirty_ring_size / sizeof(struct kvm_dirty_gfn)) + vm_entries;
	r = kvm_dirty_ring_alloc_reset_words(&kvm->dirty_ring_reset_words,
					     min_t(u64, entries, U32_MAX));
	mutex_unlock(&kvm->slots_lock);
	return r;
}

