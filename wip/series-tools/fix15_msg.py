#!/usr/bin/env python3
import sys
i = int(sys.argv[1])
s = sys.stdin.read()
if i == 15:
    old = '''sleeps in kvm_dirty_ring_wait() with no lock held, which might_sleep()
and lockdep assertions on mmu_lock, SRCU and slots_lock enforce.  KVM_RESET_DIRTY_RINGS wakes the waiters once it has
taken entries back.'''
    assert s.count(old) == 1, 'msg15'
    s = s.replace(old, '''sleeps in kvm_dirty_ring_wait() with no lock held, which might_sleep()
and lockdep assertions on mmu_lock, SRCU and slots_lock enforce.
KVM_RESET_DIRTY_RINGS wakes the waiters once it has taken entries back.''')
sys.stdout.write(s)
