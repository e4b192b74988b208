#!/usr/bin/env python3
"""Live-migrate the small guest of migrate.py with stock QEMU and with QEMU
patched for the series (qemu/patches), inside the test guest, and measure
what the guest and the migration see.  A measurement: it asserts only that
every migration that completed left identical memory.

Cells (each run REPEATS times, for the A/A spread):
  bitmap        stock QEMU, dirty-ring-size=0 (KVM_GET/CLEAR_DIRTY_LOG)
  stock-N       stock QEMU, dirty ring of N entries, exit mode
  wait-N        patched QEMU, dirty ring of N entries, per-VM ring,
                dirty-ring-wait=on: vCPUs wait in KVM for a reaper woken
                by poll() on the VM fd
  off-N         patched QEMU with dirty-ring-vm=off,dirty-ring-wait=off:
                stock behaviour from the patched build, the control that
                separates the two binaries' builds from the patches

Per run, over the migration (guest-of-L1 time: under -icount it counts
L1 instructions, 1 ns each):
  pages/s       pages the small guest wrote: rounds completed x 1024 / s
  exits/s       KVM_EXIT_DIRTY_RING_FULL exits of the source's vCPUs per
                second; each one takes QEMU's BQL in the vCPU thread to
                reap every ring (kvm_cpu_exec()), so this is also the rate
                of BQL acquisitions by vCPU threads for reaping
  waits         dirty_ring_waits of the source's vCPUs
  total, downtime  query-migrate's total-time and downtime (ms)
  converged     whether the migration completed within TIMEOUT seconds

usage: bench_migrate.py [--repeats=N] [--delay=TSC] [--smp=N] [--cells=RE] RING...
(--cells: only the cells whose name matches the regex)
(env QEMU_PATCHED: the patched qemu-system-x86_64)
Prints one "csv:" line per run and a markdown table of medians.
"""
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import migrate  # noqa: E402

TIMEOUT = 300
FIELDS = ["cell", "run", "ring", "pages_per_s", "exits_per_s", "exits", "waits",
          "total_ms", "downtime_ms", "syncs", "mib_sent", "converged", "identical"]


def last_round(name):
    rounds = [int(x.split()[0]) for x in
              open(f"/tmp/{name}.serial", errors="replace").read().split("l2: round ")[1:]
              if x.split() and x.split()[0].isdigit()]
    return rounds[-1] if rounds else 0


def vcpu_stats(q):
    return migrate.kvm_stats(q, "vcpu", ["dirty_ring_full_exits", "dirty_ring_waits"])


def run(cell, n, kernel, ring, qemu, accel):
    migrate.QEMU, migrate.ACCEL = qemu, accel
    src, src_mem = migrate.qemu(kernel, None, ring, "src", [])
    dst, dst_mem = migrate.qemu(kernel, None, ring, "dst",
                                ["-S", "-incoming", "unix:/tmp/mig.sock"])
    try:
        s, d = migrate.qmp("/tmp/src.qmp"), migrate.qmp("/tmp/dst.qmp")
        migrate.wait_dirtying(src, "src")
        s("migrate-set-capabilities", capabilities=[{"capability": "events", "state": False}])
        s("migrate-set-parameters", **{"max-bandwidth": 1 << 30})
        before, r0, t0 = vcpu_stats(s), last_round("src"), time.time()
        s("migrate", uri="unix:/tmp/mig.sock")
        while True:
            st = s("query-migrate")
            if st.get("status") in ("completed", "failed", "cancelled"):
                break
            if time.time() - t0 > TIMEOUT:
                s("migrate_cancel")
                break
            time.sleep(0.2)
        secs, r1 = time.time() - t0, last_round("src")
        after = vcpu_stats(s)
        converged = st.get("status") == "completed"
        identical = None
        if converged:
            for _ in range(600):
                if d("query-migrate").get("status") == "completed":
                    break
                time.sleep(0.1)
            s("stop")
            identical = not migrate.differing_pages(src_mem, dst_mem)[0]
        exits = after.get("dirty_ring_full_exits", 0) - before.get("dirty_ring_full_exits", 0)
        ram = st.get("ram", {})
        row = {"cell": cell, "run": n, "ring": ring,
               "pages_per_s": round((r1 - r0) * 1024 / secs),
               "exits_per_s": round(exits / secs, 2), "exits": exits,
               "waits": after.get("dirty_ring_waits", 0) - before.get("dirty_ring_waits", 0),
               "total_ms": st.get("total-time", ""), "downtime_ms": st.get("downtime", ""),
               "syncs": ram.get("dirty-sync-count", ""),
               "mib_sent": ram.get("transferred", 0) >> 20,
               "converged": converged, "identical": identical}
        print("csv:" + ",".join(str(row[f]) for f in FIELDS), flush=True)
        return row
    finally:
        migrate.stop((src, src_mem), (dst, dst_mem))


def main():
    repeats, delay, rings, only = 2, 0x40000000, [], None
    for a in sys.argv[1:]:
        if a.startswith("--repeats="):
            repeats = int(a.split("=", 1)[1])
        elif a.startswith("--delay="):
            delay = int(a.split("=", 1)[1], 0)
        elif a.startswith("--smp="):
            migrate.SMP = a.split("=", 1)[1]
        elif a.startswith("--cells="):
            only = a.split("=", 1)[1]
        else:
            rings.append(int(a))
    patched = os.environ.get("QEMU_PATCHED") or sys.exit("QEMU_PATCHED not set")
    os.makedirs("/tmp/migrate", exist_ok=True)
    kernel = migrate.make_l2_dirty("/tmp/migrate", delay)
    cells = [("bitmap", 0, "qemu-system-x86_64", "")]
    for r in rings:
        cells.append((f"stock-{r}", r, "qemu-system-x86_64", ""))
        cells.append((f"wait-{r}", r, patched, ",dirty-ring-vm=on,dirty-ring-wait=on"))
        cells.append((f"off-{r}", r, patched, ",dirty-ring-vm=off,dirty-ring-wait=off"))
    if only:
        cells = [c for c in cells if migrate.re.search(only, c[0])]
    print(f"# small guest: l2-dirty.S, round delay {delay:#x} TSC cycles, "
          f"-smp {migrate.SMP} (one vCPU writes), {repeats} runs per cell, "
          f"max-bandwidth 1 GiB/s, timeout {TIMEOUT} s")
    print("csv:" + ",".join(FIELDS), flush=True)
    rows = []
    # Interleaved, so that a slow phase of the host touches every cell.
    for n in range(repeats):
        for cell, ring, qemu, accel in cells:
            rows.append(run(cell, n, kernel, ring, qemu, accel))

    print("\n| cell | pages/s (runs) | exits/s | waits | total ms | downtime ms | converged |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for cell, *_ in cells:
        rs = [r for r in rows if r["cell"] == cell]
        med = lambda k: statistics.median([r[k] for r in rs if r[k] != ""]) \
            if any(r[k] != "" for r in rs) else ""
        print(f"| {cell} | {med('pages_per_s'):.0f} ({', '.join(str(r['pages_per_s']) for r in rs)}) "
              f"| {med('exits_per_s')} | {med('waits')} | {med('total_ms')} | {med('downtime_ms')} "
              f"| {sum(r['converged'] for r in rs)}/{len(rs)} |")
    bad = [r for r in rows if r["identical"] is False]
    if bad:
        print(f"FAIL: memory differs after {len(bad)} migration(s)")
        sys.exit(1)


if __name__ == "__main__":
    main()
