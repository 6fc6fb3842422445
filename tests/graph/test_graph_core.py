"""Graph, Laplacians, lmax and the Fourier basis against networkx, scipy and dense eigh."""

import networkx as nx
import numpy as np
import pytest
import scipy.linalg
import scipy.sparse.csgraph as csgraph
from hypothesis import given, settings
from hypothesis import strategies as st

from convop._core.errors import ConvopTypeError, ConvopValueError
from convop.graph import Graph, from_networkx, grid, ring, torus, torus_mesh


def random_graph(rng, n, p=0.3, weighted=True):
    A = (rng.random((n, n)) < p) * (rng.random((n, n)) if weighted else 1.0)
    A = np.triu(A, 1)
    return A + A.T


# -- construction -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("adj", "kw", "match"),
    [
        (np.ones((2, 3)), {}, r"square \(N, N\); got shape \(2, 3\)"),
        (np.array([[0, -2.0], [-2.0, 0]]), {}, r"non-negative edge weights; got -2\.0 at \(0, 1\)"),
        (np.array([[0, np.inf], [np.inf, 0]]), {}, r"finite; got inf"),
        (
            np.array([[0, 1.0], [0, 0]]),
            {},
            r"symmetric.*\[0, 1\]=1\.0 but adjacency\[1, 0\]=0\.0.*directed=True",
        ),
        (np.zeros((0, 0)), {}, r"at least one node"),
        (
            np.zeros((3, 3)),
            {"coords": np.zeros((2, 2))},
            r"coords must be a finite \(N, d\) array with N=3",
        ),
    ],
)
def test_bad_graphs(adj, kw, match):
    with pytest.raises(ConvopValueError, match=match):
        Graph(adj, **kw)


def test_type_errors_and_bad_sizes():
    with pytest.raises(ConvopTypeError, match="real numbers"):
        Graph(np.array([["a"]]))
    with pytest.raises(ConvopValueError, match=r"invalid n=2; expected an integer >= 3"):
        ring(2)
    with pytest.raises(ConvopValueError, match=r"invalid m=1\.5"):
        torus(3, 1.5)
    with pytest.raises(ConvopValueError, match=r"R > r > 0"):
        torus_mesh(5, 5, R=0.3, r=0.4)
    with pytest.raises(ConvopTypeError, match="networkx graph"):
        from_networkx(np.eye(2))


def test_directed_immutable_and_reported():
    A = np.array([[0, 1.0, 0], [0, 0, 0], [0, 0, 3.0]])
    G = Graph(A, directed=True)
    assert G.directed and G.has_self_loops
    A[0, 1] = 5.0  # the caller's array is not shared
    assert G.adjacency[0, 1] == 1.0
    with pytest.raises(ValueError):
        G.adjacency.data[0] = 2.0
    assert "1 self-loops" in repr(G) and "directed" in repr(G)
    U = Graph(np.array([[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 1]]))
    assert U.isolated.tolist() == [2, 3]
    assert "2 isolated nodes" in repr(U)
    with pytest.raises(ConvopValueError, match="spectral methods need an undirected graph"):
        G.lmax()
    with pytest.raises(ConvopValueError, match="kind='normalized' needs an undirected graph"):
        G.laplacian("normalized")


def test_constructors_match_networkx():
    for ours, ref in [
        (ring(7), nx.cycle_graph(7)),
        (grid(3, 4), nx.grid_2d_graph(3, 4)),
        (torus(3, 5), nx.grid_2d_graph(3, 5, periodic=True)),
    ]:
        A = nx.to_numpy_array(ref, nodelist=sorted(ref))
        np.testing.assert_array_equal(ours.adjacency.toarray(), A)
    M = torus_mesh(6, 4)
    assert np.all(M.degrees == 6) and M.n_edges == 3 * 24
    # every face edge is a graph edge and every vertex sits on the torus surface
    for f in M.faces:
        for a, b in [(0, 1), (1, 2), (0, 2)]:
            assert M.adjacency[f[a], f[b]] == 1
    xy = np.hypot(M.coords[:, 0], M.coords[:, 1])
    np.testing.assert_allclose((xy - 1.0) ** 2 + M.coords[:, 2] ** 2, 0.16)
    K = from_networkx(nx.karate_club_graph())  # weighted
    np.testing.assert_array_equal(K.adjacency.toarray(), nx.to_numpy_array(nx.karate_club_graph()))


