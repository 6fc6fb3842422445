"""``convop calibrate``: measure this machine's cost constants for ``method='auto'``.

It times the engines on a few shapes, fits each method's ``(overhead, slope)`` and
writes them with :func:`convop._planning.constants.save` (a JSON file in the user
cache directory), which also empties every plan made with the old constants.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from statistics import median
from typing import Any

import numpy as np

from convop._core.config import options
from convop._core.optional import torch_enabled
from convop._engines import direct as direct_engine
from convop._engines import fft as fft_engine
from convop._engines import gemm as gemm_engine
from convop._engines.blocked import block_length, valid_blocked
from convop._engines.blocked_nd import valid_blocked_nd
from convop._operators.layer import ConvLayer
from convop._planning import constants as _constants
from convop._planning.constants import DEFAULTS
from convop._planning.cost import blocked_nd_cost, fast, fft_slope, fft_units


def _time(fn: Callable[[], object], budget: float = 0.15, repeat: int = 7) -> float:
    """Median seconds per call."""
    fn()
    t0 = time.perf_counter()
    fn()
    one = max(time.perf_counter() - t0, 1e-7)
    loops = max(1, int(budget / repeat / one))
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(loops):
            fn()
        samples.append((time.perf_counter() - t0) / loops)
    return median(samples)


def _fit(small: tuple[float, float], big: tuple[float, float]) -> tuple[float, float]:
    """(overhead, slope) through two (work, seconds) points, both clipped positive."""
    (w0, t0), (w1, t1) = small, big
    slope = max((t1 - t0) / max(w1 - w0, 1e-30), 1e-13)
    return max(t0 - slope * w0, 0.0), slope


def measure(quick: bool = False, progress: Callable[[str], None] | None = None) -> dict:
    """Measure every method's (overhead, slope) for float64 and float32."""
    try:  # measure torch's native conv too when it is installed
        import torch  # noqa: F401
    except ImportError:
        pass
    rng = np.random.default_rng(0)
    out = copy.deepcopy(DEFAULTS)
    scale = 0.25 if quick else 1.0
    for prec, dt in (("f8", np.float64), ("f4", np.float32)):
        say = progress or (lambda s: None)
        say(f"{prec}: direct")
        a = rng.standard_normal(200).astype(dt)
        b = rng.standard_normal(3).astype(dt)
        over = _time(lambda: np.convolve(a, b, "valid"))
        slopes = []
        for n, k in (
            (int(200_000 * scale), 3),
            (int(50_000 * scale), 31),
            (int(20_000 * scale), 301),
        ):
            a, b = rng.standard_normal(n).astype(dt), rng.standard_normal(k).astype(dt)
            t = _time(lambda: np.convolve(a, b, "valid"))
            slopes.append(max((t - over) / ((n - k + 1) * k), 1e-13))
        out[prec]["np1d"] = (over, slopes[0])
        out[prec]["np1d_31"] = (0.0, slopes[1])
        out[prec]["np1d_301"] = (0.0, slopes[2])
        # 1-D shift-and-add: seconds per tap = overhead + slope · outputs
        b = rng.standard_normal(15).astype(dt)
        per_tap = []
        for n in (2000, int(50_000 * scale)):
            a = rng.standard_normal(n + 14).astype(dt)
            per_tap.append((n, _time(lambda: direct_engine.shift_add(a, b, 1, (n,))) / 15))
        out[prec]["sa1d"] = _fit(*per_tap)
        # 1-D block-Toeplitz GEMM: overhead + outputs · (per output + slope · (B + K − 1))

        pts = []
        for n, k in ((2000, 15), (int(200_000 * scale), 3), (int(200_000 * scale), 64)):
            a, b = rng.standard_normal(n + k - 1).astype(dt), rng.standard_normal(k).astype(dt)
            bsz = block_length(n, k)
            pts.append((-(-n // bsz) * bsz, bsz + k - 1, _time(lambda: valid_blocked(a, b))))
        (n0, _, t0), (n1, w1, t1), (n2, w2, t2) = pts
        per1, per2 = t1 / n1, t2 / n2
        s_bt = max((per2 - per1) / (w2 - w1), 1e-13)
        c0 = max(per1 - s_bt * w1, 1e-12)
        out[prec]["bt1d"] = (max(t0 - n0 * (c0 + s_bt * pts[0][1]), 0.0), s_bt)
        out[prec]["bt1d_out"] = (0.0, c0)
        pts = []
        for n, k in ((16, 3), (int(512 * scale**0.5), 5)):
            a, b = rng.standard_normal((n, n)).astype(dt), rng.standard_normal((k, k)).astype(dt)
            t = _time(lambda: direct_engine.shift_add(a, b, 2, (n - k + 1,) * 2))
            pts.append(((n - k + 1) ** 2 * k * k * 2, t))
        o, s = _fit(*pts)
        out[prec]["sad"] = (o / 9, s)
        # N-D block Toeplitz: overhead and products slope at 64², slope at 1024² (512²)

        pts = []
        for n, k in ((32, 3), (64, 5), (int(1024 * scale**0.5), 3)):
            a = rng.standard_normal((n + k - 1,) * 2).astype(dt)
            b = rng.standard_normal((k, k)).astype(dt)
            unit = {"btnd": (0.0, 1.0), "btnd_big": (0.0, 1.0)}  # cost = padded · width
            pts.append(
                (blocked_nd_cost(unit, (n, n), (k, k), 1), _time(lambda: valid_blocked_nd(a, b, 2)))
            )
        o, s = _fit(pts[0], pts[1])
        out[prec]["btnd"] = (o, s)
        out[prec]["btnd_big"] = (0.0, max((pts[2][1] - o) / pts[2][0], s))
        say(f"{prec}: fft")
        # per-call overhead: a small transform (plans, allocation, Python)
        a, b = rng.standard_normal(1000).astype(dt), rng.standard_normal(31).astype(dt)
        fo = _time(lambda: fft_engine.valid_fft(a, b, 1))
        fslopes = []
        for shape in ((16_384,), (int(2**20 * scale),), (int(256 * scale**0.5),) * 2):
            f = 1
            for p in shape:
                f *= fast(p)
            a = rng.standard_normal(shape).astype(dt)
            b = rng.standard_normal((3,) * len(shape)).astype(dt)
            t = _time(lambda: fft_engine.valid_fft(a, b, len(shape)))
            fslopes.append(max((t - fo) / (3 * fft_units(f)), 1e-13))
        out[prec]["fft"] = (fo, fslopes[0])
        out[prec]["fft_big"] = (0.0, fslopes[1])
        out[prec]["fft_nd"] = (0.0, fslopes[2])
        n, k = int(2**19 * scale), 101
        a, b = rng.standard_normal(n).astype(dt), rng.standard_normal(k).astype(dt)
        blk, nblk = fft_engine.oa_blocks(n, k)
        fft_part = (2 * nblk + 1) * fft_units(blk) * fft_slope(out[prec], blk)
        t = _time(lambda: fft_engine.full_oa(a, b, 1))
        o = 1.3 * fo
        out[prec]["oa"] = (o, min(max((t - o - fft_part) / (nblk * blk), 1e-10), 6e-9))
        a = rng.standard_normal((64, 64)).astype(dt)
        b = rng.standard_normal((5, 5)).astype(dt)
        t = _time(lambda: gemm_engine.valid_gemm(a, b, 2))
        out[prec]["gemm"] = (out[prec]["gemm"][0], max(t / (60 * 60 * 25 * 1.5), 1e-13))
        say(f"{prec}: layers")
        out[prec].update(calibrate_layers(dt, scale, _time))
    return out


def calibrate_layers(dt: Any, scale: float, timer: Callable) -> dict[str, tuple[float, float]]:
    """Measure the layer constants on one mid-size case (used by ``convop calibrate``)."""
    rng = np.random.default_rng(1)
    n, c, hw, k = 4, 16, max(8, int(32 * scale**0.5)), 5
    w = rng.standard_normal((c, c, k, k)).astype(dt)
    x = rng.standard_normal((n, c, hw, hw)).astype(dt)
    out = {}
    p_out = (hw - k + 1) ** 2
    macs = n * c * c * k * k * p_out
    for name, meth in (("layer_gemm", "gemm"), ("layer_tap", "direct"), ("layer_fft", "fft")):
        with options(torch=False) if meth == "direct" else nullcontext():
            layer = ConvLayer(w, (c, hw, hw), method=meth)
            t = timer(lambda layer=layer: layer(x))
        if meth == "fft":
            f = fast(hw) ** 2
            out[name] = (3e-5, max(t * 0.6 / ((3 * n * c) * fft_units(f)), 1e-13))
            out["layer_cmul"] = (0.0, max(t * 0.4 / (n * c * c * f / 2), 1e-13))
        else:
            out[name] = (1e-5, max(t / macs, 1e-14))
    if torch_enabled():
        n, c, hw, k = 8, 32, max(16, int(32 * scale**0.5)), 3
        w = rng.standard_normal((c, c, k, k)).astype(dt)
        x = rng.standard_normal((n, c, hw, hw)).astype(dt)
        layer = ConvLayer(w, (c, hw, hw), method="direct")
        macs = n * c * c * k * k * (hw - k + 1) ** 2
        out["torch_layer"] = (2e-5, max(timer(lambda: layer(x)) / macs, 1e-14))
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """``convop calibrate [--quick] [--show] [--reset]``."""
    parser = argparse.ArgumentParser(
        prog="convop calibrate",
        description="Measure this machine's cost constants for method='auto' "
        "(about a minute) and store them in the user cache directory.",
    )
    parser.add_argument("--quick", action="store_true", help="smaller, faster measurements")
    parser.add_argument("--show", action="store_true", help="print the constants in use")
    parser.add_argument("--reset", action="store_true", help="delete the calibration file")
    args = parser.parse_args(list(argv or []))
    path = _constants.cache_path()
    if args.reset:
        if path is not None and path.is_file():
            path.unlink()
        print(f"removed {path}")
        _constants.changed()
        return 0
    if args.show:
        print(f"# {_constants.source()}")
        print(json.dumps(_constants.constants(), indent=1))
        return 0
    if path is None:
        print("convop calibrate needs platformdirs: pip install platformdirs", file=sys.stderr)
        return 1
    t0 = time.perf_counter()
    consts = measure(args.quick, lambda s: print(f"  measuring {s}", file=sys.stderr))
    saved = _constants.save(consts, path)
    print(f"calibrated in {time.perf_counter() - t0:.0f} s; wrote {saved}")
    return 0
