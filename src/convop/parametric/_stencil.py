"""Convolution stencils as parametric models: the kernel is θ."""

from __future__ import annotations

from math import prod
from typing import Any

import numpy as np
import scipy.sparse as sp

from convop._core import validate as _validate
from convop._core.arrays import compute_dtype
from convop._core.errors import ConvopValueError
from convop._core.operator import Operator
from convop._operators.convolution import Convolution
from convop._operators.layer import ConvLayer
from convop.parametric._base import ParametricOperator

__all__ = ["MultichannelStencil", "Stencil"]


def _axis_taps(n: int, k: int, boundary: str) -> np.ndarray:
    """Input index read by output ``o`` through tap ``t`` along one axis, ``-1`` if zero.

    'same' correlation: output ``o`` reads the extended input at ``o + t - k//2``
    (the centring of ``scipy.signal.correlate(..., 'same')`` and
    ``scipy.ndimage.correlate``); the extension folds that index back into
    ``[0, n)`` or drops it.
    """
    q = np.arange(n)[:, None] + np.arange(k)[None, :] - k // 2
    if boundary == "zero":
        return np.where((q >= 0) & (q < n), q, -1)
    if boundary == "periodic":
        return q % n
    if boundary == "replicate":
        return np.clip(q, 0, n - 1)
    if boundary == "reflect":  # d c b | a b c d | c b a  (edge sample not repeated)
        if n == 1:
            return np.zeros_like(q)
        r = q % (2 * n - 2)
        return np.where(r >= n, 2 * n - 2 - r, r)
    # symmetric: b a | a b c d | d c  (edge sample repeated)
    r = q % (2 * n)
    return np.where(r >= n, 2 * n - 1 - r, r)


