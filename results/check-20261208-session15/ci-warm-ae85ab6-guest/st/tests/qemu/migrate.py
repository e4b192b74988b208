#!/usr/bin/env python3
"""Live-migrate a small guest with QEMU on KVM's dirty ring, inside the test
guest, and check that the destination's memory equals the source's.

Both QEMUs back guest RAM with a shared file in /dev/shm, so once the
migration has completed (source stopped, destination started with -S and
never resumed) the two files must be identical, page for page: a page the
dirty ring failed to report would have been sent with stale contents.

The small guest is l2-dirty.S, a multiboot kernel built here that starts in
milliseconds and writes bursts of 1024 pages scattered over its memory
(see there).  With a Linux bzImage as first argument it boots that instead,
with no-kvmclock (the kvmclock page legitimately differs even with the
bitmap) and l2-init, which rewrites tmpfs files without pause; booting it
takes minutes under nested TCG (dirtyrate.py uses it).

usage: migrate.py [OPTION...] [KERNEL] RING_ENTRIES [RING_ENTRIES...]

  --qemu=PATH       run this qemu-system-x86_64 instead of Debian's (make
                    qemu's build finds Debian's firmware by itself)
  --accel=PROPS     more kvm accelerator properties, e.g.
                    dirty-ring-vm=on,dirty-ring-wait=on
  --require=[RING:]STAT{==,>,<}N
                    a KVM statistic of the source's vCPUs (summed), read
                    after the migration, must compare so (only for RING
                    entries if given); a statistic KVM lacks fails too
  --expect-error=PROPS:TEXT
                    before migrating: QEMU started with these accelerator
                    properties must refuse to start, printing TEXT
"""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
MEM = "160M"
QEMU = "qemu-system-x86_64"
SMP = "1"
ACCEL = ""
REQUIRE = []            # (ring or None, stat, operator, value)
EXPECT_ERROR = []       # (accelerator properties, text)
OPS = {"==": lambda a, b: a == b, ">": lambda a, b: a > b, "<": lambda a, b: a < b}


def qmp(path):
    s = socket.socket(socket.AF_UNIX)
    for _ in range(600):
        try:
            s.connect(path)
            break
        except OSError:
            time.sleep(0.1)
    f = s.makefile("rw")
    json.loads(f.readline())  # greeting

    def cmd(name, **args):
        f.write(json.dumps({"execute": name, "arguments": args}) + "\n")
        f.flush()
        while True:
            r = json.loads(f.readline())
            if "return" in r or "error" in r:
                if "error" in r:
                    raise RuntimeError(f"{name}: {r['error']}")
                return r["return"]
    cmd("qmp_capabilities")
    return cmd


def kvm_stats(q, target, names):
    """KVM statistics @names of QMP target @target ("vm" or "vcpu"), each
    summed over the target's instances; {} if QEMU cannot tell."""
    try:
        r = q("query-stats", target=target,
              providers=[{"provider": "kvm", "names": names}])
    except RuntimeError:
        return {}
    out = {}
    for v in r:
        for st in v["stats"]:
            out[st["name"]] = out.get(st["name"], 0) + st["value"]
    return out


def differing_pages(path_a, path_b):
    """The numbers of the 4 KiB pages that differ between two memory
    files, and how many pages were compared."""
    diff, page = [], 0
    with open(path_a, "rb") as a, open(path_b, "rb") as b:
        while True:
            x, y = a.read(4096), b.read(4096)
            if not x and not y:
                break
            if x != y:
                diff.append(page)
            page += 1
    return diff, page


def make_initrd(work):
    root = os.path.join(work, "l2root")
    for d in ("bin", "dev", "proc", "sys", "tmp"):
        os.makedirs(os.path.join(root, d), exist_ok=True)
    shutil.copy(shutil.which("busybox"), os.path.join(root, "bin", "busybox"))
    shutil.copy(os.path.join(HERE, "l2-init"), os.path.join(root, "init"))
    initrd = os.path.join(work, "l2.cpio")
    subprocess.run(f"cd {root} && find . | cpio -o -H newc --quiet > {initrd}",
                   shell=True, check=True)
    return initrd


