# Patch 9 era: per-memslot reset bitmaps -> reset words bounded by the rings.
import re, sys
era = sys.argv[1] if len(sys.argv) > 1 else '9'
def rd(p): return open(p).read()
def wr(p, s): open(p, 'w').write(s)
def rep(s, o, n, c=1):
    assert s.count(o) == c, (o[:70], s.count(o))
    return s.replace(o, n)
def strip_kunit(t):
    t = re.sub(r'EXPORT_SYMBOL_IF_KUNIT\([a-z_]+\);\n', '', t)
    t = t.replace(' (no lock for KUnit\'s memslots)', '').replace(' (no lock for KUnit)', '')
    t = t.replace(' The reset drops them silently, as it drops every garbage entry; KUnit\n * checks the boundary through the return value.',
                  ' The reset drops them silently, as it drops every garbage entry.')
    return t

# ---- dirty_ring.c
p = 'virt/kvm/dirty_ring.c'
s = rd(p)
pure = strip_kunit(open('/work/main/wip/series-tools/rw_pure.c').read())
a = s.index("/*\n * A memslot's reset bitmap gathers the pages")
b = s.index("/* ---- KVM's use of the ring")
s = s[:a] + pure + s[b:]
s = rep(s, ''' * collecting the entries userspace harvested, and gathering their pages in
 * per-memslot reset bitmaps.  It touches no KVM state beyond a memslot and''',
''' * collecting the entries userspace harvested, and gathering their pages in
 * the reset words.  It touches no KVM state beyond a memslot and''')
s = rep(s, ''' * re-protects them one bitmap word (BITS_PER_LONG pages) at a time, taking''',
''' * re-protects them one word (BITS_PER_LONG pages) at a time, taking''')
a = s.index("/**\n * kvm_dirty_ring_reprotect() - Re-protect the pages a reset gathered.")
b = s.index("/**\n * kvm_dirty_ring_reset() - Take back the entries userspace harvested.")
s = s[:a] + open('/work/main/wip/series-tools/rw_kvmhalf.c').read() + s[b:]
s = rep(s, ''' * @ctx->runs) and are free for the producer again at once; their pages are
 * gathered per memslot, and the caller re-protects them with''', ''' * @ctx->runs) and are free for the producer again at once; their pages are
 * gathered in @ctx->words, and the caller re-protects them with''')
a = s.index("/**\n * kvm_dirty_ring_alloc_reset_bitmaps()")
b = s.index("bool kvm_dirty_ring_check_request(struct kvm_vcpu *vcpu)")
s = s[:a] + open('/work/main/wip/series-tools/rw_reserve9.c').read() + s[b:]
s = rep(s, '''	/*
	 * KVM_RESET_DIRTY_RINGS' scratch space is allocated here and with the
	 * memslots (their reset bitmaps), so that a reset never allocates.
	 */
	r = -ENOMEM;
	runs = kvmalloc_array(KVM_DIRTY_RING_RESET_BATCH, sizeof(*runs),
			      GFP_KERNEL_ACCOUNT);
	if (!runs)
		goto out;

	/*
	 * Memslots that log already get their reset bitmaps here, the others
	 * in kvm_prepare_memory_region(), which reads the size under
	 * slots_lock too.
	 */
	mutex_lock(&kvm->slots_lock);
	r = kvm_dirty_ring_alloc_reset_bitmaps(kvm);
	if (!r) {
		kvm->dirty_ring_runs = runs;
		/* Pairs with the acquire in kvm_vm_ioctl_reset_dirty_pages(). */
		smp_store_release(&kvm->dirty_ring_size, size);
		runs = NULL;
	}
	mutex_unlock(&kvm->slots_lock);
out:
	mutex_unlock(&kvm->lock);
	kvfree(runs);
	return r;''', '''	/*
	 * KVM_RESET_DIRTY_RINGS' scratch space is allocated here, and with each
	 * vCPU (the reset words), so that a reset never allocates.
	 */
	r = -ENOMEM;
	runs = kvmalloc_array(KVM_DIRTY_RING_RESET_BATCH, sizeof(*runs),
			      GFP_KERNEL_ACCOUNT);
	if (!runs)
		goto out;

	kvm->dirty_ring_runs = runs;
	/* Pairs with the acquire in kvm_vm_ioctl_reset_dirty_pages(). */
	smp_store_release(&kvm->dirty_ring_size, size);
	r = 0;
out:
	mutex_unlock(&kvm->lock);
	return r;''')
