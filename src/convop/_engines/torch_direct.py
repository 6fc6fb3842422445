"""Optional engine of the ``direct`` method: torch's native single-channel convolution
on NumPy data (zero-copy ``torch.from_numpy``); torch pads zero boundaries itself,
the others are one NumPy gather.

Used only when the caller has imported torch (see :mod:`convop._core.optional`) and
only where it was measured faster than the NumPy paths on this machine (2 cores,
``convop bench`` and ``benchmarks/bench_convolve.py``):

* 2-D/3-D, kernels of at most 9 taps (3×3), at most ~140² outputs: at 64², 3×3
  it takes 30–60 µs where the block-Toeplitz products take 90–150 µs and the FFT
  150–260 µs; at 128² they tie, and at 256² the block-Toeplitz form is faster
  (400–550 vs 560–1000 µs in float32). 5×5 kernels take torch off its fast path
  (float32 64²: 0.4–1.5 ms, against 0.12–0.3 ms for the block-Toeplitz form);
* 1-D: never by default. torch's conv1d looked 1.2–3× faster than ``numpy.convolve``
  for N = 1e4, K = 15–63, but with its two OpenMP threads on this machine the same
  call takes 50–70 µs in one process and 290–380 µs in the next (bimodal, stable within
  a process; one thread: a steady 60–90 µs), so it is not a dependable fast path.
  ``RULE_1D`` keeps the measured region for machines where it pays.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from math import prod

import numpy as np

from convop._core import optional as _torch_use
from convop._core.extension import AxisExtension

__all__ = ["torch_plan", "torch_valid"]

#: hand any real 2-D/3-D work to torch regardless of the limits below (tests)
USE_ALWAYS = False
MAX_TAPS_ND = 9
MAX_OUT_ND = 20_000  # ~140²
#: 1-D: (min taps, max taps, min n, max n·k) per dtype (torch's call costs ~15 µs)
RULE_1D: dict[str, tuple[int, int, int, int]] = {}
#: e.g. {"f": (15, 63, 4000, 1_300_000), "d": (15, 31, 8000, 400_000)} where measured
MIN_TAPS_1D = 15


def worth_it(na: tuple[int, ...], nb: tuple[int, ...], dtype: np.dtype) -> bool:
    """Whether torch's single-channel conv is the fastest direct engine for this shape."""
    nd = len(na)
    if USE_ALWAYS and nd in (2, 3):
        return True
    if nd == 1:
        rule = RULE_1D.get(dtype.char)
        return (
            rule is not None
            and rule[0] <= nb[0] <= rule[1]
            and na[0] >= rule[2]
            and na[0] * nb[0] <= rule[3]
        )
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


def torch_valid(
    a: np.ndarray,
    b: np.ndarray,
    nd: int,
    pads: tuple[tuple[int, int], ...] | None = None,
    boundary: str = "zero",
) -> np.ndarray | None:
    """``valid(E a, b)`` with ``E`` the extension by ``pads`` in ``boundary`` mode, by
    torch's conv; None where torch is not available, not measured faster, or cannot
    pad this way (then the caller uses its NumPy path)."""
    if a.dtype != b.dtype or b.ndim > a.ndim:
        return None
    run = torch_plan(a.shape, b.shape, a.dtype, nd, pads, boundary)
    return None if run is None else run(a, b)


def torch_plan(
    shape_a: tuple[int, ...],
    shape_b: tuple[int, ...],
    dtype: np.dtype,
    nd: int,
    pads: tuple[tuple[int, int], ...] | None = None,
    boundary: str = "zero",
) -> Callable[[np.ndarray, np.ndarray], np.ndarray] | None:
    """The torch computation of :func:`torch_valid` for arrays of these shapes and this
    (common) dtype, resolved once (memoised): a function ``run(a, b)``, or None where
    torch is not to be used. Calls of a few tens of µs spend most of their time in
    Python, so everything that depends only on the shapes is worked out here."""
    if not _torch_use.available():
        return None
    return _plan(tuple(shape_a), tuple(shape_b), dtype, nd, pads, boundary, USE_ALWAYS)


def clear_plans() -> None:
    """Forget the memoised plans (after changing the rules above)."""
    _plan.cache_clear()


@lru_cache(maxsize=512)
def _plan(
    shape_a: tuple[int, ...],
    shape_b: tuple[int, ...],
    dtype: np.dtype,
    nd: int,
    pads: tuple[tuple[int, int], ...] | None,
    boundary: str,
    always: bool,
) -> Callable[[np.ndarray, np.ndarray], np.ndarray] | None:
    if dtype.char not in "fd" or len(shape_b) > len(shape_a):
        return None
    na, nb = shape_a[len(shape_a) - nd :], shape_b[len(shape_b) - nd :]
    if prod(shape_b) != prod(nb):
        return None  # one kernel only
    pads = pads or ((0, 0),) * nd
    ext = tuple(p + l + r for p, (l, r) in zip(na, pads))
    if any(q > e for q, e in zip(nb, ext)) or not worth_it(ext, nb, dtype):
        return None
    gather = boundary != "zero"
    torch, convs, pad = _torch()
    from_numpy, conv = torch.from_numpy, convs[nd - 1]
    w_shape = (1, 1) + nb
    flip = (slice(None, None, -1),) * nd
    out_shape = shape_a[: len(shape_a) - nd] + tuple(e - q + 1 for e, q in zip(ext, nb))
    if gather:
        # non-zero boundaries: the extension as one gather of precomputed indices
        # (numpy.pad's index map, any width). 64², one sample a side: 5 µs, where two
        # concatenations take 11 µs, torch's reflect pad about as long as the gather
        # and its circular pad 19 µs; torch has no symmetric pad
        index = np.ix_(*(AxisExtension(p, l, r, boundary).index for p, (l, r) in zip(na, pads)))
        source = np.ravel_multi_index(index, na).ravel()
        rows, x_shape = (-1, prod(na)), (-1, 1) + ext

        def run_gather(a: np.ndarray, b: np.ndarray) -> np.ndarray:
            x = from_numpy(a.reshape(rows).take(source, axis=1).reshape(x_shape))
            w = from_numpy(b.reshape(nb)[flip].copy().reshape(w_shape))
            return conv(x, w).numpy().reshape(out_shape)

        return run_gather
    x_shape = (-1, 1) + na
    if all(l == r for l, r in pads):
        padding = tuple(l for l, _ in pads)  # torch pads itself

        def run(a: np.ndarray, b: np.ndarray) -> np.ndarray:
            if not (a.flags.c_contiguous and a.flags.writeable):
                a = np.array(a, order="C")  # torch.from_numpy needs writable memory
            w = from_numpy(b.reshape(nb)[flip].copy().reshape(w_shape))
            # tensors from NumPy never require grad: no autograd graph, no no_grad()
            return (
                conv(from_numpy(a.reshape(x_shape)), w, None, 1, padding).numpy().reshape(out_shape)
            )

        return run
    flat = tuple(v for l, r in reversed(pads) for v in (l, r))  # last axis first

    def run_padded(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if not (a.flags.c_contiguous and a.flags.writeable):
            a = np.array(a, order="C")
        w = from_numpy(b.reshape(nb)[flip].copy().reshape(w_shape))
        x = pad(from_numpy(a.reshape(x_shape)), flat)
        return conv(x, w).numpy().reshape(out_shape)

    return run_padded
