/* Words of pages re-protected per mmu_lock hold. */
#define KVM_DIRTY_RING_RESET_WORDS	256

/* Most words a VM's reset words hold: 96 MiB with their buckets, on 64-bit. */
#define KVM_DIRTY_RING_RESET_MAX_WORDS	BIT(22)

/*
 * The reset words: the pages one KVM_RESET_DIRTY_RINGS call gathers from
 * every ring for re-protection, one entry per word of pages.  @words[0..@nr)
 * in the order their first page was gathered, each with a distinct (slot,
 * word) and a non-zero mask; @buckets, 2 * @max of them, an open addressing
 * hash table of indexes into @words, plus one (0 for none).  Sized for all
 * the entries the VM's rings hold (at most KVM_DIRTY_RING_RESET_MAX_WORDS),
 * so that a reset never allocates and the table is never more than half
 * full; empty between resets.  See virt/kvm/dirty_ring.c.
 */
struct kvm_dirty_ring_reset_words {
	struct kvm_dirty_ring_run *words;
	u32 *buckets;
	u32 nr;
	u32 max;
};

/*
 * State of one KVM_RESET_DIRTY_RINGS call, across the rings it resets.  The
 * harvested pages of every ring are gathered in @reset_words, then
 * re-protected one word at a time.
 */
struct kvm_dirty_ring_reset_ctx {
	struct kvm_dirty_ring_run *runs; /* KVM_DIRTY_RING_RESET_BATCH of them */
	struct kvm_dirty_ring_reset_words *reset_words;
	int nr_reset;		/* entries handed back to the producers */
	bool flush;		/* pages were re-protected: flush TLBs */
};

