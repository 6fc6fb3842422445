"""Periodic boundaries without an extended copy: circular convolution.

With ``E`` the periodic extension by ``(l, r)`` samples, ``valid(E a, b)[i] =
c[(i + q − 1 − l) mod p]`` where ``c`` is the circular convolution of ``a`` (period
``p``) with ``b``. Two ways to get ``c``:

* the zero-boundary full convolution, aliased modulo ``p`` (works with any method)
  — ``O(q)`` extra additions per row;
* for FFTs on lengths that are fast already, one real FFT of length ``p`` (shorter
  than the ``p + q/2`` of the zero-boundary ``same`` convolution).

The backends use it for ``fft`` and ``overlap-add``; the direct method is cheaper
with one extended copy (the aliased full result needs a second copy to gather).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np
import scipy.fft as sfft

from convop._engines.fft import spectral_product
from convop._engines.plan import Plan

__all__ = ["conv_periodic"]


def _alias(x: np.ndarray, axis: int, p: int) -> np.ndarray:
    """Sum the blocks of length ``p`` of ``x`` along ``axis`` (in place, returns a view
    of the first block)."""
    x = np.moveaxis(x, axis, -1)
    length = x.shape[-1]
    for start in range(p, length, p):
        stop = min(start + p, length)
        x[..., : stop - start] += x[..., start:stop]
    return np.moveaxis(x[..., :p], -1, axis)


def _segments(start: int, size: int, p: int) -> list[tuple[slice, slice]]:
    """``(source, destination)`` slices covering ``(start + i) mod p`` for ``i < size``."""
    out, done, pos = [], 0, start % p
    while done < size:
        step = min(p - pos, size - done)
        out.append((slice(pos, pos + step), slice(done, done + step)))
        done, pos = done + step, 0
    return out


def _gather(
    c: np.ndarray, nd: int, starts: list[int], sizes: list[int], dtype: np.dtype
) -> np.ndarray:
    """``c[..., (s_a + i) mod p_a ...]`` for ``i < size_a`` on the trailing ``nd`` axes,
    by block copies (at most two per axis when ``size ≤ p``)."""
    lead = c.shape[: c.ndim - nd]
    segs = [_segments(s, n, p) for s, n, p in zip(starts, sizes, c.shape[c.ndim - nd :])]
    if all(len(sg) == 1 for sg in segs):
        return np.ascontiguousarray(c[(Ellipsis,) + tuple(sg[0][0] for sg in segs)], dtype=dtype)
    out = np.empty(lead + tuple(sizes), dtype=dtype)
    for combo in itertools.product(*segs):
        out[(Ellipsis,) + tuple(d for _, d in combo)] = c[
            (Ellipsis,) + tuple(src for src, _ in combo)
        ]
    return out


def _fast_length(p: int, real: bool) -> bool:
    return sfft.next_fast_len(p, real=real) == p


def conv_periodic(
    a: np.ndarray,
    b: np.ndarray,
    nd: int,
    plan: Plan,
    pads: tuple[tuple[int, int], ...],
    zero: Callable[..., np.ndarray],
) -> np.ndarray:
    """``valid(E a, b)`` for the periodic extension ``E`` by ``pads`` (any widths).

    ``zero(a, b, nd, plan, pads)`` is the zero-boundary convolution (passed in: it is
    the dispatcher that calls this function).
    """
    na, nb = a.shape[a.ndim - nd :], b.shape[b.ndim - nd :]
    dtype = np.result_type(a.dtype, b.dtype)
    starts = [(q - 1 - l) % p for p, q, (l, _) in zip(na, nb, pads)]
    sizes = [p + l + r - q + 1 for p, q, (l, r) in zip(na, nb, pads)]
    real = dtype.kind != "c"
    # axes where the kernel (after aliasing) or the period has length 1 need no transform
    flat = [min(p, q) == 1 for p, q in zip(na, nb)]
    if plan.method == "fft" and all(f or _fast_length(p, real) for p, f in zip(na, flat)):
        bb = b
        for ax, (p, q) in enumerate(zip(na, nb)):
            if q > p:  # kernel longer than the period: alias it
                bb = _alias(np.array(bb, dtype=np.result_type(bb, dtype)), bb.ndim - nd + ax, p)
        c = spectral_product(a, bb, nd, tuple(None if f else p for p, f in zip(na, flat)))
    else:
        c = zero(a, b, nd, plan, tuple((q - 1, q - 1) for q in nb))
        if not c.flags.writeable or np.may_share_memory(c, a):
            c = np.array(c)  # aliased in place below
        for ax, (p, q) in enumerate(zip(na, nb)):
            if q > 1:
                c = _alias(c, c.ndim - nd + ax, p)
    return _gather(c, nd, starts, sizes, dtype)
