"""decompose and compress_model run their factorisations on one BLAS thread under
``convop.options(blas_threads="single")`` (restored afterwards), and leave the count
alone by default; the factors are the same either way."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import convop  # noqa: E402
from convop._core.threads import numpy_blas_api  # noqa: E402
from convop.compress import _factor, compress_model, decompose  # noqa: E402

api = numpy_blas_api()
needs_blas = pytest.mark.skipif(api is None, reason="numpy's bundled OpenBLAS not found")


def _spy(monkeypatch: pytest.MonkeyPatch, name: str) -> list[int]:
    seen: list[int] = []
    real = getattr(_factor, name)

    def spy(*args, **kwargs):
        seen.append(api[0]())
        return real(*args, **kwargs)

    monkeypatch.setattr(_factor, name, spy)
    return seen


@needs_blas
@pytest.mark.parametrize("method, rank, fn", [("tucker2", (3, 2), "tucker2"), ("cp", 4, "cp_als")])
def test_single_option_limits_and_restores(monkeypatch, method, rank, fn):
    seen = _spy(monkeypatch, fn)
    before = api[0]()
    conv = torch.nn.Conv2d(5, 6, 3)
    with convop.options(blas_threads="single"):
        decompose(conv, method, rank)
    assert seen == [1]
    assert api[0]() == before
    decompose(conv, method, rank)  # default: the count is left as it is
    assert seen[1] == before


@needs_blas
def test_compress_model_single(monkeypatch):
    seen = _spy(monkeypatch, "tucker2")
    before = api[0]()
    net = torch.nn.Sequential(torch.nn.Conv2d(2, 6, 3), torch.nn.Conv2d(6, 6, 3))
    with convop.options(blas_threads="single"):
        compress_model(net, "tucker2", 0.9, budget=0.8)
    assert seen and set(seen) == {1}
    assert api[0]() == before


@pytest.mark.parametrize("method, rank", [("tucker2", (4, 3)), ("cp", 5), ("svd", 3)])
def test_same_factors_either_way(method, rank):
    torch.manual_seed(1)
    conv = torch.nn.Conv2d(6, 7, 3, padding=1)
    a = decompose(conv, method, rank).weight()
    with convop.options(blas_threads="single"):
        b = decompose(conv, method, rank).weight()
    np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
