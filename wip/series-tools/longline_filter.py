#!/usr/bin/env python3
import re, sys, textwrap
i = int(sys.argv[1])
if i < 16:
    sys.exit(0)
f = 'Documentation/virt/kvm/api.rst'
s = open(f).read()
def reflow(start, end):
    """Reflow the lines from the one holding `start` to the one holding `end`."""
    global s
    a = s.find(start)
    if a < 0:
        return
    a = s.rfind('\n', 0, a) + 1
    b = s.find(end, a)
    if b < 0 or b - a > 2000:
        sys.exit(f'commit {i}: end not found for {start[:40]!r}')
    b = s.find('\n', b) + 1
    chunk = re.sub(r'\s*\n\s*', ' ', s[a:b].strip())
    chunk = chunk.replace('.  ', '.\x01 ').replace(':  ', ':\x01 ')
    out = textwrap.fill(chunk, width=75, break_long_words=False,
                        break_on_hyphens=False)
    out = out.replace('\x01 ', '  ').replace('\x01\n', '\n').replace('\x01', '')
    s = s[:a] + out + '\n' + s[b:]
reflow('so does the death of the VM (after an internal KVM error', '``dirty_ring_waits`` counts the waits.')
reflow('therefore be added after KVM_CAP_DIRTY_LOG_RING is enabled', 'soft limit; poll() itself always reads the current state.')
reflow('A loss is visible on the VM fd as well, for a VMM', 'of guest memory).')
open(f, 'w').write(s)
