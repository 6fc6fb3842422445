"""Memoised routes of plain :func:`convop.convolve` calls.

A call on two NumPy arrays of one floating dtype over all their axes is described by
its *call shape*: the two shapes, the dtype, ``mode``, ``boundary``, ``method`` and
whether torch may be used. The first call of a call shape validates the options,
asks the cost model for the method, works out the pads and the engine, and stores
one function ``route(a, b)``; later calls of that shape look it up and run it.
That replaces the dispatch by a dictionary lookup: dispatch is most of the time of a
1-D convolution of a thousand samples or of a 64² image with a 3×3 kernel.

Routes of 1-D calls (``k <= n``, real):

* ``numpy``: zero boundary, direct: the C loop behind :func:`numpy.convolve`, called
  without its Python wrapper;
* ``fixup``: non-zero boundary, up to ``SCALAR_FIXUP_TAPS`` taps: the zero-boundary
  result plus the few border terms that read extended samples, in scalar arithmetic
  from a plan made once (no extended copy);
* ``copy``: non-zero boundary, signals up to ``SMALL_1D_COPY`` samples: one extended
  copy and one valid convolution;
* ``border``: longer signals: the zero-boundary result with only the border windows
  recomputed (:func:`convop._engines.direct.direct_1d_border`);
* ``gemm``: block-Toeplitz matrix products (:mod:`convop._engines.blocked`).

N-D calls take ``torch`` (torch's single-channel conv with every shape-dependent step
resolved, :func:`convop._engines.torch_direct.torch_plan`) where the direct method runs on
torch, behind the contention guard (:func:`convop._engines.torch_direct.guarded`: the
method chosen without torch while torch's threads lose to one thread); otherwise
``general``: the backend dispatch with the method already chosen.
"""

from __future__ import annotations

from collections.abc import Callable
from math import prod
from typing import Any, cast

import numpy as np

from convop._core import caches
from convop._core import validate as _validate
from convop._core.config import current
from convop._core.extension import edges_1d, mode_pads
from convop._core.optional import torch_enabled
from convop._engines import dispatch
from convop._engines.blocked import valid_blocked
from convop._engines.direct import SMALL_1D_COPY, direct_1d_border
from convop._engines.plan import Plan
from convop._engines.torch_direct import guarded, torch_plan
from convop._planning.choose import resolve

try:  # the C loop of numpy.convolve (its Python wrapper is a sizeable part of a small call)
    from numpy._core.multiarray import correlate as _c_correlate
except ImportError:  # numpy < 2
    from numpy.core.multiarray import correlate as _c_correlate  # type: ignore[no-redef]
_np_correlate: Any = _c_correlate  # mode is a run-time string here, not a Literal

__all__ = ["batched_route", "route", "clear", "kind"]

Route = Callable[[np.ndarray, np.ndarray], np.ndarray]

#: kernels up to this length take the border corrections in scalar arithmetic
SCALAR_FIXUP_TAPS = 8
#: routes remembered at most (the table is emptied when full)
MAX_ROUTES = 4096

ROUTES: dict[tuple, Route | None] = {}


def clear() -> None:
    """Forget every route (the cost constants changed)."""
    ROUTES.clear()


caches.register("routes", clear, lambda: len(ROUTES))


def route(
    a: np.ndarray, b: np.ndarray, mode: object, boundary: object, method: object
) -> Route | None:
    """The route of ``convolve(a, b, mode, boundary=boundary, method=method)`` for
    arrays of these shapes and dtypes (built on first use); None: the call takes the
    general path (other dtypes, mixed dtypes, ``valid`` with neither input larger, or
    unhashable options, which the general path reports)."""
    key = (a.shape, b.shape, a.dtype, b.dtype, mode, boundary, method, torch_enabled(), current())
    try:
        return ROUTES[key]
    except KeyError:
        pass
    except TypeError:  # unhashable option: the general path names it
        return None
    got = _build(a, b, mode, boundary, method)
    if len(ROUTES) >= MAX_ROUTES:
        ROUTES.clear()
    ROUTES[key] = got
    return got