def make_l2_dirty(work, delay=None):
    """Build l2-dirty.S into a multiboot image in @work; return its path.
    @delay: TSC cycles between rounds, if not l2-dirty.S's default."""
    image = os.path.join(work, "l2-dirty.elf" if delay is None else f"l2-dirty-{delay:x}.elf")
    subprocess.run(["gcc", "-m32", "-nostdlib", "-static",
                    *([f"-DL2_DELAY={delay:#x}"] if delay is not None else []),
                    "-Wl,-n,-Ttext=0x100000,--build-id=none,--no-warn-rwx-segments",
                    "-o", image, os.path.join(HERE, "l2-dirty.S")], check=True)
    return image


def qemu(kernel, initrd, ring, name, extra):
    """Start a QEMU named @name (its serial log and QMP socket in /tmp) on
    @kernel: a Linux bzImage with @initrd, or with @initrd None the
    multiboot image of l2-dirty.S."""
    for suffix in (".qmp", ".serial"):
        if os.path.exists(f"/tmp/{name}{suffix}"):
            os.unlink(f"/tmp/{name}{suffix}")
    memfile = f"/dev/shm/{name}.ram"
    args = [QEMU, "-accel", f"kvm,dirty-ring-size={ring}{ACCEL}",
            "-cpu", "host", "-smp", SMP, "-m", MEM, "-nodefaults", "-no-user-config",
            "-object", f"memory-backend-file,id=ram,size={MEM},mem-path={memfile},share=on",
            "-machine", "pc,memory-backend=ram", "-display", "none",
            "-kernel", kernel,
            *(["-initrd", initrd, "-append",
               "console=ttyS0 no-kvmclock panic=-1 loglevel=4 mitigations=off"]
              if initrd else []),
            "-serial", f"file:/tmp/{name}.serial",
            "-qmp", f"unix:/tmp/{name}.qmp,server=on,wait=off"] + extra
    return subprocess.Popen(args), memfile


def expect_error(kernel, props, text):
    """QEMU with accelerator properties @props must refuse to start and say
    @text: the fallback on a kernel that lacks what they ask for."""
    p = subprocess.run([QEMU, "-accel", f"kvm,dirty-ring-size=1024,{props}",
                        "-cpu", "host", "-m", "32M", "-nodefaults", "-display", "none",
                        "-kernel", kernel, "-S"],
                       capture_output=True, text=True, timeout=120)
    out = (p.stdout + p.stderr).strip()
    ok = p.returncode != 0 and text in out
    print(f"{props}: QEMU exited {p.returncode}: {out[-300:]!r} "
          f"({'as expected' if ok else 'expected a failure naming ' + text})", flush=True)
    return ok


def check_requirements(ring, vals):
    """Check the --require'd statistics of ring size @ring in @vals."""
    ok = True
    for r, stat, op, want in REQUIRE:
        if r is not None and r != ring:
            continue
        got = vals.get(stat)
        good = got is not None and OPS[op](got, want)
        print(f"  ring {ring}: {stat} {got} (required {op} {want}): "
              f"{'ok' if good else 'FAIL'}", flush=True)
        ok = ok and good
    return ok


def wait_dirtying(proc, name):
    """Wait until the small guest of QEMU @name dirties memory; seconds taken."""
    t0 = time.time()
    while "l2: round 4" not in open(f"/tmp/{name}.serial", errors="replace").read():
        if time.time() - t0 > 600 or proc.poll() is not None:
            tail = open(f"/tmp/{name}.serial", errors="replace").read()[-2000:]
            raise RuntimeError(f"the small guest did not start dirtying memory:\n{tail}")
        time.sleep(1)
    return time.time() - t0


def stop(*qemus):
    """Kill the (process, memory file) pairs qemu() returned; drop the files."""
    for p, _ in qemus:
        p.kill()
        p.wait()
    for _, m in qemus:
        if os.path.exists(m):
            os.unlink(m)


