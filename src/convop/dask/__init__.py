"""Convolution of arrays larger than memory: lazy, chunked, on Dask arrays.

Importing :mod:`convop.dask` imports no Dask: it registers a handler in
:mod:`convop._core.dispatch`, found by the module name of an input's type, so that
:func:`convop.convolve`, :func:`convop.correlate` and ``Convolution.apply`` /
``adjoint`` given a ``dask.array.Array`` return a lazy ``dask.array.Array`` with the
values of the same call on the computed NumPy array (every ``mode``, ``boundary`` and
``axes``). Nothing is computed until the caller asks (``.compute()``, ``.to_zarr()``,
``.persist()``); it runs on any Dask scheduler, threaded or ``dask.distributed``.

How the chunks work together (``strategy``):

``halo``
    Each chunk receives the ``K − 1`` samples (per convolved axis) its outputs read
    from its neighbours (:func:`dask.array.overlap.overlap`) and is convolved
    ``valid`` by the calibrated NumPy backend. At the array edges Dask's own
    boundaries are used where they match convop's (:data:`DASK_BOUNDARY`: ``zero`` →
    0, ``periodic`` → ``'periodic'``, ``symmetric`` → ``'reflect'``, ``replicate`` →
    ``'nearest'``); convop's ``reflect`` (which Dask lacks) and extensions wider than
    the axis are built from the signal's edge samples.
``overlap-add``
    Each chunk is convolved ``full`` with the whole kernel (FFT for long kernels) and
    the overlapping tails are summed into the output chunks, so a kernel longer than
    a chunk never forces a rechunk.
``auto`` (what :func:`convop.convolve` uses)
    ``halo`` when every chunk of every convolved axis is at least ``K − 1`` wide,
    else ``overlap-add``.

Chunking rules: the chunks of the convolved axes set the work and memory per task
(about 3 × chunk + halo); prefer chunks of at least 8 × the kernel length; chunks of
the other axes pass through. ``same`` returns the input's chunks, ``full`` adds
``K − 1`` samples to the last chunk and ``valid`` takes them from the last chunks.
The input is rechunked only when ``strategy='halo'`` is forced on chunks narrower
than the halo (a :class:`ConvopRechunkWarning` says which axis and what to pass), or
for an operator without a chunked path (whole inputs per chunk). A Dask kernel is used
through its key (one chunk), never computed at call time.

Iterative solvers: ``Convolution.apply`` / ``adjoint`` and ``A @ v`` (a flattened
vector or an ``(n, k)`` matrix, reshaped lazily) are lazy on Dask arrays, also for
``Convolution(axes=)`` with one kernel per slice, so a Landweber or CG loop runs out of
core (:func:`landweber`, :func:`cgls`). ``Operator.aslinearoperator()`` needs NumPy
vectors (scipy's solvers would compute the Dask array into memory).
"""

from __future__ import annotations

from typing import Any

from convop._core import dispatch as _dispatch
from convop.dask._common import DASK_BOUNDARY, STRATEGIES, ConvopRechunkWarning, is_dask_array

__all__ = [
    "DASK_BOUNDARY",
    "STRATEGIES",
    "ConvopRechunkWarning",
    "apply",
    "cgls",
    "convolve",
    "correlate",
    "is_dask_array",
    "landweber",
]


class _Handler:
    """What :mod:`convop._core.dispatch` calls for Dask inputs (imports the chunked
    machinery, hence Dask, on first use only)."""

    def convolve(
        self,
        in1: Any,
        in2: Any,
        mode: str,
        *,
        boundary: str,
        axes: Any,
        method: str,
        correlate: bool,
    ) -> Any:
        from convop.dask import _chunked

        fn = _chunked.correlate if correlate else _chunked.convolve
        return fn(in1, in2, mode, boundary=boundary, axes=axes, method=method)

    def apply(self, op: Any, x: Any, adjoint: bool) -> Any:
        from convop.dask import _operator

        return _operator.apply(op, x, adjoint)


def convolve(in1: Any, in2: Any, mode: str = "full", **kwargs: Any) -> Any:
    """Lazy chunked convolution of a Dask array; see :func:`convop.dask._chunked.convolve`
    for the parameters (those of :func:`convop.convolve` plus ``strategy``).

    Examples
    --------
    >>> import numpy as np, dask.array as da
    >>> x = da.ones(8, chunks=3)
    >>> convolve(x, np.ones(5), "same", strategy="overlap-add").compute().tolist()
    [3.0, 4.0, 5.0, 5.0, 5.0, 5.0, 4.0, 3.0]
    """
    from convop.dask import _chunked

    return _chunked.convolve(in1, in2, mode, **kwargs)


def correlate(in1: Any, in2: Any, mode: str = "full", **kwargs: Any) -> Any:
    """Lazy chunked correlation of a Dask array (:func:`convop.correlate` semantics,
    plus ``strategy``; see :func:`convolve`)."""
    from convop.dask import _chunked

    return _chunked.correlate(in1, in2, mode, **kwargs)


def apply(op: Any, x: Any, adjoint: bool = False) -> Any:
    """``op.apply(x)`` / ``op.adjoint(x)`` of a Dask array (what ``op(x)`` does)."""
    from convop.dask import _operator

    return _operator.apply(op, x, adjoint)


from convop.dask._solvers import cgls, landweber  # noqa: E402

_dispatch.register("dask", _Handler())