s = rep(s, '''	struct kvm_dirty_ring_run *runs = NULL;
''', '''	struct kvm_dirty_ring_run *runs;
''')
s = rep(s, '''	ctx.runs = kvm->dirty_ring_runs;
	INIT_LIST_HEAD(&ctx.bitmaps);
''', '''	ctx.runs = kvm->dirty_ring_runs;
	ctx.words = &kvm->dirty_ring_reset_words;
''')
wr(p, s)

# ---- kvm_dirty_ring.h
p = 'include/linux/kvm_dirty_ring.h'
s = rd(p)
a = s.index("/* Words of a memslot's reset bitmap re-protected per mmu_lock hold. */")
b = s.index("/*\n * Entries pushed and not yet taken back.")
s = s[:a] + open('/work/main/wip/series-tools/rw_hdr.h').read() + s[b:]
s = rep(s, ' * Harvested entries are carried from the ring to the reset bitmaps as runs:',
        ' * Harvested entries are carried from the ring to the reset words as runs:')
s = rep(s, '''static inline int kvm_dirty_ring_alloc_reset_bitmap(struct kvm_memory_slot *memslot)
{
	return 0;
}

static inline void kvm_dirty_ring_free_reset_bitmap(struct kvm_memory_slot *memslot)
{
}
''', '''static inline int kvm_dirty_ring_reserve_reset(struct kvm *kvm)
{
	return 0;
}

static inline void kvm_dirty_ring_free_reset_words(struct kvm_dirty_ring_reset_words *rw)
{
}
''')
s = re.sub(r"/\* A memslot's reset bitmap: no KVM state beyond the memslot( \(KUnit too\))?\. \*/\n"
           r"int kvm_dirty_ring_alloc_reset_bitmap\(struct kvm_memory_slot \*memslot\);\n"
           r"void kvm_dirty_ring_free_reset_bitmap\(struct kvm_memory_slot \*memslot\);\n"
           r"bool kvm_dirty_ring_mark_reset\(struct kvm_memory_slot \*memslot, u64 word,\n"
           r"\t\t\t       unsigned long mask\);\n"
           r"bool kvm_dirty_ring_next_reset_word\(struct kvm_memory_slot \*memslot,\n"
           r"\t\t\t\t    unsigned long \*word, unsigned long \*mask\);\n",
           lambda m: "/* The reset words: no KVM state beyond a memslot%s. */\n" % (m.group(1) or '') +
           '''int kvm_dirty_ring_alloc_reset_words(struct kvm_dirty_ring_reset_words *rw,
				     u32 max);
void kvm_dirty_ring_free_reset_words(struct kvm_dirty_ring_reset_words *rw);
bool kvm_dirty_ring_mark_reset(struct kvm_dirty_ring_reset_words *rw,
			       const struct kvm_memory_slot *memslot, u64 word,
			       unsigned long mask);
void kvm_dirty_ring_clear_reset_words(struct kvm_dirty_ring_reset_words *rw);
''', s)
s = rep(s, '''int kvm_dirty_ring_alloc(struct kvm_dirty_ring *ring, int index, u32 size);
''', '''int kvm_dirty_ring_alloc(struct kvm_dirty_ring *ring, int index, u32 size);
int kvm_dirty_ring_reserve_reset(struct kvm *kvm);
''')
wr(p, s)

