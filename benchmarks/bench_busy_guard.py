"""Issue 22.3: convop under two busy-loop processes vs quiet, torch imported or not, two
source trees (before/after) interleaved; usage: python bench_busy_guard.py ROUNDS."""
import subprocess, sys, json, os, numpy as np
py = "/work/venv/bin/python"
srcs = {"before": "/work/main/src", "after": "/work/wt/busyguard/src"}
rounds = int(sys.argv[1])
raw = open(sys.argv[2], "a") if len(sys.argv) > 2 else None  # one JSON line per worker run
out, loops = {}, []
import signal
signal.signal(signal.SIGTERM, lambda *a: sys.exit(1))
def start():
    for _ in range(2):
        loops.append(subprocess.Popen([py, "-c", "while True: pass"]))
def stop():
    while loops:
        p = loops.pop(); p.kill(); p.wait()
try:
    for r in range(rounds):
        for cond in ("quiet", "busy"):
            for tor in ("notorch", "torch"):
                for ver, src in srcs.items():
                    if cond == "busy": start()
                    try:
                        got = json.loads(subprocess.run([py, os.path.join(os.path.dirname(os.path.abspath(__file__)), "bench_busy_guard_worker.py"), tor], env=dict(os.environ, PYTHONPATH=src), capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1])
                    finally:
                        stop()
                    if raw:
                        raw.write(json.dumps([cond, tor, ver, got]) + "\n"); raw.flush()
                    for k, v in got.items():
                        out.setdefault((cond, k, tor, ver), []).append(v)
finally:
    stop()
for (cond, k, tor, ver), vs in sorted(out.items()):
    if isinstance(vs[0], float):
        print(f"{cond:6s} {k:40s} {tor:8s} {ver:7s} median {np.median(vs):7.2f} ms  [{min(vs):.2f}-{max(vs):.2f}]")
    else:
        print(f"{cond:6s} {k:40s} {tor:8s} {ver:7s} {sorted(set(vs))}")
