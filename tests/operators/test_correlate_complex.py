"""Complex correlation (issue 21.13): ``correlate`` conjugates the kernel on every method,
mode and boundary, as scipy.signal.correlate does — checked against scipy itself."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal as ss

import convop

from helpers import BOUNDARIES, MODES, assert_close, reference_convolve

METHODS = ("direct", "gemm", "fft", "overlap-add")
CASES = [((37,), (6,)), ((9, 11), (3, 4))]  # 1-D and 2-D, even kernel lengths included


def _data(xshape, kshape, which, seed=0):
    rng = np.random.default_rng(seed)
    c = lambda s: rng.standard_normal(s) + 1j * rng.standard_normal(s)  # noqa: E731
    x = c(xshape) if which in ("both", "x") else rng.standard_normal(xshape)
    k = c(kshape) if which in ("both", "k") else rng.standard_normal(kshape)
    return x, k


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("shapes", CASES, ids=["1d", "2d"])
@pytest.mark.parametrize("which", ["both", "k", "x"])
def test_complex_correlate_equals_scipy_zero_boundary(method, mode, shapes, which):
    x, k = _data(*shapes, which)
    got = convop.correlate(x, k, mode, method=method)
    want = ss.correlate(x, k, mode)
    assert_close(got, want, np.complex128)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("boundary", [b for b in BOUNDARIES if b != "zero"])
@pytest.mark.parametrize("shapes", CASES, ids=["1d", "2d"])
def test_complex_correlate_every_boundary(method, mode, boundary, shapes):
    x, k = _data(*shapes, "both", seed=1)
    got = convop.correlate(x, k, mode, boundary=boundary, method=method)
    assert_close(got, reference_convolve(x, k, mode, boundary, correlate=True), np.complex128)
    if mode == "valid":  # the boundary does not enter 'valid': scipy's answer exactly
        assert_close(got, ss.correlate(x, k, "valid"), np.complex128)


@pytest.mark.parametrize("method", METHODS)
def test_complex_correlate_operator_and_its_adjoint(method):
    x, k = _data((9, 11), (3, 4), "both", seed=2)
    A = convop.Convolution(k, x.shape, "same", boundary="reflect", correlate=True, method=method)
    assert_close(A(x), convop.correlate(x, k, "same", boundary="reflect"), np.complex128)
    y = np.random.default_rng(3).standard_normal(A.shape[0]) * (1 + 1j)
    D = A.to_dense()
    assert_close(A.adjoint(y.reshape(A.output_shape)).ravel(), D.conj().T @ y, np.complex128)
