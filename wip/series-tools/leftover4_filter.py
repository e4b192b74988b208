#!/usr/bin/env python3
"""A bitmap nobody can read takes no page, from patch 4 on (was in 10)."""
import sys
i = int(sys.argv[1])
if i < 4:
    sys.exit(0)
if 9 <= i <= 20:
    f = 'Documentation/virt/kvm/api.rst'
    t = open(f).read()
    A = '''page goes to the memslot's bitmap when it has one; otherwise it is not
reported, and the vCPU statistic ``dirty_ring_overflows`` counts it.'''
    A2 = '''page goes to the memslot's bitmap if userspace can read it
(KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP); otherwise it is not reported, and the
vCPU statistic ``dirty_ring_overflows`` counts it.'''
    B = '''exhausted anyway, the page goes to the memslot's bitmap when it has one;
otherwise it is not reported, and the vCPU statistic
``dirty_ring_overflows`` counts it.'''
    B2 = '''exhausted anyway, the page goes to the memslot's bitmap if userspace can
read it (KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP); otherwise it is not
reported, and the vCPU statistic ``dirty_ring_overflows`` counts it.'''
    na, nb = t.count(A), t.count(B)
    if na + nb != 1:
        sys.exit(f'commit {i}: api {na} {nb}')
    t = t.replace(A, A2).replace(B, B2)
    open(f, 'w').write(t)
if i > 9:
    sys.exit(0)
def sub(s, old, new, what):
    if s.count(old) != 1:
        sys.exit(f'commit {i}: {what}: {s.count(old)}')
    return s.replace(old, new)
f = 'virt/kvm/kvm_main.c'
s = open(f).read()
s = sub(s, '''#ifdef CONFIG_HAVE_KVM_DIRTY_RING
	if (kvm->dirty_ring_size && mark_page_dirty_in_ring(kvm, memslot, gfn))
		return;
#endif
	if (memslot->dirty_bitmap)
		set_bit_le(gfn - memslot->base_gfn, memslot->dirty_bitmap);
}''', '''#ifdef CONFIG_HAVE_KVM_DIRTY_RING
	if (kvm->dirty_ring_size && mark_page_dirty_in_ring(kvm, memslot, gfn))
		return;
#endif
	/*
	 * A memslot that logged dirty pages before the ring was enabled keeps
	 * its bitmap until its flags change, but without WITH_BITMAP nobody
	 * can read it: KVM_GET_DIRTY_LOG fails.
	 */
	if (memslot->dirty_bitmap && kvm_use_dirty_bitmap(kvm))
		set_bit_le(gfn - memslot->base_gfn, memslot->dirty_bitmap);
}''', 'mark')
s = sub(s, '''	/*
	 * If dirty logging is disabled, nullify the bitmap; the old bitmap
	 * will be freed on "commit".  If logging is enabled in both old and
	 * new, reuse the existing bitmap.  If logging is enabled only in the
	 * new and KVM isn't using a ring buffer, allocate and initialize a
	 * new bitmap.
	 */
	if (change != KVM_MR_DELETE) {
		if (!(new->flags & KVM_MEM_LOG_DIRTY_PAGES))
			new->dirty_bitmap = NULL;
		else if (old && old->dirty_bitmap)
			new->dirty_bitmap = old->dirty_bitmap;
		else if (kvm_use_dirty_bitmap(kvm)) {''', '''	/*
	 * If dirty logging is disabled, or KVM uses a ring buffer without
	 * KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP (nobody could read a bitmap, even
	 * one the memslot kept from before the ring was enabled), nullify the
	 * bitmap; the old bitmap will be freed on "commit".  If logging is
	 * enabled in both old and new, reuse the existing bitmap.  If logging
	 * is enabled only in the new, allocate and initialize a new bitmap.
	 */
	if (change != KVM_MR_DELETE) {
		if (!(new->flags & KVM_MEM_LOG_DIRTY_PAGES) || !kvm_use_dirty_bitmap(kvm)) {
			new->dirty_bitmap = NULL;
		} else if (old && old->dirty_bitmap) {
			new->dirty_bitmap = old->dirty_bitmap;
		} else {''', 'prepare')
open(f, 'w').write(s)
