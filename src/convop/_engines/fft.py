"""FFT backends over the trailing ``nd`` axes: real FFTs (``scipy.fft``, complex
only for complex data) and overlap-add (blocked FFT for long inputs).

Zero padding never copies the input: it is the FFT length, chosen as the smallest
fast length that keeps the samples kept free of circular wrap-around.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from functools import lru_cache
from math import log2, prod

import numpy as np
import scipy.fft as sfft

from convop._core import threads as _threads
from convop._core.arrays import as_torchable, kernel_count, result_dtype
from convop._core.config import current
from convop._core.extension import fast_pad
from convop._core.optional import torch_enabled

#: extra cost per radix-3/5/7/11 pass relative to a radix-2/4 one (per log2 of the
#: length), and how far past the shortest 5-smooth length to look: ``next_fast_len``
#: takes the shortest fast length, not the cheapest to transform; fitted on 1-D real
#: transforms of 600-500 000 samples (benchmarks/results/NOTES.md)
ODD_RADIX_COST = 0.3
FFT_LENGTH_SLACK = 1.12


#: 5-smooth lengths up to this bound are tabulated; longer transforms take scipy's choice
SMOOTH_MAX = 1 << 34


@lru_cache(maxsize=1)
def _smooth_table() -> tuple[list[int], list[float]]:
    """All 5-smooth numbers up to ``SMOOTH_MAX`` (about 2 300), sorted, with their
    costs: built once, so a cold :func:`fft_length` is two bisections."""
    lengths = []
    p5 = 1
    while p5 <= SMOOTH_MAX:
        p35 = p5
        while p35 <= SMOOTH_MAX:
            length = p35
            while length <= SMOOTH_MAX:
                lengths.append(length)
                length *= 2
            p35 *= 3
        p5 *= 5
    lengths.sort()
    return lengths, [_length_cost(n) for n in lengths]


@lru_cache(maxsize=4096)
def fft_length(n: int, real: bool = True) -> int:
    """A fast transform length of at least ``n``: the cheapest by ``L·(log2 L + 0.3 ·
    log2 of L's odd factors)`` among the 5-smooth lengths up to 12% past the shortest
    (and scipy's own choice, 11-smooth for complex transforms)."""
    shortest = sfft.next_fast_len(n, real=real)
    if n <= 64 or n > SMOOTH_MAX:
        return shortest
    lengths, costs = _smooth_table()
    lo = bisect_left(lengths, n)  # lengths[lo]: the shortest 5-smooth
    hi = bisect_right(lengths, int(min(shortest, lengths[lo]) * FFT_LENGTH_SLACK))
    best = shortest
    best_cost = costs[lo] if lengths[lo] == shortest else _length_cost(shortest)
    for i in range(lo, hi):
        if costs[i] < best_cost:
            best, best_cost = lengths[i], costs[i]
    return best


def _length_cost(length: int) -> float:
    odd, rest = 0.0, length
    for radix in (3, 5, 7, 11):
        while rest % radix == 0:
            rest //= radix
            odd += log2(radix)
    return length * (log2(length) + ODD_RADIX_COST * odd)


#: transforms smaller than this many samples run on one thread (threads cost more)
PARALLEL_MIN = 1 << 17


def workers(size: int) -> int:
    """scipy.fft ``workers=`` for a transform of ``size`` samples in total: the
    ``workers`` option (every core by default) for large ones, one for small ones and
    while a core is busy elsewhere (``_threads.contended``)."""
    if size < PARALLEL_MIN or _threads.contended():
        return 1
    return current().fft_workers()


# -- FFT ----------------------------------------------------------------------------------
def _is_complex(*arrs: np.ndarray) -> bool:
    return any(x.dtype.kind == "c" for x in arrs)


#: multi-axis transforms at least this large use torch.fft when the caller has
#: imported torch: below it torch's per-call overhead outweighs its faster transforms
#: (crossing near 192², benchmarks/results/NOTES.md); 1-D transforms stay on scipy.fft
TORCH_FFT_MIN = 1 << 15


def _torch_product(
    a: np.ndarray, b: np.ndarray, axes: tuple[int, ...], sizes: tuple[int, ...]
) -> np.ndarray:
    import torch

    ta, tb = torch.from_numpy(as_torchable(a)), torch.from_numpy(as_torchable(b))
    fa = torch.fft.rfftn(ta, s=sizes, dim=axes)
    fa = fa * torch.fft.rfftn(tb, s=sizes, dim=axes)
    return torch.fft.irfftn(fa, s=sizes, dim=axes).numpy()


def _scipy_product(
    a: np.ndarray, b: np.ndarray, axes: tuple[int, ...], sizes: tuple[int, ...], nworkers: int
) -> np.ndarray:
    if _is_complex(a, b):
        fa = sfft.fftn(a, sizes, axes=axes, workers=nworkers)
        fb = sfft.fftn(b, sizes, axes=axes, workers=nworkers)
        fa = fa * fb if fa.shape != np.broadcast_shapes(fa.shape, fb.shape) else _imul(fa, fb)
        return sfft.ifftn(fa, sizes, axes=axes, workers=nworkers, overwrite_x=True)
    fa = sfft.rfftn(a, sizes, axes=axes, workers=nworkers)
    fb = sfft.rfftn(b, sizes, axes=axes, workers=nworkers)
    fa = fa * fb if fa.shape != np.broadcast_shapes(fa.shape, fb.shape) else _imul(fa, fb)
    return sfft.irfftn(fa, sizes, axes=axes, workers=nworkers, overwrite_x=True)


def spectral_product(
    a: np.ndarray, b: np.ndarray, nd: int, fshape: tuple[int | None, ...]
) -> np.ndarray:
    """The circular convolution of ``a`` and ``b`` over the trailing ``nd`` axes with
    transform lengths ``fshape``. An entry ``None`` leaves that axis untransformed:
    where one input has length 1 along it the convolution there is a broadcast product
    (a 31×1 kernel on an image needs 1-D transforms along one axis, as scipy does).

    With torch imported, large multi-axis real transforms run on torch.fft, and large
    transforms run on several scipy.fft workers, but only while that is faster than
    scipy.fft on one thread in this process: the first calls of each shape run on one
    thread to give that reference, and a multi-threaded call slower than it (a
    two-thread FFT stalls when a core is busy elsewhere) sends the shape back to one
    thread for a hold, as does a hold of any other route
    (:func:`convop._core.threads.on_threads`).
    """
    axes = tuple(i - nd for i, f in enumerate(fshape) if f is not None)
    sizes = tuple(f for f in fshape if f is not None)
    if not axes:
        return a * b
    total = prod(sizes)
    lines = max(a.size // max(prod(a.shape[a.ndim - nd :]), 1), 1) * prod(
        a.shape[a.ndim - nd + i] for i, f in enumerate(fshape) if f is None
    )
    if (
        len(axes) >= 2
        and total >= TORCH_FFT_MIN
        and a.dtype == b.dtype
        and a.dtype.char in "fd"
        and torch_enabled()
    ):
        return _threads.on_threads(
            ("torch_fft", sizes, a.dtype.char, lines),
            float(total * lines),
            lambda: _torch_product(a, b, axes, sizes),
            lambda: _scipy_product(a, b, axes, sizes, 1),
        )
    nworkers = workers(total * lines)
    if nworkers == 1:
        return _scipy_product(a, b, axes, sizes, 1)
    return _threads.on_threads(
        ("fft_workers", sizes, a.dtype.char, b.dtype.char, lines),
        float(total * lines),
        lambda: _scipy_product(a, b, axes, sizes, nworkers),
        lambda: _scipy_product(a, b, axes, sizes, 1),
    )


def _imul(fa: np.ndarray, fb: np.ndarray) -> np.ndarray:
    np.multiply(fa, fb, out=fa)
    return fa


def crop(out: np.ndarray, starts: Sequence[int], sizes: Sequence[int], dt: np.dtype) -> np.ndarray:
    """The kept part of a circular convolution: a view when it is at least half of the
    transform (as :func:`scipy.signal.fftconvolve` returns), a copy otherwise, so that
    a small result never pins a large buffer. A view saves copying a large crop, a
    sizeable part of a large 2-D FFT convolution."""
    sl = (Ellipsis,) + tuple(slice(s, s + n) for s, n in zip(starts, sizes))
    res = out[sl]
    if res.dtype != dt:
        return res.astype(dt)
    return res if 2 * res.size >= out.size else np.ascontiguousarray(res)


def fft_padded(
    a: np.ndarray, b: np.ndarray, nd: int, pads: tuple[tuple[int, int], ...]
) -> np.ndarray:
    """valid(zero-pad(a), b): a crop of the full convolution, zero padding done by the
    FFT length (no padded copy of ``a``); the length is the smallest that keeps the
    cropped samples free of circular wrap-around."""
    na, nb = a.shape[a.ndim - nd :], b.shape[b.ndim - nd :]
    real = not _is_complex(a, b)
    starts, sizes, fshape = [], [], []
    fshape: list[int | None] = []
    for p, q, (l, r) in zip(na, nb, pads):
        s, n = q - 1 - l, p + l + r - q + 1
        need = max(p + q - 1 - s, s + n) if s >= 0 else p + q - 1
        # one input of length 1: the linear convolution along this axis is the
        # broadcast product (p + q − 1 samples), no transform needed
        flat = min(p, q) == 1 and s >= 0 and s + n <= p + q - 1
        fshape.append(None if flat else fft_length(need, real))
        starts.append(s)
        sizes.append(n)
    if any(s < 0 for s in starts):  # padding wider than k − 1: pad explicitly
        return valid_fft(fast_pad(a, nd, pads, "zero"), b, nd)
    out = spectral_product(a, b, nd, tuple(fshape))
    return crop(out, starts, sizes, result_dtype(a, b))


def valid_fft(a: np.ndarray, b: np.ndarray, nd: int) -> np.ndarray:
    """Circular convolution of length >= na leaves the valid part uncorrupted."""
    return fft_padded(a, b, nd, ((0, 0),) * nd)


def full_fft(a: np.ndarray, b: np.ndarray, nd: int) -> np.ndarray:
    nb = b.shape[b.ndim - nd :]
    return fft_padded(a, b, nd, tuple((q - 1, q - 1) for q in nb))


# -- overlap-add --------------------------------------------------------------------------
@lru_cache(maxsize=256)
def oa_blocks(n: int, k: int) -> tuple[int, int]:
    """``(block length, number of blocks)`` of an overlap-add axis of ``n`` samples and a
    ``k``-tap kernel, ``(0, 1)`` when blocking does not pay: the block length among
    fast lengths from ``2k`` (doubling) that minimises ``blocks · L (log2 L + 1)``."""
    if k < 2 or n <= 4 * k:
        return 0, 1
    best, best_cost, nbest = 0, float("inf"), 1
    size = fft_length(2 * k, True)
    full = fft_length(n + k - 1, True)
    for _ in range(12):
        if size >= full:
            break
        nblk = -(-n // (size - k + 1))
        cost = nblk * size * (log2(size) + 1.0)
        if cost < best_cost:
            best, best_cost, nbest = size, cost, nblk
        size *= 2  # a fast length times 2 is one too
    return (best, nbest) if best else (0, 1)


def oa_block(n: int, k: int, real: bool = True) -> int:
    """FFT block length of an overlap-add axis (0: no blocking), see :func:`oa_blocks`."""
    return oa_blocks(n, k)[0]


def full_oa(a: np.ndarray, b: np.ndarray, nd: int) -> np.ndarray:
    """Full convolution by overlap-add along the axes where blocking pays."""
    na, nb = a.shape[a.ndim - nd :], b.shape[b.ndim - nd :]
    real = not _is_complex(a, b)
    blocks = [oa_block(p, q, real) for p, q in zip(na, nb)]
    if not any(blocks) or kernel_count(b, nd) > 1:
        return full_fft(a, b, nd)
    lead = a.shape[: a.ndim - nd]
    nl = len(lead)
    # reshape every blocked axis of ``a`` into (nblocks, step), zero-padded
    shape, fshape, widths = list(lead), [], [(0, 0)] * nl
    steps = []
    for p, q, blk in zip(na, nb, blocks):
        if blk:
            step = blk - q + 1
            nblk = -(-p // step)
            widths.append((0, nblk * step - p))
            shape += [nblk, step]
            fshape.append(blk)
            steps.append((nblk, step))
        else:
            widths.append((0, 0))
            shape.append(p)
            fshape.append(fft_length(p + q - 1, real))
            steps.append(None)
    if any(w for _, w in widths):
        a = np.pad(a, widths)
    a = a.reshape(shape)
    # FFT axes: the step axes (blocked) or the whole axis
    axes, pos = [], nl
    for st in steps:
        pos += 2 if st else 1
        axes.append(pos - 1)
    ax = tuple(x - len(shape) for x in axes)
    bshape = [1] * len(shape)
    for x, q in zip(axes, nb):
        bshape[x] = q
    bb = b.reshape(bshape)
    nworkers = workers(a.size)

    def blocks(nw: int) -> np.ndarray:
        if real:
            fa = sfft.rfftn(a, fshape, axes=ax, workers=nw)
            fa *= sfft.rfftn(bb, fshape, axes=ax, workers=nw)
            return sfft.irfftn(fa, fshape, axes=ax, workers=nw, overwrite_x=True)
        fa = sfft.fftn(a, fshape, axes=ax, workers=nw)
        fa *= sfft.fftn(bb, fshape, axes=ax, workers=nw)
        return sfft.ifftn(fa, fshape, axes=ax, workers=nw, overwrite_x=True)

    if nworkers == 1:
        y = blocks(1)
    else:  # several workers only while they beat one (a core may be busy elsewhere)
        key = ("oa_workers", a.shape, tuple(fshape), ax, a.dtype.char, real)
        y = _threads.on_threads(key, 1.0, lambda: blocks(nworkers), lambda: blocks(1))
    # overlap-add, last axis first so earlier axis positions stay valid
    starts, pos = [], nl
    for st in steps:
        starts.append(pos)
        pos += 2 if st else 1
    for st, p, q, x in reversed(list(zip(steps, na, nb, starts))):
        if st:
            y = _fold(y, x, st[1], q)
        y = y[(slice(None),) * x + (slice(0, p + q - 1),)]
    return np.ascontiguousarray(y).astype(result_dtype(a, b), copy=False)


def _fold(y: np.ndarray, axis: int, step: int, k: int) -> np.ndarray:
    """Overlap-add blocks (axis ``axis``) of samples (axis ``axis + 1``), each block
    ``step + k − 1`` long with ``k − 1 <= step``, into one axis at ``axis``."""
    y = np.moveaxis(y, (axis, axis + 1), (0, 1))
    nblk, rest = y.shape[0], y.shape[2:]
    out = np.zeros(((nblk + 1) * step,) + rest, dtype=y.dtype)
    out[: nblk * step].reshape((nblk, step) + rest)[...] = y[:, :step]
    if k > 1:
        seg = out[step:].reshape((nblk, step) + rest)
        seg[:, : k - 1] += y[:, step:]
    return np.moveaxis(out[: nblk * step + k - 1], 0, axis)
