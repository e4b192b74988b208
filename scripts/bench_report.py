#!/usr/bin/env python3
"""Aggregate make bench's raw output into one table, the issues' targets,
CSV files and PNG plots.

usage: bench_report.py RESULTS_DIR

RESULTS_DIR/raw/<boot>/<group>/*.log hold the lines dirty_bench printed
("kdrbench key=value ...").  Two figures, by the boot folder's name:

  boot<N>-<base|series>    wall clock (multi-threaded TCG, host time).
                           Boots differ in speed, so every comparison is
                           made within a boot first (ring cost / bitmap
                           cost for the same cell and rounds of the same
                           boot), then summarised across the boots of each
                           kernel as the median and the spread (min-max).
                           Absolute times are context only.
  icount<N>-<base|series>  instruction count (-icount shift=0,sleep=off:
                           1 ns of guest time = 1 instruction).  The same
                           tables; absolute costs are repeatable, so they
                           compare across boots and kernels.  Two or more
                           boots of a kernel give the A/A check; issue 14's
                           targets are judged on these.

Either kind may be absent.  Writes RESULTS_DIR/table.md (also printed),
rounds.csv (every measured round), cells.csv (per boot and cell, both with
a mode column) and plots/*.png (gnuplot; icount_*.png for the icount boots).
"""
import csv
import os
import re
import shutil
import statistics
import subprocess
import sys

KERNELS = ("base", "series")
MODES = ("icount", "wall")
BOOT_RE = {"wall": re.compile(r"^boot(\d+)-(base|series)$"),
           "icount": re.compile(r"^icount(\d+)-(base|series)$")}
MODE_NAME = {"wall": "wall clock", "icount": "instruction count (icount)"}
CELL_KEYS = ("exp", "slot_mib", "pct", "order", "vcpus")
GUEST = "wall_ns_pp"    # guest dirtying cost per page (one L1 CPU: wall = work)
BITMAP = ("bitmap", "na", "na")


def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def parse(root, mode):
    """Return (rounds, infos, skips) of the boots of one mode.  rounds:
    dicts with kernel, boot, mode."""
    rounds, infos, skips = [], {}, []
    rawdir = os.path.join(root, "raw")
    for boot in sorted(os.listdir(rawdir)):
        m = BOOT_RE[mode].match(boot)
        if not m:
            continue
        n, kernel = int(m.group(1)), m.group(2)
        for dirpath, _, files in os.walk(os.path.join(rawdir, boot)):
            for f in sorted(files):
                if not f.endswith(".log"):
                    continue
                for line in open(os.path.join(dirpath, f), errors="replace"):
                    if not line.startswith("kdrbench "):
                        continue
                    kv = dict(p.split("=", 1) for p in line.split()[1:] if "=" in p)
                    if "kernel" in kv:      # the info line's uname -r
                        kv["release"] = kv.pop("kernel")
                    kv.update(kernel=kernel, boot=n, test=f[:-4], mode=mode)
                    kind = kv.get("kind", "round")
                    if kind == "info":
                        infos.setdefault((kernel, n), []).append(kv)
                    elif kind == "skip":
                        skips.append(kv)
                    elif kv.get("warm") == "0":
                        rounds.append(kv)
    return rounds, infos, skips


def cell_of(r):
    return (r["exp"], int(r["slot_mib"]), float(r["pct"]), r["order"], int(r["vcpus"]))


def vm_of(r):
    return (r["track"], r["wmode"], r["ring"])


def per_boot(rounds):
    """{(kernel, boot, cell, vm): {metric: median over rounds}}"""
    groups = {}
    for r in rounds:
        groups.setdefault((r["kernel"], r["boot"], cell_of(r), vm_of(r)), []).append(r)
    out = {}
    for key, rs in groups.items():
        metrics = {}
        for k in rs[0]:
            vals = [num(r.get(k)) for r in rs]
            if all(v is not None for v in vals):
                metrics[k] = statistics.median(vals)
        metrics["n_rounds"] = len(rs)
        out[key] = metrics
    return out


def across(vals):
    """(median, min, max) of per-boot values, or None."""
    vals = [v for v in vals if v is not None]
    if not vals:
        return None
    return statistics.median(vals), min(vals), max(vals)


def fmt(t, digits=2):
    if t is None:
        return "–"
    m, lo, hi = t
    if lo == hi:
        return f"{m:.{digits}f}"
    return f"{m:.{digits}f} ({lo:.{digits}f}–{hi:.{digits}f})"


def fmt1(v, digits=2):
    return "–" if v is None else f"{v:.{digits}f}"


def size(mib):
    return f"{mib // 1024} GiB" if mib >= 1024 else f"{mib} MiB"


def spread(vals):
    """A/A spread of per-boot values: (max - min) / median, or None with
    fewer than two values."""
    vals = [v for v in vals if v is not None]
    if len(vals) < 2 or not statistics.median(vals):
        return None
    return (max(vals) - min(vals)) / statistics.median(vals)


def fmt_spread(v):
    return "–" if v is None else f"{100 * v:.2f} %"


def pctfmt(p):
    return f"{p:g} %"


class Bench:
    def __init__(self, root, mode):
        self.root = root
        self.mode = mode
        self.icount = mode == "icount"
        self.rounds, self.infos, self.skips = parse(root, mode)
        self.pb = per_boot(self.rounds)
        self.boots = {k: sorted({b for (kk, b, _, _) in self.pb if kk == k}) for k in KERNELS}

    def metric(self, kernel, boot, cell, vm, name):
        return self.pb.get((kernel, boot, cell, vm), {}).get(name)

    def cells(self, exp):
        return sorted({c for (_, _, c, _) in self.pb if c[0] == exp})

    def ring_vm(self, kernel, cell, mode="exit"):
        """The ring VM key of a cell (ring size differs by experiment)."""
        for (k, _, c, vm) in self.pb:
            if k == kernel and c == cell and vm[0] == "ring" and vm[1] == mode:
                return vm
        return None

    def pages(self, cell):
        """Pages dirtied per round in a cell (the same in every VM and boot)."""
        for (_, _, c, _), m in self.pb.items():
            if c == cell:
                return int(m.get("pages", 0))
        return None

    def per_boot_values(self, kernel, fn):
        return [fn(b) for b in self.boots[kernel]]

    # ring collection / bitmap collection, one value per boot
    def ratio(self, kernel, cell, boot):
        rvm = self.ring_vm(kernel, cell)
        r = self.metric(kernel, boot, cell, rvm, "collect_ns")
        b = self.metric(kernel, boot, cell, ("bitmap", "na", "na"), "collect_ns")
        return r / b if r and b else None

    def ns_pp(self, kernel, cell, boot, vm, what="collect_ns"):
        v = self.metric(kernel, boot, cell, vm, what)
        p = self.metric(kernel, boot, cell, vm, "pages")
        return v / p if v is not None and p else None

    def cross(self, kernel, fn):
        return across(self.per_boot_values(kernel, fn))


