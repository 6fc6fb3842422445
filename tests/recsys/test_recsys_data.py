"""Interactions: validation, immutability, splits, bipartite graph and its normalisation."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convop._core.errors import ConvopTypeError, ConvopValueError
from convop.recsys import Interactions, synthetic


def small(**kw):
    args = dict(n_users=3, n_items=4)
    args.update(kw)
    return Interactions([0, 0, 1, 2, 2], [0, 3, 1, 1, 2], **args)


def test_basic_properties_and_matrices():
    d = small()
    assert len(d) == d.n_interactions == 5 and d.kind == "implicit"
    dense = np.zeros((3, 4))
    dense[[0, 0, 1, 2, 2], [0, 3, 1, 1, 2]] = 1
    np.testing.assert_array_equal(d.to_csr().toarray(), dense)
    assert "5 implicit" in repr(d)
    assert Interactions([0, 1], [0, 0], [1, 0], n_users=2, n_items=1).kind == "binary"
    assert Interactions([0, 1], [0, 0], [4.5, 2], n_users=2, n_items=1).kind == "explicit"


def test_arrays_are_copied_read_only_and_views_accepted():
    users = np.array([2, 1, 0])[::-1]  # negative stride
    items = np.asfortranarray(np.array([[0, 1, 2]]))[0]
    vals = np.array([1.0, 2.0, 3.0], dtype=np.float32)
    vals.setflags(write=False)
    d = Interactions(users, items, vals, n_users=3, n_items=3)
    assert d.values.dtype == np.float32
    assert not d.users.flags.writeable and not d.values.flags.writeable
    assert d.users.tolist() == [0, 1, 2]
    users_w = np.array([0, 1])
    Interactions(users_w, [0, 0], n_users=2, n_items=1)
    users_w[0] = 1  # the caller's array stays the caller's
    assert users_w.tolist() == [1, 1]


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        (dict(users=[0, 3], items=[0, 1]), ConvopValueError, r"invalid users=3; expected ids < 3"),
        (dict(users=[0, -1], items=[0, 1]), ConvopValueError, r"invalid users=-1"),
        (dict(users=[0, 1], items=[0, 9]), ConvopValueError, r"invalid items=9"),
        (
            dict(users=[0, 0], items=[1, 1]),
            ConvopValueError,
            r"duplicate interaction \(user=0, item=1\)",
        ),
        (dict(users=[0.0, 1.0], items=[0, 1]), ConvopTypeError, r"users must hold integer ids"),
        (dict(users=[0, 1], items=[0]), ConvopValueError, r"invalid items.shape=\(1,\)"),
        (dict(users=[[0, 1]], items=[0, 1]), ConvopValueError, r"users.shape"),
        (
            dict(users=[0, 1], items=[0, 1], values=[1.0, np.nan]),
            ConvopValueError,
            r"values\[1\]=nan",
        ),
        (dict(users=[0, 1], items=[0, 1], values=[1.0]), ConvopValueError, r"values.shape"),
        (
            dict(users=[0, 1], items=[0, 1], values=["a", "b"]),
            ConvopTypeError,
            r"values must be numeric",
        ),
        (dict(users=[0], items=[0], n_users=0), ConvopValueError, r"invalid n_users=0"),
        (dict(users=[0], items=[0], n_items=2.0), ConvopTypeError, r"n_items must be an int"),
        (
            dict(users=[0], items=[0], user_features=np.ones((2, 2))),
            ConvopValueError,
            r"user_features.shape=\(2, 2\); expected \(3, n_features\)",
        ),
        (
            dict(users=[0], items=[0], item_features=np.full((4, 1), np.inf)),
            ConvopValueError,
            r"item_features",
        ),
        (
            dict(users=[0, 0], items=[1, 1], times=[2, 2]),
            ConvopValueError,
            r"duplicate interaction \(user=0, item=1, time=2\)",
        ),
        (dict(users=[0], items=[0], times=[3], n_times=2), ConvopValueError, r"times=3"),
    ],
)
def test_bad_input_messages(kwargs, exc, match):
    args = dict(n_users=3, n_items=4)
    args.update(kwargs)
    users, items = args.pop("users"), args.pop("items")
    with pytest.raises(exc, match=match):
        Interactions(users, items, **args)


def test_same_pair_at_different_times_is_allowed():
    d = Interactions([0, 0], [1, 1], n_users=1, n_items=2, times=[0, 1])
    assert d.n_times == 2 and d.to_csr().toarray().tolist() == [[0.0, 1.0]]
    assert d.to_csr(weighted=True).toarray().tolist() == [[0.0, 2.0]]


@pytest.mark.parametrize("by", ["interaction", "user", "item"])
def test_split_partitions_the_data(by):
    s = synthetic(60, 30, rank=2, density=0.1, seed=1)
    train, test = s.data.split(0.25, by=by, seed=3)
    key = lambda d: set(zip(d.users.tolist(), d.items.tolist()))  # noqa: E731
    assert key(train) | key(test) == key(s.data) and not key(train) & key(test)
    assert train.user_features is s.data.user_features
    if by == "user":
        assert not set(test.users.tolist()) & set(train.users.tolist())
        assert len(set(test.users.tolist())) == round(0.25 * len(set(s.data.users.tolist())))
    if by == "item":
        assert not set(test.items.tolist()) & set(train.items.tolist())
    again = s.data.split(0.25, by=by, seed=3)
    assert again[1].users.tolist() == test.users.tolist()


def test_split_errors():
    d = small()
    with pytest.raises(ConvopValueError, match=r"invalid test=1.5; expected a share"):
        d.split(1.5)
    with pytest.raises(ConvopValueError, match=r"invalid by='time'"):
        d.split(by="time")
    with pytest.raises(ConvopValueError, match=r"leaves the test part empty"):
        d.split(0.01)
    with pytest.raises(ConvopValueError, match=r"leaves the train part empty"):
        Interactions([0], [0], n_users=1, n_items=1).split(0.9)


def dense_normalized(r, self_loops=False):
    """The seed's formula, written with dense numpy."""
    m, n = r.shape
    a = np.block([[np.zeros((m, m)), r], [r.T, np.zeros((n, n))]])
    if self_loops:
        a = a + np.eye(m + n)
    deg = a.sum(axis=1)
    inv = np.where(deg > 0, 1 / np.sqrt(np.where(deg > 0, deg, 1)), 0.0)
    return inv[:, None] * a * inv[None, :]


