"""Issue 22.3: convop under two busy-loop processes against a quiet machine, torch
imported or not, two source trees (before/after a change) interleaved.

Usage::

    python benchmarks/bench_busy_guard.py --rounds 5 --before OLD/src --after NEW/src \
        [--raw runs.jsonl]
    python benchmarks/bench_busy_guard.py --summarise runs.jsonl [more.jsonl ...]

Each measurement runs ``bench_busy_guard_worker.py`` in a fresh process (so routes and
contention state start cold) with ``PYTHONPATH`` set to one tree; the busy loops are
started before and killed after every worker run. ``--raw`` appends one JSON line per
worker run, so a run cut short keeps its rounds; ``--summarise`` prints median
[min-max] per row from such files.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np

WORKER = Path(__file__).with_name("bench_busy_guard_worker.py")


def _print(out: dict) -> None:
    for (cond, k, tor, ver), vs in sorted(out.items()):
        if isinstance(vs[0], float):
            print(
                f"{cond:6s} {k:40s} {tor:8s} {ver:7s} median {np.median(vs):7.2f} ms "
                f"[{min(vs):.2f}-{max(vs):.2f}]  n={len(vs)}"
            )
        else:
            print(f"{cond:6s} {k:40s} {tor:8s} {ver:7s} {sorted(set(vs))}")


def summarise(paths: list[str]) -> None:
    out: dict = {}
    for path in paths:
        for line in Path(path).read_text().splitlines():
            cond, tor, ver, got = json.loads(line)
            for k, v in got.items():
                out.setdefault((cond, k, tor, ver), []).append(v)
    _print(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--before", help="src folder of the tree before the change")
    ap.add_argument("--after", help="src folder of the tree after the change")
    ap.add_argument("--raw", help="append one JSON line per worker run to this file")
    ap.add_argument("--summarise", nargs="+", metavar="JSONL", help="only summarise")
    args = ap.parse_args()
    if args.summarise:
        summarise(args.summarise)
        return
    if not (args.before and args.after):
        ap.error("--before and --after are required (src folders of two trees)")
    srcs = {"before": args.before, "after": args.after}
    raw = open(args.raw, "a") if args.raw else None  # noqa: SIM115 (kept open for appends)
    out: dict = {}
    loops: list[subprocess.Popen] = []
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(1))

    def stop() -> None:
        while loops:
            p = loops.pop()
            p.kill()
            p.wait()

    try:
        for _ in range(args.rounds):
            for cond in ("quiet", "busy"):
                for tor in ("notorch", "torch"):
                    for ver, src in srcs.items():
                        if cond == "busy":
                            for _ in range(2):
                                cmd = [sys.executable, "-c", "while True: pass"]
                                loops.append(subprocess.Popen(cmd))
                        try:
                            run = subprocess.run(
                                [sys.executable, str(WORKER), tor],
                                env=dict(os.environ, PYTHONPATH=src),
                                capture_output=True,
                                text=True,
                                check=True,
                            )
                        finally:
                            stop()
                        got = json.loads(run.stdout.strip().splitlines()[-1])
                        if raw:
                            raw.write(json.dumps([cond, tor, ver, got]) + "\n")
                            raw.flush()
                        for k, v in got.items():
                            out.setdefault((cond, k, tor, ver), []).append(v)
    finally:
        stop()
    _print(out)


if __name__ == "__main__":
    main()
