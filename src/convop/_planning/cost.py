"""The cost model of ``method='auto'``: predicted seconds of every method.

Each method's time is modelled as ``overhead + slope · work`` with ``work`` a
flop-like count (multiply-adds for ``direct``/``gemm``, ``F log2 F`` per real FFT
for ``fft``/``overlap-add``), with the constants of :mod:`convop._planning.constants`.
Also here: the rules that refine ``direct`` (shift-and-add in 1-D; torch's native
conv for small 2-D/3-D kernels), since they are cost decisions too.
"""

from __future__ import annotations

from math import log2, prod

import numpy as np

from convop._engines.blocked import block_length
from convop._engines.blocked_nd import block_length_nd
from convop._engines.fft import TORCH_FFT_MIN, fft_length, oa_blocks
from convop._planning.constants import constants

__all__ = ["costs", "direct_1d_costs", "shift_add_1d", "torch_direct_pays"]

#: torch's single-kernel conv is the direct engine for 2-D/3-D kernels of at most this
#: many taps (3×3: off its fast path from 5×5) and at most this many outputs (~140²,
#: where the block-Toeplitz products catch up)
TORCH_MAX_TAPS = 9
TORCH_MAX_OUT = 20_000


def torch_direct_pays(na: tuple[int, ...], nb: tuple[int, ...], always: bool = False) -> bool:
    """Whether torch's single-kernel conv is the fastest direct engine for a ``valid``
    convolution of the extended ``na`` with ``nb`` (``always``: every 1-D to 3-D
    shape, the ``direct_engine='torch'`` option). Never in 1-D: torch's two-thread conv1d is
    bimodal per process on 2-core machines (CHANGELOG 2026-11-23)."""
    nd = len(na)
    if always:
        return nd in (1, 2, 3)
    if nd not in (2, 3):
        return False
    if prod(nb) > TORCH_MAX_TAPS:
        return False
    return prod(p - q + 1 for p, q in zip(na, nb)) <= TORCH_MAX_OUT


def precision(dtype: np.dtype) -> str:
    return "f4" if dtype.itemsize <= 4 or dtype.char == "F" else "f8"


def fast(n: int) -> int:
    return fft_length(n, True)


def fft_units(f: int) -> float:
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


#: numpy.convolve runs a fast loop up to 11 taps and a 3-8x slower one from 12
#: (benchmarks/results/NOTES.md), so shift-and-add (one pass per tap) wins in float32
#: up to 64 taps. In float64 numpy's loop is faster and neither wins reliably, so
#: float64 stays on numpy.convolve
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
    key = precision(np.dtype(dtype))
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


#: block-Toeplitz products per second in 3-D relative to the 2-D slopes ``btnd`` are
#: fitted on: the matrix products there are 3× wider (9 kernel rows per block, not 3),
#: which BLAS runs closer to its peak. Fitted on 3³ kernels, 'same', 64³-128³, float32
#: and float64 (measured/predicted 0.42-0.76, median 0.54): without it ``auto`` chose
#: direct or fft for 128³ volumes (float64: fft 94 ms, gemm 33 ms)
BTND_3D_GAIN = 0.55


