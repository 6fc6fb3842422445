"""upfirdn and the Upfirdn operator against scipy.signal.upfirdn and a zero-stuffing reference."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal as ss
from hypothesis import given, settings
from hypothesis import strategies as st

from convop._core.errors import ConvopTypeError, ConvopValueError
from convop.resampling import Upfirdn, upfirdn
from convop.resampling._polyphase import plan, polyphase, upfirdn_length

from helpers import assert_close, random_array, tol


def stuffed_reference(h, x, up, down):
    """The definition, written out: insert up-1 zeros, full convolution, keep every down-th."""
    xu = np.zeros(len(x) * up, dtype=np.result_type(x, float))
    xu[::up] = x
    full = np.convolve(xu, h)[: (len(x) - 1) * up + len(h)]
    return full[::down]


@settings(max_examples=60)
@given(
    n=st.integers(1, 40),
    lh=st.integers(1, 50),
    up=st.integers(1, 9),
    down=st.integers(1, 9),
    seed=st.integers(0, 2**16),
)
def test_matches_definition_and_scipy(n, lh, up, down, seed):
    rng = np.random.default_rng(seed)
    x, h = rng.standard_normal(n), rng.standard_normal(lh)
    y = upfirdn(h, x, up, down)
    ref = stuffed_reference(h, x, up, down)
    assert y.shape == ref.shape == (upfirdn_length(n, lh, up, down),)
    assert_close(y, ref)
    assert_close(y, ss.upfirdn(h, x, up, down))


@pytest.mark.parametrize("blocking", [(1, 1), (1, 2), (2, 1), (3, 5), (8, 3), (16, 64)])
@pytest.mark.parametrize("up,down,lh", [(3, 2, 61), (4, 6, 13), (1, 5, 7), (7, 1, 30), (5, 5, 3)])
def test_every_blocking_gives_the_same_map(blocking, up, down, lh):
    # the engine's (K, G) choice is a pure performance decision
    rng = np.random.default_rng(1)
    x, h = rng.standard_normal((2, 57)), rng.standard_normal(lh)
    for c in (0, 3, -4, lh - 1):
        n_out = 40
        pl = plan(h, 57, up, down, c, n_out, blocking=(blocking[0], min(blocking[1], 1000)))
        got = polyphase(x, pl)
        full = np.array([stuffed_reference(h, row, up, 1) for row in x])
        t = np.arange(n_out) * down + c
        ok = (t >= 0) & (t < full.shape[1])
        want = np.zeros((2, n_out))
        want[:, ok] = full[:, t[ok]]
        assert_close(got, want)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex64, np.complex128])
@pytest.mark.parametrize("hdtype", [np.float32, np.float64, np.complex128, np.int64])
def test_dtypes_follow_scipy(dtype, hdtype):
    rng = np.random.default_rng(2)
    x = random_array(rng, (3, 50), dtype)
    h = random_array(rng, (11,), hdtype)
    y = upfirdn(h, x, 3, 2)
    ref = ss.upfirdn(h, x, 3, 2)
    assert y.dtype == ref.dtype
    assert_close(y, ref, dtype=y.dtype)


def test_integer_input_is_float64():
    y = upfirdn([1, 2], np.arange(5), 2, 1)
    assert y.dtype == np.float64
    assert_close(y, ss.upfirdn([1, 2], np.arange(5), 2, 1))


@pytest.mark.parametrize("axis", [0, 1, 2, -1, -2])
def test_nd_axis(axis):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((6, 7, 8))
    h = rng.standard_normal(9)
    assert_close(upfirdn(h, x, 2, 3, axis=axis), ss.upfirdn(h, x, 2, 3, axis=axis))


def test_views_are_accepted_and_inputs_untouched():
    rng = np.random.default_rng(4)
    base = rng.standard_normal((30, 20))
    h = rng.standard_normal(7)
    for x in (base[::-1, ::-2], np.asfortranarray(base), base.T):
        before = x.copy()
        x_ro = x.view()
        x_ro.flags.writeable = False
        assert_close(upfirdn(h, x_ro, 3, 2, axis=0), ss.upfirdn(h, before, 3, 2, axis=0))
        np.testing.assert_array_equal(x, before)
    big_endian = base.astype(">f8")
    assert_close(upfirdn(h, big_endian, 2, 1), ss.upfirdn(h, base, 2, 1))


@pytest.mark.parametrize(
    "up,down,lh,n",
    [(1, 1, 5, 9), (3, 2, 61, 40), (2, 5, 8, 33), (160, 147, 50, 6), (1, 4, 81, 100)],
)
@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_operator_dense_matrix_and_dot_test(up, down, lh, n, dtype):
    rng = np.random.default_rng(5)
    h = random_array(rng, (lh,), dtype)
    A = Upfirdn(h, n, up, down)
    assert A.shape == (upfirdn_length(n, lh, up, down), n)
    # the matrix from its definition A[m, j] = h[m·down − j·up]
    m, j = np.meshgrid(np.arange(A.shape[0]), np.arange(n), indexing="ij")
    k = m * down - j * up
    dense = np.where((k >= 0) & (k < lh), h[np.clip(k, 0, lh - 1)], 0)
    np.testing.assert_allclose(A.to_dense(), dense, atol=1e-13)
    # dot test  <A x, y> = <x, A^H y>
    x = random_array(rng, (n,), dtype)
    y = random_array(rng, (A.shape[0],), dtype)
    lhs = np.vdot(y, A.apply(x))
    rhs = np.vdot(A.adjoint(y), x)
    assert abs(lhs - rhs) <= 1e-12 * abs(lhs), (lhs, rhs)
    np.testing.assert_allclose(A.H.to_dense(), dense.conj().T, atol=1e-13)


def test_operator_batches_and_float32():
    rng = np.random.default_rng(6)
    h = rng.standard_normal(13).astype(np.float32)
    A = Upfirdn(h, 20, 3, 2)
    assert A.dtype == np.float32
    x = rng.standard_normal((4, 5, 20)).astype(np.float32)
    y = A.apply(x)
    assert y.dtype == np.float32 and y.shape == (4, 5, A.output_shape[0])
    assert_close(y, ss.upfirdn(h, x, 3, 2), dtype=np.float32)
    z = A.adjoint(y)
    assert z.shape == x.shape and z.dtype == np.float32
    # a complex batch through a real operator
    xc = random_array(rng, (2, 20), np.complex128)
    assert_close(A.apply(xc), ss.upfirdn(h.astype(np.float64), xc, 3, 2), dtype=np.complex64)


def test_operator_keeps_a_private_filter():
    h = np.array([1.0, 2.0, 3.0])
    A = Upfirdn(h, 4, 2, 1)
    h[:] = 0
    assert A.h.tolist() == [1.0, 2.0, 3.0]
    with pytest.raises(ValueError):
        A.h[0] = 5.0


def test_operator_inverts_with_lsqr():
    # an interpolator is injective: least squares recovers the signal
    from scipy.sparse.linalg import lsqr

    rng = np.random.default_rng(7)
    A = Upfirdn(ss.firwin(31, 0.5) * 2, 40, 2, 1)
    x = rng.standard_normal(40)
    sol = lsqr(A.aslinearoperator(), A @ x, atol=1e-14, btol=1e-14, iter_lim=500)[0]
    assert np.abs(sol - x).max() < 1e-8


def test_tolerance_helper_is_sane():
    assert tol(np.float32) > tol(np.float64)


@pytest.mark.parametrize(
    "kwargs,exc,match",
    [
        ({"h": np.ones((2, 2))}, ConvopValueError, r"h must be a 1-D filter; got .*\(2, 2\)"),
        ({"h": []}, ConvopValueError, "h must have at least one tap"),
        ({"h": ["a"]}, ConvopTypeError, "h must be a numeric array"),
        ({"x": []}, ConvopValueError, r"x must not be empty; got shape \(0,\)"),
        ({"x": 3.0}, ConvopValueError, "x must have at least one dimension"),
        ({"up": 0}, ConvopValueError, r"invalid up=0; expected a positive integer"),
        ({"down": -2}, ConvopValueError, r"invalid down=-2; expected a positive integer"),
        ({"up": 1.5}, ConvopValueError, r"invalid up=1.5"),
        ({"up": True}, ConvopValueError, r"invalid up=True"),
        ({"down": "2"}, ConvopTypeError, "down must be a positive integer; got str"),
        ({"axis": 2}, ConvopValueError, r"invalid axis=2; expected an int in \[-1, 0\]"),
        ({"axis": 0.0}, ConvopTypeError, "axis must be an int"),
    ],
)
def test_errors_name_the_argument(kwargs, exc, match):
    args = {"h": [1.0, 2.0], "x": np.ones(5), "up": 2, "down": 1, "axis": -1} | kwargs
    with pytest.raises(exc, match=match):
        upfirdn(**args)


def test_operator_errors():
    with pytest.raises(ConvopValueError, match=r"invalid n=0"):
        Upfirdn([1.0], 0)
    with pytest.raises(ConvopValueError, match="h must be a 1-D filter"):
        Upfirdn(np.ones((1, 3)), 4)
    A = Upfirdn([1.0, 2.0], 4, 2, 1)
    with pytest.raises(ConvopValueError, match=r"x must have shape \(\.\.\., 4\)"):
        A.apply(np.ones(5))
    assert float(upfirdn([2.0], [1.5])[0]) == 3.0
    assert upfirdn([1.0], [1.0, 2.0], 1.0, 1.0).tolist() == [1.0, 2.0]  # integral floats


@settings(max_examples=40)
@given(
    n=st.integers(1, 30),
    lh=st.integers(1, 40),
    up=st.integers(1, 8),
    down=st.integers(1, 8),
    cplx=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_dot_test_random_configurations(n, lh, up, down, cplx, seed):
    rng = np.random.default_rng(seed)
    dt = np.complex128 if cplx else np.float64
    A = Upfirdn(random_array(rng, (lh,), dt), n, up, down)
    x = random_array(rng, (3, n), dt)
    y = random_array(rng, (3, A.shape[0]), dt)
    lhs = np.sum(np.conj(y) * A.apply(x))
    rhs = np.sum(np.conj(A.adjoint(y)) * x)
    assert abs(lhs - rhs) <= 1e-12 * max(abs(lhs), 1.0), (lhs, rhs)
