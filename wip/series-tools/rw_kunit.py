s=open(p).read()
def krep(o,n,c=1):
    global s
    assert s.count(o)==c,(o[:70],s.count(o))
    s=s.replace(o,n)
a=s.index("static void free_reset_slot(void *memslot)")
b=s.index("static unsigned long nonzero_words(")
s=s[:a]+'''/* A memslot and reset words for its pages, as a reset sees them. */
struct test_slot {
	struct kvm_memory_slot memslot;
	struct kvm_dirty_ring_reset_words rw;
};

static struct kvm_dirty_ring_reset_words *test_words(struct kvm_memory_slot *memslot)
{
	return &container_of(memslot, struct test_slot, memslot)->rw;
}

static void free_test_slot(void *memslot)
{
	kvm_dirty_ring_free_reset_words(test_words(memslot));
}

/*
 * A memslot of @npages pages, id @id in address space @as_id, with reset
 * words holding at least @max words; freed with the test.
 */
static struct kvm_memory_slot *alloc_test_slot(struct kunit *test,
					       unsigned long npages, u32 max,
					       u16 as_id, short id)
{
	struct test_slot *ts = kunit_kzalloc(test, sizeof(*ts), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, ts);
	ts->memslot.npages = npages;
	ts->memslot.as_id = as_id;
	ts->memslot.id = id;
	KUNIT_ASSERT_EQ(test, kvm_dirty_ring_alloc_reset_words(&ts->rw, max), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, free_test_slot,
							&ts->memslot), 0);
	return &ts->memslot;
}

static struct kvm_memory_slot *alloc_test_memslot(struct kunit *test,
						  unsigned long npages, u32 max)
{
	return alloc_test_slot(test, npages, max, 0, 0);
}

/* Gather one page, as a run of one entry in the reset does. */
static bool mark_page(struct kvm_memory_slot *memslot, u64 offset)
{
	return kvm_dirty_ring_mark_reset(test_words(memslot), memslot,
					 offset / BITS_PER_LONG,
					 BIT(offset % BITS_PER_LONG));
}

/*
 * Walk @memslot's reset words as the reset does, ORing every word into
 * @pages (a bitmap of npages bits).  Each word must come once, name the
 * memslot, never be empty, and the reset words must be empty afterwards,
 * every bucket included.  Returns the number of words: the masked
 * re-protects of a reset.
 */
static unsigned long walk(struct kunit *test, struct kvm_memory_slot *memslot,
			  unsigned long *pages)
{
	struct kvm_dirty_ring_reset_words *rw = test_words(memslot);
	unsigned long words = BITS_TO_LONGS(memslot->npages), *seen;
	u32 slot = (u32)memslot->as_id << 16 | (u16)memslot->id;
	u32 i, nr = rw->nr;

	seen = kunit_kcalloc(test, BITS_TO_LONGS(words), sizeof(long), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, seen);
	KUNIT_ASSERT_LE(test, nr, rw->max);
	for (i = 0; i < nr; i++) {
		const struct kvm_dirty_ring_run *w = &rw->words[i];

		KUNIT_ASSERT_EQ(test, w->slot, slot);
		KUNIT_ASSERT_LT(test, w->word, words);
		KUNIT_ASSERT_NE(test, w->mask, 0);
		KUNIT_ASSERT_FALSE(test, __test_and_set_bit(w->word, seen));
		pages[w->word] |= w->mask;
	}
	kvm_dirty_ring_clear_reset_words(rw);
	KUNIT_EXPECT_EQ(test, rw->nr, 0);
	for (i = 0; i < 2 * rw->max; i++)
		KUNIT_ASSERT_EQ(test, rw->buckets[i], 0);
	kunit_kfree(test, seen);
	return nr;
}

'''+s[b:]
krep('''/* Pages gathered in order fold into full words. */
static void dirty_ring_test_reset_sequential(struct kunit *test)
{
	struct kvm_memory_slot *memslot = alloc_test_memslot(test, 256);
	unsigned long pages[BITS_TO_LONGS(256)] = {};
	u32 i;

	for (i = 0; i < 256; i++)
		KUNIT_ASSERT_TRUE(test, mark_page(memslot, i));
	KUNIT_EXPECT_EQ(test, walk(test, memslot, pages), 256 / BITS_PER_LONG);''','''/* Pages gathered in order fold into full words, kept in that order. */
static void dirty_ring_test_reset_sequential(struct kunit *test)
{
	struct kvm_memory_slot *memslot = alloc_test_memslot(test, 256, 256);
	unsigned long pages[BITS_TO_LONGS(256)] = {};
	u32 i;

	for (i = 0; i < 256; i++)
		KUNIT_ASSERT_TRUE(test, mark_page(memslot, i));
	for (i = 0; i < 256 / BITS_PER_LONG; i++)
		KUNIT_EXPECT_EQ(test, test_words(memslot)->words[i].word, i);
	KUNIT_EXPECT_EQ(test, walk(test, memslot, pages), 256 / BITS_PER_LONG);''')
