"""Model surgery: replace a model's layers by their factorisations, and the report."""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field
from math import prod
from typing import Any

import numpy as np

from convop._core.errors import ConvopTypeError, ConvopValueError, invalid
from convop._core.optional import require
from convop._core.threads import one_blas_thread

__all__ = ["CompressionReport", "compress_model", "count_macs", "measure_latency"]


def _torch() -> Any:
    return require("torch", "torch", "convop.compress.compress_model")


def count_macs(module: Any, input_shape: Any) -> int:
    """Multiply-adds of one forward pass of ``module`` on one input of ``input_shape``.

    Counts every ``Conv1d/2d/3d`` and ``Linear`` leaf (bias additions excluded):
    ``C_out · Π out_spatial · (C_in/groups) · Π kernel`` and ``in · out``; a
    :class:`~convop.compress._layers.SliceSVDConv2d` counts its two factor convolutions.

    Examples
    --------
    >>> import torch
    >>> count_macs(torch.nn.Conv2d(3, 8, 3, padding=1), (3, 10, 10))
    21600
    """
    torch = _torch()
    from torch import nn

    from convop.compress._layers import SliceSVDConv2d

    total = [0]
    kinds = (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.Linear, SliceSVDConv2d)

    def hook(mod: Any, inp: Any, out: Any) -> None:
        if isinstance(mod, SliceSVDConv2d):  # its factors run block by block, not as hooks
            x = inp[0] if inp[0].dim() == 4 else inp[0].unsqueeze(0)
            y = out if out.dim() == 4 else out.unsqueeze(0)
            kh, kw = mod.vertical.kernel_size[0], mod.horizontal.kernel_size[1]
            inner = mod.in_channels // mod.groups * mod.rank
            first = y.shape[0] * mod.vertical.out_channels * y.shape[2] * x.shape[3] * kh
            total[0] += first + y.numel() * inner * kw
        elif isinstance(mod, (nn.Conv1d, nn.Conv2d, nn.Conv3d)):
            per_out = (mod.in_channels // mod.groups) * prod(mod.kernel_size)
            total[0] += out[0].numel() * per_out
        elif isinstance(mod, nn.Linear):
            total[0] += mod.in_features * mod.out_features * (out.numel() // out.shape[-1])

    handles = [m.register_forward_hook(hook) for m in module.modules() if isinstance(m, kinds)]
    p = next(iter(module.parameters()), None)
    kw = {} if p is None else {"dtype": p.dtype, "device": p.device}
    try:
        with torch.no_grad():
            module(torch.zeros((1,) + tuple(input_shape), **kw))
    finally:
        for h in handles:
            h.remove()
    return int(total[0])


def measure_latency(
    modules: list[Any], x: Any, *, repeats: int = 7, min_time: float = 0.02
) -> list[tuple[float, float]]:
    """Forward latency of each module on ``x``: (median, interquartile range) in seconds.

    The modules are timed round-robin (each round times every module once, in turn), so
    that machine noise hits them alike; each sample loops until ``min_time`` has passed.

    Examples
    --------
    >>> import torch
    >>> out = measure_latency([torch.nn.Identity()], torch.zeros(1), repeats=3, min_time=0)
    >>> len(out), out[0][0] >= 0
    (1, True)
    """
    torch = _torch()
    samples: list[list[float]] = [[] for _ in modules]
    loops = []
    with torch.no_grad():
        for m in modules:  # warm-up, and the loop count reaching min_time
            m(x)
            t0 = time.perf_counter()
            m(x)
            dt = max(time.perf_counter() - t0, 1e-7)
            loops.append(max(1, int(np.ceil(min_time / dt))))
        for _ in range(repeats):
            for i, m in enumerate(modules):
                t0 = time.perf_counter()
                for _ in range(loops[i]):
                    m(x)
                samples[i].append((time.perf_counter() - t0) / loops[i])
    out = []
    for s in samples:
        q1, q2, q3 = np.percentile(s, [25, 50, 75])
        out.append((float(q2), float(q3 - q1)))
    return out


@dataclass
class CompressionReport:
    """Per-layer table of :func:`compress_model` (``rows``: one dict per layer).

    Keys of a row: ``layer``, ``type``, ``method``, ``ranks``, ``params_before``,
    ``params_after``, ``macs_before``, ``macs_after``, ``weight_error`` (relative
    Frobenius), ``bound_lower``, ``bound_upper`` (certified bracket on
    ``max ‖f(x) − g(x)‖/‖x‖``), ``norm_upper`` (upper bound of ``‖f‖``, for scale),
    ``latency_before``, ``latency_after`` (median seconds, batch 1). Entries that need
    ``input_shape`` are ``None`` without it.

    Examples
    --------
    >>> r = CompressionReport([{"layer": "conv", "params_before": 10, "params_after": 4}])
    >>> r.totals()["params_after"]
    4
    """

    rows: list[dict[str, Any]] = field(default_factory=list)
    input_shape: tuple[int, ...] | None = None

    COLUMNS = (
        ("layer", "layer"),
        ("method", "method"),
        ("ranks", "ranks"),
        ("params_before", "params"),
        ("params_after", "→ params"),
        ("macs_before", "MACs"),
        ("macs_after", "→ MACs"),
        ("weight_error", "rel. W error"),
        ("bound", "‖f−g‖ bracket"),
        ("norm_upper", "‖f‖ ≤"),
        ("latency_before", "ms"),
        ("latency_after", "→ ms"),
    )

    def totals(self) -> dict[str, Any]:
        """Sums of the parameter, MAC and latency columns over the replaced layers."""
        out: dict[str, Any] = {}
        for key in ("params_before", "params_after", "macs_before", "macs_after"):
            vals = [r.get(key) for r in self.rows]
            out[key] = None if any(v is None for v in vals) else int(sum(vals))
        return out

    def table(self) -> str:
        """The report as an aligned plain-text table."""
        lines = [[h for _, h in self.COLUMNS]]
        for r in self.rows:
            lines.append([_cell(k, r) for k, _ in self.COLUMNS])
        t = self.totals()
        lines.append(["total", "", ""] + [_fmt_int(t[k]) for k in (
            "params_before", "params_after", "macs_before", "macs_after")] + [""] * 5)  # fmt: skip
        widths = [max(len(row[i]) for row in lines) for i in range(len(lines[0]))]
        text = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in lines]
        text.insert(1, "  ".join("-" * w for w in widths))
        return "\n".join(text)

    def __str__(self) -> str:
        return self.table()


def _fmt_int(v: Any) -> str:
    return "-" if v is None else f"{int(v):,}"


def _cell(key: str, r: dict[str, Any]) -> str:
    if key == "bound":
        lo, up = r.get("bound_lower"), r.get("bound_upper")
        return "-" if lo is None else f"[{lo:.4g}, {up:.4g}]"
    v = r.get(key)
    if v is None:
        return "-"
    if key.startswith("latency"):
        return f"{v * 1e3:.3g}"
    if key in ("weight_error", "norm_upper"):
        return f"{v:.3g}"
    if key == "ranks":
        return "×".join(str(q) for q in v)
    if isinstance(v, (int, np.integer)):
        return _fmt_int(v)
    return str(v)


def _n_params(m: Any) -> int:
    return int(sum(p.numel() for p in m.parameters()))


# -- budget ---------------------------------------------------------------------------------
@one_blas_thread  # SVDs of every layer's kernel: see _layers.build
def _candidates(layer: Any, method: str, steps: int = 12) -> list[tuple[Any, int, float]]:
    """(rank, parameters, relative squared weight error) for a grid of ranks."""
    from convop.compress import _factor, _layers

    torch = _torch()
    w = layer.weight.detach().cpu().to(torch.float64).numpy()
    nrm2 = float(np.sum(w * w)) or 1.0
    bias = 0 if layer.bias is None else layer.bias.numel()
    out: list[tuple[Any, int, float]] = []
    if isinstance(layer, torch.nn.Linear):
        s = np.linalg.svd(w, compute_uv=False)
        for r in sorted(set(np.unique(np.geomspace(1, s.size, steps).astype(int)))):
            r = int(r)
            out.append((r, r * sum(w.shape) + bias, float(np.sum(s[r:] ** 2)) / nrm2))
        return out
    info = _layers.conv_info(layer)
    g = info["groups"]
    ks = info["kernel_size"]
    groups = _layers._group_weights(w, g)
    og, ig = groups[0].shape[:2]
    if method == "svd":
        kh, kw = ks
        mats = [t.transpose(1, 2, 0, 3).reshape(ig * kh, og * kw) for t in groups]
        sv = [np.linalg.svd(m, compute_uv=False) for m in mats]
        rmax = min(ig * kh, og * kw)
        for r in sorted(set(np.geomspace(1, rmax, steps).astype(int))):
            r = int(r)
            err = sum(float(np.sum(s[r:] ** 2)) for s in sv) / nrm2
            out.append((r, g * r * (ig * kh + og * kw) + bias, err))
    elif method == "svd-slice":
        s = np.linalg.svd(w, compute_uv=False)
        kh, kw = ks
        for r in range(1, min(kh, kw) + 1):
            out.append(
                (r, w.shape[0] * ig * r * (kh + kw) + bias, float(np.sum(s[..., r:] ** 2)) / nrm2)
            )
    elif method == "tucker2":
        k = prod(ks)
        for f in np.linspace(1.0 / steps, 1.0, steps):
            r_in, r_out = max(1, int(round(f * ig))), max(1, int(round(f * og)))
            err = 0.0
            for t in groups:
                core, _, _ = _factor.tucker2(t, (r_out, r_in), n_iter=0)
                err += float(np.sum(t * t)) - float(np.sum(core * core))
            par = g * (ig * r_in + r_in * r_out * k + r_out * og) + bias
            out.append(((r_in, r_out), par, max(err, 0.0) / nrm2))
    elif method == "cp":
        rmax = _factor.cp_exact_rank(groups[0].shape)
        for r in sorted(set(np.geomspace(1, rmax, min(steps, 8)).astype(int))):
            r = int(r)
            err = 0.0
            for t in groups:
                f = _factor.cp_als(t, r, n_iter=30)
                err += float(np.sum((_factor.cp_to_tensor(f) - t) ** 2))
            out.append((r, g * r * (ig + og + sum(ks)) + bias, err / nrm2))
    return out


def _choose_budget(layers: list[tuple[str, Any]], method: str, budget: float) -> dict[str, Any]:
    """Greedy: from every layer uncompressed, repeatedly take the rank step that adds the
    least relative squared weight error per parameter saved, until the budget holds."""
    opts = {}
    total = 0
    for name, layer in layers:
        full = _n_params(layer)
        total += full
        cands = [c for c in _candidates(layer, method) if c[1] < full]
        cands.sort(key=lambda c: -c[1])
        # keep the lower convex hull's monotone part: fewer parameters, more error
        opts[name] = [(None, full, 0.0)] + cands
    target = budget * total
    state = {name: 0 for name in opts}
    current = total
    while current > target:
        best = None
        for name, ops in opts.items():
            i = state[name]
            for j in range(i + 1, len(ops)):
                saved = ops[i][1] - ops[j][1]
                cost = max(ops[j][2] - ops[i][2], 0.0) / saved if saved > 0 else np.inf
                if best is None or cost < best[0]:
                    best = (cost, name, j)
        if best is None:
            break
        _, name, j = best
        current -= opts[name][state[name]][1] - opts[name][j][1]
        state[name] = j
    return {name: opts[name][i][0] for name, i in state.items() if i > 0}


# -- the surgery ----------------------------------------------------------------------------
def _layer_inputs(model: Any, names: list[str], input_shape: tuple[int, ...]) -> dict[str, tuple]:
    torch = _torch()
    mods = dict(model.named_modules())
    shapes: dict[str, tuple] = {}
    handles = []
    for n in names:

        def hook(mod: Any, inp: Any, out: Any, n: str = n) -> None:
            shapes.setdefault(n, tuple(inp[0].shape[1:]))

        handles.append(mods[n].register_forward_hook(hook))
    p = next(iter(model.parameters()), None)
    kw = {} if p is None else {"dtype": p.dtype, "device": p.device}
    try:
        with torch.no_grad():
            model(torch.zeros((1,) + input_shape, **kw))
    finally:
        for h in handles:
            h.remove()
    return shapes


def _set(model: Any, name: str, new: Any) -> None:
    parent_name, _, child = name.rpartition(".")
    parent = model.get_submodule(parent_name) if parent_name else model
    if child.isdigit() and hasattr(parent, "__setitem__"):
        parent[int(child)] = new
    else:
        setattr(parent, child, new)


def compress_model(
    model: Any,
    method: str,
    rank: Any = "vbmf",
    *,
    layers: Any = None,
    skip_first: bool = True,
    budget: float | None = None,
    input_shape: Any = None,
    round_to: int = 1,
    inplace: bool = False,
    latency: bool = True,
    progress: Any = None,
    seed: int = 0,
) -> tuple[Any, CompressionReport]:
    r"""Replace chosen layers of a model by their factorisations, and report per layer.

    Parameters
    ----------
    model : torch.nn.Module
    method : {'svd', 'svd-slice', 'cp', 'tucker2'}
        As :func:`decompose`.
    rank : int, float, 'vbmf' or (R_in, R_out)
        The same rank rule for every layer (as :func:`decompose`); ignored with ``budget``.
    layers : list of str, optional
        Qualified module names (``model.named_modules()``) to replace. Default: every
        ``Conv1d/2d/3d`` (Linear layers only when named here).
    skip_first : bool
        With ``layers=None``, leave the first convolution alone (few input channels:
        decomposing it saves little and costs accuracy).
    budget : float in (0, 1], optional
        Choose the ranks to keep at most this fraction of the chosen layers' parameters:
        starting from every layer unchanged, repeatedly take the rank step with the
        lowest added relative squared weight error per parameter saved.
    input_shape : tuple of int, optional
        ``(C, *spatial)`` of one model input; enables the MAC counts, the certified
        error bracket and the latency columns (per layer, at that layer's input shape).
    round_to : int
        Round VBMF / energy ranks up to a multiple of this (the seed uses 8).
    inplace : bool
        Modify ``model`` itself instead of a deep copy.
    latency : bool
        Measure forward latency before/after (batch 1), when ``input_shape`` is given.
    progress : callable, optional
        Called as ``progress(name)`` after each layer (the CLI's progress bar).
    seed : int
        Seed of the CP starts.

    Returns
    -------
    model : torch.nn.Module
        The compressed model (a copy unless ``inplace``).
    report : CompressionReport
        One row per replaced layer; ``print(report)`` shows the table.

    Raises
    ------
    ConvopTypeError
        ``model`` is not a ``torch.nn.Module``.
    ConvopValueError
        No layer to replace, unknown layer names, bad ``budget``, or the errors of
        :func:`decompose`.

    Examples
    --------
    >>> import torch
    >>> from convop.compress import compress_model
    >>> torch.manual_seed(0) and None
    >>> net = torch.nn.Sequential(torch.nn.Conv2d(3, 16, 3), torch.nn.ReLU(),
    ...                           torch.nn.Conv2d(16, 32, 3))
    >>> small, rep = compress_model(net, "tucker2", (4, 8), input_shape=(3, 12, 12),
    ...                             latency=False)
    >>> [r["layer"] for r in rep.rows], rep.rows[0]["params_after"] < rep.rows[0]["params_before"]
    (['2'], True)
    """
    torch = _torch()
    from torch import nn

    from convop.compress import _layers
    from convop.compress._api import error_bound
    from convop.spectral import opnorm

    if not isinstance(model, nn.Module):
        raise ConvopTypeError(f"model must be a torch.nn.Module; got {type(model).__name__}")
    if not isinstance(method, str) or method not in _layers.METHODS:
        raise invalid("method", method, _layers.METHODS)
    if budget is not None and (
        isinstance(budget, bool)
        or not isinstance(budget, (int, float, np.floating))
        or not 0 < budget <= 1
    ):
        raise invalid("budget", budget, "None or a float in (0, 1]")
    shape = None
    if input_shape is not None:
        try:
            shape = tuple(int(v) for v in input_shape)
        except (TypeError, ValueError) as exc:
            raise invalid("input_shape", input_shape, "a tuple of ints (C, *spatial)") from exc
        if not shape or min(shape) < 1:
            raise invalid("input_shape", input_shape, "a tuple of positive ints (C, *spatial)")
    convs = (nn.Conv1d, nn.Conv2d, nn.Conv3d)
    named = dict(model.named_modules())
    if layers is None:
        chosen = [n for n, m in named.items() if isinstance(m, convs) and n]
        if method in ("svd", "svd-slice"):
            chosen = [n for n in chosen if isinstance(named[n], nn.Conv2d)]
        if skip_first:
            chosen = chosen[1:]
        if not chosen:
            raise ConvopValueError(
                f"model has no convolution to compress with method={method!r}"
                + (" (skip_first=True leaves its only one alone)" if skip_first else "")
            )
    else:
        if isinstance(layers, str):
            layers = [layers]
        chosen = list(layers)
        unknown = [n for n in chosen if n not in named or not n]
        if unknown:
            raise invalid("layers", unknown, "names from model.named_modules()")
        bad = [n for n in chosen if not isinstance(named[n], convs + (nn.Linear,))]
        if bad:
            raise ConvopValueError(
                f"layers {bad} are not Conv1d/2d/3d or Linear modules (got "
                f"{[type(named[n]).__name__ for n in bad]})"
            )
    if not inplace:
        model = copy.deepcopy(model)
        named = dict(model.named_modules())
    shapes = _layer_inputs(model, chosen, shape) if shape is not None else {}
    ranks: dict[str, Any]
    if budget is not None:
        ranks = _choose_budget([(n, named[n]) for n in chosen], method, float(budget))
        chosen = [n for n in chosen if n in ranks]
    else:
        ranks = {n: rank for n in chosen}
    report = CompressionReport(input_shape=shape)
    for name in chosen:
        layer = named[name]
        new = _layers.build(layer, method, ranks[name], round_to=round_to, seed=seed)
        row: dict[str, Any] = {
            "layer": name,
            "type": type(layer).__name__,
            "method": method,
            "ranks": new.ranks,
            "params_before": _n_params(layer),
            "params_after": _n_params(new),
        }
        w0 = layer.weight.detach().to(torch.float64)
        row["weight_error"] = float(torch.linalg.norm(new.weight() - w0) / torch.linalg.norm(w0))
        ish = shapes.get(name)
        row.update(
            macs_before=None, macs_after=None, bound_lower=None, bound_upper=None,
            norm_upper=None, latency_before=None, latency_after=None,
        )  # fmt: skip
        if ish is not None:
            row["macs_before"] = count_macs(layer, ish)
            row["macs_after"] = count_macs(new, ish)
            lo, up = error_bound(layer, new, ish)
            row["bound_lower"], row["bound_upper"] = lo, up
            if isinstance(layer, nn.Linear):
                row["norm_upper"] = float(torch.linalg.matrix_norm(w0, 2))
            else:
                from convop._operators.layer import ConvLayer

                info = _layers.conv_info(layer)
                pad = info["padding"]
                op = ConvLayer(
                    w0.cpu().numpy(), ish, stride=info["stride"], dilation=info["dilation"],
                    padding=pad if isinstance(pad, str) else tuple(int(p) for p in pad),
                    groups=info["groups"], boundary=info["boundary"],
                )  # fmt: skip
                row["norm_upper"] = float(opnorm(op)[1])
            if latency:
                x = torch.randn((1,) + ish, dtype=layer.weight.dtype, device=layer.weight.device)
                (t0, _), (t1, _) = measure_latency([layer, new], x, repeats=5, min_time=0.005)
                row["latency_before"], row["latency_after"] = t0, t1
        _set(model, name, new)
        report.rows.append(row)
        if progress is not None:
            progress(name)
    return model, report
