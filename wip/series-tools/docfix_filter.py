#!/usr/bin/env python3
"""api.rst as a VMM developer reads it: the reset's count, EIO, the exit's
flags, which vCPU is vCPU 0, irqfd writes."""
import re, sys, textwrap
i = int(sys.argv[1])
f = 'Documentation/virt/kvm/api.rst'
s = open(f).read()
def wsre(text):
    return r'\s+'.join(re.escape(w) for w in text.split())
def reflow_at(anchor):
    global s
    k = s.find(anchor)
    if k < 0:
        sys.exit(f'commit {i}: anchor {anchor[:40]!r}')
    a = s.rfind('\n\n', 0, k) + 2
    b = s.find('\n\n', k)
    chunk = re.sub(r'\s*\n\s*', ' ', s[a:b].strip())
    chunk = chunk.replace('.  ', '.\x01 ').replace(':  ', ':\x01 ')
    out = textwrap.fill(chunk, width=75, break_long_words=False, break_on_hyphens=False)
    out = out.replace('\x01 ', '  ').replace('\x01\n', '\n').replace('\x01', '')
    s = s[:a] + out + s[b:]
def rep(old, new, anchor, need):
    global s
    s2, n = re.subn(wsre(old), new.replace('\\', r'\\'), s)
    if n > 1 or (need and n == 0):
        sys.exit(f'commit {i}: {n} x {old[:50]!r}')
    if n:
        s = s2
        reflow_at(anchor)
if i >= 9:
    rep('taken back: exactly the number of entries userspace marked RESET since the previous call, across all rings.',
        'taken back, across all rings: every entry userspace marked RESET before the call reached its ring.  A VMM that does not harvest while it resets (QEMU holds one lock for both) gets exactly the number of entries it marked since the previous call.',
        'across all rings: every entry userspace marked RESET', True)
    rep('It fails with EINVAL if the capability was not enabled.',
        'It fails with EINVAL if the capability was not enabled, and with EIO on a VM that has died (after an internal KVM error), as every VM ioctl does.',
        'and with EIO on a VM that has died', True)
if i >= 11:
    rep('KVM_EXIT_DIRTY_RING_FULL: a dirty ring reached its soft limit (section 8.29).',
        'KVM_EXIT_DIRTY_RING_FULL: a dirty ring reached its soft limit, or pages were lost to a completely full one (section 8.29).',
        'KVM_EXIT_DIRTY_RING_FULL: a dirty ring reached its soft limit', True)
    rep('At least one flag is set.',
        'At least one flag is set, and several may be.',
        'At least one flag is set, and several may be.', True)
    rep("KVM writes 'flags' on every KVM_EXIT_DIRTY_RING_FULL if KVM_CHECK_EXTENSION(KVM_CAP_DIRTY_LOG_RING_VM) is non-zero.",
        "KVM writes 'flags' on every KVM_EXIT_DIRTY_RING_FULL if KVM_CHECK_EXTENSION(KVM_CAP_DIRTY_LOG_RING_VM), on /dev/kvm or on the VM fd, is non-zero, whether or not the per-VM ring is enabled.",
        "KVM writes 'flags' on every", True)
    rep('vCPU 0 (the first vCPU created)',
        'vCPU 0 (the vCPU created first, whatever id KVM_CREATE_VCPU gave it)',
        'vCPU 0 (the vCPU created first', True)
    rep("from interrupt context (an irqfd delivery interrupting even the vCPU's own task).",
        "from hard interrupt context (an irqfd delivery interrupting even the vCPU's own task; one made synchronously by the task of a running vCPU goes to that vCPU's ring, section 8.29).",
        'from hard interrupt context (an irqfd delivery', True)
open(f, 'w').write(s)
