"""``convop bench --deconvolution``: deblurring solvers and their peers, side by side.

Every case times convop's solvers and scikit-image's (when installed) on the same
blurred image in one interleaved loop and reports the median and the spread
(min–max) of the rounds; the machine is shared, so single timings mean little.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from statistics import median
from typing import Any

import numpy as np

from convop._operators.convolution import Convolution
from convop.deconvolution import deconvolve

__all__ = ["cases", "run", "table"]


def _psf() -> np.ndarray:
    t = np.arange(-6, 7)
    g = np.exp(-(t**2) / 8.0)
    k = np.outer(g, g)
    return k / k.sum()


def _image(n: int) -> np.ndarray:
    try:
        from skimage import data  # optional: a real photograph when available

        cam = data.camera() / 255.0
    except ImportError:
        cam = np.random.default_rng(0).random((512, 512))
    if n >= 512:
        return np.kron(cam, np.ones((n // 512, n // 512)))[:n, :n]
    return cam[:: 512 // n, :: 512 // n][:n, :n]


def cases(quick: bool = False) -> list[int]:
    """Image sizes (n × n) of the sweep."""
    return [128, 256] if quick else [256, 512, 1024]


def _solvers(y: np.ndarray, psf: np.ndarray, lam: float, n: int) -> dict[str, Callable[[], Any]]:
    fns: dict[str, Callable[[], Any]] = {
        "convop dct (λ given)": lambda: deconvolve(y, psf, method="dct", reg=lam),
        "convop dct + GCV": lambda: deconvolve(y, psf, method="dct"),
        "convop fft periodic (λ given)": lambda: deconvolve(
            y, psf, boundary="periodic", method="fft", reg=lam
        ),
        "convop cg reflect, pc dct1, tol 1e-4": lambda: deconvolve(
            y, psf, boundary="reflect", method="cg", reg=lam, tol=1e-4
        ),
        "convop richardson-lucy symmetric, 10 it": lambda: deconvolve(
            np.clip(y, 0, None), psf, method="rl", maxiter=10, tol=1e-300
        ),
    }
    if n <= 512:
        fns["convop cg reflect, no pc, tol 1e-4"] = lambda: deconvolve(
            y, psf, boundary="reflect", method="cg", reg=lam, tol=1e-4, precondition=False
        )
    try:
        from skimage import restoration
    except ImportError:
        return fns
    fns["skimage wiener periodic (λ given)"] = lambda: restoration.wiener(
        y, psf, lam, reg=np.ones((1, 1)), clip=False
    )
    fns["skimage richardson_lucy, 10 it"] = lambda: restoration.richardson_lucy(
        np.clip(y, 0, None), psf, num_iter=10, clip=False
    )
    return fns


def run(quick: bool = False) -> list[dict]:
    """Time every solver on every size; one dict per (size, solver).

    Keys: ``n``, ``solver``, ``median`` / ``min`` / ``max`` seconds, ``rounds``,
    ``iterations`` (convop solvers) and ``psnr`` against the true image in dB.
    """
    rows: list[dict] = []
    psf = _psf()
    rng = np.random.default_rng(0)
    for n in cases(quick):
        x = _image(n)
        y = Convolution(psf, x.shape, "same", boundary="symmetric")(x)
        y = y + 0.01 * rng.standard_normal(y.shape)
        lam = deconvolve(y, psf).lam
        fns = _solvers(y, psf, lam, n)
        outs = {k: f() for k, f in fns.items()}  # warm-up, and the answers
        rounds = 3 if (quick or n >= 1024) else 5
        samples: dict[str, list[float]] = {k: [] for k in fns}
        names = list(fns)
        for r in range(rounds):
            for name in names[r % len(names) :] + names[: r % len(names)]:
                t0 = time.perf_counter()
                fns[name]()
                samples[name].append(time.perf_counter() - t0)
        for name in names:
            out = outs[name]
            est = getattr(out, "x", out)
            mse = float(np.mean((np.clip(est, 0, 1) - x) ** 2))
            rows.append(
                {
                    "n": n,
                    "solver": name,
                    "median": median(samples[name]),
                    "min": min(samples[name]),
                    "max": max(samples[name]),
                    "rounds": rounds,
                    "iterations": getattr(out, "iterations", None),
                    "psnr": 10 * np.log10(1.0 / mse),
                }
            )
    return rows


def table(rows: list[dict]) -> str:
    """Plain-text table of :func:`run`'s rows."""
    head = ("n", "solver", "median", "spread (min-max)", "iterations", "PSNR dB")
    body = [
        (
            f"{r['n']}x{r['n']}",
            r["solver"],
            f"{r['median'] * 1e3:.1f} ms",
            f"{r['min'] * 1e3:.1f}-{r['max'] * 1e3:.1f} ms",
            "-" if r["iterations"] is None else str(r["iterations"]),
            f"{r['psnr']:.2f}",
        )
        for r in rows
    ]
    widths = [max(len(str(v[i])) for v in [head, *body]) for i in range(len(head))]
    lines = [
        "  ".join(str(v).ljust(w) for v, w in zip(row, widths)).rstrip() for row in [head, *body]
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