krep('''	struct kvm_memory_slot *memslot = alloc_test_memslot(test, npages);
	u32 *order, n, i, round;''','''	struct kvm_memory_slot *memslot = alloc_test_memslot(test, npages, 2 * npages);
	u32 *order, n, i, round;''')
krep('''		struct kvm_memory_slot *memslot = alloc_test_memslot(test, npages);

		KUNIT_EXPECT_TRUE(test, mark_page(memslot, 0));''','''		struct kvm_memory_slot *memslot = alloc_test_memslot(test, npages, 8);

		KUNIT_EXPECT_TRUE(test, mark_page(memslot, 0));''')
krep('''		struct kvm_memory_slot *memslot = alloc_test_memslot(test, 100);
''','''		struct kvm_memory_slot *memslot = alloc_test_memslot(test, 100, 64);
''',2)
krep('''		KUNIT_EXPECT_FALSE(test, kvm_dirty_ring_mark_reset(memslot, last, ~0UL));
		KUNIT_EXPECT_FALSE(test, kvm_dirty_ring_mark_reset(memslot, last + 1, 1));
		KUNIT_EXPECT_TRUE(test, kvm_dirty_ring_mark_reset(memslot, 0, 0));''','''		struct kvm_dirty_ring_reset_words *rw = test_words(memslot);

		KUNIT_EXPECT_FALSE(test, kvm_dirty_ring_mark_reset(rw, memslot, last, ~0UL));
		KUNIT_EXPECT_FALSE(test, kvm_dirty_ring_mark_reset(rw, memslot, last + 1, 1));
		KUNIT_EXPECT_TRUE(test, kvm_dirty_ring_mark_reset(rw, memslot, 0, 0));''')
