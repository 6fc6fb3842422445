"""``upfirdn`` with scipy's semantics, as a function and as an exact linear operator."""

from __future__ import annotations

from typing import Any

import numpy as np

from convop._core.arrays import compute_dtype
from convop._core.errors import ConvopTypeError, ConvopValueError, invalid
from convop._core.operator import Operator
from convop._core.validate import numeric_array
from convop.resampling._polyphase import Plan, plan, polyphase, upfirdn_length

__all__ = ["Upfirdn", "upfirdn"]


# -- argument checks shared by the package ------------------------------------------------
def positive_int(value: Any, name: str) -> int:
    """``value`` as a Python int >= 1; integral floats (MATLAB's doubles) are accepted."""
    if isinstance(value, (bool, np.bool_)):
        raise invalid(name, value, "a positive integer")
    if isinstance(value, (int, np.integer)):
        out = int(value)
    elif isinstance(value, (float, np.floating)):
        if not np.isfinite(value) or value != int(value):
            raise invalid(name, value, "a positive integer")
        out = int(value)
    else:
        raise ConvopTypeError(f"{name} must be a positive integer; got {type(value).__name__}")
    if out < 1:
        raise invalid(name, value, "a positive integer")
    return out


def filter_array(h: Any, name: str = "h") -> np.ndarray:
    """A non-empty 1-D numeric filter (a copy is never made here)."""
    arr = numeric_array(h, name)
    if arr.ndim != 1:
        raise ConvopValueError(f"{name} must be a 1-D filter; got an array of shape {arr.shape}")
    if arr.shape[0] == 0:
        raise ConvopValueError(f"{name} must have at least one tap; got an empty array")
    return arr


def axis_index(axis: Any, ndim: int) -> int:
    if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, (int, np.integer)):
        raise ConvopTypeError(f"axis must be an int; got {axis!r}")
    if not -ndim <= int(axis) < ndim:
        raise invalid("axis", axis, f"an int in [{-ndim}, {ndim - 1}] for a {ndim}-D x")
    return int(axis) % ndim


def signal_array(x: Any, axis: Any, name: str = "x") -> tuple[np.ndarray, int]:
    arr = numeric_array(x, name)
    if arr.ndim == 0:
        raise ConvopValueError(f"{name} must have at least one dimension; got a scalar")
    ax = axis_index(axis, arr.ndim)
    if arr.size == 0:
        raise ConvopValueError(f"{name} must not be empty; got shape {arr.shape}")
    return arr, ax


# -- the map on arrays, real and complex ----------------------------------------------------
class _Map:
    """One polyphase map ``out[i] = Σ_j x[j] g[i·down + c − j·up]``; plans cached per dtype.

    A complex signal through a real filter (or the reverse) runs as two real maps,
    which is half the arithmetic of a complex GEMM.
    """

    def __init__(self, g: np.ndarray, n_in: int, up: int, down: int, c: int, n_out: int):
        self.g, self.n_in, self.up, self.down, self.c, self.n_out = g, n_in, up, down, c, n_out
        self._plans: dict[tuple[str, str], Plan] = {}

    def _plan(self, part: str, dtype: np.dtype) -> Plan:
        key = (part, dtype.str)
        pl = self._plans.get(key)
        if pl is None:
            g = {"all": self.g, "re": self.g.real, "im": self.g.imag}[part]
            g = np.ascontiguousarray(g, dtype=dtype)
            pl = plan(g, self.n_in, self.up, self.down, self.c, self.n_out)
            self._plans[key] = pl
        return pl

    def __call__(self, x: np.ndarray, dtype: np.dtype) -> np.ndarray:
        """``x`` along its last axis; the result has ``dtype`` (float or complex)."""
        g_c = self.g.dtype.kind == "c"
        x_c = x.dtype.kind == "c"
        if g_c == x_c:
            return polyphase(x.astype(dtype, copy=False), self._plan("all", dtype))
        real = np.empty(0, dtype).real.dtype
        out = np.empty(x.shape[:-1] + (self.n_out,), dtype=dtype)
        if x_c:  # real filter, complex signal
            pl = self._plan("all", real)
            out.real = polyphase(x.real.astype(real, copy=False), pl)
            out.imag = polyphase(x.imag.astype(real, copy=False), pl)
        else:  # complex filter, real signal
            xr = x.astype(real, copy=False)
            out.real = polyphase(xr, self._plan("re", real))
            out.imag = polyphase(xr, self._plan("im", real))
        return out


def apply_along(x: np.ndarray, axis: int, fn: Any) -> np.ndarray:
    """``fn`` applied along ``axis`` (moved last and back)."""
    if axis == x.ndim - 1:
        return fn(x)
    return np.moveaxis(fn(np.moveaxis(x, axis, -1)), -1, axis)


