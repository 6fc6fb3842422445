"""1-D convolution as a matrix product: the block-Toeplitz form of the ``gemm`` method.

Cut the (extended) signal ``x`` into blocks of ``B`` samples. Output block ``j`` of
``valid(x, k)`` reads the ``B + K − 1`` samples from ``jB`` on, through one fixed
``(B + K − 1) × B`` Toeplitz matrix of the kernel:

    out[jB + r] = Σ_m W[j, m] · T[m, r],   W[j, m] = x[jB + m],   T[m, r] = k[K − 1 − m + r]

(``T[m, r]`` is zero unless ``0 ≤ m − r < K``). That is one GEMM of ``N/B`` rows: about
``2N(B + K − 1)`` flops against ``2NK`` for sliding dot products, but at matrix-product
speed, which for kernels of tens of taps more than makes up for the extra flops
(benchmarks/results/NOTES.md). ``W`` is copied block by block (``1 + (K − 1)/B`` times the
signal, a few MiB at a time) because its rows overlap, which BLAS cannot read.
"""

from __future__ import annotations

import sys
import threading
import time
from math import prod

import numpy as np

from convop._core import threads as _threads
from convop._core.extension import edge_samples

__all__ = ["block_length", "kernel_matrix", "valid_blocked"]

#: bytes of the copied signal windows per matrix product
CHUNK = 1 << 21


