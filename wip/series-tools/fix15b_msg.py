#!/usr/bin/env python3
import sys, textwrap, re
i = int(sys.argv[1])
s = sys.stdin.read()
if i == 15:
    paras = s.split('\n\n')
    for k, p in enumerate(paras):
        if p.startswith('The wait cannot happen where the ring is found full.'):
            chunk = re.sub(r'\s*\n\s*', ' ', p.strip()).replace('.  ', '.\x01 ').replace(':  ', ':\x01 ')
            out = textwrap.fill(chunk, width=72, break_long_words=False, break_on_hyphens=False)
            paras[k] = out.replace('\x01 ', '  ').replace('\x01\n', '\n').replace('\x01', '')
    s = '\n\n'.join(paras)
sys.stdout.write(s)
