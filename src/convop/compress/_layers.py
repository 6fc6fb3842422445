"""Torch side of :func:`convop.compress.decompose`: factor layers and their reassembly."""

from __future__ import annotations

import copy
from math import prod
from typing import Any

import numpy as np
import torch
from torch import nn

from convop._core.errors import ConvopTypeError, ConvopValueError, invalid
from convop._core.threads import one_blas_thread
from convop.compress import _factor
from convop.compress._vbmf import vbmf
from convop.torch.layers import Conv1d as _CConv1d
from convop.torch.layers import Conv2d as _CConv2d
from convop.torch.layers import Conv3d as _CConv3d

__all__ = ["METHODS", "Decomposed", "SliceSVDConv2d", "build", "conv_info"]

METHODS = ("svd", "svd-slice", "cp", "tucker2")
_TORCH_CONV = {1: nn.Conv1d, 2: nn.Conv2d, 3: nn.Conv3d}
_CONVOP_CONV = {1: _CConv1d, 2: _CConv2d, 3: _CConv3d}
_BOUNDARY = {
    "zeros": "zero",
    "circular": "periodic",
    "reflect": "reflect",
    "replicate": "replicate",
}


def conv_info(layer: nn.Module) -> dict[str, Any]:
    """Hyper-parameters of a ``torch.nn`` convolution (or convop's drop-in subclass)."""
    d = {nn.Conv1d: 1, nn.Conv2d: 2, nn.Conv3d: 3}
    nd = next((v for k, v in d.items() if isinstance(layer, k)), None)
    if nd is None:
        raise ConvopTypeError(f"not a convolution: {type(layer).__name__}")
    boundary = getattr(layer, "boundary", None) or _BOUNDARY[layer.padding_mode]
    return {
        "nd": nd,
        "in_channels": layer.in_channels,
        "out_channels": layer.out_channels,
        "kernel_size": tuple(layer.kernel_size),
        "stride": tuple(layer.stride),
        "padding": layer.padding if isinstance(layer.padding, str) else tuple(layer.padding),
        "dilation": tuple(layer.dilation),
        "groups": layer.groups,
        "bias": layer.bias is not None,
        "boundary": boundary,
        "convop": isinstance(layer, (_CConv1d, _CConv2d, _CConv3d)),
        "method": getattr(layer, "method", "auto"),
    }


def _make_conv(
    info: dict[str, Any],
    in_c: int,
    out_c: int,
    axes: tuple[int, ...],
    groups: int,
    bias: bool,
    like: torch.Tensor,
) -> nn.Module:
    """A convolution of the original's kind whose kernel spans only ``axes``; stride,
    padding and dilation of those axes are the original's, the other axes get 1, 0, 1."""
    nd = info["nd"]
    ks = tuple(info["kernel_size"][j] if j in axes else 1 for j in range(nd))
    st = tuple(info["stride"][j] if j in axes else 1 for j in range(nd))
    dl = tuple(info["dilation"][j] if j in axes else 1 for j in range(nd))
    pad = info["padding"]
    if not isinstance(pad, str):  # 'same'/'valid' give 0 on the 1-tap axes by themselves
        pad = tuple(pad[j] if j in axes else 0 for j in range(nd))
    spatial = bool(axes)
    kw = dict(stride=st, padding=pad, dilation=dl, groups=groups, bias=bias)
    kw.update(device=like.device, dtype=like.dtype)
    if not spatial:
        return _TORCH_CONV[nd](in_c, out_c, ks, **kw)
    if info["convop"]:
        return _CONVOP_CONV[nd](
            in_c, out_c, ks, boundary=info["boundary"], method=info["method"], **kw
        )
    mode = {v: k for k, v in _BOUNDARY.items()}[info["boundary"]]
    return _TORCH_CONV[nd](in_c, out_c, ks, padding_mode=mode, **kw)


