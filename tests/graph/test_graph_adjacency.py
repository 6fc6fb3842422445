"""normalized_adjacency against a dense numpy reference, and its input checks."""

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

from convop._core.errors import ConvopTypeError, ConvopValueError
from convop.graph import normalized_adjacency


def dense_reference(A, self_loops):
    A = np.array(A, dtype=float)
    if self_loops:
        A = A + np.eye(len(A))
    d = A.sum(axis=1)
    with np.errstate(divide="ignore"):
        s = np.where(d > 0, 1 / np.sqrt(d), 0.0)
    return s[:, None] * A * s[None, :]


@pytest.mark.parametrize("self_loops", [False, True])
def test_matches_dense_reference_with_isolated_node(self_loops):
    rng = np.random.default_rng(0)
    A = rng.random((7, 7)) * (rng.random((7, 7)) < 0.5)
    A = A + A.T
    A[3, :] = A[:, 3] = 0
    out = normalized_adjacency(sp.coo_matrix(A), self_loops=self_loops)
    assert sp.issparse(out)
    dense = out.toarray()
    assert np.all(np.isfinite(dense))
    np.testing.assert_allclose(dense, dense_reference(A, self_loops), atol=1e-14)
    if not self_loops:
        assert not dense[3].any()


def test_against_networkx_normalized_laplacian():
    G = nx.karate_club_graph()
    A = nx.to_scipy_sparse_array(G, weight=None)
    L = nx.normalized_laplacian_matrix(G, weight=None).toarray()
    np.testing.assert_allclose(np.eye(34) - normalized_adjacency(A).toarray(), L, atol=1e-13)


def test_dtypes_and_no_mutation():
    A = np.array([[0, 2], [2, 0]], dtype=np.float32)
    before = A.copy()
    assert normalized_adjacency(A).dtype == np.float32
    assert normalized_adjacency(A.astype(int)).dtype == np.float64
    assert normalized_adjacency(A.astype(bool)).dtype == np.float64
    np.testing.assert_array_equal(A, before)
    view = np.ones((4, 4))[::-1, ::-1]
    np.testing.assert_allclose(normalized_adjacency(view).toarray(), np.full((4, 4), 0.25))


@pytest.mark.parametrize(
    ("bad", "exc", "match"),
    [
        (np.ones((2, 3)), ConvopValueError, r"square \(N, N\); got shape \(2, 3\)"),
        (np.ones(3), ConvopValueError, r"2-D \(N, N\) matrix; got shape \(3,\)"),
        (np.array([[0, -1.0], [-1.0, 0]]), ConvopValueError, r"non-negative.*-1\.0 at \(0, 1\)"),
        (np.array([[0, np.nan], [1.0, 0]]), ConvopValueError, r"finite; got nan at \(0, 1\)"),
        (np.array([["a", "b"], ["c", "d"]]), ConvopTypeError, r"real numbers"),
        (np.ones((2, 2), complex), ConvopTypeError, r"real numbers"),
    ],
)
def test_bad_input(bad, exc, match):
    with pytest.raises(exc, match=match):
        normalized_adjacency(bad)
