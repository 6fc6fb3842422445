"""convolve / correlate against scipy.signal and against the boundary definition."""

import numpy as np
import pytest
import scipy.signal as ss
from hypothesis import given
from hypothesis import strategies as st

import convop

from helpers import BOUNDARIES, MODES, assert_close, random_array, reference_convolve

DTYPES = ("float64", "float32", "complex128", "complex64", "int32")


@st.composite
def pair(draw, max_ndim=3, max_len=9):
    ndim = draw(st.integers(1, max_ndim))
    n = tuple(draw(st.integers(1, max_len)) for _ in range(ndim))
    k = tuple(draw(st.integers(1, max_len)) for _ in range(ndim))
    return n, k


def _scipy_ok(mode, n, k):
    return mode != "valid" or all(a >= b for a, b in zip(n, k)) or all(a <= b for a, b in zip(n, k))


@given(
    pair(),
    st.sampled_from(MODES),
    st.sampled_from(DTYPES),
    st.sampled_from(("auto", "direct", "fft")),
    st.booleans(),
    st.integers(0, 2**16),
)
def test_zero_boundary_matches_scipy(shapes, mode, dtype, method, corr, seed):
    n, k = shapes
    rng = np.random.default_rng(seed)
    x, w = random_array(rng, n, dtype), random_array(rng, k, dtype)
    f, ref = (convop.correlate, ss.correlate) if corr else (convop.convolve, ss.convolve)
    if not _scipy_ok(mode, n, k):
        with pytest.raises(ValueError, match="valid"):
            f(x, w, mode)
        return
    expected = ref(x, w, mode)
    y = f(x, w, mode, method=method)
    assert y.dtype == expected.dtype
    if np.dtype(dtype).kind == "i":
        np.testing.assert_array_equal(y, expected)
    else:
        assert_close(y, expected, dtype)


@given(
    pair(max_ndim=2),
    st.sampled_from(("full", "same")),
    st.sampled_from(BOUNDARIES),
    st.sampled_from(("float64", "float32", "complex128")),
    st.booleans(),
    st.sampled_from(("direct", "fft")),
    st.integers(0, 2**16),
)
def test_boundaries_match_definition(shapes, mode, boundary, dtype, corr, method, seed):
    # kernels larger than the input included: numpy.pad repeats the extension
    n, k = shapes
    rng = np.random.default_rng(seed)
    x, w = random_array(rng, n, dtype), random_array(rng, k, dtype)
    f = convop.correlate if corr else convop.convolve
    y = f(x, w, mode, boundary=boundary, method=method)
    assert y.dtype == np.dtype(dtype)
    assert_close(y, reference_convolve(x, w, mode, boundary, corr), dtype)


@pytest.mark.parametrize("mode", ["full", "same"])
@pytest.mark.parametrize(
    "ours, theirs",
    [
        ("periodic", "wrap"),
        ("symmetric", "symm"),
        ("zero", "fill"),
        ("wrap", "wrap"),
        ("symm", "symm"),
    ],
)
@pytest.mark.parametrize(
    "n, k", [((6, 7), (3, 3)), ((5, 8), (4, 2)), ((9, 9), (5, 5)), ((4, 4), (4, 4))]
)
def test_2d_equals_convolve2d(mode, ours, theirs, n, k):
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal(n), rng.standard_normal(k)
    assert_close(convop.convolve(x, w, mode, boundary=ours), ss.convolve2d(x, w, mode, theirs))
    if mode == "full" or all(q % 2 for q in k):
        # scipy's correlate2d centres 'same' differently from scipy.signal.correlate for
        # even kernels; convop.correlate follows scipy.signal.correlate
        assert_close(
            convop.correlate(x, w, mode, boundary=ours), ss.correlate2d(x, w, mode, theirs)
        )


def test_valid_ignores_boundary():
    rng = np.random.default_rng(2)
    x, w = rng.standard_normal((8, 9)), rng.standard_normal((3, 2))
    ref = convop.convolve(x, w, "valid")
    for b in BOUNDARIES:
        # equal to rounding: with torch imported, repeated calls of one shape may run on
        # torch's conv or (its first calls, and while cores are busy) on NumPy
        np.testing.assert_allclose(
            convop.convolve(x, w, "valid", boundary=b), ref, rtol=1e-12, atol=1e-12
        )


