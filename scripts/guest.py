#!/usr/bin/env python3
"""Boot a kernel under QEMU (TCG, nested SVM) and run a test plan in it.

The guest mounts the host's root read-only over virtio-9p and runs
guest/run-plan.sh, which executes the plan and writes per-test logs and exit
codes into the run folder (shared read-write).  This script then reads the
serial console log, attributes every kernel report (WARNING, BUG, lockdep,
KASAN, hung task, RCU stall, soft lockup, panic) to the test whose
BEGIN/END markers enclose it, and prints a TAP report ending with the line
"N passed, N failed".  Exit status is non-zero on any failure.

Plan format (tab separated):  name  timeout  expect[@boot]  command
expect is "pass" (exit 0 and no kernel report) or "report" (the test exists
to provoke a kernel report: it passes only if the detector catches one).
Tests run in one boot per boot group, in plan order: "@st" puts a test in a
boot with single-threaded TCG (-accel tcg,thread=single), for workloads
that multi-threaded TCG's emulation of nested SVM does not survive (see
README); the default group uses multi-threaded TCG.

--icount boots every group with single-threaded TCG and
"-icount shift=0,sleep=off" on one CPU: the guest's clocks then count
executed instructions (1 ns per instruction) and idle time is skipped, so
every time the guest reads is repeatable from boot to boot (make bench).
The plan's timeouts are enforced inside the guest (guest/run-plan.sh runs
each test under timeout(1)), so under --icount they count guest time
(instructions, plus idle time skipped at once): a fault-heavy test runs
10-20x more host seconds than guest seconds.  --timeout and the hang
watchdog stay host wall-clock, the watchdog's per-test deadline stretched
by --icount-host-factor, so it is what bounds a runaway test there.
"""
import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# A line matching any of these is a kernel report.  Kept in one place; the
# rig's own scanner test (tests/scan_test.py) exercises each of them.
REPORT_PATTERNS = [
    r"WARNING:",
    r"BUG:",                                    # incl. KASAN, atomic sleep, soft lockup
    r"Oops",
    r"Kernel panic",
    r"general protection fault",
    r"kernel BUG at",
    r"INFO: task .* blocked for more than",     # hung task
    r"rcu: INFO: .* detected stalls",           # RCU stall
    r"detected stall on CPU",
    r"possible circular locking dependency",
    r"possible recursive locking",
    r"inconsistent lock state",
    r"suspicious RCU usage",
    r"DEBUG_LOCKS_WARN_ON",
    r"UBSAN:",
    r"KFENCE:",
]
REPORT_RE = re.compile("|".join(REPORT_PATTERNS))
MARK_RE = re.compile(r"kdr-mark: (BEGIN|END) (\S+)")
SKIP_RC = 4  # kselftest's KSFT_SKIP


def windowed(lines):
    """Yield (window, line) for every console line; window is the test whose
    BEGIN/END markers enclose it, or "boot" (before the first test) or
    "outside-tests".  Marker lines themselves come with line None."""
    current, seen_any = None, False
    for line in lines:
        m = MARK_RE.search(line)
        if m:
            seen_any = True
            current = m.group(2) if m.group(1) == "BEGIN" else None
            yield current, None
            continue
        yield current or ("outside-tests" if seen_any else "boot"), line


def scan_console(lines):
    """Return {window: [report lines]} (windows as windowed() names them)."""
    reports = {}
    for where, line in windowed(lines):
        if line is not None and REPORT_RE.search(line):
            reports.setdefault(where, []).append(line.strip())
    return reports


# The start of a stack dump worth summarizing: a report, or a CPU or task
# dumped by the sysrq run-plan.sh triggers when a test runs out of time.
TRACE_HEAD_RE = re.compile(REPORT_RE.pattern + r"|NMI backtrace for cpu \d+|task:\S+ +state:D")
FRAME_RE = re.compile(r"^(?:\[[^\]]*\] )?(?:RIP: [0-9a-f]+:)? ?([\w.]+\+0x[0-9a-f]+/0x[0-9a-f]+)")


