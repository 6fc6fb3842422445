"""Padding arguments (torch conventions) and boundary extension of torch tensors."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from convop._core.validate import NUMPY_PAD_MODE, padding_pairs

__all__ = ["pad", "pad_pairs"]

#: torch.nn.functional.pad mode of the boundaries F.pad implements itself
_TORCH_PAD_MODE = {"periodic": "circular", "reflect": "reflect", "replicate": "replicate"}


#: torch-style padding → (left, right) pairs: the same rules as ConvLayer
pad_pairs = padding_pairs


def _torch_can_pad(mode: str, sizes: Sequence[int], pads: Sequence[tuple[int, int]]) -> bool:
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
    sizes = x.shape[x.ndim - len(pads) :]
    mode = _TORCH_PAD_MODE.get(boundary)
    if mode is not None and _torch_can_pad(mode, sizes, pads):
        return F.pad(x, flat, mode=mode)
    np_mode = NUMPY_PAD_MODE[boundary]
    for ax, (n, (l, r)) in enumerate(zip(sizes, pads), start=x.ndim - len(pads)):
        if l or r:
            idx = np.pad(np.arange(n), (l, r), mode=np_mode)
            x = torch.index_select(x, ax, torch.as_tensor(idx, device=x.device))
    return x
