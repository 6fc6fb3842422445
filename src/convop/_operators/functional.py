"""``convolve`` and ``correlate`` with scipy.signal semantics, plus boundaries and axes."""

from __future__ import annotations

from collections.abc import Sequence
from math import prod
from typing import Any

import numpy as np

from convop._core import dispatch
from convop._core import validate as _validate
from convop._core.arrays import compute_dtype, float_exact
from convop._core.errors import ConvopValueError
from convop._core.extension import mode_pads
from convop._engines import dispatch as _engines
from convop._planning import routes as _routes
from convop._planning.choose import resolve

__all__ = ["convolve", "correlate"]


#: kept for callers of the old private name (convop.dask)
_normalise_axes = _validate.axes


def convolve(
    in1: Any,
    in2: Any,
    mode: str = "full",
    *,
    boundary: str = "zero",
    axes: int | Sequence[int] | None = None,
    method: str = "auto",
) -> np.ndarray:
    """Convolve two N-D arrays, as :func:`scipy.signal.convolve` with boundaries.

    Parameters
    ----------
    in1 : array_like
        First input (the signal; the one that ``boundary`` extends).
    in2 : array_like
        Second input (the kernel), with the same number of dimensions as ``in1``.
    mode : {'full', 'same', 'valid'}
        Output size along the convolved axes: ``full`` N + K − 1, ``same`` N (the
        centre of ``full``, as scipy), ``valid`` max(N, K) − min(N, K) + 1.
    boundary : {'zero', 'periodic', 'reflect', 'symmetric', 'replicate'}
        How ``in1`` is extended beyond its edges for ``full`` and ``same``: by K − 1
        samples on both sides with :func:`numpy.pad` in that mode (aliases such as
        ``'wrap'``, ``'symm'``, ``'edge'`` are accepted). ``valid`` ignores it.
    axes : int or sequence of int, optional
        Axes to convolve over (default all); the other axes broadcast (length 1 or
        equal), like ``scipy.signal.fftconvolve(axes=...)``.
    method : {'auto', 'direct', 'gemm', 'fft', 'overlap-add'}
        Algorithm; all give the same result to rounding. ``auto`` picks the fastest
        by this machine's cost model (:func:`convop.choose_method`).

    Returns
    -------
    ndarray
        dtype ``numpy.result_type(in1, in2)`` (float32 stays float32; integer inputs
        give integers, computed exactly for moderate magnitudes).

    Raises
    ------
    ValueError
        Unknown ``mode``/``boundary``/``method``, mismatched dimensions, empty input,
        non-broadcastable batch axes, or (``valid``) neither input at least as large
        as the other along every convolved axis.
    TypeError
        Non-numeric input.

    See Also
    --------
    correlate, Convolution

    Examples
    --------
    >>> import convop
    >>> convop.convolve([1.0, 2.0, 3.0], [0.0, 1.0, 0.5]).tolist()
    [0.0, 1.0, 2.5, 4.0, 1.5]
    >>> convop.convolve([1.0, 2.0, 3.0], [1.0, 1.0], "same", boundary="periodic").tolist()
    [4.0, 3.0, 5.0]
    """
    if type(in1) is not np.ndarray:
        other = dispatch.handler_for(in1)  # a Dask array: the whole call goes there
        if other is not None:
            return other.convolve(
                in1, in2, mode, boundary=boundary, axes=axes, method=method, correlate=False
            )
    if type(in1) is np.ndarray and type(in2) is np.ndarray:
        # plain calls: the resolved computation is remembered per call shape
        if axes is None:
            run = _routes.route(in1, in2, mode, boundary, method)
        else:
            run = _routes.batched_route(in1, in2, mode, boundary, method, axes)
        if run is not None:
            return run(in1, in2)
    return _convolve(in1, in2, mode, boundary, axes, method)


