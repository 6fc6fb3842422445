"""Padding arguments (torch conventions) and boundary extension of torch tensors."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from .._errors import ConvopTypeError, ConvopValueError, invalid
from .._validate import NUMPY_PAD_MODE

__all__ = ["pad", "pad_pairs"]

#: torch.nn.functional.pad mode of the boundaries F.pad implements itself
_TORCH_PAD_MODE = {"periodic": "circular", "reflect": "reflect", "replicate": "replicate"}


def pad_pairs(value: Any, kernel: Sequence[int], dilation: Sequence[int],
              stride: Sequence[int]) -> tuple[tuple[int, int], ...]:
    """``padding`` as torch accepts it → one ``(left, right)`` pair per spatial axis.

    An int or one int per axis pads both sides; ``(left, right)`` pairs are also
    accepted; ``'same'`` pads ``d·(k−1)`` in total with the odd sample on the right
    (stride 1 only), ``'valid'`` pads nothing.
    """
    d = len(kernel)
    if isinstance(value, str):
        if value == "valid":
            return ((0, 0),) * d
        if value == "same":
            if any(s != 1 for s in stride):
                raise ConvopValueError(
                    f"padding='same' is only defined for stride 1; got stride={tuple(stride)}")
            tot = [dl * (k - 1) for dl, k in zip(dilation, kernel)]
            return tuple((t // 2, t - t // 2) for t in tot)
        raise invalid("padding", value, "an int, a tuple of ints or (left, right) pairs, "
                      "'same' or 'valid'")
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        value = (int(value),) * d
    try:
        items = list(value)
    except TypeError:
        raise ConvopTypeError(
            f"padding must be an int, a tuple, 'same' or 'valid'; got {value!r}") from None
    if len(items) != d:
        raise invalid("padding", value, f"an int or {d} entries (one per spatial axis)")
    out = []
    for p in items:
        pair = (p, p) if isinstance(p, (int, np.integer)) else tuple(p)
        if (len(pair) != 2 or any(isinstance(q, bool) or not isinstance(q, (int, np.integer))
                                  or q < 0 for q in pair)):
            raise invalid("padding", value, "non-negative ints or (left, right) pairs")
        out.append((int(pair[0]), int(pair[1])))
    return tuple(out)


def _torch_can_pad(mode: str, sizes: Sequence[int],
                   pads: Sequence[tuple[int, int]]) -> bool:
    if mode == "replicate":
        return len(sizes) <= 3
    if mode == "circular":
        return all(l <= n and r <= n for n, (l, r) in zip(sizes, pads))
    if mode == "reflect":
        return len(sizes) <= 3 and all(l < n and r < n for n, (l, r) in zip(sizes, pads))
    return False


def pad(x: torch.Tensor, pads: Sequence[tuple[int, int]], boundary: str) -> torch.Tensor:
    """Extend the trailing ``len(pads)`` axes of a batched ``x`` by ``boundary``.

    Same values as ``numpy.pad`` with the boundary's mode (so pads wider than the
    input are allowed for every boundary); differentiable. ``F.pad`` is used where
    torch implements the mode, an index gather otherwise (``symmetric``, wide pads).
    """
    if not any(l or r for l, r in pads):
        return x
    flat = [q for lr in reversed(pads) for q in lr]
    if boundary == "zero":
        return F.pad(x, flat)
    sizes = x.shape[x.ndim - len(pads):]
    mode = _TORCH_PAD_MODE.get(boundary)
    if mode is not None and _torch_can_pad(mode, sizes, pads):
        return F.pad(x, flat, mode=mode)
    np_mode = NUMPY_PAD_MODE[boundary]
    for ax, (n, (l, r)) in enumerate(zip(sizes, pads), start=x.ndim - len(pads)):
        if l or r:
            idx = np.pad(np.arange(n), (l, r), mode=np_mode)
            x = torch.index_select(x, ax, torch.as_tensor(idx, device=x.device))
    return x
