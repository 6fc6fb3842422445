"""Boundary extension E (pad the trailing axes) and its exact adjoint Eᴴ.

Every boundary is defined by :func:`numpy.pad` in the matching mode. Along one
axis of length ``n`` an extension is an index map ``idx`` (``-1`` for a zero
sample): ``(E x)[m] = x[idx[m]]``. Its adjoint scatters back:
``(Eᴴ y)[i] = sum_{m : idx[m] = i} y[m]`` — for periodic boundaries this folds the
wrapped samples onto the ones they copy, for reflect/symmetric/replicate it adds
the mirrored samples to their sources.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from math import prod
from typing import Any, cast

import numpy as np
import scipy.sparse as sp

from convop._core.validate import NUMPY_PAD_MODE


def mode_pads(kshape: Sequence[int], mode: str) -> tuple[tuple[int, int], ...]:
    """``(left, right)`` extension per axis of scipy's ``full`` (K − 1 a side), ``same``
    (the centre of ``full``: the odd sample on the left) and ``valid`` (none)."""
    if mode == "full":
        return tuple((q - 1, q - 1) for q in kshape)
    if mode == "same":
        return tuple((q - 1 - (q - 1) // 2, (q - 1) // 2) for q in kshape)
    return ((0, 0),) * len(kshape)


@dataclass(frozen=True)
class AxisExtension:
    """Extension of one axis of length ``n``: keep ``padded[start:start+length]`` of
    ``numpy.pad(x, (left, right), mode)``."""

    n: int
    left: int
    right: int
    boundary: str
    start: int = 0
    length: int = -1  # -1: everything

    @property
    def size(self) -> int:
        return self.n + self.left + self.right if self.length < 0 else self.length

    @cached_property
    def index(self) -> np.ndarray:
        """Source index of every extended sample (-1 where the sample is zero)."""
        if self.boundary == "zero":
            idx = np.pad(np.arange(self.n), (self.left, self.right), constant_values=-1)
        else:
            idx = np.pad(
                np.arange(self.n), (self.left, self.right), mode=NUMPY_PAD_MODE[self.boundary]
            )
        return idx[self.start : self.start + self.size]

    @property
    def is_identity(self) -> bool:
        return self.size == self.n and bool(np.array_equal(self.index, np.arange(self.n)))

    @cached_property
    def interior(self) -> tuple[int, int] | None:
        """``(offset, n)`` when ``x`` appears unchanged at ``offset`` in the extension."""
        idx = self.index
        hits = np.flatnonzero(idx == 0)
        for off in hits:
            if off + self.n <= idx.size and np.array_equal(
                idx[off : off + self.n], np.arange(self.n)
            ):
                return int(off), self.n
        return None

    def matrix(self) -> sp.csr_matrix:
        """The (size × n) 0/1 matrix of the extension."""
        idx = self.index
        rows = np.flatnonzero(idx >= 0)
        return sp.csr_matrix((np.ones(rows.size), (rows, idx[rows])), shape=(idx.size, self.n))


def _zero_pads(ext: AxisExtension) -> tuple[int, int] | None:
    """(left, right) zero padding when the extension is plain zero padding."""
    inter = ext.interior
    if ext.boundary != "zero" or inter is None:
        return None
    off, n = inter
    return off, ext.size - off - n


def extend(x: np.ndarray, exts: tuple[AxisExtension, ...]) -> np.ndarray:
    """Apply E along the trailing ``len(exts)`` axes of ``x``."""
    d = len(exts)
    if all(e.is_identity for e in exts):
        return x
    pads = [_zero_pads(e) for e in exts]
    if all(p is not None for p in pads):
        width = [(0, 0)] * (x.ndim - d) + cast(list[tuple[int, int]], pads)
        return np.pad(x, width)
    out = x
    for k, e in enumerate(exts):
        if e.is_identity:
            continue
        axis = x.ndim - d + k
        idx = e.index
        if e.boundary == "zero":
            taken = np.take(out, np.maximum(idx, 0), axis=axis)
            mask_shape = [1] * out.ndim
            mask_shape[axis] = idx.size
            out = taken * (idx >= 0).reshape(mask_shape).astype(out.dtype)
        else:
            out = np.take(out, idx, axis=axis)
    return out


def extend_adjoint(y: np.ndarray, exts: tuple[AxisExtension, ...]) -> np.ndarray:
    """Apply Eᴴ along the trailing ``len(exts)`` axes of ``y`` (E is real: Eᴴ = Eᵀ)."""
    d = len(exts)
    out = y
    for k, e in enumerate(exts):
        if e.is_identity:
            continue
        axis = y.ndim - d + k
        moved = np.moveaxis(out, axis, 0)
        inter = e.interior
        idx = e.index
        if inter is not None:
            off, n = inter
            acc = moved[off : off + n].copy()
            rest = np.r_[0:off, off + n : idx.size]
            rest = rest[idx[rest] >= 0]
        else:
            acc = np.zeros((e.n,) + moved.shape[1:], dtype=moved.dtype)
            rest = np.flatnonzero(idx >= 0)
        if rest.size:
            scatter = sp.csr_matrix(
                (np.ones(rest.size, dtype=np.int8), (idx[rest], np.arange(rest.size))),
                shape=(e.n, rest.size),
            )
            flat = moved[rest].reshape(rest.size, -1)
            acc += (scatter @ flat).reshape(acc.shape).astype(acc.dtype, copy=False)
        out = np.moveaxis(acc, 0, axis)
    return out


def extension_matrix(exts: tuple[AxisExtension, ...]) -> sp.csr_matrix:
    """Kronecker product of the per-axis matrices (C order), shape (prod sizes, prod n)."""
    mat = sp.csr_matrix(np.ones((1, 1)))
    for e in exts:
        mat = sp.kron(mat, e.matrix(), format="csr")
    return mat


def full_extensions(
    shape: tuple[int, ...], kshape: tuple[int, ...], boundary: str, mode: str
) -> tuple[AxisExtension, ...]:
    """Extensions that turn ``full``/``same`` convolution into ``valid`` convolution.

    ``full``: extend by k−1 on both sides. ``same``: the part of that extension read
    by the outputs scipy keeps from ``full`` (start ``(k−1)//2``).
    """
    exts = []
    for n, k in zip(shape, kshape):
        if mode == "full":
            exts.append(AxisExtension(n, k - 1, k - 1, boundary))
        elif mode == "same":
            exts.append(
                AxisExtension(n, k - 1, k - 1, boundary, start=(k - 1) // 2, length=n + k - 1)
            )
        else:
            exts.append(AxisExtension(n, 0, 0, boundary))
    return tuple(exts)


def padded_size(exts: tuple[AxisExtension, ...]) -> int:
    return prod(e.size for e in exts)


def edges_1d(
    a: np.ndarray, left: int, right: int, boundary: str
) -> tuple[np.ndarray, np.ndarray] | None:
    """:func:`edge_samples` of a 1-D array, with the least Python (microsecond calls)."""
    n = a.shape[0]
    if boundary == "periodic":
        if left > n or right > n:
            return None
        return a[n - left :], a[:right]
    if boundary == "reflect":
        if left > n - 1 or right > n - 1:
            return None
        return a[left:0:-1], a[::-1][1 : right + 1]
    if boundary == "symmetric":
        if left > n or right > n:
            return None
        return a[:left][::-1], a[::-1][:right]
    if boundary == "replicate":
        return a[:1].repeat(left), a[n - 1 :].repeat(right)  # less overhead than np.full
    return np.zeros(left, a.dtype), np.zeros(right, a.dtype)


def edge_samples(
    a: np.ndarray, axis: int, left: int, right: int, boundary: str
) -> tuple[np.ndarray, np.ndarray] | None:
    """The ``left``/``right`` extension samples of ``a`` along ``axis``: views of ``a``
    (:func:`_edge_slices`), repeated edges or zeros; None when the widths need
    numpy.pad's repeated reflections."""
    index = _edge_indices(a.ndim, axis % a.ndim, a.shape[axis], left, right, boundary)
    if index is None:
        return None
    if boundary == "zero":
        shape_l, shape_r = list(a.shape), list(a.shape)
        shape_l[axis], shape_r[axis] = left, right
        return np.zeros(shape_l, a.dtype), np.zeros(shape_r, a.dtype)
    lo, hi = a[index[0]], a[index[1]]
    if boundary == "replicate":  # np.repeat: np.broadcast_to's per-call overhead dominates
        return lo.repeat(left, axis), hi.repeat(right, axis)
    return lo, hi


@lru_cache(maxsize=1024)
def _edge_indices(
    ndim: int, axis: int, n: int, left: int, right: int, boundary: str
) -> tuple[tuple, tuple] | None:
    """:func:`_edge_slices` moved to the signal's own coordinates, as indices of an
    ``ndim``-dimensional array along ``axis`` (built once per shape: edge samples are
    taken on microsecond paths)."""
    edges = _edge_slices(n, left, right, boundary)
    if edges is None:
        return None
    out = []
    for src in edges:
        idx = [slice(None)] * ndim
        if src is not None:
            stop = None if src.stop is None else src.stop - left
            if src.step == -1 and stop is not None and stop < 0:
                stop = None  # a reversed slice down to (and including) 0
            idx[axis] = slice(src.start - left, stop, src.step)
        out.append(tuple(idx))
    return out[0], out[1]


def _edge_slices(
    n: int, left: int, right: int, boundary: str
) -> tuple[slice | None, slice | None] | None:
    """Source slices, in extended coordinates (the signal at ``left … left + n``), of
    the left and right extension samples (None: zeros); None when the widths need
    repeated reflections or wraps."""
    if boundary == "zero":
        return None, None
    end = left + n
    if boundary == "replicate":  # broadcast the edge sample
        return slice(left, left + 1), slice(end - 1, end)
    lim = n - 1 if boundary == "reflect" else n
    if left > lim or right > lim:
        return None

    def down(start: int, count: int) -> slice:  # start, start − 1, … (count samples)
        stop = start - count
        return slice(start, stop if stop >= 0 else None, -1) if count else slice(0, 0)

    if boundary == "periodic":
        return slice(n, end), slice(left, left + right)
    if boundary == "reflect":
        return down(2 * left, left), down(end - 2, right)
    return down(2 * left - 1, left), down(end - 1, right)  # symmetric


@lru_cache(maxsize=1024)
def _pad_plan(
    shape: tuple[int, ...], pads: tuple[tuple[int, int], ...], boundary: str
) -> tuple[tuple[int, ...], tuple, tuple] | None:
    """``(extended shape, interior index, ((destination, source or None), ...))``
    over the trailing axes; None when a width needs repeated reflections."""
    maybe = [_edge_slices(n, l, r, boundary) for n, (l, r) in zip(shape, pads)]
    if any(e is None for e in maybe):
        return None
    edges = cast(list[Any], maybe)
    ext = tuple(n + l + r for n, (l, r) in zip(shape, pads))
    inner = [slice(l, l + n) for n, (l, _) in zip(shape, pads)]
    fills = []
    for k, ((left, right), (src_l, src_r)) in enumerate(zip(pads, edges)):
        done = (Ellipsis,) + (slice(None),) * k  # axes already extended: all of them
        rest = tuple(inner[k + 1 :])  # axes still to extend: interior only
        for width, dst, src in (
            (left, slice(0, left), src_l),
            (right, slice(ext[k] - right, ext[k]), src_r),
        ):
            if width:
                fills.append((done + (dst,) + rest, None if src is None else done + (src,) + rest))
    return ext, (Ellipsis, *inner), tuple(fills)


def pad_into(
    out: np.ndarray, a: np.ndarray, nd: int, pads: Sequence[tuple[int, int]], boundary: str
) -> bool:
    """Write ``E a`` (the trailing ``nd`` axes extended by ``pads`` in ``boundary``
    mode) into ``out``, which has the extended shape: one copy of ``a``, then each
    axis fills its two border slabs from the samples already in place, over the full
    extent of the axes extended before it, so corners come out as numpy.pad's.
    False (nothing written) when a width needs repeated reflections."""
    plan = _pad_plan(a.shape[a.ndim - nd :], tuple(map(tuple, pads)), boundary)
    if plan is None:
        return False
    _fill(out, a, plan)
    return True


def _fill(out: np.ndarray, a: np.ndarray, plan: tuple) -> None:
    _, inner, fills = plan
    out[inner] = a
    for dst, src in fills:
        out[dst] = 0 if src is None else out[src]


def fast_pad(a: np.ndarray, nd: int, pads: Sequence[tuple[int, int]], boundary: str) -> np.ndarray:
    """``E a``: the trailing ``nd`` axes extended by ``pads`` samples in ``boundary``
    mode, as :func:`numpy.pad` (which it falls back to for widths beyond one
    reflection); ``a`` itself when nothing is padded."""
    pads = tuple((int(l), int(r)) for l, r in pads)
    if not any(l or r for l, r in pads):
        return a
    plan = _pad_plan(a.shape[a.ndim - nd :], pads, boundary)
    if plan is None:
        width = [(0, 0)] * (a.ndim - nd) + list(pads)
        return np.pad(a, width, mode=NUMPY_PAD_MODE[boundary])
    out = np.empty(a.shape[: a.ndim - nd] + plan[0], dtype=a.dtype)
    _fill(out, a, plan)
    return out


def extended_shape(shape: Sequence[int], kshape: Sequence[int], mode: str) -> tuple[int, ...]:
    """Shape of the input extended for ``mode`` (:func:`mode_pads`): the ``valid``
    convolution of that with the kernel is the ``mode`` result."""
    return tuple(n + l + r for n, (l, r) in zip(shape, mode_pads(kshape, mode)))