def scan_traces(lines, max_traces=6, max_frames=10):
    """Return {window: [one line per stack dump]}: each dump's head line
    (a report, "NMI backtrace for cpu N", a blocked task) and its first
    frames, RIP first, so that a summary shows where a CPU or task was
    without the console log.  Frames marked "?" are guesses and skipped."""
    traces, head, frames, head_where = {}, None, [], None

    def flush():
        if head and frames:
            got = traces.setdefault(head_where, [])
            if len(got) < max_traces:
                got.append(f"{head}: {' < '.join(frames)}")

    for where, line in windowed(lines):
        if line is None:
            flush()
            head, frames = None, []
            continue
        if TRACE_HEAD_RE.search(line):
            flush()
            head, frames, head_where = re.sub(r"^\[[^\]]*\]\s*", "", line.strip())[:100], [], where
            continue
        f = FRAME_RE.search(line.strip())
        if head and f and len(frames) < max_frames and " ? " not in line:
            frames.append(f.group(1))
    flush()
    return traces


def read_plan(path):
    plan = []
    with open(path) as f:
        for raw in f:
            line = raw.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            parts = line.split("\t")
            expect, _, group = parts[2].partition("@") if len(parts) == 4 else ("", "", "")
            if len(parts) != 4 or expect not in ("pass", "report") or group not in ("", "st"):
                sys.exit(f"{path}: bad plan line: {line!r}")
            plan.append(dict(name=parts[0], timeout=int(parts[1]),
                             expect=expect, group=group or "mt", cmd=parts[3]))
    return plan


def make_initramfs(dest):
    root = dest + ".d"
    shutil.rmtree(root, ignore_errors=True)
    for d in ("bin", "dev", "proc", "sys", "host"):
        os.makedirs(os.path.join(root, d))
    busybox = shutil.which("busybox") or sys.exit("busybox missing: make deps")
    shutil.copy(busybox, os.path.join(root, "bin", "busybox"))
    shutil.copy(os.path.join(TOP, "guest", "init"), os.path.join(root, "init"))
    os.chmod(os.path.join(root, "init"), 0o755)
    subprocess.run(f"cd {root} && find . | cpio -o -H newc --quiet | gzip -1 > {dest}",
                   shell=True, check=True)
    shutil.rmtree(root)


ACCEL = {"mt": "tcg,thread=multi", "st": "tcg,thread=single"}
# --icount: one instruction is one ns of guest time, idle time skipped.
# icount needs single-threaded TCG (QEMU refuses it with thread=multi).
ICOUNT_ACCEL = "tcg,thread=single"
ICOUNT_ARGS = ["-icount", "shift=0,sleep=off"]
# Host-side hang detection (seconds): from QEMU's start to the guest's
# first line, and beyond a test's own timeout.
BOOT_SECONDS = 900
HANG_GRACE = 180


