"""The parametric-model base class: K(θ) = mat(Q θ) with a sparse Q."""

from __future__ import annotations

from math import prod
from typing import Any

import numpy as np
import scipy.sparse as sp

from convop._core import validate as _validate
from convop._core.arrays import compute_dtype
from convop._core.errors import ConvopTypeError, ConvopValueError
from convop._core.operator import Operator

__all__ = ["ParametricOperator"]


def _bincount(idx: np.ndarray, weights: np.ndarray, size: int) -> np.ndarray:
    """``np.bincount`` that also accepts complex weights."""
    if np.iscomplexobj(weights):
        return np.bincount(idx, weights.real, minlength=size) + 1j * np.bincount(
            idx, weights.imag, minlength=size
        )
    return np.bincount(idx, weights, minlength=size)


class ParametricOperator:
    r"""A matrix that depends linearly on parameters: :math:`K(\theta) = \mathrm{mat}(Q\theta)`.

    ``mat`` reshapes a vector of length ``m*n`` column by column (Fortran
    order, as in MATLAB) into an ``m × n`` matrix, so ``Q[i + m*j, c]`` is
    the coefficient of :math:`\theta_c` in :math:`K_{ij}`.

    Parameters
    ----------
    Q : (m*n, p) sparse matrix or array_like
        The parametrisation; stored as CSC (it is tall and thin).
    shape : tuple of int
        ``(m, n)``, the shape of :math:`K(\theta)`.

    Attributes
    ----------
    Q : (m*n, p) scipy.sparse.csc_array
        The parametrisation (do not modify).
    num_params : int
        ``p``.
    shape : tuple of int
        ``(m, n)``.
    param_shape : tuple of int
        Shape ``theta`` may also be given in (``(p,)`` here; the kernel shape for
        stencils).  Gradients (:meth:`vjp`) are always flat, of shape ``(p,)``.

    Raises
    ------
    ConvopValueError
        ``Q`` not 2-D, or its row count is not ``m*n``.

    See Also
    --------
    Diagonal, Antisymmetric, MMatrix, Stencil, MultichannelStencil

    Notes
    -----
    Because :math:`K` is linear in :math:`\theta`, for ``z = K(θ) y``

    .. math::

        J_\theta z \, d\theta = K(d\theta)\, y, \qquad
        J_\theta^\top w = Q^\top \mathrm{vec}(w y^\top), \qquad
        J_y z \, dy = K(\theta)\, dy, \qquad J_y^\top w = K(\theta)^\top w,

    where for several columns ``y`` (shape ``(n, k)``) ``w yᵀ`` sums over the
    columns.  No ``m × n`` matrix is formed for :math:`J_\theta^\top w`: the
    sum runs over the nonzeros of ``Q``.

    Examples
    --------
    >>> import numpy as np
    >>> import scipy.sparse as sp
    >>> from convop.parametric import ParametricOperator
    >>> Q = sp.csr_array(np.array([[1.0, 0], [0, 1], [0, -1], [1, 0]]))  # [[a, -b], [b, a]]
    >>> K = ParametricOperator(Q, (2, 2))
    >>> K.matrix(np.array([2.0, 3.0])).tolist()
    [[2.0, -3.0], [3.0, 2.0]]
    >>> K.vjp([2.0, 3.0], np.array([1.0, 0.0]), np.array([0.0, 1.0])).tolist()
    [0.0, 1.0]
    """

    def __init__(
        self, Q: Any, shape: tuple[int, int], *, param_shape: tuple[int, ...] | None = None
    ) -> None:
        if not sp.issparse(Q):
            Qa = _validate.numeric_array(Q, "Q")
            if Qa.ndim != 2:
                raise ConvopValueError(f"Q must be a 2-D (m*n, p) matrix; got shape {Qa.shape}")
            Q = sp.csr_array(Qa)
        shape = _validate.shape_tuple(shape, "shape")
        if len(shape) != 2:
            raise ConvopValueError(f"shape must be (m, n), the shape of K; got {shape!r}")
        m, n = shape
        if Q.ndim != 2 or Q.shape[0] != m * n:
            raise ConvopValueError(
                f"Q must have m*n = {m * n} rows for shape={shape}; got Q.shape={Q.shape}"
            )
        if Q.dtype.kind not in "biuf":
            raise ConvopTypeError(f"Q must be real; got dtype {Q.dtype}")
        # CSC: Q is tall (m*n rows, p columns), CSR would store m*n + 1 row pointers
        Qc = sp.csc_array(Q, dtype=np.float64)
        Qc.sum_duplicates()
        Qc.eliminate_zeros()
        self._Q = Qc
        coo = Qc.tocoo()
        rows = np.asarray(coo.row, dtype=np.int64)
        # nonzero triplets: K[i, j] += v * theta[c]
        self._i = rows % m
        self._j = rows // m
        self._c = np.asarray(coo.col, dtype=np.int64)
        self._v = np.asarray(coo.data, dtype=np.float64)
        self._shape = (m, n)
        p = Qc.shape[1]
        self._param_shape = (p,) if param_shape is None else tuple(param_shape)
        if prod(self._param_shape) != p:  # pragma: no cover - internal consistency
            raise ConvopValueError(f"param_shape {self._param_shape} does not hold {p} values")

    # -- description -----------------------------------------------------------------
    @property
    def Q(self) -> sp.csc_array:
        """The ``(m*n, p)`` parametrisation matrix (column-major ``mat``)."""
        return self._Q

    @property
    def num_params(self) -> int:
        """Number of parameters ``p``."""
        return int(self._Q.shape[1])

    @property
    def shape(self) -> tuple[int, int]:
        """Shape ``(m, n)`` of :math:`K(\\theta)`."""
        return self._shape

    @property
    def param_shape(self) -> tuple[int, ...]:
        """Shape ``theta`` may be given in besides ``(p,)``."""
        return self._param_shape

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} K: {self._shape[0]}x{self._shape[1]}, "
            f"p={self.num_params}, nnz(Q)={self._Q.nnz}>"
        )

    # -- argument checks -----------------------------------------------------------------
    def _theta(self, theta: Any, name: str = "theta") -> np.ndarray:
        arr = _validate.numeric_array(theta, name)
        p = self.num_params
        if arr.shape != (p,) and arr.shape != self._param_shape:
            accepted = f"({p},)" if self._param_shape == (p,) else f"({p},) or {self._param_shape}"
            raise ConvopValueError(f"{name} must have shape {accepted}; got {arr.shape}")
        return arr.astype(compute_dtype(arr.dtype), copy=False).reshape(-1)

    def _vector(self, y: Any, rows: int, name: str, like: np.ndarray | None = None) -> np.ndarray:
        arr = _validate.numeric_array(y, name)
        if arr.ndim not in (1, 2) or arr.shape[0] != rows:
            raise ConvopValueError(
                f"{name} must have shape ({rows},) or ({rows}, k); got {arr.shape}"
            )
        if like is not None and arr.shape[1:] != like.shape[1:]:
            raise ConvopValueError(
                f"{name} must have shape {(rows,) + like.shape[1:]} to match y of shape "
                f"{like.shape}; got {arr.shape}"
            )
        return arr.astype(compute_dtype(arr.dtype), copy=False)

    # -- the matrix --------------------------------------------------------------------------
    def _sparse_matrix(self, th: np.ndarray) -> sp.csr_array:
        dt = compute_dtype(th.dtype)
        vals = self._v.astype(dt) * th[self._c]
        K = sp.coo_array((vals, (self._i, self._j)), shape=self._shape).tocsr()
        K.sum_duplicates()
        return K

    def matrix(self, theta: Any, *, sparse: bool = False) -> np.ndarray | sp.csr_array:
        """The matrix :math:`K(\\theta) = \\mathrm{mat}(Q\\theta)`.

        Parameters
        ----------
        theta : (p,) array_like
            Parameters (also accepted in ``param_shape``).
        sparse : bool, default False
            Return a ``scipy.sparse.csr_array`` instead of a dense ndarray.

        Returns
        -------
        (m, n) ndarray or scipy.sparse.csr_array
        """
        K = self._sparse_matrix(self._theta(theta))
        return K if sparse else K.toarray()

    # -- products and derivatives (dense-vector models) ----------------------------------------
    def apply(self, theta: Any, y: Any) -> np.ndarray:
        """``K(θ) y`` for ``y`` of shape ``(n,)`` or ``(n, k)``."""
        th = self._theta(theta)
        yv = self._vector(y, self._shape[1], "y")
        return np.asarray(self._sparse_matrix(th) @ yv)

    def jvp(self, theta: Any, y: Any, dtheta: Any) -> np.ndarray:
        """Derivative of ``K(θ) y`` in θ applied to ``dtheta``: ``K(dθ) y``."""
        self._theta(theta)
        dth = self._theta(dtheta, "dtheta")
        yv = self._vector(y, self._shape[1], "y")
        return np.asarray(self._sparse_matrix(dth) @ yv)

    def vjp(self, theta: Any, y: Any, w: Any) -> np.ndarray:
        """Transposed derivative in θ: gradient of ``⟨w, K(θ) y⟩``, i.e. ``Qᵀ vec(w yᵀ)``.

        Returns an array of shape ``(p,)``.  No conjugation is applied (for
        complex inputs this is the transpose, not the adjoint).
        """
        self._theta(theta)
        yv = self._vector(y, self._shape[1], "y")
        wv = self._vector(w, self._shape[0], "w", like=yv)
        prod_ij = wv[self._i] * yv[self._j]
        if prod_ij.ndim == 2:
            prod_ij = prod_ij.sum(axis=1)
        return _bincount(self._c, self._v * prod_ij, self.num_params)

    def jvp_y(self, theta: Any, y: Any, dy: Any) -> np.ndarray:
        """Derivative of ``K(θ) y`` in y applied to ``dy``: ``K(θ) dy``."""
        th = self._theta(theta)
        yv = self._vector(y, self._shape[1], "y")
        dyv = self._vector(dy, self._shape[1], "dy", like=yv)
        return np.asarray(self._sparse_matrix(th) @ dyv)

    def vjp_y(self, theta: Any, y: Any, w: Any) -> np.ndarray:
        """Transposed derivative in y: ``K(θ)ᵀ w``."""
        th = self._theta(theta)
        yv = self._vector(y, self._shape[1], "y")
        wv = self._vector(w, self._shape[0], "w", like=yv)
        return np.asarray(self._sparse_matrix(th).T @ wv)

    # -- Jacobians as operators -----------------------------------------------------------------
    def jacobian_theta(self, theta: Any, y: Any) -> Operator:
        """The Jacobian of ``θ ↦ K(θ) y`` as a :class:`convop.Operator`.

        Its input is ``dθ`` of shape ``(p,)``; its output has the shape of
        ``K(θ) y``.  The matrix is :math:`(y^\\top \\otimes I_m) Q` (for one column).
        """
        th = self._theta(theta)
        yv = self._vector(y, self._shape[1], "y")
        m = self._shape[0]
        k = 1 if yv.ndim == 1 else yv.shape[1]
        y2 = yv.reshape(yv.shape[0], k)
        # rows of J: (i, col) flattened in C order of the output (m, k)
        rows = (self._i[:, None] * k + np.arange(k)[None, :]).ravel()
        cols = np.repeat(self._c, k)
        vals = (self._v[:, None] * y2[self._j]).ravel()
        J = sp.coo_array((vals, (rows, cols)), shape=(m * k, self.num_params)).tocsr()
        J.sum_duplicates()
        dtype = compute_dtype(th.dtype, yv.dtype)
        return _SparseOperator(J, (self.num_params,), (m,) + yv.shape[1:], dtype)

    def jacobian_y(self, theta: Any, y: Any) -> Operator:
        """The Jacobian of ``y ↦ K(θ) y`` (that is, ``K(θ)`` itself) as a :class:`convop.Operator`.

        Its input has the shape of ``y`` (``(n,)`` or ``(n, k)``), its output that
        of ``K(θ) y``.
        """
        th = self._theta(theta)
        yv = self._vector(y, self._shape[1], "y")
        K = self._sparse_matrix(th)
        k = 1 if yv.ndim == 1 else yv.shape[1]
        if k > 1:
            K = sp.kron(K, sp.eye(k), format="csr")  # C-order flattening of (n, k)
        dtype = compute_dtype(th.dtype, yv.dtype)
        return _SparseOperator(K, yv.shape, (self._shape[0],) + yv.shape[1:], dtype)


class _SparseOperator(Operator):
    """An operator given by a sparse matrix acting on C-order flattened arrays."""

    def __init__(
        self,
        A: sp.csr_array,
        input_shape: tuple[int, ...],
        output_shape: tuple[int, ...],
        dtype: Any,
    ) -> None:
        super().__init__(input_shape, output_shape, dtype)
        self._A = sp.csr_array(A)
        self._AH = sp.csr_array(self._A.conj().T)

    def _mul(
        self, A: sp.csr_array, x: np.ndarray, nin: tuple[int, ...], nout: tuple[int, ...]
    ) -> np.ndarray:
        batch = x.shape[: x.ndim - len(nin)]
        xf = x.reshape((-1, prod(nin)))
        out = np.asarray(A @ xf.T).T
        return out.reshape(batch + nout)

    def _apply(self, x: np.ndarray) -> np.ndarray:
        return self._mul(self._A, x, self.input_shape, self.output_shape)

    def _adjoint(self, y: np.ndarray) -> np.ndarray:
        return self._mul(self._AH, y, self.output_shape, self.input_shape)

    def _sparse(self) -> sp.spmatrix:
        return sp.coo_matrix(self._A)
