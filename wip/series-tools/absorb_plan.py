#!/usr/bin/env python3
"""absorb_plan.py <branch> <x-index> [hunk=target-index ...] > plan.json
Split commit x of <branch> into hunks; each goes to the last series commit
that touched its removed lines (or its context, if it only adds), unless
overridden; prints the plan for absorb_filter.py."""
import json, re, subprocess, sys
B = 'base-6.12.118-1_deb12u1'
br, x = sys.argv[1], int(sys.argv[2])
over = dict(a.split('=') for a in sys.argv[3:])
git = lambda *a: subprocess.check_output(['git'] + list(a), cwd='/root/.cache/kvm-dirty-ring/mv-wt').decode()
cs = git('rev-list', '--reverse', f'{B}..{br}').split()
idx = {c: i + 1 for i, c in enumerate(cs)}
X = cs[x - 1]
diff = git('show', '--format=', '-U' + __import__('os').environ.get('ABSORB_U', '3'), X)
hunks = []
f = None
for part in re.split(r'(?m)^(?=diff --git )', diff):
    m = re.match(r'diff --git a/(\S+)', part)
    if not m:
        continue
    f = m.group(1)
    for h in re.split(r'(?m)^(?=@@ )', part)[1:]:
        hm = re.match(r'@@ -(\d+)(?:,(\d+))? \+\d+(?:,\d+)? @@', h)
        start = int(hm.group(1))
        lines = h.split('\n')[1:]
        if lines and lines[-1] == '':
            lines = lines[:-1]
        old, new, rm_lines, ctx_lines = [], [], [], []
        ln = start
        for l in lines:
            if l.startswith('\\'):
                continue
            t, body = l[:1], l[1:]
            if t in (' ', '-'):
                old.append(body)
                (rm_lines if t == '-' else ctx_lines).append(ln)
                ln += 1
            if t in (' ', '+'):
                new.append(body)
        if not rm_lines and not ctx_lines:
            # A pure addition (with -U0): anchor it on the lines around it.
            src = git('show', X + '^:' + f).split('\n')
            hm2 = re.match(r'@@ -(\d+)(?:,(\d+))?', h)
            after = int(hm2.group(1))      # inserted after this line
            before_ctx = src[max(0, after - 2):after]
            after_ctx = src[after:after + 1]
            old = before_ctx + after_ctx
            new = before_ctx + new + after_ctx
            ctx_lines = list(range(after - len(before_ctx) + 1, after + 1 + len(after_ctx)))
        blame_lines = rm_lines + ctx_lines
        target = 0
        for L in blame_lines:
            out = git('blame', '-l', '-s', '-L', f'{L},{L}', X + '^', '--', f)
            sha = out.split()[0].lstrip('^')
            target = max(target, idx.get(sha, 0))
        j = lambda L: ''.join(x + '\n' for x in L)
        hunks.append({'file': f, 'old': j(old), 'new': j(new),
                      'target': target, 'line': start})
for k, v in over.items():
    h = hunks[int(k)]
    if h['target'] and int(v) < h['target']:
        sys.stderr.write(f"hunk {k}: override {v} below {h['target']}, the last commit touching its lines\n")
    h['target'] = max(int(v), h['target'])
for i, h in enumerate(hunks):
    sys.stderr.write(f"hunk {i}: {h['file']}:{h['line']} -> {h['target']}\n")
    if h['target'] == 0:
        sys.exit(f'hunk {i} touches only base lines: give a target')
json.dump({'x': x, 'hunks': hunks}, sys.stdout)
