"""Benchmark of convop.spectral (issue 5): FFT spectra vs dense linear algebra.

Run ``python benchmarks/bench_spectral.py [--quick] [--out PATH]``. Prints a table of
medians and writes JSON (default ``bench-results/bench_spectral.json``, git-ignored).

1. ``eigvals`` by one FFT vs ``numpy.linalg.eigvals(op.to_dense())`` as n grows;
2. ``svdvals`` (Sedghi et al.) vs ``numpy.linalg.svd(op.to_dense())`` for periodic layers;
3. ``opnorm``: Gram vs power vs exact for a 64×64×3×3 kernel on 32×32 inputs
   (periodic and zero padding), time and bracket tightness, plus a naive NumPy Gram
   iteration (all frequencies, 6 steps, no certification) for reference.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import convop
from convop import spectral


def median_time(fn: Callable[[], Any], repeat: int, budget: float = 20.0) -> tuple[float, Any]:
    """Median wall time (s) over ``repeat`` runs (fewer if one run exceeds the budget)."""
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
        if sum(times) > budget:
            break
    return float(np.median(times)), out


def naive_gram(w: np.ndarray, n: int, steps: int = 6) -> float:
    """Delattre et al.'s Gram iteration as usually written: every frequency, complex128."""
    co, ci = w.shape[:2]
    a = np.fft.rfft2(w, s=(n, n)).reshape(co, ci, -1).transpose(2, 0, 1)
    if ci > co:
        a = np.conj(np.swapaxes(a, 1, 2))
    log_scale = np.zeros(a.shape[0])
    for _ in range(steps):
        r = np.linalg.norm(a, axis=(1, 2))
        a = a / r[:, None, None]
        log_scale = 2 * (log_scale + np.log(r))
        a = np.conj(np.swapaxes(a, 1, 2)) @ a
    p = 2.0**-steps
    return float((np.linalg.norm(a, axis=(1, 2)) ** p * np.exp(log_scale * p)).max())


def bench_eigvals(quick: bool) -> list[dict]:
    rows = []
    rng = np.random.default_rng(0)
    sizes = [
        ("1-D", (n,), (5,))
        for n in ([64, 256, 1024] if quick else [64, 128, 256, 512, 1024, 2048, 65536])
    ]
    sizes += [("2-D", (n, n), (3, 3)) for n in ([16, 32] if quick else [16, 32, 45, 512])]
    for label, shape, ks in sizes:
        op = convop.Convolution(rng.standard_normal(ks), shape, "same", boundary="periodic")
        n = int(np.prod(shape))
        t_fft, lam = median_time(lambda op=op: spectral.eigvals(op), 7)
        row = {
            "case": f"{label} {'x'.join(map(str, shape))}",
            "n": n,
            "fft_s": t_fft,
            "dense_s": None,
            "max_err": None,
        }
        if n <= 2048:
            t_dense, ev = median_time(
                lambda op=op: np.linalg.eigvals(op.to_dense()), 3 if n < 1024 else 1
            )
            row["dense_s"] = t_dense
            # multiset distance: every dense eigenvalue to its nearest FFT eigenvalue
            lam_flat = lam.ravel()
            row["max_err"] = float(max(np.abs(lam_flat - e).min() for e in ev))
        rows.append(row)
    return rows


def bench_svdvals(quick: bool) -> list[dict]:
    rows = []
    rng = np.random.default_rng(1)
    cases = [(4, 8), (8, 12), (16, 16)] if quick else [(4, 8), (8, 12), (8, 16), (16, 16), (64, 32)]
    for c, n in cases:
        w = rng.standard_normal((c, c, 3, 3)) / (3 * np.sqrt(c))
        op = convop.ConvLayer(w, (c, n, n), padding=1, boundary="periodic")
        t_s, s = median_time(lambda op=op: spectral.svdvals(op), 5)
        row = {
            "case": f"{c}x{c}x3x3 on {n}x{n}",
            "matrix": f"{op.shape[0]}x{op.shape[1]}",
            "sedghi_s": t_s,
            "dense_s": None,
            "max_err": None,
        }
        if op.shape[0] <= 4096 and not (quick and op.shape[0] > 2048):
            t_d, ref = median_time(lambda op=op: np.linalg.svd(op.to_dense(), compute_uv=False), 1)
            row["dense_s"] = t_d
            row["max_err"] = float(np.abs(s - ref).max())
        rows.append(row)
    return rows


