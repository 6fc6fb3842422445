"""The structured cases on the dense matrix: DCT-II diagonalises the half-sample
symmetric operator with a symmetric PSF, the DFT the periodic one."""

import numpy as np
import pytest
import scipy.fft as sfft
from hypothesis import given
from hypothesis import strategies as st

from convop._operators.convolution import Convolution
from convop.deconvolution._symbols import Basis, centred_odd, is_symmetric, symbol

from helpers import reference_convolve


def dense_reference(psf, shape, boundary):
    """Columns of the 'same' convolution, built with numpy.pad + scipy (helpers)."""
    n = int(np.prod(shape))
    cols = [
        reference_convolve(np.eye(n)[j].reshape(shape), psf, "same", boundary).ravel()
        for j in range(n)
    ]
    return np.array(cols).T


def dct_matrix(shape):
    c = np.ones((1, 1))
    for n in shape:
        c = np.kron(c, sfft.dct(np.eye(n), type=2, norm="ortho", axis=0))
    return c


def symmetric_psf(rng, half):
    """A random PSF even about its centre along every axis."""
    p = rng.random(tuple(h + 1 for h in half))
    for ax in range(p.ndim):
        p = np.concatenate([np.flip(np.take(p, np.arange(1, p.shape[ax]), axis=ax), ax), p], ax)
    return p / p.sum()


@pytest.mark.parametrize(
    ("shape", "half"),
    [((7,), (2,)), ((5,), (4,)), ((6, 5), (1, 2)), ((4, 5), (3, 2)), ((3, 4, 3), (1, 1, 2))],
)
def test_dct_diagonalises_symmetric_boundary(shape, half):
    rng = np.random.default_rng(0)
    psf = symmetric_psf(rng, half)
    dense = dense_reference(psf, shape, "symmetric")
    # the library operator is the same matrix as the independent reference
    np.testing.assert_allclose(
        Convolution(psf, shape, "same", boundary="symmetric").to_dense(), dense, atol=1e-14
    )
    c = dct_matrix(shape)
    d = c @ dense @ c.T
    off = d - np.diag(np.diag(d))
    assert np.abs(off).max() < 1e-13
    np.testing.assert_allclose(symbol("dct", psf, shape).ravel(), np.diag(d), atol=1e-13)


def test_even_psf_with_zero_last_tap_is_symmetric_and_diagonalised():
    psf = np.array([[1.0, 2.0, 1.0, 0.0], [2.0, 4.0, 2.0, 0.0]]) / 12
    psf = np.vstack([psf, psf[:1]])  # rows 1 2 1 about centre row 1; column centre 1
    assert psf.shape == (3, 4) and is_symmetric(psf)
    shape = (5, 6)
    c = dct_matrix(shape)
    d = c @ dense_reference(psf, shape, "symmetric") @ c.T
    assert np.abs(d - np.diag(np.diag(d))).max() < 1e-13
    np.testing.assert_allclose(symbol("dct", psf, shape).ravel(), np.diag(d), atol=1e-13)


def test_nonsymmetric_psf_is_not_diagonalised():
    psf = np.array([[0.0, 1.0, 2.0], [0.0, 3.0, 0.0], [0.0, 0.0, 0.0]])
    assert not is_symmetric(psf)
    c = dct_matrix((5, 5))
    d = c @ dense_reference(psf, (5, 5), "symmetric") @ c.T
    assert np.abs(d - np.diag(np.diag(d))).max() > 1e-2


@pytest.mark.parametrize("boundary", ["reflect", "replicate", "zero"])
def test_dct_does_not_diagonalise_other_boundaries(boundary):
    psf = symmetric_psf(np.random.default_rng(1), (2, 1))
    c = dct_matrix((5, 6))
    d = c @ dense_reference(psf, (5, 6), boundary) @ c.T
    assert np.abs(d - np.diag(np.diag(d))).max() > 1e-3


@given(
    st.lists(st.integers(1, 6), min_size=1, max_size=2).flatmap(
        lambda ns: st.tuples(st.just(tuple(ns)), st.tuples(*(st.integers(1, n) for n in ns)))
    ),
    st.integers(0, 2**32 - 1),
)
def test_fft_symbol_diagonalises_periodic(shapes, seed):
    shape, kshape = shapes
    psf = np.random.default_rng(seed).standard_normal(kshape)
    dense = dense_reference(psf, shape, "periodic")
    basis = Basis("fft", shape)
    a = symbol("fft", psf, shape)
    x = np.random.default_rng(seed + 1).standard_normal(shape)
    np.testing.assert_allclose(
        basis.inverse(a * basis.forward(x)).ravel(), dense @ x.ravel(), atol=1e-12
    )
    # Parseval in the half spectrum
    assert np.isclose(basis.sqnorm(basis.forward(x)), float(np.sum(x * x)))


def test_centred_odd():
    p = np.arange(1.0, 5.0)  # centre tap index 1 of 4
    assert centred_odd(p).tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]


def test_replicate_equals_symmetric_for_half_width_one():
    # one extended sample per side: 'a a | a b c' and 'a | a b c' agree
    psf = symmetric_psf(np.random.default_rng(2), (1, 1))
    np.testing.assert_array_equal(
        dense_reference(psf, (4, 5), "replicate"), dense_reference(psf, (4, 5), "symmetric")
    )


@pytest.mark.parametrize(
    ("shape", "half"), [((7,), (2,)), ((6, 5), (2, 1)), ((3, 4, 5), (1, 2, 1))]
)
def test_weighted_dct1_diagonalises_reflect(shape, half):
    psf = symmetric_psf(np.random.default_rng(3), half)
    A = dense_reference(psf, shape, "reflect")
    basis = Basis("dct1", shape)
    lam = symbol("dct1", psf, shape)
    x = np.random.default_rng(4).standard_normal(shape)
    # A = T⁻¹ diag(λ) T with T = C₁ W
    np.testing.assert_allclose(
        basis.inverse(lam * basis.forward(x)).ravel(), A @ x.ravel(), atol=1e-13
    )
    # T⁻ᵀ is dual(): <T⁻¹ c, v> = <c, T⁻ᵀ v>
    c, v = basis.forward(x), np.random.default_rng(5).standard_normal(shape)
    assert np.isclose(np.vdot(basis.inverse(c), v), np.vdot(c, basis.dual(v)))
    # W A W⁻¹ is symmetric although A is not
    w = basis._w.ravel()
    assert np.abs(A - A.T).max() > 1e-3
    B = w[:, None] * A / w[None, :]
    assert np.abs(B - B.T).max() < 1e-14
