"""``decompose`` and ``error_bound``: the per-layer API (torch imported on first call)."""

from __future__ import annotations

from math import prod
from typing import Any

import numpy as np

from convop._core.errors import ConvopTypeError, ConvopValueError
from convop._core.optional import require

__all__ = ["DENSE_PROBE_LIMIT", "decompose", "error_bound"]

#: Largest input size (entries) for which :func:`error_bound` probes an arbitrary
#: ``compressed`` module column by column to get its dense matrix.
DENSE_PROBE_LIMIT = 4096


def decompose(
    layer: Any,
    method: str,
    rank: Any,
    *,
    round_to: int = 1,
    n_iter: int | None = None,
    seed: int = 0,
) -> Any:
    r"""Factorise a convolution (or linear) layer into a sequence of cheaper layers.

    Parameters
    ----------
    layer : torch.nn.Conv1d, Conv2d, Conv3d (or convop.torch's subclasses) or Linear
        The layer. Its stride, padding (int, tuple, ``'same'``, ``'valid'``), every
        ``padding_mode`` / convop ``boundary``, dilation, bias and ``groups`` are kept:
        with ``groups > 1`` every group is factorised on its own (same rank in each) and
        the factor layers are grouped convolutions.
    method : {'svd', 'svd-slice', 'cp', 'tucker2'}
        * ``'svd'``: ``nn.Linear`` → two ``Linear`` (``W = (U√Σ)(√Σ Vᵀ)``);
          ``Conv2d`` → ``kh×1`` conv (``C_in → R``) then ``1×kw`` conv (``R → C_out``),
          from the SVD of the ``(C_in·kh) × (C_out·kw)`` reshaping (Jaderberg et al.).
        * ``'svd-slice'`` (Conv2d): rank ``r`` SVD of every ``kh×kw`` slice (the seed's
          construction), realised exactly as a ``kh×1`` conv with ``groups=C_in``, a
          channel permutation and a ``1×kw`` conv with ``groups=C_out``.
        * ``'cp'``: CP of the kernel → ``1×1`` (``C_in → R``), one depthwise conv per
          spatial axis, ``1×1`` (``R → C_out``) (Lebedev et al.); 1-D to 3-D.
        * ``'tucker2'``: Tucker on the channel modes → ``1×1`` (``C_in → R_in``), core
          ``k^d`` conv (``R_in → R_out``), ``1×1`` (``R_out → C_out``) (Kim et al.).
    rank : int, float, 'vbmf', or (R_in, R_out) for tucker2
        An int is the rank (capped at the largest useful one for svd, svd-slice and
        tucker2); a float in ``(0, 1]`` keeps that fraction of the energy (sum of
        squared singular values) of the relevant matrix; ``'vbmf'`` asks :func:`vbmf`.
        For ``'cp'`` a float or ``'vbmf'`` applies to the mode-0 and mode-1 unfoldings
        and takes the larger rank (the seed's ``est_rank``); for tucker2 they set
        ``R_out`` from the mode-0 and ``R_in`` from the mode-1 unfolding.
    round_to : int
        Round ranks chosen by energy or VBMF up to a multiple of this (the seed uses 8).
    n_iter : int, optional
        ALS sweeps (cp, default 300) or HOOI sweeps (tucker2, default 10).
    seed : int
        Seed of the random start columns of CP when the rank exceeds a mode.

    Returns
    -------
    Decomposed
        An ``nn.Sequential`` of the factor layers (same dtype and device as ``layer``)
        with ``.method``, ``.ranks`` and ``.weight()`` (the equivalent single kernel).
        The bias, copied from ``layer``, sits on the last factor.

    Raises
    ------
    ConvopTypeError
        ``layer`` is not a supported module (transposed and lazy layers are refused).
    ConvopValueError
        Unknown ``method``; ``rank`` / ``round_to`` / ``n_iter`` out of range; a method
        the layer kind does not support (``'svd'``/``'svd-slice'`` on Conv1d/3d, any
        method but ``'svd'`` on Linear).

    Notes
    -----
    Stride, padding and dilation of each axis go on the factor whose kernel spans that
    axis (``1×1`` factors get none). The composition then computes exactly the layer
    whose kernel is the reconstructed tensor, for every boundary: the spatial extensions
    act axis by axis and commute with channel mixing. At full rank the factorisations are
    exact: svd at ``min(C_in·kh, C_out·kw)``, svd-slice at ``min(kh, kw)``, tucker2 at
    ``(C_in, C_out)`` (per group) and CP at any ``R ≥`` the product of all modes but the
    largest, where the ALS starts from an exact CP built from the kernel's fibres.

    The SVDs, HOOI and ALS sweeps are many mid-size LAPACK/BLAS calls. With numpy's
    OpenBLAS on several threads and a core busy elsewhere, each call waits for its slow
    thread: on the shared 2-core development machine a 256→256 3×3 kernel took 20-50 s
    for tucker2 (64, 64) or cp 64, against 0.7-1 s and 3-5 s on one thread (same
    results to the bit). By default convop leaves the process-wide BLAS thread count
    alone (``convop.options``); a program that sets no BLAS limits of its own can run
    ``with convop.options(blas_threads="single"): decompose(...)`` (``convop compress``
    and ``convop bench --compress`` do), or wrap the call in
    ``threadpoolctl.threadpool_limits(1)``.

    References
    ----------
    .. [1] M. Jaderberg, A. Vedaldi, A. Zisserman, "Speeding up convolutional neural
       networks with low rank expansions", BMVC 2014.
    .. [2] V. Lebedev et al., "Speeding-up convolutional neural networks using
       fine-tuned CP-decomposition", ICLR 2015.
    .. [3] Y.-D. Kim et al., "Compression of deep convolutional neural networks for fast
       and low power mobile applications", ICLR 2016.

    Examples
    --------
    >>> import torch
    >>> from convop.compress import decompose
    >>> _ = torch.manual_seed(0)
    >>> conv = torch.nn.Conv2d(8, 16, 3, padding=1, dtype=torch.float64)
    >>> d = decompose(conv, "tucker2", (8, 16))
    >>> [type(m).__name__ for m in d]
    ['Conv2d', 'Conv2d', 'Conv2d']
    >>> x = torch.randn(2, 8, 10, 10, dtype=torch.float64)
    >>> bool(torch.allclose(d(x), conv(x)))
    True
    >>> decompose(conv, "svd", 0.5).ranks
    (6,)
    """
    require("torch", "torch", "convop.compress.decompose")
    from convop.compress import _layers

    return _layers.build(layer, method, rank, round_to=round_to, n_iter=n_iter, seed=seed)


