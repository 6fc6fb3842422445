"""``Convolution``: x ↦ convolve(x, kernel, mode, boundary=...) as an exact linear operator."""

from __future__ import annotations

import itertools
from math import prod
from typing import Any

import numpy as np
import scipy.sparse as sp

from convop._core import structure as _structure
from convop._core import validate as _validate
from convop._core.errors import ConvopValueError
from convop._core.extension import extend, extend_adjoint, extension_matrix, full_extensions
from convop._core.operator import Operator
from convop._engines import backends as _backends
from convop._planning import choose as _choose

__all__ = ["Convolution"]


def _flipconj(k: np.ndarray, nd: int) -> np.ndarray:
    out = k[(Ellipsis,) + (slice(None, None, -1),) * nd]
    return np.conj(out) if out.dtype.kind == "c" else out


def _expand(k: np.ndarray, ndim: int) -> np.ndarray:
    """Prepend length-1 axes so ``k`` broadcasts against a batch of rank ``ndim``."""
    return k.reshape((1,) * (ndim - k.ndim) + k.shape)


class Convolution(Operator):
    r"""The convolution x ↦ ``convolve(x, kernel, mode, boundary=boundary)`` as a matrix.

    Parameters
    ----------
    kernel : (K1[, K2, ...]) array_like
        The kernel; ``kernel.ndim == len(input_shape)``. Stored read-only.
    input_shape : tuple of int
        Shape of one input ``x``; inputs may carry leading batch dimensions.
    mode : {'full', 'same', 'valid'}
        Output size as in :func:`scipy.signal.convolve`.
    boundary : {'zero', 'periodic', 'reflect', 'symmetric', 'replicate'}
        Extension of ``x`` (aliases accepted; see :func:`convop.convolve`).
    correlate : bool
        Cross-correlate instead (``scipy.signal.correlate`` semantics, kernel conjugated).
    method : {'auto', 'direct', 'gemm', 'fft', 'overlap-add'}
        Algorithm, chosen once at construction for ``auto`` (the cost model of
        :func:`convop.choose_method`).

    Notes
    -----
    With E the boundary extension (a 0/1 matrix) and V the ``valid`` convolution with
    the kernel, ``A = V E``. The adjoint is ``Aᴴ = Eᴴ Vᴴ``: Vᴴ is the ``full``
    correlation with the kernel, and Eᴴ folds the extended samples back onto the
    samples they copy. ``A.structure`` names the matrix family (Toeplitz for zero
    boundaries, circulant for periodic ``same``, Toeplitz-plus-Hankel for 1-D
    reflect/symmetric, block/multilevel variants in 2-D/N-D).

    Examples
    --------
    >>> import numpy as np, convop
    >>> A = convop.Convolution(np.array([1.0, -1.0]), (4,), "same", boundary="periodic")
    >>> A.structure, A.shape
    ('circulant', (4, 4))
    >>> A(np.array([1.0, 2.0, 4.0, 8.0])).tolist()
    [-7.0, 1.0, 2.0, 4.0]
    >>> A.adjoint(np.array([1.0, 0.0, 0.0, 0.0])).tolist()
    [1.0, 0.0, 0.0, -1.0]
    """

    def __init__(
        self,
        kernel: Any,
        input_shape: Any,
        mode: str = "full",
        *,
        boundary: str = "zero",
        correlate: bool = False,
        method: str = "auto",
    ) -> None:
        k = _validate.numeric_array(kernel, "kernel")
        shape = _validate.shape_tuple(input_shape, "input_shape")
        if k.ndim != len(shape):
            raise ConvopValueError(
                f"kernel.ndim must equal len(input_shape); got kernel.ndim={k.ndim} "
                f"(shape {k.shape}) and input_shape={shape}"
            )
        if k.size == 0:
            raise ConvopValueError(f"kernel must not be empty; got shape {k.shape}")
        self.mode = _validate.mode(mode)
        self.boundary = _validate.boundary(boundary)
        self.correlate = bool(correlate)
        requested = _validate.method(method, _backends.METHODS)
        dtype = _validate.compute_dtype(k.dtype)
        kern = np.array(k, dtype=dtype, copy=True)
        kern.setflags(write=False)
        self._kernel = kern
        nd = len(shape)
        self._nd = nd
        # the kernel actually convolved with (correlation = convolution with flipconj)
        self._ck = _flipconj(kern, nd) if self.correlate else kern
        kshape = kern.shape
        self._swap = False
        if self.mode == "full":
            out = tuple(n + q - 1 for n, q in zip(shape, kshape))
        elif self.mode == "same":
            out = shape
        else:
            big = all(n >= q for n, q in zip(shape, kshape))
            small = all(n <= q for n, q in zip(shape, kshape))
            if not (big or small):
                raise ConvopValueError(
                    f"mode='valid' needs the input at least as large as the kernel along "
                    f"every axis, or the kernel at least as large along every axis; got "
                    f"input_shape={shape} and kernel shape {kshape}"
                )
            self._swap = not big
            out = tuple(abs(n - q) + 1 for n, q in zip(shape, kshape))
        super().__init__(shape, out, dtype)
        self._exts = full_extensions(shape, kshape, self.boundary, self.mode)
        self._zero_full = self.mode == "full" and self.boundary == "zero"
        if requested == "auto":
            na = kshape if self._swap else tuple(e.size for e in self._exts)
            nb = shape if self._swap else kshape
            requested = _choose.plan(na, nb, 1, dtype)
        self.method = requested
        self.structure = _structure.tag(
            nd, self.boundary, square_periodic=self.mode == "same", extended=self.mode != "valid"
        )

    # -- properties -------------------------------------------------------------------------
    @property
    def kernel(self) -> np.ndarray:
        """The kernel (read-only view)."""
        return self._kernel

    def __repr__(self) -> str:
        kind = "correlate" if self.correlate else "convolve"
        return (
            f"Convolution({kind}, kernel {self._kernel.shape}, input {self.input_shape} "
            f"-> output {self.output_shape}, mode={self.mode!r}, "
            f"boundary={self.boundary!r}, structure={self.structure!r}, "
            f"dtype={self.dtype}, method={self.method!r})"
        )

    # -- the map and its adjoint ------------------------------------------------------------
    def _apply(self, x: np.ndarray) -> np.ndarray:
        nd, ck = self._nd, _expand(self._ck, x.ndim)
        if self._swap:
            return _backends.valid(ck, x, nd, self.method)
        if self._zero_full:
            return _backends.full(x, ck, nd, self.method)
        return _backends.conv(x, ck, nd, self.method, self._exts)

    def _adjoint(self, y: np.ndarray) -> np.ndarray:
        nd = self._nd
        kadj = _expand(_flipconj(self._ck, nd), y.ndim)
        if self._swap:
            return _backends.valid(kadj, y, nd, self.method)
        if self._zero_full:
            return _backends.valid(y, kadj, nd, self.method)
        return extend_adjoint(_backends.full(y, kadj, nd, self.method), self._exts)

    # -- matrices ---------------------------------------------------------------------------
    def _sparse(self) -> sp.coo_matrix:
        nd, kshape = self._nd, self._ck.shape
        out = self.output_shape
        grid = np.indices(out).reshape(nd, -1)
        rows = np.arange(grid.shape[1])
        if self._swap:
            # y[j] = Σ_i x[i] K[j + n − 1 − i]: one diagonal per input position
            r, c, v = [], [], []
            for pos in itertools.product(*(range(n) for n in self.input_shape)):
                kidx = grid + (np.array(self.input_shape) - 1 - np.array(pos))[:, None]
                r.append(rows)
                c.append(np.full(rows.size, np.ravel_multi_index(pos, self.input_shape)))
                v.append(self._ck[tuple(kidx)])
            return sp.coo_matrix(
                (np.concatenate(v), (np.concatenate(r), np.concatenate(c))), shape=self.shape
            )
        padded = tuple(e.size for e in self._exts)
        r, c, v = [], [], []
        for tap in itertools.product(*(range(q) for q in kshape)):
            src = grid + (np.array(kshape) - 1 - np.array(tap))[:, None]
            r.append(rows)
            c.append(np.ravel_multi_index(tuple(src), padded))
            v.append(np.full(rows.size, self._ck[tap]))
        valid = sp.coo_matrix(
            (np.concatenate(v), (np.concatenate(r), np.concatenate(c))),
            shape=(prod(out), prod(padded)),
        ).tocsr()
        mat = (valid @ extension_matrix(self._exts)).tocoo()
        mat.sum_duplicates()
        return mat

    # -- related operators ------------------------------------------------------------------
    def kernel_operator(self, x: Any) -> Operator:
        """The same convolution as a linear map of the kernel, for a fixed input ``x``.

        Parameters
        ----------
        x : (..., *input_shape) array_like
            The fixed input; leading batch dimensions produce a batch of outputs.

        Returns
        -------
        Operator
            Maps a kernel of shape ``kernel.shape`` to outputs of shape
            ``x.shape[:-ndim] + output_shape``. Its adjoint applied to dL/dy is the
            kernel gradient backprop computes (summed over the batch). With
            ``correlate=True`` and complex data the map is linear in ``conj(kernel)``
            (scipy conjugates the kernel), which is the variable it acts on.

        Examples
        --------
        >>> import numpy as np, convop
        >>> A = convop.Convolution(np.array([1.0, 2.0]), (3,))
        >>> B = A.kernel_operator(np.array([1.0, 0.0, 1.0]))
        >>> B(np.array([1.0, 2.0])).tolist() == A(np.array([1.0, 0.0, 1.0])).tolist()
        True
        """
        arr = self._check(x, self.input_shape, "x")
        return _KernelOperator(self, arr)

    def eigvals(self) -> np.ndarray:
        """Exact eigenvalues of a circulant operator, by one FFT.

        See :func:`convop.spectral.eigvals`.
        """
        from convop.spectral import eigvals

        return eigvals(self)


