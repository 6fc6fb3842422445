"""Ring / torus / torus mesh: the Laplacian is a periodic Convolution; the FFT route
agrees with dense eigh."""

import numpy as np
import pytest
import scipy.linalg
from hypothesis import given, settings
from hypothesis import strategies as st

from convop._core.errors import ConvopValueError
from convop._operators.convolution import Convolution
from convop.graph import LAPLACIANS, Graph, grid, heat, ring, torus, torus_mesh

GRAPHS = {
    "ring7": lambda: ring(7),
    "ring8": lambda: ring(8),
    "torus3x5": lambda: torus(3, 5),
    "torus4x6": lambda: torus(4, 6),
    "mesh6x4": lambda: torus_mesh(6, 4),
    "mesh5x7": lambda: torus_mesh(5, 7),
}


@pytest.mark.parametrize("name", GRAPHS)
@pytest.mark.parametrize("kind", LAPLACIANS)
def test_as_convolution_equals_laplacian(name, kind):
    G = GRAPHS[name]()
    C = G.as_convolution(kind)
    assert isinstance(C, Convolution) and C.boundary == "periodic"
    assert C.structure == ("circulant" if len(G.circulant_shape) == 1 else "bccb")
    L = G.laplacian(kind).toarray()
    np.testing.assert_allclose(C.to_dense(), L, atol=1e-14)
    # eigenvalues by one FFT of the stencil = dense eigvalsh (the Laplacian is symmetric)
    sym = G.laplacian("normalized" if kind == "random-walk" else kind).toarray()
    np.testing.assert_allclose(
        np.sort(C.eigvals().real.ravel()), scipy.linalg.eigvalsh(sym), atol=1e-12
    )
    np.testing.assert_allclose(C.eigvals().imag, 0, atol=1e-12)


@pytest.mark.parametrize("n", [3, 4, 9, 16])
def test_ring_eigenvalues_closed_form(n):
    e, U = ring(n).fourier_basis()
    np.testing.assert_allclose(e, np.sort(4 * np.sin(np.pi * np.arange(n) / n) ** 2), atol=1e-13)
    # the DFT diagonalises it: F L F* is diagonal (F unitary DFT matrix)
    F = np.fft.fft(np.eye(n), norm="ortho")
    D = F @ ring(n).laplacian().toarray() @ F.conj().T
    np.testing.assert_allclose(D - np.diag(np.diag(D)), 0, atol=1e-12)


@pytest.mark.parametrize("name", GRAPHS)
def test_fft_basis_is_an_orthonormal_eigenbasis(name):
    G = GRAPHS[name]()
    for kind in ("combinatorial", "normalized"):
        e, U = G.fourier_basis(kind=kind)
        L = G.laplacian(kind).toarray()
        np.testing.assert_allclose(U.T @ U, np.eye(G.n_nodes), atol=1e-12)
        np.testing.assert_allclose(L @ U, U * e, atol=1e-12)
        np.testing.assert_allclose(e, scipy.linalg.eigvalsh(L), atol=1e-12)
        x = np.random.default_rng(0).standard_normal((G.n_nodes, 2))
        np.testing.assert_allclose(G.gft(x, kind=kind), U.T @ x, atol=1e-12)
        np.testing.assert_allclose(G.igft(G.gft(x, kind=kind), kind=kind), x, atol=1e-12)


def _as_plain(G):
    """The same adjacency with its vertices shuffled: no periodic-grid numbering left."""
    perm = np.random.default_rng(5).permutation(G.n_nodes)
    A = G.adjacency.toarray()[np.ix_(perm, perm)]
    return Graph(A), perm


@pytest.mark.parametrize("name", GRAPHS)
@pytest.mark.parametrize("kind", LAPLACIANS)
def test_fft_filter_agrees_with_dense_eigenbasis(name, kind):
    G = GRAPHS[name]()
    P, perm = _as_plain(G)
    assert P.circulant_shape is None
    x = np.random.default_rng(1).standard_normal((G.n_nodes, 3))
    H = G.filter_operator(heat(0.7), "exact", kind=kind)
    assert H.method == "fft"
    y = G.filter(x, heat(0.7), "exact", kind=kind)
    y_dense = P.filter(x[perm], heat(0.7), "exact", kind=kind)
    assert P.filter_operator(heat(0.7), "exact", kind=kind).method == "eigh"
    np.testing.assert_allclose(y[perm], y_dense, atol=1e-12)
    ref = scipy.linalg.expm(-0.7 * G.laplacian(kind).toarray()) @ x
    np.testing.assert_allclose(y, ref, atol=1e-12)


def test_detection_from_structure():
    assert Graph(ring(9).adjacency.toarray()).circulant_shape == (9,)
    assert Graph(torus(4, 7).adjacency).circulant_shape in ((4, 7), (7, 4))
    assert Graph(torus_mesh(5, 6).adjacency).circulant_shape is not None
    weighted = Graph(2.5 * torus(5, 5).adjacency)
    np.testing.assert_allclose(weighted.as_convolution().to_dense(), weighted.laplacian().toarray())
    # self-loops (the seed's A + I) keep the shift invariance
    looped = Graph(torus_mesh(6, 5).adjacency + np.eye(30))
    C = looped.as_convolution("normalized")
    np.testing.assert_allclose(C.to_dense(), looped.laplacian("normalized").toarray(), atol=1e-14)
    assert grid(4, 5).circulant_shape is None
    with pytest.raises(ConvopValueError, match="shift-invariant on a periodic grid"):
        grid(4, 5).as_convolution()


@settings(max_examples=20, deadline=None)
@given(n=st.integers(3, 9), m=st.integers(3, 9), t=st.floats(0.0, 3.0), seed=st.integers(0, 999))
def test_torus_filter_hypothesis(n, m, t, seed):
    G = torus(n, m)
    x = np.random.default_rng(seed).standard_normal(n * m)
    ref = scipy.linalg.expm(-t * G.laplacian().toarray()) @ x
    np.testing.assert_allclose(G.filter(x, heat(t)), ref, atol=1e-11)
    y, err = G.filter(x, heat(t), "chebyshev", order=30, return_error=True)
    assert np.linalg.norm(y - ref) <= err * np.linalg.norm(x) + 1e-12
