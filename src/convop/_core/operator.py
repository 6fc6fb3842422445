"""The operator base class: one public surface, two private hooks.

Concrete operators implement ``_apply(x)`` and ``_adjoint(y)`` on arrays whose
trailing dimensions are already checked to be ``input_shape`` (resp.
``output_shape``) and whose dtype is the operator's compute dtype; leading
dimensions are a batch that passes through.
"""

from __future__ import annotations

from math import prod
from typing import Any

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from convop._core import dispatch
from convop._core import validate as _validate
from convop._core.arrays import compute_dtype
from convop._core.errors import ConvopValueError

__all__ = ["Operator"]

STRUCTURES = (
    "toeplitz",
    "circulant",
    "bttb",
    "bccb",
    "multilevel-toeplitz",
    "multilevel-circulant",
    "toeplitz+hankel",
    "general",
)


class Operator:
    """A linear map between arrays of shape ``input_shape`` and ``output_shape``.

    The matrix it represents acts on C-order flattened arrays and has shape
    ``(prod(output_shape), prod(input_shape))``.

    Parameters
    ----------
    input_shape, output_shape : tuple of int
        Shapes of one input and one output array (batch dimensions excluded).
    dtype : numpy dtype
        Floating dtype of the matrix entries; the arithmetic dtype of ``apply``
        is ``numpy.result_type(x.dtype, dtype)`` (integers computed in float64).

    Examples
    --------
    >>> import numpy as np, convop
    >>> A = convop.Convolution(np.array([1.0, 2.0]), (3,))
    >>> A.shape
    (4, 3)
    >>> (A @ np.ones(3)).tolist()
    [1.0, 3.0, 3.0, 2.0]
    """

    structure: str = "general"

    def __init__(
        self, input_shape: tuple[int, ...], output_shape: tuple[int, ...], dtype: Any
    ) -> None:
        self._input_shape = tuple(int(n) for n in input_shape)
        self._output_shape = tuple(int(n) for n in output_shape)
        self._dtype = np.dtype(dtype)

    # -- description ---------------------------------------------------------------
    @property
    def input_shape(self) -> tuple[int, ...]:
        """Shape of one input array."""
        return self._input_shape

    @property
    def output_shape(self) -> tuple[int, ...]:
        """Shape of one output array."""
        return self._output_shape

    @property
    def shape(self) -> tuple[int, int]:
        """Shape of the matrix: ``(prod(output_shape), prod(input_shape))``."""
        return (prod(self._output_shape), prod(self._input_shape))

    @property
    def dtype(self) -> np.dtype:
        """dtype of the matrix entries."""
        return self._dtype

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} {self._input_shape} -> {self._output_shape}, "
            f"structure={self.structure!r}, dtype={self._dtype}>"
        )

    # -- application -----------------------------------------------------------------
    def _check(self, x: Any, expected: tuple[int, ...], name: str) -> np.ndarray:
        arr = _validate.numeric_array(x, name)
        d = len(expected)
        if arr.ndim < d or arr.shape[arr.ndim - d :] != expected:
            raise ConvopValueError(
                f"{name} must have shape (..., {', '.join(map(str, expected))}) "
                f"(trailing dimensions {expected}); got {arr.shape}"
            )
        dt = compute_dtype(arr.dtype, self._dtype)
        return arr.astype(dt, copy=False)

    def apply(self, x: Any) -> np.ndarray:
        """Apply the operator to ``x`` of shape ``(..., *input_shape)``."""
        if type(x) is not np.ndarray and (other := dispatch.handler_for(x)) is not None:
            return other.apply(self, x, adjoint=False)
        return self._apply(self._check(x, self._input_shape, "x"))

    __call__ = apply

    def adjoint(self, y: Any) -> np.ndarray:
        """Apply the adjoint (conjugate transpose) to ``y`` of shape ``(..., *output_shape)``."""
        if type(y) is not np.ndarray and (other := dispatch.handler_for(y)) is not None:
            return other.apply(self, y, adjoint=True)
        return self._adjoint(self._check(y, self._output_shape, "y"))

    def _apply(self, x: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _adjoint(self, y: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def H(self) -> Operator:
        """The adjoint (conjugate transpose) as an operator."""
        return _Adjoint(self)

    @property
    def T(self) -> Operator:
        """The transpose as an operator (equals ``H`` for real operators)."""
        return _Transpose(self)

    def __matmul__(self, v: Any) -> Any:
        if isinstance(v, Operator):
            return _Product(self, v)
        if type(v) is not np.ndarray and dispatch.handler_for(v) is not None:
            # another array library (a Dask array): reshaped and applied lazily, the
            # handler behind ``apply`` computes it (never converted to NumPy here)
            arr = v
        else:
            arr = _validate.numeric_array(v, "v")
        n = self.shape[1]
        if arr.ndim == 1 and arr.shape[0] == n:
            return self.apply(arr.reshape(self._input_shape)).reshape(-1)
        if arr.ndim == 2 and arr.shape[0] == n:
            k = arr.shape[1]
            cols = self.apply(arr.T.reshape((k,) + self._input_shape))
            return cols.reshape(k, -1).T
        raise ConvopValueError(
            f"v must be a vector of length {n} or an ({n}, k) matrix; got shape {arr.shape}"
        )

    # -- conversions -----------------------------------------------------------------
    def aslinearoperator(self) -> spla.LinearOperator:
        """This operator as a :class:`scipy.sparse.linalg.LinearOperator`."""
        adj = self.H
        return spla.LinearOperator(
            self.shape,
            dtype=self._dtype,
            matvec=lambda v: self @ np.ravel(v),
            rmatvec=lambda v: adj @ np.ravel(v),
            matmat=lambda v: self @ v,
            rmatmat=lambda v: adj @ v,
        )

    def to_dense(self) -> np.ndarray:
        """The exact matrix, built by applying the operator to the identity."""
        m, n = self.shape
        eye = np.eye(n, dtype=self._dtype).reshape((n,) + self._input_shape)
        return np.ascontiguousarray(self._apply(eye).reshape(n, m).T)

    def to_sparse(self, format: str = "csr") -> sp.spmatrix:
        """The matrix as a scipy sparse matrix holding only structural nonzeros."""
        return self._sparse().asformat(format)

    def _sparse(self) -> sp.spmatrix:
        return sp.coo_matrix(self.to_dense())


class _Adjoint(Operator):
    def __init__(self, op: Operator) -> None:
        super().__init__(op.output_shape, op.input_shape, op.dtype)
        self._op = op

    def _apply(self, x: np.ndarray) -> np.ndarray:
        return self._op._adjoint(x)

    def _adjoint(self, y: np.ndarray) -> np.ndarray:
        return self._op._apply(y)

    @property
    def H(self) -> Operator:
        return self._op

    def _sparse(self) -> sp.spmatrix:
        return self._op._sparse().conj().T.tocoo()


class _Transpose(Operator):
    def __init__(self, op: Operator) -> None:
        super().__init__(op.output_shape, op.input_shape, op.dtype)
        self._op = op

    def _apply(self, x: np.ndarray) -> np.ndarray:
        if np.iscomplexobj(x) or self._op.dtype.kind == "c":
            return np.conj(self._op._adjoint(np.conj(x)))
        return self._op._adjoint(x)

    def _adjoint(self, y: np.ndarray) -> np.ndarray:
        if np.iscomplexobj(y) or self._op.dtype.kind == "c":
            return np.conj(self._op._apply(np.conj(y)))
        return self._op._apply(y)

    @property
    def T(self) -> Operator:
        return self._op

    def _sparse(self) -> sp.spmatrix:
        return self._op._sparse().T.tocoo()


class _Product(Operator):
    def __init__(self, a: Operator, b: Operator) -> None:
        if a.input_shape != b.output_shape:
            raise ConvopValueError(
                f"cannot compose: left input_shape {a.input_shape} != right output_shape "
                f"{b.output_shape}"
            )
        super().__init__(b.input_shape, a.output_shape, np.result_type(a.dtype, b.dtype))
        self._a, self._b = a, b

    def _apply(self, x: np.ndarray) -> np.ndarray:
        return self._a._apply(self._b._apply(x))

    def _adjoint(self, y: np.ndarray) -> np.ndarray:
        return self._b._adjoint(self._a._adjoint(y))

    def _sparse(self) -> sp.spmatrix:
        return (self._a._sparse().tocsr() @ self._b._sparse().tocsr()).tocoo()