def setup(work):
    """Parse [KERNEL] RING_ENTRIES... from argv and build the small guest:
    return (kernel, ring sizes, initrd), initrd None for l2-dirty.S."""
    global QEMU, ACCEL
    args = []
    for a in sys.argv[1:]:
        m = re.fullmatch(r"--require=(?:(\d+):)?(\w+)(==|>|<)(\d+)", a)
        if a.startswith("--qemu="):
            QEMU = a.split("=", 1)[1]
        elif a.startswith("--accel="):
            ACCEL = "," + a.split("=", 1)[1]
        elif m:
            REQUIRE.append((int(m[1]) if m[1] else None, m[2], m[3], int(m[4])))
        elif a.startswith("--expect-error="):
            props, text = a.split("=", 1)[1].rsplit(":", 1)
            EXPECT_ERROR.append((props, text))
        elif a.startswith("--"):
            sys.exit(f"unknown option {a}")
        else:
            args.append(a)
    os.makedirs(work, exist_ok=True)
    if args and not args[0].isdigit():
        return args[0], [int(r) for r in args[1:]], make_initrd(work)
    return make_l2_dirty(work), [int(r) for r in args], None


def one(kernel, initrd, ring):
    src, src_mem = qemu(kernel, initrd, ring, "src", [])
    dst, dst_mem = qemu(kernel, initrd, ring, "dst", ["-S", "-incoming", "unix:/tmp/mig.sock"])
    try:
        s, d = qmp("/tmp/src.qmp"), qmp("/tmp/dst.qmp")
        boot = wait_dirtying(src, "src")
        s("migrate-set-capabilities", capabilities=[{"capability": "events", "state": False}])
        s("migrate", uri="unix:/tmp/mig.sock")
        t1 = time.time()
        while True:
            st = s("query-migrate")
            if st.get("status") in ("completed", "failed", "cancelled"):
                break
            if time.time() - t1 > 900:
                raise RuntimeError(f"migration stuck: {st}")
            time.sleep(0.5)
        if st["status"] != "completed":
            raise RuntimeError(f"migration {st['status']}: {st}")
        ram = st.get("ram", {})
        # Wait for the destination to have loaded everything.
        for _ in range(600):
            if d("query-status")["status"] in ("paused", "prelaunch") and \
               d("query-migrate").get("status") == "completed":
                break
            time.sleep(0.1)
        s("stop")
        names = ["dirty_ring_pushes", "dirty_ring_full_exits", "dirty_ring_waits"]
        names += [n for _, n, _, _ in REQUIRE if n not in names]
        try:
            vals = kvm_stats(s, "vcpu", names)
            stats = (", source vCPU: " + ", ".join(f"{k} {v}" for k, v in sorted(vals.items()))
                     if vals else " (no vCPU stats)")
        except (KeyError, TypeError) as e:
            vals, stats = {}, f" (no vCPU stats: {e})"
        diff, page = differing_pages(src_mem, dst_mem)
        print(f"ring {ring}: guest up in {boot:.0f} s, migration {time.time() - t1:.0f} s, "
              f"{ram.get('dirty-sync-count', '?')} dirty syncs, "
              f"{ram.get('transferred', 0) >> 20} MiB sent, {page} pages compared, "
              f"{len(diff)} differ{stats}", flush=True)
        if diff:
            print(f"  first differing pages: {[hex(p) for p in diff[:16]]}")
        return check_requirements(ring, vals) and not diff
    finally:
        stop((src, src_mem), (dst, dst_mem))


def main():
    kernel, rings, initrd = setup("/tmp/migrate")
    if not all([expect_error(kernel, props, text) for props, text in EXPECT_ERROR]):
        print("FAIL: QEMU started with what the kernel does not offer")
        sys.exit(1)
    bad = [r for r in rings if not one(kernel, initrd, r)]
    if bad:
        print(f"FAIL: memory differs or a required statistic is off after "
              f"migration with ring sizes {bad}")
        sys.exit(1)
    print(f"ok: {len(rings)} migrations, memory identical")


if __name__ == "__main__":
    main()
