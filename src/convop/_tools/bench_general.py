"""``convop bench --general``: ``auto`` on shapes outside the tuned sweep (issue 22).

The tuned sweep (``convop bench``) has 1-D N × K and square 2-D images with square
kernels. This sweep has its own cases, one or more per dimension the cost model has to
generalise over: non-square images and kernels (1×k, k×1, k₁×k₂), batched ``axes=``
with leading batch dimensions, 3-D volumes, complex and integer data, ``valid`` and
``full``, ``correlate``, prime lengths, even kernels and all five boundaries.

For each case ``convop`` ``auto`` is timed against the fastest applicable peer:

* ``numpy`` — :func:`numpy.convolve` / :func:`numpy.correlate` (1-D, zero boundary);
* ``scipy auto`` — :func:`scipy.signal.convolve` / ``correlate`` (``method='auto'``,
  zero boundary; batched ``axes=`` as an N-D convolution whose kernel has length 1
  along the batch axes);
* ``ndimage`` — :func:`scipy.ndimage.convolve` / ``correlate``, ``same`` only, with the
  matching mode (zero → ``'constant'``, reflect → ``'mirror'``, symmetric →
  ``'reflect'``, replicate → ``'nearest'``, periodic → ``'wrap'``); for even kernels
  the ``origin`` that reproduces scipy's ``same`` centring is found by trying;
* ``scipy.fft`` — a plain ``rfftn`` (``fftn`` for complex) convolution with
  ``next_fast_len`` sizes over the axes where the kernel is longer than 1 (zero
  boundary);
* ``torch conv`` — ``F.pad`` (zero, reflect, replicate, circular) then
  ``conv1d/2d/3d`` with the batch in torch's batch dimension (real floats, when torch
  is installed, as the tuned sweep).

Every peer's result is compared with convop's (``allclose``) before it is timed; a peer
with a different answer is excluded from the case and counted. convop's forced
methods are timed alongside (skipped where the model predicts them 30× slower than
its choice), so a slow case shows whether the choice or the engine is at fault, and the
model's predicted time of the chosen method is set against its measured time.
All callables of a case are timed interleaved; times are medians over rounds with the
min–max spread.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from math import prod
from pathlib import Path
from statistics import median
from typing import Any

import numpy as np
import scipy.fft as sfft
import scipy.ndimage as ndi
import scipy.signal as ss

from convop._core import validate as _validate
from convop._core.arrays import compute_dtype
from convop._core.extension import extended_shape
from convop._core.optional import torch_enabled
from convop._operators.functional import convolve, correlate
from convop._planning.choose import choose_method, resolve
from convop._planning.cost import costs
from convop._tools import bench as _bench

__all__ = [
    "GCase",
    "cases",
    "check_peer",
    "peers",
    "predicted",
    "run",
    "run_cases",
    "summary",
    "table",
]

#: scipy.ndimage mode of every convop boundary
NDIMAGE_MODE = {
    "zero": "constant",
    "reflect": "mirror",
    "symmetric": "reflect",
    "replicate": "nearest",
    "periodic": "wrap",
}
#: torch.nn.functional.pad mode of every convop boundary it has
TORCH_PAD = {
    "zero": "constant",
    "reflect": "reflect",
    "replicate": "replicate",
    "periodic": "circular",
}
#: a forced convop method is not timed when the model predicts it this many times slower
#: than its choice (or slower than FORCED_SECONDS)
FORCED_SLOWER = 30.0
FORCED_SECONDS = 1.0
#: a peer whose checking call takes longer than this is not timed (recorded as skipped)
PEER_SECONDS = 2.0
#: the ratio thresholds counted in the summary
LIMITS = (1.3, 2.0)


@dataclass(frozen=True)
class GCase:
    """One generalisation case: ``op(a, b, mode, boundary=, axes=)`` with ``a`` of
    ``shape_a`` and ``b`` of ``shape_b`` (same number of dimensions; length 1 along
    batch axes)."""

    name: str
    shape_a: tuple[int, ...]
    shape_b: tuple[int, ...]
    dtype: str = "float64"
    mode: str = "same"
    boundary: str = "zero"
    op: str = "convolve"
    axes: tuple[int, ...] | None = None

    def conv_axes(self) -> tuple[int, ...]:
        nd = len(self.shape_a)
        return tuple(range(nd)) if self.axes is None else tuple(a % nd for a in self.axes)

    def arrays(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        dt = np.dtype(self.dtype)
        if dt.kind in "iu":
            a = rng.integers(-8, 8, self.shape_a).astype(dt)
            return a, rng.integers(-8, 8, self.shape_b).astype(dt)
        a, b = rng.standard_normal(self.shape_a), rng.standard_normal(self.shape_b)
        if dt.kind == "c":
            a = a + 1j * rng.standard_normal(self.shape_a)
            b = b + 1j * rng.standard_normal(self.shape_b)
        return a.astype(dt), b.astype(dt)


def _c(
    name: str, sa: tuple[int, ...], sb: tuple[int, ...], dt: str = "float64", **kw: Any
) -> GCase:
    return GCase(name, sa, sb, dt, **kw)


#: the full sweep: every dimension issue 22 names, several times
FULL: tuple[GCase, ...] = (
    # 1-D: prime lengths, even kernels, complex, integers, valid/full, correlate
    _c("1d 100003 K=31", (100003,), (31,)),
    _c("1d 1000000 K=3 f4", (10**6,), (3,), "float32"),
    _c("1d 1000003 K=1001", (1000003,), (1001,)),
    _c("1d 10007 K=7 valid", (10007,), (7,), mode="valid"),
    _c("1d 65537 K=101 f4 corr", (65537,), (101,), "float32", op="correlate"),
    _c("1d 50000 K=17 c16", (50000,), (17,), "complex128"),
    _c("1d 20011 K=13 i8 full", (20011,), (13,), "int64", mode="full"),
    _c("1d 100000 K=8 reflect", (10**5,), (8,), boundary="reflect"),
    _c("1d 100000 K=5 periodic", (10**5,), (5,), boundary="periodic"),
    _c("1d 4093 K=64 corr full", (4093,), (64,), op="correlate", mode="full"),
    # 2-D: non-square images and kernels
    _c("480x640 31x1", (480, 640), (31, 1)),
    _c("1000x777 1x31", (1000, 777), (1, 31)),
    _c("640x480 1x5 f4 replicate", (640, 480), (1, 5), "float32", boundary="replicate"),
    _c("512x384 7x3 symmetric", (512, 384), (7, 3), boundary="symmetric"),
    _c("300x1000 9x15 f4 periodic", (300, 1000), (9, 15), "float32", boundary="periodic"),
    _c("1021x509 5x5", (1021, 509), (5, 5)),
    _c("256x1024 4x6", (256, 1024), (4, 6)),
    _c("768x512 11x11 f4 valid", (768, 512), (11, 11), "float32", mode="valid"),
    _c("600x400 5x5 corr reflect", (600, 400), (5, 5), op="correlate", boundary="reflect"),
    _c("509x509 13x13 c8", (509, 509), (13, 13), "complex64"),
    _c("400x300 3x3 i4", (400, 300), (3, 3), "int32"),
    _c("2048^2 5x5 f4", (2048, 2048), (5, 5), "float32"),
    _c("1024^2 3x3", (1024, 1024), (3, 3)),
    _c("1024x768 21x21 reflect", (1024, 768), (21, 21), boundary="reflect"),
    _c("513x257 3x9 full", (513, 257), (3, 9), mode="full"),
    _c("800x600 31x31 f4 periodic", (800, 600), (31, 31), "float32", boundary="periodic"),
    # batched axes= with leading batch dimensions
    _c("3x50 1x6 axes=-1", (3, 50), (1, 6), axes=(-1,)),
    _c("64x4096 1x31 axes=-1", (64, 4096), (1, 31), axes=(-1,)),
    _c(
        "200x1000 1x101 f4 axes=-1 valid",
        (200, 1000),
        (1, 101),
        "float32",
        mode="valid",
        axes=(-1,),
    ),
    _c("32x512 1x9 c16 corr axes=-1", (32, 512), (1, 9), "complex128", op="correlate", axes=(-1,)),
    _c("16x256x256 1x5x5 f4 axes=2", (16, 256, 256), (1, 5, 5), "float32", axes=(-2, -1)),
    _c(
        "8x128x128 1x7x7 replicate axes=2",
        (8, 128, 128),
        (1, 7, 7),
        boundary="replicate",
        axes=(-2, -1),
    ),
    # 3-D volumes
    _c("64^3 3^3", (64, 64, 64), (3, 3, 3)),
    _c("128^3 3^3 f4", (128, 128, 128), (3, 3, 3), "float32"),
    _c("96x64x48 5x3x3 reflect", (96, 64, 48), (5, 3, 3), boundary="reflect"),
    _c("64^3 7^3 f4", (64, 64, 64), (7, 7, 7), "float32"),
    _c("48x64x80 3^3 valid", (48, 64, 80), (3, 3, 3), mode="valid"),
    _c("32^3 5^3 c16", (32, 32, 32), (5, 5, 5), "complex128"),
    _c("64x64x31 3^3 i2", (64, 64, 31), (3, 3, 3), "int16"),
    _c("100^3 1x1x9 f4 periodic", (100, 100, 100), (1, 1, 9), "float32", boundary="periodic"),
    _c("128x128x64 9^3 f4", (128, 128, 64), (9, 9, 9), "float32"),
    _c("64^3 4^3 symmetric", (64, 64, 64), (4, 4, 4), boundary="symmetric"),
)

#: the quick sweep: one case per dimension, smaller sizes
QUICK: tuple[GCase, ...] = (
    _c("1d 10007 K=31", (10007,), (31,)),
    _c("1d 4093 K=64 f4 corr", (4093,), (64,), "float32", op="correlate"),
    _c("1d 5000 K=8 c16 reflect", (5000,), (8,), "complex128", boundary="reflect"),
    _c("240x320 31x1", (240, 320), (31, 1)),
    _c("333x257 1x15 f4 replicate", (333, 257), (1, 15), "float32", boundary="replicate"),
    _c("256x192 7x3 symmetric", (256, 192), (7, 3), boundary="symmetric"),
    _c("256x128 4x6 periodic", (256, 128), (4, 6), boundary="periodic"),
    _c("300x200 9x9 f4 valid", (300, 200), (9, 9), "float32", mode="valid"),
    _c("200x150 3x3 i4 corr", (200, 150), (3, 3), "int32", op="correlate"),
    _c("16x1024 1x21 axes=-1", (16, 1024), (1, 21), axes=(-1,)),
    _c("4x96x96 1x5x5 f4 axes=2", (4, 96, 96), (1, 5, 5), "float32", axes=(-2, -1)),
    _c("48^3 3^3 reflect", (48, 48, 48), (3, 3, 3), boundary="reflect"),
)


def cases(quick: bool = False) -> list[GCase]:
    """The generalisation cases (about 40 full, 12 quick)."""
    return list(QUICK if quick else FULL)


def _convop(c: GCase, a: np.ndarray, b: np.ndarray, method: str = "auto") -> Callable[[], Any]:
    fn = convolve if c.op == "convolve" else correlate
    kw: dict[str, Any] = {"boundary": c.boundary, "method": method}
    if c.axes is not None:
        kw["axes"] = c.axes
    return lambda: fn(a, b, c.mode, **kw)


def _origins(c: GCase, b: np.ndarray) -> list[tuple[int, ...]]:
    """ndimage ``origin`` candidates: 0 on odd axes; 0, −1, +1 on even ones."""
    even = [q % 2 == 0 for q in b.shape]
    out = [tuple(0 for _ in even)]
    for d in (-1, 1):
        cand = tuple(d if e else 0 for e in even)
        if cand not in out:
            out.append(cand)
    return out


def _fft_peer(c: GCase, a: np.ndarray, b: np.ndarray) -> Callable[[], Any]:
    """A plain scipy.fft convolution over the axes where the kernel is longer than 1."""
    if c.op == "correlate":
        b = np.ascontiguousarray(np.conj(b[(slice(None, None, -1),) * b.ndim]))
    ax = [i for i in c.conv_axes() if b.shape[i] > 1]
    real = a.dtype.kind != "c" and b.dtype.kind != "c"
    full = [a.shape[i] + b.shape[i] - 1 for i in ax]
    fs = [sfft.next_fast_len(n, real) for n in full]
    sl = [slice(None)] * a.ndim
    for i, n in zip(ax, full):
        k = b.shape[i]
        if c.mode == "same":
            sl[i] = slice((k - 1) // 2, (k - 1) // 2 + a.shape[i])
        elif c.mode == "valid":
            sl[i] = slice(k - 1, a.shape[i])
        else:
            sl[i] = slice(0, n)
    sl_t = tuple(sl)
    if real:

        def run() -> Any:
            spec = sfft.rfftn(a, fs, axes=ax)
            spec *= sfft.rfftn(b, fs, axes=ax)
            return sfft.irfftn(spec, fs, axes=ax)[sl_t]

    else:

        def run() -> Any:
            spec = sfft.fftn(a, fs, axes=ax)
            spec *= sfft.fftn(b, fs, axes=ax)
            return sfft.ifftn(spec, fs, axes=ax)[sl_t]

    return run


def _torch_peer(c: GCase, a: np.ndarray, b: np.ndarray, torch: Any) -> Callable[[], Any] | None:
    """F.pad + conv1d/2d/3d with the batch axes folded into torch's batch dimension."""
    import torch.nn.functional as F

    cax = c.conv_axes()
    nd = len(cax)
    if nd > 3 or cax != tuple(range(a.ndim - nd, a.ndim)) or a.dtype.char not in "fd":
        return None
    if c.boundary not in TORCH_PAD or (c.mode != "same" and c.boundary != "zero"):
        return None
    ks = b.shape[a.ndim - nd :]
    # torch's conv is a correlation: convolve = correlate with the flipped kernel
    w = b if c.op == "correlate" else b[(slice(None, None, -1),) * b.ndim]
    tw = torch.from_numpy(np.ascontiguousarray(w).reshape((1, 1) + ks))
    batch = a.shape[: a.ndim - nd]
    tx = torch.from_numpy(a).reshape((prod(batch), 1) + a.shape[a.ndim - nd :])
    conv = (F.conv1d, F.conv2d, F.conv3d)[nd - 1]
    pads: list[int] = []
    for k in reversed(ks):  # F.pad: last axis first
        if c.mode == "same":
            pads += [k // 2, (k - 1) // 2]  # scipy's 'same' centring, both ops
        elif c.mode == "full":
            pads += [k - 1, k - 1]
        else:
            pads += [0, 0]
    mode = TORCH_PAD[c.boundary]

    def run() -> Any:
        with torch.no_grad():
            x = F.pad(tx, pads, mode=mode) if any(pads) else tx
            y = conv(x, tw)
            return y.reshape(batch + tuple(y.shape[2:])).numpy()

    return run


def peers(c: GCase, a: np.ndarray, b: np.ndarray, torch: Any = None) -> dict[str, list[Callable]]:
    """Candidate callables of every applicable peer; for a peer with several (the
    ndimage origins), the first one that agrees with convop is used."""
    out: dict[str, list[Callable]] = {}
    corr = c.op == "correlate"
    if c.boundary == "zero":
        if a.ndim == 1:
            f = np.correlate if corr else np.convolve
            out["numpy"] = [lambda: f(a, b, c.mode)]
        g = ss.correlate if corr else ss.convolve
        out["scipy auto"] = [lambda: g(a, b, c.mode)]
        out["scipy.fft"] = [_fft_peer(c, a, b)]
    if c.mode == "same":
        h = ndi.correlate if corr else ndi.convolve  # ndimage conjugates complex weights
        mode = NDIMAGE_MODE[c.boundary]
        out["ndimage"] = [
            (lambda o: lambda: h(a, b, mode=mode, cval=0.0, origin=list(o)))(o)
            for o in _origins(c, b)
        ]
    if torch is not None:
        tp = _torch_peer(c, a, b, torch)
        if tp is not None:
            out["torch conv"] = [tp]
    return out


def _tolerance(dtype: np.dtype) -> float:
    return 1e-3 if np.dtype(dtype).char in "fF" else 1e-8


def check_peer(
    ref: np.ndarray, candidates: list[Callable], dtype: Any
) -> tuple[Callable | None, float, str]:
    """The first candidate whose result equals ``ref`` (shape and allclose relative to
    ``max |ref|``), the seconds of its checking call, and why none did."""
    tol = _tolerance(dtype)
    scale = float(np.max(np.abs(ref))) if ref.size else 1.0
    why = ""
    for fn in candidates:
        t0 = time.perf_counter()
        try:
            got = np.asarray(fn())
        except Exception as exc:  # noqa: BLE001 — a peer that fails is excluded
            why = f"raised {type(exc).__name__}: {exc}"[:120]
            continue
        dt = time.perf_counter() - t0
        if got.shape != ref.shape:
            why = f"shape {got.shape} != {ref.shape}"
            continue
        err = float(np.max(np.abs(got - ref))) if ref.size else 0.0
        if err <= tol * max(scale, 1.0):
            return fn, dt, ""
        why = f"max abs difference {err:.3g} (tolerance {tol * max(scale, 1.0):.3g})"
    return None, float("nan"), why


def model_inputs(c: GCase, dtype: Any) -> tuple[tuple[int, ...], tuple[int, ...], int, np.dtype]:
    """(extended input, kernel, batch, compute dtype) the planner sees for ``c``, as
    :func:`convop.choose_method` derives them."""
    cax = c.conv_axes()
    na = tuple(c.shape_a[i] for i in cax)
    nb = tuple(c.shape_b[i] for i in cax)
    batch = prod(max(p, q) for i, (p, q) in enumerate(zip(c.shape_a, c.shape_b)) if i not in cax)
    if c.mode == "valid":
        if _validate.valid_swap(na, nb):
            na, nb = nb, na
    else:
        na = extended_shape(na, nb, c.mode)
    dt = np.dtype(dtype)
    return na, nb, batch, compute_dtype(dt, dt)


def predicted(c: GCase, dtype: Any) -> dict[str, float]:
    """The model's predicted seconds of every method for ``c`` (boundary extension
    not included); ``direct`` is NaN when torch's native conv would run it, which the
    model does not price."""
    na, nb, batch, dt = model_inputs(c, dtype)
    if np.dtype(dtype).kind in "iu" and not np.issubdtype(dt, np.floating):
        dt = np.dtype(np.float64)
    try:
        est = costs(na, nb, batch, dt, torch_enabled())
    except Exception:  # noqa: BLE001 — no model for this shape
        return {}
    if resolve("direct", na, nb, batch, dt).torch:
        est["direct"] = float("nan")
    return est


def _spread(v: list[float]) -> list[float]:
    return [min(v), max(v)]


def run_case(
    c: GCase, rng: np.random.Generator, torch: Any, rounds: int, budget: float = 0.02
) -> dict:
    """Check and time one case; the JSON-able row."""
    a, b = c.arrays(rng)
    kw = {} if c.axes is None else {"axes": c.axes}
    method = choose_method(a, b, c.mode, **kw)
    auto = _convop(c, a, b)
    ref = np.asarray(auto())
    fns: dict[str, Callable] = {"convop": auto}
    excluded: dict[str, str] = {}
    skipped: dict[str, str] = {}
    for name, cands in peers(c, a, b, torch).items():
        fn, secs, why = check_peer(ref, cands, a.dtype)
        if fn is None:
            excluded[name] = why
        elif secs > PEER_SECONDS:
            skipped[name] = f"{secs:.1f} s per call (> {PEER_SECONDS:g} s)"
        else:
            fns[name] = fn
    pred = predicted(c, a.dtype)
    chosen = pred.get(method, float("nan"))
    for m, p in pred.items():
        if m == method:
            continue
        limit = max(FORCED_SLOWER * chosen, FORCED_SECONDS) if chosen == chosen else FORCED_SECONDS
        if p == p and p > limit:
            skipped[f"convop {m}"] = f"predicted {p:.2g} s"
        else:
            fns[f"convop {m}"] = _convop(c, a, b, m)
    samples = _bench.time_samples(fns, rounds=rounds, budget=budget)
    med = {k: median(v) for k, v in samples.items()}
    peer_t = {k: v for k, v in med.items() if not k.startswith("convop")}
    forced = {k.removeprefix("convop "): v for k, v in med.items() if k.startswith("convop ")}
    forced[method] = med["convop"]
    best = min(peer_t, key=peer_t.__getitem__) if peer_t else ""
    fastest = min(forced, key=forced.__getitem__)
    return {
        **{k: v for k, v in asdict(c).items()},
        "method": method,
        "convop": med["convop"],
        "convop_spread": _spread(samples["convop"]),
        "peers": peer_t,
        "peer_spread": {k: _spread(samples[k]) for k in peer_t},
        "forced": forced,
        "fastest_method": fastest,
        "excluded": excluded,
        "skipped": skipped,
        "best_peer": best,
        "ratio": med["convop"] / peer_t[best] if best else float("nan"),
        "predicted": pred,
        "model_ratio": chosen / med["convop"] if chosen == chosen else float("nan"),
        "rounds": len(samples["convop"]),
    }


def run_cases(
    todo: Iterable[GCase],
    rounds: int = 5,
    torch: Any = "auto",
    progress: Callable[[str], None] | None = None,
    budget: float = 0.02,
) -> list[dict]:
    """Check and time every case (``torch='auto'``: import torch when installed)."""
    if isinstance(torch, str):
        torch = _bench._torch()
    rng = np.random.default_rng(0)
    todo = list(todo)
    rows = []
    for i, c in enumerate(todo):
        if progress:
            progress(f"[{i + 1}/{len(todo)}] {c.name}")
        rows.append(run_case(c, rng, torch, rounds, budget))
    return rows


def run(quick: bool = False, progress: Any = None) -> list[dict]:
    """The generalisation sweep (``quick``: 12 smaller cases, 3 rounds; else ~40, 5)."""
    return run_cases(cases(quick), rounds=3 if quick else 5, progress=progress)


def _ms(t: float) -> str:
    if t != t:
        return "-"
    return f"{t * 1e3:.3g}"


def table(rows: list[dict]) -> str:
    """Plain-text table: one line per case, then the summary."""
    head = (
        "case",
        "auto",
        "convop ms [min-max]",
        "best peer",
        "peer ms",
        "ratio",
        "pred/meas",
        "fastest forced",
    )
    lines = [head]
    for r in rows:
        lo, hi = r["convop_spread"]
        fm = r["fastest_method"]
        fastest = "=" if fm == r["method"] else f"{fm} {_ms(r['forced'][fm])}"
        lines.append(
            (
                r["name"],
                r["method"],
                f"{_ms(r['convop'])} [{_ms(lo)}-{_ms(hi)}]",
                r["best_peer"] or "-",
                _ms(r["peers"].get(r["best_peer"], float("nan"))),
                f"{r['ratio']:.2f}",
                f"{r['model_ratio']:.2f}" if r["model_ratio"] == r["model_ratio"] else "-",
                fastest,
            )
        )
    widths = [max(len(x[i]) for x in lines) for i in range(len(head))]
    out = ["  ".join(v.ljust(w) for v, w in zip(x, widths)).rstrip() for x in lines]
    out.insert(1, "  ".join("-" * w for w in widths))
    notes = [
        f"  {r['name']}: {p} excluded ({why})" for r in rows for p, why in r["excluded"].items()
    ]
    if notes:
        out += ["", "peers excluded (answer differs from convop's):", *notes]
    return "\n".join(out)


def stats(rows: list[dict]) -> dict[str, Any]:
    """Geomean and worst of auto / best peer, counts above :data:`LIMITS`, excluded
    peers, and the model's predicted/measured ratio of the chosen method."""
    timed = [r for r in rows if r["ratio"] == r["ratio"]]
    worst = max(timed, key=lambda r: r["ratio"], default=None)
    mr = [r["model_ratio"] for r in rows if r["model_ratio"] == r["model_ratio"]]
    return {
        "cases": len(rows),
        "geomean": _bench.geomean(r["ratio"] for r in timed),
        "worst": worst["ratio"] if worst else float("nan"),
        "worst_case": worst["name"] if worst else "",
        **{f"above_{lim:g}": sum(r["ratio"] > lim for r in timed) for lim in LIMITS},
        "excluded_peers": sum(len(r["excluded"]) for r in rows),
        "model_geomean": _bench.geomean(mr),
        "model_min": min(mr, default=float("nan")),
        "model_max": max(mr, default=float("nan")),
        "model_outside_2x": sum(not 0.5 <= m <= 2.0 for m in mr),
        "wrong_choice_1.3": sum(
            r["forced"][r["method"]] > 1.3 * min(r["forced"].values()) for r in rows
        ),
    }


def summary(rows: list[dict]) -> str:
    """The summary lines printed after the table."""
    s = stats(rows)
    return "\n".join(
        [
            f"auto / fastest peer over {s['cases']} cases: geomean {s['geomean']:.2f}, "
            f"worst {s['worst']:.2f} ({s['worst_case']}), "
            f"{s['above_1.3']} above 1.3x, {s['above_2']} above 2x",
            f"peers excluded for a different answer: {s['excluded_peers']}",
            f"model predicted / measured (chosen method): geomean {s['model_geomean']:.2f}, "
            f"range {s['model_min']:.2f}-{s['model_max']:.2f}, "
            f"{s['model_outside_2x']} outside 0.5-2",
            f"cases where a forced method beat auto's choice by > 1.3x: {s['wrong_choice_1.3']}",
        ]
    )


def plot(rows: list[dict], path: Path) -> Path:
    """auto / fastest peer per case (log scale), coloured by the chosen method."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 0.22 * len(rows) + 1.2), layout="constrained")
    ax = fig.subplots()
    colors = {"direct": "C0", "gemm": "C1", "fft": "C2", "overlap-add": "C3"}
    y = np.arange(len(rows))[::-1]
    ax.barh(
        y,
        [r["ratio"] for r in rows],
        color=[colors.get(r["method"], "C7") for r in rows],
    )
    for lim in (1.0, *LIMITS):
        ax.axvline(lim, color="k" if lim == 1 else "r", lw=0.8, ls="-" if lim == 1 else "--")
    ax.set_xscale("log")
    ax.set_yticks(y, [f"{r['name']} ({r['method']})" for r in rows], fontsize=6)
    ax.set_xlabel("convop auto / fastest peer (< 1: convop faster)")
    ax.set_title("convop bench --general", fontsize=9)
    fig.savefig(path, dpi=110)
    return path