def batched_route(
    a: np.ndarray, b: np.ndarray, mode: object, boundary: object, method: object, axes: object
) -> Route | None:
    """The route of ``convolve(a, b, mode, ..., axes=axes)``: the plan, pads and axis
    moves of calls with ``axes`` (leading batch axes, a convolution over some axes)
    resolved once per call shape, as :func:`route` does for calls over every axis."""
    if isinstance(axes, list):
        axes = tuple(axes)
    key = ("axes", axes, a.shape, b.shape, a.dtype, b.dtype, mode, boundary, method,
           torch_enabled(), current())  # fmt: skip
    try:
        return ROUTES[key]
    except KeyError:
        pass
    except TypeError:
        return None
    got = _build_batched(a, b, mode, boundary, method, axes)
    if len(ROUTES) >= MAX_ROUTES:
        ROUTES.clear()
    ROUTES[key] = got
    return got


def _build_batched(
    a: np.ndarray, b: np.ndarray, mode: object, boundary: object, method: object, axes: object
) -> Route | None:
    dt = a.dtype
    if b.dtype != dt or dt.char not in "fdFD" or a.ndim != b.ndim or a.size == 0 or b.size == 0:
        return None
    if a.ndim == 0:
        return None
    mode = _validate.mode(mode)
    bnd = _validate.boundary(boundary)
    meth = _validate.method(method, _validate.METHODS)
    conv_axes = _validate.axes(axes, a.ndim)
    ndim, nd = a.ndim, len(conv_axes)
    for i in range(ndim):
        if i not in conv_axes and a.shape[i] != b.shape[i] and 1 not in (a.shape[i], b.shape[i]):
            return None  # the general path names the axis
    trailing = conv_axes == tuple(range(ndim - nd, ndim))
    dest = tuple(range(ndim - nd, ndim))
    na = tuple(a.shape[i] for i in conv_axes)
    nb = tuple(b.shape[i] for i in conv_axes)
    swap = False
    if mode == "valid":
        got = _validate.valid_swap(na, nb)
        if got is None:
            return None
        swap = got
        if swap:
            na, nb = nb, na
    pads = mode_pads(nb, mode)
    if not any(l or r for l, r in pads):
        bnd = "zero"
    batch = max(a.size // max(prod(a.shape[i] for i in conv_axes), 1),
                b.size // max(prod(b.shape[i] for i in conv_axes), 1))  # fmt: skip
    ext = tuple(p + l + r for p, (l, r) in zip(na, pads))
    plan = resolve(meth, ext, nb, batch, dt)
    rows = _rows_route(a, b, na, nb, mode, bnd, plan, trailing and not swap)
    if rows is not None:
        return rows

    def run(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        if not trailing:
            x = np.moveaxis(x, conv_axes, dest)
            y = np.moveaxis(y, conv_axes, dest)
        if swap:
            x, y = y, x
        out = dispatch.conv_boundary(x, y, nd, plan, pads, bnd)
        if not trailing:
            out = np.moveaxis(out, dest, conv_axes)
        return out.astype(dt, copy=False)

    return _named(run, "batched")


#: batched 1-D calls with up to this many rows run numpy's loop once per row (as the
#: direct engine does, :func:`convop._engines.direct.valid_direct`)
ROWS_MAX = 16


def _rows_route(
    a: np.ndarray,
    b: np.ndarray,
    na: tuple[int, ...],
    nb: tuple[int, ...],
    mode: str,
    bnd: str,
    plan: Plan,
    trailing: bool,
) -> Route | None:
    """The ``rows`` route of a batched 1-D call along the last axis with one kernel, zero
    boundary and the direct method: numpy's C loop per row of ``a``, no padded copy
    and no engine dispatch (3×50 with a 1×6 kernel: 13.5 µs through the engines, a
    few rows of numpy's loop take 1.5 µs each)."""
    if (
        len(na) != 1
        or not trailing
        or bnd != "zero"
        or plan.method != "direct"
        or plan.torch
        or plan.shift_add
        or a.dtype.char not in "fd"
        or any(n != 1 for n in b.shape[:-1])
        or na[0] < nb[0]
    ):
        return None
    nrows = prod(a.shape[:-1])
    if nrows > ROWS_MAX and nb[0] <= 64:
        return None
    nout = {"full": na[0] + nb[0] - 1, "same": na[0], "valid": na[0] - nb[0] + 1}[mode]
    shape = a.shape[:-1] + (nout,)

    def run(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        kf = y.reshape(-1)[::-1]
        out = np.empty(shape, x.dtype)
        flat, res = x.reshape(-1, x.shape[-1]), out.reshape(-1, nout)
        for i in range(flat.shape[0]):
            res[i] = _np_correlate(flat[i], kf, mode)
        return out

    return _named(run, "rows")


def kind(
    a: np.ndarray, b: np.ndarray, mode: str = "full", boundary: str = "zero", method: str = "auto"
) -> str:
    """Which route such a call takes (``'numpy'``, ``'fixup'``, ``'copy'``,
    ``'border'``, ``'gemm'``, ``'torch'``, ``'general'``; ``''`` for the general
    path without a route)."""
    got = route(a, b, mode, boundary, method)
    return "" if got is None else getattr(got, "kind", "general")


def _named(fn: Route, name: str) -> Route:
    fn.kind = name  # type: ignore[attr-defined]
    return fn


def _or_general(
    fn: Callable[[np.ndarray, np.ndarray], np.ndarray | None], general: Route, name: str
) -> Route:
    def run(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        out = fn(a, b)
        return general(a, b) if out is None else out

    return _named(run, name)


def _build(
    a: np.ndarray, b: np.ndarray, mode: object, boundary: object, method: object
) -> Route | None:
    dt = a.dtype
    if (
        b.dtype != dt
        or dt.char not in "fdFD"
        or a.ndim != b.ndim
        or a.ndim == 0
        or a.size == 0
        or b.size == 0
    ):
        return None
    mode = _validate.mode(mode)
    bnd = _validate.boundary(boundary)
    meth = _validate.method(method, _validate.METHODS)
    na, nb, nd = a.shape, b.shape, a.ndim
    swap: bool | None = False
    if mode == "valid":
        swap = _validate.valid_swap(na, nb)
        if swap is None:
            return None
        if swap:
            na, nb = nb, na
    pads = mode_pads(nb, mode)
    if not any(l or r for l, r in pads):
        bnd = "zero"
    ext = tuple(p + l + r for p, (l, r) in zip(na, pads))
    plan = resolve(meth, ext, nb, 1, dt)
    if nd == 1:
        fn = _route_1d(na, nb, dt, mode, bnd, pads, plan)
    else:
        # a torch route's one-thread fallback: the method chosen as if torch were not loaded
        plain = resolve(meth, ext, nb, 1, dt, torch=False) if plan.torch else plan
        fn = _route_nd(na, nb, dt, bnd, pads, plan, plain)
    if swap:
        return _named(lambda x, y: fn(y, x), getattr(fn, "kind", "general"))
    return fn


def _general(nd: int, plan: Plan, pads: tuple[tuple[int, int], ...], bnd: str) -> Route:
    def run(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return dispatch.conv_boundary(a, b, nd, plan, pads, bnd)

    return _named(run, "general")


def _route_nd(
    na: tuple[int, ...],
    nb: tuple[int, ...],
    dt: np.dtype,
    bnd: str,
    pads: tuple[tuple[int, int], ...],
    plan: Plan,
    plain: Plan,
) -> Route:
    if plan.torch:
        run = torch_plan(na, nb, dt, len(na), pads, bnd)
        if run is not None:
            # torch's conv only while its threads beat one thread (torch_direct.guarded)
            fallback = _general(len(na), plain, pads, bnd)
            key = ("torch_route", na, nb, dt.char, pads, bnd)
            return _named(guarded(run, fallback, key), "torch")
    return _general(len(na), plan, pads, bnd)


def _route_1d(
    na: tuple[int, ...],
    nb: tuple[int, ...],
    dt: np.dtype,
    mode: str,
    bnd: str,
    pads: tuple[tuple[int, int], ...],
    plan: Plan,
) -> Route:
    general = _general(1, plan, pads, bnd)
    (n,), (k,), (left, right) = na, nb, pads[0]
    if dt.char not in "fd" or k > n:
        return general
    if plan.method == "gemm":

        def gemm(a: np.ndarray, b: np.ndarray) -> np.ndarray | None:
            return valid_blocked(a, b, pads[0], bnd)

        return _or_general(gemm, general, "gemm")
    if plan.method != "direct" or plan.torch or plan.shift_add:
        return general
    if bnd == "zero":

        def numpy_route(a: np.ndarray, b: np.ndarray) -> np.ndarray:
            return _np_correlate(a, b[::-1], mode)

        return _named(numpy_route, "numpy")
    if n <= SMALL_1D_COPY and k > 3 and edges_1d(np.empty(n, dt), left, right, bnd):
        # one extended copy and one call beat numpy's 'same' plus border terms here
        def copy(a: np.ndarray, b: np.ndarray) -> np.ndarray:
            lo, hi = cast(tuple[np.ndarray, np.ndarray], edges_1d(a, left, right, bnd))
            return _np_correlate(np.concatenate((lo, a, hi)), b[::-1], "valid")

        return _named(copy, "copy")
    fixup = fixup_route(n, k, mode, bnd) if k <= SCALAR_FIXUP_TAPS else None
    if fixup is not None:
        return fixup

    def border(a: np.ndarray, b: np.ndarray) -> np.ndarray | None:
        return direct_1d_border(a, b, pads[0], bnd, plan)

    return _or_general(border, general, "border")


def _edge_index(n: int, left: int, boundary: str) -> tuple[int, int, int, int]:
    """``(l0, ls, r0, rs)``: the extension samples of a 1-D signal of length ``n``
    (``left`` of them on the left) are ``E[m] = a[l0 + ls·m]`` for ``m < left`` and
    ``E[left + n + t] = a[r0 + rs·t]``, while no reflection repeats."""
    if boundary == "periodic":
        return n - left, 1, 0, 1
    if boundary == "reflect":
        return left, -1, n - 2, -1
    if boundary == "symmetric":
        return left - 1, -1, n - 1, -1
    return 0, 0, n - 1, 0  # replicate


def fixup_route(n: int, k: int, mode: str, boundary: str) -> Route | None:
    """The ``fixup`` route of a 1-D ``full``/``same`` convolution with a non-zero
    boundary (``k <= n``): numpy's zero-boundary result plus the border terms of
    :func:`fixup_terms`; None when the extension needs repeated reflections."""
    terms = fixup_terms(n, k, mode, boundary)
    if terms is None:
        return None
    triples = tuple((i, j, m) for i, pairs in terms for j, m in pairs)
    if len(triples) <= 4:
        # a 3-tap kernel in 'same' mode has one missing term a side: two scalar
        # updates, cheaper than the accumulating loop below
        def few(a: np.ndarray, b: np.ndarray) -> np.ndarray:
            out = _np_correlate(a, b[::-1], mode)
            for i, j, m in triples:
                out[i] += b[j] * a[m]
            return out

        return _named(few, "fixup")

    def fixup(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        out = _np_correlate(a, b[::-1], mode)
        bl, item = b.tolist(), a.item
        for i, pairs in terms:
            acc = 0.0
            for j, m in pairs:
                acc += bl[j] * item(m)
            out[i] += acc
        return out

    return _named(fixup, "fixup")


def fixup_terms(n: int, k: int, mode: str, boundary: str) -> tuple | None:
    """The border terms numpy's zero-boundary ``full``/``same`` result misses:
    ``((output index, ((tap, source index), ...)), ...)``; None when the extension
    needs repeated reflections."""
    ((left, right),) = mode_pads((k,), mode)
    if left > n - 1 or right > n - 1 or boundary == "zero":
        return None
    l0, ls, r0, rs = _edge_index(n, left, boundary)
    size = n + left + right - k + 1
    # out[i] = Σ_j b[j]·E[i + k − 1 − j]; only the terms reading outside a are missing
    terms = [
        (i, tuple((j, l0 + ls * (i + k - 1 - j)) for j in range(i + k - left, k)))
        for i in range(left)
    ]
    terms += [
        (i, tuple((j, r0 + rs * (i + k - 1 - left - n - j)) for j in range(i + k - left - n)))
        for i in range(size - right, size)
    ]
    return tuple(t for t in terms if t[1])