class _KernelOperator(Operator):
    """k ↦ conv(E x, k) (valid), for a fixed, batched x."""

    structure = "general"

    def __init__(self, conv: Convolution, x: np.ndarray) -> None:
        nd = conv._nd
        self._conv = conv
        self._nd = nd
        self._xbatch = x.shape[: x.ndim - nd]
        dtype = np.result_type(conv.dtype, x.dtype)
        super().__init__(conv.kernel.shape, self._xbatch + conv.output_shape, dtype)
        if conv._swap:
            self._xp = np.array(x, dtype=dtype)
        else:
            self._xp = np.array(extend(x, conv._exts), dtype=dtype)
        self._xp.setflags(write=False)

    def _to_conv_kernel(self, k: np.ndarray) -> np.ndarray:
        return np.flip(k, axis=tuple(range(-self._nd, 0))) if self._conv.correlate else k

    def _apply(self, k: np.ndarray) -> np.ndarray:
        nd, nb = self._nd, len(self._xbatch)
        kb = k.shape[: k.ndim - nd]
        ck = self._to_conv_kernel(k).reshape(kb + (1,) * nb + k.shape[k.ndim - nd :])
        xp = self._xp.reshape((1,) * len(kb) + self._xp.shape)
        if self._conv._swap:
            return _backends.valid(ck, xp, nd, self._conv.method)
        return _backends.valid(xp, ck, nd, self._conv.method)

    def _adjoint(self, y: np.ndarray) -> np.ndarray:
        # k_adj[i] = Σ_j y[j] conj(xp[j + K − 1 − i]) = valid(flip(conj(xp)), y)
        nd, nb = self._nd, len(self._xbatch)
        yb = y.shape[: y.ndim - nd - nb]
        xr = _flipconj(self._xp, nd).reshape((1,) * len(yb) + self._xp.shape)
        if self._conv._swap:
            # y = valid(ck, x): the adjoint in ck is the full correlation of y with x
            out = _backends.full(y, xr, nd, self._conv.method)
        else:
            out = _backends.valid(xr, y, nd, self._conv.method)
        if nb:
            out = out.sum(axis=tuple(range(len(yb), len(yb) + nb)))
        return self._to_conv_kernel(out)
