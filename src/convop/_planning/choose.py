"""Method choice: :func:`resolve` turns a requested method into the engines'
:class:`~convop._engines.plan.Plan` for one call shape, by the cost model of
:mod:`convop._planning.cost`; :func:`choose_method` is its public face.
"""

from __future__ import annotations

from functools import lru_cache
from math import prod
from typing import Any

import numpy as np

from convop._core import caches
from convop._core import validate as _validate
from convop._core.arrays import compute_dtype, float_exact
from convop._core.config import Options, current
from convop._core.errors import ConvopValueError, invalid
from convop._core.extension import extended_shape
from convop._core.optional import torch_enabled
from convop._engines.plan import Plan
from convop._planning.cost import costs, shift_add_1d, torch_direct_pays
from convop._planning.layer import layer_plan

__all__ = ["choose_method", "plan", "resolve"]


def _cheapest(
    na: tuple[int, ...],
    nb: tuple[int, ...],
    batch: int,
    dtype: np.dtype,
    torch: bool,
    opts: Options,
) -> str:
    if torch and batch == 1 and torch_direct_pays(na, nb, always=opts.direct_engine == "torch"):
        return "direct"  # torch's own conv
    est = costs(na, nb, batch, dtype, torch)
    return min(est, key=est.__getitem__)


@lru_cache(maxsize=1024)
def _resolve(
    method: str,
    na: tuple[int, ...],
    nb: tuple[int, ...],
    batch: int,
    dtype: np.dtype,
    torch: bool,
    opts: Options,
) -> Plan:
    if method == "auto":
        method = _cheapest(na, nb, batch, dtype, torch, opts)
    if method != "direct":
        return Plan(method)
    use_torch = (
        torch
        and dtype.char in "fd"
        and torch_direct_pays(na, nb, always=opts.direct_engine == "torch")
    )
    sa = (
        len(na) == 1
        and not use_torch
        and na[0] >= nb[0]
        and shift_add_1d(na[0] - nb[0] + 1, nb[0], dtype)
    )
    return Plan("direct", shift_add=sa, torch=use_torch)


caches.lru("plans", _resolve)


def resolve(
    method: str,
    na: tuple[int, ...],
    nb: tuple[int, ...],
    batch: int,
    dtype: Any,
    torch: bool | None = None,
) -> Plan:
    """The :class:`Plan` of ``valid`` of an (extended) ``na`` input with an ``nb`` kernel,
    ``batch`` independent signals, for ``method`` (``'auto'`` or a method name) in the
    options in effect; ``torch=False``: the plan as if torch were not loaded (the
    fallback of a torch route while cores are busy)."""
    use = torch_enabled() if torch is None else torch and torch_enabled()
    return _resolve(method, tuple(na), tuple(nb), int(batch), np.dtype(dtype), use, current())


def plan(na: tuple[int, ...], nb: tuple[int, ...], batch: int, dtype: Any) -> str:
    """Fastest predicted method for ``valid`` of ``na`` (extended) with ``nb``."""
    return resolve("auto", na, nb, batch, dtype).method


def _shape_dtype(value: Any, name: str) -> tuple[tuple[int, ...], np.dtype, Any]:
    if isinstance(value, np.ndarray):
        return value.shape, value.dtype, value
    if hasattr(value, "shape") and hasattr(value, "dtype"):  # a tensor or a shape record
        # magnitudes unknown (None): integer data then count as unsafe for the FFT
        return tuple(value.shape), np.dtype(str(value.dtype).replace("torch.", "")), None
    if isinstance(value, tuple) and all(isinstance(v, (int, np.integer)) for v in value):
        return tuple(int(v) for v in value), np.dtype(np.float64), None
    arr = np.asarray(value)
    if arr.dtype.kind not in "biufc":
        raise invalid(name, value, "an array or a shape tuple")
    return arr.shape, arr.dtype, arr


_SPEC = frozenset({"boundary", "axes", "stride", "dilation", "groups", "channels", "padding"})


def choose_method(in1: Any, in2: Any, mode: str = "full", **spec: Any) -> str:
    """The method ``method='auto'`` uses for this convolution on this machine.

    Parameters
    ----------
    in1, in2 : array_like or tuple of int
        Signal and kernel (arrays, or their shapes for float64). For a layer
        (``channels`` given): ``in1`` is the input ``([N,] C_in, *spatial)`` and
        ``in2`` the weight ``(C_out, C_in/groups, *kernel)`` or the kernel shape.
    mode : {'full', 'same', 'valid'}
        As :func:`convop.convolve` (layers: ignored, use ``padding`` in ``stride``…).
    **spec
        ``boundary``, ``axes`` (functional); ``stride``, ``dilation``, ``groups``,
        ``channels`` (an int or ``(C_in, C_out)``) and ``padding`` (int per side)
        for layers.

    Returns
    -------
    str
        ``'direct'``, ``'fft'`` or ``'overlap-add'`` (functional; also ``'gemm'`` in
        1-D, the block-Toeplitz matrix product), ``'direct'``, ``'gemm'`` or ``'fft'``
        (layers).

    Raises
    ------
    ValueError
        Unknown ``mode`` or spec key.

    Notes
    -----
    Integer inputs whose products could exceed 2**52 always get ``'direct'`` (an
    FFT in float64 could round them), as :func:`scipy.signal.choose_conv_method`.
    The model's constants come from ``convop calibrate`` when it has been run.

    Examples
    --------
    >>> import numpy as np, convop
    >>> convop.choose_method(np.ones(1000), np.ones(3))
    'direct'
    >>> convop.choose_method(np.ones(10**6), np.ones(3001)) in ("fft", "overlap-add")
    True
    >>> convop.choose_method((8, 32, 64, 64), (32, 32, 31, 31), channels=32, padding=15)
    'fft'
    """
    if spec and not _SPEC.issuperset(spec):
        raise invalid("spec", sorted(set(spec) - _SPEC)[0], sorted(_SPEC))
    mode = _validate.mode(mode)
    sa, da, a = _shape_dtype(in1, "in1")
    sb, db, b = _shape_dtype(in2, "in2")
    if not float_exact(a, b, da, db):
        return "direct"
    dtype = compute_dtype(da, db)
    if spec.get("channels") is not None:
        return layer_plan(sa, sb, dtype, **spec)
    if len(sa) != len(sb):
        raise ConvopValueError(
            f"in1 and in2 must have the same number of dimensions; got {sa} and {sb}"
        )
    axes = spec.get("axes")
    if axes is None:
        na, nb, batch = sa, sb, 1
    else:
        nd_axes = (axes,) if isinstance(axes, (int, np.integer)) else tuple(axes)
        nd_axes = tuple(int(x) % max(len(sa), 1) for x in nd_axes)
        na = tuple(sa[i] for i in nd_axes)
        nb = tuple(sb[i] for i in nd_axes)
        batch = prod(max(sa[i], sb[i]) for i in range(len(sa)) if i not in nd_axes)
    if mode == "valid":
        if _validate.valid_swap(na, nb):
            na, nb = nb, na
        return plan(na, nb, batch, dtype)
    return plan(extended_shape(na, nb, mode), nb, batch, dtype)
