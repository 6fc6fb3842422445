"""``resample(x, p, q)`` as MATLAB and GNU Octave compute it, on the polyphase engine."""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import numpy as np

from convop._core import caches
from convop._core.arrays import compute_dtype
from convop._core.errors import ConvopTypeError, invalid
from convop._core.operator import Operator
from convop.resampling._design import cached_filter, matlab_delay, octave_delay, rat
from convop.resampling._upfirdn import (
    _Map,
    apply_along,
    filter_array,
    positive_int,
    signal_array,
)

__all__ = ["DESIGNS", "Resample", "resample", "resample_ratio"]

#: accepted values of ``design``
DESIGNS = ("matlab", "octave")


def _check_n_beta(n: Any, beta: Any) -> tuple[int, float]:
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer, float, np.floating)):
        raise ConvopTypeError(f"n must be an integer >= 1; got {type(n).__name__}")
    if not np.isfinite(n) or n != int(n) or n < 1:
        raise invalid("n", n, "an integer >= 1 (the filter has 2·n·max(p, q) + 1 taps)")
    if isinstance(beta, (bool, np.bool_)) or not isinstance(
        beta, (int, np.integer, float, np.floating)
    ):
        raise ConvopTypeError(f"beta must be a real number >= 0; got {type(beta).__name__}")
    if not np.isfinite(beta) or beta < 0:
        raise invalid("beta", beta, "a finite real number >= 0 (Kaiser window parameter)")
    return int(n), float(beta)


def _setup(
    p: Any, q: Any, n: Any, beta: Any, filter: Any, design: Any
) -> tuple[int, int, np.ndarray, int]:
    """Checked, gcd-reduced ``(p, q)``, the filter (a private float copy) and the offset
    ``c`` of the polyphase map ``y[i] = Σ_j x[j] h[i·q + c − j·p]``."""
    if not isinstance(design, str) or design not in DESIGNS:
        raise invalid("design", design, DESIGNS)
    p = positive_int(p, "p")
    q = positive_int(q, "q")
    n, beta = _check_n_beta(n, beta)
    h_user = None if filter is None else filter_array(filter, "filter")
    g0 = math.gcd(p, q)
    p, q = p // g0, q // g0
    if p == q:
        return p, q, np.ones(1), 0
    if h_user is not None:
        h = np.array(h_user, dtype=np.result_type(h_user.dtype, np.float64), copy=True)
    else:
        key = (n, beta) if design == "matlab" else (0, 0.0)
        h = cached_filter(design, p, q, *key)
    # MATLAB: nz leading zeros so that downsampling hits the centre tap, then `delay`
    # outputs dropped; computing y[i] = full[i + delay] directly needs neither
    nz, delay = (matlab_delay if design == "matlab" else octave_delay)(h.shape[0], q)
    return p, q, h, delay * q - nz


