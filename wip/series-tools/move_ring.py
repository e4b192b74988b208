#!/usr/bin/env python3
"""Tree filter: move the dirty ring's code from virt/kvm/kvm_main.c to
virt/kvm/dirty_ring.c, in whatever state a commit of the series has it.

Run in the top of a kernel tree.  Deterministic, so that the diffs between
filtered trees of consecutive commits are the series' own changes."""
import re
import sys

KM = "virt/kvm/kvm_main.c"
DR = "virt/kvm/dirty_ring.c"
HD = "include/linux/kvm_dirty_ring.h"

# name -> (short description, {param: description}, default Context, default Return)
DOC = {
    "mark_page_dirty_in_ring": (
        "Push a dirty page to the ring it belongs to",
        {"kvm": "the VM", "memslot": "the memslot holding @gfn, which logs dirty pages",
         "gfn": "the page", "full_vcpu": "set to the vCPU whose ring was full, for -ENOSPC"},
        "any context that calls mark_page_dirty_in_slot().", None),
    "kvm_dirty_ring_count_lost": (
        "Account a page that no ring and no bitmap took",
        {"kvm": "the VM", "vm_ring_full": "whether the per-VM ring was full (else there is none)"},
        "any context that calls mark_page_dirty_in_slot().", None),
    "kvm_dirty_ring_vcpu_lost": (
        "Report a page lost to a full vCPU ring",
        {"kvm": "the VM", "vcpu": "the vCPU whose ring was full"},
        None, None),
    "kvm_vm_ioctl_enable_dirty_log_ring": (
        "Enable the vCPU dirty rings of a VM",
        {"kvm": "the VM", "size": "the size of each vCPU's ring, in bytes"},
        "Process context (KVM_ENABLE_CAP on the VM fd); takes kvm->lock.",
        "0, or a negative errno; see KVM_CAP_DIRTY_LOG_RING in\n"
        " * Documentation/virt/kvm/api.rst."),
    "kvm_vm_ioctl_enable_vm_dirty_ring": (
        "Enable the per-VM dirty ring",
        {"kvm": "the VM", "cap": "KVM_ENABLE_CAP's argument; args[0] is the ring's size, in bytes"},
        "Process context (KVM_ENABLE_CAP on the VM fd); takes kvm->lock.",
        "0, or a negative errno; see KVM_CAP_DIRTY_LOG_RING_VM in\n"
        " * Documentation/virt/kvm/api.rst."),
    "kvm_vm_ioctl_reset_dirty_pages": (
        "Reset the harvested dirty ring entries",
        {"kvm": "the VM"},
        "Process context (KVM_RESET_DIRTY_RINGS); takes kvm->slots_lock.",
        "the number of entries reset, or a negative errno; see\n"
        " * KVM_RESET_DIRTY_RINGS in Documentation/virt/kvm/api.rst."),
    "kvm_vm_mmap": (
        "Map the per-VM dirty ring of a VM fd",
        {"file": "the VM fd", "vma": "the new mapping"},
        "Process context (mmap() of the VM fd), mmap_lock held.",
        "0, or -EINVAL for a mapping outside the ring, private or executable."),
    "kvm_vm_poll": (
        "Poll a VM fd for dirty rings to harvest",
        {"file": "the VM fd", "wait": "the poll table"},
        "Process context (poll(), select() or epoll on the VM fd).",
        "the events above that are ready."),
}

STUBS = {
    "kvm_vm_ioctl_enable_dirty_log_ring": "\treturn -EINVAL;\n",
    "kvm_vm_ioctl_enable_vm_dirty_ring": "\treturn -EINVAL;\n",
    "kvm_vm_ioctl_reset_dirty_pages": "\treturn -EINVAL;\n",
}

# Functions moved whole, in this order, when present.
FUNCS = ["kvm_dirty_ring_check_size", "kvm_vm_ioctl_enable_dirty_log_ring",
         "kvm_vm_ioctl_enable_vm_dirty_ring", "kvm_vm_ioctl_reset_dirty_pages",
         "kvm_vm_fault", "kvm_vm_vm_ops", "kvm_vm_mmap", "kvm_vm_poll"]


def die(msg):
    sys.exit("move_ring: " + msg)


