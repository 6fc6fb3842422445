"""The cost model and plan of :class:`convop.ConvLayer` methods (forward)."""

from __future__ import annotations

from functools import lru_cache
from math import prod
from typing import Any

import numpy as np

from convop._core import caches
from convop._core.config import Options, current
from convop._core.optional import torch_enabled
from convop._core.validate import int_tuple
from convop._planning.constants import constants
from convop._planning.cost import fast, fft_units, precision

__all__ = ["layer_costs", "layer_plan"]


def layer_costs(
    batch: int,
    c_in: int,
    c_out: int,
    groups: int,
    padded: tuple[int, ...],
    kshape: tuple[int, ...],
    out: tuple[int, ...],
    dilation: tuple[int, ...],
    dtype: Any,
    torch: bool,
) -> dict[str, float]:
    """Predicted seconds of each layer method (forward)."""
    c = constants()[precision(np.dtype(dtype))]
    taps, p_out = prod(kshape), prod(out)
    macs = batch * c_out * (c_in // groups) * taps * p_out
    res = {}
    if torch:
        o, s = c["torch_layer"]
        # torch's per-multiply-add cost grows with the kernel: taps/280 makes it x4 at
        # 31x31 (benchmarks/results/NOTES.md)
        res["direct"] = o + s * macs * (1.0 + taps / 280.0)
    else:
        o, s = c["layer_tap"]
        res["direct"] = o * taps + s * macs + 2e-10 * batch * c_in * taps * p_out
    o, s = c["layer_gemm"]
    res["gemm"] = o + s * macs + 1e-9 * batch * c_in * taps * p_out
    span = tuple(dl * (k - 1) + 1 for dl, k in zip(dilation, kshape))
    f = prod(fast(max(p, q)) for p, q in zip(padded, span))
    o, s = c["layer_fft"]
    transforms = batch * c_in + batch * c_out + c_out * (c_in // groups)
    cmul = batch * c_out * (c_in // groups) * f / 2
    res["fft"] = o + s * transforms * fft_units(f) + c["layer_cmul"][1] * cmul
    return res


def layer_plan(in1: tuple[int, ...], in2: tuple[int, ...], dtype: Any, **spec: Any) -> str:
    """Method for a layer described by shapes (see :func:`convop.choose_method`)."""
    key = tuple(
        sorted(
            (k, v if isinstance(v, (int, str)) else tuple(v))
            for k, v in spec.items()
            if v is not None
        )
    )
    torch = torch_enabled() and np.dtype(dtype).kind == "f"
    return _layer_plan(tuple(in1), tuple(in2), np.dtype(dtype).str, key, torch, current())


@lru_cache(maxsize=256)
def _layer_plan(
    in1: tuple[int, ...], in2: tuple[int, ...], dtype: str, key: tuple, torch: bool, opts: Options
) -> str:
    spec = dict(key)
    ch = spec["channels"]
    c_in, c_out = (int(ch), int(ch)) if isinstance(ch, (int, np.integer)) else map(int, ch)
    groups = int(spec.get("groups", 1))
    if len(in2) >= 3 and in2[0] == c_out and in2[1] * groups == c_in:
        kshape = tuple(in2[2:])
    else:
        kshape = tuple(in2)
    d = len(kshape)
    spatial = tuple(in1[len(in1) - d :])
    lead = tuple(in1[: len(in1) - d])
    if lead and lead[-1] == c_in:
        lead = lead[:-1]
    stride = int_tuple(spec.get("stride", 1), d, "stride")
    dilation = int_tuple(spec.get("dilation", 1), d, "dilation")
    padding = int_tuple(spec.get("padding", 0), d, "padding", minimum=0)
    padded = tuple(n + 2 * p for n, p in zip(spatial, padding))
    out = tuple(
        max((p - dl * (k - 1) - 1) // s + 1, 1)
        for p, dl, k, s in zip(padded, dilation, kshape, stride)
    )
    est = layer_costs(prod(lead), c_in, c_out, groups, padded, kshape, out, dilation, dtype, torch)
    return min(est, key=est.__getitem__)


caches.lru("layer plans", _layer_plan)
