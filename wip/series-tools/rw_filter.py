# Filter for rewrite_generic.sh: replace the per-memslot reset bitmaps with
# the reset words (bounded by the rings) in every commit that has them.
# Run in the commit's work tree; argv: index (1-based), subject.
import os, re, sys
T = '/work/main/wip/series-tools/'
def rd(p): return open(p).read()
def wr(p, s): open(p, 'w').write(s)
def rep(s, o, n, c=1):
    assert s.count(o) == c, (o[:70], s.count(o))
    return s.replace(o, n)

p = 'virt/kvm/dirty_ring.c'
if not os.path.exists(p) or 'dirty_ring_reset_bitmap' not in rd(p):
    sys.exit(0)
s = rd(p)
kunit = 'EXPORT_SYMBOL_IF_KUNIT(kvm_dirty_ring_mark_reset)' in s
vmring = 'kvm_vm_ioctl_enable_vm_dirty_ring' in s

def strip_kunit(t):
    if kunit:
        return t
    t = re.sub(r'EXPORT_SYMBOL_IF_KUNIT\([a-z_]+\);\n', '', t)
    t = t.replace(" (no lock for KUnit's memslots)", '').replace(' (no lock for KUnit)', '')
    t = t.replace(' The reset drops them silently, as it drops every garbage entry; KUnit\n * checks the boundary through the return value.',
                  ' The reset drops them silently, as it drops every garbage entry.')
    return t

# ---- dirty_ring.c
a = s.index("/*\n * A memslot's reset bitmap gathers the pages")
b = s.index("/* ---- KVM's use of the ring")
s = s[:a] + strip_kunit(rd(T + 'rw_pure.c')) + s[b:]
s = rep(s, ''' * collecting the entries userspace harvested, and gathering their pages in
 * per-memslot reset bitmaps.  It touches no KVM state beyond a memslot and''',
''' * collecting the entries userspace harvested, and gathering their pages in
 * the reset words.  It touches no KVM state beyond a memslot and''')
s = rep(s, ''' * re-protects them one bitmap word (BITS_PER_LONG pages) at a time, taking''',
''' * re-protects them one word (BITS_PER_LONG pages) at a time, taking''')
if '#include <linux/hash.h>\n' not in s:
    s = rep(s, '#include <linux/kvm_host.h>\n', '#include <linux/hash.h>\n#include <linux/kvm_host.h>\n')
a = s.index("/**\n * kvm_dirty_ring_reprotect() - Re-protect the pages a reset gathered.")
b = s.index("/**\n * kvm_dirty_ring_reset() - Take back the entries userspace harvested.")
s = s[:a] + rd(T + 'rw_kvmhalf.c') + s[b:]
s = rep(s, ''' * @ctx->runs) and are free for the producer again at once; their pages are
 * gathered per memslot, and the caller re-protects them with''', ''' * @ctx->runs) and are free for the producer again at once; their pages are
 * gathered in @ctx->reset_words, and the caller re-protects them with''')
a = s.index("/**\n * kvm_dirty_ring_alloc_reset_bitmaps()")
b = s.index("\treturn -ENOMEM;\n}\n\n", a) + len("\treturn -ENOMEM;\n}\n\n")
s = s[:a] + rd(T + ('rw_reserve.c' if vmring else 'rw_reserve9.c')) + s[b:]
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
	runs = NULL;
	r = 0;
out:
	mutex_unlock(&kvm->lock);
	kvfree(runs);
	return r;''')
s = rep(s, '''	ctx.runs = kvm->dirty_ring_runs;
	INIT_LIST_HEAD(&ctx.bitmaps);
''', '''	ctx.runs = kvm->dirty_ring_runs;
	ctx.reset_words = &kvm->dirty_ring_reset_words;
''')
if vmring:
    s = rep(s, '''		u32 entries = size / sizeof(struct kvm_dirty_gfn);

		r = kvm_dirty_ring_init(&kvm->vm_dirty_ring, -1, entries,
					entries / 2);
		if (!r) {''', '''		u32 entries = size / sizeof(struct kvm_dirty_gfn);

		/* Room for its entries in a reset first: it cannot be undone. */
		r = kvm_dirty_ring_reserve_reset(kvm, entries);
		if (!r)
			r = kvm_dirty_ring_init(&kvm->vm_dirty_ring, -1, entries,
						entries / 2);
		if (!r) {''')
wr(p, s)

# ---- kvm_dirty_ring.h
p = 'include/linux/kvm_dirty_ring.h'
s = rd(p)
a = s.index("/* Words of a memslot's reset bitmap re-protected per mmu_lock hold. */")
b = s.index("/*\n * Entries pushed and not yet taken back.")
s = s[:a] + rd(T + 'rw_hdr.h') + s[b:]
s = rep(s, ' * Harvested entries are carried from the ring to the reset bitmaps as runs:',
        ' * Harvested entries are carried from the ring to the reset words as runs:')
arg = 'struct kvm *kvm, u32 vm_entries' if vmring else 'struct kvm *kvm'
s = rep(s, '''static inline int kvm_dirty_ring_alloc_reset_bitmap(struct kvm_memory_slot *memslot)
{
	return 0;
}

static inline void kvm_dirty_ring_free_reset_bitmap(struct kvm_memory_slot *memslot)
{
}
''', '''static inline int kvm_dirty_ring_reserve_reset(%s)
{
	return 0;
}

static inline void kvm_dirty_ring_free_reset_words(struct kvm_dirty_ring_reset_words *rw)
{
}
''' % arg)
s, n = re.subn(r"/\* A memslot's reset bitmap: no KVM state beyond the memslot( \(KUnit too\))?\. \*/\n"
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
assert n == 1
s = rep(s, '''int kvm_dirty_ring_alloc(struct kvm_dirty_ring *ring, int index, u32 size);
''', '''int kvm_dirty_ring_alloc(struct kvm_dirty_ring *ring, int index, u32 size);
int kvm_dirty_ring_reserve_reset(%s);
''' % arg)
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
s = rep(s, '''	if (kvm->dirty_ring_size) {
		r = kvm_dirty_ring_alloc(&vcpu->dirty_ring,
					 id, kvm->dirty_ring_size);
		if (r)
			goto arch_vcpu_destroy;
	}
''', '''	if (kvm->dirty_ring_size) {
		/* Room for its entries in a reset, before one can see them. */
		r = kvm_dirty_ring_reserve_reset(kvm%s);
		if (r)
			goto arch_vcpu_destroy;
		r = kvm_dirty_ring_alloc(&vcpu->dirty_ring,
					 id, kvm->dirty_ring_size);
		if (r)
			goto arch_vcpu_destroy;
	}
''' % (', 0' if vmring else ''))
wr(p, s)

# ---- KUnit
p = 'virt/kvm/dirty_ring_test.c'
if os.path.exists(p):
    sys.argv = ['kt', p]
    exec(rd(T + 'rw_kunit.py'))

# ---- api.rst
p = 'Documentation/virt/kvm/api.rst'
s = rd(p)
if 'Part of that space is about one bit per page' in s:
    exec(rd(T + 'rw_api.py'))
    wr(p, s)

# ---- uAPI selftest
p = 'tools/testing/selftests/kvm/dirty_ring_uapi_test.c'
if os.path.exists(p):
    s = rd(p)
    s = s.replace('	/* Logging off and on again: a new reset bitmap, still re-protected. */',
                  '	/* Logging off and on again: still re-protected. */')
    wr(p, s)