def find_block(text, name):
    """(start, end) of a function or struct definition at column 0 with its
    leading comment, end after the closing line and one blank line."""
    m = re.search(r"^(static [^\n;]*?|[a-z][^\n;]*?)\b%s(\(| = \{)" % re.escape(name), text, re.M)
    if not m:
        return None
    start = m.start()
    close = "\n};\n" if m.group(2) == " = {" else "\n}\n"
    end = text.find(close, start)
    if end < 0:
        die("no end for " + name)
    end += len(close)
    if text[end:end + 1] == "\n":
        end += 1
    # the comment right above
    before = text[:start]
    if before.endswith(" */\n"):
        nb = "\n" + before
        cstart = max(nb.rfind("\n/*\n"), nb.rfind("\n/**\n"), nb.rfind("\n/* "))
        if cstart < 0:
            die("no comment start for " + name)
        start = cstart
    return start, end


def signature(block, name):
    m = re.search(r"^((?:static )?[^\n]*?\b%s\((?:[^)]*)\))" % re.escape(name), block, re.M | re.S)
    return m.group(1)


def params(sig):
    inner = sig[sig.index("(") + 1:-1]
    out = []
    for p in inner.split(","):
        p = p.strip()
        if p == "void":
            continue
        out.append(re.search(r"(\w+)$", p).group(1))
    return out


def kerneldoc(block, name):
    """Turn the comment above @name into kernel-doc, or add one."""
    short, pdesc, ctx, ret = DOC[name]
    sig = signature(block, name)
    head = ["/**", " * %s() - %s" % (name, short)]
    for p in params(sig):
        if p not in pdesc:
            die("no description of %s's %s" % (name, p))
        head.append(" * @%s: %s" % (p, pdesc[p]))
    head.append(" *")
    if block.startswith("/*"):
        cend = block.index(" */\n")
        comment = block[:cend]
        code = block[cend + len(" */\n"):]
        body = comment.split("\n")
        first = body[0]
        lines = body[1:]
        if first not in ("/*", "/**"):
            lines = [" * " + first[3:]] + lines
        lines = [re.sub(r"^ \* Returns ", " * Return: ", l) for l in lines]
        while lines and lines[-1].strip() in ("", "*"):
            lines.pop()
    else:
        lines, code = [], block
    text = "\n".join(lines)
    extra = []
    if ctx and "Context:" not in text:
        extra.append(" * Context: " + ctx)
    if ret and "Return" not in text:
        extra.append(" * Return: " + ret)
    if extra and lines:
        lines.append(" *")
    lines += extra
    return "\n".join(head + lines + [" */"]) + "\n" + code


