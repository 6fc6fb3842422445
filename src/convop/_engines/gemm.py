"""The ``gemm`` method: convolution as matrix products.

Single kernels use the block-Toeplitz form (:mod:`convop._engines.blocked` in 1-D,
:mod:`convop._engines.blocked_nd` in N-D). Batches of different kernels use im2col:
the windows of ``a`` (a strided view, copied in chunks of at most ``GEMM_CHUNK``
bytes) times the flipped kernel, one product per chunk.
"""

from __future__ import annotations

from math import prod

import numpy as np

from convop._core.arrays import flip, kernel_count, lead_shape, result_dtype
from convop._engines.blocked import valid_blocked
from convop._engines.blocked_nd import valid_blocked_nd

__all__ = ["GEMM_CHUNK", "valid_gemm"]

#: bytes of copied windows per matrix product (keeps the patch matrix out of RAM limits)
GEMM_CHUNK = 1 << 25


def valid_gemm(a: np.ndarray, b: np.ndarray, nd: int) -> np.ndarray:
    """``valid(a, b)`` over the trailing ``nd`` axes by matrix products."""
    if nd == 1:
        return valid_blocked(a, b)
    if kernel_count(b, nd) == 1:
        return valid_blocked_nd(a, b, nd)
    na, nb = a.shape[a.ndim - nd :], b.shape[b.ndim - nd :]
    nout = tuple(p - q + 1 for p, q in zip(na, nb))
    lead = lead_shape(a, b, nd)
    dt = result_dtype(a, b)
    taps = prod(nb)
    a = np.broadcast_to(a, lead + na) if a.shape[: a.ndim - nd] != lead else a
    bflip = np.broadcast_to(flip(b, nd), lead + nb).reshape(-1, taps)
    batched_b = kernel_count(b, nd) > 1
    win = np.lib.stride_tricks.sliding_window_view(a, nb, axis=tuple(range(-nd, 0)))
    win = win.reshape((-1,) + nout + nb) if lead else win[None]
    out = np.empty((win.shape[0],) + nout, dtype=dt)
    rows = max(1, GEMM_CHUNK // max(1, taps * dt.itemsize * prod(nout[1:])))
    kvec = bflip[0].astype(dt, copy=False)
    for i in range(win.shape[0]):
        kv = bflip[i].astype(dt, copy=False) if batched_b else kvec
        for r0 in range(0, nout[0], rows):
            chunk = win[i, r0 : r0 + rows].reshape(-1, taps)
            out[i, r0 : r0 + rows] = (chunk @ kv).reshape((-1,) + nout[1:])
    return out.reshape(lead + nout)