@settings(max_examples=25)
@given(
    st.integers(1, 6),
    st.integers(1, 6),
    st.integers(0, 2**31 - 1),
    st.booleans(),
)
def test_normalized_adjacency_matches_dense_and_networkx(m, n, seed, self_loops):
    rng = np.random.default_rng(seed)
    r = (rng.random((m, n)) < 0.4).astype(float)
    u, i = np.nonzero(r)
    if u.size == 0:
        return
    d = Interactions(u, i, n_users=m, n_items=n)
    got = d.normalized_adjacency(self_loops=self_loops).toarray()
    np.testing.assert_allclose(got, dense_normalized(r, self_loops), atol=1e-14)
    np.testing.assert_allclose(got, got.T, atol=0)
    # dot test: <Ax, y> = <x, A^T y>
    x, y = rng.standard_normal(m + n), rng.standard_normal(m + n)
    a = d.normalized_adjacency(self_loops=self_loops)
    assert abs((a @ x) @ y - x @ (a.T @ y)) < 1e-12
    if not self_loops:
        g = nx.Graph()
        g.add_nodes_from(range(m + n))
        g.add_edges_from((int(a_), m + int(b_)) for a_, b_ in zip(u, i))
        lap = nx.normalized_laplacian_matrix(g, nodelist=range(m + n)).toarray()
        deg = r.sum(1).tolist() + r.sum(0).tolist()
        conn = np.array(deg) > 0
        ref = np.eye(m + n)[np.ix_(conn, conn)] - lap[np.ix_(conn, conn)]
        np.testing.assert_allclose(got[np.ix_(conn, conn)], ref, atol=1e-12)
        assert np.all(got[~conn] == 0)


def test_binary_zeros_are_not_edges():
    d = Interactions([0, 0, 1], [0, 1, 1], [1.0, 0.0, 1.0], n_users=2, n_items=2)
    a = d.bipartite_adjacency().toarray()
    assert a[0, 3] == 0 and a[0, 2] == 1 and a[1, 3] == 1
    assert d.observed().toarray().tolist() == [[True, True], [False, True]]


def test_synthetic_knobs():
    s = synthetic(100, 50, rank=3, density=0.1, feature_signal=1.0, cold_start=0.3, seed=0)
    assert s.cold_users.size == 30
    assert not np.isin(s.train.users, s.cold_users).any()
    assert set(s.cold_users.tolist()) <= set(s.test.users.tolist())
    assert abs(len(s.data) / (100 * 50) - 0.1) < 0.02
    # with feature_signal = 1 the planted vectors are an exact linear image of the features
    coef, res, *_ = np.linalg.lstsq(s.data.user_features, s.user_factors, rcond=None)
    assert np.allclose(s.data.user_features @ coef, s.user_factors)
    t = synthetic(50, 30, rank=2, density=0.2, n_times=3, drift=1.0, seed=0)
    assert t.data.n_times == 3 and set(t.data.times.tolist()) == {0, 1, 2}
    with pytest.raises(ConvopValueError, match="invalid feature_signal=1.5"):
        synthetic(feature_signal=1.5)
    with pytest.raises(ConvopValueError, match="invalid density=0"):
        synthetic(density=0)
    a = synthetic(40, 20, seed=5)
    b = synthetic(40, 20, seed=5)
    assert a.data.items.tolist() == b.data.items.tolist()


def test_normalized_adjacency_is_convop_graphs_and_the_dense_formula():
    from convop.graph import normalized_adjacency

    rng = np.random.default_rng(5)
    r = rng.random((6, 4)) < 0.4
    r[0] = False  # an isolated user
    u, i = np.nonzero(r)
    d = Interactions(u, i, rng.integers(1, 5, u.size).astype(float), n_users=6, n_items=4)
    for w in (False, True):
        for loops in (False, True):
            got = d.normalized_adjacency(self_loops=loops, weighted=w)
            ref = normalized_adjacency(d.bipartite_adjacency(weighted=w), self_loops=loops)
            assert (got != ref).nnz == 0
            dense = d.to_csr(weighted=w).toarray()
            np.testing.assert_allclose(got.toarray(), dense_normalized(dense, loops), atol=1e-14)
