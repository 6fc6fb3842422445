"""One entry into the engines: ``valid(E a, b)`` for a resolved :class:`Plan`.

Every function convolves (true convolution) ``a`` with ``b`` along their last ``nd``
axes; the leading axes broadcast against each other (both arrays have the same
ndim). Arguments arrive validated and the method resolved; nothing is checked or
chosen here.

``conv(a, b, nd, plan, exts)`` is ``valid(E a, b)`` with ``E`` the boundary extension
``exts`` (:mod:`convop._core.extension`), computed without materialising ``E a`` where
possible: zero padding inside the FFT length or numpy's ``full`` mode, periodic
boundaries of the FFT methods as circular convolutions
(:mod:`convop._engines.periodic`), border-only recomputation for the 1-D direct method,
extension inside the block-Toeplitz copy for ``gemm``; otherwise one extended copy
(:func:`convop._core.extension.fast_pad`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from convop._core.arrays import kernel_count
from convop._core.extension import AxisExtension, extend, fast_pad
from convop._core.validate import NUMPY_PAD_MODE
from convop._engines.blocked import valid_blocked
from convop._engines.blocked_nd import valid_blocked_nd
from convop._engines.direct import direct_1d_border, direct_padded
from convop._engines.fft import crop, fft_padded, full_oa
from convop._engines.gemm import valid_gemm
from convop._engines.periodic import conv_periodic
from convop._engines.plan import Plan, as_plan
from convop._engines.torch_direct import torch_valid

__all__ = ["conv", "conv_boundary", "conv_zero", "full", "pad", "valid"]


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
    """``E a`` along the trailing ``len(exts)`` axes (one copy per boundary kind)."""
    if exts is None:
        return a
    d = len(exts)
    widths = [(0, 0)] * (a.ndim - d)
    modes = set()
    for e in exts:
        left, right = _widths(e)
        if left < 0 or right < 0:
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


def conv_zero(
    a: np.ndarray, b: np.ndarray, nd: int, plan: Plan | str, pads: tuple[tuple[int, int], ...]
) -> np.ndarray:
    """``valid(zero-pad(a, pads), b)``: the fast path of zero boundaries."""
    plan = as_plan(plan)
    method = plan.method
    if method == "fft":
        return fft_padded(a, b, nd, pads)
    if method == "direct":
        return direct_padded(a, b, nd, pads, plan)
    if method == "gemm":
        if nd == 1:
            return valid_blocked(a, b, pads[0])
        if kernel_count(b, nd) == 1:
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
    return crop(out, starts, sizes, out.dtype)


def conv_boundary(
    a: np.ndarray,
    b: np.ndarray,
    nd: int,
    plan: Plan | str,
    pads: tuple[tuple[int, int], ...],
    boundary: str,
) -> np.ndarray:
    """``valid(E a, b)`` with ``E`` the extension by ``pads`` samples in ``boundary`` mode."""
    plan = as_plan(plan)
    if boundary == "zero" or not any(l or r for l, r in pads):
        return conv_zero(a, b, nd, plan, pads)
    method = plan.method
    if plan.torch:
        plain = replace(plan, torch=False)
        out = torch_valid(
            a,
            b,
            nd,
            pads,
            boundary,
            fallback=lambda: conv_boundary(a, b, nd, plain, pads, boundary),
        )
        if out is not None:
            return out
    if method == "gemm" and (nd == 1 or kernel_count(b, nd) == 1):
        res = (
            valid_blocked(a, b, pads[0], boundary)
            if nd == 1
            else valid_blocked_nd(a, b, nd, pads, boundary)
        )
        if res is not None:
            return res
    if boundary == "periodic" and method in ("fft", "overlap-add"):
        # circular convolution: one FFT of the period, or the zero-boundary result
        # aliased; the direct method pays less for one extended copy
        return conv_periodic(a, b, nd, plan, pads, conv_zero)
    if method == "direct" and a.ndim == 1 and b.ndim == 1:
        res = direct_1d_border(a, b, pads[0], boundary, plan)
        if res is not None:
            return res
    return conv_zero(fast_pad(a, nd, pads, boundary), b, nd, plan, ((0, 0),) * nd)


def conv(
    a: np.ndarray,
    b: np.ndarray,
    nd: int,
    plan: Plan | str,
    exts: Sequence[AxisExtension] | None = None,
) -> np.ndarray:
    """``valid(E a, b)`` with ``E`` the extension ``exts`` (None: no extension)."""
    na = a.shape[a.ndim - nd :]
    pads = zero_pads(exts, na)
    if pads is not None:
        return conv_zero(a, b, nd, plan, pads)
    widths = [_widths(e) for e in exts]
    kinds = {e.boundary for e, w in zip(exts, widths) if any(w)}
    if len(kinds) == 1 and all(l >= 0 and r >= 0 for l, r in widths):
        return conv_boundary(a, b, nd, plan, tuple(widths), kinds.pop())
    return conv_zero(pad(a, exts), b, nd, plan, ((0, 0),) * nd)


def valid(a: np.ndarray, b: np.ndarray, nd: int, plan: Plan | str) -> np.ndarray:
    """``valid`` convolution over the trailing ``nd`` axes."""
    return conv(a, b, nd, plan)


def full(a: np.ndarray, b: np.ndarray, nd: int, plan: Plan | str) -> np.ndarray:
    """``full`` convolution over the trailing ``nd`` axes."""
    nb = b.shape[b.ndim - nd :]
    na = a.shape[a.ndim - nd :]
    exts = tuple(AxisExtension(p, q - 1, q - 1, "zero") for p, q in zip(na, nb))
    return conv(a, b, nd, plan, exts)