def realign(text):
    """Re-indent the continuation lines of every multi-line signature at
    column 0, to one past its opening parenthesis."""
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        l = lines[i]
        if l and not l[0].isspace() and not l.startswith(("/*", " *", "#", "}")) and \
                "(" in l and l.count("(") > l.count(")"):
            col = len(l[:l.index("(")].expandtabs()) + 1
            depth = l.count("(") - l.count(")")
            j = i + 1
            while depth > 0 and j < len(lines):
                c = lines[j].lstrip()
                lines[j] = "\t" * (col // 8) + " " * (col % 8) + c
                depth += c.count("(") - c.count(")")
                j += 1
            i = j
        else:
            i += 1
    return "\n".join(lines)


def prototype(sig):
    sig = sig.replace("static ", "", 1)
    return realign(sig + ";") + "\n"


def stub(sig, body):
    return realign("static inline " + sig.replace("static ", "", 1)) + "\n{\n" + body + "}\n"


def main():
    km = open(KM).read()
    dr = open(DR).read()
    hd = open(HD).read()
    moved = []      # blocks for dirty_ring.c
    stubs = []      # static inline stubs for the header's !CONFIG part
    header_inline = []

    # 1. the push path, an #ifdef CONFIG_HAVE_KVM_DIRTY_RING block after
    #    kvm_clear_guest(), possibly with stubs after #else.
    anchor = "EXPORT_SYMBOL_GPL(kvm_clear_guest);\n\n#ifdef CONFIG_HAVE_KVM_DIRTY_RING\n"
    i = km.find(anchor)
    if i >= 0:
        s = i + len("EXPORT_SYMBOL_GPL(kvm_clear_guest);\n\n")
        e = km.index("\n#endif\n", s) + len("\n#endif\n")
        region = km[s:e]
        inner = region[len("#ifdef CONFIG_HAVE_KVM_DIRTY_RING\n"):-len("#endif\n")]
        if "\n#if" in inner:
            die("nested #if in the push block")
        if "\n#else\n" in inner:
            code, alt = inner.split("\n#else\n")
            code += "\n"
        else:
            code, alt = inner, ""
        if code.startswith("/* The push path"):
            code = code[code.index("\n") + 1:]
            if code.startswith("\n"):
                code = code[1:]
        if e < len(km) and km[e] == "\n":
            e += 1
        km = km[:s] + km[e:]
        moved.append(("push", code, alt))
    # 2. kvm_pgoff_in_dirty_ring(): both files need it
    b = find_block(km, "kvm_pgoff_in_dirty_ring")
    if b:
        blk = km[b[0]:b[1]]
        km = km[:b[0]] + km[b[1]:]
        header_inline.append(blk.replace("static bool", "static inline bool", 1).rstrip("\n") + "\n")
    # 3. whole functions
    for name in FUNCS:
        b = find_block(km, name)
        if not b:
            continue
        blk = km[b[0]:b[1]]
        km = km[:b[0]] + km[b[1]:]
        moved.append((name, blk, ""))

    if not moved:
        die("nothing to move")

    # What kvm_main.c still calls becomes global.
    out = []
    protos = []
    for name, blk, alt in moved:
        funcs = re.findall(r"^static [^\n(]*?\b(\w+)\(", blk, re.M)
        for f in funcs:
            if not re.search(r"\b%s(\((?!\))|,)" % f, km):
                continue
            if f not in DOC:
                die("no kernel-doc for " + f)
            b = find_block(blk, f)
            fb = blk[b[0]:b[1]]
            sig = signature(fb, f)
            nfb = kerneldoc(fb, f).replace(sig, sig.replace("static ", "", 1), 1)
            blk = blk[:b[0]] + nfb + blk[b[1]:]
            protos.append(prototype(sig))
            if f in STUBS:
                stubs.append(stub(sig, STUBS[f]))
        if alt:
            alt = alt.strip("\n") + "\n"
            alt = realign(re.sub(r"^static ", "static inline ", alt, flags=re.M))
            stubs.append(alt)
        if name == "kvm_vm_poll":
            blk = blk.replace("\t/* Nothing changes where there can be no ring. */\n"
                              "\tif (!IS_ENABLED(CONFIG_HAVE_KVM_DIRTY_RING))\n"
                              "\t\treturn DEFAULT_POLLMASK;\n", "")
        out.append(realign(blk.rstrip("\n")) + "\n")

    # The VM fd's ring operations exist only where there is a ring.
    m = re.search(r"((?:\t\.(?:mmap|poll) += kvm_vm_(?:mmap|poll),\n)+)", km)
    if m:
        km = km[:m.start()] + "#ifdef CONFIG_HAVE_KVM_DIRTY_RING\n" + m.group(1) + \
            "#endif\n" + km[m.end():]
    km = km.replace("#include <linux/poll.h>\n", "")

    # dirty_ring.c: append, in kvm_main.c's order
    dr = dr.rstrip("\n") + "\n\n" + "\n".join(out)
    if "kvm_vm_poll" in dr and "#include <linux/poll.h>" not in dr:
        dr = dr.replace("#include <linux/vmalloc.h>\n",
                        "#include <linux/poll.h>\n#include <linux/vmalloc.h>\n", 1)

    # header
    if header_inline:
        anchor = "\n#ifndef CONFIG_HAVE_KVM_DIRTY_RING\n"
        i = hd.index(anchor)
        hd = hd[:i] + "\n" + "\n".join(header_inline) + hd[i:]
    if stubs:
        anchor = "\n#else /* CONFIG_HAVE_KVM_DIRTY_RING */\n"
        i = hd.index(anchor)
        hd = hd[:i] + "\n" + "\n".join(stubs) + hd[i:]
    if protos:
        anchor = "\n#endif /* CONFIG_HAVE_KVM_DIRTY_RING */\n"
        i = hd.index(anchor)
        protos = [p.replace("poll_table *", "struct poll_table_struct *") for p in protos]
        hd = hd[:i] + "\n/* Called from kvm_main.c. */\n" + "".join(protos) + hd[i:]
        if "struct poll_table_struct *" in hd:
            hd = hd.replace("struct kvm_memory_slot;\n",
                            "struct kvm_memory_slot;\nstruct poll_table_struct;\n", 1)

    open(KM, "w").write(km)
    open(DR, "w").write(dr)
    open(HD, "w").write(hd)


main()
