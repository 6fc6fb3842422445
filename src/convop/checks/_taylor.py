"""Taylor test: does a claimed derivative make the remainder shrink at second order?

For a smooth map ``f`` and a direction ``dx``,

.. math::

    E_0(h) = \\lVert f(x + h\\,dx) - f(x) \\rVert = O(h), \\qquad
    E_1(h) = \\lVert f(x + h\\,dx) - f(x) - h\\,J(x)\\,dx \\rVert = O(h^2),

and the second bound holds only when ``J(x) dx`` is the true directional
derivative.  Halving ``h`` should therefore halve ``E0`` and quarter ``E1``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from convop._core.errors import ConvopTypeError, ConvopValueError

__all__ = ["TaylorRow", "TaylorTable", "taylor_test"]

#: a remainder this many ulps of the values it is computed from is rounding noise
_FLOOR_ULPS = 64.0


class TaylorRow(NamedTuple):
    """One row of a Taylor table: step, zeroth- and first-order remainders."""

    h: float
    e0: float
    e1: float  # nan when no derivative was given


@dataclass(frozen=True)
class TaylorTable:
    """Result of :func:`taylor_test`.

    Attributes
    ----------
    rows : tuple of TaylorRow
        ``(h, E0, E1)`` for each step; ``E1`` is ``nan`` without ``jvp``.
    order0, order1 : float
        Median observed orders ``log(E(h_i) / E(h_{i+1})) / log(h_i / h_{i+1})``
        (``log2`` ratios for ``factor=0.5``) of ``E0`` and ``E1`` over the half of
        the consecutive pairs with the smallest steps, where the expansion is
        asymptotic (``order1`` is ``nan`` without ``jvp`` or when every ``E1``
        sits at the rounding floor).
    tail1 : float
        Observed order of ``E1`` over the last pair of consecutive usable rows
        (the smallest steps above the rounding floor); a derivative off by a
        small amount shows up here first, as the order falls towards 1.
    floor : tuple of bool
        Per row, whether ``E1`` is at the rounding floor (ignored for ``order1``).
    passed : bool
        ``E0`` decays at least at first order and ``E1`` at second order, both
        in the median (``order1 >= 2 - tol``) and at the smallest usable steps
        (``tail1 >= 1.5``); or ``E1`` is rounding noise throughout, as for a
        linear ``f`` with its exact derivative.
    tol : float
        Slack allowed on the orders (``order0 >= 1 - tol``, ``order1 >= 2 - tol``).
    """

    rows: tuple[TaylorRow, ...]
    order0: float
    order1: float
    tail1: float
    floor: tuple[bool, ...]
    passed: bool
    tol: float
    has_jvp: bool

    def to_text(self) -> str:
        """The table as fixed-width text, one line per step, orders at the end."""
        lines = []
        if self.has_jvp:
            lines.append(f"{'h':>10}  {'E0':>10}  {'E1':>10}  {'E0 ratio':>8}  {'E1 ratio':>8}")
        else:
            lines.append(f"{'h':>10}  {'E0':>10}  {'E0 ratio':>8}")
        prev: TaylorRow | None = None
        for row, fl in zip(self.rows, self.floor):
            r0 = _ratio(prev.e0, row.e0) if prev is not None else ""
            if self.has_jvp:
                r1 = _ratio(prev.e1, row.e1) if prev is not None else ""
                mark = " *" if fl else ""
                lines.append(
                    f"{row.h:10.3e}  {row.e0:10.3e}  {row.e1:10.3e}  {r0:>8}  {r1:>8}{mark}"
                )
            else:
                lines.append(f"{row.h:10.3e}  {row.e0:10.3e}  {r0:>8}")
            prev = row
        summary = f"order0 = {self.order0:.2f}"
        if self.has_jvp:
            summary += f", order1 = {self.order1:.2f} (last usable pair {self.tail1:.2f})"
        summary += f"  ->  {'passed' if self.passed else 'FAILED'}"
        lines.append(summary)
        if self.has_jvp and any(self.floor):
            lines.append("(* E1 at rounding level, ignored)")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.to_text()


def _ratio(a: float, b: float) -> str:
    if b == 0 or not np.isfinite(a) or not np.isfinite(b):
        return "-"
    return f"{a / b:.2f}"


def _as_array(value: Any, name: str) -> np.ndarray:
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError) as exc:
        raise ConvopTypeError(f"{name} could not be converted to an array: {exc}") from exc
    if arr.dtype.kind not in "biufc":
        raise ConvopTypeError(
            f"{name} must be numeric (int, float or complex); got dtype {arr.dtype!s}"
        )
    return arr


def _orders(hs: np.ndarray, es: np.ndarray, use: np.ndarray) -> list[float]:
    """log(e_i/e_{i+1})/log(h_i/h_{i+1}) over consecutive pairs of rows in ``use``."""
    orders = []
    for i in range(len(hs) - 1):
        if use[i] and use[i + 1] and es[i] > 0 and es[i + 1] > 0:
            orders.append(float(np.log(es[i] / es[i + 1]) / np.log(hs[i] / hs[i + 1])))
    return orders


def _median(values: list[float]) -> float:
    """Median over the smaller-step half of the pairs (the asymptotic regime)."""
    return float(np.median(values[len(values) // 2 :])) if values else float("nan")


def taylor_test(
    f: Callable[[np.ndarray], Any],
    x: Any,
    dx: Any,
    jvp: Callable[[np.ndarray], Any] | None = None,
    steps: int = 10,
    *,
    h0: float = 1.0,
    factor: float = 0.5,
    tol: float = 0.2,
) -> TaylorTable:
    """Check a directional derivative by the decay of Taylor remainders.

    Parameters
    ----------
    f : callable
        Maps an array shaped like ``x`` to an array (or a scalar).
    x : array_like
        Point of expansion.
    dx : array_like
        Direction, same shape as ``x``.
    jvp : callable, optional
        ``jvp(dx)`` returns the derivative of ``f`` at ``x`` applied to ``dx``,
        shaped like ``f(x)``.  Without it only ``E0`` is reported.
    steps : int, default 10
        Number of step sizes ``h0, h0*factor, h0*factor**2, ...`` (at least 2).
    h0 : float, default 1.0
        Largest step.
    factor : float, default 0.5
        Ratio of consecutive steps, ``0 < factor < 1``.
    tol : float, default 0.2
        Slack on the observed orders when deciding ``passed``.

    Returns
    -------
    TaylorTable
        Rows ``(h, E0, E1)``, observed orders ``order0``/``order1`` and ``passed``.

    Raises
    ------
    ConvopValueError
        ``dx`` not shaped like ``x``; ``f(x + h dx)`` or ``jvp(dx)`` not shaped
        like ``f(x)``; bad ``steps``, ``h0`` or ``factor``.

    Notes
    -----
    ``E1`` values within a few dozen ulps of the magnitudes they are computed
    from are rounding noise: they are marked and left out of ``order1``.  A
    linear ``f`` with an exact ``jvp`` has ``E1`` at that floor for every step
    and passes.  ``order0`` may exceed 1 (when ``J dx = 0``); it may not fall
    short of it.

    Examples
    --------
    >>> import numpy as np
    >>> from convop.checks._taylor import taylor_test
    >>> x, dx = np.array([0.3, -0.2]), np.array([1.0, 0.5])
    >>> t = taylor_test(np.sin, x, dx, jvp=lambda v: np.cos(x) * v)
    >>> t.passed, round(t.order0), round(t.order1)
    (True, 1, 2)
    >>> taylor_test(np.sin, x, dx, jvp=lambda v: 0.9 * np.cos(x) * v).passed
    False
    """
    x = _as_array(x, "x")
    dx = _as_array(dx, "dx")
    if dx.shape != x.shape:
        raise ConvopValueError(f"dx must have the shape of x, {x.shape}; got {dx.shape}")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 2:
        raise ConvopValueError(f"invalid steps={steps!r}; expected an int >= 2")
    if not (np.isfinite(h0) and h0 > 0):
        raise ConvopValueError(f"invalid h0={h0!r}; expected a positive finite float")
    if not (0 < factor < 1):
        raise ConvopValueError(f"invalid factor={factor!r}; expected a float in (0, 1)")
    fx = _as_array(f(x), "f(x)")
    jdx = None
    if jvp is not None:
        jdx = _as_array(jvp(dx), "jvp(dx)")
        if jdx.shape != fx.shape:
            raise ConvopValueError(
                f"jvp(dx) must have the shape of f(x), {fx.shape}; got {jdx.shape}"
            )
    dtype = np.result_type(fx.dtype, x.dtype, dx.dtype, fx.dtype if jdx is None else jdx.dtype)
    eps = float(np.finfo(dtype).eps) if dtype.kind in "fc" else float(np.finfo(np.float64).eps)
    hs = h0 * factor ** np.arange(steps, dtype=float)
    e0, e1, floor = [], [], []
    nfx = float(np.linalg.norm(np.ravel(fx)))
    for h in hs:
        fh = _as_array(f(x + h * dx), "f(x + h dx)")
        if fh.shape != fx.shape:
            raise ConvopValueError(
                f"f(x + h dx) must have the shape of f(x), {fx.shape}; got {fh.shape}"
            )
        d0 = np.ravel(fh - fx)
        e0.append(float(np.linalg.norm(d0)))
        if jdx is None:
            e1.append(float("nan"))
            floor.append(False)
            continue
        hj = h * np.ravel(jdx)
        e1.append(float(np.linalg.norm(d0 - hj)))
        scale = max(nfx, float(np.linalg.norm(np.ravel(fh))), float(np.linalg.norm(hj)))
        floor.append(e1[-1] <= _FLOOR_ULPS * eps * max(scale, np.finfo(float).tiny))
    e0a, e1a, fla = np.array(e0), np.array(e1), np.array(floor)
    order0 = _median(_orders(hs, e0a, np.ones(steps, bool)))
    ok0 = bool(np.isfinite(order0) and order0 >= 1 - tol)
    tail1 = float("nan")
    if jdx is None:
        order1 = float("nan")
        passed = ok0
    else:
        orders1 = _orders(hs, e1a, ~fla)
        order1 = _median(orders1)
        if orders1:
            tail1 = orders1[-1]
            ok1 = order1 >= 2 - tol and tail1 >= 1.5
        else:  # no two consecutive usable rows: E1 is rounding noise (exact derivative)
            ok1 = bool(fla[-1])
        passed = ok0 and bool(ok1)
    rows = tuple(TaylorRow(float(h), a, b) for h, a, b in zip(hs, e0, e1))
    return TaylorTable(
        rows=rows,
        order0=order0,
        order1=order1,
        tail1=tail1,
        floor=tuple(bool(v) for v in fla),
        passed=passed,
        tol=float(tol),
        has_jvp=jdx is not None,
    )