def collect_table(B, lines, cells_rows):
    if B.icount:
        about = ("ns/page: collection instructions per dirtied page (1 ns = 1 instruction), "
                 "medians over boots; repeatable, so they compare across boots and kernels: "
                 "ring series/base is the series' ring ns/page over the base's.")
    else:
        about = ("ns/page: collection time per dirtied page, medians over boots (context "
                 "only: boots differ in speed).")
    lines += [
        "## Collection cost: ring (harvest + `KVM_RESET_DIRTY_RINGS`) / bitmap "
        "(`KVM_GET_DIRTY_LOG`, the VMM folding its words into its own bitmap, `KVM_CLEAR_DIRTY_LOG`)",
        "",
        "Per cell: the ratio of the two in the same boot (median of the measured rounds), "
        "then the median (min–max) over the boots of each kernel.  series/base is the "
        "series' median ratio over the base's.  " + about,
        "",
        "| slot | dirty | order | vCPUs | pages | base ring/bitmap | series ring/bitmap "
        "| series/base | base ring ns/page (harvest+reset) | series ring ns/page "
        "(harvest+reset) | bitmap ns/page base / series |"
        + (" ring ns/page series/base |" if B.icount else ""),
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
        + (" ---: |" if B.icount else ""),
    ]
    for cell in B.cells("collect"):
        _, mib, pct, order, vcpus = cell
        res = {}
        for k in KERNELS:
            rvm = B.ring_vm(k, cell)
            bvm = ("bitmap", "na", "na")
            res[k] = dict(
                ratio=B.cross(k, lambda b, k=k: B.ratio(k, cell, b)),
                ring=B.cross(k, lambda b, k=k, v=rvm: B.ns_pp(k, cell, b, v)),
                harvest=B.cross(k, lambda b, k=k, v=rvm: B.ns_pp(k, cell, b, v, "harvest_ns")),
                reset=B.cross(k, lambda b, k=k, v=rvm: B.ns_pp(k, cell, b, v, "reset_ns")),
                bitmap=B.cross(k, lambda b, k=k, v=bvm: B.ns_pp(k, cell, b, v)),
            )
        pages = B.pages(cell)
        sb = (res["series"]["ratio"][0] / res["base"]["ratio"][0]
              if res["series"]["ratio"] and res["base"]["ratio"] else None)
        # ring ns/page, series over base: only icount makes it meaningful
        rsb = (res["series"]["ring"][0] / res["base"]["ring"][0]
               if res["series"]["ring"] and res["base"]["ring"] else None)

        def ringtxt(r):
            if not r["ring"]:
                return "–"
            h = r["harvest"][0] if r["harvest"] else 0
            s = r["reset"][0] if r["reset"] else 0
            return f"{r['ring'][0]:.0f} ({h:.0f}+{s:.0f})"

        lines.append(
            f"| {size(mib)} | {pctfmt(pct)} | {order} | {vcpus} | {pages} "
            f"| {fmt(res['base']['ratio'])} | {fmt(res['series']['ratio'])} | {fmt1(sb)} "
            f"| {ringtxt(res['base'])} | {ringtxt(res['series'])} "
            f"| {fmt1(res['base']['bitmap'] and res['base']['bitmap'][0], 0)} / "
            f"{fmt1(res['series']['bitmap'] and res['series']['bitmap'][0], 0)} |"
            + (f" {fmt1(rsb, 3)} |" if B.icount else ""))
        cells_rows.append(dict(cell=cell, pages=pages, res=res, series_over_base=sb,
                               ring_series_over_base=rsb))
    lines.append("")


