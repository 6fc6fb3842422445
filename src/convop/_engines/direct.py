"""The ``direct`` method: sliding dot products, no patch matrix.

1-D: :func:`numpy.convolve`'s C loop, or shift-and-add (one vectorised pass per tap)
where the plan says so; N-D: shift-and-add, or one reduction per output when there
are fewer outputs than taps (kernel gradients). Where the plan allows it, torch's
native single-kernel convolution runs instead (:mod:`convop._engines.torch_direct`).

Every function computes ``valid(a, b)`` over the trailing ``nd`` axes (true
convolution, ``out[j] = Σ_i b[i] a[j + nb − 1 − i]``); leading axes broadcast.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from math import prod

import numpy as np

from convop._core.arrays import flip, kernel_count, lead_shape, result_dtype
from convop._core.extension import edge_samples, fast_pad
from convop._engines.plan import Plan
from convop._engines.torch_direct import torch_valid

__all__ = ["SMALL_1D_COPY", "direct_1d_border", "direct_padded", "shift_add", "valid_direct"]

#: 1-D signals up to this length are extended by one copy in the border paths (longer
#: ones get numpy's zero-boundary result with only the border samples recomputed)
SMALL_1D_COPY = 1 << 13


def shift_add(a: np.ndarray, b: np.ndarray, nd: int, nout: tuple[int, ...]) -> np.ndarray:
    """``valid(a, b)`` as one multiply-accumulate pass per tap."""
    nb = b.shape[b.ndim - nd :]
    out = np.empty(lead_shape(a, b, nd) + nout, dtype=result_dtype(a, b))
    scalar = kernel_count(b, nd) == 1
    tmp = np.empty_like(out)
    first = True
    for tap in itertools.product(*(range(q) for q in nb)):
        sl = (Ellipsis,) + tuple(slice(q - 1 - t, q - 1 - t + m) for q, t, m in zip(nb, tap, nout))
        if scalar:
            coef = b.reshape(nb)[tap]
        else:
            coef = b[(Ellipsis,) + tap][(Ellipsis,) + (None,) * nd]
        if first:
            np.multiply(a[sl], coef, out=out)
            first = False
        else:
            np.multiply(a[sl], coef, out=tmp)
            out += tmp
    return out


def _reduce_outputs(a: np.ndarray, b: np.ndarray, nd: int, nout: tuple[int, ...]) -> np.ndarray:
    # fewer outputs than taps (a kernel gradient): one reduction per output position
    nb = b.shape[b.ndim - nd :]
    out = np.zeros(lead_shape(a, b, nd) + nout, dtype=result_dtype(a, b))
    bflip = flip(b, nd)
    axes = tuple(range(-nd, 0))
    for pos in itertools.product(*(range(m) for m in nout)):
        sl = tuple(slice(p, p + q) for p, q in zip(pos, nb))
        out[(Ellipsis,) + pos] = (bflip * a[(Ellipsis,) + sl]).sum(axis=axes)
    return out


def valid_direct(a: np.ndarray, b: np.ndarray, nd: int, plan: Plan) -> np.ndarray:
    """``valid(a, b)`` by the direct method."""
    na, nb = a.shape[a.ndim - nd :], b.shape[b.ndim - nd :]
    nout = tuple(p - q + 1 for p, q in zip(na, nb))
    if plan.torch:
        out = torch_valid(
            a, b, nd, fallback=lambda: valid_direct(a, b, nd, replace(plan, torch=False))
        )
        if out is not None:
            return out
    if nd == 1 and kernel_count(b, 1) == 1 and not plan.shift_add:
        bv = b.reshape(-1)
        if a.ndim == 1:
            return np.convolve(a, bv, mode="valid")
        rows = prod(a.shape[:-1])
        if rows <= 16 or nb[0] > 64:
            # a few rows, or long kernels: numpy's loop per row beats one pass per tap
            flat = a.reshape(rows, -1)
            out = np.empty((rows, nout[0]), dtype=result_dtype(a, b))
            for i in range(rows):
                out[i] = np.convolve(flat[i], bv, mode="valid")
            return out.reshape(lead_shape(a, b, nd) + nout)
    if prod(nb) > prod(nout):
        return _reduce_outputs(a, b, nd, nout)
    return shift_add(a, b, nd, nout)


def direct_padded(
    a: np.ndarray, b: np.ndarray, nd: int, pads: tuple[tuple[int, int], ...], plan: Plan
) -> np.ndarray:
    """``valid(zero-pad(a, pads), b)``; 1-D through ``numpy.convolve(mode='full')`` and a
    crop, so that the padded copy is never made."""
    na, nb = a.shape[a.ndim - nd :], b.shape[b.ndim - nd :]
    if plan.torch:
        out = torch_valid(  # torch pads itself
            a,
            b,
            nd,
            pads,
            fallback=lambda: direct_padded(a, b, nd, pads, replace(plan, torch=False)),
        )
        if out is not None:
            return out
    if nd == 1 and a.ndim == 1 and b.ndim == 1 and not plan.shift_add:
        (l, r), k = pads[0], nb[0]
        n = na[0] + l + r - k + 1
        if l <= k - 1 and r <= k - 1:
            full_out = np.convolve(a, b, mode="full")
            start = k - 1 - l
            return full_out[start : start + n]
    return valid_direct(fast_pad(a, nd, pads, "zero"), b, nd, plan)


def direct_1d_border(
    a: np.ndarray, b: np.ndarray, pads: tuple[int, int], boundary: str, plan: Plan
) -> np.ndarray | None:
    """1-D ``valid(E a, b)`` as the zero-boundary result with only its border samples
    (the windows that read extended samples) recomputed: no copy of a long ``a``.
    None where this does not apply (then the caller extends ``a``)."""
    (left, right), k, n = pads, b.shape[0], a.shape[0]
    if plan.shift_add or n < k or left > k - 1 or right > k - 1:
        return None
    edges = edge_samples(a, 0, left, right, boundary)
    if edges is None:
        return None
    if n <= SMALL_1D_COPY:
        # short signals: one extended copy and one call beat three calls
        return np.convolve(np.concatenate((edges[0], a, edges[1])), b, "valid")
    out = np.convolve(a, b)  # full: starts at extended index k - 1 - left
    start = k - 1 - left
    res = out[start : start + n + left + right - k + 1]
    if left:
        res[:left] = np.convolve(np.concatenate((edges[0], a[: k - 1])), b, "valid")
    if right:
        res[res.size - right :] = np.convolve(
            np.concatenate((a[n - k + 1 :], edges[1])), b, "valid"
        )
    return res
