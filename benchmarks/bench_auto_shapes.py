"""Issue 22's shapes outside the tuned sweep: ``auto`` against every forced method and
the scipy.signal / scipy.ndimage (and torch) peers, in interleaved rounds ('same').

PYTHONPATH=src python benchmarks/bench_auto_shapes.py [--torch] [--peers] [--rounds N]
"""

from __future__ import annotations

import argparse
import statistics as st
import sys
import time

import numpy as np

CASES = {
    "480x640 31x1": ((480, 640), (31, 1), "float64", None),
    "1000x777 1x31": ((1000, 777), (1, 31), "float64", None),
    "3x50 1x6 ax-1": ((3, 50), (1, 6), "float64", -1),
    "2048^2 5x5 f4": ((2048, 2048), (5, 5), "float32", None),
    "128^3 3^3 f4": ((128, 128, 128), (3, 3, 3), "float32", None),
    "128^3 3^3 f8": ((128, 128, 128), (3, 3, 3), "float64", None),
    "64^3 3^3 f8": ((64, 64, 64), (3, 3, 3), "float64", None),
    "1024^2 3x3 f8": ((1024, 1024), (3, 3), "float64", None),
}


def functions(name, methods, peers, torch, rng):
    import scipy.ndimage as ndi
    import scipy.signal as ss

    import convop

    sa, sb, dt, axes = CASES[name]
    x, k = rng.standard_normal(sa).astype(dt), rng.standard_normal(sb).astype(dt)
    kw = {} if axes is None else {"axes": axes}
    out = {m: (lambda m=m: convop.convolve(x, k, "same", method=m, **kw)) for m in methods}
    if peers:
        out["ss.fftconvolve"] = lambda: ss.fftconvolve(x, k, "same", **kw)
        if axes is None:
            out["ss.convolve"] = lambda: ss.convolve(x, k, "same")
            out["ndimage"] = lambda: ndi.convolve(x, k, mode="constant")
        else:
            out["ndimage"] = lambda: ndi.convolve1d(x, k[0], axis=axes, mode="constant")
        if torch is not None and axes is None:
            conv = torch.nn.functional.conv2d if x.ndim == 2 else torch.nn.functional.conv3d
            tx = torch.from_numpy(x)[None, None]
            tk = torch.from_numpy(np.ascontiguousarray(np.flip(k)))[None, None]
            pad = tuple(q // 2 for q in k.shape)
            out["torch.conv"] = lambda: conv(tx, tk, padding=pad).numpy()
    choice = convop.choose_method(x, k, "same", **kw)
    return choice, out


def per_call(fn, budget=0.1):
    fn()
    t0, n = time.perf_counter(), 0
    while True:
        fn()
        n += 1
        elapsed = time.perf_counter() - t0
        if elapsed > budget or n >= 200:
            return elapsed / n


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument("--torch", action="store_true", help="import torch first")
    p.add_argument("--peers", action="store_true")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--cases", default="", help="comma-separated substrings of case names")
    p.add_argument("--methods", default="auto,direct,gemm,fft")
    args = p.parse_args(argv)
    torch = None
    if args.torch:
        import torch
    rng = np.random.default_rng(0)
    sel = [c for c in CASES if not args.cases or any(s in c for s in args.cases.split(","))]
    setup = {c: functions(c, args.methods.split(","), args.peers, torch, rng) for c in sel}
    times = {c: {m: [] for m in setup[c][1]} for c in sel}
    for _ in range(args.rounds):
        for c in sel:
            for m, fn in setup[c][1].items():
                times[c][m].append(per_call(fn))
    print(f"torch imported: {args.torch}   rounds: {args.rounds}   median [min-max]")
    for c in sel:
        parts = [
            f"{m} {st.median(v) * 1e3:.3g} ms [{min(v) * 1e3:.3g}-{max(v) * 1e3:.3g}]"
            for m, v in times[c].items()
        ]
        print(f"{c:16s} auto->{setup[c][0]:6s} | " + " | ".join(parts))


if __name__ == "__main__":
    sys.exit(main())