def order_table(B, lines, order_rows):
    lines += [
        "## Random order / sequential order (ring collection per dirtied page)",
        "",
        "Per boot: ring ns/page of the random cell over the sequential cell, then "
        "median (min–max) over boots.",
        "",
        "| slot | dirty | vCPUs | base rand/seq | series rand/seq |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    seen = set()
    for cell in B.cells("collect"):
        exp, mib, pct, _, vcpus = cell
        if (mib, pct, vcpus) in seen:
            continue
        seen.add((mib, pct, vcpus))
        cr = (exp, mib, pct, "rand", vcpus)
        cs = (exp, mib, pct, "seq", vcpus)
        res = {}
        for k in KERNELS:
            def f(b, k=k):
                r = B.ns_pp(k, cr, b, B.ring_vm(k, cr))
                s = B.ns_pp(k, cs, b, B.ring_vm(k, cs))
                return r / s if r and s else None
            res[k] = B.cross(k, f)
        if not any(res.values()):
            continue
        order_rows.append(dict(key=(mib, pct, vcpus), res=res))
        lines.append(f"| {size(mib)} | {pctfmt(pct)} | {vcpus} | {fmt(res['base'])} "
                     f"| {fmt(res['series'])} |")
    lines.append("")


def guest_table(B, lines, guest_rows):
    lines += [
        "## Guest dirtying cost (ns per dirtied page: the round's "
        + ("instruction count" if B.icount else "wall time")
        + " until the last vCPU is done, over the pages)",
        "",
        "The guest has one CPU, so with several vCPUs this is their summed cost.  "
        "Medians over boots.  ring/bitmap: the ring's guest cost over the bitmap's "
        "in the same boot (the write fault path of both), then median over boots.",
        "",
        "| slot | dirty | order | vCPUs | base ring | base bitmap | base none "
        "| series ring | series bitmap | series none | base ring/bitmap | series ring/bitmap |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for cell in B.cells("collect"):
        _, mib, pct, order, vcpus = cell
        row, rel = [], {}
        for k in KERNELS:
            vms = [B.ring_vm(k, cell), ("bitmap", "na", "na"), ("none", "na", "na")]
            for vm in vms:
                t = B.cross(k, lambda b, k=k, vm=vm: B.metric(k, b, cell, vm, GUEST))
                row.append(fmt1(t and t[0], 0))

            def f(b, k=k, vms=vms):
                r = B.metric(k, b, cell, vms[0], GUEST)
                m = B.metric(k, b, cell, vms[1], GUEST)
                return r / m if r and m else None
            rel[k] = B.cross(k, f)
        guest_rows.append(dict(cell=cell, rel=rel))
        lines.append(f"| {size(mib)} | {pctfmt(pct)} | {order} | {vcpus} | "
                     + " | ".join(row) + f" | {fmt(rel['base'])} | {fmt(rel['series'])} |")
    lines.append("")


def full_table(B, lines, full_rows):
    lines += [
        "## Ring full: exit mode vs wait mode",
        "",
        "A small ring that fills many times a round (exp=full).  Per round: "
        "userspace round trips (`KVM_RUN` returns), ring-full exits, "
        "`dirty_ring_waits` (vCPU stat, where the kernel has it), time lost to "
        "ring-full (exit mode: vCPU out of `KVM_RUN` waiting for the reset; wait "
        "mode: collector's wake-to-reset time) and guest throughput (dirtied pages "
        "per second of the round).  Medians over rounds, then over boots."
        + ("  icount: ms are million instructions, pages/s per 10^9 instructions."
           if B.icount else ""),
        "",
        "| kernel | mode | slot | dirty | order | vCPUs | ring | KVM_RUN returns "
        "| ring-full exits | waits | lost ms | pages/s |",
        "| --- | --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for cell in B.cells("full"):
        _, mib, pct, order, vcpus = cell
        for k in KERNELS:
            for mode in ("exit", "wait"):
                vm = B.ring_vm(k, cell, mode)
                if not vm:
                    continue

                def g(name, b, k=k, vm=vm):
                    return B.metric(k, b, cell, vm, name)

                def lost(b, mode=mode, g=g):
                    v = g("wait_ns" if mode == "wait" else "full_ns", b)
                    return v / 1e6 if v is not None else None

                def thr(b, g=g):
                    w, p = g("wall_ns", b), g("pages", b)
                    return p / (w / 1e9) if w and p else None
                r = dict(runs=B.cross(k, lambda b, g=g: g("runs", b)),
                         full=B.cross(k, lambda b, g=g: g("full_exits", b)),
                         waits=B.cross(k, lambda b, g=g: g("waits", b)),
                         lost=B.cross(k, lost), thr=B.cross(k, thr))
                full_rows.append(dict(kernel=k, mode=mode, cell=cell, res=r, vm=vm))
                lines.append(
                    f"| {k} | {mode} | {size(mib)} | {pctfmt(pct)} | {order} | {vcpus} | {vm[2]} "
                    f"| {fmt1(r['runs'] and r['runs'][0], 0)} | {fmt1(r['full'] and r['full'][0], 0)} "
                    f"| {fmt1(r['waits'] and r['waits'][0], 0)} | {fmt(r['lost'], 1)} "
                    f"| {fmt(r['thr'], 0)} |")
    lines.append("")


def verdict(ok):
    return {True: "**met**", False: "**not met**", None: "not measurable"}[ok]


def cellname(c):
    """A collect cell (exp, mib, pct, order, vcpus) for a verdict line."""
    return f"{size(c[1])}, {pctfmt(c[2])}, {c[3]}, {c[4]} vCPU"


def wait_target(B, full_rows):
    """Issue 9's wait-mode target: (target, ok, figures)."""
    pairs = []
    for r in full_rows:
        if r["kernel"] != "series" or r["mode"] != "wait":
            continue
        e = [x for x in full_rows if x["kernel"] == "series" and x["mode"] == "exit"
             and x["cell"] == r["cell"]]
        if e and r["res"]["runs"] and e[0]["res"]["runs"] and r["res"]["thr"] and e[0]["res"]["thr"]:
            pairs.append((e[0]["res"]["runs"][0] / r["res"]["runs"][0],
                          r["res"]["thr"][0] / e[0]["res"]["thr"][0], r["cell"]))
    if pairs:
        ok = all(rt >= 2 and th >= 0.95 for rt, th, _ in pairs)
        return ("wait mode: >= 2x fewer userspace round trips than exit mode at equal "
                "guest throughput (wait/exit pages/s >= 0.95)", ok,
                "; ".join(f"{c[3]}, {c[4]} vCPU: {rt:.1f}x fewer, throughput {th:.2f}x"
                          for rt, th, c in pairs))
    why = "the series kernel has no KVM_CAP_DIRTY_LOG_RING_WAIT (257)"
    if not any(s.get("kernel") == "series" and s.get("wmode") == "wait" for s in B.skips):
        why = "no exp=full wait-mode data for the series"
    return ("wait mode: >= 2x fewer userspace round trips than exit mode", None, why)


def every_cell(title, vals, bound, name, base=None):
    """A target that every cell must meet: vals is [(value, cell)], judged
    value <= bound; name formats a cell.  Returns (target, ok, figures)."""
    if not vals:
        return (title, None, "no data" + ("" if base is None else " for both kernels"))
    w = max(vals, key=lambda x: x[0])
    miss = sum(1 for v, _ in vals if v > bound)
    txt = (f"worst {w[0]:.3f} ({name(w[1])}); {miss} of {len(vals)} cells above {bound:g}; "
           f"median {statistics.median(v for v, _ in vals):.3f}")
    if base:
        txt += f"; {base}"
    return (title, miss == 0, txt)


def targets14(B, cells_rows, order_rows, guest_rows, full_rows):
    """Issue 14's targets, judged on the icount boots (B.mode == "icount"):
    per cell the median over the icount boots of each kernel."""
    out = []
    # 1. series ring/bitmap <= 1.2 in every collect cell (same boot)
    vals = [(r["res"]["series"]["ratio"][0], r["cell"]) for r in cells_rows
            if r["res"]["series"]["ratio"]]
    bvals = [r["res"]["base"]["ratio"][0] for r in cells_rows if r["res"]["base"]["ratio"]]
    out.append(every_cell("series ring/bitmap <= 1.2 in every cell of the collect matrix "
                          "(same boot)", vals, 1.2, cellname,
                          f"base: up to {max(bvals):.3f}" if bvals else None))
    # 2. series: random / sequential <= 1.3 per slot, dirty %, vCPUs
    vals = [(r["res"]["series"][0], r["key"]) for r in order_rows if r["res"]["series"]]
    bvals = [r["res"]["base"][0] for r in order_rows if r["res"]["base"]]
    out.append(every_cell("series ring: random / sequential ns/page <= 1.3 (per slot, dirty %, "
                          "vCPUs)", vals, 1.3,
                          lambda k: f"{size(k[0])}, {pctfmt(k[1])}, {k[2]} vCPU",
                          f"base: {min(bvals):.3f}–{max(bvals):.3f}" if bvals else None))
    # 3. sparse: 4 GiB, 0.1 %, random, 1 vCPU: ring <= 0.7x GET+CLEAR
    title = "4 GiB slot, 0.1 % dirty, random, 1 vCPU: series ring <= 0.7x GET+CLEAR"
    sp = [r for r in cells_rows if r["cell"][1:] == (4096, 0.1, "rand", 1)]
    if sp and sp[0]["res"]["series"]["ratio"]:
        r = sp[0]["res"]
        out.append((title, r["series"]["ratio"][0] <= 0.7,
                    f"series {fmt(r['series']['ratio'], 3)}, base {fmt(r['base']['ratio'], 3)}"))
    else:
        out.append((title, None, "no 4 GiB 0.1 % random 1-vCPU cell for the series"))
    # 4. series ring ns/page <= 1.0x the base's ring ns/page in every cell
    vals = [(r["ring_series_over_base"], r["cell"]) for r in cells_rows
            if r["ring_series_over_base"] is not None]
    out.append(every_cell("series collection cost per page <= 1.0x the base's ring in every "
                          "cell (ring ns/page, series/base)", vals, 1.0, cellname, base=""))
    # 5. guest dirtying: series ring <= 1.02x base ring, each normalised by
    # the bitmap's guest cost in its boot, every cell
    vals = [(r["rel"]["series"][0] / r["rel"]["base"][0], r["cell"]) for r in guest_rows
            if r["rel"]["series"] and r["rel"]["base"]]
    out.append(every_cell("guest dirtying cost with the series' ring <= 1.02x the base's ring "
                          "in every cell (each ring/bitmap in its boot)", vals, 1.02, cellname,
                          base=""))
    # 6. wait mode keeps its round-trip win (issue 9's target)
    out.append(wait_target(B, full_rows))
    return [(t, verdict(ok), fig) for t, ok, fig in out]


def lstsq(rows, ys):
    """Least squares by the normal equations (a few terms, no numpy)."""
    n = len(rows[0])
    a = [[sum(r[i] * r[j] for r in rows) for j in range(n)] +
         [sum(r[i] * y for r, y in zip(rows, ys))] for i in range(n)]
    for c in range(n):
        p = max(range(c, n), key=lambda i: abs(a[i][c]))
        a[c], a[p] = a[p], a[c]
        if abs(a[c][c]) < 1e-12:
            return None
        for i in range(n):
            if i != c:
                f = a[i][c] / a[c][c]
                a[i] = [x - f * y for x, y in zip(a[i], a[c])]
    return [a[i][n] / a[i][i] for i in range(n)]


# What each collection cost is made of, fitted over the measured rounds of
# the 1-vCPU collect cells: name, track, metric, terms.  words = non-zero
# 64-page words of the round's dirtied pages (one masked re-protect each
# when a reset coalesces per memslot, as KVM_CLEAR_DIRTY_LOG does);
# span = the pages from the first to the last dirtied page of each such
# word (the leaf entries a masked re-protect walks); runs = the runs collect
# folds entries into (the words in sequential order, the pages in random
# order); calls = collections (harvest + reset, or GET + CLEAR) in the round;
# slot_words = the slot's 64-page words times calls (what GET copies).
COST_PARTS = [
    ("ring harvest (userspace)", "ring", "harvest_ns", ("pages", "calls")),
    ("ring `KVM_RESET_DIRTY_RINGS`", "ring", "reset_ns", ("pages", "runs", "words", "span",
                                                          "calls")),
    ("bitmap `KVM_GET_DIRTY_LOG` + the VMM's fold", "bitmap", "get_ns", ("pages", "calls", "slot_words")),
    ("bitmap `KVM_CLEAR_DIRTY_LOG`", "bitmap", "clear_ns", ("pages", "words", "span", "calls",
                                                          "slot_words")),
]


def cost_terms(r):
    calls = num(r.get("collections")) or 1
    pages, words = num(r["pages"]), num(r.get("words"))
    # runs: what collect folds consecutive entries into; in random order
    # consecutive entries almost never share a word
    runs = pages if r.get("order") == "rand" else words
    return dict(pages=pages, words=words, span=num(r.get("span")), runs=runs,
                calls=calls,
                slot_words=int(r["slot_mib"]) * 256 / 64 * calls)


def cost_model(B, lines):
    """Fit each part of the collection cost (icount: instructions) to the
    terms of COST_PARTS for each round, per kernel, and say what the
    series' terms mean for the targets it misses."""
    fits = {}
    for k in KERNELS:
        for name, track, metric, terms in COST_PARTS:
            rows, ys = [], []
            for r in B.rounds:
                if (r["kernel"] != k or r.get("exp") != "collect" or r["track"] != track
                        or r.get("wmode") not in ("exit", "na") or r.get("vcpus") != "1"):
                    continue
                t, y = cost_terms(r), num(r.get(metric))
                if y is None or y <= 0 or any(t[x] is None for x in terms):
                    continue
                rows.append([t[x] for x in terms])
                ys.append(y)
            if len(rows) <= len(terms) * 2:
                continue
            # relative errors weigh alike: a 33-page round counts as a 32768-page one
            coef = lstsq([[x / y for x in row] for row, y in zip(rows, ys)], [1.0] * len(ys))
            if coef is None:
                continue
            # worst relative residual over the rounds
            pred = [sum(c * x for c, x in zip(coef, row)) for row in rows]
            err = max(abs(p - y) / y for p, y in zip(pred, ys))
            fits[(k, metric)] = (name, dict(zip(terms, coef)), len(rows), err)
    if not fits:
        return
    lines += ["## Where the collection cost goes (icount): a fit per part", "",
              "Each part's instructions per round, fitted by least squares over the measured "
              "rounds of the 1-vCPU collect cells of each kernel: per dirtied page, per "
              "non-zero 64-page word of the round's pages (`words`: one masked re-protect "
              "each, `kvm_arch_mmu_enable_log_dirty_pt_masked()`, when pages coalesce per "
              "memslot), per run of entries collect folds (`runs`: the words in sequential order, the pages in random order), per leaf entry those re-protects walk (`span`: from the first to the last dirtied page of each word), per call, and per 64-page word of the slot per call (`slot_words`: "
              "what a bitmap copy and scan cost).  `fit` is the worst relative error of the "
              "fit over the rounds (relative errors are what the fit minimises).  The words term is "
              "what sequential and random order differ by: at 0.1-1 % random every page "
              "has a word of its own.", "",
              "| kernel | part | per page | per run | per word | per span entry | per call "
              "| per slot word | rounds | fit |",
              "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for (k, _), (name, c, n, err) in fits.items():
        def cell(x):
            return f"{c[x]:.1f}" if x in c else "–"
        lines.append(f"| {k} | {name} | {cell('pages')} | {cell('runs')} | {cell('words')} "
                     f"| {cell('span')} "
                     f"| {cell('calls')} "
                     f"| {cell('slot_words')} | {n} | {100 * err:.1f} % |")
    lines.append("")
    parts = [fits.get(("series", m)) for m in ("reset_ns", "harvest_ns", "clear_ns", "get_ns")]
    if all(parts):
        r, h, c, g = (p[1] for p in parts)
        extra_pp = h["pages"] + r["pages"] - c["pages"]
        lines += [
            f"- **Per page** the series' ring costs {h['pages']:.0f} instructions of harvest "
            f"(userspace reads the entry and writes its flags) and {r['pages']:.0f} of reset, "
            f"against {c['pages']:.0f} in `KVM_CLEAR_DIRTY_LOG` for the same MMU work on the "
            f"page: {extra_pp:.0f} more, plus {r.get('runs', 0):.0f} per run of entries.  In "
            f"sequential order that is the whole difference, so ring/bitmap there is about "
            f"(bitmap + {extra_pp:.0f}) / bitmap per page: the ring's own cost per entry, "
            f"which no re-protect strategy removes.",
            f"- **Per word** (one masked re-protect): {r['words']:.0f} instructions in the "
            f"series' reset, {c['words']:.0f} in `KVM_CLEAR_DIRTY_LOG`, and {round(r['span'])} / "
            f"{round(c['span'])} per leaf entry between a word's pages.  A random page of "
            f"a sparse harvest has a word of its own and pays all of it, a sequential one "
            f"1/64: that is why random order costs more than sequential for ring and bitmap "
            f"alike.  A walk shared by ascending words would lower it, but the ring's words "
            f"come in harvest order and sorting them costs more than the walk saves "
            f"(wip/batched-walk/sort-cost).",
            f"- **Per 64-page word of the slot**, per call, GET + CLEAR cost "
            f"{g['slot_words'] + c['slot_words']:.1f} instructions, and the ring nothing.  "
            f"In sparse cells that is the only part of the bitmap's cost that the ring does "
            f"not also pay, so ring <= 0.7x GET+CLEAR needs the per-word walk to cost less "
            f"in the ring than in CLEAR.",
            ""]


def scale_section(B, lines):
    """Issue 24: a fixed number of random dirty pages in slots of growing
    size (exp=scale), cost per page against guest memory, icount only."""
    cells = B.cells("scale")
    if not cells:
        return []
    lines += [
        "## Reset at scale (issue 24): a fixed number of random pages, slots of growing size",
        "",
        "exp=scale: the same number of random pages per round in a 1-vCPU slot of each "
        "size (backing allocated lazily, the L2 guest mapped with 2 MiB pages).  ns/page: "
        "collection instructions per dirtied page, median over the icount boots.  "
        "A/A: (max − min) / median of the series' figure over its icount boots "
        "(– with a single boot); a verdict closer to its bound than that is noise.",
        "",
        "| slot | pages | base ring | series ring | base bitmap | series bitmap "
        "| series ring/bitmap | ring series/base | A/A series ring | A/A series bitmap |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]

    rows = []
    for cell in cells:
        _, mib, pct, order, vcpus = cell
        v, aa = {}, {}
        for k in KERNELS:
            rvm = B.ring_vm(k, cell)
            bvm = ("bitmap", "na", "na")
            r = B.cross(k, lambda b, k=k, vm=rvm: B.ns_pp(k, cell, b, vm)) if rvm else None
            bm = B.cross(k, lambda b, k=k, vm=bvm: B.ns_pp(k, cell, b, vm))
            v[(k, "ring")] = r[0] if r else None
            v[(k, "bitmap")] = bm[0] if bm else None
            aa[(k, "ring")] = spread(B.per_boot_values(
                k, lambda b, k=k, vm=rvm: B.ns_pp(k, cell, b, vm))) if rvm else None
            aa[(k, "bitmap")] = spread(B.per_boot_values(
                k, lambda b, k=k, vm=bvm: B.ns_pp(k, cell, b, vm)))
        pages = B.pages(cell)
        sr, sb = v[("series", "ring")], v[("series", "bitmap")]
        br = v[("base", "ring")]
        rows.append(dict(mib=mib, pages=pages, v=v, aa=aa))
        lines.append(
            f"| {size(mib)} | {pages} | {fmt1(br, 0)} | {fmt1(sr, 0)} "
            f"| {fmt1(v[('base', 'bitmap')], 0)} | {fmt1(sb, 0)} "
            f"| {fmt1(sr / sb if sr and sb else None, 2)} "
            f"| {fmt1(sr / br if sr and br else None, 2)} "
            f"| {fmt_spread(aa[('series', 'ring')])} | {fmt_spread(aa[('series', 'bitmap')])} |")
    lines.append("")

    def ring(mib, k="series", what="ring"):
        for r in rows:
            if r["mib"] == mib:
                return r["v"][(k, what)]
        return None

    def noise(*cells):
        """The largest A/A spread of the series' figures in @cells."""
        vals = [r["aa"][("series", what)] for r in rows for mib, what in cells
                if r["mib"] == mib and r["aa"][("series", what)] is not None]
        return "; A/A " + fmt_spread(max(vals) if vals else None)

    t = []
    r4, r64, r128 = ring(4096), ring(65536), ring(128)
    if r4 and r64:
        t.append(("series ring: 64 GiB <= 1.1x 4 GiB per page", verdict(r64 <= 1.1 * r4),
                  f"{r64:.0f} / {r4:.0f} = {r64 / r4:.2f}"
                  + noise((65536, "ring"), (4096, "ring"))))
    if r128 and r4 and r64:
        worst = max(r128 / r4, r4 / r128, r128 / r64, r64 / r128)
        t.append(("series ring: 128 MiB within 1.3x of 4 GiB and 64 GiB", verdict(worst <= 1.3),
                  f"128 MiB {r128:.0f}, worst ratio {worst:.2f}"
                  + noise((128, "ring"), (4096, "ring"), (65536, "ring"))))
    b64 = ring(65536, what="bitmap")
    if r64 and b64:
        t.append(("64 GiB: series ring <= 0.5x series bitmap", verdict(r64 <= 0.5 * b64),
                  f"{r64:.0f} / {b64:.0f} = {r64 / b64:.2f}"
                  + noise((65536, "ring"), (65536, "bitmap"))))
    sb = [(r["mib"], r["v"][("series", "ring")] / r["v"][("base", "ring")])
          for r in rows if r["v"][("series", "ring")] and r["v"][("base", "ring")]]
    if sb:
        worst = max(sb, key=lambda x: x[1])
        t.append(("series ring <= base ring in every scale cell", verdict(worst[1] <= 1.0),
                  f"worst {worst[1]:.2f} ({size(worst[0])})"
                  + noise(*[(r["mib"], "ring") for r in rows])))
    if t:
        lines += target_table(t)
    return rows


def aa_section(B, lines):
    """A/A: the same kernel booted twice or more under icount should give
    the same figures.  Per cell, the spread (max - min) / median over the
    boots of a kernel of the ring's and the bitmap's collection ns/page and
    of the ring's guest ns/page."""
    lines += ["## A/A check (icount): the same kernel, booted again", ""]
    kernels = [k for k in KERNELS if len(B.boots[k]) >= 2]
    if not kernels:
        lines += ["Fewer than two icount boots of either kernel: no A/A check "
                  "(ICOUNT_BOOTS=\"base series series\" gives one).", ""]
        return
    lines += ["Per cell: (max − min) / median over the icount boots of a kernel, of the "
              "collection cost per dirtied page (ring: harvest + reset; bitmap: GET + CLEAR) "
              "and of the guest's dirtying cost with the ring.  Targets whose figure lies "
              "closer to its bound than this spread are within noise.", ""]
    summary = []
    for k in kernels:
        boots = B.boots[k]
        lines += [f"### {k}: icount boots {', '.join(map(str, boots))}", "",
                  "| slot | dirty | order | vCPUs | ring ns/page per boot | ring | bitmap "
                  "| guest (ring) |", "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |"]
        worst = {"ring": None, "bitmap": None, "guest": None}
        for cell in B.cells("collect"):
            rvm = B.ring_vm(k, cell)
            ring = [B.ns_pp(k, cell, b, rvm) for b in boots]
            sp = dict(ring=spread(ring),
                      bitmap=spread([B.ns_pp(k, cell, b, BITMAP) for b in boots]),
                      guest=spread([B.metric(k, b, cell, rvm, GUEST) for b in boots]))
            for w, v in sp.items():
                if v is not None and (worst[w] is None or v > worst[w][0]):
                    worst[w] = (v, cell)
            lines.append(f"| {size(cell[1])} | {pctfmt(cell[2])} | {cell[3]} | {cell[4]} | "
                         + " / ".join(fmt1(v, 0) for v in ring) + " | "
                         + " | ".join(fmt_spread(v) for v in sp.values()) + " |")
        lines.append("")
        full = []
        for cell in B.cells("full"):
            for mode in ("exit", "wait"):
                vm = B.ring_vm(k, cell, mode)
                if not vm:
                    continue
                runs = [B.metric(k, b, cell, vm, "runs") for b in boots]
                thr = [B.metric(k, b, cell, vm, "pages") / B.metric(k, b, cell, vm, "wall_ns") * 1e9
                       if B.metric(k, b, cell, vm, "wall_ns") else None for b in boots]
                full.append(f"| {mode} | {size(cell[1])} | {pctfmt(cell[2])} | {cell[3]} | {cell[4]} | "
                            + " / ".join(fmt1(v, 0) for v in runs) + " | "
                            + fmt_spread(spread(thr))
                            + " |")
        if full:
            lines += ["Ring full (exp=full): `KVM_RUN` returns per round in each boot, "
                      "spread of the guest's pages/s.", "",
                      "| mode | slot | dirty | order | vCPUs | KVM_RUN returns per boot | pages/s |",
                      "| --- | --- | --- | --- | ---: | ---: | ---: |"] + full + [""]
        for w, v in worst.items():
            if v:
                summary.append(f"{k} {w}: max {100 * v[0]:.2f} % ({cellname(v[1])})")
    lines += ["**A/A, largest spread over the cells:** " + "; ".join(summary), ""]


def targets(B, cells_rows, order_rows, guest_rows, full_rows):
    out = []

    # 1. series vs base, ring/bitmap ratio at 10 % and 100 %
    worst = {"rand": None, "seq": None}
    n = {"rand": 0, "seq": 0}
    for row in cells_rows:
        _, mib, pct, order, vcpus = row["cell"]
        if pct not in (10.0, 100.0) or row["series_over_base"] is None:
            continue
        n[order] += 1
        if worst[order] is None or row["series_over_base"] > worst[order][0]:
            worst[order] = (row["series_over_base"], row["cell"])
    ok = None
    if worst["rand"] and worst["seq"]:
        ok = worst["rand"][0] <= 0.8 and worst["seq"][0] <= 1.0
    txt = "; ".join(
        f"{o}: worst {w[0]:.2f}x ({size(w[1][1])}, {pctfmt(w[1][2])}, {w[1][4]} vCPU) over {n[o]} cells"
        for o, w in worst.items() if w)
    out.append(("series ring/bitmap <= 0.8x upstream's (random) and <= 1.0x (sequential) "
                "at 10 % and 100 % dirty", ok, txt or "no cells"))

    # 2. ring never loses to the bitmap: series ring/bitmap <= 1.2 everywhere
    vals = [(r["res"]["series"]["ratio"][0], r["cell"]) for r in cells_rows if r["res"]["series"]["ratio"]]
    bvals = [r["res"]["base"]["ratio"][0] for r in cells_rows if r["res"]["base"]["ratio"]]
    if vals:
        w = max(vals)
        over = sum(1 for v, _ in vals if v > 1.2)
        out.append(("series ring/bitmap <= 1.2 in every cell", w[0] <= 1.2,
                    f"worst {w[0]:.2f} ({size(w[1][1])}, {pctfmt(w[1][2])}, {w[1][3]}, "
                    f"{w[1][4]} vCPU); {over} of {len(vals)} cells above 1.2"
                    + (f"; base: up to {max(bvals):.2f}" if bvals else "")))
    else:
        out.append(("series ring/bitmap <= 1.2 in every cell", None, "no series data"))

    # 3. random <= 1.3x sequential
    vals = [(r["res"]["series"][0], r["key"]) for r in order_rows if r["res"]["series"]]
    bvals = [r["res"]["base"][0] for r in order_rows if r["res"]["base"]]
    if vals:
        w = max(vals)
        out.append(("series: random order costs <= 1.3x sequential", w[0] <= 1.3,
                    f"worst {w[0]:.2f}x ({size(w[1][0])}, {pctfmt(w[1][1])}, {w[1][2]} vCPU), "
                    f"median {statistics.median(v for v, _ in vals):.2f}x"
                    + (f"; base: {min(bvals):.2f}–{max(bvals):.2f}x" if bvals else "")))
    else:
        out.append(("series: random order costs <= 1.3x sequential", None, "no series data"))

    # 4. sparse: 4 GiB, 0.1 %, random, ring <= 0.7x GET+CLEAR
    sparse = [r for r in cells_rows if r["cell"][1] == 4096 and r["cell"][2] == 0.1
              and r["cell"][3] == "rand"]
    if sparse and sparse[0]["res"]["series"]["ratio"]:
        s = sorted(sparse, key=lambda r: r["cell"][4])
        parts = [f"{r['cell'][4]} vCPU: series {fmt(r['res']['series']['ratio'])}, "
                 f"base {fmt(r['res']['base']['ratio'])}" for r in s]
        ok = s[0]["res"]["series"]["ratio"][0] <= 0.7
        out.append(("4 GiB slot, 0.1 % dirty, random: series ring <= 0.7x GET+CLEAR "
                    f"({s[0]['cell'][4]} vCPU)", ok, "; ".join(parts)))
    else:
        out.append(("4 GiB slot, 0.1 % dirty, random: ring <= 0.7x GET+CLEAR", None,
                    "no 4 GiB 0.1 % random cell for the series"))

    # 5. guest dirtying cost: series ring <= 1.0x upstream's ring
    rel = []
    for r in guest_rows:
        s, b = r["rel"]["series"], r["rel"]["base"]
        if s and b:
            rel.append((s[0] / b[0], r["cell"]))
    if rel:
        m = statistics.median(v for v, _ in rel)
        w = max(rel)
        out.append(("guest dirtying cost with the series' ring <= 1.0x upstream's ring "
                    "(each normalised by the bitmap's guest cost in its boot)", m <= 1.0,
                    f"median over {len(rel)} cells {m:.2f}x, worst {w[0]:.2f}x "
                    f"({size(w[1][1])}, {pctfmt(w[1][2])}, {w[1][3]}, {w[1][4]} vCPU)"))
    else:
        out.append(("guest dirtying cost with the series' ring <= 1.0x upstream's ring",
                    None, "no data for both kernels"))

    # 6. wait mode: >= 2x fewer round trips than exit mode, equal throughput
    out.append(wait_target(B, full_rows))
    return [(t, verdict(ok), fig) for t, ok, fig in out]


def write_csvs(benches, root):
    keys = sorted({k for B in benches for r in B.rounds for k in r})
    first = ["mode", "kernel", "boot", "test", "exp", "track", "wmode", "slot_mib", "pct",
             "order", "vcpus", "ring", "round"]
    cols = first + [k for k in keys if k not in first]
    with open(os.path.join(root, "rounds.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, cols, extrasaction="ignore")
        w.writeheader()
        for B in benches:
            for r in B.rounds:
                w.writerow(r)
    mcols = ["pages", "wall_ns", "run_ns", "wall_ns_pp", "guest_ns_pp", "runs", "full_exits", "full_ns",
             "wait_ns", "waits", "collections", "entries", "harvest_ns", "reset_ns",
             "get_ns", "clear_ns", "collect_ns", "collect_ns_pp", "n_rounds"]
    with open(os.path.join(root, "cells.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["mode", "kernel", "boot", *CELL_KEYS, "track", "wmode", "ring", *mcols])
        for B in benches:
            for (k, b, c, vm), m in sorted(B.pb.items(),
                                           key=lambda x: (x[0][0], x[0][1], x[0][2], x[0][3])):
                w.writerow([B.mode, k, b, *c, *vm, *[m.get(x, "") for x in mcols]])


def plots(B, root, cells_rows, guest_rows, full_rows, scale_rows=()):
    """PNG plots of one mode's tables: plots/<name>.png for the wall-clock
    boots, plots/icount_<name>.png for the icount boots."""
    gp = shutil.which("gnuplot")
    if not gp:
        return "gnuplot is not installed (make deps): no plots"
    pdir = os.path.join(root, "plots")
    os.makedirs(pdir, exist_ok=True)
    made = []
    prefix = "icount_" if B.icount else ""
    tag = " [icount]" if B.icount else ""

    def run(name, script, data):
        name = prefix + name
        script = script.replace("TAG", tag)
        dat = os.path.join(pdir, name + ".dat")
        with open(dat, "w") as f:
            f.write(data)
        r = subprocess.run([gp], input=script.replace("DATA", dat).replace(
            "OUT", os.path.join(pdir, name + ".png")), text=True, capture_output=True)
        if r.returncode:
            sys.stderr.write(f"gnuplot {name}: {r.stderr}\n")
        else:
            made.append(name + ".png")

    head = ("set terminal pngcairo noenhanced size {w},{h} font 'sans,10'\nset output 'OUT'\n"
            "set key top left\nset grid ytics\n")

    # 1. ring/bitmap per cell, base vs series, min-max bars
    rows = []
    for i, r in enumerate(cells_rows):
        _, mib, pct, order, vcpus = r["cell"]
        label = f"{size(mib).replace(' ', '')} {pct:g}% {order} {vcpus}v"
        vals = []
        for k in KERNELS:
            t = r["res"][k]["ratio"]
            vals += list(t) if t else ["NaN"] * 3
        rows.append(f'{i} "{label}" ' + " ".join(str(v) for v in vals))
    if rows:
        run("ratio", head.format(w=max(900, 28 * len(rows)), h=560) +
            "set title 'Collection cost, ring / bitmap (same boot), median and min-max over bootsTAG'\n"
            "set ylabel 'ring / bitmap'\nset logscale y\nset xtics rotate by -60 font ',8'\n"
            f"set xrange [-1:{len(rows)}]\n"
            "plot 'DATA' u ($1-0.15):3:4:5:xtic(2) w yerrorbars pt 7 lc rgb '#c0392b' t 'base (upstream ring)', "
            "'' u ($1+0.15):6:7:8 w yerrorbars pt 5 lc rgb '#2471a3' t 'series', "
            "1 w l lc rgb 'black' dt 2 t 'ring = bitmap', 1.2 w l lc rgb 'gray' dt 3 t '1.2 target'\n",
            "\n".join(rows) + "\n")

    # 2. collection ns/page vs dirty %, 1 vCPU, one panel per slot size
    sizes = sorted({r["cell"][1] for r in cells_rows})
    blocks, panels, idx = [], [], 0
    colors = {("base", "ring"): "#c0392b", ("series", "ring"): "#2471a3",
              ("base", "bitmap"): "#e59866", ("series", "bitmap"): "#76d7c4"}
    for mib in sizes:
        cmds = []
        for k in KERNELS:
            for what in ("ring", "bitmap"):
                for order in ("seq", "rand"):
                    pts = []
                    for r in cells_rows:
                        _, m, pct, o, v = r["cell"]
                        if m == mib and o == order and v == 1 and r["res"][k][what]:
                            pts.append(f"{pct} {r['res'][k][what][0]}")
                    if not pts:
                        continue
                    blocks.append("\n".join(pts))
                    dt = 1 if order == "seq" else 2
                    pt = 7 if what == "ring" else 4
                    cmds.append(f"'DATA' index {idx} u 1:2 w lp dt {dt} pt {pt} "
                                f"lc rgb '{colors[(k, what)]}' t '{k} {what} {order}'")
                    idx += 1
        if cmds:
            panels.append(f"set title '{size(mib)} slot'\nplot " + ", ".join(cmds) + "\n")
    if panels:
        run("collect_per_page", head.format(w=480 * len(panels), h=520) +
            "set key top right font ',8'\nset logscale xy\nset xlabel 'dirtied, % of the slot'\n"
            "set ylabel 'ns per dirtied page'\nset xrange [0.07:150]\n"
            f"set multiplot layout 1,{len(panels)} title 'Collection cost per dirtied page, "
            "1 vCPU (median over boots)TAG'\n" + "".join(panels) + "unset multiplot\n",
            "\n\n\n".join(blocks) + "\n")

    # 3. guest dirtying cost per page, ring/bitmap per cell
    rows = []
    for i, r in enumerate(guest_rows):
        _, mib, pct, order, vcpus = r["cell"]
        label = f"{size(mib).replace(' ', '')} {pct:g}% {order} {vcpus}v"
        vals = []
        for k in KERNELS:
            t = r["rel"][k]
            vals += list(t) if t else ["NaN"] * 3
        rows.append(f'{i} "{label}" ' + " ".join(str(v) for v in vals))
    if rows:
        run("guest_cost", head.format(w=max(900, 28 * len(rows)), h=520) +
            "set title 'Guest dirtying cost, ring / bitmap (same boot), median and min-max over bootsTAG'\n"
            "set ylabel 'ring guest ns/page / bitmap guest ns/page'\n"
            "set xtics rotate by -60 font ',8'\n"
            f"set xrange [-1:{len(rows)}]\n"
            "plot 'DATA' u ($1-0.15):3:4:5:xtic(2) w yerrorbars pt 7 lc rgb '#c0392b' t 'base', "
            "'' u ($1+0.15):6:7:8 w yerrorbars pt 5 lc rgb '#2471a3' t 'series', "
            "1 w l lc rgb 'black' dt 2 notitle\n",
            "\n".join(rows) + "\n")

    # 4. ring full: round trips per round, exit vs wait
    rows = []
    for i, r in enumerate(full_rows):
        _, mib, pct, order, vcpus = r["cell"]
        t = r["res"]["runs"]
        if not t:
            continue
        rows.append(f'{len(rows)} "{r["kernel"]} {r["mode"]} {order} {vcpus}v" {t[0]} {t[1]} {t[2]}')
    if rows:
        run("ring_full", head.format(w=900, h=500) +
            "set title 'Ring full (1024-entry ring): userspace round trips (KVM_RUN returns) per roundTAG'\n"
            "set ylabel 'KVM_RUN returns per round'\nset yrange [0:*]\nset style fill solid 0.6\n"
            "set boxwidth 0.6\nset xtics rotate by -30\n"
            f"set xrange [-1:{len(rows)}]\n"
            "plot 'DATA' u 1:3:xtic(2) w boxes lc rgb '#2471a3' notitle, "
            "'' u 1:3:4:5 w yerrorbars pt 0 lc rgb 'black' notitle\n",
            "\n".join(rows) + "\n")
    # 5. scale: collection ns/page against slot size, log x
    if scale_rows:
        blocks, cmds = [], []
        colors = {("base", "ring"): "#c0392b", ("series", "ring"): "#2471a3",
                  ("base", "bitmap"): "#e59866", ("series", "bitmap"): "#76d7c4"}
        for k in KERNELS:
            for what in ("ring", "bitmap"):
                pts = [f"{r['mib'] / 1024.0} {r['v'][(k, what)]}" for r in scale_rows
                       if r["v"][(k, what)]]
                if not pts:
                    continue
                cmds.append(f"'DATA' index {len(blocks)} u 1:2 w lp pt {7 if what == 'ring' else 4} "
                            f"lc rgb '{colors[(k, what)]}' t '{k} {what}'")
                blocks.append("\n".join(pts))
        if cmds:
            run("scale", head.format(w=800, h=520) +
                "set title 'Collection cost per dirtied page, fixed random pages, 1 vCPUTAG'\n"
                "set logscale x 2\nset xlabel 'slot size, GiB'\nset ylabel 'ns per dirtied page'\n"
                "set yrange [0:*]\nplot " + ", ".join(cmds) + "\n",
                "\n\n\n".join(blocks) + "\n")
    return ", ".join(f"[{m}](plots/{m})" for m in made)


def tables(B):
    """The four tables of one mode: (body lines, cells, order, guest, full rows)."""
    cells_rows, order_rows, guest_rows, full_rows = [], [], [], []
    body = []
    collect_table(B, body, cells_rows)
    order_table(B, body, order_rows)
    guest_table(B, body, guest_rows)
    full_table(B, body, full_rows)
    # one level down: they sit under the mode's own heading
    body = ["#" + line if line.startswith("## ") else line for line in body]
    return body, cells_rows, order_rows, guest_rows, full_rows


def target_table(rows):
    out = ["| target | verdict | measured |", "| --- | --- | --- |"]
    out += [f"| {t} | {v} | {fig} |" for t, v, fig in rows]
    return out + [""]


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    root = sys.argv[1]
    benches = [Bench(root, mode) for mode in MODES]
    benches = [B for B in benches if B.rounds]
    if not benches:
        sys.exit(f"{root}: no kdrbench rounds found under raw/")
    by = {B.mode: B for B in benches}
    lines = ["# make bench results", ""]
    cmd = os.path.join(root, "command.txt")
    if os.path.exists(cmd):
        lines += ["```"] + open(cmd).read().rstrip().splitlines() + ["```", ""]
    for B in benches:
        for k in KERNELS:
            inf = [i for (kk, _), l in sorted(B.infos.items()) if kk == k for i in l[:1]]
            if inf:
                i = inf[0]
                lines.append(f"- {k}, {B.mode} boots {', '.join(map(str, B.boots[k])) or 'none'}: "
                             f"kernel {i.get('release')}, ring {i.get('ring_cap')} "
                             f"(max {i.get('ring_max_bytes')} B), per-VM ring cap "
                             f"{i.get('vm_ring')}, wait cap {i.get('wait')}")
    skipped = sorted({(s["kernel"], s.get("exp"), s.get("track"), s.get("wmode", ""), s.get("reason"))
                      for B in benches for s in B.skips})
    for k, exp, track, wmode, reason in skipped:
        lines.append(f"- skipped on {k}: exp={exp} {track} {wmode} ({reason})")
    lines.append("")

    made = {B.mode: tables(B) for B in benches}
    lines += ["## Targets (issue 14), judged on the icount boots", ""]
    if "icount" in by:
        B = by["icount"]
        lines += ["Instruction counts (`-icount shift=0,sleep=off`): per cell the median over "
                  "the icount boots of each kernel (series: " +
                  ", ".join(map(str, B.boots["series"])) + "; base: " +
                  (", ".join(map(str, B.boots["base"])) or "none") + ").  Every-cell "
                  "targets give the worst cell, how many cells miss and the median.", ""]
        lines += target_table(targets14(B, *made["icount"][1:]))
        aa_section(B, lines)
        cost_model(B, lines)
        scale_rows = scale_section(B, lines)
    else:
        scale_rows = []
        lines += ["No icount boots (raw/icount<N>-<kernel>/): not judged.", ""]
    lines += ["## Targets (issue 9), judged on the wall-clock boots", ""]
    if "wall" in by:
        lines += target_table(targets(by["wall"], *made["wall"][1:]))
    else:
        lines += ["No wall-clock boots (raw/boot<N>-<kernel>/): not judged.", ""]

    plotted = []
    for B in benches:
        lines += [f"## Figures: {MODE_NAME[B.mode]}", ""]
        if B.icount:
            lines += ["Guest time is an instruction count: 1 ns = 1 instruction executed by "
                      "the L1 guest (its kernel and dirty_bench, and the L2 guest code it "
                      "runs).  Work QEMU does outside guest instructions (the emulated "
                      "nested SVM world switches, its softmmu) costs no guest time, so these "
                      "figures weigh code paths by instructions, not by host time.", ""]
        else:
            lines += ["Host time under multi-threaded TCG; boots differ in speed by up to "
                      "+-50 %, so only ratios within a boot compare.", ""]
        lines += made[B.mode][0]
        p = plots(B, root, made[B.mode][1], made[B.mode][3], made[B.mode][4],
                  scale_rows if B.icount else ())
        if p:
            plotted.append(p)
    write_csvs(benches, root)
    lines.append("plots: " + ", ".join(plotted) if plotted else "no plots made")
    lines.append("")
    lines.append("Raw data: `raw/icount<N>-<kernel>/` (icount) and `raw/boot<N>-<kernel>/` "
                 "(wall clock), dirty_bench output per plan test; `rounds.csv` (every measured "
                 "round), `cells.csv` (medians per boot and cell), both with a mode column.")
    text = "\n".join(lines) + "\n"
    with open(os.path.join(root, "table.md"), "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
