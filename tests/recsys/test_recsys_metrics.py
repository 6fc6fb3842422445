"""evaluate(): vectorised metrics against a brute-force loop and scikit-learn."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import mean_squared_error, roc_auc_score

from convop._core.errors import ConvopTypeError, ConvopValueError
from convop.recsys import MF, Interactions, Popularity, Recommender, evaluate


class Fixed(Recommender):
    """A 'model' whose scores are a given matrix (or a (time, user, item) array)."""

    def __init__(self, table):
        self.table = np.asarray(table, dtype=float)
        self.temporal = self.table.ndim == 3

    def fit(self, data):
        self._start(data)
        return self

    def _scores(self, u, t):
        if self.table.ndim == 3:
            return self.table[np.zeros_like(u) if t is None else t, u]
        return self.table[u]


def brute_force(scores, train, test, ks, threshold=None):
    """Metrics by the definitions, one user at a time, one pair at a time."""
    seen = {(int(u), int(i)) for u, i in zip(train.users, train.items)}
    if test.values is None:
        rel_pairs = list(zip(test.users, test.items))
    else:
        th = (
            threshold
            if threshold is not None
            else (0.5 if test.kind == "binary" else test.values.mean())
        )
        rel_pairs = [(u, i) for u, i, v in zip(test.users, test.items, test.values) if v >= th]
    by_user = {}
    for u, i in rel_pairs:
        if (int(u), int(i)) not in seen:
            by_user.setdefault(int(u), set()).add(int(i))
    out = {f"{m}@{k}": 0.0 for k in ks for m in ("recall", "ndcg")}
    aucs = []
    for u, rel in by_user.items():
        cand = [j for j in range(scores.shape[1]) if (u, j) not in seen]
        ranked = sorted(cand, key=lambda j: -scores[u, j])
        for k in ks:
            top = ranked[:k]
            hits = [1.0 if j in rel else 0.0 for j in top]
            out[f"recall@{k}"] += sum(hits) / len(rel)
            dcg = sum(h / math.log2(r + 2) for r, h in enumerate(hits))
            idcg = sum(1 / math.log2(r + 2) for r in range(min(k, len(rel))))
            out[f"ndcg@{k}"] += dcg / idcg
        neg = [j for j in cand if j not in rel]
        if neg:
            wins = sum(
                1.0 if scores[u, p] > scores[u, n] else 0.5 if scores[u, p] == scores[u, n] else 0.0
                for p in rel
                for n in neg
            )
            aucs.append(wins / (len(rel) * len(neg)))
    for key in out:
        out[key] /= len(by_user)
    out["auc"] = float(np.mean(aucs)) if aucs else float("nan")
    out["n_queries"] = len(by_user)
    return out


def random_split(rng, n_users, n_items, density, values=False):
    mask = rng.random((n_users, n_items)) < density
    u, i = np.nonzero(mask)
    v = rng.integers(1, 6, u.size).astype(float) if values else None
    d = Interactions(u, i, v, n_users=n_users, n_items=n_items)
    hold = rng.random(u.size) < 0.3
    if hold.all() or not hold.any():
        return None
    return d.subset(~hold), d.subset(hold)


@settings(max_examples=30)
@given(
    st.integers(2, 9),
    st.integers(2, 12),
    st.floats(0.15, 0.7),
    st.integers(0, 2**31 - 1),
    st.sampled_from([(1,), (3,), (2, 20), (5, 10)]),
    st.booleans(),
    st.booleans(),
)
def test_matches_brute_force(n_users, n_items, density, seed, ks, ties, values):
    rng = np.random.default_rng(seed)
    parts = random_split(rng, n_users, n_items, density, values)
    if parts is None:
        return
    train, test = parts
    scores = rng.standard_normal((n_users, n_items))
    if ties:  # ties only matter to AUC (counted 1/2); keep the top-k unambiguous
        scores = np.round(scores, 0)
    model = Fixed(scores).fit(train)
    try:
        ref = brute_force(scores, train, test, ks)
    except ZeroDivisionError:
        return
    if ref["n_queries"] == 0:
        with pytest.raises(ConvopValueError):
            evaluate(model, test, k=ks)
        return
    got = evaluate(model, test, k=ks, batch=3)
    assert got["n_queries"] == ref["n_queries"]
    if not (np.isnan(ref["auc"]) and np.isnan(got["auc"])):
        assert got["auc"] == pytest.approx(ref["auc"], abs=1e-12)
    if not ties:
        for key in ref:
            if key.startswith(("recall", "ndcg")):
                assert got[key] == pytest.approx(ref[key], abs=1e-12), key
    if values:
        pred = scores[test.users, test.items]
        assert got["rmse"] == pytest.approx(math.sqrt(mean_squared_error(test.values, pred)))


def test_auc_per_user_matches_sklearn():
    rng = np.random.default_rng(0)
    train, test = random_split(rng, 6, 15, 0.3)
    scores = rng.standard_normal((6, 15))
    got = evaluate(Fixed(scores).fit(train), test)
    seen = train.observed().toarray()
    rel = test.to_csr().toarray() > 0
    aucs = []
    for u in range(6):
        cand = ~seen[u]
        if rel[u].any() and (~rel[u] & cand).any():
            aucs.append(roc_auc_score(rel[u][cand], scores[u][cand]))
    assert got["auc"] == pytest.approx(np.mean(aucs), abs=1e-12)


def test_label_auc_matches_sklearn():
    rng = np.random.default_rng(1)
    u = np.repeat(np.arange(5), 6)
    i = np.tile(np.arange(6), 5)
    y = (rng.random(30) < 0.5).astype(float)
    d = Interactions(u, i, y, n_users=5, n_items=6)
    train, test = d.split(0.4, seed=0)
    scores = rng.standard_normal((5, 6))
    got = evaluate(Fixed(scores).fit(train), test)
    assert got["auc_labels"] == pytest.approx(
        roc_auc_score(test.values, scores[test.users, test.items])
    )


def test_timed_queries_rank_per_user_and_time():
    # two time steps with opposite tastes: a temporal model is scored per (user, time)
    table = np.array([[[1.0, 0.0]], [[0.0, 1.0]]])  # (time, user, item)
    train = Interactions([0], [0], n_users=1, n_items=3, times=[0], n_times=2)
    table = np.concatenate([table, np.full((2, 1, 1), -1.0)], axis=2)
    test = Interactions([0, 0], [1, 2], n_users=1, n_items=3, times=[1, 0], n_times=2)
    got = evaluate(Fixed(table).fit(train), test, k=1)
    # time 1: item 1 is best and relevant (hit); time 0: item 2 is relevant but item 1 wins
    assert got["n_queries"] == 2 and got["recall@1"] == 0.5


def test_errors():
    d = Interactions([0, 1], [0, 1], n_users=2, n_items=2)
    with pytest.raises(ConvopValueError, match="MF is not fitted"):
        evaluate(MF(), d)
    with pytest.raises(ConvopTypeError, match="model must be a convop.recsys model"):
        evaluate(object(), d)
    m = Popularity().fit(d)
    other = Interactions([0], [0], n_users=3, n_items=2)
    with pytest.raises(ConvopValueError, match="invalid test='3 users × 2 items'"):
        evaluate(m, other)
    with pytest.raises(ConvopValueError, match="invalid k=0"):
        evaluate(m, d, k=0)
    with pytest.raises(ConvopValueError, match="every relevant test pair was seen"):
        evaluate(m, d)
    rated = Interactions([0], [1], [1.0], n_users=2, n_items=2)
    with pytest.raises(ConvopValueError, match="no relevant interaction"):
        evaluate(m, rated, threshold=2.0)
