"""Ranking and rating metrics over a held-out set, computed on whole score blocks."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.stats import rankdata

from convop._core.errors import ConvopTypeError, ConvopValueError, invalid
from convop.recsys._base import Recommender, check_data, mask_seen, top_k
from convop.recsys._data import Interactions

__all__ = ["evaluate"]


def _ks(k: Any) -> tuple[int, ...]:
    ks = (k,) if isinstance(k, (int, np.integer)) else tuple(k) if isinstance(k, Iterable) else None
    if not ks or any(
        isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1 for v in ks
    ):
        raise invalid("k", k, "a positive int or a non-empty tuple of positive ints")
    return tuple(int(v) for v in ks)


def relevant_mask(test: Interactions, threshold: float | None) -> np.ndarray:
    """Which test interactions count as relevant for the ranking metrics."""
    if test.values is None:
        return np.ones(len(test), dtype=bool)
    if threshold is None:
        threshold = 0.5 if test.kind == "binary" else float(np.mean(test.values))
    return test.values >= threshold


def evaluate(
    model: Recommender,
    test: Interactions,
    k: int | Iterable[int] = (10, 20),
    *,
    threshold: float | None = None,
    batch: int = 1024,
) -> dict[str, float]:
    r"""AUC, recall@k, NDCG@k (and RMSE when ``test`` has values) of a fitted model.

    Every query (a user, or a (user, time) pair when ``test`` is timed) with at
    least one relevant test item ranks all items except those the model saw at
    fit time.

    Parameters
    ----------
    model : Recommender
        A fitted model (its training pairs are excluded from the rankings).
    test : Interactions
        Held-out interactions with the same ``n_users`` / ``n_items``.
    k : int or tuple of int
    threshold : float, optional
        A test pair is relevant when its value is at least ``threshold``
        (default: 0.5 for 0/1 labels, the mean test rating for ratings; every
        pair for implicit data).
    batch : int
        Queries scored per block (memory: ``batch × n_items`` floats).

    Returns
    -------
    dict
        ``auc`` (mean per-query AUC of relevant items against every other
        unseen item, Mann–Whitney with ties counted ½), ``recall@k``
        (hits / relevant, He et al. 2020), ``ndcg@k`` (binary gains,
        :math:`1/\log_2(r+1)`, ideal DCG over :math:`\min(k, |rel|)`),
        ``n_queries``; plus ``rmse`` and ``auc_labels`` (global AUC of
        :meth:`predict` on the test labels) when ``test`` has values.

    Raises
    ------
    ConvopValueError
        Unfitted model, mismatched sizes, or no relevant test pair.

    Examples
    --------
    >>> from convop.recsys import Interactions, Popularity
    >>> train = Interactions([0, 1, 2, 2], [0, 0, 0, 1], n_users=3, n_items=3)
    >>> test = Interactions([0, 1], [1, 2], n_users=3, n_items=3)
    >>> m = evaluate(Popularity().fit(train), test, k=1)
    >>> m["recall@1"], m["auc"]
    (0.5, 0.5)
    """
    if not isinstance(model, Recommender):
        raise ConvopTypeError(f"model must be a convop.recsys model, got {type(model).__name__}")
    model._check_fitted()
    test = check_data(test, "test")
    if (test.n_users, test.n_items) != (model.n_users_, model.n_items_):
        raise invalid(
            "test",
            f"{test.n_users} users × {test.n_items} items",
            f"the model's {model.n_users_} users × {model.n_items_} items",
        )
    ks = _ks(k)
    rel = relevant_mask(test, threshold)
    if not rel.any():
        raise ConvopValueError("test has no relevant interaction; lower threshold or add positives")
    timed = model.temporal and test.times is not None
    qt = test.times if timed else np.zeros(len(test), dtype=np.int64)
    key = test.users * (int(qt.max()) + 1) + qt
    qkeys, qidx = np.unique(key[rel], return_inverse=True)
    q_users = qkeys // (int(qt.max()) + 1)
    q_times = qkeys % (int(qt.max()) + 1)
    n_items = model.n_items_
    relm = sp.csr_array(
        (np.ones(int(rel.sum())), (qidx, test.items[rel])), shape=(qkeys.size, n_items)
    )
    relm.sum_duplicates()
    relm.data[:] = 1.0
    # pairs seen in training are not rankable: they leave the relevant set
    seen_q = model.seen_[q_users]
    relm = sp.csr_array(relm - relm.multiply(seen_q))
    relm.eliminate_zeros()
    kmax = min(max(ks), n_items)
    disc = 1.0 / np.log2(np.arange(2, kmax + 2))
    idcg_cum = np.cumsum(disc)
    sums = {f"recall@{v}": 0.0 for v in ks} | {f"ndcg@{v}": 0.0 for v in ks}
    auc_sum, auc_n, n_q = 0.0, 0, 0
    for s in range(0, qkeys.size, batch):
        sl = slice(s, s + batch)
        u = q_users[sl]
        sc = model.scores(u, q_times[sl] if timed else None).copy()
        mask_seen(sc, model.seen_, u)
        r = relm[sl].toarray() > 0
        n_rel = r.sum(axis=1)
        keep = n_rel > 0
        if not keep.any():
            continue
        sc, r, n_rel = sc[keep], r[keep], n_rel[keep]
        n_q += int(keep.sum())
        top = top_k(sc, kmax)
        hits = np.take_along_axis(r, np.maximum(top, 0), axis=1) & (top >= 0)
        for v in ks:
            kv = min(v, kmax)
            h = hits[:, :kv]
            sums[f"recall@{v}"] += float(np.sum(h.sum(axis=1) / n_rel))
            dcg = h @ disc[:kv]
            sums[f"ndcg@{v}"] += float(np.sum(dcg / idcg_cum[np.minimum(n_rel, kv) - 1]))
        n_seen = np.isneginf(sc).sum(axis=1)
        n_neg = n_items - n_seen - n_rel
        ok = n_neg > 0
        if ok.any():
            ranks = rankdata(sc[ok], axis=1) - n_seen[ok, None]
            u_stat = np.where(r[ok], ranks, 0.0).sum(axis=1) - n_rel[ok] * (n_rel[ok] + 1) / 2
            auc_sum += float(np.sum(u_stat / (n_rel[ok] * n_neg[ok])))
            auc_n += int(ok.sum())
    if n_q == 0:
        raise ConvopValueError(
            "every relevant test pair was seen in training; nothing left to rank"
        )
    out: dict[str, float] = {"auc": auc_sum / auc_n if auc_n else float("nan")}
    for name, val in sums.items():
        out[name] = val / n_q
    out["n_queries"] = n_q
    if test.values is not None:
        pred = model.predict(test.users, test.items, test.times if timed else None)
        out["rmse"] = float(np.sqrt(np.mean((pred - test.values) ** 2)))
        out["auc_labels"] = _label_auc(pred, rel)
    return out


def _label_auc(score: np.ndarray, label: np.ndarray) -> float:
    """Global AUC of ``score`` for binary ``label`` (NaN when one class is absent)."""
    n_pos = int(label.sum())
    n_neg = label.size - n_pos
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    ranks = rankdata(score)
    return float((ranks[label].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))