# ---- kvm_host.h
p = 'include/linux/kvm_host.h'
s = rd(p)
s = rep(s, '''	unsigned long *dirty_bitmap;
	/*
	 * Dirty ring VMs, while the slot logs dirty pages: the pages one
	 * KVM_RESET_DIRTY_RINGS call re-protects, see virt/kvm/dirty_ring.c.
	 * Empty outside of a reset; used under kvm->slots_lock, or while the
	 * VM is destroyed.
	 */
	struct kvm_dirty_ring_reset_bitmap *dirty_ring_reset_bitmap;
''', '''	unsigned long *dirty_bitmap;
''')
s = rep(s, '''	struct kvm_dirty_ring_run *dirty_ring_runs;
''', '''	struct kvm_dirty_ring_run *dirty_ring_runs;
	struct kvm_dirty_ring_reset_words dirty_ring_reset_words;
''')
wr(p, s)

# ---- kvm_main.c
p = 'virt/kvm/kvm_main.c'
s = rd(p)
s = rep(s, '''	kvm_destroy_dirty_bitmap(slot);
	kvm_dirty_ring_free_reset_bitmap(slot);
''', '''	kvm_destroy_dirty_bitmap(slot);
''')
s = rep(s, '''
		/* The same for a dirty ring's reset bitmap. */
		if (!(new->flags & KVM_MEM_LOG_DIRTY_PAGES)) {
			new->dirty_ring_reset_bitmap = NULL;
		} else if (old && old->dirty_ring_reset_bitmap) {
			new->dirty_ring_reset_bitmap = old->dirty_ring_reset_bitmap;
		} else if (kvm->dirty_ring_size) {
			r = kvm_dirty_ring_alloc_reset_bitmap(new);
			if (r)
				goto out_bitmap;
		}
''', '')
s = rep(s, '''	r = kvm_arch_prepare_memory_region(kvm, old, new, change);
	if (!r)
		return 0;

	/* Free the bitmaps on failure if they were allocated above. */
	if (new && new->dirty_ring_reset_bitmap &&
	    (!old || !old->dirty_ring_reset_bitmap))
		kvm_dirty_ring_free_reset_bitmap(new);
out_bitmap:
	if (new && new->dirty_bitmap && (!old || !old->dirty_bitmap))
		kvm_destroy_dirty_bitmap(new);
''', '''	r = kvm_arch_prepare_memory_region(kvm, old, new, change);

	/* Free the bitmap on failure if it was allocated above. */
	if (r && new && new->dirty_bitmap && (!old || !old->dirty_bitmap))
		kvm_destroy_dirty_bitmap(new);
''')
s = rep(s, '''		if (old->dirty_ring_reset_bitmap && !new->dirty_ring_reset_bitmap)
			kvm_dirty_ring_free_reset_bitmap(old);
''', '')
s = rep(s, '''	dest->dirty_ring_reset_bitmap = src->dirty_ring_reset_bitmap;
''', '')
s = rep(s, '''	kvfree(kvm->dirty_ring_runs);
''', '''	kvfree(kvm->dirty_ring_runs);
	kvm_dirty_ring_free_reset_words(&kvm->dirty_ring_reset_words);
''')
s = rep(s, '''		r = kvm_dirty_ring_alloc(&vcpu->dirty_ring,
					 id, kvm->dirty_ring_size);
		if (r)
			goto arch_vcpu_destroy;
	}
''', '''		r = kvm_dirty_ring_alloc(&vcpu->dirty_ring,
					 id, kvm->dirty_ring_size);
		if (r)
			goto arch_vcpu_destroy;
		/* Room for its entries in a reset, before one can see it. */
		r = kvm_dirty_ring_reserve_reset(kvm);
		if (r)
			goto dirty_ring_free;
	}
''')
s = rep(s, '''unlock_vcpu_destroy:
	mutex_unlock(&kvm->lock);
	kvm_dirty_ring_free(&vcpu->dirty_ring);
''', '''unlock_vcpu_destroy:
	mutex_unlock(&kvm->lock);
dirty_ring_free:
	kvm_dirty_ring_free(&vcpu->dirty_ring);
''')
wr(p, s)
