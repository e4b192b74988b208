#!/usr/bin/env python3
import sys
i = int(sys.argv[1])
s = sys.stdin.read()
def sub(old, new):
    global s
    if s.count(old) != 1:
        sys.exit(f'msg {i}: not found: {old[:60]!r}')
    s = s.replace(old, new)
if i == 4:
    sub('''cost one mmu_lock round trip per page.  The keys buffer is allocated
   on the first reset and kept with the VM.''', '''cost one mmu_lock round trip per page.  The keys buffer is allocated
   when the ring is enabled (KVM_ENABLE_CAP fails with ENOMEM instead)
   and kept with the VM: a reset must never fail for lack of memory, as
   QEMU asserts its count.''')
elif i == 10:
    sub('''

Enabling the vCPU rings now also allocates KVM_RESET_DIRTY_RINGS' scratch
space (-ENOMEM there, documented), instead of the first reset: a reset
must never fail for lack of memory, as QEMU asserts its count.  The ring
size is published after it with release semantics, for the reset's
unlocked check.''', '')
sys.stdout.write(s)
