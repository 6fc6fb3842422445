"""Validated interaction data: who interacted with what (and when), plus side features."""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from convop._core.errors import ConvopTypeError, ConvopValueError, invalid
from convop.graph import normalized_adjacency

__all__ = ["Interactions", "SPLITS", "bipartite"]

#: accepted values of ``Interactions.split(by=...)``
SPLITS = ("interaction", "user", "item")


def _count(value: Any, name: str) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise ConvopTypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if value < 1:
        raise invalid(name, value, "a positive int")
    return int(value)


def _ids(value: Any, name: str, upper: int | None = None, length: int | None = None) -> np.ndarray:
    """1-D int64 copy of integer ids, checked against ``[0, upper)``."""
    arr = np.asarray(value)
    if arr.ndim != 1:
        raise invalid(f"{name}.shape", arr.shape, "a 1-D array")
    if arr.size and (arr.dtype == bool or arr.dtype.kind not in "iu"):
        raise ConvopTypeError(f"{name} must hold integer ids, got dtype {arr.dtype}")
    if length is not None and arr.shape[0] != length:
        raise invalid(f"{name}.shape", arr.shape, f"({length},) like users")
    out = np.array(arr, dtype=np.int64, copy=True)
    if out.size and out.min() < 0:
        raise invalid(name, int(out.min()), "ids >= 0")
    if upper is not None and out.size and out.max() >= upper:
        bad = int(out.max())
        raise invalid(name, bad, f"ids < {upper} (the declared count)")
    return out


def _features(value: Any, name: str, rows: int) -> np.ndarray | None:
    if value is None:
        return None
    arr = np.asarray(value)
    if arr.dtype.kind not in "fiub" or arr.dtype == bool:
        raise ConvopTypeError(f"{name} must be a real numeric array, got dtype {arr.dtype}")
    if arr.ndim != 2 or arr.shape[0] != rows:
        raise invalid(f"{name}.shape", arr.shape, f"({rows}, n_features)")
    dtype = arr.dtype if arr.dtype in (np.float32, np.float64) else np.float64
    out = np.array(arr, dtype=dtype, copy=True)
    if not np.all(np.isfinite(out)):
        raise invalid(name, "array with NaN/inf", "finite values")
    out.setflags(write=False)
    return out


def bipartite(r: sp.spmatrix | sp.sparray):
    r"""The ``(m + n) × (m + n)`` adjacency :math:`\begin{pmatrix}0 & R\\ R^T & 0\end{pmatrix}`.

    Examples
    --------
    >>> bipartite(sp.csr_array(np.array([[1.0, 0.0]]))).toarray().tolist()
    [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0]]
    """
    r = sp.csr_array(r)
    return sp.csr_array(sp.block_array([[None, r], [r.T, None]], format="csr"))


