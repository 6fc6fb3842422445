"""Convolution.apply / adjoint on Dask arrays: equality, dot tests, solvers."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse.linalg as spla
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import BOUNDARIES, MODES, assert_close, random_array

da = pytest.importorskip("dask.array")

import convop.dask as cd  # noqa: E402
from convop._operators.convolution import Convolution  # noqa: E402


def _dot(a, b):
    return complex(np.vdot(np.asarray(b), np.asarray(a)))


@settings(max_examples=20)
@given(
    shape=st.lists(st.integers(1, 9), min_size=1, max_size=2),
    kmax=st.integers(1, 5),
    mode=st.sampled_from(MODES),
    boundary=st.sampled_from(BOUNDARIES),
    correlate=st.booleans(),
    dtype=st.sampled_from([np.float32, np.float64, np.complex128]),
    chunk=st.integers(1, 4),
    seed=st.integers(0, 2**16),
)
def test_apply_adjoint_equal_numpy_and_dot_test(
    shape, kmax, mode, boundary, correlate, dtype, chunk, seed
):
    rng = np.random.default_rng(seed)
    shape = tuple(shape)
    kshape = tuple(int(q) for q in rng.integers(1, kmax + 1, len(shape)))
    if mode == "valid" and not (
        all(n >= q for n, q in zip(shape, kshape)) or all(q >= n for n, q in zip(shape, kshape))
    ):
        kshape = tuple(min(n, q) for n, q in zip(shape, kshape))  # valid needs one to contain
    A = Convolution(
        random_array(rng, kshape, dtype), shape, mode, boundary=boundary, correlate=correlate
    )
    x = random_array(rng, (2, *shape), dtype)
    y = random_array(rng, (2, *A.output_shape), dtype)
    xd, yd = da.from_array(x, chunks=chunk), da.from_array(y, chunks=chunk)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cd.ConvopRechunkWarning)
        ax, ahy = A(xd), A.adjoint(yd)
        assert type(ax).__module__.startswith("dask")
        axc, ahyc = ax.compute(), ahy.compute()
    assert axc.dtype == A(x).dtype and ahyc.dtype == A.adjoint(y).dtype
    assert_close(axc, A(x), dtype)
    assert_close(ahyc, A.adjoint(y), dtype)
    # dot test on the Dask results: <A x, y> = <x, A^H y>
    lhs, rhs = _dot(axc, y), _dot(x, ahyc)
    scale = np.linalg.norm(axc) * np.linalg.norm(y) + np.linalg.norm(x) * np.linalg.norm(ahyc)
    assert abs(lhs - rhs) <= 100 * np.finfo(np.dtype(dtype)).eps * (scale + 1e-30), (lhs, rhs)


def test_dense_matrix_reference():
    """Columns of A.adjoint on Dask = rows of the dense matrix (an independent path)."""
    rng = np.random.default_rng(0)
    A = Convolution(rng.standard_normal((3, 2)), (5, 6), "same", boundary="reflect")
    M = A.to_dense()
    eye = np.eye(A.shape[0]).reshape((A.shape[0],) + A.output_shape)
    cols = A.adjoint(da.from_array(eye, chunks=(7, 2, 3))).compute()
    np.testing.assert_allclose(cols.reshape(A.shape[0], -1), M, atol=1e-12)


def test_adjoint_transpose_product_operators():
    rng = np.random.default_rng(1)
    A = Convolution(rng.standard_normal(4), (20,), "same", boundary="symmetric")
    B = Convolution(rng.standard_normal(3), (20,), "full", boundary="periodic")
    x = rng.standard_normal((3, 20))
    xd = da.from_array(x, chunks=(2, 6))
    z = rng.standard_normal((3, 22))
    zd = da.from_array(z, chunks=(2, 6))
    assert_close(A.H(xd).compute(), A.adjoint(x))
    assert_close(A.T(xd).compute(), A.T(x))
    assert_close((B @ A)(xd).compute(), (B @ A)(x))
    assert_close((B @ A).H(zd).compute(), (B @ A).adjoint(z))


def test_swapped_valid_operator_goes_blockwise():
    rng = np.random.default_rng(2)
    A = Convolution(rng.standard_normal(9), (4,), "valid")
    x = rng.standard_normal((6, 4))
    with pytest.warns(cd.ConvopRechunkWarning, match="whole"):
        got = A(da.from_array(x, chunks=(3, 2))).compute()
    assert_close(got, A(x))
    assert_close(A(da.from_array(x, chunks=(3, 4))).compute(), A(x))


def test_shape_and_dtype_errors():
    A = Convolution(np.ones(3), (10,), "same")
    with pytest.raises(ValueError, match=r"x must have shape \(\.\.\., 10\).*got \(4, 9\)"):
        A(da.ones((4, 9)))
    with pytest.raises(ValueError, match=r"y must have shape"):
        A.adjoint(da.ones(11))
    with pytest.raises(TypeError, match="numeric"):
        A(da.from_array(np.array(["a"] * 10)))


def test_landweber_and_cgls_match_numpy_solvers():
    rng = np.random.default_rng(3)
    A = Convolution(np.array([0.2, 0.5, 0.3]), (40,), "full", boundary="zero")
    truth = rng.standard_normal(40)
    b = A(truth) + 1e-3 * rng.standard_normal(42)
    yd = da.from_array(b, chunks=9)
    x, info = cd.cgls(A, yd, damp=0.1, tol=1e-12, maxiter=200)
    # independent reference: scipy LSQR on the dense matrix with the same damping
    ref = spla.lsqr(A.to_dense(), b, damp=0.1, atol=1e-14, btol=1e-14, iter_lim=2000)[0]
    np.testing.assert_allclose(x.compute(), ref, atol=1e-7)
    assert info["iterations"] >= 1
    assert info["residual_norms"][-1] <= info["residual_norms"][0]
    xl = cd.landweber(A, yd, steps=400).compute()
    lam = np.linalg.lstsq(A.to_dense(), b, rcond=None)[0]
    assert np.linalg.norm(A(xl) - b) <= np.linalg.norm(A(lam) - b) + 0.05 * np.linalg.norm(b)


def test_norm_bound_is_an_upper_bound():
    from convop.dask._solvers import norm_bound

    rng = np.random.default_rng(4)
    for boundary in BOUNDARIES:
        for mode in MODES:
            A = Convolution(rng.standard_normal((3, 4)), (6, 7), mode, boundary=boundary)
            assert np.linalg.norm(A.to_dense(), 2) <= norm_bound(A) * (1 + 1e-12)


def test_solver_errors():
    A = Convolution(np.ones(3), (10,), "same")
    y = da.ones(10)
    with pytest.raises(TypeError, match="op must be a convop Operator"):
        cd.landweber(np.eye(3), y)
    with pytest.raises(ValueError, match="invalid steps=-1"):
        cd.landweber(A, y, steps=-1)
    with pytest.raises(ValueError, match="invalid step=0"):
        cd.landweber(A, y, step=0)
    with pytest.raises(ValueError, match="invalid damp=-1"):
        cd.cgls(A, y, damp=-1)
    with pytest.raises(ValueError, match="step=None needs a Convolution"):
        cd.landweber(A.H @ A, y)
