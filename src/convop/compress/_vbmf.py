r"""Empirical variational Bayesian matrix factorisation (Nakajima et al. 2013), numpy only.

The fully observed model ``Y = B Aᵀ + E`` (``E`` i.i.d. ``N(0, σ²)``, Gaussian priors
on the columns of ``A`` and ``B`` with variances estimated from the data) has a global
analytic VB solution: keep the singular components of ``Y`` above a threshold and
shrink them. With ``σ²`` unknown, the free energy is a one-dimensional function of
``σ²`` that is minimised numerically.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.optimize import brentq, minimize_scalar

from convop._core.errors import ConvopTypeError, ConvopValueError, invalid

__all__ = ["VBMFResult", "vbmf", "evb_tau_threshold"]


@dataclass(frozen=True)
class VBMFResult:
    """Outcome of :func:`vbmf`.

    Attributes
    ----------
    rank : int
        Number of components the EVB solution keeps (its estimated rank).
    sigma2 : float
        Noise variance: estimated (minimiser of the free energy) or the one given.
    singular_values : (rank,) ndarray
        Posterior-mean singular values ``γ̂_h`` of the kept components (shrunk towards 0).
    observed : (H,) ndarray
        Singular values ``γ_h`` of ``Y`` (descending).
    threshold : float
        EVB threshold ``γ^EVB``: components with ``γ_h > γ^EVB`` are kept.
    free_energy : float
        ``2F/M`` up to a constant independent of ``σ²`` (the minimised objective).
    left, right : ndarray
        Left ``(L, rank)`` and right ``(M, rank)`` singular vectors of the kept
        components, in the orientation of the input ``Y``.
    """

    rank: int
    sigma2: float
    singular_values: np.ndarray
    observed: np.ndarray
    threshold: float
    free_energy: float
    left: np.ndarray = field(repr=False)
    right: np.ndarray = field(repr=False)

    def estimate(self) -> np.ndarray:
        """Posterior mean ``Û = Σ_h γ̂_h u_h v_hᵀ`` (the shape of the input ``Y``).

        Examples
        --------
        >>> import numpy as np
        >>> r = vbmf(np.outer(np.arange(1.0, 5.0), np.ones(6)), sigma2=1e-3)
        >>> r.estimate().shape
        (4, 6)
        """
        return (self.left * self.singular_values) @ self.right.T


def _psi(tau: float, alpha: float) -> float:
    # free energy of a kept component minus that of the null one (per M), as a
    # function of τ; its zero is the EVB threshold τ̲
    return np.log1p(tau) + alpha * np.log1p(tau / alpha) - tau


def evb_tau_threshold(alpha: float) -> float:
    r"""The EVB constant ``τ̲(α)``: the positive zero of ``log(1+τ) + α log(1+τ/α) − τ``.

    The threshold on ``x = γ²/(Mσ²)`` is ``x̲ = (1 + τ̲)(1 + α/τ̲)``. For ``α = 1``,
    ``τ̲ = 2.5129…``; the common shortcut ``τ̲ ≈ 2.5129 √α`` is exact only there.

    Examples
    --------
    >>> round(evb_tau_threshold(1.0), 4)
    2.5129
    >>> round(evb_tau_threshold(0.25) / 0.5, 4)  # not 2.5129
    2.5452
    """
    if not 0 < alpha <= 1:
        raise invalid("alpha", alpha, "a float in (0, 1]")
    # Ψ(τ) ≈ τ > 0 near 0 and → −∞ as τ → ∞; Ψ is concave, so the zero is unique
    hi = 4.0
    while _psi(hi, alpha) > 0:
        hi *= 2.0
    return float(brentq(_psi, 1e-9, hi, args=(alpha,), xtol=1e-14, rtol=1e-14))


def _tau(x: np.ndarray, alpha: float) -> np.ndarray:
    b = x - (1.0 + alpha)
    return 0.5 * (b + np.sqrt(np.maximum(b * b - 4.0 * alpha, 0.0)))


def _objective(sigma2: float, L: int, M: int, s: np.ndarray, residual: float, xbar: float) -> float:
    """``2F/M`` (up to a constant) after optimising every parameter but ``σ²``."""
    alpha = L / M
    H = s.size
    x = s**2 / (M * sigma2)
    keep = x > xbar
    z1, z2 = x[keep], x[~keep]
    t1 = _tau(z1, alpha)
    # −log z = −log s² + log(Mσ²): an exactly zero singular value (a rank-deficient Y)
    # only adds the infinite constant −log 0, which does not depend on σ²; keep its
    # log(Mσ²) part so that the minimiser in σ² is unchanged and finite
    pos = z2 > 0
    val = np.sum(z2) - np.sum(np.log(z2[pos])) + np.count_nonzero(~pos) * np.log(M * sigma2)
    val += np.sum(z1 - t1 + np.log((t1 + 1.0) / z1) + alpha * np.log1p(t1 / alpha))
    val += residual / (M * sigma2) + (L - H) * np.log(sigma2)
    return float(val)


def vbmf(Y: Any, sigma2: float | None = None, *, max_rank: int | None = None) -> VBMFResult:
    r"""Empirical VB matrix factorisation: the rank and noise level of a matrix.

    Parameters
    ----------
    Y : (L, M) array_like
        Real matrix (either orientation; it is transposed internally so that ``L ≤ M``).
    sigma2 : float, optional
        Noise variance. Estimated by minimising the free energy when omitted.
    max_rank : int, optional
        Largest rank ``H`` considered (default ``min(L, M)``); the energy of the dropped
        components counts as noise.

    Returns
    -------
    VBMFResult
        ``rank``, ``sigma2``, shrunk ``singular_values``, ``observed`` singular values,
        ``threshold``, ``free_energy``, and the kept singular vectors.

    Raises
    ------
    ConvopTypeError
        ``Y`` is not a real numeric matrix.
    ConvopValueError
        ``Y`` is not 2-D, empty, or not finite; ``sigma2`` not positive; ``max_rank``
        out of ``[1, min(L, M)]``.

    Notes
    -----
    With ``α = L/M``, ``x_h = γ_h²/(Mσ²)`` and ``τ(x) = ½(x − 1 − α + √((x − 1 − α)² −
    4α))``, component ``h`` is kept iff ``x_h > x̲ = (1 + τ̲)(1 + α/τ̲)``, where ``τ̲``
    is the zero of ``Ψ(τ) = log(1+τ) + α log(1+τ/α) − τ`` (:func:`evb_tau_threshold`;
    computed exactly, not by the ``2.5129√α`` shortcut, which is exact only for square
    matrices). A kept component is shrunk to

    .. math:: \hat γ_h = \frac{γ_h}{2}\Big(1 - \frac{(L+M)σ^2}{γ_h^2}
              + \sqrt{\big(1 - \frac{(L+M)σ^2}{γ_h^2}\big)^2 - \frac{4LMσ^4}{γ_h^4}}\Big).

    Unknown ``σ²``: ``2F/M = Σ_{x_h ≤ x̲}(x_h − log x_h) + Σ_{x_h > x̲}(x_h − τ_h +
    log((1+τ_h)/x_h) + α log(1 + τ_h/α)) + R/(Mσ²) + (L − H) log σ²`` (``R`` the energy
    beyond ``H`` components) is minimised over ``σ²`` between the bounds of Nakajima et
    al. (2012) by a log-spaced scan refined with a bounded Brent search (the objective is
    piecewise smooth, with a kink wherever a component crosses the threshold).

    References
    ----------
    .. [1] S. Nakajima, M. Sugiyama, S. D. Babacan, R. Tomioka, "Global analytic solution
       of fully-observed variational Bayesian matrix factorization", JMLR 14, 2013.
    .. [2] S. Nakajima, R. Tomioka, M. Sugiyama, S. D. Babacan, "Perfect dimensionality
       recovery by variational Bayesian PCA", NeurIPS 2012.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> Y = rng.standard_normal((40, 3)) @ rng.standard_normal((3, 60)) * 2
    >>> Y += 0.1 * rng.standard_normal((40, 60))
    >>> r = vbmf(Y)
    >>> r.rank, round(r.sigma2, 2)
    (3, 0.01)
    """
    if isinstance(Y, (str, bytes)) or Y is None:
        raise ConvopTypeError(f"Y must be a real 2-D array; got {type(Y).__name__}")
    try:
        arr = np.asarray(Y)
    except Exception as exc:  # ragged lists and the like
        raise ConvopTypeError(f"Y must be a real 2-D array; got {type(Y).__name__}") from exc
    if arr.dtype.kind not in "biuf":
        raise ConvopTypeError(f"Y must be a real numeric array; got dtype {arr.dtype}")
    if arr.ndim != 2 or arr.size == 0:
        raise ConvopValueError(f"Y must be a non-empty 2-D matrix; got shape {arr.shape}")
    arr = arr.astype(np.float64, copy=False)
    if not np.all(np.isfinite(arr)):
        raise ConvopValueError("Y must be finite (it contains NaN or inf)")
    transposed = arr.shape[0] > arr.shape[1]
    mat = arr.T if transposed else arr
    L, M = mat.shape
    if max_rank is None:
        H = L
    elif (
        isinstance(max_rank, (bool, np.bool_))
        or not isinstance(max_rank, (int, np.integer))
        or not 1 <= max_rank <= L
    ):
        raise invalid("max_rank", max_rank, f"None or an int in [1, {L}]")
    else:
        H = int(max_rank)
    if sigma2 is not None:
        if (
            isinstance(sigma2, (bool, np.bool_))
            or not isinstance(sigma2, (int, float, np.integer, np.floating))
            or not np.isfinite(sigma2)
            or not sigma2 > 0
        ):
            raise invalid("sigma2", sigma2, "None or a positive finite float")
        sigma2 = float(sigma2)

    u, s, vt = np.linalg.svd(mat, full_matrices=False)
    u, s, vt = u[:, :H], s[:H], vt[:H]
    total = float(np.sum(mat * mat))
    residual = max(total - float(np.sum(s * s)), 0.0) if H < L else 0.0
    alpha = L / M
    tau_bar = evb_tau_threshold(alpha)
    xbar = (1.0 + tau_bar) * (1.0 + alpha / tau_bar)

    if sigma2 is None:
        upper = total / (L * M)
        if upper <= 0.0:
            raise ConvopValueError("Y is zero: the noise variance cannot be estimated")
        # Nakajima et al. (2012): the EVB rank is at most H̄ = ⌈L/(1+α)⌉ − 1, so the
        # components beyond H̄ bound σ² from below
        hbar = int(min(np.ceil(L / (1.0 + alpha)) - 1, H))
        tail = s[hbar:]
        lower = 0.0
        if tail.size:
            lower = max(tail[0] ** 2 / (M * xbar), float(np.mean(tail**2)) / M)
        lower = lower if 0.0 < lower < upper else upper * 1e-8
        grid = np.geomspace(lower, upper, 241)
        vals = np.array([_objective(g, L, M, s, residual, xbar) for g in grid])
        i = int(np.argmin(vals))
        lo, hi = grid[max(i - 1, 0)], grid[min(i + 1, grid.size - 1)]
        best_s2, best_val = float(grid[i]), float(vals[i])
        if hi > lo:
            opt = minimize_scalar(
                _objective,
                bounds=(lo, hi),
                args=(L, M, s, residual, xbar),
                method="bounded",
                options={"xatol": lo * 1e-10},
            )
            if opt.fun <= best_val:
                best_s2, best_val = float(opt.x), float(opt.fun)
        sigma2 = best_s2
    free = _objective(sigma2, L, M, s, residual, xbar)

    threshold = float(np.sqrt(M * sigma2 * xbar))
    keep = s > threshold
    sk = s[keep]
    c = 1.0 - (L + M) * sigma2 / sk**2
    shrunk = 0.5 * sk * (c + np.sqrt(np.maximum(c * c - 4.0 * L * M * sigma2**2 / sk**4, 0.0)))
    left, right = u[:, keep], vt[keep].T
    if transposed:
        left, right = right, left
    return VBMFResult(
        rank=int(keep.sum()),
        sigma2=float(sigma2),
        singular_values=shrunk,
        observed=s.copy(),
        threshold=threshold,
        free_energy=free,
        left=np.ascontiguousarray(left),
        right=np.ascontiguousarray(right),
    )
