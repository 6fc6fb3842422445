"""Raw N-D convolution kernels over the trailing ``nd`` axes.

Every function convolves (true convolution, no flip of the result) ``a`` with
``b`` along their last ``nd`` axes; the leading axes broadcast against each other
(both arrays have the same ndim). Arguments arrive validated; no checks here.

``valid``: requires ``a.shape[-nd:] >= b.shape[-nd:]`` elementwise; output length
``na − nb + 1`` with ``out[j] = Σ_i b[i] a[j + nb − 1 − i]``.
``full``: output length ``na + nb − 1``.
``conv(a, b, nd, method, exts)``: ``valid(E a, b)`` with E the boundary extension
``exts`` (see :mod:`convop._core.extension`), computed without materialising ``E a``
where possible (zero padding inside the FFT, periodic boundaries of the FFT methods
as circular convolutions (:mod:`convop._engines.periodic`), border-only recomputation for the
1-D direct method); otherwise by one copy (:func:`convop._core.extension.fast_pad`).

Methods: ``direct`` (sliding dot products: :func:`numpy.convolve` in 1-D,
shift-and-add in N-D, torch's native convolution where it was measured faster, see
:mod:`convop._engines.torch_direct`), ``gemm`` (im2col windows + one matrix product; in 1-D
block-Toeplitz matrix products, :mod:`convop._engines.blocked`), ``fft``
(real FFTs, :mod:`convop._engines.fft`), ``overlap-add`` (blocked FFT). ``auto``
asks the cost model of :mod:`convop._planning.choose`.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from math import prod

import numpy as np

from convop._core.extension import AxisExtension, edge_samples, fast_pad
from convop._core.validate import NUMPY_PAD_MODE
from convop._engines import torch_direct as _torch_direct
from convop._engines.blocked import valid_blocked
from convop._engines.blocked_nd import valid_blocked_nd
from convop._engines.fft import (
    _crop,
    _fft_padded,
    full_oa,
)
from convop._engines.periodic import conv_periodic
from convop._engines.torch_direct import torch_valid
from convop._planning import choose as _choose
from convop._planning.choose import plan

#: methods a backend accepts (``auto`` resolved by the caller or here)
METHODS = ("auto", "direct", "gemm", "fft", "overlap-add")
#: im2col chunk budget in bytes
GEMM_CHUNK = 1 << 25


def _lead(a: np.ndarray, b: np.ndarray, nd: int) -> tuple[int, ...]:
    return np.broadcast_shapes(a.shape[: a.ndim - nd], b.shape[: b.ndim - nd])


def _dtype(a: np.ndarray, b: np.ndarray) -> np.dtype:
    return np.result_type(a.dtype, b.dtype)


def _flip(b: np.ndarray, nd: int) -> np.ndarray:
    return b[(Ellipsis,) + (slice(None, None, -1),) * nd]


# -- extensions ---------------------------------------------------------------------------
def _widths(e: AxisExtension) -> tuple[int, int]:
    left = e.left - e.start
    return left, e.size - e.n - left


def zero_pads(
    exts: Sequence[AxisExtension] | None, n: Sequence[int]
) -> tuple[tuple[int, int], ...] | None:
    """``(left, right)`` zero padding per axis when ``exts`` is plain zero padding."""
    if exts is None:
        return tuple((0, 0) for _ in n)
    out = []
    for e in exts:
        left, right = _widths(e)
        if left < 0 or right < 0 or (e.boundary != "zero" and (left or right)):
            return None
        out.append((left, right))
    return tuple(out)


def pad(a: np.ndarray, exts: Sequence[AxisExtension] | None) -> np.ndarray:
    """``E a`` along the trailing ``len(exts)`` axes, by one :func:`numpy.pad` per mode."""
    if exts is None:
        return a
    d = len(exts)
    widths = [(0, 0)] * (a.ndim - d)
    modes = set()
    for e in exts:
        left = e.left - e.start
        right = e.size - e.n - left
        if left < 0 or right < 0:
            from convop._core.extension import extend

            return extend(a, tuple(exts))
        widths.append((left, right))
        if left or right:
            modes.add(e.boundary)
    if not modes:
        return a
    if len(modes) == 1:
        return fast_pad(a, d, widths[a.ndim - d :], modes.pop())
    out = a
    for k, e in enumerate(exts):
        w = [(0, 0)] * a.ndim
        w[a.ndim - d + k] = widths[a.ndim - d + k]
        out = np.pad(out, w, mode=NUMPY_PAD_MODE[e.boundary])
    return out


# -- direct -------------------------------------------------------------------------------
def _shift_add(a: np.ndarray, b: np.ndarray, nd: int, nout: tuple[int, ...]) -> np.ndarray:
    nb = b.shape[b.ndim - nd :]
    lead = _lead(a, b, nd)
    out = np.empty(lead + nout, dtype=_dtype(a, b))
    scalar = b.ndim == nd or prod(b.shape[: b.ndim - nd]) == 1
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
    # few outputs (a kernel gradient): one reduction per output position
    nb = b.shape[b.ndim - nd :]
    out = np.zeros(_lead(a, b, nd) + nout, dtype=_dtype(a, b))
    bflip = _flip(b, nd)
    axes = tuple(range(-nd, 0))
    for pos in itertools.product(*(range(m) for m in nout)):
        sl = tuple(slice(p, p + q) for p, q in zip(pos, nb))
        out[(Ellipsis,) + pos] = (bflip * a[(Ellipsis,) + sl]).sum(axis=axes)
    return out


def valid_direct(a: np.ndarray, b: np.ndarray, nd: int) -> np.ndarray:
    """Sliding dot products, no patch matrix."""
    na, nb = a.shape[a.ndim - nd :], b.shape[b.ndim - nd :]
    nout = tuple(p - q + 1 for p, q in zip(na, nb))
    if nd == 1 and nb[0] >= _torch_direct.MIN_TAPS_1D:
        torch_out = torch_valid(a, b, nd)
        if torch_out is not None:
            return torch_out
    if nd == 1 and b.ndim == 1 or (nd == 1 and prod(b.shape[:-1]) == 1):
        bv = b.reshape(-1)
        sa = _choose.shift_add_1d(nout[0], nb[0], _dtype(a, b))
        if a.ndim == 1 and not sa:
            return np.convolve(a, bv, mode="valid")
        rows = prod(a.shape[:-1])
        if not sa and (rows <= 16 or nb[0] > 64):
            flat = a.reshape(rows, -1)
            out = np.empty((rows, nout[0]), dtype=_dtype(a, b))
            for i in range(rows):
                out[i] = np.convolve(flat[i], bv, mode="valid")
            return out.reshape(_lead(a, b, nd) + nout)
    if nd > 1:
        torch_out = torch_valid(a, b, nd)
        if torch_out is not None:
            return torch_out
    if prod(nb) > prod(nout):
        return _reduce_outputs(a, b, nd, nout)
    return _shift_add(a, b, nd, nout)


def full_direct(a: np.ndarray, b: np.ndarray, nd: int) -> np.ndarray:
    """Full convolution by :func:`numpy.convolve` (1-D) or a padded valid convolution."""
    nb = b.shape[b.ndim - nd :]
    if nd == 1 and a.ndim == 1:
        return np.convolve(a, b, mode="full")
    return valid_direct(fast_pad(a, nd, [(q - 1, q - 1) for q in nb], "zero"), b, nd)


def _direct_padded(
    a: np.ndarray, b: np.ndarray, nd: int, pads: tuple[tuple[int, int], ...]
) -> np.ndarray:
    """valid(zero-pad(a), b); 1-D through ``numpy.convolve(mode='full')`` and a crop."""
    na, nb = a.shape[a.ndim - nd :], b.shape[b.ndim - nd :]
    if nd > 1 or nb[0] >= _torch_direct.MIN_TAPS_1D:
        out = torch_valid(a, b, nd, pads)  # torch pads itself
        if out is not None:
            return out
    if nd == 1 and a.ndim == 1 and b.ndim == 1:
        (l, r), k = pads[0], nb[0]
        n = na[0] + l + r - k + 1
        if l <= k - 1 and r <= k - 1 and not _choose.shift_add_1d(n, k, _dtype(a, b)):
            full_out = np.convolve(a, b, mode="full")
            start = k - 1 - l
            return full_out[start : start + n]
    return valid_direct(fast_pad(a, nd, pads, "zero"), b, nd)


#: signals up to this length are extended by one copy in the 1-D border paths (longer
#: ones get numpy's zero-boundary result with only the border samples recomputed)
SMALL_1D_COPY = 1 << 13


def _direct_1d_border(
    a: np.ndarray, b: np.ndarray, pads: tuple[int, int], boundary: str
) -> np.ndarray | None:
    """1-D ``valid(E a, b)`` as the zero-boundary result with only its border samples
    (windows reading extended samples) recomputed: no copy of ``a``."""
    (left, right), k, n = pads, b.shape[0], a.shape[0]
    edges = edge_samples(a, 0, left, right, boundary)
    if edges is None or n < k or left > k - 1 or right > k - 1:
        return None
    if _choose.shift_add_1d(n + left + right - k + 1, k, _dtype(a, b)):
        return None  # the extended copy and shift-and-add (conv_zero's path)
    if n <= SMALL_1D_COPY:
        # short signals: one extended copy and one call beat three calls (measured
        # 4.7 vs 8.9 µs at n = 1000, k = 3, 21 vs 33 µs at n = 1e4, k = 8)
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


# -- gemm (im2col) ------------------------------------------------------------------------
def valid_gemm(a: np.ndarray, b: np.ndarray, nd: int) -> np.ndarray:
    """Windows of ``a`` (im2col, in chunks) times the flipped kernel, one matmul per chunk;
    1-D as block-Toeplitz matrix products (:mod:`convop._engines.blocked`)."""
    if nd == 1:
        return valid_blocked(a, b)
    if _lead_b(b, nd) == 1:
        return valid_blocked_nd(a, b, nd)
    na, nb = a.shape[a.ndim - nd :], b.shape[b.ndim - nd :]
    nout = tuple(p - q + 1 for p, q in zip(na, nb))
    lead = _lead(a, b, nd)
    dt = _dtype(a, b)
    taps = prod(nb)
    a = np.broadcast_to(a, lead + na) if a.shape[: a.ndim - nd] != lead else a
    bflip = np.broadcast_to(_flip(b, nd), lead + nb).reshape(-1, taps)
    batched_b = prod(b.shape[: b.ndim - nd]) > 1
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


def _lead_b(b: np.ndarray, nd: int) -> int:
    return prod(b.shape[: b.ndim - nd])


# -- dispatch -----------------------------------------------------------------------------
def _resolve(method: str, a: np.ndarray, b: np.ndarray, nd: int, na: tuple[int, ...]) -> str:
    if method != "auto":
        return method
    batch = max(a.size // prod(a.shape[a.ndim - nd :]), b.size // prod(b.shape[b.ndim - nd :]))
    return plan(na, b.shape[b.ndim - nd :], batch, a.dtype)


def conv_zero(
    a: np.ndarray, b: np.ndarray, nd: int, method: str, pads: tuple[tuple[int, int], ...]
) -> np.ndarray:
    """``valid(zero-pad(a, pads), b)``: the fast path of zero boundaries."""
    if method == "auto":
        na = tuple(p + l + r for p, (l, r) in zip(a.shape[a.ndim - nd :], pads))
        method = _resolve(method, a, b, nd, na)
    if method == "fft":
        return _fft_padded(a, b, nd, pads)
    if method == "direct":
        return _direct_padded(a, b, nd, pads)
    if method == "gemm":
        if nd == 1:
            return valid_blocked(a, b, pads[0])
        if _lead_b(b, nd) == 1:
            return valid_blocked_nd(a, b, nd, pads)
        return valid_gemm(fast_pad(a, nd, pads, "zero"), b, nd)
    return _oa_padded(a, b, nd, pads)


def _oa_padded(
    a: np.ndarray, b: np.ndarray, nd: int, pads: tuple[tuple[int, int], ...]
) -> np.ndarray:
    nb = b.shape[b.ndim - nd :]
    if any(l > q - 1 or r > q - 1 for (l, r), q in zip(pads, nb)):
        a = fast_pad(a, nd, pads, "zero")
        pads = ((0, 0),) * nd
    out = full_oa(a, b, nd)
    na = a.shape[a.ndim - nd :]
    starts = [q - 1 - l for (l, _), q in zip(pads, nb)]
    sizes = [p + l + r - q + 1 for p, q, (l, r) in zip(na, nb, pads)]
    return _crop(out, starts, sizes, out.dtype)


def conv_boundary(
    a: np.ndarray,
    b: np.ndarray,
    nd: int,
    method: str,
    pads: tuple[tuple[int, int], ...],
    boundary: str,
) -> np.ndarray:
    """``valid(E a, b)`` with E the extension by ``pads`` samples in ``boundary`` mode."""
    if boundary == "zero" or not any(l or r for l, r in pads):
        return conv_zero(a, b, nd, method, pads)
    if method == "auto":
        na = tuple(p + l + r for p, (l, r) in zip(a.shape[a.ndim - nd :], pads))
        method = _resolve(method, a, b, nd, na)
    if method == "direct" and (nd > 1 or b.shape[-1] >= _torch_direct.MIN_TAPS_1D):
        out = torch_valid(a, b, nd, pads, boundary)
        if out is not None:
            return out
    if method == "gemm" and (nd == 1 or _lead_b(b, nd) == 1):
        res = (
            valid_blocked(a, b, pads[0], boundary)
            if nd == 1
            else valid_blocked_nd(a, b, nd, pads, boundary)
        )
        if res is not None:
            return res
    if boundary == "periodic" and method in ("fft", "overlap-add"):
        # circular convolution: one FFT of the period, or the zero-boundary result
        # aliased. The direct method pays less for one extended copy: 256², 3×3 float64
        # 'same' 794 -> 558 µs (its zero-padded full result plus a gather was two copies)
        return conv_periodic(a, b, nd, method, pads, conv_zero)
    if method == "direct" and a.ndim == 1 and b.ndim == 1:
        res = _direct_1d_border(a, b, pads[0], boundary)
        if res is not None:
            return res
    return conv_zero(fast_pad(a, nd, pads, boundary), b, nd, method, ((0, 0),) * nd)


def conv(
    a: np.ndarray, b: np.ndarray, nd: int, method: str, exts: Sequence[AxisExtension] | None = None
) -> np.ndarray:
    """``valid(E a, b)`` with E the extension ``exts`` (None: no extension)."""
    na = a.shape[a.ndim - nd :]
    pads = zero_pads(exts, na)
    if pads is not None:
        return conv_zero(a, b, nd, method, pads)
    widths = [_widths(e) for e in exts]
    kinds = {e.boundary for e, w in zip(exts, widths) if any(w)}
    if len(kinds) == 1 and all(l >= 0 and r >= 0 for l, r in widths):
        return conv_boundary(a, b, nd, method, tuple(widths), kinds.pop())
    method = _resolve(method, a, b, nd, tuple(e.size for e in exts))
    return conv_zero(pad(a, exts), b, nd, method, ((0, 0),) * nd)


def valid(a: np.ndarray, b: np.ndarray, nd: int, method: str) -> np.ndarray:
    """``valid`` convolution over the trailing ``nd`` axes."""
    return conv(a, b, nd, method)


def full(a: np.ndarray, b: np.ndarray, nd: int, method: str) -> np.ndarray:
    """``full`` convolution over the trailing ``nd`` axes."""
    nb = b.shape[b.ndim - nd :]
    na = a.shape[a.ndim - nd :]
    exts = tuple(AxisExtension(p, q - 1, q - 1, "zero") for p, q in zip(na, nb))
    return conv(a, b, nd, method, exts)


def choose(
    na: tuple[int, ...],
    nb: tuple[int, ...],
    nout: tuple[int, ...],
    batch: int,
    fshape_sum: bool = True,
) -> str:
    """Backward-compatible name: the method :mod:`convop._planning.choose` picks for this shape."""
    return plan(na, nb, batch, np.dtype(np.float64))
