"""Method choice: a per-machine cost model (seconds) for every backend.

Each method's time is modelled as ``overhead + slope · work`` with ``work`` a
flop-like count (multiply-adds for ``direct``/``gemm``, ``F log2 F`` per real FFT
for ``fft``/``overlap-add``). The constants are shipped defaults measured on the
development machine, replaced by the ones ``convop calibrate`` measured on this
machine when its JSON file exists (see :mod:`convop._tools.calibrate`).
"""

from __future__ import annotations

from functools import lru_cache
from math import log2, prod
from typing import Any

import numpy as np

from convop._core import optional as _torch_use
from convop._core import validate as _validate
from convop._core.errors import ConvopValueError, invalid
from convop._engines import torch_direct as _torch_direct
from convop._engines.blocked import block_length
from convop._engines.blocked_nd import block_length_nd
from convop._engines.fft import TORCH_FFT_MIN, fft_length

__all__ = ["choose_method"]

#: (overhead s, slope s/unit) per method and precision ("f8": float64/complex,
#: "f4": float32/complex64); measured on the 2-core development machine. The 1-D
#: block-Toeplitz terms (bt1d, bt1d_out) were refitted against the other methods
#: timed in the same run (1-D N ∈ {1e3, 1e4, 1e5} × K ∈ {15 … 1001}, torch loaded):
#: they had been 2.5–3× low, which chose gemm over numpy's correlate at N = 1e3
#: (1.2–1.7× slower) and over overlap-add at N = 1e5, K = 301 (1.8×).
DEFAULTS: dict[str, dict[str, tuple[float, float]]] = {
    "f8": {
        "np1d": (2.0e-06, 2.8e-10),
        "np1d_31": (0.0, 6.4e-10),
        "np1d_301": (0.0, 1.4e-10),
        "sa1d": (1.5e-06, 3.8e-10),
        "bt1d": (4.5e-05, 4.7e-11),
        "bt1d_out": (0.0, 2.6e-09),
        "btnd": (2.0e-05, 1.0e-10),
        "btnd_big": (0.0, 2.3e-10),
        "sad": (3.8e-06, 5.9e-10),
        "gemm": (2e-05, 1.9e-09),
        "fft": (7.0e-05, 4.0e-10),
        "fft_big": (0.0, 1.0e-09),
        "fft_nd": (0.0, 3.0e-10),
        "oa": (9e-05, 6e-09),
        "layer_tap": (1e-05, 9.7e-11),
        "layer_gemm": (1e-05, 7.4e-11),
        "layer_fft": (3e-05, 8.8e-10),
        "layer_cmul": (0.0, 2.4e-09),
        "torch_layer": (2e-05, 2.0e-10),
    },
    "f4": {
        "np1d": (2.0e-06, 3.2e-10),
        "np1d_31": (0.0, 1.0e-09),
        "np1d_301": (0.0, 8.5e-11),
        "sa1d": (3.0e-06, 1.8e-10),
        "bt1d": (4.5e-05, 1.6e-11),
        "bt1d_out": (0.0, 1.8e-09),
        "btnd": (2.0e-05, 6.0e-11),
        "btnd_big": (0.0, 1.4e-10),
        "sad": (4.4e-06, 1.8e-10),
        "gemm": (2e-05, 1.5e-09),
        "fft": (7.0e-05, 3.5e-10),
        "fft_big": (0.0, 4.1e-10),
        "fft_nd": (0.0, 1.5e-10),
        "oa": (9e-05, 3.3e-09),
        "layer_tap": (1e-05, 5e-11),
        "layer_gemm": (1e-05, 4.6e-11),
        "layer_fft": (3e-05, 6.6e-10),
        "layer_cmul": (0.0, 1.8e-09),
        "torch_layer": (2e-05, 2.5e-11),
    },
}

_constants: dict[str, dict[str, tuple[float, float]]] | None = None


def constants() -> dict[str, dict[str, tuple[float, float]]]:
    """The cost constants in use (calibrated if available, else the defaults)."""
    global _constants
    if _constants is None:
        from convop._tools.calibrate import load

        _constants = load()
    return _constants


def set_constants(value: dict[str, dict[str, tuple[float, float]]] | None) -> None:
    """Replace the constants (None: reload on next use); forgets the plans made with
    the old ones."""
    global _constants
    _constants = value
    _plan.cache_clear()
    from convop._engines.layer import _layer_plan
    from convop._planning import routes as _routes

    _layer_plan.cache_clear()
    _routes.clear()


def _key(dtype: np.dtype) -> str:
    return "f4" if dtype.itemsize <= 4 or dtype.char == "F" else "f8"


def _fast(n: int) -> int:
    return fft_length(n, True)