@lru_cache(maxsize=16)
def _cached_map(design: str, p: int, q: int, n: int, beta: float, n_in: int) -> _Map:
    """The polyphase map of a built-in design for inputs of length ``n_in`` (memoised)."""
    p, q, h, offset = _setup(p, q, n, beta, None, design)
    return _Map(h, n_in, p, q, offset, -((-n_in * p) // q))


caches.register(
    "resampling.plans",
    _cached_map.cache_clear,
    lambda: _cached_map.cache_info().currsize,
    on_constants=False,
)


def resample(
    x: Any,
    p: int,
    q: int,
    *,
    axis: int = -1,
    n: int = 10,
    beta: float = 5.0,
    filter: Any = None,
    design: str = "matlab",
    return_filter: bool = False,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Resample ``x`` by the rational factor ``p/q``, as MATLAB's or Octave's ``resample``.

    ``p`` and ``q`` are reduced by their gcd, ``x`` is upsampled by ``p``, filtered
    by an anti-aliasing FIR and downsampled by ``q`` (one polyphase pass), and the
    output is shifted so that it is aligned with the input in time: output sample
    ``i`` sits at input time ``i·q/p``.

    Parameters
    ----------
    x : (..., N, ...) array_like
        Real or complex signal; every axis but ``axis`` is a batch.
    p, q : int
        Up and down factors (positive integers; integral floats are accepted).
    axis : int
        Axis to resample.
    n : int
        ``design="matlab"``: filter half-length in units of ``max(p, q)``
        (MATLAB's ``n``): ``2·n·max(p, q) + 1`` taps.
    beta : float
        ``design="matlab"``: Kaiser window parameter (MATLAB's ``beta``).
    filter : (L,) array_like, optional
        A custom FIR, used as given (not rescaled), like MATLAB's
        ``resample(x, p, q, b)``; ``n`` and ``beta`` are then unused.
    design : {"matlab", "octave"}
        ``"matlab"``: MATLAB's documented filter (least-squares low-pass with cut-off
        ``1/max(p, q)`` of Nyquist, Kaiser window, taps summing to ``p``) and delay
        rule. ``"octave"``: GNU Octave's signal package (Kaiser-windowed sinc from a
        60 dB spec: ``2·ceil(52·20·max(p, q)/28.714) + 1`` taps, β = 5.653); with
        ``filter=`` it selects Octave's delay rule (which differs from MATLAB's
        only for even-length filters).
    return_filter : bool
        Also return the filter, like ``[y, b] = resample(...)``.

    Returns
    -------
    y : ndarray
        Length ``ceil(N·p/q)`` along ``axis``. Float inputs keep their precision
        (float32 stays float32, computed with the float64 design rounded to
        float32); integers give float64.
    h : (L,) ndarray
        The filter (float64 for the built-in designs), when ``return_filter``.
        For ``p == q`` the signal is returned as a copy and ``h`` is ``[1.0]``
        (MATLAB's early return).

    Raises
    ------
    ConvopValueError
        ``p`` or ``q`` not positive integers, empty ``x``, ``n < 1``, ``beta < 0``,
        an unknown ``design``, a ``filter`` that is not 1-D or is empty, ``axis`` out
        of range.

    See Also
    --------
    resample_ratio : the same with ``p/q`` found from a float ratio (MATLAB's ``rat``).
    upfirdn : the engine.
    scipy.signal.resample_poly : equal to ``design="matlab"`` for the defaults when
        given ``window=("kaiser", 5.0)``.

    Notes
    -----
    With ``h`` of length ``L`` and ``Lhalf = (L − 1)/2``, MATLAB prepends
    ``nz = floor(q − mod(Lhalf, q))`` zeros, drops the first
    ``floor(ceil(Lhalf + nz)/q)`` outputs of ``upfirdn`` and keeps ``ceil(N·p/q)``.
    Here the same samples are computed directly (no zero taps are stored and no
    dropped output is computed). Octave drops ``floor((Lhalf + nz)/q)``.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.cos(2 * np.pi * 0.05 * np.arange(40))
    >>> y = resample(x, 3, 2)
    >>> y.shape
    (60,)
    >>> t = np.arange(20, 40) * 2 / 3  # input time of outputs 20..39
    >>> print(f"{np.abs(y[20:40] - np.cos(2 * np.pi * 0.05 * t)).max():.1e}")
    1.5e-03
    >>> y, h = resample(x, 3, 2, return_filter=True)
    >>> h.shape, round(float(h.sum()), 12)
    ((61,), 3.0)
    """
    x_arr, ax = signal_array(x, axis)
    p, q, h, offset = _setup(p, q, n, beta, filter, design)
    dtype = compute_dtype(x_arr.dtype)
    if p == q:
        y = np.array(x_arr, dtype=dtype, copy=True)
        return (y, np.ones(1)) if return_filter else y
    if h.dtype.kind == "c":
        dtype = np.result_type(dtype, np.complex64)
    n_in = x_arr.shape[ax]
    if filter is None:  # built-in design: reuse the plan for signals of the same length
        # (n, beta were checked by _setup; Octave's design has neither)
        key = (int(n), float(beta)) if design == "matlab" else (10, 5.0)
        m = _cached_map(design, p, q, *key, n_in)
    else:
        m = _Map(h, n_in, p, q, offset, -((-n_in * p) // q))
    y = apply_along(x_arr, ax, lambda v: m(v, dtype))
    return (y, h.copy()) if return_filter else y


def resample_ratio(
    x: Any, ratio: float, tol: float | None = None, **kwargs: Any
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Resample by a float ``ratio`` (new rate / old rate), with ``p/q`` from MATLAB's ``rat``.

    ``[p, q] = rat(ratio, tol)`` (nearest-integer continued fraction, stopping at
    the first convergent within ``tol``; default ``tol = 1e-6·ratio``), then
    :func:`resample` ``(x, p, q, **kwargs)``.

    Parameters
    ----------
    x : array_like
        Signal.
    ratio : float
        Positive, finite resampling ratio, e.g. ``48000 / 44100``.
    tol : float, optional
        Tolerance of the rational approximation (positive).
    **kwargs
        Passed to :func:`resample` (``axis``, ``n``, ``beta``, ``filter``, ``design``,
        ``return_filter``).

    Returns
    -------
    ndarray or (ndarray, ndarray)
        As :func:`resample`.

    Examples
    --------
    >>> import numpy as np
    >>> resample_ratio(np.ones(441), 48000 / 44100).shape
    (480,)
    >>> rat(48000 / 44100)
    (160, 147)
    """
    if isinstance(ratio, (bool, np.bool_)) or not isinstance(
        ratio, (int, float, np.integer, np.floating)
    ):
        raise ConvopTypeError(f"ratio must be a positive real number; got {type(ratio).__name__}")
    if not np.isfinite(ratio) or ratio <= 0:
        raise invalid("ratio", ratio, "a positive finite real number (new rate / old rate)")
    if tol is not None and (
        isinstance(tol, (bool, np.bool_))
        or not isinstance(tol, (int, float, np.integer, np.floating))
        or not np.isfinite(tol)
        or tol <= 0
    ):
        raise invalid("tol", tol, "a positive finite real number or None")
    p, q = rat(float(ratio), None if tol is None else float(tol))
    if p < 1:
        raise invalid(
            "ratio", ratio, f"a ratio whose rational approximation is positive (rat gave {p}/{q})"
        )
    return resample(x, p, q, **kwargs)


class Resample(Operator):
    """``x ↦ resample(x, p, q, ...)`` on signals of length ``length``, as an exact operator.

    The same map as :func:`resample` (same filter, delay and output length
    ``ceil(length·p/q)``), with entries ``A[i, j] = h[i·q + c − j·p]`` where ``c`` is
    the delay offset, and the exact adjoint ``(Aᴴ y)[j] = Σ_i conj(h[i·q + c − j·p]) y[i]``
    computed by the same polyphase engine (reversed conjugate filter, ``p`` and ``q``
    exchanged), so it can be handed to least-squares solvers.

    Parameters
    ----------
    length : int
        Length of one input signal.
    p, q, n, beta, filter, design
        As in :func:`resample`.

    Examples
    --------
    >>> import numpy as np
    >>> A = Resample(100, 3, 2)
    >>> A.shape
    (150, 100)
    >>> x = np.random.default_rng(0).standard_normal(100)
    >>> bool(np.allclose(A @ x, resample(x, 3, 2)))
    True
    """

    def __init__(
        self,
        length: int,
        p: int,
        q: int,
        *,
        n: int = 10,
        beta: float = 5.0,
        filter: Any = None,
        design: str = "matlab",
    ) -> None:
        length = positive_int(length, "length")
        p, q, h, c = _setup(p, q, n, beta, filter, design)
        n_out = -((-length * p) // q)
        super().__init__((length,), (n_out,), compute_dtype(h.dtype))
        self._h = h.view()
        self._h.setflags(write=False)
        self._p, self._q = p, q
        self._fwd = _Map(h, length, p, q, c, n_out)
        self._adj = _Map(np.conj(h[::-1]).copy(), n_out, q, p, h.shape[0] - 1 - c, length)

    @property
    def h(self) -> np.ndarray:
        """The filter (read-only; ``[1.0]`` when ``p == q``)."""
        return self._h

    @property
    def pq(self) -> tuple[int, int]:
        """The reduced factors ``(p, q)``."""
        return self._p, self._q

    def _apply(self, x: np.ndarray) -> np.ndarray:
        return self._fwd(x, x.dtype)

    def _adjoint(self, y: np.ndarray) -> np.ndarray:
        return self._adj(y, y.dtype)
