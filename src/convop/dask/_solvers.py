"""Dask-native iterative solvers: Landweber and CGLS with lazy ``apply``/``adjoint``.

scipy's solvers need NumPy vectors (they would compute a Dask array into memory);
these loops keep every vector a Dask array, compute only the scalars each step needs
and ``persist`` the iterates (so each step's graph stays one step deep).
"""

from __future__ import annotations

from math import sqrt
from typing import Any

import numpy as np

from convop._core.errors import ConvopTypeError, ConvopValueError
from convop._core.operator import Operator
from convop._core.optional import require
from convop._operators.convolution import Convolution

__all__ = ["cgls", "landweber"]


def _dask() -> Any:
    return require("dask", "dask", "convop.dask")


def _norm2(v: Any) -> Any:
    return (abs(v) ** 2).sum()


def _check_op(op: Any) -> None:
    if not isinstance(op, Operator):
        raise ConvopTypeError(f"op must be a convop Operator; got {type(op).__name__}")


def norm_bound(op: Convolution) -> float:
    """A cheap certified upper bound of ``‖A‖₂`` for a Convolution: ``‖k‖₁`` (Young's
    inequality for the ``valid`` part V) times ``‖E‖₂ ≤ √(max copies of one sample)``
    (the extension E copies each sample into at most that many places)."""
    copies = 1
    for e in op._exts:
        idx = e.index
        counts = np.bincount(idx[idx >= 0], minlength=e.n)
        copies *= max(int(counts.max(initial=1)), 1)
    return float(np.abs(op.kernel).sum()) * sqrt(copies)


def landweber(
    op: Any,
    y: Any,
    *,
    steps: int = 50,
    step: float | None = None,
    x0: Any = None,
    persist: bool = True,
) -> Any:
    r"""Landweber iteration ``x ← x + τ Aᴴ(y − A x)`` on Dask arrays.

    Parameters
    ----------
    op : Operator
        The forward map (a :class:`~convop.Convolution` or any convop operator).
    y : dask.array.Array
        Data, shape ``(..., *op.output_shape)``.
    steps : int
        Number of iterations.
    step : float, optional
        τ; it converges for 0 < τ < 2/‖A‖². Default for a Convolution ``1/b²`` with
        ``b ≥ ‖A‖`` the bound ``‖k‖₁ √(max copies)`` (required for other operators).
    x0 : dask.array.Array, optional
        Start (default zero).
    persist : bool
        Persist each iterate (keeps the graph one step deep; the iterate is held in
        the scheduler's memory — set False for data that must stay out of core, at
        the cost of a graph that grows with ``steps``).

    Returns
    -------
    dask.array.Array
        The last iterate.

    Examples
    --------
    >>> import numpy as np, dask.array as da, convop
    >>> from convop.dask import landweber
    >>> A = convop.Convolution(np.array([0.25, 0.5, 0.25]), (32,), "same", boundary="periodic")
    >>> truth = np.cos(np.arange(32) / 3.0)
    >>> y = da.from_array(A(truth), chunks=8)
    >>> x = landweber(A, y, steps=200)
    >>> bool(np.linalg.norm(A(x.compute()) - A(truth)) < 1e-2 * np.linalg.norm(A(truth)))
    True
    """
    _check_op(op)
    dask = _dask()
    if not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ConvopValueError(f"invalid steps={steps!r}; expected an int >= 0")
    if step is None:
        if not isinstance(op, Convolution):
            raise ConvopValueError(
                f"step=None needs a Convolution (to bound its norm); got {type(op).__name__}, "
                "pass step (0 < step < 2/||A||^2)"
            )
        step = 1.0 / norm_bound(op) ** 2
    if not step > 0:
        raise ConvopValueError(f"invalid step={step!r}; expected 0 < step < 2/||A||^2")
    x = op.adjoint(y) * 0 if x0 is None else x0
    for _ in range(int(steps)):
        x = x + step * op.adjoint(y - op(x))
        if persist:
            (x,) = dask.persist(x)
    return x


def cgls(
    op: Any,
    y: Any,
    *,
    damp: float = 0.0,
    maxiter: int = 100,
    tol: float = 1e-8,
    x0: Any = None,
) -> tuple[Any, dict]:
    r"""Conjugate gradients on the normal equations (CGLS), on Dask arrays.

    Minimises ``‖A x − y‖² + damp² ‖x‖²`` (Björck's CGLS: the same iterates as CG on
    ``(AᴴA + damp² I) x = Aᴴ y`` without forming ``AᴴA``).

    Parameters
    ----------
    op : Operator
        The forward map.
    y : dask.array.Array
        Data, shape ``(..., *op.output_shape)``.
    damp : float
        Tikhonov damping (≥ 0).
    maxiter : int
        Iteration cap.
    tol : float
        Stop when ``‖Aᴴ(y − A x) − damp² x‖ ≤ tol · ‖Aᴴ y − ...‖`` at the start.
    x0 : dask.array.Array, optional
        Start (default zero).

    Returns
    -------
    x : dask.array.Array
        The solution (persisted).
    info : dict
        ``iterations``, ``residual_norms`` (‖y − A x‖ per step) and
        ``gradient_norms`` (the stopping quantity).

    Examples
    --------
    >>> import numpy as np, dask.array as da, convop
    >>> from convop.dask import cgls
    >>> A = convop.Convolution(np.array([1.0, 2.0, 1.0]), (20,), "full")
    >>> truth = np.sin(np.arange(20.0))
    >>> x, info = cgls(A, da.from_array(A(truth), chunks=7), tol=1e-12)
    >>> bool(np.allclose(x.compute(), truth, atol=1e-8)), info["iterations"] < 50
    (True, True)
    """
    _check_op(op)
    dask = _dask()
    if not (isinstance(maxiter, (int, np.integer)) and maxiter >= 0):
        raise ConvopValueError(f"invalid maxiter={maxiter!r}; expected an int >= 0")
    if not damp >= 0:
        raise ConvopValueError(f"invalid damp={damp!r}; expected a float >= 0")
    if not tol >= 0:
        raise ConvopValueError(f"invalid tol={tol!r}; expected a float >= 0")
    d2 = float(damp) ** 2
    if x0 is None:
        s = op.adjoint(y)
        x = s * 0
        r = y
    else:
        x = x0
        r = y - op(x)
        s = op.adjoint(r) - d2 * x
    x, r, s = dask.persist(x, r, s)
    p = s
    (gamma, rn) = dask.compute(_norm2(s), _norm2(r))
    gamma0 = float(gamma)
    info = {"iterations": 0, "residual_norms": [sqrt(float(rn))], "gradient_norms": []}
    info["gradient_norms"].append(sqrt(gamma0))
    if gamma0 == 0:
        return x, info
    for it in range(int(maxiter)):
        q = op(p)
        (delta,) = dask.compute(_norm2(q) + d2 * _norm2(p))
        delta = float(delta)
        if delta == 0:
            break
        alpha = float(gamma) / delta
        x = x + alpha * p
        r = r - alpha * q
        s = op.adjoint(r) - d2 * x
        x, r, s = dask.persist(x, r, s)
        gnew, rn = dask.compute(_norm2(s), _norm2(r))
        gnew = float(gnew)
        info["iterations"] = it + 1
        info["residual_norms"].append(sqrt(float(rn)))
        info["gradient_norms"].append(sqrt(gnew))
        if sqrt(gnew) <= tol * sqrt(gamma0):
            break
        p = s + (gnew / float(gamma)) * p
        (p,) = dask.persist(p)
        gamma = gnew
    return x, info
