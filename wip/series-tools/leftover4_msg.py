#!/usr/bin/env python3
import sys
i = int(sys.argv[1])
s = sys.stdin.read()
para = '''A memslot that logged dirty pages before the ring was enabled keeps a
bitmap that KVM_GET_DIRTY_LOG refuses to return (ENXIO).  The push path
used to put pages there, where nobody could read them and no loss was
counted; it now ignores a bitmap without WITH_BITMAP, and the memslot's
next flags change or move frees it.

'''
if i == 10:
    if s.count(para) != 1:
        sys.exit('msg 10')
    s = s.replace(para, '')
elif i == 4:
    old = 'Signed-off-by: kvm-dirty-ring <kdr@localhost>'
    s = s.replace(old, '''A page that finds its ring completely full falls back to the memslot's
bitmap only where userspace can read it: with the ring enabled, that is
KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP.  A memslot that logged dirty pages
before the ring was enabled keeps a bitmap that KVM_GET_DIRTY_LOG refuses
to return (ENXIO); the push path puts nothing there, and the memslot's
next flags change or move frees it.

''' + old, 1)
sys.stdout.write(s)