def stencil_taps(
    kernel_shape: tuple[int, ...], input_shape: tuple[int, ...], boundary: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Flat (output, tap, input) index triples of a 'same' correlation with a boundary.

    ``z[o] = Σ θ[t] y[q]`` over the returned triples (C-order flat indices of
    the grid and of the kernel); taps that fall on a zero boundary are omitted.
    """
    o = np.zeros((1, 1), np.int64)
    t = np.zeros((1, 1), np.int64)
    q = np.zeros((1, 1), np.int64)
    ok = np.ones((1, 1), bool)
    for n, k in zip(input_shape, kernel_shape):
        tab = _axis_taps(n, k, boundary)  # (n, k)
        no, nt = o.shape
        full = (no, n, nt, k)
        o = np.broadcast_to(o[:, None, :, None] * n + np.arange(n)[None, :, None, None], full)
        t = np.broadcast_to(t[:, None, :, None] * k + np.arange(k)[None, None, None, :], full)
        q = np.broadcast_to(q[:, None, :, None] * n + tab[None, :, None, :], full)
        ok = np.broadcast_to(ok[:, None, :, None] & (tab >= 0)[None, :, None, :], full)
        o, t, q, ok = (a.reshape(no * n, nt * k) for a in (o, t, q, ok))
    return o[ok], t[ok], q[ok]


class _FlatInput(Operator):
    """``op`` seen as a map of flat vectors of length ``prod(op.input_shape)``."""

    def __init__(self, op: Operator) -> None:
        super().__init__((prod(op.input_shape),), op.output_shape, op.dtype)
        self._op = op
        self.structure = op.structure

    def _apply(self, x: np.ndarray) -> np.ndarray:
        return self._op._apply(x.reshape(x.shape[:-1] + self._op.input_shape))

    def _adjoint(self, y: np.ndarray) -> np.ndarray:
        out = self._op._adjoint(y)
        nd = len(self._op.input_shape)
        return out.reshape(out.shape[: out.ndim - nd] + (-1,))


class _GridModel(ParametricOperator):
    """Shared checks of the stencil models: ``y`` is a (batched) grid, not a vector."""

    _in: tuple[int, ...]
    _out: tuple[int, ...]

    def _grid(
        self, y: Any, expected: tuple[int, ...], name: str, like: np.ndarray | None = None
    ) -> np.ndarray:
        arr = _validate.numeric_array(y, name)
        d = len(expected)
        if arr.ndim < d or arr.shape[arr.ndim - d :] != expected:
            raise ConvopValueError(
                f"{name} must have shape (..., {', '.join(map(str, expected))}); got {arr.shape}"
            )
        if (
            like is not None
            and arr.shape[: arr.ndim - d] != like.shape[: like.ndim - len(self._in)]
        ):
            raise ConvopValueError(
                f"{name} must have the batch dimensions of y, "
                f"{like.shape[: like.ndim - len(self._in)]}; got shape {arr.shape}"
            )
        return arr.astype(compute_dtype(arr.dtype), copy=False)

    def _op(self, th: np.ndarray) -> Operator:  # pragma: no cover - abstract
        raise NotImplementedError

    def apply(self, theta: Any, y: Any) -> np.ndarray:
        """``K(θ) y`` for ``y`` of shape ``(..., *input_shape)``."""
        th = self._theta(theta)
        return self._op(th).apply(self._grid(y, self._in, "y"))

    def jvp(self, theta: Any, y: Any, dtheta: Any) -> np.ndarray:
        """Derivative in θ applied to ``dtheta`` (the kernel operator of ``y`` at ``dθ``)."""
        return self.jacobian_theta(theta, y).apply(self._theta(dtheta, "dtheta"))

    def vjp(self, theta: Any, y: Any, w: Any) -> np.ndarray:
        """Gradient of ``⟨w, K(θ) y⟩`` in θ, summed over the batch; shape ``(p,)``."""
        yv = self._grid(y, self._in, "y")
        J = self.jacobian_theta(theta, yv)
        wv = self._grid(w, self._out, "w", like=yv)
        return J.T.apply(wv)

    def jvp_y(self, theta: Any, y: Any, dy: Any) -> np.ndarray:
        """Derivative in ``y`` applied to ``dy``: ``K(θ) dy``."""
        th = self._theta(theta)
        yv = self._grid(y, self._in, "y")
        dyv = self._grid(dy, self._in, "dy", like=yv)
        if dyv.shape != yv.shape:
            raise ConvopValueError(f"dy must have the shape of y, {yv.shape}; got {dyv.shape}")
        return self._op(th).apply(dyv)

    def vjp_y(self, theta: Any, y: Any, w: Any) -> np.ndarray:
        """Transposed derivative in ``y``: ``K(θ)ᵀ w``."""
        th = self._theta(theta)
        yv = self._grid(y, self._in, "y")
        wv = self._grid(w, self._out, "w", like=yv)
        return self._op(th).T.apply(wv)

    def jacobian_y(self, theta: Any, y: Any) -> Operator:
        """``K(θ)`` itself: the convolution operator (batch dimensions pass through)."""
        self._grid(y, self._in, "y")
        return self._op(self._theta(theta))


class Stencil(_GridModel):
    r"""A convolution stencil as a parametric model: ``K(θ) y = correlate(y, θ, 'same')``.

    θ (``p = prod(kernel_shape)`` values) is the kernel in C order; ``y`` is a
    grid of shape ``input_shape`` (leading batch dimensions allowed) and

    ``apply(theta, y) == Convolution(theta.reshape(kernel_shape), input_shape,
    "same", boundary=boundary, correlate=True)(y)``,

    i.e. ``z[o] = Σ_t θ[t] ỹ[o + t - kernel_shape // 2]`` with ``ỹ`` the
    boundary extension of ``y``.  ``matrix(theta)`` is the ``N × N`` matrix
    (``N = prod(input_shape)``) acting on C-order flattened grids; ``Q`` has
    column ``t`` equal to the column-major ``vec`` of the matrix of the ``t``-th
    unit kernel, built from the index structure (``N·p`` nonzeros, no dense
    ``N² × p`` intermediate).

    Parameters
    ----------
    kernel_shape : int or tuple of int
        Shape of the stencil.
    input_shape : int or tuple of int
        Shape of the grid (same number of dimensions).
    boundary : {'zero', 'periodic', 'reflect', 'symmetric', 'replicate'}
        Extension of the grid (DESIGN.md aliases accepted).

    Notes
    -----
    Zero boundaries give Toeplitz (1-D) / BTTB (2-D) matrices, periodic ones
    circulant / BCCB matrices, diagonalised by the DFT.  Haber & Ruthotto's
    notes write the stencil as a true convolution (row ``i`` of their matrix
    reads ``θ3 θ2 θ1``); their matrix is this model's matrix at the reversed
    stencil.  Derivatives in θ use the convolution's kernel operator (no
    matrix); the Q-based formulas of :class:`ParametricOperator` hold as well.

    Examples
    --------
    >>> import numpy as np
    >>> from convop.parametric import Stencil
    >>> S = Stencil(3, 4, boundary="periodic")
    >>> S.matrix([1.0, 2.0, 3.0]).astype(int).tolist()
    [[2, 3, 0, 1], [1, 2, 3, 0], [0, 1, 2, 3], [3, 0, 1, 2]]
    >>> S.apply([1.0, 2.0, 3.0], np.array([1.0, 0.0, 0.0, 0.0])).tolist()
    [2.0, 1.0, 0.0, 3.0]
    """

    def __init__(self, kernel_shape: Any, input_shape: Any, boundary: str = "zero") -> None:
        kshape = _validate.shape_tuple(kernel_shape, "kernel_shape")
        ishape = _validate.shape_tuple(input_shape, "input_shape")
        if len(kshape) != len(ishape):
            raise ConvopValueError(
                f"kernel_shape and input_shape must have the same length; got "
                f"kernel_shape={kshape} and input_shape={ishape}"
            )
        self.boundary = _validate.boundary(boundary)
        self.kernel_shape = kshape
        self.input_shape = ishape
        self._in = self._out = ishape
        N, p = prod(ishape), prod(kshape)
        o, t, q = stencil_taps(kshape, ishape, self.boundary)
        Q = sp.coo_array((np.ones(o.size), (o + N * q, t)), shape=(N * N, p)).tocsc()
        super().__init__(Q, (N, N), param_shape=kshape)

    def convolution(self, theta: Any) -> Convolution:
        """The core :class:`convop.Convolution` equal to ``K(θ)``."""
        return self._op(self._theta(theta))

    def _op(self, th: np.ndarray) -> Convolution:
        return Convolution(
            th.reshape(self.kernel_shape),
            self.input_shape,
            "same",
            boundary=self.boundary,
            correlate=True,
        )

    def jacobian_theta(self, theta: Any, y: Any) -> Operator:
        """Jacobian of ``θ ↦ K(θ) y``: input ``(p,)``, output ``y.shape``.

        It is the convolution's kernel operator for the fixed ``y``; its
        adjoint sums over the batch dimensions of ``y``.
        """
        th = self._theta(theta)
        yv = self._grid(y, self._in, "y")
        return _FlatInput(self._op(th).kernel_operator(yv))


class MultichannelStencil(_GridModel):
    r"""A conv layer's weight as a parametric model (``padding="same"``, odd kernels).

    θ is the weight ``(C_out, C_in, *k)`` in C order; ``y`` has shape
    ``(..., C_in, *spatial)`` and ``apply(theta, y) == ConvLayer(theta.reshape(
    weight_shape), input_shape, padding="same", boundary=boundary)(y)``: output
    channel ``co`` is ``Σ_ci correlate(y[ci], θ[co, ci], 'same')``.  The matrix
    is the ``C_out × C_in`` block matrix of single-channel stencil matrices
    ``K^{co,ci}(θ^{co,ci})`` acting on C-order flattened ``(C_in, *spatial)``.

    Parameters
    ----------
    weight_shape : tuple of int
        ``(C_out, C_in, k1[, k2, ...])`` with odd ``k``.
    input_shape : tuple of int
        ``(C_in, n1[, n2, ...])``.
    boundary : {'zero', 'periodic', 'reflect', 'symmetric', 'replicate'}
        Extension of every channel.

    Examples
    --------
    >>> import numpy as np
    >>> from convop.parametric import MultichannelStencil
    >>> M = MultichannelStencil((2, 3, 3, 3), (3, 5, 5), boundary="periodic")
    >>> M.shape, M.num_params
    ((50, 75), 54)
    >>> M.apply(np.ones(54), np.ones((3, 5, 5)))[0, 0, 0]
    np.float64(27.0)
    """

    def __init__(self, weight_shape: Any, input_shape: Any, boundary: str = "zero") -> None:
        wshape = _validate.shape_tuple(weight_shape, "weight_shape")
        ishape = _validate.shape_tuple(input_shape, "input_shape")
        if len(wshape) < 3 or len(ishape) != len(wshape) - 1:
            raise ConvopValueError(
                f"weight_shape must be (C_out, C_in, *k) and input_shape (C_in, *spatial) "
                f"with len(k) == len(spatial) >= 1; got weight_shape={wshape} and "
                f"input_shape={ishape}"
            )
        if wshape[1] != ishape[0]:
            raise ConvopValueError(
                f"weight_shape[1] (C_in) must equal input_shape[0]; got weight_shape={wshape} "
                f"and input_shape={ishape}"
            )
        if any(k % 2 == 0 for k in wshape[2:]):
            raise ConvopValueError(
                f"padding='same' stencils need odd kernel sizes; got weight_shape={wshape}"
            )
        self.boundary = _validate.boundary(boundary)
        self.weight_shape = wshape
        self.input_shape = ishape
        cout, cin = wshape[:2]
        spatial = ishape[1:]
        self._in = ishape
        self._out = (cout,) + spatial
        N, P = prod(spatial), prod(wshape[2:])
        o, t, q = stencil_taps(wshape[2:], spatial, self.boundary)
        co = np.arange(cout)[:, None, None]
        ci = np.arange(cin)[None, :, None]
        rows = (co * N + o) + cout * N * (ci * N + q)
        cols = (co * cin + ci) * P + t
        rows, cols = np.broadcast_arrays(rows, cols)
        Q = sp.coo_array(
            (np.ones(rows.size), (rows.ravel(), cols.ravel())),
            shape=(cout * N * cin * N, cout * cin * P),
        ).tocsc()
        super().__init__(Q, (cout * N, cin * N), param_shape=wshape)

    def layer(self, theta: Any) -> Operator:
        """The core :class:`convop.ConvLayer` equal to ``K(θ)``."""
        return self._op(self._theta(theta))

    def _op(self, th: np.ndarray) -> Operator:

        return ConvLayer(
            th.reshape(self.weight_shape), self.input_shape, padding="same", boundary=self.boundary
        )

    def jacobian_theta(self, theta: Any, y: Any) -> Operator:
        """Jacobian of ``θ ↦ K(θ) y``.

        Input ``(p,)``, output ``y.shape[:-d-1] + (C_out, *spatial)``.
        """
        th = self._theta(theta)
        yv = self._grid(y, self._in, "y")
        return _FlatInput(self._op(th).kernel_operator(yv))
