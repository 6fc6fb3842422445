"""Raw N-D convolution kernels over the trailing ``nd`` axes.

Every function convolves (true convolution, no flip of the result) ``a`` with
``b`` along their last ``nd`` axes; the leading axes broadcast against each other
(both arrays have the same ndim). Arguments arrive validated; no checks here.

``valid``: requires ``a.shape[-nd:] >= b.shape[-nd:]`` elementwise; output length
``na − nb + 1`` with ``out[j] = Σ_i b[i] a[j + nb − 1 − i]``.
``full``: output length ``na + nb − 1``.
"""
from __future__ import annotations

import itertools
from math import log2, prod

import numpy as np
import scipy.fft as sfft
import scipy.signal as ss

#: FFT worker threads (scipy.fft ``workers=``); -1 means every core.
WORKERS = -1


def _lead(a: np.ndarray, b: np.ndarray, nd: int) -> tuple[int, ...]:
    return np.broadcast_shapes(a.shape[:a.ndim - nd], b.shape[:b.ndim - nd])


def _dtype(a: np.ndarray, b: np.ndarray) -> np.dtype:
    return np.result_type(a.dtype, b.dtype)


# -- direct -------------------------------------------------------------------------------
def valid_direct(a: np.ndarray, b: np.ndarray, nd: int) -> np.ndarray:
    na, nb = a.shape[a.ndim - nd:], b.shape[b.ndim - nd:]
    nout = tuple(p - q + 1 for p, q in zip(na, nb))
    lead = _lead(a, b, nd)
    dt = _dtype(a, b)
    if nd == 1 and not lead and a.ndim == 1 and dt.kind in "fc":
        return np.convolve(a, b, mode="valid")
    if prod(lead) == 1 and dt.kind in "fc" and nd >= 1:
        out = ss.convolve(a.reshape(na), b.reshape(nb), mode="valid", method="direct")
        return out.reshape(lead + nout)
    out = np.zeros(lead + nout, dtype=dt)
    ntaps, nouts = prod(nb), prod(nout)
    if ntaps <= nouts:
        # shift and add: one scaled slice of ``a`` per kernel tap
        for tap in itertools.product(*(range(q) for q in nb)):
            coef = b[(Ellipsis,) + tap][(Ellipsis,) + (None,) * nd]
            sl = tuple(slice(q - 1 - t, q - 1 - t + m) for q, t, m in zip(nb, tap, nout))
            out += coef * a[(Ellipsis,) + sl]
    else:
        # few outputs (a kernel gradient): one reduction per output position
        bflip = b[(Ellipsis,) + (slice(None, None, -1),) * nd]
        axes = tuple(range(-nd, 0))
        for pos in itertools.product(*(range(m) for m in nout)):
            sl = tuple(slice(p, p + q) for p, q in zip(pos, nb))
            out[(Ellipsis,) + pos] = (bflip * a[(Ellipsis,) + sl]).sum(axis=axes)
    return out


def full_direct(a: np.ndarray, b: np.ndarray, nd: int) -> np.ndarray:
    nb = b.shape[b.ndim - nd:]
    width = [(0, 0)] * (a.ndim - nd) + [(q - 1, q - 1) for q in nb]
    return valid_direct(np.pad(a, width), b, nd)


# -- FFT ----------------------------------------------------------------------------------
def _fft_conv(a: np.ndarray, b: np.ndarray, nd: int, fshape: tuple[int, ...]) -> np.ndarray:
    axes = tuple(range(-nd, 0))
    if a.dtype.kind == "c" or b.dtype.kind == "c":
        fa = sfft.fftn(a, fshape, axes=axes, workers=WORKERS)
        fb = sfft.fftn(b, fshape, axes=axes, workers=WORKERS)
        return sfft.ifftn(fa * fb, fshape, axes=axes, workers=WORKERS)
    fa = sfft.rfftn(a, fshape, axes=axes, workers=WORKERS)
    fb = sfft.rfftn(b, fshape, axes=axes, workers=WORKERS)
    return sfft.irfftn(fa * fb, fshape, axes=axes, workers=WORKERS)


def valid_fft(a: np.ndarray, b: np.ndarray, nd: int) -> np.ndarray:
    # circular convolution of length >= na leaves the valid part uncorrupted
    na, nb = a.shape[a.ndim - nd:], b.shape[b.ndim - nd:]
    real = a.dtype.kind != "c" and b.dtype.kind != "c"
    fshape = tuple(sfft.next_fast_len(n, real=real) for n in na)
    out = _fft_conv(a, b, nd, fshape)
    sl = tuple(slice(q - 1, p) for p, q in zip(na, nb))
    return np.ascontiguousarray(out[(Ellipsis,) + sl]).astype(_dtype(a, b), copy=False)


def full_fft(a: np.ndarray, b: np.ndarray, nd: int) -> np.ndarray:
    na, nb = a.shape[a.ndim - nd:], b.shape[b.ndim - nd:]
    real = a.dtype.kind != "c" and b.dtype.kind != "c"
    nfull = tuple(p + q - 1 for p, q in zip(na, nb))
    fshape = tuple(sfft.next_fast_len(n, real=real) for n in nfull)
    out = _fft_conv(a, b, nd, fshape)
    sl = tuple(slice(0, n) for n in nfull)
    return np.ascontiguousarray(out[(Ellipsis,) + sl]).astype(_dtype(a, b), copy=False)


# -- choice -------------------------------------------------------------------------------
#: relative cost of one FFT butterfly element vs one direct multiply-add
FFT_COST = 6.0


def choose(na: tuple[int, ...], nb: tuple[int, ...], nout: tuple[int, ...],
           batch: int, fshape_sum: bool = True) -> str:
    """``'direct'`` or ``'fft'`` by a flop-count model (refined by the fast-paths issue)."""
    direct = batch * prod(nout) * min(prod(nb), max(prod(nout), 1))
    if prod(nb) > prod(nout):
        direct = batch * prod(nout) * prod(nb)
    n = prod(p + q - 1 for p, q in zip(na, nb))
    fft = 3 * batch * FFT_COST * n * max(log2(max(n, 2)), 1.0) / 2
    return "direct" if direct <= fft else "fft"


def valid(a: np.ndarray, b: np.ndarray, nd: int, method: str) -> np.ndarray:
    if method == "auto":
        na, nb = a.shape[a.ndim - nd:], b.shape[b.ndim - nd:]
        nout = tuple(p - q + 1 for p, q in zip(na, nb))
        method = choose(na, nb, nout, prod(_lead(a, b, nd)))
    return valid_fft(a, b, nd) if method == "fft" else valid_direct(a, b, nd)


def full(a: np.ndarray, b: np.ndarray, nd: int, method: str) -> np.ndarray:
    if method == "auto":
        na, nb = a.shape[a.ndim - nd:], b.shape[b.ndim - nd:]
        nout = tuple(p + q - 1 for p, q in zip(na, nb))
        method = choose(na, nb, nout, prod(_lead(a, b, nd)))
    return full_fft(a, b, nd) if method == "fft" else full_direct(a, b, nd)
