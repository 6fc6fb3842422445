"""Optional engine of the ``direct`` method: torch's native single-channel convolution
on NumPy data (zero-copy ``torch.from_numpy``), with torch doing the boundary padding.

Used only when the caller has imported torch (see :mod:`convop._torch_use`) and
only where it was measured faster than the NumPy paths on this machine (2 cores,
``convop bench`` and ``benchmarks/bench_convolve.py``):

* 2-D/3-D, kernels of at most 25 taps, at most ~280² outputs: 1.5–3× faster than
  shift-and-add; from 512² on it is 1.4–6.7× *slower*;
* 1-D: never by default. torch's conv1d looked 1.2–3× faster than ``numpy.convolve``
  for N = 1e4, K = 15–63, but with its two OpenMP threads on this machine the same
  call takes 50–70 µs in one process and 290–380 µs in the next (bimodal, stable within
  a process; one thread: a steady 60–90 µs), so it is not a dependable fast path.
  ``RULE_1D`` keeps the measured region for machines where it pays.
"""
from __future__ import annotations

from math import prod

import numpy as np

from . import _torch_use

__all__ = ["torch_valid"]

#: hand any real 2-D/3-D work to torch regardless of the limits below (tests)
USE_ALWAYS = False
MAX_TAPS_ND = 25
MAX_OUT_ND = 80_000                 # ~280², past the 256² full-mode outputs (258²)
#: 1-D: (min taps, max taps, min n, max n·k) per dtype (torch's call costs ~15 µs)
RULE_1D: dict[str, tuple[int, int, int, int]] = {}
#: e.g. {"f": (15, 63, 4000, 1_300_000), "d": (15, 31, 8000, 400_000)} where measured
MIN_TAPS_1D = 15
#: torch.nn.functional.pad modes of our boundaries ('symmetric' has none)
PAD_MODE = {"zero": "constant", "periodic": "circular", "reflect": "reflect",
            "replicate": "replicate"}
#: ...but torch's circular pad was measured 4x slower than its reflect pad (19 vs 5 µs
#: at 64²), slower than convop's own slicing copy: periodic is padded on the NumPy side
NUMPY_SIDE = frozenset({"periodic"})


def worth_it(na: tuple[int, ...], nb: tuple[int, ...], dtype: np.dtype) -> bool:
    """Whether torch's single-channel conv is the fastest direct engine for this shape."""
    nd = len(na)
    if USE_ALWAYS and nd in (2, 3):
        return True
    if nd == 1:
        rule = RULE_1D.get(dtype.char)
        return (rule is not None and rule[0] <= nb[0] <= rule[1] and na[0] >= rule[2]
                and na[0] * nb[0] <= rule[3])
    if nd not in (2, 3) or prod(nb) > MAX_TAPS_ND:
        return False
    return prod(p - q + 1 for p, q in zip(na, nb)) <= MAX_OUT_ND


_TORCH: tuple | None = None


def _torch() -> tuple:
    """(torch, conv1d/2d/3d, pad), looked up once."""
    global _TORCH
    if _TORCH is None:
        import torch
        import torch.nn.functional as F
        _TORCH = (torch, (F.conv1d, F.conv2d, F.conv3d), F.pad)
    return _TORCH


def torch_valid(a: np.ndarray, b: np.ndarray, nd: int,
                pads: tuple[tuple[int, int], ...] | None = None,
                boundary: str = "zero") -> np.ndarray | None:
    """``valid(E a, b)`` with ``E`` the extension by ``pads`` in ``boundary`` mode, by
    torch's conv; None where torch is not available, not measured faster, or cannot
    pad this way (then the caller uses its NumPy path)."""
    if (a.dtype != b.dtype or a.dtype.char not in "fd" or b.ndim > a.ndim
            or b.size != prod(b.shape[b.ndim - nd:])):
        return None
    na, nb = a.shape[a.ndim - nd:], b.shape[b.ndim - nd:]
    pads = pads or ((0, 0),) * nd
    ext = tuple(p + l + r for p, (l, r) in zip(na, pads))
    if any(q > e for q, e in zip(nb, ext)) or not worth_it(ext, nb, a.dtype):
        return None
    mode = PAD_MODE.get(boundary)
    if mode is None:
        return None
    limit = 1 if mode == "reflect" else 0      # torch: reflect pads < size, others <= size
    if mode != "constant" and any(max(l, r) > p - limit for p, (l, r) in zip(na, pads)):
        return None
    from ._backends import fast_pad
    if not _torch_use.available():
        return None
    torch, convs, pad = _torch()
    if boundary in NUMPY_SIDE:
        a, pads, mode = fast_pad(a, nd, pads, boundary), ((0, 0),) * nd, "constant"
        na = a.shape[a.ndim - nd:]
    if not (a.flags.c_contiguous and a.flags.writeable):
        a = np.array(a, order="C")           # torch.from_numpy needs writable memory
    x = torch.from_numpy(a.reshape((-1, 1) + na))
    w = torch.from_numpy(b.reshape(nb)[(slice(None, None, -1),) * nd].copy()
                         .reshape((1, 1) + nb))
    conv = convs[nd - 1]
    # tensors from NumPy never require grad: no autograd graph, no no_grad() needed
    if mode == "constant" and all(l == r for l, r in pads):
        y = conv(x, w, padding=tuple(l for l, _ in pads))           # torch pads itself
    else:
        flat = tuple(v for l, r in reversed(pads) for v in (l, r))  # last axis first
        y = conv(pad(x, flat, mode=mode), w)
    nout = tuple(e - q + 1 for e, q in zip(ext, nb))
    return y.numpy().reshape(a.shape[:a.ndim - nd] + nout)
