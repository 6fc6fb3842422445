"""``Convolution``: x ↦ convolve(x, kernel, mode, boundary=...) as an exact linear operator."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from math import prod
from typing import Any

import numpy as np
import scipy.sparse as sp

from convop._core import structure as _structure
from convop._core import validate as _validate
from convop._core.arrays import compute_dtype, flip_conj
from convop._core.errors import ConvopValueError
from convop._core.extension import extend, extend_adjoint, extension_matrix, full_extensions
from convop._core.operator import Operator
from convop._engines import dispatch as _engines
from convop._operators import _spec
from convop._operators._spec import Spec
from convop._planning.choose import resolve

__all__ = ["Convolution"]


def _expand(k: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``k`` in ``x``'s dtype (the wider of data and operator, on every method), with
    length-1 axes prepended so that it broadcasts against ``x``'s batch."""
    return k.astype(x.dtype, copy=False).reshape((1,) * (x.ndim - k.ndim) + k.shape)


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
    axes : int or sequence of int, optional
        Axes of ``input_shape`` to convolve over (default all), as in
        :func:`convop.convolve`: along the other axes the kernel has length 1 (the same
        kernel for every slice) or the input's length (one kernel per slice). A kernel
        with ``len(axes)`` dimensions is also accepted: its axis j runs along
        ``axes[j]``. :attr:`kernel` is stored with every input axis.

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

    Along one axis of an image (each row smoothed):

    >>> B = convop.Convolution(np.ones(3) / 3, (2, 5), "same", axes=1)
    >>> B.kernel.shape, B.output_shape
    ((1, 3), (2, 5))
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
        axes: int | Sequence[int] | None = None,
    ) -> None:
        k = _validate.numeric_array(kernel, "kernel")
        full_shape = _validate.shape_tuple(input_shape, "input_shape")
        conv_axes = _validate.axes(axes, len(full_shape))
        if axes is not None and k.ndim == len(conv_axes) < len(full_shape):
            # a kernel for the convolved axes only: its axis j runs along axes[j]
            k = np.moveaxis(
                k.reshape(k.shape + (1,) * (len(full_shape) - k.ndim)),
                range(k.ndim),
                conv_axes,
            )
        if k.ndim != len(full_shape):
            raise ConvopValueError(
                f"kernel.ndim must equal len(input_shape) (or len(axes)); got "
                f"kernel.ndim={k.ndim} (shape {k.shape}), input_shape={full_shape} and "
                f"axes={axes!r}"
            )
        if k.size == 0:
            raise ConvopValueError(f"kernel must not be empty; got shape {k.shape}")
        batch_axes = tuple(i for i in range(len(full_shape)) if i not in conv_axes)
        for i in batch_axes:
            if k.shape[i] not in (1, full_shape[i]):
                raise ConvopValueError(
                    f"kernel must broadcast against the input along the axes not "
                    f"convolved (length 1 or equal); axis {i} has kernel length "
                    f"{k.shape[i]} and input length {full_shape[i]} (axes={axes!r})"
                )
        self.axes = tuple(sorted(conv_axes))
        self.mode = _validate.mode(mode)
        self.boundary = _validate.boundary(boundary)
        self.correlate = bool(correlate)
        requested = _validate.method(method, _validate.METHODS)
        dtype = compute_dtype(k.dtype)
        kern = np.array(k, dtype=dtype, copy=True)
        kern.setflags(write=False)
        self._kernel = kern
        # A kernel of length 1 along every axis not convolved makes the operator the
        # ordinary N-D convolution with that kernel (no padding, no extension along those
        # axes), which keeps every fast path and the spectral description. Only a kernel
        # that varies along them (one kernel per slice), or a 'valid' call that swaps the
        # operands along the convolved axes only, convolves with those axes moved last.
        conv_shape = tuple(full_shape[a] for a in self.axes)
        conv_kshape = tuple(kern.shape[a] for a in self.axes)
        per_slice = any(kern.shape[i] != 1 for i in batch_axes)
        mixed_swap = (
            self.mode == "valid"
            and _validate.valid_swap(conv_shape, conv_kshape) is True
            and any(full_shape[i] != 1 for i in batch_axes)
        )
        self._moved: tuple[tuple[int, ...], ...] | None = None
        if batch_axes and (per_slice or mixed_swap):
            nd = len(self.axes)
            self._moved = (self.axes, tuple(range(len(full_shape) - nd, len(full_shape))))
            shape = tuple(full_shape[i] for i in batch_axes) + conv_shape
            work = np.moveaxis(kern, *self._moved)
            batch = prod(full_shape[i] for i in batch_axes)
        else:
            nd, shape, work, batch = len(full_shape), full_shape, kern, 1
        self._nd = nd
        # the kernel actually convolved with (correlation = convolution with flipconj)
        self._ck = flip_conj(work, nd) if self.correlate else work
        kshape = work.shape[work.ndim - nd :]
        shape = shape[len(shape) - nd :]
        self._swap = False
        if self.mode == "full":
            out = tuple(n + q - 1 for n, q in zip(shape, kshape))
        elif self.mode == "same":
            out = shape
        else:
            swap = _validate.valid_swap(shape, kshape)
            if swap is None:
                raise ConvopValueError(
                    f"mode='valid' needs the input at least as large as the kernel along "
                    f"every convolved axis, or the kernel at least as large along every "
                    f"one; got input_shape={full_shape} and kernel shape {kern.shape}"
                )
            self._swap = swap
            out = tuple(abs(n - q) + 1 for n, q in zip(shape, kshape))
        if self._moved is None:
            full_out = out
        else:
            full_out_list = list(full_shape)
            for a, m in zip(self.axes, out):
                full_out_list[a] = m
            full_out = tuple(full_out_list)
        super().__init__(full_shape, full_out, dtype)
        self._exts = full_extensions(shape, kshape, self.boundary, self.mode)
        self._zero_full = self.mode == "full" and self.boundary == "zero"
        # one plan for each direction, resolved once: the adjoint convolves other shapes
        if self._swap:
            fwd, adj = (kshape, shape), (kshape, out)
        elif self._zero_full:
            fwd, adj = (tuple(e.size for e in self._exts), kshape), (out, kshape)
        else:
            ext = tuple(e.size for e in self._exts)
            fwd, adj = (ext, kshape), (tuple(m + 2 * (q - 1) for m, q in zip(out, kshape)), kshape)
        self._plan = resolve(requested, *fwd, batch, dtype)
        self.method = self._plan.method
        self._adjoint_plan = resolve(self.method, *adj, batch, dtype)
        if self._moved is None:
            self.structure = _structure.tag(
                nd,
                self.boundary,
                square_periodic=self.mode == "same",
                extended=self.mode != "valid",
            )
        else:  # block diagonal, one block per slice: no name in the Toeplitz vocabulary
            self.structure = "general"

    # -- properties -------------------------------------------------------------------------
    @property
    def kernel(self) -> np.ndarray:
        """The kernel (read-only view)."""
        return self._kernel

    def __repr__(self) -> str:
        if not hasattr(self, "_plan"):  # a constructor that raised part-way (debuggers repr it)
            return f"<{type(self).__name__} (not fully constructed)>"
        kind = "correlate" if self.correlate else "convolve"
        return (
            f"Convolution({kind}, kernel {self._kernel.shape}, input {self.input_shape} "
            f"-> output {self.output_shape}, mode={self.mode!r}, "
            f"boundary={self.boundary!r}, structure={self.structure!r}, "
            f"dtype={self.dtype}, method={self.method!r})"
        )

    # -- the map and its adjoint ------------------------------------------------------------
    def _moving(self, fn: Any, v: np.ndarray) -> np.ndarray:
        """``fn`` applied with the convolved axes moved last (per-slice kernels)."""
        assert self._moved is not None
        lead = v.ndim - len(self.input_shape)
        src = tuple(lead + a for a in self._moved[0])
        dst = tuple(lead + a for a in self._moved[1])
        return np.moveaxis(fn(np.moveaxis(v, src, dst)), dst, src)

    def _apply(self, x: np.ndarray) -> np.ndarray:
        if self._moved is not None:
            return self._moving(self._apply_trailing, x)
        return self._apply_trailing(x)

    def _adjoint(self, y: np.ndarray) -> np.ndarray:
        if self._moved is not None:
            return self._moving(self._adjoint_trailing, y)
        return self._adjoint_trailing(y)

    def _apply_trailing(self, x: np.ndarray) -> np.ndarray:
        nd, ck, plan = self._nd, _expand(self._ck, x), self._plan
        if self._swap:
            return _engines.valid(ck, x, nd, plan)
        if self._zero_full:
            return _engines.full(x, ck, nd, plan)
        return _engines.conv(x, ck, nd, plan, self._exts)

    def _adjoint_trailing(self, y: np.ndarray) -> np.ndarray:
        nd, plan = self._nd, self._adjoint_plan
        kadj = _expand(flip_conj(self._ck, nd), y)
        if self._swap:
            return _engines.valid(kadj, y, nd, plan)
        if self._zero_full:
            return _engines.valid(y, kadj, nd, plan)
        return extend_adjoint(_engines.full(y, kadj, nd, plan), self._exts)

    # -- matrices ---------------------------------------------------------------------------
    def _sparse(self) -> sp.coo_matrix:
        if self._moved is not None:
            return super()._sparse()
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
        if self._moved is not None:
            raise ConvopValueError(
                "kernel_operator needs a kernel of length 1 along the axes not convolved; "
                f"this Convolution has kernel shape {self.kernel.shape} with axes={self.axes}"
            )
        arr = self._check(x, self.input_shape, "x")
        return _KernelOperator(self, arr)

    def eigvals(self) -> np.ndarray:
        """Exact eigenvalues of a circulant operator, by one FFT.

        See :func:`convop.spectral.eigvals`.
        """
        return _spec.eigvals(self)

    def _spec_description(self) -> Spec:
        """``A = V E`` in the normal form of :mod:`convop._operators._spec`."""
        if self._moved is not None:
            raise ConvopValueError(
                "spectral analysis needs a kernel of length 1 along the axes not convolved "
                "(one kernel per slice is a block-diagonal operator); got kernel shape "
                f"{self.kernel.shape} with axes={self.axes}"
            )
        k = np.asarray(self.kernel)
        nd = k.ndim
        n = tuple(self.input_shape)
        # V convolves with ck (= kernel, or flip(conj(kernel)) for correlate): as a
        # correlation its taps are flip(ck) = kernel flipped, or conj(kernel).
        w = np.conj(k) if self.correlate else k[(slice(None, None, -1),) * nd]
        ks = k.shape
        if self.mode == "valid" and not all(m >= q for m, q in zip(n, ks)):
            # scipy swaps the operands: a zero-padded correlation with pads k − n
            index = tuple(
                np.pad(np.arange(m), (q - m, q - m), constant_values=-1) for m, q in zip(n, ks)
            )
        else:
            index = tuple(e.index for e in full_extensions(n, ks, self.boundary, self.mode))
        return Spec(
            w.reshape((1, 1) + ks),
            1,
            1,
            n,
            index,
            (1,) * nd,
            (1,) * nd,
            tuple(self.output_shape),
            False,
        )


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
        sp_x, ks, out = self._xp.shape[self._xp.ndim - nd :], conv.kernel.shape, conv.output_shape
        batch = prod(self._xbatch)
        if conv._swap:
            fwd, adj = (ks, sp_x), (tuple(m + 2 * (n - 1) for m, n in zip(out, sp_x)), sp_x)
        else:
            fwd, adj = (sp_x, ks), (sp_x, out)
        self._plan = resolve(conv.method, *fwd, batch, dtype)
        self._adjoint_plan = resolve(conv.method, *adj, batch, dtype)

    def _to_conv_kernel(self, k: np.ndarray) -> np.ndarray:
        return np.flip(k, axis=tuple(range(-self._nd, 0))) if self._conv.correlate else k

    def _apply(self, k: np.ndarray) -> np.ndarray:
        nd, nb = self._nd, len(self._xbatch)
        kb = k.shape[: k.ndim - nd]
        ck = self._to_conv_kernel(k).reshape(kb + (1,) * nb + k.shape[k.ndim - nd :])
        xp = self._xp.reshape((1,) * len(kb) + self._xp.shape)
        if self._conv._swap:
            return _engines.valid(ck, xp, nd, self._plan)
        return _engines.valid(xp, ck, nd, self._plan)

    def _adjoint(self, y: np.ndarray) -> np.ndarray:
        # k_adj[i] = Σ_j y[j] conj(xp[j + K − 1 − i]) = valid(flip(conj(xp)), y)
        nd, nb = self._nd, len(self._xbatch)
        yb = y.shape[: y.ndim - nd - nb]
        xr = flip_conj(self._xp, nd).reshape((1,) * len(yb) + self._xp.shape)
        if self._conv._swap:
            # y = valid(ck, x): the adjoint in ck is the full correlation of y with x
            out = _engines.full(y, xr, nd, self._adjoint_plan)
        else:
            out = _engines.valid(xr, y, nd, self._adjoint_plan)
        if nb:
            out = out.sum(axis=tuple(range(len(yb), len(yb) + nb)))
        return self._to_conv_kernel(out)
