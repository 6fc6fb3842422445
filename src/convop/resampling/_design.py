"""Anti-aliasing filters and delay rules of MATLAB's and GNU Octave's ``resample``.

MATLAB (documented algorithm of ``resample(x, p, q, n, beta)``)::

    L  = 2·n·max(p, q) + 1
    h  = firls(L − 1, [0 2fc 2fc 1], [1 1 0 0]) .* kaiser(L, beta),  fc = 1/(2·max(p, q))
    h  = p · h / sum(h)

``firls`` with bands that cover [0, 1] at unit weight is the truncated ideal
low-pass ``2fc·sinc(2fc·t)`` (truncating the Fourier series is the least-squares
optimum), which is what is computed here in closed form.

GNU Octave (signal package 1.4.x) instead designs from a 60 dB rejection spec
with a transition width of a tenth of the cut-off, using Kaiser's empirical
length and β formulas (Oppenheim–Schafer eq. 7.62/7.63)::

    fc = 1/(2·max(p, q)),  Δf = fc/10,  A = 60
    L  = ceil((A − 8)/(28.714·Δf))            (half length: 2L + 1 taps)
    β  = 0.1102·(A − 8.7) = 5.65326
    h  = 2·p·fc·sinc(2·fc·t) .* kaiser(2L + 1, β),   t = −L..L

(not normalised to sum p: its DC gain is p only up to the window's ripple).
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from scipy.special import i0

from convop._core import caches

__all__ = [
    "OCTAVE_BETA",
    "kaiser",
    "matlab_delay",
    "matlab_filter",
    "octave_delay",
    "octave_filter",
    "rat",
]

#: Octave's stop-band rejection (dB) and the β its Kaiser formula gives for it
OCTAVE_REJECTION_DB = 60.0
OCTAVE_BETA = 0.1102 * (OCTAVE_REJECTION_DB - 8.7)


def kaiser(m: int, beta: float) -> np.ndarray:
    """Symmetric Kaiser window of ``m`` points, ``I0(β·sqrt(1 − (2k/(m−1) − 1)²)) / I0(β)``.

    Examples
    --------
    >>> kaiser(5, 0.0).tolist()
    [1.0, 1.0, 1.0, 1.0, 1.0]
    >>> bool(np.isclose(kaiser(3, 5.0)[1], 1.0))
    True
    """
    if m == 1:
        return np.ones(1)
    k = np.arange(m, dtype=np.float64)
    n = m - 1
    arg = 2.0 * beta / n * np.sqrt(k * (n - k))
    return i0(arg) / i0(beta)


def _sinc_lowpass(half: int, fc: float) -> np.ndarray:
    """``2·fc·sinc(2·fc·t)`` for ``t = −half..half`` (exactly symmetric)."""
    t = np.arange(-half, half + 1, dtype=np.float64)
    h = 2.0 * fc * np.sinc(2.0 * fc * t)
    return 0.5 * (h + h[::-1])


@lru_cache(maxsize=16)
def cached_filter(design: str, p: int, q: int, n: int, beta: float) -> np.ndarray:
    """The design's filter, memoised and read-only (resampling many signals alike
    should not redesign it every time; callers copy before handing it out)."""
    h = matlab_filter(p, q, n, beta) if design == "matlab" else octave_filter(p, q)
    h.setflags(write=False)
    return h


caches.register(
    "resampling.filters",
    cached_filter.cache_clear,
    lambda: cached_filter.cache_info().currsize,
    on_constants=False,
)


def matlab_filter(p: int, q: int, n: int = 10, beta: float = 5.0) -> np.ndarray:
    """MATLAB's default ``resample`` filter for coprime ``p``, ``q``.

    Parameters
    ----------
    p, q : int
        Coprime up / down factors.
    n : int
        Half-length in units of ``max(p, q)``: ``2·n·max(p, q) + 1`` taps.
    beta : float
        Kaiser window parameter.

    Returns
    -------
    (2·n·max(p, q) + 1,) ndarray
        Float64 filter whose taps sum to ``p``.

    Examples
    --------
    >>> h = matlab_filter(3, 2)
    >>> h.shape, round(float(h.sum()), 12)
    ((61,), 3.0)
    """
    m = max(p, q)
    half = n * m
    h = _sinc_lowpass(half, 1.0 / (2 * m)) * kaiser(2 * half + 1, beta)
    return p * h / h.sum()


def octave_filter(p: int, q: int) -> np.ndarray:
    """GNU Octave's (signal package) default ``resample`` filter for coprime ``p``, ``q``.

    Examples
    --------
    >>> octave_filter(3, 2).shape
    (219,)
    """
    m = max(p, q)
    fc = 1.0 / (2 * m)
    width = fc / 10.0
    half = math.ceil((OCTAVE_REJECTION_DB - 8.0) / (28.714 * width))
    t = np.arange(-half, half + 1, dtype=np.float64)
    ideal = 2.0 * p * fc * np.sinc(2.0 * fc * t)
    return kaiser(2 * half + 1, OCTAVE_BETA) * ideal


def matlab_delay(lh: int, q: int) -> tuple[int, int]:
    """(leading zeros ``nz``, outputs dropped ``delay``) of MATLAB's rule for ``lh`` taps.

    ``nz = floor(q − mod((lh − 1)/2, q))`` zeros are prepended so that
    downsampling hits the centre tap, then ``floor(ceil((lh − 1)/2 + nz)/q)``
    outputs are dropped.

    Examples
    --------
    >>> matlab_delay(61, 2)
    (2, 16)
    >>> matlab_delay(4, 2)
    (0, 1)
    """
    lhalf = (lh - 1) / 2.0
    nz = math.floor(q - math.fmod(lhalf, q))
    return nz, math.ceil(lhalf + nz) // q


def octave_delay(lh: int, q: int) -> tuple[int, int]:
    """Octave's rule: as MATLAB's but without the ``ceil`` (differs for even ``lh``).

    Examples
    --------
    >>> octave_delay(4, 2)
    (0, 0)
    """
    lhalf = (lh - 1) / 2.0
    nz = math.floor(q - math.fmod(lhalf, q))
    return nz, math.floor((lhalf + nz) / q)


def _round(v: float) -> int:
    """MATLAB's ``round``: halves away from zero (Python's ``round`` goes to even)."""
    return int(math.copysign(math.floor(abs(v) + 0.5), v))


def rat(x: float, tol: float | None = None) -> tuple[int, int]:
    """``[n, d] = rat(x, tol)`` of MATLAB / Octave: continued fraction to round-off.

    The expansion uses nearest-integer partial quotients and stops at the first
    convergent ``n/d`` with ``|x − n/d| < tol``; the default ``tol`` is
    ``1e-6·|x|``. ``d`` is positive.

    Examples
    --------
    >>> rat(48000 / 44100)
    (160, 147)
    >>> rat(3.14159265, 1e-2)
    (22, 7)
    >>> rat(3.14159265, 1e-3)
    (355, 113)
    """
    y = float(x)
    if tol is None:
        tol = 1e-6 * abs(y)
    n, d = _round(y), 1
    frac = y - n
    lastn, lastd = 1, 0
    while y != 0 and frac != 0 and abs(y - n / d) >= tol:
        flip = 1.0 / frac
        step = _round(flip)
        frac = flip - step
        n, lastn = n * step + lastn, n
        d, lastd = d * step + lastd, d
    if d < 0:
        n, d = -n, -d
    return int(n), int(d)
