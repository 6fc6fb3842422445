"""The weight side of :class:`convop.ConvLayer`: for a fixed (extended) input ``xp``,
``w ↦ layer(x; w)`` and its adjoint, backprop's weight gradient
``ŵ[o, c, t] = Σ_{n, m} y[n, o, m] · conj(xp[n, c, m·s + t·d])`` (per group), with the
layer's own method:

``direct``
    torch's ``conv{1,2,3}d_weight`` (real data, torch imported), else one matrix
    product per tap over strided windows;
``gemm``
    the im2col matrix of the forward pass, one product per batch chunk;
``fft``
    per frequency ``Σ_n X[n, c] conj(Y[n, o])`` (``Y``: ``y`` upsampled by the stride),
    one inverse FFT, cropped to the (dilated) taps — the correlation of the input with
    the output gradient never leaves the frequency domain.
"""

from __future__ import annotations

import copy
from math import prod
from typing import Any

import numpy as np

from convop._core.arrays import as_torchable
from convop._engines import layer as lb
from convop._engines.fft import fft_length
from convop._engines.fft import workers as fft_workers
from convop._engines.gemm import GEMM_CHUNK

__all__ = ["apply_weight", "weight_gradient"]


def with_weight(layer: Any, w: np.ndarray) -> Any:
    """A shallow copy of ``layer`` whose weight is ``w`` (same geometry and method)."""
    twin = copy.copy(layer)
    twin.__dict__.pop("_torch_w", None)
    twin._weight = w
    twin._wt = w.reshape(layer._wt.shape)
    return twin


