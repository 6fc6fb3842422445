"""Inputs a hostile user would try (issue 21): empty axes, integer overflow, every
kind of NumPy view on every method and boundary, mixed operator/data dtypes."""

import warnings

import numpy as np
import pytest
import scipy.signal as ss

import convop

from helpers import BOUNDARIES, reference_convolve

METHODS = ("direct", "gemm", "fft", "overlap-add", "auto")
INTS = ("int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64")


def test_empty_axes_names_axes():
    with pytest.raises(ValueError, match=r"axes=\(\)"):
        convop.convolve(np.ones((3, 3)), np.full((3, 3), 2.0), axes=())


@pytest.mark.parametrize("dtype", INTS)
@pytest.mark.parametrize("method", METHODS)
def test_integer_results_wrap_like_scipy(dtype, method):
    info = np.iinfo(dtype)
    rng = np.random.default_rng(0)
    cases = [
        (np.array([info.max], dtype), np.array([info.max], dtype)),
        (np.full(8, info.max, dtype), np.full(8, info.max, dtype)),
        (
            rng.integers(info.min, info.max, 50, dtype=dtype, endpoint=True),
            rng.integers(info.min, info.max, 7, dtype=dtype, endpoint=True),
        ),
    ]
    for a, b in cases:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            got = convop.convolve(a, b, method=method)
        ref = ss.convolve(a, b, method="direct")
        assert got.dtype == ref.dtype
        np.testing.assert_array_equal(got, ref)


def _views(rng):
    base = rng.standard_normal((1, 40, 30))
    yield "negative strides", base[:, ::-1, ::-1]
    yield "reversed length-1 axis", base[::-1]
    yield "non-contiguous", base[:, ::2, 1::2]
    yield "fortran", np.asfortranarray(base)
    ro = base.copy()
    ro.setflags(write=False)
    yield "read-only", ro
    yield "big-endian", base.astype(">f8")


@pytest.mark.parametrize("torch_imported", [False, True], ids=["numpy", "torch"])
@pytest.mark.parametrize("method", METHODS)
def test_any_view_on_every_method_and_boundary(method, torch_imported):
    if torch_imported:
        pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    k = rng.standard_normal((1, 5, 3))[:, ::-1]  # the kernel is a view too
    with convop.options(torch=torch_imported):
        for name, x in _views(rng):
            before = x.copy()
            for boundary in BOUNDARIES:
                ref = reference_convolve(
                    np.ascontiguousarray(x, dtype=float), np.ascontiguousarray(k), "same", boundary
                )
                got = convop.convolve(x, k, "same", boundary=boundary, method=method)
                np.testing.assert_allclose(got, ref, atol=1e-10, err_msg=f"{name}, {boundary}")
                got = convop.correlate(x, k, "same", boundary=boundary, method=method)
                ref_c = reference_convolve(
                    np.ascontiguousarray(x, dtype=float),
                    np.ascontiguousarray(k[:, ::-1, ::-1]),
                    "same",
                    boundary,
                )
                np.testing.assert_allclose(got, ref_c, atol=1e-10, err_msg=f"{name}, {boundary}")
            np.testing.assert_array_equal(x, before)  # never modified


def test_long_reversed_signal_by_fft_with_torch():
    pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    x, h = rng.random((1, 50000))[::-1], rng.random((1, 5))
    np.testing.assert_allclose(
        convop.convolve(x, h, method="fft"), ss.convolve(x, h, method="direct"), atol=1e-10
    )
    assert convop.correlate(rng.random((300, 300)), rng.random((1, 1)), method="fft").shape == (
        300,
        300,
    )


@pytest.mark.parametrize("method", METHODS)
def test_float32_kernel_on_float64_data_is_computed_in_float64(method):
    rng = np.random.default_rng(3)
    k32 = rng.standard_normal((5, 5)).astype(np.float32)
    x = rng.standard_normal((40, 40))
    A = convop.Convolution(k32, x.shape, "same", method=method)
    ref = ss.convolve(x, k32.astype(np.float64), "same")
    y = A(x)
    assert y.dtype == np.float64
    np.testing.assert_allclose(y, ref, atol=1e-12)
    g = rng.standard_normal(A.output_shape)
    ref_adj = ss.correlate(g, k32.astype(np.float64), "same")
    np.testing.assert_allclose(A.adjoint(g), ref_adj, atol=1e-12)