class Interactions:
    r"""Validated sparse user–item interactions, optionally timed, with side features.

    Parameters
    ----------
    users, items : (n,) array_like of int
        The user and item of every interaction (0-based ids).
    values : (n,) array_like of float, optional
        Ratings or 0/1 labels of the interactions. ``None`` means implicit
        feedback: every listed pair is a positive and nothing else is known.
    n_users, n_items : int
        How many users and items exist (ids must be below these).
    times : (n,) array_like of int, optional
        Time index of every interaction (for the users × items × time tensor).
    user_features : (n_users, q) array_like, optional
    item_features : (n_items, p) array_like, optional
        Side information, kept fixed by every model.
    n_times : int, optional
        Number of time steps (default ``max(times) + 1``).

    Attributes
    ----------
    kind : {"implicit", "binary", "explicit"}
        ``implicit`` (no values), ``binary`` (values all 0 or 1: observed
        positives and observed negatives, like the seed's toy) or ``explicit``
        (ratings).

    Raises
    ------
    ConvopValueError
        Ids out of range, a pair (or a (user, item, time) triple) listed twice,
        NaN/inf values, arrays of different lengths.
    ConvopTypeError
        Non-integer ids or non-numeric arrays.

    Notes
    -----
    The arrays are copied and made read-only: an ``Interactions`` never changes.
    Node order of the graphs is users first, then items.

    Examples
    --------
    >>> data = Interactions([0, 0, 1], [1, 2, 0], n_users=2, n_items=3)
    >>> data.kind, len(data), data.to_csr().toarray().tolist()
    ('implicit', 3, [[0.0, 1.0, 1.0], [1.0, 0.0, 0.0]])
    >>> data.normalized_adjacency().shape
    (5, 5)
    """

    def __init__(
        self,
        users: Any,
        items: Any,
        values: Any = None,
        *,
        n_users: int,
        n_items: int,
        times: Any = None,
        user_features: Any = None,
        item_features: Any = None,
        n_times: int | None = None,
    ) -> None:
        self.n_users = _count(n_users, "n_users")
        self.n_items = _count(n_items, "n_items")
        self.users = _ids(users, "users", self.n_users)
        n = self.users.shape[0]
        self.items = _ids(items, "items", self.n_items, n)
        if values is None:
            self.values = None
        else:
            v = np.asarray(values)
            if v.dtype.kind not in "fiub":
                raise ConvopTypeError(f"values must be numeric, got dtype {v.dtype}")
            if v.shape != (n,):
                raise invalid("values.shape", v.shape, f"({n},) like users")
            dtype = v.dtype if v.dtype in (np.float32, np.float64) else np.float64
            v = np.array(v, dtype=dtype, copy=True)
            bad = ~np.isfinite(v)
            if bad.any():
                j = int(np.flatnonzero(bad)[0])
                raise invalid(
                    f"values[{j}]",
                    float(v[j]),
                    "finite ratings (NaN marks 'missing': drop the pair instead)",
                )
            self.values = v
        if times is None:
            self.times = None
            if n_times not in (None, 1):
                raise invalid("n_times", n_times, "None or 1 when times is None")
            self.n_times = 1
        else:
            t = _ids(times, "times", None, n)
            self.n_times = (
                _count(n_times, "n_times") if n_times is not None else int(t.max(initial=0)) + 1
            )
            if t.size and t.max() >= self.n_times:
                raise invalid("times", int(t.max()), f"time indices < n_times={self.n_times}")
            self.times = t
        key = self.users * self.n_items + self.items
        if self.times is not None:
            key = key * self.n_times + self.times
        uniq, first, counts = np.unique(key, return_index=True, return_counts=True)
        if uniq.size < n:
            j = int(first[np.argmax(counts > 1)])
            what = f"(user={self.users[j]}, item={self.items[j]}"
            what += f", time={self.times[j]})" if self.times is not None else ")"
            raise ConvopValueError(
                f"duplicate interaction {what} listed {int(counts.max())} times; "
                "aggregate duplicates (sum, mean or last) before building Interactions"
            )
        self.user_features = _features(user_features, "user_features", self.n_users)
        self.item_features = _features(item_features, "item_features", self.n_items)
        for arr in (self.users, self.items, self.values, self.times):
            if arr is not None:
                arr.setflags(write=False)

    # ------------------------------------------------------------------ basics
    def __len__(self) -> int:
        return int(self.users.shape[0])

    @property
    def n_interactions(self) -> int:
        """Number of listed interactions."""
        return len(self)

    @property
    def kind(self) -> str:
        """``"implicit"``, ``"binary"`` or ``"explicit"`` (see the class docstring)."""
        if self.values is None:
            return "implicit"
        if np.all((self.values == 0) | (self.values == 1)):
            return "binary"
        return "explicit"

    @property
    def positive(self) -> np.ndarray:
        """Boolean mask of the interactions that are edges of the graph (value > 0)."""
        if self.values is None:
            return np.ones(len(self), dtype=bool)
        return self.values > 0

    def __repr__(self) -> str:
        t = f", n_times={self.n_times}" if self.times is not None else ""
        return (
            f"Interactions({len(self)} {self.kind}, n_users={self.n_users}, "
            f"n_items={self.n_items}{t})"
        )

    def subset(self, mask: Any) -> Interactions:
        """The interactions selected by a boolean mask or index array (same ids, features)."""
        idx = np.asarray(mask)
        out = Interactions(
            self.users[idx],
            self.items[idx],
            None if self.values is None else self.values[idx],
            n_users=self.n_users,
            n_items=self.n_items,
            times=None if self.times is None else self.times[idx],
            n_times=self.n_times if self.times is not None else None,
        )
        # the features are immutable: share them instead of copying
        out.user_features, out.item_features = self.user_features, self.item_features
        return out

    # ------------------------------------------------------------------ matrices
    def to_csr(self, *, weighted: bool = False) -> sp.csr_array:
        """The ``n_users × n_items`` matrix of edges (1 per positive pair, or its value).

        Observed zeros (``binary`` data) are not edges; interactions at several
        times add up when ``weighted`` and count once otherwise.
        """
        pos = self.positive
        w = np.ones(int(pos.sum())) if (self.values is None or not weighted) else self.values[pos]
        m = sp.coo_array(
            (w.astype(np.float64), (self.users[pos], self.items[pos])),
            shape=(self.n_users, self.n_items),
        ).tocsr()
        m.sum_duplicates()
        if not weighted:
            m.data[:] = 1.0
        return sp.csr_array(m)

    def observed(self) -> sp.csr_array:
        """Boolean ``n_users × n_items`` matrix of every listed pair (edges and observed zeros)."""
        m = sp.coo_array(
            (np.ones(len(self), dtype=bool), (self.users, self.items)),
            shape=(self.n_users, self.n_items),
        ).tocsr()
        m.sum_duplicates()
        m.data[:] = True
        return sp.csr_array(m)

    def bipartite_adjacency(self, *, weighted: bool = False) -> sp.csr_array:
        r"""Adjacency :math:`\begin{pmatrix}0&R\\R^T&0\end{pmatrix}` of the user+item nodes.

        Users are nodes ``0 … n_users − 1``, items follow. ``R`` is
        :meth:`to_csr` (an edge for every positive interaction).

        Examples
        --------
        >>> Interactions([0], [1], n_users=1, n_items=2).bipartite_adjacency().toarray()
        array([[0., 0., 1.],
               [0., 0., 0.],
               [1., 0., 0.]])
        """
        return bipartite(self.to_csr(weighted=weighted))

    def normalized_adjacency(self, *, self_loops: bool = False, weighted: bool = False):
        r"""Symmetric normalised adjacency :math:`\hat R = D^{-1/2} R D^{-1/2}` (sparse CSR).

        Isolated nodes (users or items without any edge) give zero rows. This is
        the propagation matrix of :class:`GCN` and :class:`LightGCN`, computed by
        :func:`convop.graph.normalized_adjacency`.

        Examples
        --------
        >>> r = Interactions([0, 0], [0, 1], n_users=1, n_items=2).normalized_adjacency()
        >>> np.round(r.toarray()[0], 4).tolist()
        [0.0, 0.7071, 0.7071]
        """
        # convop.graph's normalisation (one rounding per entry, isolated nodes zero)
        return normalized_adjacency(
            self.bipartite_adjacency(weighted=weighted), self_loops=self_loops
        )

    # ------------------------------------------------------------------ splitting
    def split(
        self, test: float = 0.2, by: str = "interaction", seed: int = 0
    ) -> tuple[Interactions, Interactions]:
        """Random train/test split.

        Parameters
        ----------
        test : float
            Share held out, in (0, 1): of the interactions (``by="interaction"``),
            or of the users / items that have any interaction (``by="user"`` /
            ``"item"``: all their interactions go to the test part, the cold-start
            setting).
        by : {"interaction", "user", "item"}
        seed : int

        Returns
        -------
        train, test : Interactions
            Same ids, counts and features; disjoint interactions.

        Raises
        ------
        ConvopValueError
            ``test`` outside (0, 1), unknown ``by``, or a part that would be empty.

        Examples
        --------
        >>> data = Interactions([0, 0, 1, 1, 2], [0, 1, 0, 2, 1], n_users=3, n_items=3)
        >>> train, test = data.split(0.4, seed=0)
        >>> len(train), len(test)
        (3, 2)
        """
        if (
            isinstance(test, bool)
            or not isinstance(test, (float, int, np.floating))
            or not 0 < test < 1
        ):
            raise invalid("test", test, "a share strictly between 0 and 1")
        if by not in SPLITS:
            raise invalid("by", by, SPLITS)
        rng = np.random.default_rng(seed)
        n = len(self)
        if by == "interaction":
            n_test = int(round(test * n))
            hold = np.zeros(n, dtype=bool)
            hold[rng.permutation(n)[:n_test]] = True
        else:
            ids = self.users if by == "user" else self.items
            present = np.unique(ids)
            n_test = int(round(test * present.size))
            chosen = rng.permutation(present)[:n_test]
            hold = np.isin(ids, chosen)
        if not hold.any() or hold.all():
            part = "test" if not hold.any() else "train"
            raise ConvopValueError(
                f"split(test={test!r}, by={by!r}) leaves the {part} part empty "
                f"({n} interactions); use a test share that keeps both parts non-empty"
            )
        return self.subset(~hold), self.subset(hold)
