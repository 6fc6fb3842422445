"""Array helpers shared by every layer: result dtypes, flips, batch shapes."""

from __future__ import annotations

from functools import lru_cache
from math import prod
from typing import Any

import numpy as np

__all__ = [
    "as_torchable",
    "compute_dtype",
    "float_exact",
    "flip",
    "flip_conj",
    "kernel_count",
    "lead_shape",
    "result_dtype",
]


def result_dtype(a: np.ndarray, b: np.ndarray) -> np.dtype:
    """dtype of arithmetic between ``a`` and ``b``."""
    return np.result_type(a.dtype, b.dtype)


@lru_cache(maxsize=256)
def compute_dtype(*dtypes: np.dtype) -> np.dtype:
    """Floating dtype the arithmetic is done in: integers and bools in float64,
    float16 in float32, float32/complex64 stay single."""
    dt = np.result_type(*dtypes)
    if dt.kind in "biu":
        return np.dtype(np.float64)
    if dt == np.float16:
        return np.dtype(np.float32)
    return dt


def lead_shape(a: np.ndarray, b: np.ndarray, nd: int) -> tuple[int, ...]:
    """Broadcast shape of the leading (batch) axes of ``a`` and ``b``."""
    return np.broadcast_shapes(a.shape[: a.ndim - nd], b.shape[: b.ndim - nd])


def kernel_count(b: np.ndarray, nd: int) -> int:
    """Number of distinct kernels in ``b`` (the product of its leading axes)."""
    return prod(b.shape[: b.ndim - nd])


def flip(b: np.ndarray, nd: int) -> np.ndarray:
    """``b`` reversed along its trailing ``nd`` axes (a view)."""
    return b[(Ellipsis,) + (slice(None, None, -1),) * nd]


def flip_conj(b: np.ndarray, nd: int) -> np.ndarray:
    """``conj(flip(b))``: the kernel of the adjoint of a convolution, and the kernel a
    correlation convolves with."""
    out = flip(b, nd)
    return np.conj(out) if out.dtype.kind == "c" else out


def as_torchable(arr: np.ndarray) -> np.ndarray:
    """C-contiguous, writable and native byte order, as ``torch.from_numpy`` needs
    (it refuses negative strides and other byte orders and warns on read-only memory)."""
    if not arr.dtype.isnative:
        arr = arr.astype(arr.dtype.newbyteorder("="))
    arr = np.ascontiguousarray(arr)
    # numpy calls an array with a reversed length-1 axis C-contiguous, negative stride
    # and all; torch refuses any negative stride
    if not arr.flags.writeable or any(s < 0 for s in arr.strides):
        arr = arr.copy()
    return arr


def float_exact(a: Any, b: Any, da: np.dtype, db: np.dtype) -> bool:
    """True unless both inputs are integers whose products could exceed 2**52, where a
    float64 FFT would round (scipy's guard in ``choose_conv_method``); ``a``/``b`` None:
    magnitudes unknown, so integers count as inexact."""
    if da.kind in "fc" or db.kind in "fc":
        return True
    if a is None or b is None:
        return False
    a, b = np.asarray(a), np.asarray(b)
    if a.size == 0 or b.size == 0:
        return True
    bound = float(np.abs(a).max()) * float(np.abs(b).max()) * min(a.size, b.size)
    return bound < 2.0**52