class SliceSVDConv2d(nn.Module):
    """The slice-wise SVD factorisation of a ``Conv2d`` (``decompose(..., 'svd-slice')``).

    Every ``kh×kw`` slice ``W[o, i]`` is ``Σ_r a[o, i, :, r] b[o, i, r, :]ᵀ``. Realised as
    convolutions: ``vertical`` (``kh×1``, ``groups=C_in``) sends input channel ``i`` to
    one channel per ``(o, r)``, and ``horizontal`` (``1×kw``, ``groups=C_out``) sums, for
    output ``o``, its ``(i, r)`` channels. Done in one go the intermediate has
    ``C_in·C_out/groups·r`` channels (for a 256→256 layer, 65 536 channels of the image
    size: 8.6 GB for a batch of 32 at 32×32), so :meth:`forward` runs ``block`` outputs
    (per group) at a time: the intermediate stays below ``2·max(C_in, C_out)`` channels
    (default ``block``), the memory is that of the input, output and weights, and the
    parameters and multiply-adds are those of the two factor convolutions.

    Parameters
    ----------
    vertical, horizontal : nn.Conv2d
        The two factors, with the channel orders above (see the source of
        :func:`convop.compress.decompose`).
    groups : int
        ``groups`` of the original layer.
    rank : int
        Rank ``r`` per slice.
    block : int, optional
        Outputs per group computed together; default ``max(1, 2·max(C_in, C_out) //
        (C_in·r))``.

    Examples
    --------
    >>> import torch
    >>> from convop.compress import decompose
    >>> conv = torch.nn.Conv2d(4, 6, 3, padding=1, dtype=torch.float64)
    >>> d = decompose(conv, "svd-slice", 3)
    >>> x = torch.randn(2, 4, 7, 7, dtype=torch.float64)
    >>> type(d[0]).__name__, bool(torch.allclose(d(x), conv(x)))
    ('SliceSVDConv2d', True)
    """

    def __init__(
        self,
        vertical: nn.Module,
        horizontal: nn.Module,
        groups: int,
        rank: int,
        block: int | None = None,
    ) -> None:
        super().__init__()
        self.vertical = vertical
        self.horizontal = horizontal
        self.groups = int(groups)
        self.rank = int(rank)
        self.in_channels = int(vertical.in_channels)
        self.out_channels = int(horizontal.out_channels)
        og = self.out_channels // self.groups
        if block is None:
            # at least one output a block: for C_in·r > 2·max(C_in, C_out) (e.g. one channel
            # in and out at rank 3) the floor division gave 0, which was refused below
            block = max(
                1, 2 * max(self.in_channels, self.out_channels) // (self.in_channels * self.rank)
            )
        if not _is_int(block) or block < 1:
            raise invalid("block", block, "None or a positive int")
        self.block = int(min(max(block, 1), og))

    @property
    def bias(self) -> torch.Tensor | None:
        """The original layer's bias (on ``horizontal``)."""
        return self.horizontal.bias  # type: ignore[return-value]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        g, r, ci, co = self.groups, self.rank, self.in_channels, self.out_channels
        og, ig = co // g, ci // g
        kh = self.vertical.weight.shape[2]
        kw = self.horizontal.weight.shape[3]
        w1 = self.vertical.weight.view(ci, og, r, kh, 1)
        w2 = self.horizontal.weight.view(g, og, ig * r, 1, kw)
        b2 = None if self.bias is None else self.bias.view(g, og)
        batched = x.dim() == 4
        xb = x if batched else x.unsqueeze(0)
        outs = []
        templates: dict[int, nn.Module] = {}
        for lo in range(0, og, self.block):
            hi = min(lo + self.block, og)
            n = hi - lo
            # (c, o_l, r) channels of the block, then reordered to (grp, o_l, i, r)
            z = self.vertical._conv_forward(xb, w1[:, lo:hi].reshape(ci * n * r, 1, kh, 1), None)
            z = z.view(z.shape[0], g, ig, n, r, *z.shape[2:]).transpose(2, 3)
            z = z.reshape(z.shape[0], g * n * ig * r, *z.shape[-2:])
            second = templates.get(n)
            if second is None:  # the horizontal factor with groups = outputs of the block
                second = copy.copy(self.horizontal)
                second.groups = g * n
                templates[n] = second
            bias = None if b2 is None else b2[:, lo:hi].reshape(-1)
            y = second._conv_forward(z, w2[:, lo:hi].reshape(g * n, ig * r, 1, kw), bias)
            outs.append(y.view(y.shape[0], g, n, *y.shape[2:]))
        y = torch.cat(outs, dim=2).reshape(xb.shape[0], co, *outs[0].shape[-2:])
        return y if batched else y[0]

    def extra_repr(self) -> str:
        return f"{self.in_channels}, {self.out_channels}, rank={self.rank}, block={self.block}"