# -- Laplacians -------------------------------------------------------------------------
def test_laplacians_against_networkx_and_scipy():
    rng = np.random.default_rng(1)
    A = random_graph(rng, 12)
    A[4, :] = A[:, 4] = 0  # an isolated node
    A[2, 2] = 0.7  # a self-loop
    G = Graph(A)
    ref = nx.from_numpy_array(A)
    np.testing.assert_allclose(
        G.laplacian().toarray(), nx.laplacian_matrix(ref).toarray(), atol=1e-14
    )
    # scipy ignores self-loops in normed=True, so compare on the loop-free graph
    B = A.copy()
    B[2, 2] = 0
    np.testing.assert_allclose(
        Graph(B).laplacian("normalized").toarray(), csgraph.laplacian(B, normed=True), atol=1e-14
    )
    d = A.sum(1)
    Lrw = np.diag((d > 0).astype(float)) - np.divide(
        A, d[:, None], where=d[:, None] > 0, out=np.zeros_like(A)
    )
    np.testing.assert_allclose(G.laplacian("random-walk").toarray(), Lrw, atol=1e-14)
    with pytest.raises(
        ConvopValueError, match=r"invalid kind='sym'; expected one of 'combinatorial'"
    ):
        G.laplacian("sym")


# -- lmax -------------------------------------------------------------------------------
@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(2, 30), p=st.floats(0.05, 1.0), seed=st.integers(0, 10**6), weighted=st.booleans()
)
def test_lmax_never_below_true(n, p, seed, weighted):
    G = Graph(random_graph(np.random.default_rng(seed), n, p, weighted))
    for kind in ("combinatorial", "normalized", "random-walk"):
        true = scipy.linalg.eigvalsh(
            G.laplacian("normalized" if kind != "combinatorial" else kind).toarray()
        )[-1]
        assert abs(G.lmax("exact", kind=kind) - true) <= 1e-10 * max(1, true)
        assert G.lmax("bound", kind=kind) >= true - 1e-12
        assert true - 1e-12 <= G.lmax("lanczos", kind=kind) <= G.lmax("bound", kind=kind) + 1e-12


def test_lmax_lanczos_on_a_large_graph():
    rng = np.random.default_rng(0)
    G = Graph(nx.to_scipy_sparse_array(nx.random_geometric_graph(3000, 0.03, seed=1)))
    exact = G.lmax("exact")
    est = G.lmax("lanczos")
    assert exact <= est <= 1.05 * exact
    assert G.lmax("bound") >= exact
    assert G.lmax("lanczos") is not None and ("lmax", "combinatorial", "lanczos") in G._cache
    del rng


# -- Fourier basis ----------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["combinatorial", "normalized", "random-walk"])
def test_fourier_basis_against_dense_eigh(kind):
    rng = np.random.default_rng(2)
    G = Graph(random_graph(rng, 20, 0.4))
    e, U = G.fourier_basis(kind=kind)
    L = G.laplacian(kind).toarray()
    sym = G.laplacian("normalized" if kind == "random-walk" else kind).toarray()
    np.testing.assert_allclose(e, np.linalg.eigvalsh(sym), atol=1e-12)
    np.testing.assert_allclose(L @ U, U * e, atol=1e-12)
    if kind != "random-walk":
        np.testing.assert_allclose(U.T @ U, np.eye(20), atol=1e-12)
    x = rng.standard_normal((20, 3))
    np.testing.assert_allclose(G.igft(G.gft(x, kind=kind), kind=kind), x, atol=1e-12)
    assert G.fourier_basis(kind=kind)[1] is U or kind == "random-walk"  # cached


def test_k_lowest_by_lanczos_on_a_large_graph():
    G = grid(40, 30)  # 1200 nodes: shift-invert Lanczos, not a full eigh
    e, U = G.fourier_basis(8)
    dense = np.linalg.eigvalsh(G.laplacian().toarray())[:8]
    np.testing.assert_allclose(e, dense, atol=1e-9)
    np.testing.assert_allclose(G.laplacian() @ U, U * e, atol=1e-8)
    x = np.random.default_rng(0).standard_normal(1200)
    np.testing.assert_allclose(G.gft(x, k=8), U.T @ x, atol=1e-12)
    with pytest.raises(ConvopValueError, match=r"invalid k=0; expected an integer in \[1, 1200\]"):
        G.fourier_basis(0)


def test_gft_shapes_and_dtypes():
    G = Graph(random_graph(np.random.default_rng(3), 9))
    x32 = np.random.default_rng(0).standard_normal((9, 2)).astype(np.float32)
    assert G.gft(x32).dtype == np.float32 and G.gft(x32).shape == (9, 2)
    assert G.gft(np.arange(9)).dtype == np.float64
    with pytest.raises(ConvopValueError, match=r"x must have shape \(9,\) or \(9, F\); got \(8,\)"):
        G.gft(np.ones(8))
    xv = np.random.default_rng(1).standard_normal((9, 4))[::-1, ::2]
    xv.setflags(write=False)
    np.testing.assert_allclose(G.gft(xv), G.fourier_basis()[1].T @ xv, atol=1e-13)
