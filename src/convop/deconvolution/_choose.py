r"""Choice of λ for Tikhonov filters ``x̂ = conj(a) ŷ / (|a|² + λ|l|²)`` in an orthogonal
basis: generalised cross-validation (closed form) and the discrepancy principle.

With ``t_i(λ) = λ|l_i|² / (|a_i|² + λ|l_i|²)`` the residual of the filtered solution is
``r̂_i = t_i ŷ_i`` and ``trace(I − A A_λ^#) = Σ t_i``, so

    GCV(λ) = N ‖r_λ‖² / (Σ_i t_i)²      (Golub, Heath & Wahba 1979).

Coefficients where ``|a|² + λ|l|² = 0`` are unidentifiable: the estimate is 0 there,
``t = 1``.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.optimize as sopt

from convop._core.errors import ConvopValueError

__all__ = ["Spectrum", "discrepancy", "gcv", "gcv_value"]


class Spectrum:
    """Flattened ``|a|²``, ``|l|²``, ``|ŷ|²`` (Parseval-weighted) and trace weights."""

    def __init__(self, a2: np.ndarray, l2: np.ndarray | float, y2: np.ndarray, w: np.ndarray):
        a2, y2, w = np.broadcast_arrays(a2, y2, w)
        l2 = np.broadcast_to(l2, a2.shape)
        self.a2 = np.ascontiguousarray(a2, dtype=np.float64).ravel()
        self.l2 = np.ascontiguousarray(l2, dtype=np.float64).ravel()
        self.y2 = np.ascontiguousarray(y2, dtype=np.float64).ravel()
        self.w = np.ascontiguousarray(w, dtype=np.float64).ravel()
        self.n = float(self.w.sum())
        self.identity = bool(np.all(self.l2 == 1.0))
        pos = (self.a2 > 0) & (self.l2 > 0)
        gam = self.a2[pos] / self.l2[pos]
        if gam.size == 0:
            raise ConvopValueError("psf has an all-zero spectrum; nothing can be recovered")
        gmax = float(gam.max())
        self.lo = max(float(gam.min()), gmax * 1e-14)
        self.hi = gmax

    def t(self, lam: float) -> np.ndarray:
        if self.identity:
            return lam / (self.a2 + lam)
        num = lam * self.l2
        den = self.a2 + num
        return np.divide(num, den, out=np.ones_like(den), where=den > 0)

    def residual2(self, lam: float) -> float:
        t = self.t(lam)
        return float(np.dot(self.y2, t * t))


def gcv_value(spec: Spectrum, lam: float) -> float:
    """``N ‖r_λ‖² / trace(I − H_λ)²``."""
    t = spec.t(lam)
    tr = float(np.dot(spec.w, t))
    return spec.n * float(np.dot(spec.y2, t * t)) / tr**2 if tr > 0 else math.inf


def gcv(spec: Spectrum, points: int = 41) -> float:
    """λ minimising GCV: a log-spaced scan of ``[lo, hi]`` (GCV may have several local
    minima), then a bounded Brent refinement around the best grid point."""
    grid = np.geomspace(spec.lo, spec.hi, points)
    vals = np.array([gcv_value(spec, g) for g in grid])
    i = int(np.argmin(vals))
    lg = np.log(grid)
    a, b = lg[max(i - 1, 0)], lg[min(i + 1, points - 1)]
    res = sopt.minimize_scalar(
        lambda u: gcv_value(spec, math.exp(u)),
        bounds=(a, b),
        method="bounded",
        options={"xatol": 1e-6},
    )
    best = math.exp(res.x) if res.fun <= vals[i] else float(grid[i])
    return best


def discrepancy(spec: Spectrum, noise: float) -> float:
    """λ with ``‖A x_λ − y‖ = noise·√N`` (Morozov): ``‖r_λ‖`` increases with λ."""
    target = noise**2 * spec.n
    far = spec.residual2(spec.hi * 1e8)
    if target >= far:
        raise ConvopValueError(
            f"noise={noise!r} is too large for this y: a residual norm of noise·√N = "
            f"{math.sqrt(target):.4g} exceeds ‖y‖ projected on the recoverable part "
            f"({math.sqrt(far):.4g}), so no λ attains it"
        )
    lo = spec.lo * 1e-4
    if spec.residual2(lo) >= target:
        return lo
    f = lambda u: math.log(spec.residual2(math.exp(u))) - math.log(target)
    return math.exp(sopt.brentq(f, math.log(lo), math.log(spec.hi * 1e8), xtol=1e-10))
