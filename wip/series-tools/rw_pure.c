/*
 * The reset words gather the pages one KVM_RESET_DIRTY_RINGS call
 * re-protects, from every ring, in any order, duplicates included: one
 * entry per word of pages (slot, word, mask), found through an open
 * addressing hash table of twice as many buckets as there can be words,
 * probed linearly.  Their size follows the rings, not guest memory: a
 * sparse harvest of a large memslot costs what it costs in a small one.
 * The reset empties them after re-protecting their words.
 */
static u32 kvm_dirty_ring_reset_bucket(const struct kvm_dirty_ring_reset_words *rw,
				       u32 slot, u32 word)
{
	return hash_64((u64)slot << 32 | word, ilog2(rw->max) + 1);
}

/**
 * kvm_dirty_ring_alloc_reset_words() - Make room in the reset words.
 * @rw: the reset words, empty
 * @max: the words they must hold: one per entry of the rings a reset takes
 *	 back, capped at KVM_DIRTY_RING_RESET_MAX_WORDS
 *
 * Grows @rw to a power of two of words, so that a VM whose vCPUs are
 * created one by one reallocates them only a few times; never shrinks
 * them.  On 64-bit, words take 16 bytes and buckets 8 bytes per word:
 * 384 KiB for four vCPUs with 4096-entry rings, whatever the size of guest
 * memory.
 *
 * Context: process context; kvm->slots_lock held for a VM's reset words.
 * Return: 0, -ENOMEM with @rw unchanged, or -EBUSY if @rw is not empty.
 */
int kvm_dirty_ring_alloc_reset_words(struct kvm_dirty_ring_reset_words *rw,
				     u32 max)
{
	struct kvm_dirty_ring_run *words;
	u32 *buckets;

	if (WARN_ON_ONCE(rw->nr))
		return -EBUSY;
	max = min_t(u32, max, KVM_DIRTY_RING_RESET_MAX_WORDS);
	if (max <= rw->max)
		return 0;

	max = roundup_pow_of_two(max);
	words = kvmalloc_array(max, sizeof(*words), GFP_KERNEL_ACCOUNT);
	buckets = kvcalloc(2 * max, sizeof(*buckets), GFP_KERNEL_ACCOUNT);
	if (!words || !buckets) {
		kvfree(words);
		kvfree(buckets);
		return -ENOMEM;
	}

	kvm_dirty_ring_free_reset_words(rw);
	rw->words = words;
	rw->buckets = buckets;
	rw->max = max;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(kvm_dirty_ring_alloc_reset_words);

/**
 * kvm_dirty_ring_free_reset_words() - Free the reset words.
 * @rw: the reset words, possibly never allocated
 *
 * Context: process context; kvm->slots_lock held, or the VM being destroyed.
 */
void kvm_dirty_ring_free_reset_words(struct kvm_dirty_ring_reset_words *rw)
{
	kvfree(rw->words);
	kvfree(rw->buckets);
	*rw = (struct kvm_dirty_ring_reset_words) {};
}
EXPORT_SYMBOL_IF_KUNIT(kvm_dirty_ring_free_reset_words);

/**
 * kvm_dirty_ring_mark_reset() - Gather harvested pages for re-protection.
 * @rw: the reset words, with room for one more word (@rw->nr < @rw->max)
 * @memslot: the memslot the entries' slot id names
 * @word: the pages' word in @memslot, not yet trusted: its first page is
 *	  @word * BITS_PER_LONG (pages)
 * @mask: the pages, bit i for page @word * BITS_PER_LONG + i
 *
 * A word already gathered takes the new pages in its mask, so that pages
 * harvested in any order, or from several rings, make one re-protect per
 * word.  The caller makes room first: with none, the pages are dropped
 * with a warning.
 *
 * Context: the reset, kvm->slots_lock held (no lock for KUnit's memslots).
 * Return: true if every page of @mask was gathered; false if some are
 * beyond the memslot's end (garbage, or a memslot deleted and created again
 * smaller since they were pushed): those are dropped, the others gathered.
 * The reset drops them silently, as it drops every garbage entry; KUnit
 * checks the boundary through the return value.
 */
bool kvm_dirty_ring_mark_reset(struct kvm_dirty_ring_reset_words *rw,
			       const struct kvm_memory_slot *memslot, u64 word,
			       unsigned long mask)
{
	unsigned long nr_words = BITS_TO_LONGS(memslot->npages);
	u32 slot = (u32)memslot->as_id << 16 | (u16)memslot->id;
	u32 i, last = 2 * rw->max - 1;
	bool all = true;

	if (word >= nr_words)
		return false;
	if (word == nr_words - 1) {
		unsigned long valid = BITMAP_LAST_WORD_MASK(memslot->npages);

		all = !(mask & ~valid);
		mask &= valid;
	}
	if (!mask)
		return all;

	/* The caller re-protects what was gathered when the words are full. */
	if (WARN_ON_ONCE(rw->nr >= rw->max))
		return false;

	for (i = kvm_dirty_ring_reset_bucket(rw, slot, word); rw->buckets[i];
	     i = (i + 1) & last) {
		struct kvm_dirty_ring_run *w = &rw->words[rw->buckets[i] - 1];

		if (w->slot == slot && w->word == word) {
			w->mask |= mask;
			return all;
		}
	}

	rw->words[rw->nr] = (struct kvm_dirty_ring_run) {
		.slot = slot,
		.word = word,
		.mask = mask,
	};
	rw->buckets[i] = ++rw->nr;
	return all;
}
EXPORT_SYMBOL_IF_KUNIT(kvm_dirty_ring_mark_reset);

/**
 * kvm_dirty_ring_clear_reset_words() - Empty the reset words.
 * @rw: the reset words, whose words were re-protected
 *
 * Clears only the buckets in use, so that a sparse reset does not pay for
 * the size of the table.
 *
 * Context: the reset, kvm->slots_lock held (no lock for KUnit).
 */
void kvm_dirty_ring_clear_reset_words(struct kvm_dirty_ring_reset_words *rw)
{
	u32 n, i, last = 2 * rw->max - 1;

	/*
	 * Last in, first out: with the words gathered after it cleared, the
	 * buckets are as they were when a word was gathered, so that its
	 * probe meets no free bucket before its own.
	 */
	for (n = rw->nr; n; n--) {
		const struct kvm_dirty_ring_run *w = &rw->words[n - 1];

		for (i = kvm_dirty_ring_reset_bucket(rw, w->slot, w->word);
		     rw->buckets[i] != n; i = (i + 1) & last) {
			if (WARN_ON_ONCE(!rw->buckets[i]))
				break;
		}
		rw->buckets[i] = 0;
	}
	rw->nr = 0;
}
EXPORT_SYMBOL_IF_KUNIT(kvm_dirty_ring_clear_reset_words);

