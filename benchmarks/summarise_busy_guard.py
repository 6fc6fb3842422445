"""Summarise the JSON lines written by bench_busy_guard.py: median [min-max] per row."""
import json, sys
import numpy as np
out = {}
for path in sys.argv[1:]:
    for line in open(path):
        cond, tor, ver, got = json.loads(line)
        for k, v in got.items():
            out.setdefault((cond, k, tor, ver), []).append(v)
for (cond, k, tor, ver), vs in sorted(out.items()):
    if isinstance(vs[0], float):
        print(f"{cond:6s} {k:40s} {tor:8s} {ver:7s} median {np.median(vs):7.2f} ms  [{min(vs):.2f}-{max(vs):.2f}]  n={len(vs)}")
    else:
        print(f"{cond:6s} {k:40s} {tor:8s} {ver:7s} {sorted(set(vs))}")