def boot(args, rundir, plan, accel):
    initrd = os.path.join(rundir, "initramfs.cpio.gz")
    make_initramfs(initrd)
    with open(os.path.join(rundir, "plan"), "w") as f:
        for t in plan:
            f.write(f"{t['name']}\t{t['timeout']}\t{t['cmd']}\n")
    with open(os.path.join(rundir, "env.sh"), "w") as f:
        f.write("export TESTS=/tmp/kdr/tests\n")
        for kv in args.env:
            k, v = kv.split("=", 1)
            f.write(f"export {k}='{v}'\n")
    # The guest sees the host's / read-only, but with its own tmpfs on /tmp
    # (and this checkout may live under /tmp): hand it the runner through
    # the run folder, which it mounts at /tmp/kdr.
    shutil.copy(os.path.join(TOP, "guest", "run-plan.sh"), os.path.join(rundir, "run-plan.sh"))
    # Likewise the project's test scripts: $TESTS in the plan.
    shutil.copytree(os.path.join(TOP, "tests"), os.path.join(rundir, "tests"),
                    ignore=shutil.ignore_patterns("__pycache__"))
    runner = "/tmp/kdr/run-plan.sh"
    append = ("console=ttyS0 panic=-1 oops=panic loglevel=7 "
              "hung_task_timeout_secs=60 softlockup_panic=0 "
              f"kdr.run={runner} {args.append}")
    # The whole boot's bound only backs up the watchdog below: by default
    # the boot plus every test's own timeout and grace, so that a slow or
    # loaded host makes a run longer, never red.
    limit = args.timeout or int(BOOT_SECONDS + sum(t["timeout"] + HANG_GRACE for t in plan) *
                                (args.icount_host_factor if args.icount else 1.0))
    cmd = ["timeout", "-k", "10", str(limit),
           "qemu-system-x86_64", "-M", "q35", "-accel", accel,
           *(ICOUNT_ARGS if args.icount else []),
           "-cpu", args.cpu, "-smp", str(args.smp), "-m", args.mem,
           "-display", "none", "-monitor", "none", "-serial", "stdio",
           "-no-reboot", "-kernel", args.kernel, "-initrd", initrd,
           "-append", append,
           "-virtfs", "local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap",
           "-virtfs", f"local,path={rundir},mount_tag=results,security_model=none,multidevs=remap"]
    console = os.path.join(rundir, "console.log")
    t0 = time.time()
    # A guest whose kernel hangs cannot enforce its own per-test timeout:
    # the host kills it once a test overruns its timeout by HANG_GRACE, or
    # the guest makes no progress at all for as long (boot, between tests).
    # Under --icount the guest's timeout counts guest time, which mostly
    # runs slower than host seconds: the test's timeout is stretched by
    # --icount-host-factor first (the grace stays host seconds).
    scale = args.icount_host_factor if args.icount else 1.0
    timeouts = {t["name"]: t["timeout"] * scale for t in plan}
    watch = {"deadline": t0 + BOOT_SECONDS, "what": "boot", "fired": False}
    host_secs, started = {}, {}     # per test, host wall clock

    def watchdog(p):
        while p.poll() is None:
            if time.time() > watch["deadline"]:
                watch["fired"] = True
                sys.stdout.write(f"# kdr-host: {watch['what']} overran its time: "
                                 "the guest hangs, killing it\n")
                sys.stdout.flush()
                p.send_signal(signal.SIGTERM)  # timeout(1) passes it to QEMU
                try:
                    p.wait(30)
                except subprocess.TimeoutExpired:
                    p.kill()
                return
            time.sleep(1)

    with open(console, "w") as log:
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL)
        threading.Thread(target=watchdog, args=(p,), daemon=True).start()
        for raw in p.stdout:
            line = raw.decode("utf-8", "replace")
            log.write(line)
            log.flush()
            m = re.match(r"kdr: running (\S+)", line)
            if m:
                watch["what"] = f"test {m.group(1)}"
                watch["deadline"] = time.time() + timeouts.get(m.group(1), 0) + HANG_GRACE
                started[m.group(1)] = time.time()
            elif line.startswith("kdr: "):
                m = re.match(r"kdr: done (\S+)", line)
                if m and m.group(1) in started:
                    host_secs[m.group(1)] = time.time() - started[m.group(1)]
                watch["what"] = "the guest between tests"
                watch["deadline"] = time.time() + HANG_GRACE
            if args.verbose or line.startswith("kdr: ") or REPORT_RE.search(line):
                sys.stdout.write("  | " + line if not line.startswith("kdr: ") else "# " + line)
                sys.stdout.flush()
        rc = p.wait()
    return rc, time.time() - t0, console, host_secs


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--plan", required=True)
    ap.add_argument("--rundir", required=True)
    ap.add_argument("--timeout", type=int, default=0,
                    help="one boot, host seconds (default: boot + the tests' timeouts + grace)")
    ap.add_argument("--smp", type=int, default=None,
                    help="guest CPUs (default 2; 1 with --icount, which allows no other)")
    ap.add_argument("--icount", action="store_true",
                    help="single-threaded TCG with -icount shift=0,sleep=off: guest time "
                    "is an instruction count (1 ns = 1 instruction), repeatable across boots")
    ap.add_argument("--icount-host-factor", type=float, default=2.0,
                    help="with --icount: host seconds the hang watchdog allows per second "
                    "of a test's (guest-time) timeout (default 2)")
    ap.add_argument("--cpu", default="EPYC,+svm,+npt")
    ap.add_argument("--mem", default="4G")
    ap.add_argument("--append", default="")
    ap.add_argument("--env", action="append", default=[], help="NAME=value for the plan")
    ap.add_argument("--only", default="", help="regex: run only matching tests")
    ap.add_argument("--host-results", help="results of host-side steps to count too: "
                    "name<TAB>ok|fail|skip<TAB>detail per line")
    ap.add_argument("-v", "--verbose", action="store_true", help="echo the whole console")
    args = ap.parse_args()
    if args.smp is None:
        args.smp = 1 if args.icount else 2
    if args.icount and args.smp != 1:
        ap.error("--icount needs one guest CPU (--smp 1): icount runs single-threaded "
                 "TCG, and with several CPUs their round-robin order would shape guest time")

    plan = read_plan(args.plan)
    if args.only:
        plan = [t for t in plan if re.search(args.only, t["name"])]
    shutil.rmtree(args.rundir, ignore_errors=True)
    os.makedirs(args.rundir)

    host = []
    if args.host_results and os.path.exists(args.host_results):
        host = [line.rstrip("\n").split("\t", 2) for line in open(args.host_results) if line.strip()]
    print("TAP version 13")
    print(f"1..{len(host) + len(plan)}")
    # One boot per group, each in its own run folder.
    reports, status, began, unfinished, secs, consoles, host_secs = {}, {}, [], [], 0, [], {}
    traces = {}
    for group in dict.fromkeys(t["group"] for t in plan):
        sub = [t for t in plan if t["group"] == group]
        rundir = os.path.join(args.rundir, group)
        os.makedirs(rundir)
        qrc, took, console, hs = boot(args, rundir, sub,
                                      ICOUNT_ACCEL if args.icount else ACCEL[group])
        host_secs.update(hs)
        secs += took
        consoles.append(console)
        with open(console, errors="replace") as f:
            lines = f.readlines()
        for found, scan in ((reports, scan_console), (traces, scan_traces)):
            for where, got in scan(lines).items():
                key = where if where not in ("boot", "outside-tests") else f"{where} ({group} boot)"
                found.setdefault(key, []).extend(got)
        spath = os.path.join(rundir, "status")
        if os.path.exists(spath):
            for line in open(spath):
                name, rc, t = line.rstrip("\n").split("\t")
                status[name] = (int(rc), float(t))
        if not os.path.exists(os.path.join(rundir, "finished")):
            unfinished.append(f"{group} boot (qemu/timeout exit {qrc})")
        began += [m.group(2) for m in map(MARK_RE.search, lines) if m and m.group(1) == "BEGIN"]

    passed, failed, skipped = [], [], []
    for i, (name, res, detail) in enumerate(host, 1):
        if res == "ok":
            passed.append(name)
            print(f"ok {i} {name} # host: {detail}")
        elif res == "skip":
            skipped.append(name)
            print(f"ok {i} {name} # SKIP {detail}")
        else:
            failed.append(name)
            print(f"not ok {i} {name} # host: {detail}")
    for i, t in enumerate(plan, len(host) + 1):
        name, why = t["name"], None
        rep = reports.get(name, [])
        if name not in status:
            why = ("guest stopped while it ran (timeout, hang or panic)"
                   if name in began else "never ran: the guest stopped before it")
        else:
            rc, took = status[name]
            if t["expect"] == "report":
                if not rep:
                    why = "the detector missed the kernel report this test provokes"
                rep = []
            elif rep:
                why = f"kernel report while it ran ({len(rep)} lines)"
            elif rc == SKIP_RC:
                skipped.append(name)
                print(f"ok {i} {name} # SKIP (exit {rc})")
                continue
            elif rc == 124 or rc == 137:
                why = f"timed out after {t['timeout']} s"
            elif rc != 0:
                why = f"exit {rc}"
        if why:
            failed.append(name)
            print(f"not ok {i} {name} # {why}")
            for r in rep[:20]:
                print(f"#   kernel: {r}")
            for r in traces.get(name, []):
                print(f"#   trace: {r}")
            logf = os.path.join(args.rundir, t["group"], name + ".log")
            if os.path.exists(logf):
                tail = open(logf, errors="replace").read().splitlines()[-25:]
                for line in tail:
                    print(f"#   {line}")
        else:
            passed.append(name)
            host = (f" guest time (instructions), {host_secs[name]:.0f} s host"
                    if args.icount and name in host_secs else "")
            print(f"ok {i} {name} # {status[name][1]:.0f} s{host}")
    for where in sorted(k for k in reports if k.startswith(("boot", "outside-tests"))):
        failed.append(where)
        print(f"not ok - kernel report: {where}")
        for r in reports[where][:20]:
            print(f"#   kernel: {r}")
        for r in traces.get(where, []):
            print(f"#   trace: {r}")
    for u in unfinished:
        print(f"# guest did not finish its plan: {u}")
    mode = " (host wall clock; --icount: guest time is instructions)" if args.icount else ""
    print(f"# guest ran {secs:.0f} s{mode}; console logs: {' '.join(consoles)}")
    if skipped:
        print(f"# skipped (not counted as passed): {', '.join(skipped)}")
    print(f"{len(passed)} passed, {len(failed)} failed")
    sys.exit(1 if failed or unfinished else 0)


if __name__ == "__main__":
    main()