def _linear_part(module: Any, torch: Any, x: Any) -> Any:
    with torch.no_grad():
        return module(x) - module(torch.zeros_like(x[:1]))


def _dense(module: Any, torch: Any, shape: tuple[int, ...], dtype: Any, device: Any) -> np.ndarray:
    n = prod(shape)
    eye = torch.eye(n, dtype=dtype, device=device).reshape((n,) + shape)
    cols = _linear_part(module, torch, eye).reshape(n, -1)
    return cols.T.cpu().to(torch.float64).numpy()


def error_bound(original: Any, compressed: Any, input_shape: Any = None) -> tuple[float, float]:
    r"""Certified bracket on ``max_x ‖f(x) − g(x)‖ / ‖x‖`` for two layers.

    Parameters
    ----------
    original : torch.nn.Conv1d/2d/3d or Linear
        The layer ``f``.
    compressed : Decomposed, a convolution/Linear of the same hyper-parameters, or any
        module linear up to a constant
        The layer ``g``. A :class:`Decomposed` (from :func:`decompose`) or a layer with
        ``original``'s hyper-parameters is reduced to one kernel; any other module is
        probed column by column (inputs of at most :data:`DENSE_PROBE_LIMIT` entries).
    input_shape : tuple of int
        ``(C_in, *spatial)`` (a leading batch axis is ignored): the operators act on
        inputs of this shape. Unused (may be None) for ``nn.Linear``.

    Returns
    -------
    (lower, upper) : tuple of float
        ``lower ≤ ‖A_f − A_g‖₂ ≤ upper`` for the linear maps of the two layers on that
        input shape, with the layer's boundary (zero, periodic, reflect, ...): from
        :func:`convop.spectral.opnorm` of the convolution with kernel ``W_f − W_g``
        (exact per-frequency bracket for periodic layers, circulant-embedding bound
        otherwise), or the exact 2-norm for Linear layers and probed matrices.

    Raises
    ------
    ConvopTypeError
        Unsupported module types.
    ConvopValueError
        Mismatched shapes or hyper-parameters, bad ``input_shape``, or a probe beyond
        :data:`DENSE_PROBE_LIMIT`.

    Notes
    -----
    The bracket concerns the linear parts. :func:`decompose` copies the bias, so right
    after decomposition ``f(x) − g(x) = (A_f − A_g) x`` exactly; if the biases differ
    (after fine-tuning) the ratio is unbounded near ``x = 0`` and the bracket bounds
    ``‖(f(x) − f(0)) − (g(x) − g(0))‖ / ‖x‖``.

    Examples
    --------
    >>> import torch
    >>> from convop.compress import decompose, error_bound
    >>> torch.manual_seed(0) and None
    >>> conv = torch.nn.Conv2d(4, 4, 3, padding=1, padding_mode="circular")
    >>> lo, up = error_bound(conv, decompose(conv, "tucker2", (2, 2)), (4, 8, 8))
    >>> bool(0 < lo <= up <= lo * (1 + 1e-5))
    True
    """
    torch = require("torch", "torch", "convop.compress.error_bound")
    from torch import nn

    from convop._operators.layer import ConvLayer
    from convop.compress import _layers
    from convop.spectral import opnorm

    if isinstance(original, nn.Linear):
        wf = original.weight.detach().cpu().to(torch.float64).numpy()
        if isinstance(compressed, _layers.Decomposed) and compressed.source["kind"] == "linear":
            wg = compressed.weight().cpu().numpy()
        elif isinstance(compressed, nn.Linear):
            wg = compressed.weight.detach().cpu().to(torch.float64).numpy()
        else:
            shape = (wf.shape[1],)
            wg = _dense(compressed, torch, shape, original.weight.dtype, original.weight.device)
        if wg.shape != wf.shape:
            raise ConvopValueError(
                f"compressed computes a {wg.shape[0]}×{wg.shape[1]} map; original is "
                f"{wf.shape[0]}×{wf.shape[1]}"
            )
        s = float(np.linalg.norm(wf - wg, 2))
        return s, s
    if not isinstance(original, (nn.Conv1d, nn.Conv2d, nn.Conv3d)):
        raise ConvopTypeError(
            f"original must be nn.Conv1d/2d/3d or nn.Linear; got {type(original).__name__}"
        )
    info = _layers.conv_info(original)
    if input_shape is None:
        raise ConvopValueError("input_shape=(C_in, *spatial) is needed for convolutions")
    try:
        shape = tuple(int(v) for v in input_shape)
    except (TypeError, ValueError) as exc:
        raise ConvopValueError(f"invalid input_shape={input_shape!r}; expected ints") from exc
    if len(shape) == info["nd"] + 2:
        shape = shape[1:]
    if len(shape) != info["nd"] + 1 or shape[0] != info["in_channels"] or min(shape) < 1:
        raise ConvopValueError(
            f"invalid input_shape={input_shape!r}; expected (C_in={info['in_channels']}, "
            f"{info['nd']} spatial sizes), optionally after a batch axis"
        )
    wf = original.weight.detach().cpu().to(torch.float64).numpy()
    wg = None
    if isinstance(compressed, _layers.Decomposed) and compressed.source["kind"] == "conv":
        src = compressed.source
        keys = ("nd", "in_channels", "out_channels", "kernel_size", "stride", "padding")
        keys += ("dilation", "groups", "boundary")
        if any(src[k] != info[k] for k in keys):
            raise ConvopValueError(
                "compressed was decomposed from a layer with other hyper-parameters: "
                + ", ".join(f"{k}={src[k]!r} vs {info[k]!r}" for k in keys if src[k] != info[k])
            )
        wg = compressed.weight().cpu().numpy()
    elif isinstance(compressed, (nn.Conv1d, nn.Conv2d, nn.Conv3d)):
        other = _layers.conv_info(compressed)
        same = all(other[k] == info[k] for k in info if k not in ("bias", "convop", "method"))
        if same:
            wg = compressed.weight.detach().cpu().to(torch.float64).numpy()
    if wg is None:
        n = prod(shape)
        if n > DENSE_PROBE_LIMIT:
            raise ConvopValueError(
                f"compressed ({type(compressed).__name__}) is not a Decomposed layer or a "
                f"convolution like original, and probing it needs {n} inputs, above "
                f"DENSE_PROBE_LIMIT={DENSE_PROBE_LIMIT}; pass a smaller input_shape"
            )
        dt, dev = original.weight.dtype, original.weight.device
        if not isinstance(compressed, nn.Module):
            raise ConvopTypeError(
                f"compressed must be a torch.nn.Module; got {type(compressed).__name__}"
            )
        d = _dense(original, torch, shape, dt, dev) - _dense(compressed, torch, shape, dt, dev)
        s = float(np.linalg.norm(d, 2))
        return s, s
    pad = info["padding"]
    if isinstance(pad, tuple):
        pad = tuple(int(p) for p in pad)
    op = ConvLayer(
        wf - wg,
        shape,
        stride=info["stride"],
        padding=pad,
        dilation=info["dilation"],
        groups=info["groups"],
        boundary=info["boundary"],
    )
    if not np.any(wf - wg):
        return 0.0, 0.0
    lo, up = opnorm(op)
    return float(lo), float(up)