def apply_weight(layer: Any, xp: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``layer(x; w)`` from the extended input ``xp`` by the layer's method."""
    return lb.APPLY[_method(layer, xp)](with_weight(layer, w), xp)


def weight_gradient(layer: Any, xp: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The adjoint of :func:`apply_weight` at ``y`` (shape ``xp``'s batch + output)."""
    return _GRAD[_method(layer, xp)](layer, xp, y)


def _method(layer: Any, xp: np.ndarray) -> str:
    return layer.method_for(prod(xp.shape[: xp.ndim - layer._d - 1]))


def _grad_direct(layer: Any, xp: np.ndarray, y: np.ndarray) -> np.ndarray:
    if lb._use_torch(xp, layer._weight) and y.dtype == xp.dtype:
        return lb.guarded(
            layer, "grad", xp, lambda: _grad_torch(layer, xp, y), lambda: _grad_numpy(layer, xp, y)
        )
    return _grad_numpy(layer, xp, y)


def _grad_numpy(layer: Any, xp: np.ndarray, y: np.ndarray) -> np.ndarray:
    g, co, ci, d, kshape, out_sp = lb._geometry(layer)
    n = prod(xp.shape[: xp.ndim - d - 1])
    # (g, C_out/g, N·P) against (g, C_in/g, N·P) per tap
    yg = np.moveaxis(y.reshape((n, g, co, -1)), 0, 2).reshape(g, co, -1)
    xr = xp.reshape((n,) + xp.shape[xp.ndim - d - 1 :])
    grad = np.empty((g, co, ci) + kshape, dtype=np.result_type(xp.dtype, y.dtype))
    for tap in lb._taps(kshape):
        win = xr[(slice(None), slice(None)) + lb._tap_slices(layer, tap)]
        win = np.moveaxis(win.reshape((n, g, ci, -1)), 0, 2).reshape(g, ci, -1)
        if win.dtype.kind == "c":
            win = np.conj(win)
        grad[(Ellipsis,) + tap] = yg @ np.swapaxes(win, -1, -2)
    return grad.reshape(layer._weight.shape)


def _grad_torch(layer: Any, xp: np.ndarray, y: np.ndarray) -> np.ndarray:
    import torch
    import torch.nn.grad as tg

    d = layer._d
    fn = (tg.conv1d_weight, tg.conv2d_weight, tg.conv3d_weight)[d - 1]
    x = torch.from_numpy(as_torchable(xp).reshape((-1,) + xp.shape[xp.ndim - d - 1 :]))
    gy = torch.from_numpy(as_torchable(y).reshape((-1,) + layer.output_shape))
    out = fn(
        x,
        layer._weight.shape,
        gy,
        stride=layer.stride,
        padding=0,
        dilation=layer.dilation,
        groups=layer.groups,
    )
    return out.numpy()


def _grad_gemm(layer: Any, xp: np.ndarray, y: np.ndarray) -> np.ndarray:
    g, co, ci, d, kshape, out_sp = lb._geometry(layer)
    flat = xp.reshape((-1,) + xp.shape[xp.ndim - d - 1 :])
    yr = y.reshape((flat.shape[0], g, co, -1))
    per = g * ci * prod(kshape) * prod(out_sp) * xp.itemsize
    step = max(1, GEMM_CHUNK // max(per, 1))
    grad = np.zeros((g, co, ci * prod(kshape)), dtype=np.result_type(xp.dtype, y.dtype))
    for i in range(0, flat.shape[0], step):
        cols = lb._columns(layer, flat[i : i + step])  # (n, g, ci·T, P)
        if cols.dtype.kind == "c":
            cols = np.conj(cols)
        grad += (yr[i : i + step] @ np.swapaxes(cols, -1, -2)).sum(axis=0)
    return grad.reshape(layer._weight.shape)


def _grad_fft(layer: Any, xp: np.ndarray, y: np.ndarray) -> np.ndarray:
    g, co, ci, d, kshape, out_sp = lb._geometry(layer)
    pad_sp = xp.shape[xp.ndim - d :]
    dt = np.result_type(xp.dtype, y.dtype)
    fwd, inv = lb._fft_fns(dt)
    fshape = tuple(fft_length(p, dt.kind != "c") for p in pad_sp)
    axes = tuple(range(-d, 0))
    n = prod(xp.shape[: xp.ndim - d - 1])
    yr = y.reshape((n, g, co) + out_sp)
    if any(s > 1 for s in layer.stride):
        up = tuple(s * (m - 1) + 1 for s, m in zip(layer.stride, out_sp))
        yu = np.zeros(yr.shape[:3] + up, dtype=yr.dtype)
        yu[(Ellipsis,) + tuple(slice(None, None, s) for s in layer.stride)] = yr
        yr = yu
    nw = fft_workers(xp.size)
    xf = fwd(xp.reshape((n, g, ci) + pad_sp), fshape, axes=axes, workers=nw)
    yf = fwd(yr, fshape, axes=axes, workers=nw)
    nf = prod(xf.shape[3:])
    # per frequency and group: (C_out/g × N) @ (N × C_in/g), conj on the output side
    ym = np.moveaxis(np.conj(yf).reshape(n, g, co, nf), (3, 0), (0, 3))  # (f, g, co, n)
    xm = np.moveaxis(xf.reshape(n, g, ci, nf), (3, 0), (0, 2))  # (f, g, n, ci)
    cf = np.moveaxis(ym @ xm, 0, -1).reshape((g, co, ci) + xf.shape[3:])
    corr = inv(cf, fshape, axes=axes, workers=nw, overwrite_x=True)
    # corr[t] = Σ_m xp[m + t] conj(yu[m]); the weight gradient is its conjugate at the taps
    taps = (Ellipsis,) + tuple(
        slice(0, dl * (k - 1) + 1, dl) for dl, k in zip(layer.dilation, kshape)
    )
    grad = corr[taps]
    if dt.kind == "c":
        grad = np.conj(grad)
    return np.ascontiguousarray(grad, dtype=dt).reshape(layer._weight.shape)


_GRAD = {"direct": _grad_direct, "gemm": _grad_gemm, "fft": _grad_fft}