def _convolve(in1: Any, in2: Any, mode: str, boundary: str, axes: Any, method: str) -> np.ndarray:
    """Every call the routes do not take: validation, axes, dtypes, then the engines."""
    mode = _validate.mode(mode)
    bnd = _validate.boundary(boundary)
    method = _validate.method(method, _validate.METHODS)
    a = _validate.numeric_array(in1, "in1")
    b = _validate.numeric_array(in2, "in2")
    if a.ndim != b.ndim:
        raise ConvopValueError(
            f"in1 and in2 must have the same number of dimensions; got in1.ndim={a.ndim} "
            f"and in2.ndim={b.ndim}"
        )
    result_type = np.result_type(a.dtype, b.dtype)
    if a.ndim == 0:
        return (a * b).astype(result_type)
    for name, arr in (("in1", a), ("in2", b)):
        if arr.size == 0:
            raise ConvopValueError(f"{name} must not be empty; got shape {arr.shape}")
    conv_axes = _normalise_axes(axes, a.ndim)
    batch_axes = tuple(i for i in range(a.ndim) if i not in conv_axes)
    for i in batch_axes:
        if a.shape[i] != b.shape[i] and 1 not in (a.shape[i], b.shape[i]):
            raise ConvopValueError(
                f"in1 and in2 must broadcast along the axes not convolved; axis {i} has "
                f"lengths {a.shape[i]} and {b.shape[i]}"
            )
    nd = len(conv_axes)
    trailing = conv_axes == tuple(range(a.ndim - nd, a.ndim))
    if not trailing:
        a = np.moveaxis(a, conv_axes, range(a.ndim - nd, a.ndim))
        b = np.moveaxis(b, conv_axes, range(b.ndim - nd, b.ndim))
    na, nb = a.shape[a.ndim - nd :], b.shape[b.ndim - nd :]
    if mode == "valid":
        swap = _validate.valid_swap(na, nb)
        if swap is None:
            raise ConvopValueError(
                f"mode='valid' needs one input at least as large as the other along every "
                f"convolved axis; got in1 {na} and in2 {nb}"
            )
        if swap:
            a, b, na, nb = b, a, nb, na

    exact_int = result_type.kind in "biu"
    cdt = compute_dtype(result_type)
    if exact_int and not float_exact(a, b, a.dtype, b.dtype):
        # integer products beyond 2**52, whatever the method asked for: a float64 FFT
        # would round them, so exact integer arithmetic instead (it wraps modulo 2**64,
        # hence modulo the width of the result type, as numpy's does)
        cdt, method = np.dtype(np.int64 if result_type.kind != "u" else np.uint64), "direct"
    a = a.astype(cdt, copy=False)
    b = b.astype(cdt, copy=False)

    pads = mode_pads(nb, mode)
    batch = max(a.size // max(prod(a.shape[a.ndim - nd :]), 1), b.size // max(prod(nb), 1))
    ext = tuple(p + l + r for p, (l, r) in zip(na, pads))
    plan = resolve(method, ext, nb, batch, cdt)
    out = _engines.conv_boundary(a, b, nd, plan, pads, bnd)
    if not trailing:
        out = np.moveaxis(out, range(out.ndim - nd, out.ndim), conv_axes)
    if exact_int:
        if out.dtype.kind == "f":
            # exact integers held in float64: round, then wrap as integer arithmetic
            # does (a float-to-uint16 cast of 65535² would be undefined)
            out = np.rint(out).astype(np.int64)
        return out.astype(result_type)
    return out.astype(result_type, copy=False)


def correlate(
    in1: Any,
    in2: Any,
    mode: str = "full",
    *,
    boundary: str = "zero",
    axes: int | Sequence[int] | None = None,
    method: str = "auto",
) -> np.ndarray:
    """Cross-correlate two N-D arrays, as :func:`scipy.signal.correlate` with boundaries.

    ``correlate(in1, in2)`` equals ``convolve(in1, flip(conj(in2)))`` over the
    convolved axes (z[k] = Σ_l in1[l + k] conj(in2[l]), shifted as scipy does), with
    the same ``mode``, ``boundary``, ``axes`` and ``method`` as :func:`convolve`.

    Examples
    --------
    >>> import convop
    >>> convop.correlate([1.0, 2.0, 3.0], [0.0, 1.0, 0.5]).tolist()
    [0.5, 2.0, 3.5, 3.0, 0.0]
    """
    other = dispatch.handler_for(in1)
    if other is not None:
        return other.convolve(
            in1, in2, mode, boundary=boundary, axes=axes, method=method, correlate=True
        )
    b = _validate.numeric_array(in2, "in2")
    a = _validate.numeric_array(in1, "in1")
    if a.ndim == b.ndim and a.ndim > 0:
        conv_axes = _normalise_axes(axes, b.ndim)
        b = np.conj(np.flip(b, axis=conv_axes)) if b.dtype.kind == "c" else np.flip(b, conv_axes)
    elif b.dtype.kind == "c":
        b = np.conj(b)
    return convolve(a, b, mode, boundary=boundary, axes=axes, method=method)
