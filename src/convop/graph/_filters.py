"""Spectral filter responses and their Chebyshev expansions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.fft

from convop._core.errors import ConvopTypeError, ConvopValueError

__all__ = ["chebyshev_coefficients", "chebyshev_error_bound", "heat"]

Response = Callable[[np.ndarray], Any]


class _Heat:
    """The heat kernel response ``g(λ) = exp(-t λ)``."""

    def __init__(self, t: float) -> None:
        self.t = t

    def __call__(self, lam: Any) -> np.ndarray:
        return np.exp(-self.t * np.asarray(lam))

    def __repr__(self) -> str:
        return f"heat(t={self.t!r})"


def heat(t: float) -> Callable[[np.ndarray], np.ndarray]:
    r"""The heat kernel :math:`g(\lambda) = e^{-t\lambda}`: the exact solution operator
    :math:`e^{-tL}` of :math:`\dot x = -Lx` over a time ``t``.

    Parameters
    ----------
    t : float
        Diffusion time, ``t >= 0``.

    Returns
    -------
    callable
        ``g(lam)`` for scalars or arrays of eigenvalues.

    Examples
    --------
    >>> g = heat(0.5)
    >>> round(float(g(2.0)), 6)
    0.367879
    >>> g
    heat(t=0.5)
    """
    try:
        tv = float(t)
    except (TypeError, ValueError) as exc:
        raise ConvopTypeError(f"t must be a real number; got {t!r}") from exc
    if not np.isfinite(tv) or tv < 0:
        raise ConvopValueError(f"invalid t={t!r}; expected a finite number >= 0")
    return _Heat(tv)


def check_order(order: Any) -> int:
    if isinstance(order, bool) or not isinstance(order, (int, np.integer)) or order < 0:
        raise ConvopValueError(f"invalid order={order!r}; expected an integer >= 0")
    return int(order)


def check_lmax(lmax: Any) -> float:
    try:
        v = float(lmax)
    except (TypeError, ValueError) as exc:
        raise ConvopTypeError(f"lmax must be a real number; got {lmax!r}") from exc
    if not np.isfinite(v) or v <= 0:
        raise ConvopValueError(f"invalid lmax={lmax!r}; expected a finite number > 0")
    return v


def evaluate(g: Any, lam: np.ndarray) -> np.ndarray:
    """``g(lam)`` checked: callable, same shape (or scalar), finite numbers."""
    if not callable(g):
        raise ConvopTypeError(f"g must be a callable g(lambda); got {type(g).__name__}")
    out = np.asarray(g(lam))
    if out.dtype.kind not in "biufc":
        raise ConvopTypeError(f"g must return numbers; got dtype {out.dtype}")
    if out.shape != lam.shape:
        try:
            out = np.broadcast_to(out, lam.shape)
        except ValueError as exc:
            raise ConvopValueError(
                f"g must map an array of eigenvalues of shape {lam.shape} to the same shape; "
                f"got shape {out.shape}"
            ) from exc
    if not np.all(np.isfinite(out)):
        raise ConvopValueError("g returned non-finite values on the spectrum")
    return out


def _coefficients(g: Any, n_coef: int, lmax: float) -> np.ndarray:
    """First ``n_coef`` Chebyshev coefficients of ``g`` on ``[0, lmax]`` by Gauss–Chebyshev
    quadrature on enough nodes that aliasing is negligible for smooth ``g``."""
    m = max(8 * n_coef, 512)
    t = np.cos(np.pi * (np.arange(m) + 0.5) / m)
    f = evaluate(g, lmax * (t + 1) / 2)
    dct = scipy.fft.dct if f.dtype.kind != "c" else _complex_dct
    c = dct(f.astype(np.result_type(f.dtype, np.float64)), type=2) / m
    c[0] /= 2
    return c[:n_coef]


def _complex_dct(f: np.ndarray, type: int = 2) -> np.ndarray:
    return scipy.fft.dct(f.real, type=type) + 1j * scipy.fft.dct(f.imag, type=type)


def chebyshev_coefficients(g: Any, order: int, lmax: float) -> np.ndarray:
    r"""Coefficients ``c`` of the degree-``order`` Chebyshev approximation of ``g`` on
    ``[0, lmax]``: :math:`g(\lambda) \approx \sum_{k=0}^{K} c_k T_k(2\lambda/\lambda_{max} - 1)`.

    The convention is numpy's (``numpy.polynomial.chebyshev.chebval(2λ/lmax - 1, c)``;
    ``c_0`` is *not* halved, unlike PyGSP). The coefficients are those of the truncated
    Chebyshev series, computed by Gauss–Chebyshev quadrature on ``max(8(K+1), 512)``
    nodes.

    Parameters
    ----------
    g : callable
        Response ``g(lam)`` evaluated on arrays.
    order : int
        Polynomial degree ``K >= 0`` (``K + 1`` coefficients).
    lmax : float
        Upper end of the spectrum interval; must not be below the true λmax, or the
        polynomial is evaluated outside ``[-1, 1]`` where it grows like ``cosh``.

    Returns
    -------
    (order + 1,) ndarray

    Examples
    --------
    >>> import numpy as np
    >>> c = chebyshev_coefficients(heat(1.0), 20, 4.0)
    >>> lam = np.linspace(0, 4, 9)
    >>> p = np.polynomial.chebyshev.chebval(2 * lam / 4.0 - 1, c)
    >>> bool(np.max(np.abs(p - np.exp(-lam))) < 1e-14)
    True
    """
    k = check_order(order)
    return _coefficients(g, k + 1, check_lmax(lmax))


def chebyshev_error_bound(g: Any, order: int, lmax: float) -> float:
    r"""Sup-norm error of the degree-``order`` Chebyshev approximation of ``g`` on
    ``[0, lmax]``.

    For a filter :math:`\tilde g(L)` built from it,
    :math:`\|g(L)x - \tilde g(L)x\|_2 \le \varepsilon \|x\|_2` whenever ``lmax`` is at
    least the true :math:`\lambda_{max}` (the eigenvectors are orthonormal).
    ``ε`` is the larger of the tail sum :math:`\sum_{k>K} |c_k|` (taken to ``max(8(K+1), 256)``
    terms: a bound for any ``g`` with an absolutely convergent series, reached to
    rounding for analytic ``g``) and the largest error seen on 4097 Chebyshev extrema
    (endpoints included).

    Examples
    --------
    >>> e10 = chebyshev_error_bound(heat(1.0), 10, 4.0)
    >>> e20 = chebyshev_error_bound(heat(1.0), 20, 4.0)
    >>> bool(1e-9 < e10 < 1e-6 and e20 < 1e-14)
    True
    """
    k = check_order(order)
    lm = check_lmax(lmax)
    c = _coefficients(g, max(8 * (k + 1), 256), lm)
    tail = float(np.sum(np.abs(c[k + 1 :])))
    t = np.cos(np.pi * np.arange(4097) / 4096)  # Chebyshev extrema, endpoints included
    approx = np.polynomial.chebyshev.chebval(t, c[: k + 1])
    seen = float(np.max(np.abs(approx - evaluate(g, lm * (t + 1) / 2))))
    return max(tail, seen)


def chebyshev_apply(
    matvec: Callable[[np.ndarray], np.ndarray], x: np.ndarray, coef: np.ndarray, lmax: float
) -> np.ndarray:
    r"""``sum_k c_k T_k(L̃) x`` with ``L̃ = 2L/lmax - I``, by the three-term recurrence
    (``order`` products with the sparse ``L``; no eigenvectors)."""
    scale = 2.0 / lmax

    def lt(v: np.ndarray) -> np.ndarray:
        return scale * matvec(v) - v

    dt = np.result_type(x.dtype, coef.dtype)
    c = coef.astype(dt, copy=False) if dt.kind == "c" else coef.astype(x.dtype, copy=False)
    t_prev = x
    y = c[0] * t_prev
    if len(c) == 1:
        return y
    t_cur = lt(x)
    y = y + c[1] * t_cur
    for k in range(2, len(c)):
        t_prev, t_cur = t_cur, 2 * lt(t_cur) - t_prev
        y += c[k] * t_cur
    return y
