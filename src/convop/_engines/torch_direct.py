"""Optional engine of the ``direct`` method: torch's native single-kernel convolution
on NumPy data (zero-copy ``torch.from_numpy``); torch pads zero boundaries itself,
the other boundaries are one NumPy gather of precomputed indices.

Planning decides where this engine runs (:func:`convop._planning.choose.resolve`); it
is only ever called while torch may be used (:func:`convop._core.optional.torch_enabled`),
and only while torch's threads beat the caller's one-thread NumPy path in this process
(:func:`guarded`, :func:`convop._core.threads.on_threads`); torch's thread count is
never changed.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from math import prod

import numpy as np

from convop._core import caches
from convop._core import threads as _threads
from convop._core.arrays import as_torchable
from convop._core.extension import AxisExtension
from convop._core.optional import torch_enabled

__all__ = ["guarded", "torch_plan", "torch_valid"]


_TORCH: tuple | None = None


def _torch() -> tuple:
    """(torch, conv1d/2d/3d, pad), looked up once."""
    global _TORCH
    if _TORCH is None:
        import torch
        import torch.nn.functional as F

        _TORCH = (torch, (F.conv1d, F.conv2d, F.conv3d), F.pad)
    return _TORCH


def _ready(a: np.ndarray) -> np.ndarray:
    """``a`` as torch.from_numpy takes it (the common case is free)."""
    if a.flags.c_contiguous and a.flags.writeable and a.dtype.isnative and min(a.strides) >= 0:
        return a
    return as_torchable(a)


def torch_valid(
    a: np.ndarray,
    b: np.ndarray,
    nd: int,
    pads: tuple[tuple[int, int], ...] | None = None,
    boundary: str = "zero",
    *,
    fallback: Callable[[], np.ndarray],
) -> np.ndarray | None:
    """``valid(E a, b)`` with ``E`` the extension by ``pads`` in ``boundary`` mode, by
    torch's conv; None where torch is not available, does not take these dtypes and
    shapes, or cannot pad this way (then the caller uses its NumPy path).

    ``fallback()`` is the caller's NumPy computation of the same result: it runs
    instead of torch where torch's conv would wait on a busy core (:func:`guarded`)."""
    if a.dtype != b.dtype or b.ndim > a.ndim:
        return None
    run = torch_plan(a.shape, b.shape, a.dtype, nd, pads, boundary)
    if run is None:
        return None
    key = ("torch_conv", a.shape, b.shape, a.dtype.char, pads, boundary)
    return _threads.on_threads(key, 1.0, lambda: run(a, b), fallback)


def guarded(
    run: Callable[[np.ndarray, np.ndarray], np.ndarray],
    fallback: Callable[[np.ndarray, np.ndarray], np.ndarray],
    key: tuple,
) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """``run`` (a :func:`torch_plan` computation) behind the contention guard of
    :func:`convop._core.threads.on_threads`: torch's conv runs on its intra-op threads
    (a process-wide count convop never changes), which stall for a scheduler time
    slice when a core is busy elsewhere (128², 3×3: 0.07 ms on NumPy, 8-16 ms on
    torch with both cores busy). ``fallback(a, b)`` (NumPy, one thread) runs instead
    for the first calls of ``key`` and whenever a multi-threaded route is held."""
    on_threads = _threads.on_threads

    def run_guarded(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return on_threads(key, 1.0, lambda: run(a, b), lambda: fallback(a, b))

    return run_guarded


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
    torch is not to be used. Small calls spend most of their time in Python, so
    everything that depends only on the shapes is worked out here."""
    if not torch_enabled():
        return None
    return _plan(tuple(shape_a), tuple(shape_b), dtype, nd, pads, boundary)


#: a cached plan keeps a flat gather index (faster for small calls) up to this size;
#: with at most 512 plans the indices hold at most 512 × this many bytes
FLAT_INDEX_BYTES = 8 << 10


@lru_cache(maxsize=512)
def _plan(
    shape_a: tuple[int, ...],
    shape_b: tuple[int, ...],
    dtype: np.dtype,
    nd: int,
    pads: tuple[tuple[int, int], ...] | None,
    boundary: str,
) -> Callable[[np.ndarray, np.ndarray], np.ndarray] | None:
    if dtype.char not in "fd" or len(shape_b) > len(shape_a):
        return None
    na, nb = shape_a[len(shape_a) - nd :], shape_b[len(shape_b) - nd :]
    if prod(shape_b) != prod(nb):
        return None  # one kernel only
    pads = pads or ((0, 0),) * nd
    ext = tuple(p + l + r for p, (l, r) in zip(na, pads))
    if any(q > e for q, e in zip(nb, ext)):
        return None
    gather = boundary != "zero"
    torch, convs, pad = _torch()
    from_numpy, conv = torch.from_numpy, convs[nd - 1]
    w_shape = (1, 1) + nb
    flip = (slice(None, None, -1),) * nd
    out_shape = shape_a[: len(shape_a) - nd] + tuple(e - q + 1 for e, q in zip(ext, nb))
    if gather:
        # non-zero boundaries: the extension as one gather of precomputed indices
        # (numpy.pad's index map, any width); cheaper than torch's own pads, and torch
        # has no symmetric pad
        index = np.ix_(*(AxisExtension(p, l, r, boundary).index for p, (l, r) in zip(na, pads)))
        rows, x_shape = (-1, prod(na)), (-1, 1) + ext
        if prod(ext) * 8 > FLAT_INDEX_BYTES:
            # a flat index costs 8 bytes per padded sample for as long as the plan is
            # cached (512 plans of large images: gigabytes); the per-axis indices
            # broadcast by numpy cost one small vector per axis
            axes_index = (Ellipsis,) + index
            lead = (-1,) + na

            def run_axes(a: np.ndarray, b: np.ndarray) -> np.ndarray:
                xp = a.reshape(lead)[axes_index]
                x = from_numpy(as_torchable(xp).reshape(x_shape))
                w = from_numpy(as_torchable(b.reshape(nb)[flip]).reshape(w_shape))
                return conv(x, w).numpy().reshape(out_shape)

            return run_axes
        source = np.ravel_multi_index(index, na).ravel()

        def run_gather(a: np.ndarray, b: np.ndarray) -> np.ndarray:
            x = from_numpy(as_torchable(a.reshape(rows).take(source, axis=1)).reshape(x_shape))
            w = from_numpy(as_torchable(b.reshape(nb)[flip]).reshape(w_shape))
            return conv(x, w).numpy().reshape(out_shape)

        return run_gather
    x_shape = (-1, 1) + na
    if all(l == r for l, r in pads):
        padding = tuple(l for l, _ in pads)  # torch pads itself

        def run(a: np.ndarray, b: np.ndarray) -> np.ndarray:
            a = _ready(a)
            w = from_numpy(as_torchable(b.reshape(nb)[flip]).reshape(w_shape))
            # tensors from NumPy never require grad: no autograd graph, no no_grad()
            return (
                conv(from_numpy(a.reshape(x_shape)), w, None, 1, padding).numpy().reshape(out_shape)
            )

        return run
    flat = tuple(v for l, r in reversed(pads) for v in (l, r))  # last axis first

    def run_padded(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        a = _ready(a)
        w = from_numpy(as_torchable(b.reshape(nb)[flip]).reshape(w_shape))
        x = pad(from_numpy(a.reshape(x_shape)), flat)
        return conv(x, w).numpy().reshape(out_shape)

    return run_padded


caches.lru("torch-direct plans", _plan, on_constants=False)
