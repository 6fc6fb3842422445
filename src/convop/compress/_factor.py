"""Tensor factorisations of kernels in numpy: truncated SVD, CP by ALS, Tucker-2 by HOOI.

convop implements CP and Tucker itself rather than calling tensorly: the core stays
numpy-only, the CP start can be chosen so that an exact decomposition is found when
the rank allows one (Kruskal: rank ≥ the product of all modes but the largest), and
``tests/compress`` checks both against ``tensorly.decomposition`` at equal ranks.
"""

from __future__ import annotations

from math import prod

import numpy as np

__all__ = [
    "cp_als",
    "cp_exact_rank",
    "cp_to_tensor",
    "energy_rank",
    "tucker2",
    "tucker2_to_tensor",
    "unfold",
]


def unfold(t: np.ndarray, mode: int) -> np.ndarray:
    """Mode-``mode`` unfolding: ``(t.shape[mode], prod(other modes))``, other modes in order.

    Examples
    --------
    >>> unfold(np.arange(24.0).reshape(2, 3, 4), 1).shape
    (3, 8)
    """
    return np.moveaxis(t, mode, 0).reshape(t.shape[mode], -1)


def energy_rank(s: np.ndarray, fraction: float) -> int:
    """Smallest ``r`` with ``Σ_{i<r} s_i² ≥ fraction · Σ s_i²`` (``s`` descending).

    Examples
    --------
    >>> energy_rank(np.array([3.0, 2.0, 1.0]), 0.9)
    2
    """
    e = np.cumsum(np.asarray(s, dtype=np.float64) ** 2)
    if e.size == 0 or e[-1] == 0.0:
        return 1
    # a relative slack keeps fraction=1.0 from asking for components that are round-off
    r = int(np.searchsorted(e, fraction * e[-1] * (1.0 - 1e-12))) + 1
    return max(1, min(r, e.size))


# -- CP -------------------------------------------------------------------------------------
def cp_exact_rank(shape: tuple[int, ...]) -> int:
    """Rank at which :func:`cp_als` starts from an exact CP: the product of all modes but
    the largest.

    Examples
    --------
    >>> cp_exact_rank((16, 8, 3, 3))
    72
    """
    return prod(shape) // max(shape)


def _exact_cp(t: np.ndarray, rank: int) -> list[np.ndarray]:
    # one rank-1 term per multi-index of the non-largest modes: unit vectors there and the
    # fibre of t along the largest mode; columns beyond that many are zero
    big = int(np.argmax(t.shape))
    others = [m for m in range(t.ndim) if m != big]
    n_terms = prod(t.shape[m] for m in others)
    factors = [np.zeros((n, rank)) for n in t.shape]
    idx = np.unravel_index(np.arange(n_terms), [t.shape[m] for m in others])
    for m, i in zip(others, idx):
        factors[m][i, np.arange(n_terms)] = 1.0
    factors[big][:, :n_terms] = unfold(t, big)
    return factors


def cp_to_tensor(factors: list[np.ndarray]) -> np.ndarray:
    """``Σ_r ⊗_m factors[m][:, r]``.

    Examples
    --------
    >>> a = [np.ones((2, 1)), np.arange(3.0)[:, None]]
    >>> cp_to_tensor(a).tolist()
    [[0.0, 1.0, 2.0], [0.0, 1.0, 2.0]]
    """
    letters = "abcdefgh"[: len(factors)]
    expr = ",".join(f"{c}z" for c in letters) + "->" + letters
    return np.einsum(expr, *factors, optimize=True)


def _mttkrp(t: np.ndarray, factors: list[np.ndarray], mode: int) -> np.ndarray:
    letters = "abcdefgh"[: t.ndim]
    ops = [f"{letters[m]}z" for m in range(t.ndim) if m != mode]
    mats = [factors[m] for m in range(t.ndim) if m != mode]
    expr = letters + "," + ",".join(ops) + f"->{letters[mode]}z"
    return np.einsum(expr, t, *mats, optimize=True)


