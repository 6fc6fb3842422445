"""N-D single-kernel convolution as matrix products: block Toeplitz along the last axis.

Generalises :mod:`convop._engines.blocked`. Along the last axis the output is cut into blocks
of ``B`` samples as in 1-D; every index of the kernel's other axes (a *slot*: ``Kh``
of them in 2-D) reads one shifted row of the input through the 1-D block-Toeplitz
matrix of its kernel row, so the windows of all slots side by side times the stacked
matrices give the output in one GEMM (2-D):

    out[y, jB + r] = Σ_i Σ_m X[y + Kh − 1 − i, jB + m] · T_i[m, r]

with ``T_i`` the :func:`convop._engines.blocked.kernel_matrix` of kernel row ``i``. That is
``2·Kh·(B + Kw − 1)`` flops per output (against ``2·Kh·Kw`` for sliding dot products)
at matrix-product speed, and no dependence on torch: a little behind torch's conv2d
at its best on small images, ahead of its slow mode and of it on larger images and
kernels (benchmarks/results/NOTES.md).
"""

from __future__ import annotations

import itertools
from math import prod

import numpy as np

from convop._core.extension import pad_into
from convop._engines.blocked import CHUNK, _workspace, kernel_matrix, matmul_into

__all__ = ["block_length_nd", "extended_copy", "valid_blocked_nd"]


def block_length_nd(n_out: int, k: int) -> int:
    """Output samples per block along the last axis (16 for short kernels, the best
    block there; about the kernel length for long rows and long kernels)."""
    if k < 16 or n_out < 4 * k:
        return 16
    return min(96, -(-k // 8) * 8)


def extended_copy(
    a: np.ndarray,
    nd: int,
    pads: tuple[tuple[int, int], ...],
    boundary: str,
    tail: int = 0,
    scratch: bool = False,
) -> np.ndarray | None:
    """``E a`` over the trailing ``nd`` axes as a C-contiguous array, with ``tail`` extra
    zeros at the end of the last axis (:func:`convop._core.extension.pad_into`).
    ``scratch``: in this thread's reused workspace (valid until the next call). None
    when a width needs more than one wrap or reflection."""
    na = a.shape[a.ndim - nd :]
    ext = [n + l + r for n, (l, r) in zip(na, pads)]
    ext[-1] += tail
    shape = a.shape[: a.ndim - nd] + tuple(ext)
    xp = (
        _workspace(prod(shape), a.dtype, slot=1).reshape(shape)
        if scratch
        else np.empty(shape, a.dtype)
    )
    if not pad_into(xp[..., : ext[-1] - tail], a, nd, pads, boundary):
        return None
    if tail:
        xp[..., ext[-1] - tail :] = 0
    return xp


_recent: dict[tuple, np.ndarray] = {}


def stacked_matrices(kernel: np.ndarray, block: int, dtype: np.dtype) -> np.ndarray:
    """The slots' kernel matrices stacked: ``(slots · (block + Kw − 1)) × block``, slot
    ``i`` (C order over the kernel's leading axes) first (remembered for a few recent
    small kernels, keyed by their bytes)."""
    key = (kernel.tobytes(), kernel.shape, block, dtype.char + kernel.dtype.char)
    got = _recent.get(key) if kernel.size <= 4096 else None
    if got is None:
        rows = kernel.reshape(-1, kernel.shape[-1])
        got = kernel_matrix(rows, block, dtype).reshape(-1, block)
        if kernel.size <= 4096:
            got.flags.writeable = False
            if len(_recent) >= 16:
                _recent.clear()
            _recent[key] = got
    return got


def valid_blocked_nd(
    a: np.ndarray,
    b: np.ndarray,
    nd: int,
    pads: tuple[tuple[int, int], ...] | None = None,
    boundary: str = "zero",
) -> np.ndarray | None:
    """``valid(E a, b)`` over the trailing ``nd ≥ 2`` axes by block-Toeplitz GEMMs, for one
    kernel (``b`` without batch entries); ``a``'s leading axes are a batch. None when
    the extension needs repeated reflections."""
    nb = b.shape[b.ndim - nd :]
    na = a.shape[a.ndim - nd :]
    pads = pads or ((0, 0),) * nd
    dtype = a.dtype if a.dtype is b.dtype else np.result_type(a.dtype, b.dtype)
    nout = tuple(n + l + r - q + 1 for n, (l, r), q in zip(na, pads, nb))
    kw = nb[-1]
    bsz = block_length_nd(nout[-1], kw)
    nblk = -(-nout[-1] // bsz)
    span = bsz + kw - 1
    tail = nblk * bsz + kw - 1 - (na[-1] + pads[-1][0] + pads[-1][1])
    xp = extended_copy(a.astype(dtype, copy=False), nd, pads, boundary, tail, scratch=True)
    if xp is None:
        return None
    xp = xp.reshape((-1,) + xp.shape[xp.ndim - nd :])
    lead = np.broadcast_shapes(a.shape[: a.ndim - nd], b.shape[: b.ndim - nd])
    tmat = stacked_matrices(b.reshape(nb), bsz, dtype)
    slots = list(itertools.product(*(range(q) for q in nb[:-1])))
    width = len(slots) * span
    s, st = dtype.itemsize, xp.strides
    out = np.empty((xp.shape[0],) + nout[:-1] + (nblk * bsz,), dtype)
    inner = prod(nout[1:-1]) * nblk
    step = max(1, 4 * CHUNK // max(1, inner * width * s))
    for r in range(xp.shape[0]):
        for y0 in range(0, nout[0], step):
            m = min(step, nout[0] - y0)
            shape = (m,) + nout[1:-1] + (nblk, span)
            wins = _workspace(m * inner * width, dtype).reshape(shape[:-1] + (width,))
            for i, slot in enumerate(slots):
                offset = (
                    r * st[0]
                    + y0 * st[1]
                    + sum((q - 1 - t) * sd for q, t, sd in zip(nb[:-1], slot, st[1:]))
                )
                view = np.ndarray(
                    shape, dtype, buffer=xp, offset=offset, strides=st[1:-1] + (bsz * s, s)
                )
                wins[..., i * span : (i + 1) * span] = view
            matmul_into(wins.reshape(-1, width), tmat, out[r, y0 : y0 + m].reshape(-1, bsz))
    return out[..., : nout[-1]].reshape(lead + nout)
