"""Iterative solvers on convop operators: preconditioned CG on the normal equations
(CGLS form), preconditioned LSQR, Richardson–Lucy and a bound-constrained L-BFGS-B.

Every solver minimises (or, for Richardson–Lucy, maximises the Poisson likelihood of)
the stacked problem ``‖A x − y‖² + λ‖L x‖²``; ``Stacked`` holds ``Ā = [A; √λ L]``.
The monitored residual ``‖Ā x − [y; 0]‖`` (the square root of the Tikhonov objective)
is recorded once per iteration.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.optimize as sopt

__all__ = ["Outcome", "Stacked", "bounded", "cgls", "lsqr", "richardson_lucy"]


@dataclass
class Outcome:
    x: np.ndarray
    iterations: int
    residuals: list[float]
    converged: bool


class Stacked:
    """``Ā = [A; √λ L]`` acting on arrays of the image shape (``L = None``: identity)."""

    def __init__(self, A: Any, lam: float, L: Any = None) -> None:
        self.A, self.lam, self.L = A, float(lam), L
        self.root = math.sqrt(self.lam)

    def apply(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        u = self.A.apply(x)
        if self.lam == 0.0:
            return u, None
        v = self.root * (x if self.L is None else self.L.apply(x))
        return u, v

    def adjoint(self, u: np.ndarray, v: np.ndarray | None) -> np.ndarray:
        out = self.A.adjoint(u)
        if v is not None:
            out = out + self.root * (v if self.L is None else self.L.adjoint(v))
        return out


def _dot(a: tuple, b: tuple) -> float:
    return sum(float(np.vdot(p, q).real) for p, q in zip(a, b) if p is not None)


def _stop(callback: Callable | None, x: np.ndarray) -> bool:
    return callback is not None and bool(callback(x))


def cgls(
    op: Stacked,
    y: np.ndarray,
    x0: np.ndarray | None,
    precond: Callable[[np.ndarray], np.ndarray] | None,
    maxiter: int,
    tol: float,
    callback: Callable | None,
) -> Outcome:
    """CG on ``ĀᵀĀ x = Aᵀ y`` with ``Ā`` kept factored (CGLS), preconditioned by
    ``precond ≈ (ĀᵀĀ)⁻¹``; stops when ``‖Āᵀ(b̄ − Ā x)‖ ≤ tol ‖Aᵀ y‖``."""
    x = np.zeros_like(y) if x0 is None else np.array(x0, dtype=y.dtype)
    b = (y, None if op.lam == 0.0 else np.zeros_like(y if op.L is None else op.L.apply(y)))
    ax = op.apply(x)
    r = tuple(None if p is None else p - q for p, q in zip(b, ax))
    bnorm = float(np.linalg.norm(op.A.adjoint(y)))
    g = op.adjoint(*r)
    z = g if precond is None else precond(g)
    p = z
    gamma = float(np.vdot(g, z).real)
    residuals: list[float] = []
    converged = bnorm == 0.0 or float(np.linalg.norm(g)) <= tol * bnorm
    it = 0
    while not converged and it < maxiter:
        q = op.apply(p)
        qq = _dot(q, q)
        if qq == 0.0:
            break
        alpha = gamma / qq
        x = x + alpha * p
        r = tuple(None if ri is None else ri - alpha * qi for ri, qi in zip(r, q))
        g = op.adjoint(*r)
        z = g if precond is None else precond(g)
        gnew = float(np.vdot(g, z).real)
        p = z + (gnew / gamma) * p
        gamma = gnew
        it += 1
        residuals.append(math.sqrt(_dot(r, r)))
        converged = float(np.linalg.norm(g)) <= tol * bnorm
        if _stop(callback, x):
            break
    return Outcome(x, it, residuals, converged)


def lsqr(
    op: Stacked,
    y: np.ndarray,
    x0: np.ndarray | None,
    precond_half: tuple[Callable, Callable, Callable] | None,
    maxiter: int,
    tol: float,
    callback: Callable | None,
) -> Outcome:
    """LSQR (Paige & Saunders 1982) on ``min ‖Ā R⁻¹ z − (b̄ − Ā x₀)‖``, ``x = x₀ + R⁻¹ z``,
    with ``precond_half = (R⁻¹, R⁻ᵀ, Rᵀ)``; stops when ``‖Āᵀ(b̄ − Ā x)‖ ≤ tol ‖Aᵀ y‖``,
    the test of :func:`cgls` and of ``scipy.sparse.linalg.cg`` on the normal equations.

    LSQR's own estimate is ``‖(ĀR⁻¹)ᵀ r̄_k‖ = φ̄ α |c|`` along ``v_{k+1}`` (Paige &
    Saunders, §5), a norm in the preconditioned variables and relative to the
    starting residual: with a good preconditioner it stops far below ``tol`` and a
    warm start never stops. ``Āᵀ r̄_k = φ̄ α c · Rᵀ v_{k+1}`` gives the unpreconditioned
    normal-equation residual for two fast transforms per iteration.
    """
    ident = lambda v: v
    rinv, rinvt, rt = (ident, ident, None) if precond_half is None else precond_half
    x_start = np.zeros_like(y) if x0 is None else np.array(x0, dtype=y.dtype)
    b = (y, None if op.lam == 0.0 else np.zeros_like(y if op.L is None else op.L.apply(y)))
    if x0 is not None:
        b = tuple(None if p is None else p - q for p, q in zip(b, op.apply(x_start)))
    beta = math.sqrt(_dot(b, b))
    residuals: list[float] = []
    z = np.zeros_like(y)
    bnorm = float(np.linalg.norm(op.A.adjoint(y)))  # ‖Āᵀ[y; 0]‖, whatever x₀ is
    if beta == 0.0 or bnorm == 0.0:
        return Outcome(x_start, 0, residuals, True)
    u = tuple(None if p is None else p / beta for p in b)
    v = rinvt(op.adjoint(*u))
    alpha = float(np.linalg.norm(v))
    if alpha == 0.0:
        return Outcome(x_start, 0, residuals, True)
    v = v / alpha
    w = v.copy()
    phibar, rhobar = beta, alpha
    if alpha * beta * (1.0 if rt is None else float(np.linalg.norm(rt(v)))) <= tol * bnorm:
        return Outcome(x_start, 0, residuals, True)  # x₀ already solves it
    converged = False
    it = 0
    while it < maxiter:
        av = op.apply(rinv(v))
        u = tuple(None if a is None else a - alpha * c for a, c in zip(av, u))
        beta = math.sqrt(_dot(u, u))
        if beta > 0:
            u = tuple(None if c is None else c / beta for c in u)
        v = rinvt(op.adjoint(*u)) - beta * v
        alpha = float(np.linalg.norm(v))
        if alpha > 0:
            v = v / alpha
        rho = math.hypot(rhobar, beta)
        c, s = rhobar / rho, beta / rho
        theta = s * alpha
        rhobar = -c * alpha
        phi = c * phibar
        phibar = s * phibar
        z = z + (phi / rho) * w
        w = v - (theta / rho) * w
        it += 1
        residuals.append(phibar)
        gnorm = phibar * alpha * abs(c)
        if rt is not None and gnorm > 0.0:
            gnorm *= float(np.linalg.norm(rt(v)))
        converged = gnorm <= tol * bnorm
        if callback is not None and _stop(callback, x_start + rinv(z)):
            break
        if converged or alpha == 0.0:
            converged = True
            break
    return Outcome(x_start + rinv(z), it, residuals, converged)


def richardson_lucy(
    A: Any,
    y: np.ndarray,
    x0: np.ndarray,
    maxiter: int,
    tol: float,
    target: float | None,
    callback: Callable | None,
) -> Outcome:
    """The EM iteration ``x ← x · Aᵀ(y / A x) / Aᵀ1`` (Richardson 1972, Lucy 1974) for
    Poisson data ``y ~ P(A x)``; stops at ``maxiter``, when ``‖Δx‖ ≤ tol ‖x‖``, or when
    ``‖A x − y‖ ≤ target`` (the discrepancy principle)."""
    norm = A.adjoint(np.ones_like(y))
    live = norm > 0
    x = np.array(x0, dtype=y.dtype)
    ax = A.apply(x)
    residuals: list[float] = []
    converged = False
    it = 0
    while it < maxiter:
        ratio = np.divide(y, ax, out=np.zeros_like(y), where=ax > 0)
        upd = A.adjoint(ratio)
        xn = np.where(live, x * np.divide(upd, norm, out=np.zeros_like(y), where=live), 0.0)
        change = float(np.linalg.norm(xn - x))
        x = xn
        ax = A.apply(x)
        it += 1
        res = float(np.linalg.norm(ax - y))
        residuals.append(res)
        if change <= tol * float(np.linalg.norm(x)) or (target is not None and res <= target):
            converged = True
        if _stop(callback, x) or converged:
            break
    return Outcome(x, it, residuals, converged)


def bounded(
    op: Stacked,
    y: np.ndarray,
    x0: np.ndarray,
    maxiter: int,
    tol: float,
    callback: Callable | None,
) -> Outcome:
    """``min ½‖Ā x − [y; 0]‖²`` subject to ``x ≥ 0`` by L-BFGS-B (Byrd et al. 1995),
    matrix-free; stops when the projected gradient is below ``tol ‖Aᵀ y‖∞``."""
    shape = y.shape
    residuals: list[float] = []

    def fun(v: np.ndarray) -> tuple[float, np.ndarray]:
        xv = v.reshape(shape)
        u, w = op.apply(xv)
        u = u - y
        f = 0.5 * (_dot((u, w), (u, w)))
        return f, op.adjoint(u, w).ravel()

    def cb(v: np.ndarray) -> None:
        residuals.append(math.sqrt(2.0 * fun(v)[0]))
        if callback is not None:
            callback(v.reshape(shape))

    gscale = float(np.abs(op.A.adjoint(y)).max(initial=0.0)) or 1.0
    res = sopt.minimize(
        fun,
        np.maximum(np.asarray(x0, dtype=np.float64), 0.0).ravel(),
        jac=True,
        method="L-BFGS-B",
        bounds=sopt.Bounds(0.0, np.inf),
        callback=cb,
        options={"maxiter": maxiter, "gtol": tol * gscale, "ftol": tol * tol, "maxcor": 20},
    )
    return Outcome(res.x.reshape(shape), int(res.nit), residuals, bool(res.success))