def cp_als(
    t: np.ndarray,
    rank: int,
    *,
    n_iter: int = 300,
    tol: float = 1e-9,
    seed: int = 0,
) -> list[np.ndarray]:
    r"""Rank-``rank`` CP decomposition of ``t`` by alternating least squares.

    Parameters
    ----------
    t : ndarray
        Real tensor (any order >= 2).
    rank : int
        Number of rank-1 terms.
    n_iter : int
        Maximum ALS sweeps.
    tol : float
        Stop when the relative error changes by less than ``tol`` between sweeps.
    seed : int
        Seed of the random columns added when ``rank`` exceeds a mode's size.

    Returns
    -------
    list of (t.shape[m], rank) ndarray
        Factor matrices; ``cp_to_tensor(factors) ≈ t``. The weights are spread evenly
        over the factors (equal column norms across modes).

    Notes
    -----
    At ``rank >= cp_exact_rank(t.shape)`` the start is an exact CP (unit vectors on the
    small modes, fibres on the largest), returned as is. Otherwise the start is the
    leading left singular vectors of every unfolding (HOSVD, as ``tensorly``'s
    ``init='svd'``), and each sweep solves ``A_m (⊛_{n≠m} A_nᵀA_n) = T_(m) (⊙_{n≠m} A_n)``
    for every mode by a symmetric solve (pseudo-inverse when singular).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> f = [rng.standard_normal((n, 2)) for n in (5, 4, 3)]
    >>> t = cp_to_tensor(f)
    >>> err = np.linalg.norm(cp_to_tensor(cp_als(t, 2)) - t) / np.linalg.norm(t)
    >>> bool(err < 1e-6)
    True
    """
    t = np.asarray(t, dtype=np.float64)
    norm_t = float(np.linalg.norm(t))
    if rank >= cp_exact_rank(t.shape) or norm_t == 0.0:
        factors = _exact_cp(t, rank) if norm_t else [np.zeros((n, rank)) for n in t.shape]
        return _balance(factors)
    rng = np.random.default_rng(seed)
    factors = []
    for m, n in enumerate(t.shape):
        u = np.linalg.svd(unfold(t, m), full_matrices=False)[0]
        if u.shape[1] < rank:
            u = np.concatenate([u, rng.standard_normal((n, rank - u.shape[1]))], axis=1)
        factors.append(u[:, :rank].copy())
    prev = np.inf
    for _ in range(n_iter):
        for m in range(t.ndim):
            gram = np.ones((rank, rank))
            for n in range(t.ndim):
                if n != m:
                    gram *= factors[n].T @ factors[n]
            rhs = _mttkrp(t, factors, m)
            try:
                factors[m] = np.linalg.solve(gram, rhs.T).T
            except np.linalg.LinAlgError:
                factors[m] = rhs @ np.linalg.pinv(gram)
            if m < t.ndim - 1:  # keep the scale in the last factor while sweeping
                nrm = np.linalg.norm(factors[m], axis=0)
                nrm[nrm == 0] = 1.0
                factors[m] /= nrm
        # ‖t − t̂‖² = ‖t‖² − 2⟨t, t̂⟩ + ‖t̂‖², from the last MTTKRP and the Gram matrices
        inner = float(np.sum(rhs * factors[-1]))
        gram_all = gram * (factors[-1].T @ factors[-1])
        err2 = max(norm_t**2 - 2.0 * inner + float(gram_all.sum()), 0.0)
        err = np.sqrt(err2) / norm_t
        if abs(prev - err) < tol:
            break
        prev = err
    return _balance(factors)


def _balance(factors: list[np.ndarray]) -> list[np.ndarray]:
    norms = np.stack([np.linalg.norm(f, axis=0) for f in factors])
    zero = np.any(norms == 0.0, axis=0)
    scale = np.prod(norms, axis=0) ** (1.0 / len(factors))
    out = []
    for f, n in zip(factors, norms):
        n = np.where(zero, 1.0, n)
        out.append(f * np.where(zero, 0.0, scale / n))
    return out


# -- Tucker-2 -------------------------------------------------------------------------------
def _leading(m: np.ndarray, r: int) -> np.ndarray:
    """``r`` leading left singular vectors of ``m``, completed to an orthonormal set when
    ``r`` exceeds ``m``'s column count (then the other factor is small)."""
    full = r > min(m.shape)
    return np.linalg.svd(m, full_matrices=full)[0][:, :r]


def tucker2(
    t: np.ndarray, ranks: tuple[int, int], *, n_iter: int = 10, tol: float = 1e-10
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Tucker decomposition of ``t`` on its first two modes (HOSVD start, HOOI sweeps).

    Parameters
    ----------
    t : (O, I, ...) ndarray
    ranks : (R_out, R_in)
        Ranks of mode 0 and mode 1.
    n_iter, tol : int, float
        HOOI sweeps and stopping tolerance on the relative error.

    Returns
    -------
    core : (R_out, R_in, ...) ndarray
    u_out : (O, R_out) ndarray, orthonormal columns
    u_in : (I, R_in) ndarray, orthonormal columns
        ``t ≈ core ×₀ u_out ×₁ u_in``; exact when ``R_out ≥ rank of mode 0`` and
        ``R_in ≥ rank of mode 1``.

    Examples
    --------
    >>> t = np.random.default_rng(0).standard_normal((4, 3, 2, 2))
    >>> core, uo, ui = tucker2(t, (4, 3))
    >>> bool(np.allclose(tucker2_to_tensor(core, uo, ui), t))
    True
    """
    t = np.asarray(t, dtype=np.float64)
    r_out, r_in = ranks
    u_out = _leading(unfold(t, 0), r_out)
    u_in = _leading(unfold(t, 1), r_in)
    norm2 = float(np.sum(t * t))
    prev = np.inf
    for _ in range(n_iter if (r_out < t.shape[0] or r_in < t.shape[1]) else 0):
        y = np.tensordot(u_in.T, t, axes=(1, 1))  # (R_in, O, ...)
        u_out = _leading(unfold(y, 1), r_out)
        y = np.tensordot(u_out.T, t, axes=(1, 0))  # (R_out, I, ...)
        u_in = _leading(unfold(y, 1), r_in)
        core = np.moveaxis(np.tensordot(u_in.T, y, axes=(1, 1)), 0, 1)
        err = np.sqrt(max(norm2 - float(np.sum(core * core)), 0.0))
        if abs(prev - err) <= tol * np.sqrt(norm2):
            break
        prev = err
    core = np.tensordot(u_out.T, t, axes=(1, 0))
    core = np.moveaxis(np.tensordot(u_in.T, core, axes=(1, 1)), 0, 1)
    return core, u_out, u_in


def tucker2_to_tensor(core: np.ndarray, u_out: np.ndarray, u_in: np.ndarray) -> np.ndarray:
    """``core ×₀ u_out ×₁ u_in``.

    Examples
    --------
    >>> tucker2_to_tensor(np.ones((1, 1, 2)), np.ones((3, 1)), np.ones((2, 1))).shape
    (3, 2, 2)
    """
    out = np.tensordot(u_out, core, axes=(1, 0))
    return np.moveaxis(np.tensordot(u_in, out, axes=(1, 1)), 0, 1)
