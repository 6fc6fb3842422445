"""convop.torch as a hostile user would try it (issue 21): errors naming padding_mode,
empty batches on every method and boundary, a bounded plan cache."""

import pytest

torch = pytest.importorskip("torch")
import torch.nn.functional as F  # noqa: E402

import convop.torch as ct  # noqa: E402
from convop.torch import layers as _layers  # noqa: E402

BOUNDARIES = ("zero", "periodic", "reflect", "symmetric", "replicate")


def test_bad_padding_mode_is_named_with_torchs_values():
    with pytest.raises(ValueError, match=r"padding_mode='bogus'.*'zeros'.*'circular'") as info:
        ct.Conv2d(3, 4, 3, padding_mode="bogus")
    assert "boundary" not in str(info.value)
    with pytest.raises(ValueError, match=r"padding_mode='periodic'"):
        ct.Conv2d(3, 4, 3, padding_mode="periodic")  # a convop name, not torch's


@pytest.mark.parametrize("boundary", BOUNDARIES)
@pytest.mark.parametrize("method", ["fft", "native", "auto"])
def test_empty_batch(method, boundary):
    w = torch.randn(4, 3, 3, 3, dtype=torch.float64)
    x = torch.randn(0, 3, 16, 16, dtype=torch.float64)
    y = ct.conv(x, w, padding=1, boundary=boundary, method=method)
    assert y.shape == (0, 4, 16, 16) and y.dtype == torch.float64
    assert y.shape == F.conv2d(x, w, padding=1).shape
    layer = ct.Conv2d(3, 4, 3, padding=1, boundary=boundary, method=method)
    assert layer(torch.randn(0, 3, 16, 16)).shape == (0, 4, 16, 16)


def test_plan_cache_is_bounded():
    layer = ct.Conv1d(1, 1, 3, padding=1)
    with torch.no_grad():
        for n in range(8, 8 + _layers.PLAN_CACHE_SIZE + 50):
            layer(torch.randn(1, 1, n))
    assert len(layer._plans) == _layers.PLAN_CACHE_SIZE
    assert (1, 1, 8) not in {k[0] for k in layer._plans}  # the oldest went first