a=s.index("/*\n * A sparse harvest of a large slot sets only the summary bits")
b=s.index("/* Entries handed back equal entries harvested, over many laps. */")
s=s[:a]+'''/*
 * The reset words are sized by the entries harvested, not by the memslot: a
 * sparse harvest of a 4 GiB memslot fits in room for its entries, a word
 * per page; a dense one of 128 MiB folds into full words.
 */
static void dirty_ring_test_reset_sparse_dense(struct kunit *test)
{
	const unsigned long big = 1UL << 20;	/* 4 GiB of 4 KiB pages */
	const unsigned long dense = 32768;	/* 128 MiB */
	const u32 sparse = big / 1000;		/* 0.1 % */
	struct kvm_memory_slot *memslot = alloc_test_memslot(test, big, sparse);
	unsigned long *want, *got;
	u32 i;

	KUNIT_EXPECT_EQ(test, test_words(memslot)->max, roundup_pow_of_two(sparse));
	want = kunit_kcalloc(test, BITS_TO_LONGS(big), sizeof(long), GFP_KERNEL);
	got = kunit_kcalloc(test, BITS_TO_LONGS(big), sizeof(long), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, want);
	KUNIT_ASSERT_NOT_NULL(test, got);

	for (i = 0; i < sparse; i++) {
		u32 page = get_random_u32_below(big);

		__set_bit(page, want);
		KUNIT_ASSERT_TRUE(test, mark_page(memslot, page));
	}
	KUNIT_EXPECT_EQ(test, test_words(memslot)->nr, nonzero_words(want, big));
	KUNIT_EXPECT_EQ(test, walk(test, memslot, got), nonzero_words(want, big));
	KUNIT_EXPECT_TRUE(test, bitmap_equal(want, got, big));

	memslot = alloc_test_memslot(test, dense, dense);
	for (i = 0; i < dense; i++)
		KUNIT_ASSERT_TRUE(test,
				  mark_page(memslot, (i * 7919) % dense));
	bitmap_zero(got, dense);
	KUNIT_EXPECT_EQ(test, walk(test, memslot, got), dense / BITS_PER_LONG);
	KUNIT_EXPECT_TRUE(test, bitmap_full(got, dense));
}

/*
 * Room grows to a power of two of words and never shrinks; pages of words
 * already gathered fold in without taking room.  The same word of
 * memslots with another id or address space is another word.
 */
static void dirty_ring_test_reset_words_room(struct kunit *test)
{
	struct kvm_memory_slot *memslot = alloc_test_memslot(test, 1024, 3);
	struct kvm_dirty_ring_reset_words *rw = test_words(memslot);
	struct kvm_memory_slot *other[3];
	unsigned long pages[BITS_TO_LONGS(1024)] = {};
	u32 i;

	KUNIT_EXPECT_EQ(test, rw->max, 4);
	KUNIT_EXPECT_EQ(test, kvm_dirty_ring_alloc_reset_words(rw, 2), 0);
	KUNIT_EXPECT_EQ(test, rw->max, 4);
	KUNIT_EXPECT_EQ(test, kvm_dirty_ring_alloc_reset_words(rw, 5), 0);
	KUNIT_EXPECT_EQ(test, rw->max, 8);

	for (i = 0; i < 7; i++)
		KUNIT_ASSERT_TRUE(test, mark_page(memslot, i * BITS_PER_LONG));
	for (i = 0; i < 7; i++)
		KUNIT_ASSERT_TRUE(test, mark_page(memslot, i * BITS_PER_LONG + 1));
	KUNIT_EXPECT_EQ(test, rw->nr, 7);
	KUNIT_ASSERT_TRUE(test, mark_page(memslot, 7 * BITS_PER_LONG));
	KUNIT_EXPECT_EQ(test, rw->nr, 8);
	KUNIT_EXPECT_EQ(test, walk(test, memslot, pages), 8);
	KUNIT_EXPECT_EQ(test, bitmap_weight(pages, 1024), 15);

	other[0] = alloc_test_slot(test, 1024, 8, 0, 1);
	other[1] = alloc_test_slot(test, 1024, 8, 1, 0);
	other[2] = alloc_test_slot(test, 1024, 8, 1, 1);
	for (i = 0; i < ARRAY_SIZE(other); i++) {
		KUNIT_ASSERT_TRUE(test, kvm_dirty_ring_mark_reset(rw, other[i], 5, 1));
		KUNIT_ASSERT_TRUE(test, kvm_dirty_ring_mark_reset(rw, memslot, 5, 2));
	}
	KUNIT_EXPECT_EQ(test, rw->nr, 4);
	KUNIT_EXPECT_EQ(test, rw->words[0].slot, 1);
	KUNIT_EXPECT_EQ(test, rw->words[1].slot, 0);
	KUNIT_EXPECT_EQ(test, rw->words[1].mask, 2);
	KUNIT_EXPECT_EQ(test, rw->words[2].slot, 1 << 16);
	KUNIT_EXPECT_EQ(test, rw->words[3].slot, 1 << 16 | 1);
	kvm_dirty_ring_clear_reset_words(rw);
	for (i = 0; i < 2 * rw->max; i++)
		KUNIT_ASSERT_EQ(test, rw->buckets[i], 0);
}

'''+s[b:]
krep('''	KUNIT_CASE(dirty_ring_test_reset_sparse_dense),
''','''	KUNIT_CASE(dirty_ring_test_reset_sparse_dense),
	KUNIT_CASE(dirty_ring_test_reset_words_room),
''')
krep(''' * the entry protocol as userspace drives it, and the reset bitmaps that
 * gather harvested pages per memslot''',''' * the entry protocol as userspace drives it, and the reset words that
 * gather harvested pages''')
if 'INIT_LIST_HEAD(&s->ctx.bitmaps)' in s:
    krep('''	INIT_LIST_HEAD(&s->ctx.bitmaps);
''','''	s->ctx.reset_words = &kvm->dirty_ring_reset_words;
''')
if 'list_empty(&s->ctx.bitmaps)' in s:
    krep('''	KUNIT_EXPECT_TRUE(test, list_empty(&s->ctx.bitmaps));
''','''	KUNIT_EXPECT_EQ(test, s->ctx.reset_words->nr, 0);
''')
open(p,'w').write(s)
