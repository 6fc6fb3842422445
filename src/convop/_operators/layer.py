"""``ConvLayer``: multichannel cross-correlation with torch.nn.functional.conv*d semantics."""

from __future__ import annotations

import itertools
from math import prod
from typing import Any

import numpy as np
import scipy.sparse as sp

from convop._core import structure as _structure
from convop._core import validate as _validate
from convop._core.arrays import compute_dtype
from convop._core.errors import ConvopValueError, invalid
from convop._core.extension import AxisExtension, extend, extend_adjoint, extension_matrix
from convop._core.operator import Operator
from convop._engines import kernel_grad as _kernel_grad
from convop._engines import layer as _layer_backends
from convop._operators import _spec
from convop._operators._spec import Spec
from convop._planning.layer import layer_plan

__all__ = ["ConvLayer"]


class ConvLayer(Operator):
    r"""A multichannel convolution layer as an exact linear operator (no bias).

    Same semantics as :func:`torch.nn.functional.conv1d` / ``conv2d`` / ``conv3d``
    (cross-correlation), chosen by ``weight.ndim``, in pure NumPy.

    Parameters
    ----------
    weight : (C_out, C_in/groups, K1[, K2[, K3]]) array_like
        Filters.
    input_shape : tuple of int
        ``(C_in, *spatial)``; inputs may be batched ``(N, C_in, *spatial)``.
    stride, dilation : int or tuple of int
        Per spatial axis, >= 1.
    padding : int, tuple, 'same' or 'valid'
        As torch (an int or one int per axis pads both sides); ``(left, right)``
        pairs are also accepted. ``'same'`` pads d·(k−1) with the odd sample on the
        right, like torch.
    groups : int
        Divides C_in and C_out.
    boundary : {'zero', 'periodic', 'reflect', 'symmetric', 'replicate'}
        How the padding is filled, as torch's ``padding_mode`` (zeros, circular,
        reflect, replicate); ``symmetric`` pads like ``numpy.pad(mode='symmetric')``.
        Padding wider than torch allows follows ``numpy.pad``.
    method : {'auto', 'direct', 'gemm', 'fft'}
        Algorithm of the forward map and its adjoint. ``auto`` asks the cost model
        (:func:`convop.choose_method`) once per batch size (:meth:`method_for`;
        :attr:`method` is the choice for one input): ``direct`` is torch's native
        convolution when the caller has imported torch (else one matmul per tap),
        ``gemm`` im2col + one matmul, ``fft`` per-frequency channel contraction.

    Notes
    -----
    ``y[n, o, j] = Σ_c Σ_t w[o, c, t] · xp[n, g·C_in/groups + c, s·j + d·t]`` with xp the
    padded input. The adjoint is computed exactly for every stride (a transposed
    convolution plus the fold-back of the padding, with the right output size).

    Examples
    --------
    >>> import numpy as np, convop
    >>> w = np.ones((2, 1, 3))
    >>> A = convop.ConvLayer(w, (1, 5), padding=1, boundary="periodic")
    >>> A.output_shape
    (2, 5)
    >>> A(np.arange(5.0).reshape(1, 5))[0].tolist()
    [5.0, 3.0, 6.0, 9.0, 7.0]
    >>> round(convop.dottest(A, rng=0), 12)
    0.0
    """

    def __init__(
        self,
        weight: Any,
        input_shape: Any,
        *,
        stride: Any = 1,
        padding: Any = 0,
        dilation: Any = 1,
        groups: int = 1,
        boundary: str = "zero",
        method: str = "auto",
    ) -> None:
        w = _validate.numeric_array(weight, "weight")
        if w.ndim < 3:
            raise ConvopValueError(
                f"weight must have shape (C_out, C_in/groups, *kernel) with at least one "
                f"spatial axis; got shape {w.shape}"
            )
        if w.size == 0:
            raise ConvopValueError(f"weight must not be empty; got shape {w.shape}")
        shape = _validate.shape_tuple(input_shape, "input_shape")
        d = w.ndim - 2
        if len(shape) != d + 1:
            raise ConvopValueError(
                f"input_shape must be (C_in, *spatial) with {d} spatial axes for a weight of "
                f"shape {w.shape}; got input_shape={shape}"
            )
        if not isinstance(groups, (int, np.integer)) or isinstance(groups, bool) or groups < 1:
            raise invalid("groups", groups, "a positive int")
        groups = int(groups)
        c_out, c_in_g = w.shape[:2]
        c_in = shape[0]
        _validate.channel_groups(groups, c_in, w.shape)
        self.stride = _validate.int_tuple(stride, d, "stride")
        self.dilation = _validate.int_tuple(dilation, d, "dilation")
        kshape = w.shape[2:]
        self.padding = _validate.padding_pairs(padding, kshape, self.dilation, self.stride)
        self.groups = groups
        self.boundary = _validate.boundary(boundary)
        requested = _validate.method(method, _validate.LAYER_METHODS)
        spatial = shape[1:]
        out = []
        for n, (l, r), k, s, dl in zip(spatial, self.padding, kshape, self.stride, self.dilation):
            span = n + l + r - dl * (k - 1)
            if span < 1:
                raise ConvopValueError(
                    f"the padded input ({n} + {l} + {r}) is smaller than the dilated kernel "
                    f"({dl}*({k}-1)+1) for input_shape={shape}, padding={padding!r}"
                )
            out.append((span - 1) // s + 1)
        dtype = compute_dtype(w.dtype)
        weight_arr = np.array(w, dtype=dtype, copy=True)
        weight_arr.setflags(write=False)
        self._weight = weight_arr
        self._d = d
        self._exts = tuple(
            AxisExtension(n, l, r, self.boundary) for n, (l, r) in zip(spatial, self.padding)
        )
        super().__init__(shape, (c_out,) + tuple(out), dtype)
        # per tap: (g, C_out/g, C_in/g) blocks
        self._wt = weight_arr.reshape((groups, c_out // groups, c_in_g) + kshape)
        self._auto = requested == "auto"
        self._batch_methods: dict[int, str] = {}
        self.method = self._plan(1) if self._auto else requested
        single = c_in == 1 and c_out == 1 and all(s == 1 for s in self.stride)
        if single:
            self.structure = _structure.tag(
                d,
                self.boundary,
                square_periodic=tuple(out) == spatial,
                extended=any(l or r for l, r in self.padding),
            )
        else:
            self.structure = "general"

    def _plan(self, batch: int) -> str:
        padded = tuple(e.size for e in self._exts)
        c_out, c_in = self.output_shape[0], self.input_shape[0]
        lead = (batch,) if batch > 1 else ()
        return layer_plan(
            lead + (c_in,) + padded,
            self._weight.shape,
            self.dtype,
            channels=(c_in, c_out),
            stride=self.stride,
            dilation=self.dilation,
            groups=self.groups,
        )

    def method_for(self, batch: int) -> str:
        """The method that runs ``batch`` inputs at once: :attr:`method` (the choice for
        one input) unless the layer was built with ``method='auto'``, which plans every
        batch size once (per-input costs differ: the FFT transforms the filters once per
        call, whatever the batch).

        Examples
        --------
        >>> import numpy as np, convop
        >>> L = convop.ConvLayer(np.ones((4, 4, 3, 3)), (4, 16, 16), padding=1, method="gemm")
        >>> L.method_for(32)
        'gemm'
        """
        if not self._auto or batch <= 1:
            return self.method
        got = self._batch_methods.get(batch)
        if got is None:
            got = self._plan(batch)
            if len(self._batch_methods) < 64:
                self._batch_methods[batch] = got
        return got

    @property
    def weight(self) -> np.ndarray:
        """The filters (read-only)."""
        return self._weight

    @property
    def kernel(self) -> np.ndarray:
        """Alias of :attr:`weight`."""
        return self._weight

    def __repr__(self) -> str:
        return (
            f"ConvLayer(weight {self._weight.shape}, input {self.input_shape} -> output "
            f"{self.output_shape}, stride={self.stride}, padding={self.padding}, "
            f"dilation={self.dilation}, groups={self.groups}, boundary={self.boundary!r}, "
            f"structure={self.structure!r}, dtype={self.dtype}, method={self.method!r})"
        )

    # -- geometry ---------------------------------------------------------------------------
    def _tap_slices(self, tap: tuple[int, ...]) -> tuple[slice, ...]:
        return tuple(
            slice(t * dl, t * dl + s * (m - 1) + 1, s)
            for t, dl, s, m in zip(tap, self.dilation, self.stride, self.output_shape[1:])
        )

    def _taps(self):
        return itertools.product(*(range(k) for k in self._weight.shape[2:]))

    def _grouped(self, xp: np.ndarray, tap: tuple[int, ...]) -> np.ndarray:
        """Strided window of the padded input for one tap: (..., g, C_in/g, P)."""
        win = xp[(Ellipsis, slice(None)) + self._tap_slices(tap)]
        lead = win.shape[: win.ndim - self._d - 1]
        return win.reshape(lead + (self.groups, -1, prod(self.output_shape[1:])))

    # -- the map and its adjoint ------------------------------------------------------------
    def _apply(self, x: np.ndarray) -> np.ndarray:
        return _layer_backends.apply(self, x)

    def _adjoint(self, y: np.ndarray) -> np.ndarray:
        padded = (self.input_shape[0],) + tuple(e.size for e in self._exts)
        method = self.method_for(y.size // prod(self.output_shape))
        xp = _layer_backends.ADJOINT[method](self, y, padded)
        return extend_adjoint(xp, self._exts)

    # -- matrices ---------------------------------------------------------------------------
    def _sparse(self) -> sp.coo_matrix:
        d, g = self._d, self.groups
        c_out, c_in_g = self._weight.shape[:2]
        co_g = c_out // g
        out_sp = self.output_shape[1:]
        padded = tuple(e.size for e in self._exts)
        npad, nout = prod(padded), prod(out_sp)
        grid = np.indices(out_sp).reshape(d, -1)
        o = np.arange(c_out)[:, None, None]
        c = (o // co_g) * c_in_g + np.arange(c_in_g)[None, :, None]
        r_all, c_all, v_all = [], [], []
        for tap in self._taps():
            src = (
                grid * np.array(self.stride)[:, None]
                + (np.array(tap) * np.array(self.dilation))[:, None]
            )
            pos = np.ravel_multi_index(tuple(src), padded)[None, None, :]
            rows = o * nout + np.arange(nout)[None, None, :]
            cols = c * npad + pos
            vals = self._weight[(slice(None), slice(None)) + tap][:, :, None]
            shape = (c_out, c_in_g, nout)
            r_all.append(np.broadcast_to(rows, shape).ravel())
            c_all.append(np.broadcast_to(cols, shape).ravel())
            v_all.append(np.broadcast_to(vals, shape).ravel())
        conv = sp.coo_matrix(
            (np.concatenate(v_all), (np.concatenate(r_all), np.concatenate(c_all))),
            shape=(c_out * nout, self.input_shape[0] * npad),
        ).tocsr()
        ext = sp.kron(
            sp.identity(self.input_shape[0], format="csr"),
            extension_matrix(self._exts),
            format="csr",
        )
        mat = (conv @ ext).tocoo()
        mat.sum_duplicates()
        return mat

    # -- related operators ------------------------------------------------------------------
    def kernel_operator(self, x: Any) -> Operator:
        """The layer as a linear map of its weight, for a fixed input ``x``.

        Parameters
        ----------
        x : (..., C_in, *spatial) array_like
            Fixed input, batch dimensions allowed.

        Returns
        -------
        Operator
            Maps weights of shape ``weight.shape`` to ``x.shape[:-ndim] + output_shape``;
            its adjoint applied to dL/dy is torch's weight gradient (summed over the batch).

        Examples
        --------
        >>> import numpy as np, convop
        >>> A = convop.ConvLayer(np.ones((1, 1, 2)), (1, 4))
        >>> B = A.kernel_operator(np.arange(4.0).reshape(1, 4))
        >>> B.adjoint(np.ones((1, 3))).tolist()
        [[[3.0, 6.0]]]
        """
        arr = self._check(x, self.input_shape, "x")
        return _LayerKernelOperator(self, arr)

    def eigvals(self) -> np.ndarray:
        """Exact eigenvalues of a circulant operator, by one FFT.

        See :func:`convop.spectral.eigvals`.
        """
        return _spec.eigvals(self)

    def _spec_description(self) -> Spec:
        """``A = V E`` in the normal form of :mod:`convop._operators._spec`."""
        n = tuple(self.input_shape[1:])
        index = tuple(
            AxisExtension(m, l, r, self.boundary).index for m, (l, r) in zip(n, self.padding)
        )
        return Spec(
            np.asarray(self.weight),
            int(self.groups),
            int(self.input_shape[0]),
            n,
            index,
            tuple(self.stride),
            tuple(self.dilation),
            tuple(self.output_shape[1:]),
            True,
        )


class _LayerKernelOperator(Operator):
    """w ↦ layer(x; w) for a fixed, batched x, by the layer's own method (see
    :mod:`convop._engines.kernel_grad`)."""

    def __init__(self, layer: ConvLayer, x: np.ndarray) -> None:
        self._layer = layer
        d = layer._d
        self._xbatch = x.shape[: x.ndim - d - 1]
        dtype = np.result_type(layer.dtype, x.dtype)
        super().__init__(layer.weight.shape, self._xbatch + layer.output_shape, dtype)
        self._xp = extend(x.astype(dtype, copy=False), layer._exts)
        self._xp.setflags(write=False)

    def _apply(self, w: np.ndarray) -> np.ndarray:
        L = self._layer
        nw = L.weight.ndim
        wb = w.shape[: w.ndim - nw]
        ws = w.reshape((-1,) + L.weight.shape).astype(
            np.result_type(self.dtype, w.dtype), copy=False
        )
        out = [_kernel_grad.apply_weight(L, self._xp, wi) for wi in ws]
        return np.stack(out).reshape(wb + self._xbatch + L.output_shape)

    def _adjoint(self, y: np.ndarray) -> np.ndarray:
        L = self._layer
        ny = len(self._xbatch) + L._d + 1
        yb = y.shape[: y.ndim - ny]
        ys = y.reshape((-1,) + y.shape[y.ndim - ny :]).astype(
            np.result_type(self.dtype, y.dtype), copy=False
        )
        grads = [_kernel_grad.weight_gradient(L, self._xp, yi) for yi in ys]
        return np.stack(grads).reshape(yb + L.weight.shape)
