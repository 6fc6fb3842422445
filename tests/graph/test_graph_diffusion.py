"""heat_diffusion, label_propagation (closed form, sklearn) and farthest-point sampling."""

import warnings

import networkx as nx
import numpy as np
import pytest
from scipy.spatial.distance import cdist

from convop._core.errors import ConvopTypeError, ConvopValueError
from convop.graph import (
    Graph,
    farthest_point_sampling,
    from_networkx,
    heat_diffusion,
    label_propagation,
    ring,
    torus_mesh,
)


@pytest.mark.parametrize("kind", ["combinatorial", "normalized", "random-walk"])
def test_heat_diffusion_is_a_matrix_power(kind):
    G = torus_mesh(6, 5)
    x0 = np.random.default_rng(0).random((30, 2))
    L = G.laplacian(kind).toarray()
    alpha = 0.1 if kind == "combinatorial" else 0.4
    ref = np.linalg.matrix_power(np.eye(30) - alpha * L, 17) @ x0
    np.testing.assert_allclose(heat_diffusion(G, x0, alpha, 17, kind=kind), ref, atol=1e-12)
    path = heat_diffusion(G, x0, alpha, 5, kind=kind, return_path=True)
    assert path.shape == (6, 30, 2)
    np.testing.assert_array_equal(path[0], x0)


def test_heat_diffusion_conservation_and_stability():
    G = torus_mesh(8, 6)  # triangular lattice: combinatorial lmax = 8.93 (→ 9 as it grows)
    x0 = np.zeros(48)
    x0[[3, 20]] = 1.0
    x = heat_diffusion(G, x0, 1 / 6, 200)
    assert abs(x.sum() - 2.0) < 1e-12  # 1ᵀL = 0: total heat conserved
    msg = r"invalid alpha=0\.4; unstable: alpha\*lmax = 3\.57274 > 2"
    with pytest.raises(ConvopValueError, match=msg):
        heat_diffusion(G, x0, 0.4, 40)  # the seed's alpha needs the normalized Laplacian
    xn = heat_diffusion(G, x0, 0.4, 40, kind="normalized")
    assert np.isfinite(xn).all()
    with pytest.raises(ConvopValueError, match=r"invalid alpha=0"):
        heat_diffusion(G, x0, 0, 3)
    with pytest.raises(ConvopValueError, match=r"invalid steps=-1"):
        heat_diffusion(G, x0, 0.1, -1)
    with pytest.raises(ConvopTypeError, match="G must be a convop.graph.Graph"):
        heat_diffusion(np.eye(3), x0, 0.1, 1)
    x32 = x0.astype(np.float32)
    assert heat_diffusion(G, x32, 0.1, 3).dtype == np.float32
    np.testing.assert_array_equal(x0[[3, 20]], [1.0, 1.0])  # not modified


@pytest.mark.parametrize("normalization", ["random-walk", "symmetric"])
def test_label_propagation_closed_form(normalization):
    G = from_networkx(nx.les_miserables_graph())
    A = G.adjacency.toarray()
    d = A.sum(1)
    P = A / d[:, None] if normalization == "random-walk" else A / np.sqrt(np.outer(d, d))
    Y = np.zeros((G.n_nodes, 3))
    Y[[0, 10, 40], [0, 1, 2]] = 1
    alpha = 0.8
    closed = (1 - alpha) * np.linalg.solve(np.eye(G.n_nodes) - alpha * P, Y)
    F = label_propagation(G, Y, alpha, tol=1e-13, normalization=normalization)
    np.testing.assert_allclose(F, closed, atol=1e-11)
    F5 = label_propagation(G, Y, alpha, steps=5, normalization=normalization)
    ref = Y.copy()
    for _ in range(5):
        ref = alpha * P @ ref + (1 - alpha) * Y
    np.testing.assert_allclose(F5, ref, atol=1e-14)


def test_label_spreading_matches_sklearn():
    from sklearn.semi_supervised import LabelSpreading

    Gx = nx.karate_club_graph()
    G = from_networkx(Gx, weight=None)
    A = G.adjacency.toarray()
    labels = np.array([Gx.nodes[v]["club"] == "Officer" for v in Gx], dtype=int)
    y = np.full(34, -1)
    y[[0, 33]] = labels[[0, 33]]
    idx = np.arange(34, dtype=float)[:, None]
    model = LabelSpreading(
        kernel=lambda X, Z: A[np.ix_(X[:, 0].astype(int), Z[:, 0].astype(int))],
        alpha=0.5,
        max_iter=10_000,
        tol=1e-14,
    ).fit(idx, y)
    Y = np.zeros((34, 2))
    Y[[0, 33], labels[[0, 33]]] = 1
    F = label_propagation(G, Y, 0.5, tol=1e-14, normalization="symmetric")
    np.testing.assert_allclose(F / F.sum(1, keepdims=True), model.label_distributions_, atol=1e-9)


def test_cold_start_node_keeps_prior():
    A = ring(6).adjacency.toarray()
    A = np.pad(A, ((0, 1), (0, 1)))
    G = Graph(A)
    Y = np.zeros(7)
    Y[[0, 6]] = [1.0, 0.3]
    msg = r"1 node\(s\) without edges \(cold start: 6\).*keep their prior"
    with pytest.warns(UserWarning, match=msg):
        F = label_propagation(G, Y, 0.9)
    assert F[6] == 0.3
    # the labelled source is not pinned at 1: it settles at (1-α) + α·mean(neighbours)
    assert 0.1 < F[0] < 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        label_propagation(ring(5), np.eye(5)[0], 0.5)


def test_label_propagation_errors():
    G = ring(5)
    with pytest.raises(ConvopValueError, match=r"invalid alpha=1\.0; expected 0 <= alpha < 1"):
        label_propagation(G, np.ones(5), 1.0)
    with pytest.raises(ConvopValueError, match=r"Y must have shape \(5,\) or \(5, F\)"):
        label_propagation(G, np.ones(4), 0.5)
    with pytest.raises(ConvopValueError, match=r"invalid normalization='rw'"):
        label_propagation(G, np.ones(5), 0.5, normalization="rw")
    with pytest.warns(UserWarning, match="did not reach tol"):
        label_propagation(G, np.eye(5)[0], 0.99, max_steps=3)


def _fps_reference(X, k, first):
    chosen = [first]
    for _ in range(k - 1):
        dmin = cdist(X, X[chosen]).min(axis=1)
        chosen.append(int(np.argmax(dmin)))
    return chosen


def test_farthest_point_sampling_against_brute_force():
    X = np.random.default_rng(9).standard_normal((300, 3))  # generic points: no ties
    idx = farthest_point_sampling(X, 40, seed=4)
    first = int(np.random.default_rng(4).integers(300))
    assert idx.tolist() == _fps_reference(X, 40, first)
    assert idx.dtype == np.int64
    M = torus_mesh(20, 10)
    idx = farthest_point_sampling(M, 30, seed=4)
    assert len(set(idx.tolist())) == 30
    assert farthest_point_sampling(M.coords, 30, seed=4).tolist() == idx.tolist()
    with pytest.raises(ConvopValueError, match=r"invalid k=201; expected an integer in \[1, 200\]"):
        farthest_point_sampling(M, 201, seed=0)
    with pytest.raises(ConvopValueError, match="has no vertex coordinates"):
        farthest_point_sampling(Graph(np.eye(3)), 1)
