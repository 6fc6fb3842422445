"""Drop-in ``torch.nn.Conv1d/2d/3d`` subclasses that pick native or FFT per shape."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, TypeVar

import torch
from torch import nn

from convop._core import validate as _validate
from convop._core.errors import ConvopTypeError, ConvopValueError, invalid
from convop.torch._functional import _conv, normalise_method, plan_method, validated

__all__ = ["Conv1d", "Conv2d", "Conv3d", "accelerate"]

#: torch ``padding_mode`` of every boundary torch implements
_PADDING_MODE = {
    "zero": "zeros",
    "periodic": "circular",
    "reflect": "reflect",
    "replicate": "replicate",
}

#: ``padding_mode`` values accepted: torch's four, and convop's 'symmetric' (edge
#: sample repeated), which torch does not have
_TORCH_PADDING_MODES = ("zeros", "reflect", "replicate", "circular", "symmetric")

#: input shapes whose method choice a layer remembers (least recently used dropped)
PLAN_CACHE_SIZE = 256

M = TypeVar("M", bound=nn.Module)


def _resolve_boundary(padding_mode: Any, boundary: Any) -> tuple[str, str]:
    """(torch padding_mode to give nn.ConvNd, canonical boundary)."""
    if padding_mode not in _TORCH_PADDING_MODES:
        # the caller wrote padding_mode: name it, with the values of torch's interface
        raise invalid("padding_mode", padding_mode, _TORCH_PADDING_MODES)
    from_mode = _validate.boundary(padding_mode)  # torch names are boundary aliases
    if boundary is None:
        bnd = from_mode
    else:
        bnd = _validate.boundary(boundary)
        if padding_mode != "zeros" and from_mode != bnd:
            raise ConvopValueError(
                f"boundary={boundary!r} contradicts padding_mode={padding_mode!r}; give one "
                f"of them (boundary wins when padding_mode is left at 'zeros')"
            )
    return _PADDING_MODE.get(bnd, "zeros"), bnd


class _ConvopConv:
    """Shared machinery of the three layers (a mixin before ``nn.ConvNd`` in the MRO)."""

    _nd: int
    _base: type[nn.Module]
    method: str
    boundary: str

    def _init_convop(self, method: Any, boundary: str) -> None:
        self.method = normalise_method(method)
        self.boundary = boundary
        # a bounded LRU: a service fed variable-length inputs must not grow without end
        self._plans: OrderedDict[tuple[Any, ...], str] = OrderedDict()

    def _conv_forward(
        self, input: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None
    ) -> torch.Tensor:
        stride, pads, dilation, groups, batched = validated(
            input,
            weight,
            bias,
            self.stride,
            self.padding,  # type: ignore[attr-defined]
            self.dilation,
            self.groups,
            self.method,
        )  # type: ignore[attr-defined]
        meth = self.method
        if meth == "auto":
            backward = torch.is_grad_enabled() and (input.requires_grad or weight.requires_grad)
            key = (tuple(input.shape), input.dtype, input.device.type, backward)
            meth = self._plans.get(key)  # type: ignore[assignment]
            if meth is None:
                meth = plan_method(input, weight, groups, pads, stride, dilation, batched, backward)
                self._plans[key] = meth
                if len(self._plans) > PLAN_CACHE_SIZE:
                    self._plans.popitem(last=False)
            else:
                self._plans.move_to_end(key)
        return _conv(
            input, weight, bias, stride, pads, dilation, groups, self.boundary, meth, batched
        )

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return self._conv_forward(input, self.weight, self.bias)  # type: ignore[attr-defined]

    def extra_repr(self) -> str:
        base = super().extra_repr()  # type: ignore[misc]
        return f"{base}, method={self.method!r}, boundary={self.boundary!r}"

    def plan(
        self,
        input_shape: tuple[int, ...],
        *,
        dtype: torch.dtype | None = None,
        backward: bool = True,
    ) -> str:
        """The method ``method='auto'`` picks for inputs of ``input_shape``.

        Examples
        --------
        >>> import convop.torch as ct
        >>> ct.Conv2d(32, 32, 31, padding="same").plan((16, 32, 64, 64))
        'fft'
        """
        w = self.weight  # type: ignore[attr-defined]
        dt = w.dtype if dtype is None else dtype
        x = torch.empty(tuple(input_shape), dtype=dt, device="meta")
        wm = torch.empty(w.shape, dtype=dt, device="meta")
        stride, pads, dilation, groups, batched = validated(
            x,
            wm,
            None,
            self.stride,
            self.padding,  # type: ignore[attr-defined]
            self.dilation,
            self.groups,
            "auto",
        )  # type: ignore[attr-defined]
        if self.method != "auto":
            return self.method
        return plan_method(x, wm, groups, pads, stride, dilation, batched, backward)

    @classmethod
    def from_module(
        cls, module: nn.Module, *, method: str = "auto", boundary: str | None = None
    ) -> Any:
        """Convert a ``torch.nn`` convolution, sharing its parameters.

        The new layer holds the *same* ``weight`` and ``bias`` Parameter objects
        (so device, dtype, values and any optimizer state carry over) and copies the
        hyper-parameters and the training flag.

        Parameters
        ----------
        module : torch.nn.Conv1d, Conv2d or Conv3d (matching ``cls``)
        method : {'auto', 'native', 'fft'}
        boundary : str, optional
            Defaults to the module's ``padding_mode``.

        Examples
        --------
        >>> import torch, convop.torch as ct
        >>> m = torch.nn.Conv2d(2, 4, 5, padding=2, padding_mode="circular")
        >>> c = ct.Conv2d.from_module(m)
        >>> c.weight is m.weight, c.boundary
        (True, 'periodic')
        """
        if not isinstance(module, cls._base):
            raise ConvopTypeError(
                f"{cls.__name__}.from_module needs a torch.nn.{cls._base.__name__}; got "
                f"{type(module).__name__}"
            )
        weight = module.weight  # type: ignore[attr-defined]
        if isinstance(weight, nn.parameter.UninitializedParameter):
            raise ConvopValueError(
                f"cannot convert a lazy {type(module).__name__} before its first forward"
            )
        new = cls(
            module.in_channels,
            module.out_channels,  # type: ignore[call-arg]
            module.kernel_size,
            stride=module.stride,
            padding=module.padding,
            dilation=module.dilation,
            groups=module.groups,
            bias=module.bias is not None,
            padding_mode=module.padding_mode,
            device="meta",
            dtype=weight.dtype,
            method=method,
            boundary=boundary,
        )
        new.weight = weight
        new.bias = module.bias
        new.train(module.training)
        return new


def _layer_doc(d: int) -> str:
    sp = "".join(", 8" for _ in range(d))
    out = (1, 3) + (8,) * d
    return f"""Drop-in :class:`torch.nn.Conv{d}d` computing natively or by FFT.

    Same constructor, attributes and ``state_dict`` as ``torch.nn.Conv{d}d``, plus

    Parameters
    ----------
    method : {{'auto', 'native', 'fft'}}, keyword-only
        ``auto`` asks the cost model once per input shape (cached in the layer);
        ``direct``/``gemm`` are aliases of ``native``.
    boundary : str, optional, keyword-only
        Any convop boundary (``zero``, ``periodic``, ``reflect``, ``symmetric``,
        ``replicate`` or an alias); default from ``padding_mode``. ``padding_mode``
        itself also accepts these names.

    See Also
    --------
    convop.torch.conv : the functional form.
    convop.torch.accelerate : convert every convolution of a model.

    Examples
    --------
    >>> import torch, convop.torch as ct
    >>> layer = ct.Conv{d}d(2, 3, 5, padding="same", boundary="symmetric")
    >>> tuple(layer(torch.randn(1, 2{sp})).shape)
    {out}
    """


class Conv1d(_ConvopConv, nn.Conv1d):
    __doc__ = _layer_doc(1)
    _nd, _base = 1, nn.Conv1d

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        dilation: Any = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device: Any = None,
        dtype: Any = None,
        *,
        method: str = "auto",
        boundary: str | None = None,
    ) -> None:
        torch_mode, bnd = _resolve_boundary(padding_mode, boundary)
        nn.Conv1d.__init__(
            self,
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            groups,
            bias,
            torch_mode,
            device,
            dtype,
        )
        self._init_convop(method, bnd)


class Conv2d(_ConvopConv, nn.Conv2d):
    __doc__ = _layer_doc(2)
    _nd, _base = 2, nn.Conv2d

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        dilation: Any = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device: Any = None,
        dtype: Any = None,
        *,
        method: str = "auto",
        boundary: str | None = None,
    ) -> None:
        torch_mode, bnd = _resolve_boundary(padding_mode, boundary)
        nn.Conv2d.__init__(
            self,
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            groups,
            bias,
            torch_mode,
            device,
            dtype,
        )
        self._init_convop(method, bnd)


class Conv3d(_ConvopConv, nn.Conv3d):
    __doc__ = _layer_doc(3)
    _nd, _base = 3, nn.Conv3d

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        dilation: Any = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device: Any = None,
        dtype: Any = None,
        *,
        method: str = "auto",
        boundary: str | None = None,
    ) -> None:
        torch_mode, bnd = _resolve_boundary(padding_mode, boundary)
        nn.Conv3d.__init__(
            self,
            in_channels,
            out_channels,
            kernel_size,
            stride,
            padding,
            dilation,
            groups,
            bias,
            torch_mode,
            device,
            dtype,
        )
        self._init_convop(method, bnd)


_CONVERT: dict[type, type] = {nn.Conv1d: Conv1d, nn.Conv2d: Conv2d, nn.Conv3d: Conv3d}


def accelerate(model: M, *, method: str = "auto") -> M:
    """Swap every ``torch.nn.Conv1d/2d/3d`` of ``model`` for its convop layer, in place.

    Only modules whose type is exactly ``nn.Conv1d``/``2d``/``3d`` are converted
    (subclasses may override ``forward``); parameters are shared, not copied, so
    an optimizer built before the call keeps working.

    Parameters
    ----------
    model : torch.nn.Module
    method : {'auto', 'native', 'fft'}

    Returns
    -------
    torch.nn.Module
        ``model`` itself (or, if ``model`` is a bare convolution, its converted copy).

    Examples
    --------
    >>> import torch, convop.torch as ct
    >>> net = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.ReLU())
    >>> type(ct.accelerate(net)[0]).__module__
    'convop.torch.layers'
    """
    normalise_method(method)
    if type(model) in _CONVERT:
        return _CONVERT[type(model)].from_module(model, method=method)  # type: ignore
    if not isinstance(model, nn.Module):
        raise ConvopTypeError(f"model must be a torch.nn.Module; got {type(model).__name__}")
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            target = _CONVERT.get(type(child))
            if target is not None:
                setattr(parent, name, target.from_module(child, method=method))
    return model
