#!/usr/bin/env python3
import sys
i = int(sys.argv[1])
def fix(f, old, new):
    s = open(f).read()
    if s.count(old) != 1:
        sys.exit(f'commit {i}: {f}: {s.count(old)} x {old[:50]!r}')
    open(f, 'w').write(s.replace(old, new))
if i == 15:
    fix('virt/kvm/dirty_ring.c', ''' * kvm->dirty_ring_irq_work, which runs in hard IRQ context outside of
 * whatever the pusher holds; nothing is printed.  The only lock taken is vm_dirty_ring_lock, a raw spinlock that
 * is the innermost lock of every path that takes it.''', ''' * kvm->dirty_ring_irq_work, which runs in hard IRQ context outside of
 * whatever the pusher holds; nothing is printed.  The only lock taken is
 * vm_dirty_ring_lock, a raw spinlock that is the innermost lock of every
 * path that takes it.''')
f = 'virt/kvm/dirty_ring_test.c'
try:
    s = open(f).read()
except FileNotFoundError:
    sys.exit(0)
if 'dirty_ring_test_vm_dead_ends_wait' in s:
    fix(f, '''	for (i = 0; i < 1000 && !waiters; i++) {
		msleep(10);''', '''	for (i = 0; i < 500 && !waiters; i++) {
		msleep(20);''')