def blocked_nd_cost(
    c: dict[str, tuple[float, float]], nout: tuple[int, ...], nb: tuple[int, ...], batch: int
) -> float:
    """Seconds of :func:`convop._engines.blocked_nd.valid_blocked_nd`: overhead plus, per padded
    output, slots·(B + Kw − 1) products at a slope that grows with size."""
    bsz = block_length_nd(nout[-1], nb[-1])
    width = prod(nb[:-1]) * (bsz + nb[-1] - 1)
    padded = batch * prod(nout[:-1]) * -(-nout[-1] // bsz) * bsz
    o, small = c["btnd"]
    gain = BTND_3D_GAIN if len(nb) >= 3 else 1.0
    slope = _interp(padded, BTND_P[0], small, BTND_P[1], c["btnd_big"][1])
    return o + gain * padded * width * slope


#: bytes of the output (shift-and-add) or of the transformed data (multi-axis FFT)
#: between which the per-unit cost climbs from the cache-resident slope (``sad``,
#: ``fft_nd``, fitted at 512² and 256²) to the memory-bound one (``sad_big``,
#: ``fft_nd_big``): shift-and-add streams the whole output once per tap, so past the
#: last-level cache it is 2-3× slower per multiply-add (2048², 5×5 float32: 95-131 ms
#: measured where the cache-resident slope predicts 38 ms; gemm takes 40-48 ms)
MEM_BYTES = (1 << 22, 1 << 24)


def memory_slope(c: dict[str, tuple[float, float]], name: str, nbytes: float) -> float:
    """Seconds per unit of ``name`` (``'sad'`` or ``'fft_nd'``) for ``nbytes`` of data:
    the cache-resident slope up to ``MEM_BYTES[0]``, the ``name + '_big'`` one from
    ``MEM_BYTES[1]`` (never below the cache-resident one: a calibration that measured
    only the small case keeps the slope monotone)."""
    small = c[name][1]
    big = max(c.get(name + "_big", (0.0, small))[1], small)
    return _interp(max(nbytes, 1.0), MEM_BYTES[0], small, MEM_BYTES[1], big)


#: kernels shorter than this along every axis never consider overlap-add
OA_MIN_TAPS = 64

#: time of torch.fft relative to scipy.fft assumed by the model. 1: importing torch
#: must never change which method ``auto`` picks for the worse, and torch's FFT is
#: faster only in some processes and stalls under contention (the engine uses it only
#: while it measures faster, :func:`convop._engines.fft.spectral_product`)
TORCH_FFT_GAIN = 1.0


def costs(
    na: tuple[int, ...], nb: tuple[int, ...], batch: int, dtype: np.dtype, torch: bool = False
) -> dict[str, float]:
    """Predicted seconds of every method for ``valid`` of an ``na`` input (already
    extended) with an ``nb`` kernel, ``batch`` independent signals (``torch``: the
    caller has imported torch, whose multi-axis FFT is used)."""
    c = constants()[precision(np.dtype(dtype))]
    nd = len(na)
    nout_axes = tuple(max(p - q + 1, 1) for p, q in zip(na, nb))
    nout = prod(nout_axes)
    taps = prod(nb)
    work = batch * nout * taps
    out: dict[str, float] = {}
    if nd == 1:
        np_cost, sa_cost = direct_1d_costs(c, nout, nb[0], batch)
        sa_ok = SHIFT_ADD_MIN_TAPS <= nb[0] <= SHIFT_ADD_MAX_TAPS[precision(np.dtype(dtype))]
        out["direct"] = min(np_cost, sa_cost) if sa_ok else np_cost
    else:
        # one pass over the output per tap: memory-bound once it leaves the cache
        slope = memory_slope(c, "sad", batch * nout * np.dtype(dtype).itemsize)
        out["direct"] = c["sad"][0] * taps + slope * work * 2
    if nd == 1:
        # per output: copying and writing (fixed) plus the block's (B + K − 1) products
        bsz = block_length(nout, nb[0])
        o, s = c["bt1d"]
        out["gemm"] = o + batch * -(-nout // bsz) * bsz * (c["bt1d_out"][1] + s * (bsz + nb[0] - 1))
    else:
        out["gemm"] = blocked_nd_cost(c, nout_axes, nb, batch)
    # axes where the kernel has length 1 are not transformed (a broadcast product):
    # the transforms are then over the other axes, once per line of the flat ones
    moving = [p for p, q in zip(na, nb) if q > 1]
    lines = prod(p for p, q in zip(na, nb) if q == 1)
    f = prod(fast(p) for p in moving)
    tnd = len(moving)
    fast_multi = tnd >= 2 and torch and np.dtype(dtype).kind == "f" and f >= TORCH_FFT_MIN
    # multi-axis transforms run SIMD across lines that each stay in cache: their cost
    # per unit is lower (the fft_nd constant), until the data leaves the cache
    itemsize = np.dtype(dtype).itemsize
    slope = (
        fft_slope(c, f * batch * lines)
        if tnd <= 1
        else memory_slope(c, "fft_nd", f * batch * lines * itemsize)
    )
    out["fft"] = c["fft"][0] + slope * (2 * batch * lines + 1) * fft_units(f) * (
        TORCH_FFT_GAIN if fast_multi else 1.0
    )
    # overlap-add only pays for kernels longer than the short-kernel methods handle
    # well (never chosen below OA_MIN_TAPS in any sweep); skipping it keeps a cold
    # choice cheap
    blocks = [oa_blocks(p, q) for p, q in zip(na, nb)] if max(nb) >= OA_MIN_TAPS else []
    if any(b for b, _ in blocks):
        fb = prod(b if b else fast(p + q - 1) for (b, _), p, q in zip(blocks, na, nb))
        nblk = prod(m for _, m in blocks)
        o, mem = c["oa"]  # mem: seconds per block sample (padding, folds)
        # many small multi-axis transforms and strided folds cost more than 1-D
        # blocks (2-D overlap-add rarely beats one 2-D FFT)
        slow = 1.0 + 1.5 * (nd - 1)
        out["overlap-add"] = (
            o
            + mem * batch * nblk * fb
            + slow * fft_slope(c, fb) * (2 * batch * nblk + 1) * fft_units(fb)
        )
    return out
