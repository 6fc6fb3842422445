"""Private: the Cholesky certificate behind ``opnorm(method="auto")``.

For Hermitian ``G`` and a number ``c``, a Cholesky factorisation of ``H = c I − G``
exists only if ``λ_max(G) < c``. So one batched factorisation over every frequency
proves an upper bound, at a sixth of the cost of one Gram step (Gram iteration needs
at least two full steps). Floating point: the computed factor satisfies
``RᴴR = H + ΔH`` with ``|ΔH| ≤ γ_{q+1}|Rᴴ||R|`` (Higham, *Accuracy and Stability of
Numerical Algorithms*, 2nd ed., Thm 10.3), hence ``‖ΔH‖₂ ≤ γ_{q+1} tr(RᴴR)`` and
``λ_max(G) ≤ c + γ tr(H)(1 + γ)``; the bound below adds that, the rounding of forming
``H`` and the error ``ε₀`` of ``G`` itself.

The lower end is the Rayleigh quotient of LAPACK's top eigenvector at a few candidate
frequencies (largest ``‖G(ω)‖_F``, which for layers with many channels tracks
``λ_max`` closely). A frequency whose factorisation fails holds a larger eigenvalue:
its eigenvector raises the lower bound and only the failed frequencies are tried again.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from convop._core.threads import map_slices
from convop.spectral._gram import top_rayleigh
from convop.spectral._stack import GramStack

U64 = 2.0**-53
_CANDIDATES = 8
_MAX_EIGH = 32  # failed frequencies given an eigendecomposition per round
_CHUNK_BYTES = 2 << 20  # matrices formed and factored at once: about 2 MB (32 of 64×64)

__all__ = ["cholesky_bracket"]


def _factors(stack: GramStack, idx: np.ndarray | None, c: float) -> np.ndarray:
    """Per matrix ``G[f]`` (``f`` in ``idx``, or all): does ``c I − G[f]`` (its lower
    triangle) have a Cholesky factorisation?

    Each thread forms its share of the stack chunk by chunk (a few MB, in cache),
    shifts it and factors it; the full stack never exists in memory.
    """
    q = stack.q
    diag = np.arange(q)
    n = stack.count if idx is None else idx.size
    try:
        from numpy.linalg import _umath_linalg

        gufunc = _umath_linalg.cholesky_lo
    except (ImportError, AttributeError):  # pragma: no cover - other NumPy layouts
        gufunc = None

    chunk = max(1, _CHUNK_BYTES // (16 * q * q))

    def part(share: slice) -> np.ndarray:
        ok = np.empty(share.stop - share.start, dtype=bool)
        for a in range(share.start, share.stop, chunk):
            b = min(a + chunk, share.stop)
            re, im = stack.parts(slice(a, b) if idx is None else idx[a:b])
            h = np.empty(re.shape, dtype=np.complex128)
            np.negative(re, out=h.real)
            np.negative(im, out=h.imag)
            h.real[:, diag, diag] += c
            if gufunc is None:  # pragma: no cover
                good = ~np.isin(np.arange(b - a), _not_definite(h))
            else:
                with np.errstate(invalid="ignore", over="ignore", divide="ignore", under="ignore"):
                    good = ~np.isnan(gufunc(h, signature="D->D")[:, 0, 0])  # fail: all NaN
            ok[a - share.start : b - share.start] = good
        return ok

    return np.concatenate(map_slices(part, n))


def _not_definite(h: np.ndarray) -> np.ndarray:  # pragma: no cover - fallback
    """Indices where ``numpy.linalg.cholesky`` fails (recursive halving)."""
    try:
        np.linalg.cholesky(h)
        return np.zeros(0, dtype=int)
    except np.linalg.LinAlgError:
        if h.shape[0] == 1:
            return np.zeros(1, dtype=int)
    mid = h.shape[0] // 2
    return np.concatenate([_not_definite(h[:mid]), mid + _not_definite(h[mid:])])


def cholesky_bracket(
    stack: GramStack, *, tol: float, max_rounds: int = 12
) -> tuple[float, float, dict[str, Any]] | None:
    """Certified ``(lower, upper)`` of ``max_f √λ_max(G[f])`` (module docstring).

    Returns ``None`` if the certificate has not closed after ``max_rounds`` (the caller
    falls back to Gram iteration).
    """
    nf, q = stack.count, stack.q
    if nf == 0:
        return 0.0, 0.0, {"frequencies": nf, "best_frequency": 0}
    eps0 = 2.0 * stack.eps0  # G is read through its lower triangle
    fro = stack.fro_estimate()
    diag = stack.diagonals()
    trace_g = diag.sum(axis=1)
    diag_max = float(np.abs(diag).max())
    if eps0 == 0.0 and diag_max == 0.0:  # PSD with a zero diagonal: G = 0
        return 0.0, 0.0, {"frequencies": nf, "best_frequency": 0}
    checked = np.zeros(nf, dtype=bool)
    best = [0.0, 0]

    def refine(sel: np.ndarray) -> None:
        sel = sel[~checked[sel]]
        if sel.size:
            checked[sel] = True
            lam = top_rayleigh(stack, sel, eps0)
            if lam.max() > best[0]:
                best[:] = [float(lam.max()), int(sel[np.argmax(lam)])]

    refine(np.argsort(fro)[-_CANDIDATES:])
    # trace slack: ‖ΔH‖₂ ≤ γ tr(RᴴR), tr(H) = q c − tr(G) (+ rounding, folded into 1 + γ)
    gamma = (q + 1) * U64 / (1.0 - (q + 1) * U64)
    pending: np.ndarray | None = None  # None: every frequency
    lam_up = 0.0
    widen = 1.0
    for rounds in range(1, max_rounds + 1):
        lower = float(np.sqrt(best[0]))
        c = (lower * (1.0 + 0.5 * tol * widen)) ** 2
        if c <= 0.0:
            c = diag_max * (1.0 + tol) + np.finfo(float).tiny
        ok = _factors(stack, pending, c)
        rows = np.arange(nf) if pending is None else pending
        if ok.any():
            trace_h = float(np.max(np.abs(q * c - trace_g[rows[ok]])))
            lam_up = max(
                lam_up, c + gamma * trace_h * (1.0 + gamma) + 2.0 * U64 * (c + diag_max) + eps0
            )
        pending = rows[~ok]
        if pending.size == 0:
            upper = float(np.sqrt(lam_up) * (1.0 + 2.0 * U64))
            return (
                lower,
                max(upper, lower),
                {
                    "frequencies": nf,
                    "certificate_rounds": rounds,
                    "eigh_frequencies": int(checked.sum()),
                    "best_frequency": best[1],
                },
            )
        if checked[pending].all():
            widen *= 4.0  # c sits inside the rounding margin of known frequencies
        refine(pending[np.argsort(fro[pending])[-_MAX_EIGH:]])
    return None