def bench_opnorm(quick: bool) -> list[dict]:
    rows = []
    w = np.random.default_rng(2).standard_normal((64, 64, 3, 3)) / 24
    for boundary in ("periodic", "zero"):
        op = convop.ConvLayer(w, (64, 32, 32), padding=1, boundary=boundary)
        if boundary == "periodic":
            t_ex, s = median_time(lambda op=op: spectral.svdvals(op, k=1)[0], 3)
            exact = float(s)
            rows.append(
                {
                    "case": "periodic",
                    "method": "exact (Sedghi SVD)",
                    "time_s": t_ex,
                    "lower": exact,
                    "upper": exact,
                }
            )
            t_nv, nv = median_time(lambda: naive_gram(w, 32), 3)
            rows.append(
                {
                    "case": "periodic",
                    "method": "naive Gram (6 steps, uncertified)",
                    "time_s": t_nv,
                    "lower": None,
                    "upper": nv,
                }
            )
        else:
            exact = None
        for method, kw in [
            ("auto", {"tol": 1e-6}),
            ("gram", {"tol": 1e-6}),
            ("gram", {"tol": 1e-3}),
            ("power", {"tol": 1e-6, "max_iter": 100}),
        ]:
            if quick and method == "power" and boundary == "zero":
                continue
            t, br = median_time(
                lambda op=op, method=method, kw=kw: spectral.opnorm(op, method=method, rng=0, **kw),
                3 if boundary == "zero" else 15,
            )
            rows.append(
                {
                    "case": boundary,
                    "method": f"{method} tol={kw['tol']:g}",
                    "time_s": t,
                    "lower": br[0],
                    "upper": br[1],
                }
            )
        for r in rows:
            if r["case"] == boundary:
                r["exact"] = exact
    # the best lower bound found stands in for the unknown exact zero-padded norm
    zero = [r for r in rows if r["case"] == "zero"]
    best = max(r["lower"] for r in zero)
    for r in zero:
        r["best_lower"] = best
    return rows


def fmt(x: Any, spec: str = ".3g") -> str:
    if x is None:
        return "—"
    return format(x, spec)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller sizes")
    ap.add_argument(
        "--out",
        default=str(Path("bench-results") / "bench_spectral.json"),
        help="JSON output (default: bench-results/bench_spectral.json)",
    )
    args = ap.parse_args()
    meta = {
        "numpy": np.__version__,
        "convop": convop.__version__,
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "loadavg_start": os.getloadavg(),
        "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS"),
    }
    eig = bench_eigvals(args.quick)
    print("\n## eigvals: one FFT vs numpy.linalg.eigvals(to_dense())")
    print(f"{'case':<14}{'n':>8}{'FFT ms':>10}{'dense ms':>11}{'speed-up':>10}{'max |Δλ|':>11}")
    for r in eig:
        sp = r["dense_s"] / r["fft_s"] if r["dense_s"] else None
        print(
            f"{r['case']:<14}{r['n']:>8}{r['fft_s'] * 1e3:>10.3f}"
            f"{fmt(r['dense_s'] and r['dense_s'] * 1e3, '.1f'):>11}{fmt(sp, '.0f'):>10}"
            f"{fmt(r['max_err'], '.1e'):>11}"
        )
    svd = bench_svdvals(args.quick)
    print("\n## svdvals: Sedghi (per-frequency SVD) vs dense SVD, periodic 3x3 layers")
    print(
        f"{'case':<22}{'matrix':>12}{'Sedghi ms':>11}{'dense ms':>11}{'speed-up':>10}"
        f"{'max |Δσ|':>11}"
    )
    for r in svd:
        sp = r["dense_s"] / r["sedghi_s"] if r["dense_s"] else None
        print(
            f"{r['case']:<22}{r['matrix']:>12}{r['sedghi_s'] * 1e3:>11.1f}"
            f"{fmt(r['dense_s'] and r['dense_s'] * 1e3, '.0f'):>11}{fmt(sp, '.0f'):>10}"
            f"{fmt(r['max_err'], '.1e'):>11}"
        )
    op_rows = bench_opnorm(args.quick)
    print("\n## opnorm: 64x64x3x3 kernel on 32x32 inputs (padding 1)")
    print(
        f"{'boundary':<10}{'method':<36}{'ms':>9}{'lower':>14}{'upper':>14}"
        f"{'(up-lo)/up':>12}{'vs exact/best':>16}"
    )
    for r in op_rows:
        lo, up = r["lower"], r["upper"]
        width = (up - lo) / up if lo is not None and np.isfinite(up) else None
        ref = r.get("exact") or r.get("best_lower")
        err = None
        if ref:
            err = (up - ref) / ref if np.isfinite(up) else (ref - lo) / ref
        print(
            f"{r['case']:<10}{r['method']:<36}{r['time_s'] * 1e3:>9.1f}{fmt(lo, '.10f'):>14}"
            f"{fmt(up, '.10f'):>14}{fmt(width, '.1e'):>12}{fmt(err, '+.1e'):>16}"
        )
    meta["loadavg_end"] = os.getloadavg()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {"meta": meta, "eigvals": eig, "svdvals": svd, "opnorm": op_rows},
            indent=2,
            default=float,
        )
    )
    print(f"\nwritten {out}  (load average {meta['loadavg_start']} -> {meta['loadavg_end']})")


if __name__ == "__main__":
    main()
