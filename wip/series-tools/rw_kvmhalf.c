/*
 * Look up the memslot a harvested entry names.  Slot ids are not trusted:
 * one that names no memslot (as_id or id), or a memslot that does not log
 * dirty pages, gives NULL and its pages are dropped.
 */
static struct kvm_memory_slot *kvm_dirty_ring_reset_slot(struct kvm *kvm,
							 u32 slot)
{
	u32 as_id = slot >> 16, id = (u16)slot;
	struct kvm_memory_slot *memslot = NULL;

	if (as_id < kvm_arch_nr_memslot_as_ids(kvm))
		memslot = id_to_memslot(__kvm_memslots(kvm, as_id), id);
	if (!memslot || !kvm_slot_dirty_track_enabled(memslot))
		return NULL;
	return memslot;
}

/**
 * kvm_dirty_ring_reprotect() - Re-protect the pages a reset gathered.
 * @kvm: the VM
 * @ctx: the reset, whose reset words hold the pages gathered
 *
 * One masked re-protect per word, in the order their first page was
 * harvested; mmu_lock is dropped every KVM_DIRTY_RING_RESET_WORDS words.
 * Leaves the reset words empty.  The caller flushes TLBs if @ctx->flush is
 * set.
 *
 * Context: process context, kvm->slots_lock held; takes mmu_lock.
 */
static void kvm_dirty_ring_reprotect(struct kvm *kvm,
				     struct kvm_dirty_ring_reset_ctx *ctx)
{
	struct kvm_dirty_ring_reset_words *rw = ctx->reset_words;
	struct kvm_memory_slot *memslot = NULL;
	u32 i, held = 0;

	lockdep_assert_held(&kvm->slots_lock);

	if (!rw->nr)
		return;

	KVM_MMU_LOCK(kvm);
	for (i = 0; i < rw->nr; i++) {
		const struct kvm_dirty_ring_run *w = &rw->words[i];

		/* Checked when gathered, and slots_lock keeps the memslots. */
		if (!i || w->slot != rw->words[i - 1].slot)
			memslot = kvm_dirty_ring_reset_slot(kvm, w->slot);
		if (WARN_ON_ONCE(!memslot))
			continue;

		kvm_arch_mmu_enable_log_dirty_pt_masked(kvm, memslot,
							(gfn_t)w->word * BITS_PER_LONG,
							w->mask);
		ctx->flush = true;
		if (++held == KVM_DIRTY_RING_RESET_WORDS) {
			KVM_MMU_UNLOCK(kvm);
			cond_resched();
			KVM_MMU_LOCK(kvm);
			held = 0;
		}
	}
	KVM_MMU_UNLOCK(kvm);

	kvm_dirty_ring_clear_reset_words(rw);
}

/*
 * Gather the first @nr_runs runs of @ctx->runs; consecutive runs mostly name
 * the same slot.
 */
static void kvm_dirty_ring_gather(struct kvm *kvm,
				  struct kvm_dirty_ring_reset_ctx *ctx, u32 nr_runs)
{
	const struct kvm_dirty_ring_run *runs = ctx->runs;
	struct kvm_memory_slot *memslot = NULL;
	u32 i, slot = 0;

	for (i = 0; i < nr_runs; i++) {
		if (!i || runs[i].slot != slot) {
			slot = runs[i].slot;
			memslot = kvm_dirty_ring_reset_slot(kvm, slot);
		}
		if (!memslot)
			continue;

		/*
		 * Room for a word per entry of the rings: full only past
		 * KVM_DIRTY_RING_RESET_MAX_WORDS, where what was gathered
		 * is re-protected now to make room.
		 */
		if (unlikely(ctx->reset_words->nr >= ctx->reset_words->max))
			kvm_dirty_ring_reprotect(kvm, ctx);
		kvm_dirty_ring_mark_reset(ctx->reset_words, memslot,
					  runs[i].word, runs[i].mask);
	}
}

