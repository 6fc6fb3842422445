"""Lazy chunked convolution of Dask arrays: halo exchange and overlap-add across chunks.

Every function here builds a Dask graph and computes nothing. Dask is imported when
a function runs (the caller already holds a Dask array, so it is installed), never
when :mod:`convop.dask` is imported.

The maths, along one convolved axis of length ``n`` with a kernel of length ``K``:
``mode`` pads the input by ``(L, R)`` samples (:func:`convop._core.extension.mode_pads`,
extended in ``boundary`` mode), and output ``j`` is the ``valid`` convolution of the
extended input at ``j``, which reads the samples ``j − L … j − L + K − 1`` of the
input. A block of outputs therefore needs its block of inputs plus ``L`` samples on
the left and ``K − 1 − L`` on the right: the halo.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from itertools import product
from math import isnan
from typing import Any

import numpy as np

from convop._core import validate as _validate
from convop._core.errors import ConvopTypeError, ConvopValueError, invalid
from convop._core.extension import mode_pads
from convop._core.optional import require
from convop._core.validate import NUMPY_PAD_MODE
from convop._operators.functional import _normalise_axes
from convop._operators.functional import convolve as _np_convolve
from convop.dask._common import (
    DASK_BOUNDARY,
    STRATEGIES,
    ConvopRechunkWarning,
    is_dask_array,
    user_stacklevel,
)

__all__ = ["DASK_BOUNDARY", "STRATEGIES", "ConvopRechunkWarning", "convolve", "correlate"]


def _da() -> Any:
    return require("dask.array", "dask", "convop.dask")


_is_dask = is_dask_array


# -- small graph helpers -------------------------------------------------------------------
def _graph_array(name: str, layer: dict, deps: list, chunks: tuple, dtype: np.dtype) -> Any:
    da = _da()
    from dask.highlevelgraph import HighLevelGraph

    graph = HighLevelGraph.from_collections(name, layer, dependencies=deps)
    meta = np.empty((0,) * len(chunks), dtype=dtype)
    return da.Array(graph, name, chunks, meta=meta)


def _bounds(chunks: Sequence[int]) -> list[int]:
    out = [0]
    for c in chunks:
        out.append(out[-1] + int(c))
    return out


def _kernel_ref(kernel: Any, name: str) -> tuple[dict, list, Any]:
    """(graph entries, dependencies, key or value) holding the kernel once in the graph."""
    if _is_dask(kernel):
        one = kernel.rechunk(kernel.shape) if kernel.npartitions > 1 else kernel
        return {}, [one], (one.name,) + (0,) * one.ndim
    key = ("convop-kernel-" + name,)
    return {key: kernel}, [], key


@dataclass(frozen=True)
class _BlockPlan:
    """Static arguments of one block task (a frozen object: never traversed by Dask)."""

    take: tuple  # slices of the overlapped block actually read
    kslice: tuple  # slices of the kernel's batch axes
    out_shape: tuple
    axes: tuple
    method: str
    dtype: np.dtype


def _halo_block(plan: _BlockPlan, block: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    if 0 in plan.out_shape:
        return np.zeros(plan.out_shape, plan.dtype)
    out = _np_convolve(
        block[plan.take], kernel[plan.kslice], "valid", axes=plan.axes, method=plan.method
    )
    return out.astype(plan.dtype, copy=False)


def _empty_result(
    plan: _BlockPlan, block: np.ndarray, kernel: np.ndarray, mode: str
) -> np.ndarray | None:
    """Zeros of the result's shape when ``block`` is empty (a size-0 chunk, e.g. the
    last chunk of a ``valid`` result), which the NumPy path refuses; else None."""
    if block.size:
        return None
    shape = []
    for a, (n, q) in enumerate(zip(block.shape, kernel.shape)):
        if a in plan.axes:
            shape.append(n + q - 1 if mode == "full" else abs(n - q) + 1)
        else:
            shape.append(n if q == 1 else q)
    return np.zeros(tuple(shape), plan.dtype)


def _full_block(plan: _BlockPlan, block: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    kernel = kernel[plan.kslice]
    empty = _empty_result(plan, block, kernel, "full")
    if empty is not None:  # an empty chunk adds nothing to its neighbours' outputs
        return empty
    out = _np_convolve(block, kernel, "full", axes=plan.axes, method=plan.method)
    return out.astype(plan.dtype, copy=False)


def _oa_sum(shape: tuple, dtype: np.dtype, pieces: tuple, *parts: np.ndarray) -> np.ndarray:
    out = np.zeros(shape, dtype)
    for (src, dst), part in zip(pieces, parts):
        out[dst] += part[src]
    return out


# -- boundary extension built from the input's own samples ---------------------------------
def _edge_index(n: int, left: int, right: int, boundary: str) -> tuple[np.ndarray, np.ndarray]:
    """Source indices of the ``left`` and ``right`` extension samples (numpy.pad's,
    repeated reflections included)."""
    idx = np.pad(np.arange(n), (left, right), mode=NUMPY_PAD_MODE[boundary])
    return idx[:left], idx[left + n :]


def _extend_axis(x: Any, axis: int, left: int, right: int, boundary: str) -> Any:
    """``numpy.pad`` of one axis, lazily: the edge samples are taken from the chunks
    that hold them, so the graph grows by a few small tasks only."""
    da = _da()
    if not (left or right):
        return x
    pieces = []
    for width, side in ((left, 0), (right, 1)):
        if not width:
            pieces.append(None)
            continue
        if boundary == "zero":
            chunks = list(x.chunks)
            chunks[axis] = (width,)
            pieces.append(da.zeros(tuple(map(sum, chunks)), chunks=tuple(chunks), dtype=x.dtype))
        else:
            index = _edge_index(x.shape[axis], left, right, boundary)[side]
            pieces.append(da.take(x, index, axis=axis))
    parts = [p for p in (pieces[0], x, pieces[1]) if p is not None]
    return da.concatenate(parts, axis=axis)


def _merge_edges(chunks: tuple[int, ...], left: int, right: int) -> tuple[int, ...]:
    """Chunks of an axis extended by ``left``/``right`` samples when the edge samples
    join the first/last chunk (instead of standing alone as tiny chunks)."""
    inner = chunks[1:-1] if len(chunks) > 2 else ()
    if len(chunks) == 1:
        return (left + chunks[0] + right,)
    return (left + chunks[0],) + tuple(inner) + (chunks[-1] + right,)


# -- the public entry points ---------------------------------------------------------------
def convolve(
    in1: Any,
    in2: Any,
    mode: str = "full",
    *,
    boundary: str = "zero",
    axes: int | Sequence[int] | None = None,
    method: str = "auto",
    strategy: str = "auto",
) -> Any:
    """Lazy :func:`convop.convolve` of a Dask array, chunk by chunk.

    Parameters
    ----------
    in1 : dask.array.Array
        The signal (any chunking; the chunks of the convolved axes set the work per
        task, see the chunking rules in :mod:`convop.dask`).
    in2 : array_like or dask.array.Array
        The kernel, same number of dimensions as ``in1``. It is held once in the
        graph (a Dask kernel is used through its key, without computing it).
    mode, boundary, axes, method
        As in :func:`convop.convolve`; ``method`` is the per-chunk algorithm.
    strategy : {'auto', 'halo', 'overlap-add'}
        ``halo``: each chunk receives its neighbours' edges
        (:func:`dask.array.overlap.overlap`) and is convolved ``valid``; chunks
        narrower than the halo are merged first, with a
        :class:`ConvopRechunkWarning`. ``overlap-add``: each chunk is convolved
        ``full`` with the whole kernel and the overlapping tails are summed, so the
        chunks stay as they are whatever the kernel length. ``auto`` (default):
        ``halo`` when every chunk of every convolved axis is at least as wide as
        the halo, else ``overlap-add``.

    Returns
    -------
    dask.array.Array
        Lazy; computing it gives ``convop.convolve(in1.compute(), in2, ...)`` to
        rounding, dtype ``numpy.result_type(in1, in2)``. ``same`` keeps the chunks
        of ``in1``; ``full`` adds the ``K − 1`` extra samples to the last chunk;
        ``valid`` removes them from the last chunks.

    Raises
    ------
    ValueError
        As :func:`convop.convolve`, plus unknown ``strategy`` and Dask arrays of
        unknown chunk sizes.
    TypeError
        Non-numeric input.

    Examples
    --------
    >>> import numpy as np, dask.array as da, convop
    >>> x = da.arange(10.0, chunks=4)
    >>> y = convop.convolve(x, np.array([1.0, 1.0, 1.0]), "same", boundary="reflect")
    >>> y.chunks
    ((4, 4, 2),)
    >>> y.compute().tolist()
    [2.0, 3.0, 6.0, 9.0, 12.0, 15.0, 18.0, 21.0, 24.0, 25.0]
    """
    da = _da()
    mode = _validate.mode(mode)
    bnd = _validate.boundary(boundary)
    method = _validate.method(method, _validate.METHODS)
    if not (isinstance(strategy, str) and strategy in STRATEGIES):
        raise invalid("strategy", strategy, STRATEGIES)
    if not _is_dask(in1):
        raise ConvopTypeError(
            f"in1 must be a dask.array.Array for convop.dask.convolve; got "
            f"{type(in1).__name__} (use convop.convolve for NumPy arrays)"
        )
    if in1.dtype.kind not in "biufc":
        raise ConvopTypeError(
            f"in1 must be a numeric array (bool, int, float or complex); got dtype {in1.dtype!s}"
        )
    kern = in2 if _is_dask(in2) else _validate.numeric_array(in2, "in2")
    if kern.dtype.kind not in "biufc":
        raise ConvopTypeError(
            f"in2 must be a numeric array (bool, int, float or complex); got dtype {kern.dtype!s}"
        )
    for name, arr in (("in1", in1), ("in2", kern)):
        if any(isnan(c) for cs in arr.chunks for c in cs) if _is_dask(arr) else False:
            raise ConvopValueError(
                f"{name} has unknown chunk sizes {arr.chunks}; call "
                f"{name}.compute_chunk_sizes() first"
            )
    if in1.ndim != kern.ndim:
        raise ConvopValueError(
            f"in1 and in2 must have the same number of dimensions; got in1.ndim={in1.ndim} "
            f"and in2.ndim={kern.ndim}"
        )
    dtype = np.result_type(in1.dtype, kern.dtype)
    if in1.ndim == 0:
        return (in1 * kern).astype(dtype)
    for name, arr in (("in1", in1), ("in2", kern)):
        if arr.size == 0:
            raise ConvopValueError(f"{name} must not be empty; got shape {arr.shape}")
    conv_axes = _normalise_axes(axes, in1.ndim)
    batch_axes = tuple(i for i in range(in1.ndim) if i not in conv_axes)
    for i in batch_axes:
        if in1.shape[i] != kern.shape[i] and 1 not in (in1.shape[i], kern.shape[i]):
            raise ConvopValueError(
                f"in1 and in2 must broadcast along the axes not convolved; axis {i} has "
                f"lengths {in1.shape[i]} and {kern.shape[i]}"
            )
        if kern.shape[i] > 1 and in1.shape[i] == 1:
            # the kernel's batch makes the output's: one chunk of the signal, broadcast
            in1 = da.broadcast_to(in1, in1.shape[:i] + (kern.shape[i],) + in1.shape[i + 1 :])
    na = tuple(in1.shape[a] for a in conv_axes)
    nk = tuple(kern.shape[a] for a in conv_axes)
    if mode == "valid":
        swap = _validate.valid_swap(na, nk)
        if swap is None:
            raise ConvopValueError(
                f"mode='valid' needs one input at least as large as the other along every "
                f"convolved axis; got in1 {na} and in2 {nk}"
            )
        if swap:
            return _whole(in1, kern, mode, bnd, conv_axes, method, dtype)
    if _is_dask(kern) and kern.npartitions > 1:
        kern = kern.rechunk(kern.shape)
    pads = dict(zip(conv_axes, mode_pads(nk, mode)))
    ksize = dict(zip(conv_axes, nk))
    # the halo a chunk needs: L samples on the left, K − 1 − L on the right (and the
    # edge extension of the first/last chunk)
    halo_fits = all(
        max(pads[a][0], pads[a][1], ksize[a] - 1 - pads[a][0]) <= min(in1.chunks[a])
        and max(pads[a]) <= in1.shape[a]
        for a in conv_axes
    )
    chosen = strategy if strategy != "auto" else ("halo" if halo_fits else "overlap-add")
    if chosen == "halo":
        return _halo(in1, kern, pads, ksize, conv_axes, bnd, method, dtype)
    return _overlap_add(in1, kern, pads, ksize, conv_axes, bnd, method, dtype)


def correlate(
    in1: Any,
    in2: Any,
    mode: str = "full",
    *,
    boundary: str = "zero",
    axes: int | Sequence[int] | None = None,
    method: str = "auto",
    strategy: str = "auto",
) -> Any:
    """Lazy :func:`convop.correlate` of a Dask array: :func:`convolve` with the kernel
    flipped over the convolved axes and conjugated (scipy.signal semantics).

    Examples
    --------
    >>> import numpy as np, dask.array as da, convop
    >>> x = da.from_array(np.array([1.0, 2.0, 3.0]), chunks=2)
    >>> convop.correlate(x, np.array([0.0, 1.0, 0.5])).compute().tolist()
    [0.5, 2.0, 3.5, 3.0, 0.0]
    """
    kern = in2 if _is_dask(in2) else _validate.numeric_array(in2, "in2")
    if _is_dask(in1) and kern.ndim == getattr(in1, "ndim", -1) and kern.ndim > 0:
        flip_axes = _normalise_axes(axes, kern.ndim)
        index = tuple(
            slice(None, None, -1) if i in flip_axes else slice(None) for i in range(kern.ndim)
        )
        kern = kern[index]
    if kern.dtype.kind == "c":
        kern = kern.conj()
    return convolve(in1, kern, mode, boundary=boundary, axes=axes, method=method, strategy=strategy)


# -- strategies ------------------------------------------------------------------------------
def _whole(x: Any, kern: Any, mode: str, bnd: str, axes: tuple, method: str, dtype: Any) -> Any:
    """``valid`` with the kernel larger than the signal: the signal is the small operand
    (smaller than a kernel held in memory), so it is convolved as one chunk along the
    convolved axes (the batch axes keep their chunks)."""
    one = x.rechunk({a: -1 for a in axes})
    if any(kern.shape[a] > 1 for a in range(x.ndim) if a not in axes):
        one = one.rechunk({a: -1 for a in range(x.ndim)})
    chunks = tuple(
        (abs(x.shape[a] - kern.shape[a]) + 1,) if a in axes else one.chunks[a]
        for a in range(x.ndim)
    )
    name = "convop-whole-" + _token(one, kern, axes, method, dtype, mode)
    layer, deps, kkey = _kernel_ref(kern, name)
    kb = _kernel_batch_bounds(kern, one, axes)
    for idx in product(*(range(len(c)) for c in chunks)):
        plan = _BlockPlan(
            take=(),
            kslice=tuple(kb[a][i] for a, i in enumerate(idx)),
            out_shape=(),
            axes=axes,
            method=method,
            dtype=np.dtype(dtype),
        )
        layer[(name,) + idx] = (partial(_valid_block, plan), (one.name,) + idx, kkey)
    return _graph_array(name, layer, [one, *deps], chunks, dtype)


def _valid_block(plan: _BlockPlan, block: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    kernel = kernel[plan.kslice]
    empty = _empty_result(plan, block, kernel, "valid")
    if empty is not None:
        return empty
    out = _np_convolve(block, kernel, "valid", axes=plan.axes, method=plan.method)
    return out.astype(plan.dtype, copy=False)


def _rechunk_for_halo(x: Any, need: dict[int, int], why: str) -> Any:
    new = {}
    from dask.array.overlap import ensure_minimum_chunksize

    for a, size in need.items():
        if size > min(x.chunks[a]):
            whole = size >= x.shape[a]
            new[a] = (x.shape[a],) if whole else ensure_minimum_chunksize(size, x.chunks[a])
    if not new:
        return x
    msg = "; ".join(
        f"axis {a}: chunks {x.chunks[a]} -> {c} (halo {need[a]} samples)" for a, c in new.items()
    )
    warnings.warn(
        f"convop.dask rechunked {why}, because the halo is wider than some chunks ({msg}). "
        f"Pass chunks at least as wide as the halo along the convolved axes, or "
        f"strategy='overlap-add' to keep the chunks as they are.",
        ConvopRechunkWarning,
        stacklevel=user_stacklevel(),
    )
    return x.rechunk({a: c for a, c in new.items()})


def _halo(
    x: Any,
    kern: Any,
    pads: dict,
    ksize: dict,
    axes: tuple,
    bnd: str,
    method: str,
    dtype: Any,
) -> Any:
    da = _da()
    ndim = x.ndim
    mapped = DASK_BOUNDARY[bnd]
    # axes whose boundary Dask extends (symmetric depth) and axes convop extends first
    native, pre = {}, {}
    for a in axes:
        left, right = pads[a]
        if not (left or right):
            continue
        if mapped is not None and max(left, right) <= x.shape[a]:
            native[a] = max(left, right)
        else:
            pre[a] = (left, right)
    # chunks must hold the halo before anything is added at the edges
    need = {}
    for a in axes:
        left, right = pads[a]
        interior = max(left, ksize[a] - 1 - left)
        need[a] = max(interior, native.get(a, 0))
    x = _rechunk_for_halo(x, need, "the signal")
    orig_bounds = {a: _bounds(x.chunks[a]) for a in axes}
    xe = x
    for a, (left, right) in pre.items():
        merged = _merge_edges(x.chunks[a], left, right)
        xe = _extend_axis(xe, a, left, right, bnd).rechunk({a: merged})
    depth, kinds = {}, {}
    for a in range(ndim):
        if a not in axes:
            depth[a], kinds[a] = 0, "none"
        elif a in native:
            depth[a], kinds[a] = native[a], mapped
        else:
            # extended by convop (or valid): the halo only, asymmetric, no boundary
            lpre = pre[a][0] if a in pre else 0
            depth[a], kinds[a] = (lpre, ksize[a] - 1 - lpre), "none"
            if len(xe.chunks[a]) == 1:
                depth[a] = 0  # one chunk: no neighbours to exchange with
    xo = da.overlap.overlap(xe, depth=depth, boundary=kinds, allow_rechunk=False)

    # per axis: output chunk bounds S and, per block, the slice of the overlapped block
    out_chunks, takes = [], []
    for a in range(ndim):
        if a not in axes:
            out_chunks.append(xe.chunks[a])
            takes.append([slice(None)] * len(xe.chunks[a]))
            continue
        k = ksize[a]
        n = x.shape[a]
        left, right = pads[a]
        m = n + left + right - k + 1
        pl = left if a in native else 0  # still to be added by Dask at the edges
        ob = orig_bounds[a]
        nb = len(ob) - 1
        bounds = [0] + [min(max(s, 0), m) for s in ob[1:-1]] + [m]
        eb = _bounds(xe.chunks[a])
        sl = []
        for b in range(nb):
            if a in native:
                cover = eb[b] - depth[a]
            else:
                cover = eb[b] - (depth[a][0] if b > 0 else 0)  # b > 0: depth is a tuple
            lo = bounds[b] - pl - cover
            hi = bounds[b + 1] - pl + k - 1 - cover
            if bounds[b + 1] == bounds[b]:
                lo = hi = 0
            assert 0 <= lo <= hi <= xo.chunks[a][b], (a, b, lo, hi, xo.chunks[a][b])
            sl.append(slice(lo, hi))
        out_chunks.append(tuple(bounds[b + 1] - bounds[b] for b in range(nb)))
        takes.append(sl)

    name = "convop-halo-" + _token(xo, kern, axes, method, dtype, pads, bnd)
    layer, deps, kkey = _kernel_ref(kern, name)
    kb = _kernel_batch_bounds(kern, xe, axes)
    for idx in product(*(range(len(c)) for c in out_chunks)):
        plan = _BlockPlan(
            take=tuple(takes[a][i] for a, i in enumerate(idx)),
            kslice=tuple(kb[a][i] for a, i in enumerate(idx)),
            out_shape=tuple(out_chunks[a][i] for a, i in enumerate(idx)),
            axes=axes,
            method=method,
            dtype=np.dtype(dtype),
        )
        layer[(name,) + idx] = (partial(_halo_block, plan), (xo.name,) + idx, kkey)
    return _graph_array(name, layer, [xo, *deps], tuple(out_chunks), dtype)


def _kernel_batch_bounds(kern: Any, x: Any, axes: tuple) -> list[list[slice]]:
    """Per axis and block, the slice of the kernel that block convolves with."""
    out = []
    for a in range(x.ndim):
        nblocks = len(x.chunks[a])
        if a in axes or kern.shape[a] == 1:
            out.append([slice(None)] * nblocks)
        else:
            b = _bounds(x.chunks[a])
            out.append([slice(b[i], b[i + 1]) for i in range(nblocks)])
    return out


def _overlap_add(
    x: Any,
    kern: Any,
    pads: dict,
    ksize: dict,
    axes: tuple,
    bnd: str,
    method: str,
    dtype: Any,
) -> Any:
    orig_bounds = {a: _bounds(x.chunks[a]) for a in axes}
    xe = x
    for a in axes:
        xe = _extend_axis(xe, a, pads[a][0], pads[a][1], bnd)
    ndim = x.ndim
    # stage 1: every chunk of the extended signal, convolved `full` with the kernel
    token = _token(xe, kern, axes, method, dtype, pads, bnd)
    fname = "convop-oa-chunk-" + token
    layer, deps, kkey = _kernel_ref(kern, fname)
    kb = _kernel_batch_bounds(kern, xe, axes)
    for idx in product(*(range(len(c)) for c in xe.chunks)):
        plan = _BlockPlan(
            take=(),
            kslice=tuple(kb[a][i] for a, i in enumerate(idx)),
            out_shape=(),
            axes=axes,
            method=method,
            dtype=np.dtype(dtype),
        )
        layer[(fname,) + idx] = (partial(_full_block, plan), (xe.name,) + idx, kkey)
    # stage 2: each output chunk sums the parts of the chunk results that land in it
    out_bounds, sources = [], []
    for a in range(ndim):
        eb = _bounds(xe.chunks[a])
        if a not in axes:
            out_bounds.append(eb)
            sources.append([[(i, slice(None), slice(None))] for i in range(len(xe.chunks[a]))])
            continue
        k = ksize[a]
        m = xe.shape[a] - k + 1
        ob = orig_bounds[a]
        bounds = sorted({0, m, *(min(max(s, 0), m) for s in ob[1:-1])})
        out_bounds.append(bounds)
        per_out = []
        for o in range(len(bounds) - 1):
            lo_o, hi_o = bounds[o], bounds[o + 1]
            parts = []
            for b in range(len(eb) - 1):
                # chunk b's full result covers outputs eb[b] − (K − 1) … eb[b + 1] − 1
                start = eb[b] - (k - 1)
                lo, hi = max(lo_o, start), min(hi_o, eb[b + 1])
                if lo < hi:
                    parts.append((b, slice(lo - start, hi - start), slice(lo - lo_o, hi - lo_o)))
            per_out.append(parts)
        sources.append(per_out)
    name = "convop-oa-" + token
    out_chunks = tuple(tuple(np.diff(b).tolist()) for b in out_bounds)
    for oidx in product(*(range(len(c)) for c in out_chunks)):
        shape = tuple(out_chunks[a][i] for a, i in enumerate(oidx))
        pieces, keys = [], []
        for combo in product(*(sources[a][i] for a, i in enumerate(oidx))):
            keys.append((fname,) + tuple(c[0] for c in combo))
            pieces.append((tuple(c[1] for c in combo), tuple(c[2] for c in combo)))
        layer[(name,) + oidx] = (
            partial(_oa_sum, shape, np.dtype(dtype), tuple(pieces)),
            *keys,
        )
    return _graph_array(name, layer, [xe, *deps], out_chunks, dtype)


def _token(*parts: Any) -> str:
    from dask.base import tokenize

    return tokenize(*parts)
