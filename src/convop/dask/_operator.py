"""``Operator.apply`` / ``adjoint`` on Dask arrays: lazy, chunk by chunk.

A :class:`~convop.Convolution` is ``A = V E`` (boundary extension E, then a
``valid`` convolution V): ``A x`` is :func:`convop.dask.convolve` of ``x`` and
``Aᴴ y = Eᴴ Vᴴ y``, where ``Vᴴ`` is the ``full`` zero-boundary convolution with
``flip(conj(kernel))`` and ``Eᴴ`` folds the extension samples back onto the samples
they copy — a few thin slabs at the edges of each axis, added lazily. Adjoints,
transposes and products of operators recurse; any other operator is applied
blockwise over the batch axes (each chunk holding whole operator inputs).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from convop._core.arrays import compute_dtype, flip_conj
from convop._core.errors import ConvopTypeError, ConvopValueError
from convop._core.operator import Operator, _Adjoint, _Product, _Transpose
from convop._operators.convolution import Convolution
from convop.dask._chunked import _da, convolve
from convop.dask._common import ConvopRechunkWarning, user_stacklevel


def _check(op: Operator, x: Any, expected: tuple[int, ...], name: str) -> Any:
    if x.dtype.kind not in "biufc":
        raise ConvopTypeError(
            f"{name} must be a numeric array (bool, int, float or complex); got dtype {x.dtype!s}"
        )
    d = len(expected)
    if x.ndim < d or tuple(x.shape[x.ndim - d :]) != tuple(expected):
        raise ConvopValueError(
            f"{name} must have shape (..., {', '.join(map(str, expected))}) "
            f"(trailing dimensions {expected}); got {x.shape}"
        )
    return x.astype(compute_dtype(x.dtype, op.dtype), copy=False)


def apply(op: Operator, x: Any, adjoint: bool = False) -> Any:
    """``op.apply(x)`` (or ``op.adjoint(x)``) of a Dask array ``x``, lazily.

    Parameters
    ----------
    op : Operator
        A :class:`~convop.Convolution`, or any other convop operator.
    x : dask.array.Array
        Shape ``(..., *op.input_shape)`` (``(..., *op.output_shape)`` for the
        adjoint); leading axes are a batch.
    adjoint : bool
        Apply the adjoint instead.

    Returns
    -------
    dask.array.Array
        Lazy result, as ``op.apply(x.compute())`` would give.

    Examples
    --------
    >>> import numpy as np, dask.array as da, convop
    >>> A = convop.Convolution(np.array([1.0, -1.0]), (6,), "same", boundary="periodic")
    >>> x = da.arange(6.0, chunks=3)
    >>> A(x).compute().tolist()
    [-5.0, 1.0, 1.0, 1.0, 1.0, 1.0]
    >>> A.adjoint(A(x)).compute().tolist() == A.adjoint(A(np.arange(6.0))).tolist()
    True
    """
    if isinstance(op, _Adjoint):
        return apply(op._op, x, not adjoint)
    if isinstance(op, _Transpose):
        inner = op._op
        if x.dtype.kind == "c" or inner.dtype.kind == "c":
            return apply(inner, x.conj(), not adjoint).conj()
        return apply(inner, x, not adjoint)
    if isinstance(op, _Product):
        if adjoint:
            return apply(op._b, apply(op._a, x, True), True)
        return apply(op._a, apply(op._b, x, False), False)
    name = "y" if adjoint else "x"
    shape = op.output_shape if adjoint else op.input_shape
    x = _check(op, x, shape, name)
    if type(op) is Convolution and not op._swap:
        fn = _conv_adjoint if adjoint else _conv_apply
        if op._moved is None:
            return fn(op, x)
        # one kernel per slice (Convolution(axes=)): the operator convolves with its
        # convolved axes moved last, as its NumPy path does (op._ck is in that order)
        da = _da()
        lead = x.ndim - len(op.input_shape)
        src = tuple(lead + a for a in op._moved[0])
        dst = tuple(lead + a for a in op._moved[1])
        return da.moveaxis(fn(op, da.moveaxis(x, src, dst)), dst, src)
    return _blockwise(op, x, adjoint)


def _trailing(op: Convolution, x: Any) -> tuple[int, ...]:
    return tuple(range(x.ndim - op._nd, x.ndim))


def _as_kernel(k: np.ndarray, x: Any) -> np.ndarray:
    k = k.astype(x.dtype, copy=False)
    return k.reshape((1,) * (x.ndim - k.ndim) + k.shape)


def _conv_apply(op: Convolution, x: Any) -> Any:
    return convolve(
        x,
        _as_kernel(op._ck, x),
        op.mode,
        boundary=op.boundary,
        axes=_trailing(op, x),
        method=op.method,
    )


def _conv_adjoint(op: Convolution, y: Any) -> Any:
    kadj = _as_kernel(flip_conj(op._ck, op._nd), y)
    axes = _trailing(op, y)
    if op._zero_full:
        return convolve(y, kadj, "valid", axes=axes, method=op.method)
    z = convolve(y, kadj, "full", axes=axes, method=op.method)
    for k, ext in enumerate(op._exts):
        z = _fold(z, z.ndim - op._nd + k, ext)
    return z


def _fold(z: Any, axis: int, ext: Any) -> Any:
    """Eᴴ along one axis: the interior of ``z`` plus the extension samples added onto
    their sources (two thin slabs at the edges)."""
    da = _da()
    if ext.is_identity:
        return z
    idx = ext.index
    n = ext.n
    inter = ext.interior
    take = [slice(None)] * z.ndim
    if inter is not None:
        off, _ = inter
        take[axis] = slice(off, off + n)
        acc = z[tuple(take)]
        rest = np.r_[0:off, off + n : idx.size]
    else:
        shape = list(z.shape)
        shape[axis] = n
        chunks = list(z.chunks)
        chunks[axis] = (n,)
        acc = da.zeros(tuple(shape), chunks=tuple(chunks), dtype=z.dtype)
        rest = np.arange(idx.size)
    rest = rest[idx[rest] >= 0]
    if rest.size == 0:
        return acc
    targets = idx[rest]
    half = (n + 1) // 2
    pieces = []
    cuts = []
    for sel in (targets < half, targets >= half):
        if not sel.any():
            continue
        tlo, thi = int(targets[sel].min()), int(targets[sel].max()) + 1
        # window [tlo, thi) of the result gets S @ (the samples z[rest[sel]])
        scatter = np.zeros((thi - tlo, int(sel.sum())), dtype=z.dtype)
        np.add.at(scatter, (targets[sel] - tlo, np.arange(int(sel.sum()))), 1)
        slab = da.take(z, rest[sel], axis=axis)
        add = da.moveaxis(da.tensordot(slab, scatter, axes=([axis], [1])), -1, axis)
        cuts.append((tlo, thi))
        pieces.append(add)
    parts = []
    pos = 0
    for (tlo, thi), add in zip(cuts, pieces):
        if tlo > pos:
            take[axis] = slice(pos, tlo)
            parts.append(acc[tuple(take)])
        take[axis] = slice(tlo, thi)
        parts.append(acc[tuple(take)] + add)
        pos = thi
    if pos < n:
        take[axis] = slice(pos, n)
        parts.append(acc[tuple(take)])
    out = da.concatenate(parts, axis=axis)
    # keep the chunks of the interior (the edge slabs would otherwise split them)
    return out.rechunk({axis: acc.chunks[axis]})


def _blockwise(op: Operator, x: Any, adjoint: bool) -> Any:
    """Any operator: applied to chunks that each hold whole inputs (chunked only along
    the batch axes)."""
    da = _da()
    d = len(op.output_shape if adjoint else op.input_shape)
    lead = x.ndim - d
    if any(len(c) > 1 for c in x.chunks[lead:]):
        warnings.warn(
            f"convop.dask rechunked the operator's input to whole "
            f"{op.output_shape if adjoint else op.input_shape} arrays per chunk, because "
            f"{type(op).__name__} has no chunked path; chunk only the leading (batch) axes "
            f"to avoid this.",
            ConvopRechunkWarning,
            stacklevel=user_stacklevel(),
        )
        x = x.rechunk({a: -1 for a in range(lead, x.ndim)})
    out_shape = op.input_shape if adjoint else op.output_shape
    fn = op.adjoint if adjoint else op.apply
    dtype = np.result_type(x.dtype, op.dtype)
    chunks = x.chunks[:lead] + tuple((m,) for m in out_shape)
    if len(out_shape) == d:
        return da.map_blocks(fn, x, chunks=chunks, dtype=dtype)
    return da.map_blocks(
        fn,
        x,
        chunks=chunks,
        dtype=dtype,
        drop_axis=list(range(lead, x.ndim)),
        new_axis=list(range(lead, lead + len(out_shape))),
    )