def block_length(n_out: int, k: int) -> int:
    """Output samples per block: short signals favour small blocks (fewer wasted
    flops); long ones blocks near the kernel length (the best of B in 8..96)."""
    if n_out < 4096:
        return 16
    return min(96, max(16, -(-k // 8) * 8))


def kernel_matrix(kernel: np.ndarray, block: int, dtype: np.dtype) -> np.ndarray:
    """The ``(block + K − 1) × block`` Toeplitz matrix ``T[m, r] = kernel[K − 1 − m + r]``
    (``kernel``: 1-D, or ``(rows, K)`` for one matrix per row)."""
    k = kernel.shape[-1]
    rows = kernel.shape[:-1]
    # T[m, r] = z[block − 1 + m − r] with z the flipped kernel between block − 1 zeros
    z = np.zeros(rows + (2 * (block - 1) + k,), dtype)
    z[..., block - 1 : block - 1 + k] = kernel[..., ::-1]
    s = z.itemsize
    strides = (z.shape[-1] * s,) * len(rows) + (s, -s)
    view = np.ndarray(
        rows + (block + k - 1, block), dtype, buffer=z, offset=(block - 1) * s, strides=strides
    )
    return view.copy()


_recent: dict[tuple[bytes, int, str], np.ndarray] = {}


def _kernel_matrix_cached(kernel: np.ndarray, block: int, dtype: np.dtype) -> np.ndarray:
    """:func:`kernel_matrix` of a 1-D kernel, remembered for a few recent small kernels
    (an operator applies the same kernel many times; the key is the kernel's bytes)."""
    if kernel.size > 512:
        return kernel_matrix(kernel, block, dtype)
    key = (kernel.tobytes(), block, dtype.char + kernel.dtype.char)
    got = _recent.get(key)
    if got is None:
        got = kernel_matrix(kernel, block, dtype)
        got.flags.writeable = False
        if len(_recent) >= 16:
            _recent.clear()
        _recent[key] = got
    return got


def _chunks(rows: int, nblk: int, row_bytes: int):
    """(row slice, block slice) pairs whose copied windows stay near CHUNK bytes."""
    per_signal = nblk * row_bytes
    if per_signal <= CHUNK:
        step = max(1, CHUNK // per_signal)
        for r0 in range(0, rows, step):
            yield slice(r0, min(rows, r0 + step)), 0, nblk
        return
    step = max(1, CHUNK // row_bytes)
    for r in range(rows):
        for b0 in range(0, nblk, step):
            yield slice(r, r + 1), b0, min(nblk, b0 + step)


_local = threading.local()


#: OpenBLAS multiplies on the calling thread alone below m·n·k = 65536·4 (its
#: GEMM_MULTITHREAD_THRESHOLD). Larger products run on one thread too when
#:
#: * torch is loaded and the product is at most SPLIT_MNK: torch's OpenMP workers keep
#:   spinning after a torch call, and an OpenBLAS worker waiting for their core stalls
#:   the product for a scheduler time slice, many times its own length. Larger
#:   products amortise the wait, and one thread would cost them more than it saves.
#: * a two-thread product of its shape ran slower than a one-thread one
#:   (``_threads.contended``): a core is busy elsewhere, and the product waits for the
#:   thread on it. The first ``_threads.SAMPLES`` products of each shape
#:   run on one thread to give that reference.
#:
#: "One thread" cuts the product into pieces under the threshold (slower than the whole
#: product for the wider ones, but never stalled). Under
#: ``convop.options(blas_threads="single")`` it sets numpy's OpenBLAS to one thread
#: for the call instead; by default convop leaves that process-wide count alone, as it
#: cannot tell whether the caller limits it in another thread.
#: Timings behind both limits: benchmarks/results/NOTES.md.
SINGLE_THREAD_MNK = 1 << 18
#: complex products count four real multiply-adds per m·n·k: OpenBLAS's zgemm/cgemm go
#: multi-threaded from 2¹⁷ on, and a (1000×40)·(40×24) complex128 piece under the real
#: limit stalled 12 ms on a busy core where 2¹⁶-sized pieces take 0.014 ms
SINGLE_THREAD_MNK_COMPLEX = 1 << 16
SPLIT_MNK = 1 << 21
_one_thread = _threads.numpy_blas_single()


def matmul_into(x: np.ndarray, t: np.ndarray, out: np.ndarray) -> None:
    """``np.matmul(x, t, out=out)`` for ``x`` (..., m, k), ``t`` (..., k, n), on one
    thread where several would wait on each other (see ``SINGLE_THREAD_MNK``)."""
    m, k = x.shape[-2:]
    n = t.shape[-1]
    mnk = m * k * n
    limit = SINGLE_THREAD_MNK_COMPLEX if out.dtype.kind == "c" else SINGLE_THREAD_MNK
    if mnk < limit:
        np.matmul(x, t, out=out)
        return
    key = ("matmul", k, n, x.dtype.char)
    single = (
        _threads.contended(key)
        or _threads.unsampled(key)
        or (mnk <= SPLIT_MNK and "torch" in sys.modules)
    )
    t0 = time.perf_counter()
    if not single:
        np.matmul(x, t, out=out)
    elif _threads.blas_single_allowed() and _threads.numpy_blas_api() is not None:
        with _one_thread:
            np.matmul(x, t, out=out)
    else:
        rows = max(1, (limit - 1) // (k * n))
        for r0 in range(0, m, rows):
            np.matmul(x[..., r0 : r0 + rows, :], t, out=out[..., r0 : r0 + rows, :])
    _threads.note_time(key, time.perf_counter() - t0, out.size / n, single)


def _workspace(size: int, dtype: np.dtype, slot: int = 0) -> np.ndarray:
    """A reused scratch vector of ``size`` elements (per thread and ``slot``). Fresh
    large arrays cost page faults on every call, most of the time of a long 1-D
    convolution; buffers up to 4·CHUNK bytes are kept."""
    nbytes = size * dtype.itemsize
    bufs = getattr(_local, "bufs", None)
    if bufs is None:
        bufs = _local.bufs = {}
    buf = bufs.get(slot)
    if buf is None or buf.nbytes < nbytes:
        buf = np.empty(max(nbytes, 1 << 16), np.uint8)
        if nbytes <= 4 * CHUNK:
            bufs[slot] = buf
    return buf[:nbytes].view(dtype)


def _extended(
    dst: np.ndarray,
    a2: np.ndarray,
    rs: slice,
    p0: int,
    left: int,
    n_ext: int,
    edges: tuple[np.ndarray, np.ndarray] | None,
) -> None:
    """``dst[i, t] = (E a)[i, p0 + t]`` for the rows ``rs`` (zero past ``n_ext``)."""
    n = a2.shape[1]
    if p0 == 0 and dst.shape[1] >= n_ext:  # the whole signal (one chunk)
        dst[:, left : left + n] = a2[rs]
        dst[:, n_ext:] = 0
        if edges is None:
            dst[:, :left] = 0
            dst[:, left + n : n_ext] = 0
        else:
            dst[:, :left] = edges[0][rs]
            dst[:, left + n : n_ext] = edges[1][rs]
        return
    p1 = p0 + dst.shape[1]
    for lo, hi, src in (
        (0, left, None if edges is None else edges[0]),
        (left, left + n, a2),
        (left + n, n_ext, None if edges is None else edges[1]),
        (n_ext, p1, None),
    ):
        lo2, hi2 = max(lo, p0), min(hi, p1)
        if lo2 >= hi2:
            continue
        if src is None:
            dst[:, lo2 - p0 : hi2 - p0] = 0
        else:
            dst[:, lo2 - p0 : hi2 - p0] = src[rs, lo2 - lo : hi2 - lo]


def valid_blocked(
    a: np.ndarray,
    b: np.ndarray,
    pads: tuple[int, int] = (0, 0),
    boundary: str = "zero",
    block: int | None = None,
) -> np.ndarray | None:
    """``valid(E a, b)`` along the last axis, with E the extension by ``pads`` samples
    in ``boundary`` mode, as block-Toeplitz matrix products.

    ``a`` and ``b`` have the same ndim; their leading axes broadcast (one kernel
    matrix per kernel row). Returns None when the extension needs more than one
    reflection (the caller pads with numpy.pad first).
    """
    (left, right), k, n = pads, b.shape[-1], a.shape[-1]
    n_ext = n + left + right
    n_out = n_ext - k + 1
    dtype = a.dtype if a.dtype is b.dtype else np.result_type(a.dtype, b.dtype)
    if a.ndim == 1 and b.ndim == 1:
        lead, rows, a2 = (), 1, a.reshape(1, n)
    else:
        lead = np.broadcast_shapes(a.shape[:-1], b.shape[:-1])
        rows = prod(lead)
        a2 = np.broadcast_to(a, lead + (n,)).reshape(rows, n)
    edges = None
    if boundary != "zero" and (left or right):
        edges = edge_samples(a2, 1, left, right, boundary)
        if edges is None:
            return None
    bsz = block or block_length(n_out, k)
    nblk = -(-n_out // bsz)
    span = bsz + k - 1
    single = b.ndim == 1 or prod(b.shape[:-1]) == 1
    kern = b.reshape(k) if single else np.broadcast_to(b, lead + (k,)).reshape(rows, k)
    tmat = _kernel_matrix_cached(kern, bsz, dtype) if single else kernel_matrix(kern, bsz, dtype)
    s = dtype.itemsize
    out = np.empty((rows, nblk, bsz), dtype)
    whole = rows * nblk * span * s <= CHUNK
    for rs, b0, b1 in ((slice(0, rows), 0, nblk),) if whole else _chunks(rows, nblk, span * s):
        g, m = rs.stop - rs.start, b1 - b0
        plen = m * bsz + k - 1
        work = _workspace(g * (plen + m * span), dtype)
        piece = work[: g * plen].reshape(g, plen)
        _extended(piece, a2, rs, b0 * bsz, left, n_ext, edges)
        windows = np.ndarray((g, m, span), dtype, buffer=piece, strides=(plen * s, bsz * s, s))
        buf = work[g * plen :].reshape(g, m, span)
        np.copyto(buf, windows)
        matmul_into(buf, tmat if single else tmat[rs], out[rs, b0:b1])
    return out.reshape(rows, nblk * bsz)[:, :n_out].reshape(lead + (n_out,))
