"""error_bound() against dense matrices built column by column; compress_model()."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

import convop.torch as ct
from convop._core.errors import ConvopTypeError, ConvopValueError
from convop.compress import compress_model, count_macs, decompose, error_bound


def dense(module, shape):
    """Matrix of x ↦ module(x) − module(0), one basis vector per column (torch forward)."""
    n = int(np.prod(shape))
    cols = []
    with torch.no_grad():
        zero = module(torch.zeros((1,) + shape, dtype=torch.float64))
        for i in range(n):
            e = torch.zeros(n, dtype=torch.float64)
            e[i] = 1.0
            cols.append((module(e.reshape((1,) + shape)) - zero).reshape(-1).numpy())
    return np.stack(cols, axis=1)


CASES = [
    (nn.Conv2d, dict(padding=1, padding_mode="zeros"), (3, 6, 6)),
    (nn.Conv2d, dict(padding=1, padding_mode="circular"), (3, 6, 6)),
    (nn.Conv2d, dict(padding=2, padding_mode="reflect", stride=2), (3, 7, 6)),
    (nn.Conv2d, dict(padding=1, padding_mode="replicate", dilation=2), (3, 7, 7)),
    (nn.Conv1d, dict(padding=1, padding_mode="circular", groups=3), (3, 10)),
    (nn.Conv3d, dict(padding=1), (3, 4, 4, 4)),
]


@pytest.mark.parametrize("cls, kw, shape", CASES)
@pytest.mark.parametrize("method", ["cp", "tucker2", "svd"])
def test_bracket_contains_dense_norm(cls, kw, shape, method):
    if method == "svd" and cls is not nn.Conv2d:
        pytest.skip("svd is 2-D only")
    torch.manual_seed(0)
    layer = cls(3, 6, 3, dtype=torch.float64, **kw)
    rank = (1, 2) if method == "tucker2" else 2
    g = decompose(layer, method, rank)
    exact = np.linalg.norm(dense(layer, shape) - dense(g, shape), 2)
    lo, up = error_bound(layer, g, shape)
    if exact < 1e-12:  # the rank is full for this (grouped) layer: both at round-off
        assert up < 1e-12
        return
    assert lo <= exact * (1 + 1e-9) and exact <= up * (1 + 1e-9), (lo, exact, up)
    if kw.get("padding_mode") == "circular":
        assert up - lo <= 1e-5 * up  # per-frequency bracket closes


def test_symmetric_boundary_and_batch_axis():
    torch.manual_seed(1)
    layer = ct.Conv2d(2, 3, 3, padding=1, boundary="symmetric", dtype=torch.float64)
    g = decompose(layer, "cp", 2)
    exact = np.linalg.norm(dense(layer, (2, 5, 5)) - dense(g, (2, 5, 5)), 2)
    lo, up = error_bound(layer, g, (7, 2, 5, 5))  # a leading batch axis is ignored
    assert lo <= exact * (1 + 1e-9) <= up * (1 + 2e-9)


def test_full_rank_and_linear_and_probe():
    torch.manual_seed(2)
    layer = nn.Conv2d(3, 4, 3, padding=1, dtype=torch.float64)
    lo, up = error_bound(layer, decompose(layer, "tucker2", (3, 4)), (3, 6, 6))
    assert up < 1e-10
    lin = nn.Linear(6, 5, dtype=torch.float64)
    g = decompose(lin, "svd", 2)
    s = np.linalg.svd(lin.weight.detach().numpy(), compute_uv=False)
    assert error_bound(lin, g) == pytest.approx((s[2], s[2]))
    # an arbitrary module is probed column by column
    other = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1, dtype=torch.float64))
    exact = np.linalg.norm(dense(layer, (3, 5, 5)) - dense(other, (3, 5, 5)), 2)
    assert error_bound(layer, other, (3, 5, 5))[0] == pytest.approx(exact)


def test_bound_errors():
    layer = nn.Conv2d(3, 4, 3)
    g = decompose(layer, "svd", 1)
    with pytest.raises(ConvopValueError, match="input_shape"):
        error_bound(layer, g, None)
    with pytest.raises(ConvopValueError, match=r"invalid input_shape=\(4, 8, 8\)"):
        error_bound(layer, g, (4, 8, 8))
    with pytest.raises(ConvopValueError, match="other hyper-parameters"):
        error_bound(nn.Conv2d(3, 4, 3, padding=1), g, (3, 8, 8))
    with pytest.raises(ConvopTypeError, match="original must be"):
        error_bound(nn.ReLU(), g, (3, 8, 8))
    with pytest.raises(ConvopValueError, match="DENSE_PROBE_LIMIT"):
        error_bound(layer, nn.Identity(), (3, 64, 64))


# -- compress_model -------------------------------------------------------------------------
def small_net():
    torch.manual_seed(3)
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(8, 16, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(16, 16, 3, padding=1, groups=2),
        nn.Flatten(),
        nn.Linear(16 * 6 * 6, 10),
    )


def test_full_rank_model_is_unchanged_and_report_columns():
    net = small_net()
    x = torch.randn(4, 3, 6, 6)
    small, rep = compress_model(net, "tucker2", 1.0, input_shape=(3, 6, 6), latency=True)
    assert [r["layer"] for r in rep.rows] == ["2", "4"]  # skip_first
    assert torch.allclose(small(x), net(x), atol=1e-5)
    assert small is not net and isinstance(net[2], nn.Conv2d)  # a copy by default
    row = rep.rows[0]
    assert row["macs_before"] == count_macs(net[2], (8, 6, 6)) == 16 * 36 * 8 * 9
    assert row["bound_upper"] < 1e-4 and row["latency_before"] > 0
    assert "tucker2" in str(rep) and "total" in str(rep)


def test_budget_keeps_the_parameter_fraction():
    net = small_net()
    before = sum(net[i].weight.numel() + net[i].bias.numel() for i in (2, 4))
    for method in ("svd", "tucker2", "cp"):
        _, rep = compress_model(net, method, budget=0.5, latency=False)
        kept = sum(r["params_after"] for r in rep.rows)
        untouched = sum(
            net[int(n)].weight.numel() + net[int(n)].bias.numel()
            for n in ("2", "4")
            if n not in [r["layer"] for r in rep.rows]
        )
        assert kept + untouched <= 0.5 * before, method


def test_layers_argument_linear_and_inplace():
    net = small_net()
    out, rep = compress_model(net, "svd", 4, layers=["6"], inplace=True, latency=False)
    assert out is net and type(net[6]).__name__ == "Decomposed" and rep.rows[0]["ranks"] == (4,)


def test_model_errors():
    with pytest.raises(ConvopValueError, match="no convolution"):
        compress_model(nn.Sequential(nn.Linear(3, 3)), "tucker2")
    with pytest.raises(ConvopValueError, match="skip_first"):
        compress_model(nn.Sequential(nn.Conv2d(3, 3, 3)), "tucker2")
    with pytest.raises(ConvopValueError, match="invalid layers"):
        compress_model(small_net(), "svd", layers=["nope"])
    with pytest.raises(ConvopValueError, match="not Conv1d/2d/3d or Linear"):
        compress_model(small_net(), "svd", layers=["1"])
    with pytest.raises(ConvopValueError, match="invalid budget=2"):
        compress_model(small_net(), "svd", budget=2)
    with pytest.raises(ConvopValueError, match="invalid method='x'"):
        compress_model(small_net(), "x")
    with pytest.raises(ConvopTypeError, match="torch.nn.Module"):
        compress_model("net", "svd")