# -- public ---------------------------------------------------------------------------------
def upfirdn(h: Any, x: Any, up: int = 1, down: int = 1, axis: int = -1) -> np.ndarray:
    """Upsample, FIR filter and downsample, with :func:`scipy.signal.upfirdn`'s semantics.

    ``y = downsample(convolve(upsample(x, up), h), down)`` along ``axis``, computed
    by a polyphase engine that never forms the upsampled signal:

    .. math:: y[m] = \\sum_j x[j]\\, h[m\\,\\mathrm{down} - j\\,\\mathrm{up}]

    Parameters
    ----------
    h : (L,) array_like
        FIR filter (real or complex).
    x : (..., N, ...) array_like
        Signal; every other axis is a batch.
    up, down : int
        Upsampling and downsampling factors (positive integers).
    axis : int
        Axis of ``x`` to filter.

    Returns
    -------
    ndarray
        Length ``((N − 1)·up + L − 1)//down + 1`` along ``axis``; dtype is the
        floating result type of ``h`` and ``x`` (integers in float64, float32 stays
        float32).

    Raises
    ------
    ConvopValueError
        ``h`` not 1-D or empty, ``x`` empty, ``up``/``down`` not positive integers,
        ``axis`` out of range.

    See Also
    --------
    Upfirdn : the same map as an operator with an exact adjoint.
    resample : MATLAB-compatible rational resampling built on this engine.

    Examples
    --------
    >>> import numpy as np
    >>> upfirdn([1.0, 1.0, 1.0], [1.0, 1.0, 1.0], up=3).tolist()
    [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]
    >>> upfirdn([1.0], np.arange(8.0), down=3).tolist()
    [0.0, 3.0, 6.0]
    """
    h_arr = filter_array(h, "h")
    x_arr, ax = signal_array(x, axis)
    up = positive_int(up, "up")
    down = positive_int(down, "down")
    dtype = compute_dtype(x_arr.dtype, h_arr.dtype)
    n = x_arr.shape[ax]
    n_out = upfirdn_length(n, h_arr.shape[0], up, down)
    m = _Map(h_arr, n, up, down, 0, n_out)
    return apply_along(x_arr, ax, lambda v: m(v, dtype))


class Upfirdn(Operator):
    """The linear map ``x ↦ upfirdn(h, x, up, down)`` on signals of length ``n``.

    Its matrix has entries ``A[m, j] = h[m·down − j·up]`` (zero outside the filter),
    shape ``(((n − 1)·up + L − 1)//down + 1, n)``. The adjoint is exact:

    .. math:: (A^H y)[j] = \\sum_m \\overline{h[m\\,\\mathrm{down} - j\\,\\mathrm{up}]}\\, y[m],

    i.e. upsample ``y`` by ``down``, correlate with ``h`` and downsample by
    ``up`` (the same polyphase engine with the reversed conjugate filter), so
    ``⟨A x, y⟩ = ⟨x, Aᴴ y⟩`` to round-off.

    Parameters
    ----------
    h : (L,) array_like
        FIR filter.
    n : int
        Length of one input signal (leading axes of ``x`` are a batch).
    up, down : int
        Upsampling and downsampling factors.

    Examples
    --------
    >>> import numpy as np
    >>> A = Upfirdn([1.0, 0.5], 4, up=2)
    >>> A.shape
    (8, 4)
    >>> A.apply(np.array([1.0, 0.0, 0.0, 2.0])).tolist()
    [1.0, 0.5, 0.0, 0.0, 0.0, 0.0, 2.0, 1.0]
    >>> A.adjoint(np.ones(8)).tolist()
    [1.5, 1.5, 1.5, 1.5]
    """

    def __init__(self, h: Any, n: int, up: int = 1, down: int = 1) -> None:
        h_arr = filter_array(h, "h")
        n = positive_int(n, "n")
        up = positive_int(up, "up")
        down = positive_int(down, "down")
        dtype = compute_dtype(h_arr.dtype)
        self._h = np.array(h_arr, dtype=dtype)  # private copy: the caller may mutate theirs
        self._h.setflags(write=False)
        self._up, self._down = up, down
        lh = self._h.shape[0]
        n_out = upfirdn_length(n, lh, up, down)
        super().__init__((n,), (n_out,), dtype)
        if up == down == 1:
            self.structure = "toeplitz"
        self._fwd = _Map(self._h, n, up, down, 0, n_out)
        self._adj = _Map(np.conj(self._h[::-1]).copy(), n_out, down, up, lh - 1, n)

    @property
    def h(self) -> np.ndarray:
        """The filter (read-only)."""
        return self._h

    @property
    def up(self) -> int:
        """Upsampling factor."""
        return self._up

    @property
    def down(self) -> int:
        """Downsampling factor."""
        return self._down

    def _apply(self, x: np.ndarray) -> np.ndarray:
        return self._fwd(x, x.dtype)

    def _adjoint(self, y: np.ndarray) -> np.ndarray:
        return self._adj(y, y.dtype)