@given(st.integers(1, 3), st.sampled_from(MODES), st.integers(0, 2**16), st.booleans())
def test_axes_broadcast_like_fftconvolve(nconv, mode, seed, matched):
    rng = np.random.default_rng(seed)
    batch = int(rng.integers(1, 4))
    n = tuple(int(v) for v in rng.integers(4, 8, nconv))
    k = tuple(int(v) for v in rng.integers(1, 4, nconv))
    x = rng.standard_normal((batch, 2) + n)
    w = rng.standard_normal(((batch if matched else 1), 1) + k)
    axes = tuple(range(2, 2 + nconv))
    y = convop.convolve(x, w, mode, axes=axes)
    # reference: scipy on every batch element separately
    shape = np.broadcast_shapes(x.shape[:2], w.shape[:2])
    for b in np.ndindex(shape):
        xb = x[tuple(min(i, s - 1) for i, s in zip(b, x.shape))]
        wb = w[tuple(min(i, s - 1) for i, s in zip(b, w.shape))]
        assert_close(y[b], ss.convolve(xb, wb, mode))
    if mode != "same":
        assert_close(y, ss.fftconvolve(x, w, mode, axes=axes))
    else:
        # scipy's fftconvolve(mode='same', axes=...) crops the broadcast axes to in1's
        # shape; ours keeps the broadcast shape there and in1's length on the conv axes
        assert y.shape == shape + n


def test_axes_negative_and_single_int():
    rng = np.random.default_rng(3)
    x, w = rng.standard_normal((3, 10)), rng.standard_normal((1, 4))
    assert_close(convop.convolve(x, w, axes=-1), ss.fftconvolve(x, w, axes=-1))
    assert_close(convop.convolve(x, w, axes=[1]), ss.fftconvolve(x, w, axes=1))
    y = convop.convolve(x, w, "same", boundary="periodic", axes=1)
    for i in range(3):
        assert_close(y[i], reference_convolve(x[i], w[0], "same", "periodic"))


def test_integer_promotion_and_large_values():
    a = np.array([2**40, 3, -7], dtype=np.int64)
    b = np.array([2**20, 1], dtype=np.int64)
    y = convop.convolve(a, b)
    assert y.dtype == np.int64
    np.testing.assert_array_equal(y, ss.convolve(a, b, method="direct"))
    u = convop.convolve(np.array([1, 2], np.uint8), np.array([3], np.int16))
    assert u.dtype == np.result_type(np.uint8, np.int16)


def test_float32_stays_float32_and_inputs_untouched():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((16, 16)).astype(np.float32)
    w = rng.standard_normal((5, 5)).astype(np.float32)
    xc, wc = x.copy(), w.copy()
    for method in ("direct", "fft"):
        for b in BOUNDARIES:
            y = convop.convolve(x, w, "same", boundary=b, method=method)
            assert y.dtype == np.float32
    np.testing.assert_array_equal(x, xc)
    np.testing.assert_array_equal(w, wc)


def test_lists_and_scalars():
    assert convop.convolve([1, 2, 3], [1, 1]).tolist() == [1, 3, 5, 3]
    assert convop.convolve(np.float64(2.0), np.float64(3.0)) == 6.0


def test_nan_propagates_without_error():
    x = np.array([1.0, np.nan, 3.0, 4.0, 5.0])
    with np.errstate(invalid="ignore"):
        y = convop.convolve(x, np.ones(2), method="direct")
    assert np.isnan(y[1]) and np.isnan(y[2]) and y[0] == 1.0
    assert np.isnan(convop.convolve(x, np.ones(2), method="fft")).any()


def test_methods_agree_on_large_case():
    rng = np.random.default_rng(5)
    x, w = rng.standard_normal((64, 64)), rng.standard_normal((9, 9))
    for mode in MODES:
        for b in BOUNDARIES:
            d = convop.convolve(x, w, mode, boundary=b, method="direct")
            assert_close(convop.convolve(x, w, mode, boundary=b, method="fft"), d)
            assert_close(convop.convolve(x, w, mode, boundary=b), d)
