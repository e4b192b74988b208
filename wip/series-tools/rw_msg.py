import sys
i = int(sys.argv[1]); subj = sys.argv[2]
m = sys.stdin.read()
if subj.startswith('KVM: Coalesce a whole KVM_RESET_DIRTY_RINGS call per memslot'):
    m = open('/work/main/wip/series-tools/rw_msg9.txt').read()
elif subj.startswith('KVM: Add KUnit tests for the dirty ring core'):
    o = '''collect folds entries into, and the reset bitmaps that gather harvested
pages per memslot (pages in any order with duplicates, the memslot's
end, sparse and dense harvests, the summaries).'''
    assert o in m
    m = m.replace(o, '''collect folds entries into, and the reset words that gather harvested
pages (pages in any order with duplicates, the memslot's end, sparse and
dense harvests, room and slot ids).''')
elif subj.startswith('KVM: selftests: Add a test for the edges of the dirty'):
    o = '''A last case covers the reset bitmaps: 20 logging memslots, the first
half created before the ring is enabled (their bitmaps come from the
enable, the others' from their creation), written interleaved (page p of
every memslot, then page p + 1), harvested and reset. Every page must be
logged again in the next round, also after logging was turned off and on
again on some of the memslots, which frees and re-allocates their
bitmaps.'''
    assert o in m
    m = m.replace(o, '''A last case covers many memslots in one reset: 20 logging memslots, the
first half created before the ring is enabled, written interleaved (page
p of every memslot, then page p + 1), harvested and reset. Every page
must be logged again in the next round, also after logging was turned
off and on again on some of the memslots.''')
sys.stdout.write(m)
