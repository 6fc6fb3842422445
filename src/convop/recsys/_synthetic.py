"""A planted generator whose knobs are the regimes of "graph or tabular?"."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from convop._core.errors import invalid
from convop.recsys._data import Interactions
from convop.recsys._models import _pos_int

__all__ = ["Synthetic", "synthetic"]


@dataclass(frozen=True)
class Synthetic:
    """What :func:`synthetic` plants and returns.

    Attributes
    ----------
    data : Interactions
        Every generated interaction (with the side features).
    train, test : Interactions
        The split: cold users have all their interactions in ``test``; the
        other users keep ``1 − test`` of theirs in ``train``.
    user_factors, item_factors : ndarray
        The planted preference vectors (at time 0 for timed data).
    cold_users : ndarray of int
        The new users (no training interaction).
    """

    data: Interactions
    train: Interactions
    test: Interactions
    user_factors: np.ndarray
    item_factors: np.ndarray
    cold_users: np.ndarray


def _share(value, name: str, upper_open: bool = True) -> float:
    v = float(value) if isinstance(value, (int, float, np.integer, np.floating)) else None
    if v is None or isinstance(value, bool) or not (0 <= v < 1 if upper_open else 0 <= v <= 1):
        raise invalid(name, value, "a share in [0, 1)" if upper_open else "a share in [0, 1]")
    return v


def synthetic(
    n_users: int = 400,
    n_items: int = 200,
    rank: int = 4,
    density: float = 0.05,
    feature_signal: float = 0.5,
    cold_start: float = 0.0,
    seed: int = 0,
    *,
    n_features: int = 8,
    n_times: int = 1,
    drift: float = 0.0,
    popularity: float = 0.5,
    temperature: float = 0.5,
    test: float = 0.2,
) -> Synthetic:
    r"""Implicit interactions drawn from planted low-rank preferences and features.

    User and item features are standard normal (``n_features`` each). The
    planted preference vectors mix a linear image of the features with
    independent noise,

    .. math::
        z_u = \sqrt{s}\, x_u A_u + \sqrt{1-s}\,\varepsilon_u, \qquad
        z_i = \sqrt{s}\, x_i A_i + \sqrt{1-s}\,\varepsilon_i,

    with :math:`s` = ``feature_signal`` (1: the features explain everything, 0:
    they are noise). A user's affinity for an item is
    :math:`a_{ui} = z_u\cdot z_i/\sqrt{r} + \pi_i` (:math:`\pi_i` an item
    popularity, standard deviation ``popularity``); each user draws about
    ``density · n_items`` distinct items, without replacement, with
    probabilities :math:`\propto e^{a_{ui}/\tau}` (Gumbel top-k, :math:`\tau` =
    ``temperature``).

    With ``n_times > 1`` every interaction gets a time step, and the user's
    vector turns from :math:`z_u` towards an independent :math:`z'_u` as time
    goes on: :math:`\cos\phi_t z_u + \sin\phi_t z'_u`,
    :math:`\phi_t = \text{drift}\cdot\frac{\pi}{2}\frac{t}{T-1}` (``drift=0``: time
    carries no information).

    Parameters
    ----------
    n_users, n_items, rank : int
    density : float
        Expected share of the items each user interacts with, in (0, 1].
    feature_signal : float
        Share of the preference variance the features explain, in [0, 1].
    cold_start : float
        Share of users that are new: all of their interactions are in ``test``.
    seed : int

    Returns
    -------
    Synthetic

    Examples
    --------
    >>> s = synthetic(50, 40, rank=2, density=0.1, feature_signal=1.0, cold_start=0.2, seed=0)
    >>> s.data.n_users, s.cold_users.size, len(s.train) + len(s.test) == len(s.data)
    (50, 10, True)
    """
    nu, ni, r = _pos_int(n_users, "n_users"), _pos_int(n_items, "n_items"), _pos_int(rank, "rank")
    if (
        isinstance(density, bool)
        or not isinstance(density, (int, float, np.floating))
        or not 0 < density <= 1
    ):
        raise invalid("density", density, "a share in (0, 1]")
    fs = _share(feature_signal, "feature_signal", upper_open=False)
    cs = _share(cold_start, "cold_start")
    q = _pos_int(n_features, "n_features")
    nt = _pos_int(n_times, "n_times")
    if not 0 < test < 1:
        raise invalid("test", test, "a share strictly between 0 and 1")
    rng = np.random.default_rng(seed)
    xu = rng.standard_normal((nu, q))
    xi = rng.standard_normal((ni, q))
    au = rng.standard_normal((q, r)) / np.sqrt(q)
    ai = rng.standard_normal((q, r)) / np.sqrt(q)
    zu = np.sqrt(fs) * xu @ au + np.sqrt(1 - fs) * rng.standard_normal((nu, r))
    zi = np.sqrt(fs) * xi @ ai + np.sqrt(1 - fs) * rng.standard_normal((ni, r))
    zu2 = np.sqrt(fs) * xu @ (rng.standard_normal((q, r)) / np.sqrt(q)) + np.sqrt(
        1 - fs
    ) * rng.standard_normal((nu, r))
    pop = popularity * rng.standard_normal(ni)
    per_user = np.maximum(1, rng.poisson(density * ni, nu))
    per_user = np.minimum(per_user, ni)
    users, items, times = [], [], []
    for t in range(nt):
        phi = drift * (np.pi / 2) * (t / (nt - 1) if nt > 1 else 0.0)
        z = np.cos(phi) * zu + np.sin(phi) * zu2
        aff = z @ zi.T / np.sqrt(r) + pop
        g = aff / temperature + rng.gumbel(size=(nu, ni))
        # this step's share of each user's items (at least one per user over all steps)
        n_t = per_user // nt + (rng.random(nu) < (per_user % nt) / nt)
        if t == 0:
            n_t = np.maximum(n_t, 1)
        order = np.argsort(-g, axis=1)
        for u in np.flatnonzero(n_t):
            chosen = order[u, : n_t[u]]
            users.append(np.full(chosen.size, u))
            items.append(chosen)
            times.append(np.full(chosen.size, t))
    u = np.concatenate(users)
    i = np.concatenate(items)
    t = np.concatenate(times)
    data = Interactions(
        u,
        i,
        n_users=nu,
        n_items=ni,
        times=t if nt > 1 else None,
        user_features=xu,
        item_features=xi,
        n_times=nt if nt > 1 else None,
    )
    cold = np.sort(rng.permutation(nu)[: int(round(cs * nu))])
    is_cold = np.isin(u, cold)
    hold = is_cold | (rng.random(u.size) < test)
    # every warm user keeps at least one training interaction
    warm_rows = np.flatnonzero(~is_cold)
    first = warm_rows[np.unique(u[warm_rows], return_index=True)[1]]
    hold[first] = False
    return Synthetic(data, data.subset(~hold), data.subset(hold), zu, zi, cold)
