"""The public surface every recommender shares: fit / predict / scores / recommend."""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from convop._core.errors import ConvopTypeError, ConvopValueError, invalid
from convop.recsys._data import Interactions, _ids

__all__ = ["Recommender", "check_data", "member_keys", "sample_negatives"]


def check_data(data: Any, name: str = "data") -> Interactions:
    if not isinstance(data, Interactions):
        raise ConvopTypeError(f"{name} must be an Interactions, got {type(data).__name__}")
    if len(data) == 0:
        raise ConvopValueError(f"{name} holds no interactions; nothing to fit or evaluate")
    return data


def sample_negatives(
    users: np.ndarray,
    observed: sp.csr_array,
    n_items: int,
    per: int,
    rng: np.random.Generator,
    *,
    keys: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``per`` uniformly drawn unobserved items for every entry of ``users``.

    Returns the users, the items and the mask of kept draws over
    ``np.repeat(users, per)``.

    A draw that hits an observed pair is redrawn once and dropped if it hits
    again (rare unless a user has seen most items). ``keys`` is
    :func:`member_keys` ``(observed)``, for callers that sample many batches from
    one matrix (it is rebuilt on every call otherwise).
    """
    if keys is None:
        keys = member_keys(observed)
    u = np.repeat(users, per)
    j = rng.integers(0, n_items, size=u.size)
    hit = _member(observed, u, j, keys)
    if hit.any():
        j[hit] = rng.integers(0, n_items, size=int(hit.sum()))
        hit = _member(observed, u, j, keys)
    return u[~hit], j[~hit], ~hit


def member_keys(m: sp.csr_array) -> np.ndarray:
    """Sorted keys ``row * n_cols + col`` of the stored entries of ``m`` (see :func:`_member`)."""
    m = m if m.has_sorted_indices else m.sorted_indices()
    n = m.shape[1]
    return np.repeat(np.arange(m.shape[0], dtype=np.int64), np.diff(m.indptr)) * n + m.indices


def _member(
    m: sp.csr_array, rows: np.ndarray, cols: np.ndarray, keys: np.ndarray | None = None
) -> np.ndarray:
    """Whether ``m[rows[k], cols[k]]`` is stored, vectorised (CSR rows are sorted)."""
    if keys is None:
        keys = member_keys(m)
    q = rows.astype(np.int64) * m.shape[1] + cols
    if keys.size == 0:
        return np.zeros(q.shape, dtype=bool)
    pos = np.minimum(np.searchsorted(keys, q), keys.size - 1)
    return keys[pos] == q


class Recommender:
    """Base class: subclasses implement ``_fit`` and ``_scores`` (and may override
    ``_predict``); this class validates arguments and owns the public methods."""

    #: whether the model uses time (only TensorCP)
    temporal = False

    def _check_fitted(self) -> None:
        if not hasattr(self, "seen_"):
            raise ConvopValueError(f"{type(self).__name__} is not fitted; call fit(data) first")

    def _start(self, data: Any) -> Interactions:
        data = check_data(data)
        self.n_users_, self.n_items_ = data.n_users, data.n_items
        self.n_times_ = data.n_times
        self.kind_ = data.kind
        self.seen_ = data.observed()
        return data

    def _user_ids(self, users: Any, name: str = "users") -> np.ndarray:
        return _ids(np.atleast_1d(users), name, self.n_users_)

    def _time_ids(self, times: Any, length: int) -> np.ndarray | None:
        if times is None:
            return None
        t = _ids(np.broadcast_to(np.asarray(times), (length,)), "times", self.n_times_)
        return t

    def predict(self, users: Any, items: Any, times: Any = None) -> np.ndarray:
        """Predicted value (rating, label or score) of the pairs ``(users[k], items[k])``.

        Parameters
        ----------
        users, items : (n,) array_like of int
        times : (n,) array_like of int, optional
            Used by temporal models (default: the last training time step).

        Returns
        -------
        (n,) float64 ndarray
        """
        self._check_fitted()
        u = self._user_ids(users)
        i = _ids(np.atleast_1d(items), "items", self.n_items_, u.shape[0])
        return np.asarray(self._predict(u, i, self._time_ids(times, u.shape[0])), dtype=np.float64)

    def scores(self, users: Any, times: Any = None) -> np.ndarray:
        """Score of every item for each user: an ``(n, n_items)`` float64 array."""
        self._check_fitted()
        u = self._user_ids(users)
        return np.asarray(self._scores(u, self._time_ids(times, u.shape[0])), dtype=np.float64)

    def recommend(
        self, users: Any, k: int = 10, exclude_seen: bool = True, *, times: Any = None
    ) -> np.ndarray:
        """The ``k`` best items of each user, best first.

        Parameters
        ----------
        users : (n,) array_like of int
        k : int
            Number of items (at most ``n_items``).
        exclude_seen : bool
            Skip the pairs listed in the training data.
        times : array_like of int, optional
            Time step of the query (temporal models only).

        Returns
        -------
        (n, k) int64 ndarray
            Item ids; ``-1`` pads a row when fewer than ``k`` items remain.
        """
        self._check_fitted()
        if (
            isinstance(k, bool)
            or not isinstance(k, (int, np.integer))
            or not 1 <= k <= self.n_items_
        ):
            raise invalid("k", k, f"an int in [1, n_items={self.n_items_}]")
        u = self._user_ids(users)
        out = np.empty((u.size, int(k)), dtype=np.int64)
        t = self._time_ids(times, u.shape[0])
        step = max(1, (1 << 22) // self.n_items_)
        for s in range(0, u.size, step):
            sl = slice(s, s + step)
            sc = np.asarray(self._scores(u[sl], None if t is None else t[sl]), dtype=np.float64)
            if exclude_seen:
                mask_seen(sc, self.seen_, u[sl])
            out[sl] = top_k(sc, int(k))
        return out

    # hooks --------------------------------------------------------------------
    def _predict(self, u: np.ndarray, i: np.ndarray, t: np.ndarray | None) -> np.ndarray:
        return self._scores(u, t)[np.arange(u.size), i]

    def _scores(self, u: np.ndarray, t: np.ndarray | None) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError


def mask_seen(scores: np.ndarray, seen: sp.csr_array, users: np.ndarray) -> None:
    """Set ``scores[r, j] = -inf`` for every item ``j`` user ``users[r]`` has seen (in place)."""
    sub = seen[users]
    rows = np.repeat(np.arange(users.size), np.diff(sub.indptr))
    scores[rows, sub.indices] = -np.inf


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` largest entries of every row, best first; ``-1`` for ``-inf``."""
    n = scores.shape[1]
    if k < n:
        part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    else:
        part = np.broadcast_to(np.arange(n), scores.shape).copy()
    vals = np.take_along_axis(scores, part, axis=1)
    order = np.argsort(-vals, axis=1, kind="stable")
    idx = np.take_along_axis(part, order, axis=1)
    idx[np.take_along_axis(vals, order, axis=1) == -np.inf] = -1
    return idx
