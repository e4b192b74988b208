#!/usr/bin/env python3
"""Compare QEMU's dirty-rate estimates on KVM's dirty ring with page
sampling, inside the test guest, and count the ring entries behind them.

QEMU's calc-dirty-rate in dirty-ring mode counts the entries it reaps from
the vCPU rings over the measurement; page-sampling mode hashes a sample of
guest pages before and after.  On a steady dirtier the two agree if the
kernel reports each dirtied page once per reset.  This boots the small
guest of migrate.py (which rewrites tmpfs files without pause) and prints,
per ring size, both estimates and the vCPU's dirty_ring_pushes and
dirty_ring_full_exits and the VM's dirty_ring_entries_reset over each
dirty-ring measurement.  It asserts nothing: it is a measurement.

usage: dirtyrate.py KERNEL RING_ENTRIES [RING_ENTRIES...]
(KERNEL: a Linux bzImage, for its steady dirtier; see migrate.py)
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import migrate  # noqa: E402

stats = migrate.kvm_stats


def rate(q, mode, secs):
    q("calc-dirty-rate", **{"calc-time": secs, "mode": mode})
    for _ in range(600):
        r = q("query-dirty-rate")
        if r.get("status") == "measured":
            return r.get("dirty-rate")
        time.sleep(0.2)
    raise RuntimeError(f"calc-dirty-rate {mode} never finished: {r}")


def one(kernel, initrd, ring, secs=2, rounds=2):
    src, mem = migrate.qemu(kernel, initrd, ring, "src", [])
    try:
        q = migrate.qmp("/tmp/src.qmp")
        migrate.wait_dirtying(src, "src")
        vnames = ["dirty_ring_pushes", "dirty_ring_full_exits"]
        for i in range(rounds):
            a, va = stats(q, "vcpu", vnames), stats(q, "vm", ["dirty_ring_entries_reset"])
            ring_rate = rate(q, "dirty-ring", secs)
            b, vb = stats(q, "vcpu", vnames), stats(q, "vm", ["dirty_ring_entries_reset"])
            sample_rate = rate(q, "page-sampling", secs)
            d = {k: b.get(k, 0) - a.get(k, 0) for k in vnames}
            reset = vb.get("dirty_ring_entries_reset", 0) - va.get("dirty_ring_entries_reset", 0)
            print(f"ring {ring} round {i}: dirty-ring {ring_rate} MB/s, page-sampling "
                  f"{sample_rate} MB/s; over the dirty-ring measurement: pushes "
                  f"{d['dirty_ring_pushes']} ({d['dirty_ring_pushes'] * 4096 / secs / 1e6:.1f} MB/s "
                  f"of entries), ring-full exits {d['dirty_ring_full_exits']}, entries reset "
                  f"{reset}", flush=True)
    finally:
        migrate.stop((src, mem))


def main():
    kernel, rings, initrd = migrate.setup("/tmp/dirtyrate")
    for ring in rings:
        one(kernel, initrd, ring)


if __name__ == "__main__":
    main()
