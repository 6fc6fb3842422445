"""FFT cross-correlation with an analytic, FFT-computed backward.

Three bilinear maps close under differentiation (``xp`` a padded input, ``w`` the
weight, ``g`` an output gradient; every one is exact, no circular wrap-around):

* ``A(xp, w)``   — the strided, dilated, grouped *valid* cross-correlation
  (``F.conv*d(xp, w, stride=s, dilation=d, groups=g)``);
* ``B(g, w)``    — its adjoint in ``xp`` (a full convolution with the kernel,
  after zero-insertion of ``g`` for the stride): the input gradient;
* ``C(xp, g)``   — its adjoint in ``w`` (a valid correlation of ``xp`` with
  the zero-inserted ``g``, sampled every ``d`` lags): the weight gradient.

``<A(x, w), g> = <x, B(g, w)> = <w, C(x, g)>``, so the backward of each is two
of the others and derivatives of any order stay on the FFT path.

Sizes: a valid correlation of a length-``S`` signal only needs a transform
length ``L >= S`` (the outputs that would wrap are discarded), so every map uses
one ``L`` per axis, the next 2·3·5-smooth length ``>= S``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import torch

__all__ = ["FFTGeometry", "fft_conv", "good_size"]


@lru_cache(maxsize=1024)
def good_size(n: int) -> int:
    """Smallest ``m >= n`` whose prime factors are 2, 3 and 5 (a fast FFT length).

    Examples
    --------
    >>> good_size(94), good_size(97), good_size(1)
    (96, 100, 1)
    """
    best = 1 << max(0, (n - 1).bit_length())  # the next power of two
    p5 = 1
    while p5 < best:
        p35 = p5
        while p35 < best:
            m = p35
            while m < n:
                m *= 2
            best = min(best, m)
            p35 *= 3
        p5 *= 5
    return best


@dataclass(frozen=True)
class FFTGeometry:
    """Static description of one ``A(xp, w)``: sizes, stride, dilation, groups."""

    size: tuple[int, ...]  #: padded input spatial shape S
    kernel: tuple[int, ...]  #: kernel spatial shape K
    stride: tuple[int, ...]
    dilation: tuple[int, ...]
    groups: int

    @property
    def nd(self) -> int:
        return len(self.size)

    @property
    def dims(self) -> tuple[int, ...]:
        return tuple(range(-self.nd, 0))

    @property
    def span(self) -> tuple[int, ...]:
        """Dilated kernel extent ``d·(k−1)+1``."""
        return tuple(d * (k - 1) + 1 for d, k in zip(self.dilation, self.kernel))

    @property
    def full_out(self) -> tuple[int, ...]:
        """Stride-1 valid output shape ``S − span + 1``."""
        return tuple(n - e + 1 for n, e in zip(self.size, self.span))

    @property
    def out(self) -> tuple[int, ...]:
        return tuple((m - 1) // s + 1 for m, s in zip(self.full_out, self.stride))

    @property
    def fft_size(self) -> tuple[int, ...]:
        return tuple(good_size(n) for n in self.size)

    # -- slices -----------------------------------------------------------------------------
    def out_slices(self) -> tuple[slice, ...]:
        return tuple(slice(0, m, s) for m, s in zip(self.full_out, self.stride))

    def in_slices(self) -> tuple[slice, ...]:
        return tuple(slice(0, n) for n in self.size)

    def kernel_slices(self) -> tuple[slice, ...]:
        return tuple(slice(0, e, d) for e, d in zip(self.span, self.dilation))


# -- spectra ----------------------------------------------------------------------------------
def _rfft(t: torch.Tensor, geo: FFTGeometry) -> torch.Tensor:
    """Real spectrum of ``t`` zero-padded to ``fft_size`` over the spatial axes."""
    return torch.fft.rfftn(t, s=geo.fft_size, dim=geo.dims)


#: an inverse whose crop keeps at most this fraction of a leading axis is pruned
PRUNE_FRACTION = 0.5


def _irfft(t: torch.Tensor, geo: FFTGeometry, crop: tuple[slice, ...]) -> torch.Tensor:
    """Inverse of :func:`_rfft`, restricted to ``crop``.

    When the crop keeps a small part of a leading axis (the weight gradient: the
    kernel span out of the whole transform), the axes are inverted one at a time
    and cropped at once, so the later (real) stages run on fewer rows than a full
    ``irfftn`` followed by the crop.
    """
    L, dims, nd = geo.fft_size, geo.dims, geo.nd
    if nd == 1 or all(c.stop > PRUNE_FRACTION * n for c, n in zip(crop[:-1], L)):
        full = torch.fft.irfftn(t, s=L, dim=dims)
        return full[(Ellipsis,) + crop]
    for i in range(nd - 1):
        t = torch.fft.ifft(t, dim=dims[i])
        t = t[(Ellipsis, crop[i]) + (slice(None),) * (nd - 1 - i)]
    return torch.fft.irfft(t, n=L[-1], dim=-1)[..., crop[-1]]


def _dilate(w: torch.Tensor, geo: FFTGeometry) -> torch.Tensor:
    """Kernel with ``d−1`` zeros between taps (spatial shape ``span``)."""
    if all(d == 1 for d in geo.dilation):
        return w
    out = w.new_zeros(w.shape[:2] + geo.span)
    out[(Ellipsis,) + geo.kernel_slices()] = w
    return out


def _upsample(g: torch.Tensor, geo: FFTGeometry) -> torch.Tensor:
    """Output gradient with ``s−1`` zeros between samples (shape ``full_out``)."""
    if all(s == 1 for s in geo.stride):
        return g
    out = g.new_zeros(g.shape[:2] + geo.full_out)
    out[(Ellipsis,) + geo.out_slices()] = g
    return out


def _freq_major(t: torch.Tensor, groups: int) -> torch.Tensor:
    """(B, C, *F) spectrum → contiguous (P, g, B, C/g): one matrix per frequency, group.

    Contiguous operands let ``torch.matmul`` hand the whole batch to one batched
    complex GEMM (a strided view would be copied matrix by matrix).
    """
    b, c = t.shape[:2]
    return t.reshape(b, groups, c // groups, -1).permute(3, 1, 0, 2).contiguous()


def _weight_freq_major(wf: torch.Tensor, groups: int) -> torch.Tensor:
    """(O, C/g, *F) weight spectrum → contiguous (P, g, O/g, C/g)."""
    o, cg = wf.shape[:2]
    return wf.reshape(groups, o // groups, cg, -1).permute(3, 0, 1, 2).contiguous()


def _channel_major(t: torch.Tensor, fshape: tuple[int, ...]) -> torch.Tensor:
    """(P, g, B, C/g) → contiguous (B, C, *F)."""
    _p, g, b, cg = t.shape
    return t.permute(2, 1, 3, 0).reshape((b, g * cg) + fshape)


def _weight_channel_major(t: torch.Tensor, fshape: tuple[int, ...]) -> torch.Tensor:
    """(P, g, O/g, C/g) → (O, C/g, *F)."""
    _p, g, og, cg = t.shape
    return t.permute(1, 2, 3, 0).reshape((g * og, cg) + fshape)


def _herm(t: torch.Tensor) -> torch.Tensor:
    return t.transpose(-1, -2).conj()


# -- the three maps: spectra in, spectra out ------------------------------------------------
# xt: (P, g, N, Cg) input spectrum, wt: (P, g, Og, Cg) kernel spectrum,
# gt: (P, g, N, Og) spectrum of the zero-inserted output gradient.
def _spectra_x(xp: torch.Tensor, geo: FFTGeometry) -> torch.Tensor:
    return _freq_major(_rfft(xp, geo), geo.groups)


def _spectra_w(w: torch.Tensor, geo: FFTGeometry) -> torch.Tensor:
    return _weight_freq_major(_rfft(_dilate(w, geo), geo), geo.groups)


def _spectra_g(g: torch.Tensor, geo: FFTGeometry) -> torch.Tensor:
    return _freq_major(_rfft(_upsample(g, geo), geo), geo.groups)


def _fshape(geo: FFTGeometry) -> tuple[int, ...]:
    L = geo.fft_size
    return L[:-1] + (L[-1] // 2 + 1,)


def _out_from(xt: torch.Tensor, wt: torch.Tensor, geo: FFTGeometry) -> torch.Tensor:
    """Y[n,o] = Σ_c X[n,c]·conj(W[o,c]) → valid strided output."""
    yf = _channel_major(torch.matmul(xt, _herm(wt)), _fshape(geo))
    return _irfft(yf, geo, geo.out_slices()).contiguous()


def _input_from(gt: torch.Tensor, wt: torch.Tensor, geo: FFTGeometry) -> torch.Tensor:
    """GX[n,c] = Σ_o G[n,o]·W[o,c] → gradient of the padded input."""
    gxf = _channel_major(torch.matmul(gt, wt), _fshape(geo))
    return _irfft(gxf, geo, geo.in_slices()).contiguous()


def _weight_from(xt: torch.Tensor, gt: torch.Tensor, geo: FFTGeometry) -> torch.Tensor:
    """GW[o,c] = Σ_n conj(G[n,o])·X[n,c] → weight gradient (every d-th lag)."""
    gwf = _weight_channel_major(torch.matmul(_herm(gt), xt), _fshape(geo))
    return _irfft(gwf, geo, geo.kernel_slices()).contiguous()


class _Correlate(torch.autograd.Function):
    """A(xp, w): valid strided/dilated/grouped cross-correlation by FFT."""

    @staticmethod
    def forward(ctx: Any, xp: torch.Tensor, w: torch.Tensor, geo: FFTGeometry) -> torch.Tensor:
        xt, wt = _spectra_x(xp, geo), _spectra_w(w, geo)
        ctx.geo = geo
        ctx.save_for_backward(xp, w)
        # spectra kept for a first-order backward (no second FFT of the input)
        ctx.spectra = (xt, wt)
        return _out_from(xt, wt, geo)

    @staticmethod
    def backward(ctx: Any, g: torch.Tensor) -> tuple[Any, ...]:
        xp, w = ctx.saved_tensors
        geo = ctx.geo
        need_x, need_w = ctx.needs_input_grad[:2]
        gx = gw = None
        if torch.is_grad_enabled():
            # create_graph=True: stay differentiable through the sibling maps
            if need_x:
                gx = _InputGrad.apply(g, w, geo)
            if need_w:
                gw = _WeightGrad.apply(xp, g, geo)
        else:
            xt, wt = ctx.spectra
            gt = _spectra_g(g, geo)
            if need_x:
                gx = _input_from(gt, wt, geo)
            if need_w:
                gw = _weight_from(xt, gt, geo)
        return gx, gw, None


class _InputGrad(torch.autograd.Function):
    """B(g, w) = A(·, w)^T g."""

    @staticmethod
    def forward(ctx: Any, g: torch.Tensor, w: torch.Tensor, geo: FFTGeometry) -> torch.Tensor:
        ctx.geo = geo
        ctx.save_for_backward(g, w)
        return _input_from(_spectra_g(g, geo), _spectra_w(w, geo), geo)

    @staticmethod
    def backward(ctx: Any, h: torch.Tensor) -> tuple[Any, ...]:
        g, w = ctx.saved_tensors
        geo = ctx.geo
        dg = _Correlate.apply(h, w, geo) if ctx.needs_input_grad[0] else None
        dw = _WeightGrad.apply(h, g, geo) if ctx.needs_input_grad[1] else None
        return dg, dw, None


class _WeightGrad(torch.autograd.Function):
    """C(xp, g) = A(xp, ·)^T g."""

    @staticmethod
    def forward(ctx: Any, xp: torch.Tensor, g: torch.Tensor, geo: FFTGeometry) -> torch.Tensor:
        ctx.geo = geo
        ctx.save_for_backward(xp, g)
        return _weight_from(_spectra_x(xp, geo), _spectra_g(g, geo), geo)

    @staticmethod
    def backward(ctx: Any, k: torch.Tensor) -> tuple[Any, ...]:
        xp, g = ctx.saved_tensors
        geo = ctx.geo
        dx = _InputGrad.apply(g, k, geo) if ctx.needs_input_grad[0] else None
        dg = _Correlate.apply(xp, k, geo) if ctx.needs_input_grad[1] else None
        return dx, dg, None


def fft_conv(
    xp: torch.Tensor,
    w: torch.Tensor,
    stride: tuple[int, ...],
    dilation: tuple[int, ...],
    groups: int,
) -> torch.Tensor:
    """Valid cross-correlation of an already padded, batched input by FFT.

    Same result as ``F.conv{d}d(xp, w, stride=stride, dilation=dilation, groups=groups)``
    with an FFT-computed backward. Arguments arrive validated.
    """
    geo = FFTGeometry(
        tuple(xp.shape[2:]), tuple(w.shape[2:]), tuple(stride), tuple(dilation), groups
    )
    return _Correlate.apply(xp, w, geo)
