"""``convop.torch.conv``: N-D convolution layer semantics with a native or FFT path."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from convop._core import validate as _validate
from convop._core.errors import ConvopTypeError, ConvopValueError, invalid
from convop._core.validate import channel_groups
from convop.torch import _cost
from convop.torch._fft import fft_conv
from convop.torch._padding import pad, pad_pairs

__all__ = ["METHODS", "conv", "normalise_method", "plan_method", "validated"]

#: accepted ``method`` values; ``direct`` and ``gemm`` are aliases of ``native``
METHODS = ("auto", "native", "fft", "direct", "gemm")
_METHOD_ALIASES = {
    "auto": "auto",
    "native": "native",
    "fft": "fft",
    "direct": "native",
    "gemm": "native",
}
_NATIVE = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}


def normalise_method(value: Any) -> str:
    """Canonical method name: ``auto``, ``native`` or ``fft``."""
    if isinstance(value, str) and value.lower() in _METHOD_ALIASES:
        return _METHOD_ALIASES[value.lower()]
    raise invalid("method", value, METHODS)


def _groups(value: Any) -> int:
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value >= 1:
        return int(value)
    raise invalid("groups", value, "a positive int")


def _check(x: Any, weight: Any, bias: Any, groups: int) -> tuple[int, bool]:
    """Validate tensors; return (spatial ndim, batched)."""
    for name, t in (("x", x), ("weight", weight)):
        if not isinstance(t, torch.Tensor):
            raise ConvopTypeError(f"{name} must be a torch.Tensor; got {type(t).__name__}")
    if weight.ndim not in (3, 4, 5):
        raise ConvopValueError(
            f"weight must have shape (C_out, C_in/groups, *kernel) with 1, 2 or 3 spatial "
            f"axes; got shape {tuple(weight.shape)}"
        )
    d = weight.ndim - 2
    if x.ndim not in (d + 1, d + 2):
        raise ConvopValueError(
            f"x must have shape (N, C_in, *spatial) or (C_in, *spatial) with {d} spatial "
            f"axes for a weight of shape {tuple(weight.shape)}; got shape {tuple(x.shape)}"
        )
    if x.dtype != weight.dtype:
        raise ConvopTypeError(
            f"x and weight must have the same dtype; got {x.dtype} and {weight.dtype}"
        )
    c_in = x.shape[-d - 1]
    c_out, c_in_g = weight.shape[:2]
    channel_groups(groups, c_in, tuple(weight.shape))
    if bias is not None:
        if not isinstance(bias, torch.Tensor):
            raise ConvopTypeError(f"bias must be a torch.Tensor or None; got {type(bias).__name__}")
        if tuple(bias.shape) != (c_out,):
            raise ConvopValueError(
                f"bias must have shape (C_out,) = ({c_out},); got {tuple(bias.shape)}"
            )
    return d, x.ndim == d + 2


def conv(
    x: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None = None,
    *,
    stride: int | Sequence[int] = 1,
    padding: Any = 0,
    dilation: int | Sequence[int] = 1,
    groups: int = 1,
    boundary: str = "zero",
    method: str = "auto",
) -> torch.Tensor:
    r"""N-D convolution with :func:`torch.nn.functional.conv1d`/``2d``/``3d`` semantics.

    Cross-correlation, channels first, chosen by ``weight.ndim``, differentiable to
    any order, computed natively (``F.conv*d``) or by FFT.

    Parameters
    ----------
    x : (N, C_in, *spatial) or (C_in, *spatial) Tensor
        Input, batched or not, with 1, 2 or 3 spatial axes.
    weight : (C_out, C_in/groups, *kernel) Tensor
        Filters, same dtype and device as ``x``.
    bias : (C_out,) Tensor, optional
        Added to every output position.
    stride, dilation : int or tuple of int
        Per spatial axis, >= 1.
    padding : int, tuple, 'same' or 'valid'
        As torch (an int or one int per axis pads both sides); ``(left, right)``
        pairs are also accepted. ``'same'`` pads ``d·(k−1)`` with the odd sample on
        the right, like torch (stride 1 only).
    groups : int
        Divides ``C_in`` and ``C_out``.
    boundary : {'zero', 'periodic', 'reflect', 'symmetric', 'replicate'}
        How the padding is filled (aliases of DESIGN.md, and torch's ``padding_mode``
        names ``zeros``/``circular``, are accepted). Pads wider than the input follow
        ``numpy.pad``.
    method : {'auto', 'native', 'fft'}
        ``native`` calls ``F.conv*d`` (``direct`` and ``gemm`` are aliases); ``fft``
        multiplies spectra (``torch.fft.rfftn``) with a per-frequency channel
        contraction and an analytic FFT backward; ``auto`` asks the cost model.

    Returns
    -------
    Tensor
        ``(N, C_out, *out)`` (or ``(C_out, *out)`` for an unbatched ``x``) with
        ``out = (S + pad_l + pad_r − d·(k − 1) − 1) // s + 1`` per axis.

    Raises
    ------
    ConvopTypeError
        Non-tensor arguments, mismatched dtypes, ``method='fft'`` on a complex input.
    ConvopValueError
        Unknown option, inconsistent shapes, groups, padding or an empty output.

    See Also
    --------
    convop.torch.Conv2d : the drop-in layer choosing the method per input shape.
    convop.ConvLayer : the same map as an exact NumPy linear operator.

    Notes
    -----
    The input is first extended by ``boundary`` (``F.pad``, or an index gather for
    ``symmetric`` and wide pads), so both methods compute a *valid* correlation of
    the padded input ``xp``:
    ``y[n, o, j] = Σ_c Σ_t w[o, c, t] · xp[n, g·C_in/groups + c, s·j + d·t]``.
    The FFT path uses one transform length ``L ≥ |xp|`` per axis (2·3·5-smooth): in
    a valid correlation the outputs that would wrap around are discarded. Its
    backward is FFT too: the input gradient is a full convolution of the
    zero-inserted output gradient with the dilated kernel, the weight gradient a
    valid correlation of ``xp`` with it; autograd carries both back through the
    padding.

    Examples
    --------
    >>> import torch, convop.torch as ct
    >>> x = torch.arange(5.0).reshape(1, 1, 5)
    >>> w = torch.ones(1, 1, 3)
    >>> ct.conv(x, w, padding=1, boundary="periodic", method="fft").round().tolist()
    [[[5.0, 3.0, 6.0, 9.0, 7.0]]]
    >>> ct.conv(x, w, padding=1, method="native").tolist()
    [[[1.0, 3.0, 6.0, 9.0, 7.0]]]
    """
    bnd = _validate.boundary(boundary)
    meth = normalise_method(method)
    stride_t, pads, dilation_t, groups, batched = validated(
        x, weight, bias, stride, padding, dilation, groups, meth
    )
    if meth == "auto":
        meth = plan_method(
            x,
            weight,
            groups,
            pads,
            stride_t,
            dilation_t,
            batched,
            torch.is_grad_enabled() and (x.requires_grad or weight.requires_grad),
        )
    return _conv(x, weight, bias, stride_t, pads, dilation_t, groups, bnd, meth, batched)


def validated(
    x: Any,
    weight: Any,
    bias: Any,
    stride: Any,
    padding: Any,
    dilation: Any,
    groups: Any,
    method: str,
) -> tuple[tuple[int, ...], tuple[tuple[int, int], ...], tuple[int, ...], int, bool]:
    """Check everything once → (stride, pads, dilation, groups, batched)."""
    groups = _groups(groups)
    d, batched = _check(x, weight, bias, groups)
    stride_t = _validate.int_tuple(stride, d, "stride")
    dilation_t = _validate.int_tuple(dilation, d, "dilation")
    kernel = tuple(weight.shape[2:])
    pads = pad_pairs(padding, kernel, dilation_t, stride_t)
    spatial = tuple(x.shape[x.ndim - d :])
    size = tuple(n + l + r for n, (l, r) in zip(spatial, pads))
    for n, k, dl in zip(size, kernel, dilation_t):
        if n < dl * (k - 1) + 1:
            raise ConvopValueError(
                f"the padded input {size} is smaller than the dilated kernel "
                f"(d·(k−1)+1 with kernel {kernel}, dilation {dilation_t}) for x of shape "
                f"{tuple(x.shape)}, padding={padding!r}"
            )
    if method == "fft" and (x.is_complex() or not x.is_floating_point()):
        raise ConvopTypeError(f"method='fft' needs a real floating dtype; got {x.dtype}")
    return stride_t, pads, dilation_t, groups, batched


def plan_method(
    x: torch.Tensor,
    weight: torch.Tensor,
    groups: int,
    pads: tuple[tuple[int, int], ...],
    stride: tuple[int, ...],
    dilation: tuple[int, ...],
    batched: bool,
    backward: bool,
) -> str:
    """``native`` or ``fft`` for validated arguments (the cost model of :mod:`._cost`)."""
    d = len(stride)
    spatial = tuple(x.shape[x.ndim - d :])
    size = tuple(n + l + r for n, (l, r) in zip(spatial, pads))
    n_batch = x.shape[0] if batched else 1
    return _cost.choose(
        n_batch,
        x.shape[-d - 1],
        weight.shape[0],
        groups,
        size,
        tuple(weight.shape[2:]),
        stride,
        dilation,
        x.dtype,
        x.device.type,
        backward,
    )


def _conv(
    x: torch.Tensor,
    weight: torch.Tensor,
    bias: torch.Tensor | None,
    stride: tuple[int, ...],
    pads: tuple[tuple[int, int], ...],
    dilation: tuple[int, ...],
    groups: int,
    boundary: str,
    method: str,
    batched: bool,
) -> torch.Tensor:
    """Validated, canonical arguments → output (the layers call this directly)."""
    d = len(stride)
    if not batched:
        x = x.unsqueeze(0)
    if x.numel() == 0:
        # an empty batch has nothing to transform (MKL's FFT refuses a zero-size batch);
        # torch's own conv returns the empty result of the right shape and dtype
        method = "native"
    if method == "native":
        native = _NATIVE[d]
        if boundary == "zero" and all(l == r for l, r in pads):
            y = native(x, weight, bias, stride, tuple(l for l, _ in pads), dilation, groups)
        else:
            y = native(pad(x, pads, boundary), weight, bias, stride, 0, dilation, groups)
    else:
        xp = pad(x, pads, boundary)
        dtype = xp.dtype
        if dtype in (torch.float16, torch.bfloat16):  # no half FFTs: compute in float32
            xp, w = xp.float(), weight.float()
        else:
            w = weight
        y = fft_conv(xp, w, stride, dilation, groups).to(dtype)
        if bias is not None:
            y = y + bias.reshape((1, -1) + (1,) * d)
    return y if batched else y.squeeze(0)
