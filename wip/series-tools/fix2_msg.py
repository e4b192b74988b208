#!/usr/bin/env python3
import sys
i = int(sys.argv[1])
s = sys.stdin.read()
if i == 15:
    paras = s.split('\n\n')
    paras = [p for p in paras if not p.startswith('kvm_dirty_ring_check_request() computes the exit flags once')]
    s = '\n\n'.join(paras)
elif i == 21:
    old = 'On the same VM, with vCPUs that are not in its vCPU array, the suite'
    assert s.count(old) == 1
    s = s.replace(old, '''A case on the same VM checks this patch's report: a page lost to a
completely full vCPU ring makes one exit carry VCPU | VCPU_LOST, is
pending until then, and is reported once.

On the same VM, with vCPUs that are not in its vCPU array, the suite''')
    old = '''when the VM dies, as no ioctl, so no reset, runs on a dead VM.  A kernel
whose wait ignores kvm_vm_dead() fails that case after 10 seconds.'''
    if s.count(old) == 1:
        s = s.replace(old, '''when the VM dies, as no ioctl, so no reset, runs on a dead VM.  A kernel
whose wait ignores the VM's death fails that case after 10 seconds.''')
sys.stdout.write(s)
