"""Multichannel backends of :class:`convop.ConvLayer` (forward and adjoint).

Each backend maps the *extended* input ``xp`` ``(..., C_in, *padded)`` to
``y`` ``(..., C_out, *out)`` (``apply_*``) and back (``adjoint_*``, returning the
gradient with respect to ``xp``; the layer folds the padding back):

``direct``
    torch's native convolution (``conv{1,2,3}d`` / ``conv_transpose``; only while it beats
    the NumPy backend in this process, :func:`guarded`) when the
    caller has imported torch and the data are real, else one batched matmul per tap over
    strided windows (no patch matrix).
``gemm``
    im2col: every window of every tap in one matrix, one matmul.
``fft``
    real FFTs of the stride-1 problem; channels contracted per frequency (one
    small matmul per frequency, groups as blocks); stride by subsampling the
    stride-1 result, dilation by upsampling the kernel.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from math import prod
from typing import Any

import numpy as np
import scipy.fft as sfft

from convop._core import threads as _threads
from convop._core.arrays import as_torchable
from convop._core.optional import torch_enabled
from convop._engines.dispatch import pad
from convop._engines.fft import fft_length
from convop._engines.fft import workers as fft_workers
from convop._engines.gemm import GEMM_CHUNK


def _geometry(layer: Any) -> tuple[int, int, int, int, tuple[int, ...], tuple[int, ...]]:
    g = layer.groups
    c_out, c_in_g = layer._weight.shape[:2]
    kshape = layer._weight.shape[2:]
    return g, c_out // g, c_in_g, layer._d, kshape, layer.output_shape[1:]


def _use_torch(arr: np.ndarray, weight: np.ndarray) -> bool:
    return torch_enabled() and arr.dtype == weight.dtype and arr.dtype in (np.float32, np.float64)


# -- direct -------------------------------------------------------------------------------
def _tap_slices(layer: Any, tap: tuple[int, ...]) -> tuple[slice, ...]:
    return tuple(
        slice(t * dl, t * dl + s * (m - 1) + 1, s)
        for t, dl, s, m in zip(tap, layer.dilation, layer.stride, layer.output_shape[1:])
    )


def _taps(kshape: tuple[int, ...]):
    return itertools.product(*(range(k) for k in kshape))


def guarded(
    layer: Any, what: str, arr: np.ndarray, torch_fn: Callable[[], Any], numpy_fn: Callable[[], Any]
) -> Any:
    """``torch_fn()`` (torch's conv on its intra-op threads, a process-wide count convop
    never changes) only while it beats ``numpy_fn()`` (the NumPy direct backend) in this
    process: the busy-core guard of every multi-threaded route
    (:func:`convop._core.threads.on_threads`). Torch's threads stall for a scheduler
    time slice when a core is busy elsewhere (16 channels, 32², 3×3: 0.14 ms, 24 ms in
    one busy run; NumPy 0.15 ms)."""
    key = (
        "torch_layer",
        what,
        arr.shape,
        arr.dtype.char,
        layer._weight.shape,
        tuple(layer.stride),
        tuple(layer.dilation),
        layer.groups,
    )
    return _threads.on_threads(key, 1.0, torch_fn, numpy_fn)


def apply_direct(layer: Any, xp: np.ndarray) -> np.ndarray:
    if _use_torch(xp, layer._weight):
        return guarded(
            layer, "apply", xp, lambda: _torch_apply(layer, xp), lambda: _numpy_apply(layer, xp)
        )
    return _numpy_apply(layer, xp)


def _numpy_apply(layer: Any, xp: np.ndarray) -> np.ndarray:
    g, co, ci, d, kshape, out_sp = _geometry(layer)
    lead = xp.shape[: xp.ndim - d - 1]
    out = np.zeros(lead + (g, co, prod(out_sp)), dtype=np.result_type(xp.dtype, layer._wt.dtype))
    for tap in _taps(kshape):
        win = xp[(Ellipsis, slice(None)) + _tap_slices(layer, tap)]
        out += layer._wt[(Ellipsis,) + tap] @ win.reshape(lead + (g, ci, -1))
    return out.reshape(lead + layer.output_shape)


def adjoint_direct(layer: Any, y: np.ndarray, padded: tuple[int, ...]) -> np.ndarray:
    if _use_torch(y, layer._weight):
        return guarded(
            layer,
            "adjoint",
            y,
            lambda: _torch_adjoint(layer, y, padded),
            lambda: _numpy_adjoint(layer, y, padded),
        )
    return _numpy_adjoint(layer, y, padded)


def _numpy_adjoint(layer: Any, y: np.ndarray, padded: tuple[int, ...]) -> np.ndarray:
    g, co, ci, d, kshape, out_sp = _geometry(layer)
    lead = y.shape[: y.ndim - d - 1]
    xp = np.zeros(lead + padded, dtype=np.result_type(y.dtype, layer._wt.dtype))
    yg = y.reshape(lead + (g, co, -1))
    wh = np.conj(layer._wt) if layer._wt.dtype.kind == "c" else layer._wt
    win_shape = lead + (padded[0],) + out_sp
    for tap in _taps(kshape):
        contrib = np.swapaxes(wh[(Ellipsis,) + tap], -1, -2) @ yg
        xp[(Ellipsis, slice(None)) + _tap_slices(layer, tap)] += contrib.reshape(win_shape)
    return xp


def _torch_fn(d: int, transpose: bool = False) -> Callable:
    import torch.nn.functional as F

    if transpose:
        return (F.conv_transpose1d, F.conv_transpose2d, F.conv_transpose3d)[d - 1]
    return (F.conv1d, F.conv2d, F.conv3d)[d - 1]


def _torch_weight(layer: Any) -> Any:
    """The weight as a torch tensor, made once per layer (a writable copy)."""
    w = layer.__dict__.get("_torch_w")
    if w is None:
        import torch

        w = torch.from_numpy(np.array(layer._weight))
        layer.__dict__["_torch_w"] = w
    return w


def apply(layer: Any, x: np.ndarray) -> np.ndarray:
    """The layer's forward map on an unpadded input (zero padding handed to torch)."""
    method = layer.method_for(x.size // prod(layer.input_shape))
    if (
        method == "direct"
        and layer.boundary == "zero"
        and _use_torch(x, layer._weight)
        and all(l == r for l, r in layer.padding)
    ):
        padding = tuple(l for l, _ in layer.padding)
        return guarded(
            layer,
            "apply-pad",
            x,
            lambda: _torch_apply(layer, x, padding),
            lambda: _numpy_apply(layer, pad(x, layer._exts)),
        )
    return APPLY[method](layer, pad(x, layer._exts))


def _torch_apply(layer: Any, xp: np.ndarray, padding: tuple[int, ...] | int = 0) -> np.ndarray:
    import torch

    d = layer._d
    lead = xp.shape[: xp.ndim - d - 1]
    xt = as_torchable(xp)
    x = torch.from_numpy(xt.reshape((-1,) + xp.shape[xp.ndim - d - 1 :]))
    w = _torch_weight(layer)
    with torch.no_grad():
        y = _torch_fn(d)(
            x, w, stride=layer.stride, dilation=layer.dilation, groups=layer.groups, padding=padding
        )
    return y.numpy().reshape(lead + layer.output_shape)


def _torch_adjoint(layer: Any, y: np.ndarray, padded: tuple[int, ...]) -> np.ndarray:
    import torch

    d = layer._d
    lead = y.shape[: y.ndim - d - 1]
    kshape = layer._weight.shape[2:]
    extra = tuple(
        p - ((m - 1) * s + dl * (k - 1) + 1)
        for p, m, s, dl, k in zip(
            padded[1:], layer.output_shape[1:], layer.stride, layer.dilation, kshape
        )
    )
    yt = torch.from_numpy(as_torchable(y).reshape((-1,) + layer.output_shape))
    w = _torch_weight(layer)
    with torch.no_grad():
        if all(e < max(s, dl) for e, s, dl in zip(extra, layer.stride, layer.dilation)):
            x = _torch_fn(d, True)(
                yt,
                w,
                stride=layer.stride,
                dilation=layer.dilation,
                groups=layer.groups,
                output_padding=extra,
            )
        else:  # pragma: no cover - cannot happen with the layer's output size
            raise AssertionError("output padding out of range")
    return x.numpy().reshape(lead + padded)


# -- gemm ---------------------------------------------------------------------------------
def _columns(layer: Any, xp: np.ndarray) -> np.ndarray:
    """im2col: (..., g, C_in/g · T, P) with rows in (channel, tap) order."""
    g, co, ci, d, kshape, out_sp = _geometry(layer)
    lead = xp.shape[: xp.ndim - d - 1]
    span = tuple(dl * (k - 1) + 1 for dl, k in zip(layer.dilation, kshape))
    win = np.lib.stride_tricks.sliding_window_view(xp, span, axis=tuple(range(-d, 0)))
    sl = (Ellipsis,) + tuple(slice(0, s * (m - 1) + 1, s) for s, m in zip(layer.stride, out_sp))
    sl = sl + tuple(slice(None, None, dl) for dl in layer.dilation)
    win = win[sl]  # (..., C_in, *out, *k)
    nl = len(lead)
    perm = (
        tuple(range(nl + 1))
        + tuple(range(nl + 1 + d, nl + 1 + 2 * d))
        + tuple(range(nl + 1, nl + 1 + d))
    )
    return np.transpose(win, perm).reshape(lead + (g, ci * prod(kshape), prod(out_sp)))


def apply_gemm(layer: Any, xp: np.ndarray) -> np.ndarray:
    g, co, ci, d, kshape, out_sp = _geometry(layer)
    lead = xp.shape[: xp.ndim - d - 1]
    w2 = layer._wt.reshape(g, co, -1)
    flat = xp.reshape((-1,) + xp.shape[xp.ndim - d - 1 :])
    # the patch matrix of a chunk of the batch stays below GEMM_CHUNK bytes
    per = g * ci * prod(kshape) * prod(out_sp) * xp.itemsize
    step = max(1, GEMM_CHUNK // max(per, 1))
    out = np.empty((flat.shape[0], g, co, prod(out_sp)), dtype=np.result_type(xp.dtype, w2.dtype))
    for i in range(0, flat.shape[0], step):
        out[i : i + step] = w2 @ _columns(layer, flat[i : i + step])
    return out.reshape(lead + layer.output_shape)


def adjoint_gemm(layer: Any, y: np.ndarray, padded: tuple[int, ...]) -> np.ndarray:
    g, co, ci, d, kshape, out_sp = _geometry(layer)
    lead = y.shape[: y.ndim - d - 1]
    w2 = layer._wt.reshape(g, co, -1)
    wh = np.conj(w2) if w2.dtype.kind == "c" else w2
    cols = np.swapaxes(wh, -1, -2) @ y.reshape(lead + (g, co, -1))  # (..., g, ci·T, P)
    cols = cols.reshape(lead + (g * ci,) + (prod(kshape),) + out_sp)
    xp = np.zeros(lead + padded, dtype=cols.dtype)
    for i, tap in enumerate(_taps(kshape)):
        xp[(Ellipsis, slice(None)) + _tap_slices(layer, tap)] += cols[
            (Ellipsis, i) + (slice(None),) * d
        ]
    return xp


# -- fft ----------------------------------------------------------------------------------
def _dilated(layer: Any, conj: bool = False) -> np.ndarray:
    """Weight with dilation zeros inserted: (g, C_out/g, C_in/g, *span)."""
    w = layer._wt
    if conj and w.dtype.kind == "c":
        w = np.conj(w)
    if all(dl == 1 for dl in layer.dilation):
        return w
    kshape = w.shape[3:]
    span = tuple(dl * (k - 1) + 1 for dl, k in zip(layer.dilation, kshape))
    out = np.zeros(w.shape[:3] + span, dtype=w.dtype)
    out[(Ellipsis,) + tuple(slice(None, None, dl) for dl in layer.dilation)] = w
    return out


def _fft_fns(dtype: np.dtype) -> tuple[Callable, Callable]:
    if dtype.kind == "c":
        return sfft.fftn, sfft.ifftn
    return sfft.rfftn, sfft.irfftn


def _contract(wf: np.ndarray, xf: np.ndarray, lead: tuple[int, ...]) -> np.ndarray:
    """Per-frequency channel contraction: (g, A, B, *f) x (n, g, B, *f) -> (n, g, A, *f)."""
    g, a_, b_ = wf.shape[:3]
    fr = wf.shape[3:]
    nf = prod(fr)
    n = xf.shape[0]
    wm = np.moveaxis(wf.reshape(g, a_, b_, nf), 3, 0)  # (f, g, A, B)
    xm = np.moveaxis(xf.reshape(n, g, b_, nf), (3, 0), (0, 3))  # (f, g, B, n)
    ym = wm @ xm  # (f, g, A, n)
    return np.moveaxis(ym, (0, 3), (3, 0)).reshape((n, g, a_) + fr)


def apply_fft(layer: Any, xp: np.ndarray) -> np.ndarray:
    g, co, ci, d, kshape, out_sp = _geometry(layer)
    lead = xp.shape[: xp.ndim - d - 1]
    pad_sp = xp.shape[xp.ndim - d :]
    wd = _dilated(layer)
    span = wd.shape[3:]
    dt = np.result_type(xp.dtype, wd.dtype)
    fwd, inv = _fft_fns(dt)
    real = dt.kind != "c"
    fshape = tuple(fft_length(p, real) for p in pad_sp)
    axes = tuple(range(-d, 0))
    wflip = wd[(Ellipsis,) + (slice(None, None, -1),) * d]
    nw = fft_workers(xp.size)
    wf = fwd(wflip, fshape, axes=axes, workers=nw)
    xf = fwd(xp.reshape((-1, g, ci) + pad_sp), fshape, axes=axes, workers=nw)
    yf = _contract(wf, xf, lead)
    y = inv(yf, fshape, axes=axes, workers=nw, overwrite_x=True)
    sl = (Ellipsis,) + tuple(
        slice(q - 1, q - 1 + s * (m - 1) + 1, s) for q, s, m in zip(span, layer.stride, out_sp)
    )
    return np.ascontiguousarray(y[sl]).astype(dt, copy=False).reshape(lead + layer.output_shape)


def adjoint_fft(layer: Any, y: np.ndarray, padded: tuple[int, ...]) -> np.ndarray:
    g, co, ci, d, kshape, out_sp = _geometry(layer)
    lead = y.shape[: y.ndim - d - 1]
    pad_sp = padded[1:]
    wd = _dilated(layer, conj=True)
    dt = np.result_type(y.dtype, wd.dtype)
    fwd, inv = _fft_fns(dt)
    real = dt.kind != "c"
    fshape = tuple(fft_length(p, real) for p in pad_sp)
    axes = tuple(range(-d, 0))
    yr = y.reshape((-1, g, co) + out_sp)
    if any(s > 1 for s in layer.stride):
        up = tuple(s * (m - 1) + 1 for s, m in zip(layer.stride, out_sp))
        yu = np.zeros(yr.shape[:3] + up, dtype=y.dtype)
        yu[(Ellipsis,) + tuple(slice(None, None, s) for s in layer.stride)] = yr
        yr = yu
    wt = np.swapaxes(wd, 1, 2)  # (g, C_in/g, C_out/g, *span)
    nw = fft_workers(prod(padded) * max(1, y.size // prod(layer.output_shape)))
    wf = fwd(wt, fshape, axes=axes, workers=nw)
    yf = fwd(yr, fshape, axes=axes, workers=nw)
    xf = _contract(wf, yf, lead)
    x = inv(xf, fshape, axes=axes, workers=nw, overwrite_x=True)
    x = x[(Ellipsis,) + tuple(slice(0, p) for p in pad_sp)]
    return np.ascontiguousarray(x).astype(dt, copy=False).reshape(lead + padded)


APPLY = {"direct": apply_direct, "gemm": apply_gemm, "fft": apply_fft}
ADJOINT = {"direct": adjoint_direct, "gemm": adjoint_gemm, "fft": adjoint_fft}
