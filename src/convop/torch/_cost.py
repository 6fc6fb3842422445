"""Native-vs-FFT choice for ``method='auto'`` (torch side).

The package-wide calibrated model :func:`convop.choose_method` is asked first
(with the *padded* input shape, the weight shape and the layer spec); if it is
unavailable or fails, a small torch-specific model below decides. Both compare
predicted seconds; the choice is cached per shape by the callers.
"""

from __future__ import annotations

from functools import lru_cache
from math import log2, prod
from typing import Any

import numpy as np
import torch

from convop._core import caches
from convop._core.config import current
from convop._planning.choose import choose_method
from convop.torch._fft import good_size

__all__ = ["choose", "estimate"]

# seconds per unit of the fallback model, fitted once in float32 (conditions in
# benchmarks/results/NOTES.md): the choice only needs their ratios to hold
_NATIVE_OVERHEAD = 3e-5  # s per call
_NATIVE_PER_MAC = 2e-11  # s per multiply-add of F.conv*d (forward)
_NATIVE_PER_PAIR = 5e-10  # s per (output sample × in-channel × out-channel), any kernel
_NATIVE_BACKWARD = 3.5  # forward + backward ≈ this × forward
_FFT_OVERHEAD = 2e-4  # s per call (transforms, permutes, launches)
_FFT_PER_UNIT = 6e-10  # s per L·(log2 L + 1) unit of one real transform
_FFT_PER_CMAC = 1.5e-9  # s per complex multiply-add of the channel contraction
_FFT_BACKWARD = 2.0  # forward + backward ≈ this × forward


def estimate(
    batch: int,
    c_in: int,
    c_out: int,
    groups: int,
    size: tuple[int, ...],
    kernel: tuple[int, ...],
    stride: tuple[int, ...],
    dilation: tuple[int, ...],
    backward: bool = False,
) -> dict[str, float]:
    """Predicted seconds of ``native`` and ``fft`` (forward, or forward + backward).

    Examples
    --------
    >>> est = estimate(16, 32, 32, 1, (94, 94), (31, 31), (1, 1), (1, 1), backward=True)
    >>> est["fft"] < est["native"]
    True
    """
    span = tuple(d * (k - 1) + 1 for d, k in zip(dilation, kernel))
    out = tuple((n - e) // s + 1 for n, e, s in zip(size, span, stride))
    pairs = batch * c_out * (c_in // groups) * prod(out)
    native = _NATIVE_OVERHEAD + _NATIVE_PER_MAC * pairs * prod(kernel) + _NATIVE_PER_PAIR * pairs
    L = tuple(good_size(n) for n in size)
    P = prod(L)
    half = prod(L[:-1]) * (L[-1] // 2 + 1)
    transforms = batch * c_in + batch * c_out + c_out * (c_in // groups)
    fft = (
        _FFT_OVERHEAD
        + _FFT_PER_UNIT * transforms * P * (log2(max(P, 2)) + 1)
        + _FFT_PER_CMAC * batch * c_out * (c_in // groups) * half
    )
    if backward:
        native *= _NATIVE_BACKWARD
        fft *= _FFT_BACKWARD
    return {"native": native, "fft": fft}


def _package_choice(
    batch: int,
    c_in: int,
    c_out: int,
    groups: int,
    size: tuple[int, ...],
    kernel: tuple[int, ...],
    stride: tuple[int, ...],
    dilation: tuple[int, ...],
    dtype: torch.dtype,
) -> str | None:
    try:
        np_dtype = np.dtype(str(dtype).replace("torch.", ""))
        res = choose_method(
            _Shape((batch, c_in) + size, np_dtype),
            _Shape((c_out, c_in // groups) + kernel, np_dtype),
            channels=(c_in, c_out),
            groups=groups,
            stride=stride,
            dilation=dilation,
            padding=0,
        )
    except (TypeError, ValueError, KeyError, ImportError):  # spec not understood: use ours
        return None
    if res in ("direct", "gemm", "native"):
        return "native"
    if res == "fft":
        return "fft"
    return None


class _Shape:
    """A shape and a dtype (what :func:`convop.choose_method` reads from an array)."""

    __slots__ = ("dtype", "shape")

    def __init__(self, shape: tuple[int, ...], dtype: Any) -> None:
        self.shape, self.dtype = shape, dtype


def choose(
    batch: int,
    c_in: int,
    c_out: int,
    groups: int,
    size: tuple[int, ...],
    kernel: tuple[int, ...],
    stride: tuple[int, ...],
    dilation: tuple[int, ...],
    dtype: torch.dtype,
    device: str,
    backward: bool = False,
) -> str:
    """``'native'`` or ``'fft'`` for a convolution of an input padded to ``size``.

    Complex and integer dtypes always get ``native`` (the FFT path is real only).
    Memoised per shape and per options in effect.
    """
    return _choose(
        batch,
        c_in,
        c_out,
        groups,
        size,
        kernel,
        stride,
        dilation,
        dtype,
        device,
        backward,
        current(),
    )


@lru_cache(maxsize=4096)
def _choose(
    batch: int,
    c_in: int,
    c_out: int,
    groups: int,
    size: tuple[int, ...],
    kernel: tuple[int, ...],
    stride: tuple[int, ...],
    dilation: tuple[int, ...],
    dtype: torch.dtype,
    device: str,
    backward: bool,
    opts: Any,
) -> str:
    if dtype not in (torch.float16, torch.bfloat16, torch.float32, torch.float64):
        return "native"
    if prod(kernel) == 1:
        return "native"
    if opts.torch_cost == "package":
        res = _package_choice(
            batch,
            c_in,
            c_out,
            groups,
            size,
            kernel,
            stride,
            dilation,
            torch.float32 if dtype in (torch.float16, torch.bfloat16) else dtype,
        )
        if res is not None:
            return res
    est = estimate(batch, c_in, c_out, groups, size, kernel, stride, dilation, backward)
    return min(est, key=est.__getitem__)


caches.lru("torch layer choices", _choose)