@lru_cache(maxsize=256)
def oa_block(n: int, k: int) -> tuple[int, int]:
    """(block length, number of blocks) of an overlap-add axis; (0, 1) if not worth it."""
    if k < 2 or n <= 4 * k:
        return 0, 1
    best, best_cost, nbest = 0, float("inf"), 1
    size = _fast(2 * k)
    full = _fast(n + k - 1)
    for _ in range(12):
        if size >= full:
            break
        nblk = -(-n // (size - k + 1))
        cost = nblk * size * (log2(size) + 1.0)
        if cost < best_cost:
            best, best_cost, nbest = size, cost, nblk
        size *= 2  # a fast length times 2 is one too
    return (best, nbest) if best else (0, 1)


def _fft_units(f: int) -> float:
    return f * (log2(f) + 1.0) if f > 1 else 1.0


def _interp(x: float, x0: float, y0: float, x1: float, y1: float) -> float:
    """Linear interpolation of y in log x between two anchors, clamped outside."""
    if x <= x0:
        return y0
    if x >= x1:
        return y1
    t = (log2(x) - log2(x0)) / (log2(x1) - log2(x0))
    return y0 + t * (y1 - y0)


#: anchors of the size-dependent slopes: kernel lengths of numpy.convolve's
#: per-multiply-add cost, FFT sizes (samples) of the per-unit cost
NP_K = (3, 31, 301)
FFT_F = (1 << 14, 1 << 20)


def np1d_slope(c: dict[str, tuple[float, float]], k: int) -> float:
    """Seconds per multiply-add of numpy.convolve with a length-``k`` kernel: its
    fast loop up to 11 taps, a slower one from 12 (see SHIFT_ADD_MIN_TAPS), faster
    again per multiply-add for long kernels."""
    s3, s31, s301 = c["np1d"][1], c["np1d_31"][1], c["np1d_301"][1]
    if k < SHIFT_ADD_MIN_TAPS:
        return s3
    if k <= NP_K[1]:
        return s31
    return _interp(k, NP_K[1], s31, NP_K[2], s301)


#: numpy.convolve runs a fast loop up to 11 taps and a 3-8x slower one from 12 (measured
#: float32, N = 1e4: K = 11 → 39 µs, K = 12 → 198 µs). Shift-and-add (one pass per tap)
#: then wins in float32 up to 64 taps (2.6-7x at K = 12-31). In float64 numpy's loop is
#: faster and the two traded places from run to run (K = 12-16: 0.7-1.9x), so float64
#: stays on numpy.convolve
SHIFT_ADD_MIN_TAPS = 12
SHIFT_ADD_MAX_TAPS = {"f4": 64, "f8": 0}


def direct_1d_costs(
    c: dict[str, tuple[float, float]], n_out: int, k: int, batch: int = 1
) -> tuple[float, float]:
    """Predicted seconds of ``numpy.convolve`` and of shift-and-add (one pass per tap)
    for ``batch`` 1-D valid convolutions with ``n_out`` outputs and ``k`` taps."""
    np_cost = c["np1d"][0] * batch + np1d_slope(c, k) * n_out * k * batch
    o, s = c["sa1d"]
    return np_cost, k * (o + s * n_out * batch)


def shift_add_1d(n_out: int, k: int, dtype: np.dtype) -> bool:
    """Whether the 1-D direct method should shift and add rather than call
    ``numpy.convolve`` (mid-size kernels, where numpy's inner loop is slow)."""
    key = _key(np.dtype(dtype))
    if not SHIFT_ADD_MIN_TAPS <= k <= SHIFT_ADD_MAX_TAPS[key]:
        return False
    np_cost, sa_cost = direct_1d_costs(constants()[key], n_out, k)
    return sa_cost < np_cost


def fft_slope(c: dict[str, tuple[float, float]], f: int) -> float:
    """Seconds per FFT unit (F log2 F) at size ``f``: cache-resident transforms are
    cheaper per unit than memory-bound ones."""
    return _interp(f, FFT_F[0], c["fft"][1], FFT_F[1], c["fft_big"][1])


#: padded outputs of the N-D block-Toeplitz anchors: 64² (cache-resident windows) and
#: 1024² (memory-bound: the windows are read once per 16 outputs)
BTND_P = (1 << 12, 1 << 20)


def blocked_nd_cost(
    c: dict[str, tuple[float, float]], nout: tuple[int, ...], nb: tuple[int, ...], batch: int
) -> float:
    """Seconds of :func:`convop._engines.blocked_nd.valid_blocked_nd`: overhead plus, per padded
    output, slots·(B + Kw − 1) products at a slope that grows with size."""
    bsz = block_length_nd(nout[-1], nb[-1])
    width = prod(nb[:-1]) * (bsz + nb[-1] - 1)
    padded = batch * prod(nout[:-1]) * -(-nout[-1] // bsz) * bsz
    o, small = c["btnd"]
    return o + padded * width * _interp(padded, BTND_P[0], small, BTND_P[1], c["btnd_big"][1])


#: kernels shorter than this along every axis never consider overlap-add
OA_MIN_TAPS = 64

#: time of torch.fft relative to scipy.fft for multi-axis transforms of at least
#: _fft_backends.TORCH_FFT_MIN samples, where convop hands them to torch (measured
#: 0.37-0.65 from 256² to 512² in one session, 0.64-1.2 in a later one; smaller
#: transforms stay on scipy.fft)
TORCH_FFT_GAIN = 0.8


def costs(
    na: tuple[int, ...], nb: tuple[int, ...], batch: int, dtype: np.dtype, torch: bool = False
) -> dict[str, float]:
    """Predicted seconds of every method for ``valid`` of an ``na`` input (already
    extended) with an ``nb`` kernel, ``batch`` independent signals (``torch``: the
    caller has imported torch, whose multi-axis FFT is used)."""
    c = constants()[_key(np.dtype(dtype))]
    nd = len(na)
    nout_axes = tuple(max(p - q + 1, 1) for p, q in zip(na, nb))
    nout = prod(nout_axes)
    taps = prod(nb)
    work = batch * nout * taps
    out: dict[str, float] = {}
    if nd == 1:
        np_cost, sa_cost = direct_1d_costs(c, nout, nb[0], batch)
        sa_ok = SHIFT_ADD_MIN_TAPS <= nb[0] <= SHIFT_ADD_MAX_TAPS[_key(np.dtype(dtype))]
        out["direct"] = min(np_cost, sa_cost) if sa_ok else np_cost
    else:
        o, s = c["sad"]
        out["direct"] = o * taps + s * work * 2
    if nd == 1:
        # per output: copying and writing (fixed) plus the block's (B + K − 1) products
        bsz = block_length(nout, nb[0])
        o, s = c["bt1d"]
        out["gemm"] = o + batch * -(-nout // bsz) * bsz * (c["bt1d_out"][1] + s * (bsz + nb[0] - 1))
    else:
        out["gemm"] = blocked_nd_cost(c, nout_axes, nb, batch)
    f = prod(_fast(p) for p in na)
    fast_multi = nd >= 2 and torch and np.dtype(dtype).kind == "f" and f >= TORCH_FFT_MIN
    # multi-axis transforms run SIMD across lines that each stay in cache: their cost
    # per unit is lower and flat in size (measured 2-D, 256²-1024²: float64 2.4-4.3e-10
    # s, float32 1.4-2.1e-10 s, where 1-D transforms of 2^20 samples take 1e-9 s)
    slope = fft_slope(c, f * batch) if nd == 1 else c["fft_nd"][1]
    out["fft"] = c["fft"][0] + slope * (2 * batch + 1) * _fft_units(f) * (
        TORCH_FFT_GAIN if fast_multi else 1.0
    )
    # overlap-add only pays for kernels longer than the short-kernel methods handle
    # well (never chosen below OA_MIN_TAPS in any sweep); skipping it keeps a cold
    # choice cheap
    blocks = [oa_block(p, q) for p, q in zip(na, nb)] if max(nb) >= OA_MIN_TAPS else []
    if any(b for b, _ in blocks):
        fb = prod(b if b else _fast(p + q - 1) for (b, _), p, q in zip(blocks, na, nb))
        nblk = prod(m for _, m in blocks)
        o, mem = c["oa"]  # mem: seconds per block sample (padding, folds)
        # many small multi-axis transforms and strided folds cost more than 1-D
        # blocks (measured: 2-D overlap-add rarely beats one 2-D FFT)
        slow = 1.0 + 1.5 * (nd - 1)
        out["overlap-add"] = (
            o
            + mem * batch * nblk * fb
            + slow * fft_slope(c, fb) * (2 * batch * nblk + 1) * _fft_units(fb)
        )
    return out


@lru_cache(maxsize=512)
def _plan(na: tuple[int, ...], nb: tuple[int, ...], batch: int, dtype: str, torch: bool) -> str:
    if torch and batch == 1 and _torch_direct.worth_it(na, nb, np.dtype(dtype)):
        return "direct"  # torch's own conv, measured faster here
    est = costs(na, nb, batch, np.dtype(dtype), torch)
    return min(est, key=est.__getitem__)


def plan(na: tuple[int, ...], nb: tuple[int, ...], batch: int, dtype: Any) -> str:
    """Fastest predicted method for ``valid`` of ``na`` (extended) with ``nb``."""
    return _plan(tuple(na), tuple(nb), int(batch), np.dtype(dtype).str, _torch_use.available())


def _shape_dtype(value: Any, name: str) -> tuple[tuple[int, ...], np.dtype, Any]:
    if isinstance(value, np.ndarray):
        return value.shape, value.dtype, value
    if hasattr(value, "shape") and hasattr(value, "dtype"):  # a tensor or a shape record
        # magnitudes unknown (None): integer data then count as unsafe for the FFT
        return tuple(value.shape), np.dtype(str(value.dtype).replace("torch.", "")), None
    if isinstance(value, tuple) and all(isinstance(v, (int, np.integer)) for v in value):
        return tuple(int(v) for v in value), np.dtype(np.float64), None
    arr = np.asarray(value)
    if arr.dtype.kind not in "biufc":
        raise invalid(name, value, "an array or a shape tuple")
    return arr.shape, arr.dtype, arr


def _int_guard(a: Any, b: Any, da: np.dtype, db: np.dtype) -> bool:
    """True when integer products could exceed 2**52 (float64 FFT would round)."""
    if da.kind in "fc" or db.kind in "fc":
        return False
    if a is None or b is None:
        return True
    a, b = np.asarray(a), np.asarray(b)
    if a.size == 0 or b.size == 0:
        return False
    bound = float(np.abs(a).max()) * float(np.abs(b).max()) * min(a.size, b.size)
    return bound >= 2.0**52


_SPEC = frozenset({"boundary", "axes", "stride", "dilation", "groups", "channels", "padding"})


def choose_method(in1: Any, in2: Any, mode: str = "full", **spec: Any) -> str:
    """The method ``method='auto'`` uses for this convolution on this machine.

    Parameters
    ----------
    in1, in2 : array_like or tuple of int
        Signal and kernel (arrays, or their shapes for float64). For a layer
        (``channels`` given): ``in1`` is the input ``([N,] C_in, *spatial)`` and
        ``in2`` the weight ``(C_out, C_in/groups, *kernel)`` or the kernel shape.
    mode : {'full', 'same', 'valid'}
        As :func:`convop.convolve` (layers: ignored, use ``padding`` in ``stride``…).
    **spec
        ``boundary``, ``axes`` (functional); ``stride``, ``dilation``, ``groups``,
        ``channels`` (an int or ``(C_in, C_out)``) and ``padding`` (int per side)
        for layers.

    Returns
    -------
    str
        ``'direct'``, ``'fft'`` or ``'overlap-add'`` (functional; also ``'gemm'`` in
        1-D, the block-Toeplitz matrix product), ``'direct'``, ``'gemm'`` or ``'fft'``
        (layers).

    Raises
    ------
    ValueError
        Unknown ``mode`` or spec key.

    Notes
    -----
    Integer inputs whose products could exceed 2**52 always get ``'direct'`` (an
    FFT in float64 could round them), as :func:`scipy.signal.choose_conv_method`.
    The model's constants come from ``convop calibrate`` when it has been run.

    Examples
    --------
    >>> import numpy as np, convop
    >>> convop.choose_method(np.ones(1000), np.ones(3))
    'direct'
    >>> convop.choose_method(np.ones(10**6), np.ones(3001)) in ("fft", "overlap-add")
    True
    >>> convop.choose_method((8, 32, 64, 64), (32, 32, 31, 31), channels=32, padding=15)
    'fft'
    """
    if spec and not _SPEC.issuperset(spec):
        raise invalid("spec", sorted(set(spec) - _SPEC)[0], sorted(_SPEC))
    mode = _validate.mode(mode)
    sa, da, a = _shape_dtype(in1, "in1")
    sb, db, b = _shape_dtype(in2, "in2")
    if _int_guard(a, b, da, db):
        return "direct"
    dtype = _validate.compute_dtype(da, db)
    if spec.get("channels") is not None:
        from convop._engines.layer import layer_plan

        return layer_plan(sa, sb, dtype, **spec)
    if len(sa) != len(sb):
        raise ConvopValueError(
            f"in1 and in2 must have the same number of dimensions; got {sa} and {sb}"
        )
    axes = spec.get("axes")
    if axes is None:
        na, nb, batch = sa, sb, 1
    else:
        nd_axes = (axes,) if isinstance(axes, (int, np.integer)) else tuple(axes)
        nd_axes = tuple(int(x) % max(len(sa), 1) for x in nd_axes)
        na = tuple(sa[i] for i in nd_axes)
        nb = tuple(sb[i] for i in nd_axes)
        batch = prod(max(sa[i], sb[i]) for i in range(len(sa)) if i not in nd_axes)
    if mode == "valid":
        if not all(p >= q for p, q in zip(na, nb)):
            na, nb = nb, na
        return plan(na, nb, batch, dtype)
    if mode == "full":
        ext = tuple(p + 2 * (q - 1) for p, q in zip(na, nb))
    else:
        ext = tuple(p + q - 1 for p, q in zip(na, nb))
    return plan(ext, nb, batch, dtype)
