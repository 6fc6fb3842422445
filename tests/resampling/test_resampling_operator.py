"""The Resample operator: the same map as resample(), with an exact adjoint."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convop._core.errors import ConvopValueError
from convop.resampling import Resample, resample

from helpers import assert_close, random_array


@settings(max_examples=30)
@given(
    length=st.integers(1, 60),
    p=st.integers(1, 12),
    q=st.integers(1, 12),
    design=st.sampled_from(["matlab", "octave"]),
    lh=st.one_of(st.none(), st.integers(1, 30)),
    seed=st.integers(0, 999),
)
def test_equals_resample_and_passes_the_dot_test(length, p, q, design, lh, seed):
    rng = np.random.default_rng(seed)
    b = None if lh is None else rng.standard_normal(lh)
    A = Resample(length, p, q, filter=b, design=design)
    x = rng.standard_normal((2, length))
    assert_close(A.apply(x), resample(x, p, q, filter=b, design=design))
    y = rng.standard_normal((2, A.shape[0]))
    lhs, rhs = np.sum(y * A.apply(x)), np.sum(A.adjoint(y) * x)
    assert abs(lhs - rhs) <= 1e-12 * max(1.0, abs(lhs)), (lhs, rhs)


def test_dense_matrix_columns_are_resampled_unit_impulses():
    A = Resample(30, 5, 3, n=4, beta=8.0)
    eye = np.eye(30)
    cols = np.stack([resample(e, 5, 3, n=4, beta=8.0) for e in eye], axis=1)
    np.testing.assert_allclose(A.to_dense(), cols, atol=1e-14)
    np.testing.assert_allclose(A.H.to_dense(), cols.T, atol=1e-14)
    assert A.pq == (5, 3) and A.h.shape == (2 * 4 * 5 + 1,)


def test_complex_filter_adjoint():
    rng = np.random.default_rng(1)
    b = random_array(rng, (9,), np.complex128)
    A = Resample(20, 2, 3, filter=b)
    x = random_array(rng, (20,), np.complex128)
    y = random_array(rng, (A.shape[0],), np.complex128)
    assert abs(np.vdot(y, A @ x) - np.vdot(A.H @ y, x)) < 1e-12 * abs(np.vdot(y, A @ x))


def test_least_squares_undoes_an_upsampler():
    from scipy.sparse.linalg import lsqr

    rng = np.random.default_rng(2)
    A = Resample(80, 3, 1)
    x = rng.standard_normal(80)
    sol = lsqr(A.aslinearoperator(), A @ x, atol=1e-14, btol=1e-14, iter_lim=2000)[0]
    assert np.abs(sol - x).max() < 1e-6


def test_identity_when_p_equals_q_and_errors():
    A = Resample(7, 4, 4)
    np.testing.assert_array_equal(A.to_dense(), np.eye(7))
    with pytest.raises(ConvopValueError, match=r"invalid length=0"):
        Resample(0, 3, 2)
    with pytest.raises(ConvopValueError, match=r"invalid design='x'"):
        Resample(5, 3, 2, design="x")
    with pytest.raises(ConvopValueError, match=r"invalid n=0"):
        Resample(5, 3, 2, n=0)