class Decomposed(nn.Sequential):
    """The factorised layer returned by :func:`convop.compress.decompose`.

    An ``nn.Sequential`` of the factor layers, plus what produced them.

    Attributes
    ----------
    method : str
        ``'svd'``, ``'svd-slice'``, ``'cp'`` or ``'tucker2'``.
    ranks : tuple of int
        The ranks used (one per group-independent factor: ``(R,)`` or ``(R_in, R_out)``).
    source : dict
        Hyper-parameters of the original layer (kind, channels, kernel, stride, ...).
    """

    method: str
    ranks: tuple[int, ...]
    source: dict[str, Any]

    def __init__(
        self, modules: list[nn.Module], method: str, ranks: tuple[int, ...], source: dict
    ) -> None:
        super().__init__(*modules)
        self.method = method
        self.ranks = tuple(int(r) for r in ranks)
        self.source = dict(source)

    def extra_repr(self) -> str:
        return f"method={self.method!r}, ranks={self.ranks}"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The factors in turn. A batched 2-D input on the CPU goes through torch's own
        factor convolutions in ``channels_last`` layout (and the output back to the input's
        layout): oneDNN's NCHW depthwise and ``1×1`` kernels are 3× to 100× slower there,
        which cost Tucker-2 and CP most of their speed-up on a 256-channel layer."""
        fast = (
            self.source.get("kind") == "conv"
            and not self.source.get("convop")
            and self.method in ("svd", "cp", "tucker2")
            and x.dim() == 4
            and x.device.type == "cpu"
            and x.is_contiguous()
        )
        if not fast:
            return super().forward(x)
        y = super().forward(x.contiguous(memory_format=torch.channels_last))
        return y.contiguous()

    def weight(self) -> torch.Tensor:
        """The weight of the single layer these factors compute (from the current factor
        weights, so it follows fine-tuning), in float64.

        Examples
        --------
        >>> import torch
        >>> from convop.compress import decompose
        >>> conv = torch.nn.Conv2d(4, 6, 3, dtype=torch.float64)
        >>> d = decompose(conv, "tucker2", (4, 6))
        >>> bool(torch.allclose(d.weight(), conv.weight))
        True
        """
        return _merge(self).detach()

    @property
    def bias(self) -> torch.Tensor | None:
        """Bias of the last factor (the original layer's bias)."""
        return self[-1].bias  # type: ignore[return-value]


def _w(module: nn.Module) -> torch.Tensor:
    return module.weight.detach().to(torch.float64)


def _merge(d: Decomposed) -> torch.Tensor:
    src = d.source
    if src["kind"] == "linear":
        return _w(d[1]) @ _w(d[0])
    g = src["groups"]
    co, ci, ks = src["out_channels"], src["in_channels"], src["kernel_size"]
    og, ig = co // g, ci // g
    nd = len(ks)
    if d.method == "svd":
        r = d.ranks[0]
        a = _w(d[0])[:, :, :, 0].reshape(g, r, ig, ks[0])  # (g, r, i, a)
        b = _w(d[1])[:, :, 0, :].reshape(g, og, r, ks[1])  # (g, o, r, b)
        return torch.einsum("grip,gorq->goipq", a, b).reshape(co, ig, *ks)
    if d.method == "svd-slice":
        r = d.ranks[0]
        a = _w(d[0].vertical)[:, 0, :, 0].reshape(g, ig, og, r, ks[0])  # channel (c, o_l, r)
        b = _w(d[0].horizontal)[:, :, 0, :].reshape(g, og, ig, r, ks[1])  # weight (o, (i, r))
        return torch.einsum("giorp,goirq->goipq", a, b).reshape(co, ig, *ks)
    if d.method == "tucker2":
        r_in, r_out = d.ranks
        u_in = _w(d[0]).reshape(g, r_in, ig)
        core = _w(d[1]).reshape(g, r_out, r_in, *ks)
        u_out = _w(d[2]).reshape(g, og, r_out)
        w = torch.einsum("gab,gbc...,gcd->gad...", u_out, core, u_in)
        return w.reshape(co, ig, *ks)
    if d.method == "cp":
        r = d.ranks[0]
        first = _w(d[0]).reshape(g, r, ig)
        last = _w(d[-1]).reshape(g, og, r)
        w = torch.einsum("gor,gri->gori", last, first)
        for j in range(nd):
            taps = _w(d[1 + j]).reshape(g, r, ks[j])
            w = w.unsqueeze(-1) * taps.reshape(g, 1, r, 1, *([1] * j), ks[j])
        return w.sum(dim=2).reshape(co, ig, *ks)
    raise ConvopValueError(f"unknown method {d.method!r}")  # pragma: no cover


# -- rank arguments -------------------------------------------------------------------------
def _is_int(v: Any) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def _is_fraction(v: Any) -> bool:
    return (
        isinstance(v, (float, np.floating))
        and not isinstance(v, (bool, np.bool_))
        and 0.0 < float(v) <= 1.0
    )


_RANK_HELP = (
    "a positive int, a float in (0, 1] (fraction of the energy kept) or 'vbmf'"
    " (for tucker2 also a pair (R_in, R_out) of those)"
)


def _check_rank_value(rank: Any, name: str = "rank") -> Any:
    if _is_int(rank):
        if rank < 1:
            raise invalid(name, rank, _RANK_HELP)
        return int(rank)
    if _is_fraction(rank):
        return float(rank)
    if isinstance(rank, str) and rank == "vbmf":
        return rank
    raise invalid(name, rank, _RANK_HELP)


def _rank_from(rule: Any, mats: list[np.ndarray], cap: int, round_to: int) -> int:
    """Rank chosen by ``rule`` (int, energy fraction or 'vbmf') for matrices ``mats``
    (one per group: the largest rank over the groups), rounded up to ``round_to``."""
    if _is_int(rule):
        r = int(rule)
    elif isinstance(rule, str):
        r = max(vbmf(m).rank for m in mats)
    else:
        r = max(_factor.energy_rank(np.linalg.svd(m, compute_uv=False), rule) for m in mats)
    r = max(r, 1)
    if round_to > 1 and not _is_int(rule):
        r = -(-r // round_to) * round_to
    return min(r, cap)


# -- building -------------------------------------------------------------------------------
def _group_weights(w: np.ndarray, g: int) -> list[np.ndarray]:
    og = w.shape[0] // g
    return [w[i * og : (i + 1) * og] for i in range(g)]


def _param(t: np.ndarray, like: torch.Tensor) -> nn.Parameter:
    return nn.Parameter(torch.as_tensor(np.ascontiguousarray(t)).to(like.dtype).to(like.device))


def _copy_bias(dst: nn.Module, layer: nn.Module) -> None:
    if layer.bias is not None:
        dst.bias = nn.Parameter(layer.bias.detach().clone())


# SVDs, HOOI and ALS sweeps of a kernel are many mid-size LAPACK/BLAS calls: on a busy
# core each multi-threaded call waits for its slow thread (benchmarks/results/NOTES.md,
# convop/compress); under convop.options(blas_threads="single") they run on one thread.
@one_blas_thread
def build(
    layer: nn.Module,
    method: str,
    rank: Any,
    *,
    round_to: int = 1,
    n_iter: int | None = None,
    seed: int = 0,
) -> Decomposed:
    """Validated factorisation of ``layer`` (the body of :func:`decompose`)."""
    if not isinstance(method, str) or method not in METHODS:
        raise invalid("method", method, METHODS)
    if not _is_int(round_to) or round_to < 1:
        raise invalid("round_to", round_to, "a positive int")
    if n_iter is not None and (not _is_int(n_iter) or n_iter < 0):
        raise invalid("n_iter", n_iter, "None or an int >= 0")
    if isinstance(layer, (nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)):
        raise ConvopTypeError(
            f"layer must be nn.Conv1d/2d/3d or nn.Linear; transposed convolutions "
            f"({type(layer).__name__}) are not supported"
        )
    if isinstance(getattr(layer, "weight", None), nn.parameter.UninitializedParameter):
        raise ConvopValueError(
            f"cannot decompose a lazy {type(layer).__name__} before its first forward"
        )
    if isinstance(layer, nn.Linear):
        return _linear(layer, method, rank, round_to)
    if not isinstance(layer, (nn.Conv1d, nn.Conv2d, nn.Conv3d)):
        raise ConvopTypeError(
            f"layer must be nn.Conv1d, nn.Conv2d, nn.Conv3d (or convop.torch's drop-in "
            f"subclasses) or nn.Linear; got {type(layer).__name__}"
        )
    info = conv_info(layer)
    if layer.weight.is_complex():
        raise ConvopTypeError("complex-valued layers are not supported")
    if method in ("svd", "svd-slice") and info["nd"] != 2:
        raise ConvopValueError(
            f"method={method!r} needs an nn.Conv2d (or nn.Linear for 'svd'); got "
            f"{type(layer).__name__}. For Conv1d/Conv3d use method='cp' or 'tucker2'"
        )
    w = layer.weight.detach().cpu().to(torch.float64).numpy()
    if method == "tucker2":
        if isinstance(rank, (tuple, list)):
            if len(rank) != 2:
                raise invalid("rank", rank, _RANK_HELP)
            rules = (_check_rank_value(rank[0]), _check_rank_value(rank[1]))
        else:
            rules = (_check_rank_value(rank),) * 2
        return _tucker2(layer, info, w, rules, round_to, n_iter)
    rule = _check_rank_value(rank)
    if method == "svd":
        return _svd(layer, info, w, rule, round_to)
    if method == "svd-slice":
        return _svd_slice(layer, info, w, rule, round_to)
    return _cp(layer, info, w, rule, round_to, n_iter, seed)


def _linear(layer: nn.Linear, method: str, rank: Any, round_to: int) -> Decomposed:
    if method != "svd":
        raise ConvopValueError(
            f"method={method!r} is for convolutions; an nn.Linear supports only method='svd'"
        )
    rule = _check_rank_value(rank)
    w = layer.weight.detach().cpu().to(torch.float64).numpy()
    u, s, vt = np.linalg.svd(w, full_matrices=False)
    r = _rank_from(rule, [w], s.size, round_to)
    sq = np.sqrt(s[:r])
    like = layer.weight
    first = nn.Linear(w.shape[1], r, bias=False, device=like.device, dtype=like.dtype)
    second = nn.Linear(r, w.shape[0], bias=layer.bias is not None, device=like.device,
                       dtype=like.dtype)  # fmt: skip
    first.weight = _param(sq[:, None] * vt[:r], like)
    second.weight = _param(u[:, :r] * sq, like)
    _copy_bias(second, layer)
    src = {"kind": "linear", "in_features": w.shape[1], "out_features": w.shape[0]}
    return Decomposed([first, second], "svd", (r,), src)


def _source(info: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "conv", **info}


def _svd(layer: nn.Module, info: dict, w: np.ndarray, rule: Any, round_to: int) -> Decomposed:
    g = info["groups"]
    og, ig, kh, kw = w.shape[0] // g, w.shape[1], *info["kernel_size"]
    # M[(i, a), (o, b)] = W[o, i, a, b]: rank-r M ⇔ r separable (kh×1 then 1×kw) pairs
    mats = [wg.transpose(1, 2, 0, 3).reshape(ig * kh, og * kw) for wg in _group_weights(w, g)]
    r = _rank_from(rule, mats, min(ig * kh, og * kw), round_to)
    first = np.zeros((g * r, ig, kh, 1))
    second = np.zeros((g * og, r, 1, kw))
    for i, m in enumerate(mats):
        u, s, vt = np.linalg.svd(m, full_matrices=False)
        sq = np.sqrt(s[:r])
        first[i * r : (i + 1) * r, :, :, 0] = (u[:, :r] * sq).T.reshape(r, ig, kh)
        second[i * og : (i + 1) * og, :, 0, :] = (
            (vt[:r].T * sq).reshape(og, kw, r).transpose(0, 2, 1)
        )
    like = layer.weight
    l1 = _make_conv(info, g * ig, g * r, (0,), g, False, like)
    l2 = _make_conv(info, g * r, g * og, (1,), g, layer.bias is not None, like)
    l1.weight, l2.weight = _param(first, like), _param(second, like)
    _copy_bias(l2, layer)
    return Decomposed([l1, l2], "svd", (r,), _source(info))


def _svd_slice(layer: nn.Module, info: dict, w: np.ndarray, rule: Any, round_to: int) -> Decomposed:
    g = info["groups"]
    co, ig, kh, kw = w.shape
    og = co // g
    ci = g * ig
    u, s, vt = np.linalg.svd(w, full_matrices=False)  # batched over (o, i) slices
    cap = min(kh, kw)
    if _is_int(rule):
        r = min(int(rule), cap)
    elif isinstance(rule, str):
        # the slices share the noise model: VBMF on all of them stacked, in both directions
        rows = w.reshape(-1, kw)
        cols = w.transpose(0, 1, 3, 2).reshape(-1, kh)
        r = max(vbmf(rows).rank, vbmf(cols).rank, 1)
        r = min(-(-r // round_to) * round_to, cap)
    else:
        # fraction of the energy of all slices together, kept by r components per slice
        cum = np.cumsum(np.sum(s**2, axis=(0, 1)))
        r = int(np.searchsorted(cum, rule * cum[-1] * (1.0 - 1e-12))) + 1 if cum[-1] else 1
        r = min(-(-max(r, 1) // round_to) * round_to, cap)
    sq = np.sqrt(s[..., :r])  # (co, ig, r)
    a = u[..., :r] * sq[:, :, None, :]  # (co, ig, kh, r)
    b = vt[:, :, :r, :] * sq[..., None]  # (co, ig, r, kw)
    # vertical factor: input channel c = (grp, i) feeds channels (c, o_l, r), groups = C_in
    first = np.zeros((ci, og, r, kh))
    for grp in range(g):
        blk = a[grp * og : (grp + 1) * og]  # (o_l, i, kh, r)
        first[grp * ig : (grp + 1) * ig] = blk.transpose(1, 0, 3, 2)
    first = first.reshape(ci * og * r, 1, kh, 1)
    second = b.reshape(co, ig * r, 1, kw)  # horizontal factor: output o sums its (i, r)
    like = layer.weight
    l1 = _make_conv(info, ci, ci * og * r, (0,), ci, False, like)
    l2 = _make_conv(info, co * ig * r, co, (1,), co, layer.bias is not None, like)
    l1.weight, l2.weight = _param(first, like), _param(second, like)
    _copy_bias(l2, layer)
    return Decomposed([SliceSVDConv2d(l1, l2, g, r)], "svd-slice", (r,), _source(info))


def _tucker2(
    layer: nn.Module,
    info: dict,
    w: np.ndarray,
    rules: tuple[Any, Any],
    round_to: int,
    n_iter: int | None,
) -> Decomposed:
    g = info["groups"]
    groups = _group_weights(w, g)
    og, ig = groups[0].shape[:2]
    ks = info["kernel_size"]
    r_in = _rank_from(rules[0], [_factor.unfold(t, 1) for t in groups], ig, round_to)
    r_out = _rank_from(rules[1], [_factor.unfold(t, 0) for t in groups], og, round_to)
    first = np.zeros((g * r_in, ig) + (1,) * len(ks))
    core = np.zeros((g * r_out, r_in) + tuple(ks))
    last = np.zeros((g * og, r_out) + (1,) * len(ks))
    for i, t in enumerate(groups):
        c, uo, ui = _factor.tucker2(t, (r_out, r_in), n_iter=10 if n_iter is None else n_iter)
        first[i * r_in : (i + 1) * r_in] = ui.T.reshape((r_in, ig) + (1,) * len(ks))
        core[i * r_out : (i + 1) * r_out] = c
        last[i * og : (i + 1) * og] = uo.reshape((og, r_out) + (1,) * len(ks))
    like = layer.weight
    nd = info["nd"]
    l1 = _make_conv(info, g * ig, g * r_in, (), g, False, like)
    l2 = _make_conv(info, g * r_in, g * r_out, tuple(range(nd)), g, False, like)
    l3 = _make_conv(info, g * r_out, g * og, (), g, layer.bias is not None, like)
    l1.weight, l2.weight, l3.weight = _param(first, like), _param(core, like), _param(last, like)
    _copy_bias(l3, layer)
    return Decomposed([l1, l2, l3], "tucker2", (r_in, r_out), _source(info))


def _cp(
    layer: nn.Module,
    info: dict,
    w: np.ndarray,
    rule: Any,
    round_to: int,
    n_iter: int | None,
    seed: int,
) -> Decomposed:
    g = info["groups"]
    groups = _group_weights(w, g)
    og, ig = groups[0].shape[:2]
    ks = info["kernel_size"]
    nd = info["nd"]
    if _is_int(rule):
        # beyond the exact rank, extra terms would be zero
        r = min(int(rule), _factor.cp_exact_rank(groups[0].shape))
    else:
        # as the seed's est_rank: the larger of the two channel-mode ranks
        mats = [_factor.unfold(t, m) for t in groups for m in (0, 1)]
        r = _rank_from(rule, mats, prod(groups[0].shape), round_to)
    ones = (1,) * nd
    first = np.zeros((g * r, ig) + ones)
    taps = [np.zeros((g * r, 1) + tuple(ks[j] if q == j else 1 for q in range(nd)))
            for j in range(nd)]  # fmt: skip
    last = np.zeros((g * og, r) + ones)
    for i, t in enumerate(groups):
        f = _factor.cp_als(t, r, n_iter=300 if n_iter is None else n_iter, seed=seed + i)
        sl = slice(i * r, (i + 1) * r)
        last[i * og : (i + 1) * og] = f[0].reshape((og, r) + ones)
        first[sl] = f[1].T.reshape((r, ig) + ones)
        for j in range(nd):
            taps[j][sl] = f[2 + j].T.reshape((r,) + taps[j].shape[1:])
    like = layer.weight
    mods: list[nn.Module] = [_make_conv(info, g * ig, g * r, (), g, False, like)]
    mods[0].weight = _param(first, like)
    for j in range(nd):
        m = _make_conv(info, g * r, g * r, (j,), g * r, False, like)
        m.weight = _param(taps[j], like)
        mods.append(m)
    lastm = _make_conv(info, g * r, g * og, (), g, layer.bias is not None, like)
    lastm.weight = _param(last, like)
    _copy_bias(lastm, layer)
    mods.append(lastm)
    return Decomposed(mods, "cp", (r,), _source(info))
