"""design="matlab" against an independent transcription of MATLAB's documented algorithm."""

from __future__ import annotations

import math
from functools import cache

import numpy as np
import pytest
import scipy.signal as ss
from hypothesis import given, settings
from hypothesis import strategies as st

from convop._core.errors import ConvopTypeError, ConvopValueError
from convop.resampling import rat, resample, resample_ratio

from helpers import assert_close, random_array


@cache
def ls_lowpass(numtaps: int, pqmax: int) -> np.ndarray:
    """firls(L − 1, [0 2fc 2fc 1], [1 1 0 0]) of MATLAB, fc = 1/(2·pqmax).

    scipy's firls solves the normal equations; above 3201 taps that takes seconds,
    so the Fourier-series truncation (the least-squares optimum for full-band unit
    weights) is written out instead: sin(π t / pqmax) / (π t).
    """
    fc = 1.0 / (2 * pqmax)
    if numtaps <= 3201:
        return ss.firls(numtaps, [0, 2 * fc, 2 * fc, 1], [1, 1, 0, 0])
    t = np.arange(numtaps) - (numtaps - 1) // 2
    out = np.empty(numtaps)
    nzr = t != 0
    out[nzr] = np.sin(np.pi * t[nzr] / pqmax) / (np.pi * t[nzr])
    out[~nzr] = 1.0 / pqmax
    return out


def matlab_reference(x, p, q, n=10, beta=5.0, b=None):
    """MATLAB's resample.m, step by step (1-D), with scipy's firls/kaiser/upfirdn."""
    g = math.gcd(p, q)
    p, q = p // g, q // g
    if p == 1 and q == 1:
        return np.array(x, dtype=float)
    if b is None:
        pqmax = max(p, q)
        L = 2 * n * pqmax + 1
        h = ls_lowpass(L, pqmax) * ss.windows.kaiser(L, beta)
        h = p * h / h.sum()
    else:
        h = np.asarray(b, dtype=float)
        L = len(h)
    Lhalf = (L - 1) / 2
    Lx = len(x)
    nz = math.floor(q - (Lhalf % q))
    h = np.concatenate([np.zeros(nz), h])
    Lhalf += nz
    delay = math.floor(math.ceil(Lhalf) / q)
    nz1 = 0
    while math.ceil(((Lx - 1) * p + len(h) + nz1) / q) - delay < math.ceil(Lx * p / q):
        nz1 += 1
    h = np.concatenate([h, np.zeros(nz1)])
    y = ss.upfirdn(h, x, p, q)
    Ly = math.ceil(Lx * p / q)
    return y[delay : delay + Ly]


PAIRS = [(3, 2), (2, 3), (147, 160), (160, 147), (2, 1), (1, 4), (5, 7), (11, 3), (1, 13), (6, 4)]


@pytest.mark.parametrize("n", [5, 10, 20])
@pytest.mark.parametrize("beta", [0.0, 5.0, 8.0])
@pytest.mark.parametrize("p,q", PAIRS)
def test_against_independent_matlab_algorithm(n, beta, p, q):
    rng = np.random.default_rng(p * 1000 + q)
    x = rng.standard_normal(97)
    y = resample(x, p, q, n=n, beta=beta)
    ref = matlab_reference(x, p, q, n=n, beta=beta)
    assert y.shape == ref.shape == (math.ceil(97 * p / q),)
    assert np.abs(y - ref).max() <= 1e-12, np.abs(y - ref).max()


@settings(max_examples=40)
@given(p=st.integers(1, 30), q=st.integers(1, 30), nx=st.integers(1, 120), seed=st.integers(0, 999))
def test_defaults_equal_resample_poly(p, q, nx, seed):
    x = np.random.default_rng(seed).standard_normal(nx)
    y = resample(x, p, q)
    ref = ss.resample_poly(x, p, q, window=("kaiser", 5.0))
    assert y.shape == ref.shape
    assert np.abs(y - ref).max() <= 1e-13


@settings(max_examples=30)
@given(
    p=st.integers(1, 12),
    q=st.integers(1, 12),
    lh=st.integers(1, 40),
    nx=st.integers(1, 60),
    seed=st.integers(0, 999),
)
def test_custom_filter_uses_matlab_delay_rule(p, q, lh, nx, seed):
    rng = np.random.default_rng(seed)
    x, b = rng.standard_normal(nx), rng.standard_normal(lh)
    if p == q:
        return
    assert np.abs(resample(x, p, q, filter=b) - matlab_reference(x, p, q, b=b)).max() <= 1e-12


def test_seed_wrapper_is_only_right_for_the_defaults():
    # the seed's glue: resample_poly with a Kaiser(5) window, truncated to ceil(N·p/q)
    rng = np.random.default_rng(0)
    x = rng.standard_normal(500)
    glue = ss.resample_poly(x, 147, 160, window=("kaiser", 5.0))[: math.ceil(500 * 147 / 160)]
    assert np.abs(resample(x, 147, 160) - glue).max() < 1e-13
    # MATLAB's resample(x, p, q, n, beta) with another n or beta is another filter
    assert np.abs(resample(x, 147, 160, n=5, beta=8.0) - glue).max() > 1e-2
    # resample_poly's length rule already is ceil(N·p/q): the seed's truncation is a no-op
    assert len(ss.resample_poly(x, 147, 160)) == math.ceil(500 * 147 / 160)


def test_return_filter_is_matlab_b():
    y, h = resample(np.ones(50), 3, 2, return_filter=True)
    L = 2 * 10 * 3 + 1
    ref = ls_lowpass(L, 3) * ss.windows.kaiser(L, 5.0)
    assert h.shape == (L,) and h.dtype == np.float64
    assert_close(h, 3 * ref / ref.sum())
    assert abs(h.sum() - 3) < 1e-12
    b = np.array([0.25, 0.5, 0.25])
    _, hb = resample(np.ones(5), 2, 1, filter=b, return_filter=True)
    assert hb.tolist() == b.tolist() and hb is not b


def test_gcd_reduction():
    x = np.random.default_rng(1).standard_normal(40)
    np.testing.assert_array_equal(resample(x, 6, 4), resample(x, 3, 2))


def test_p_equal_q_is_a_copy():
    x = np.arange(6.0)
    y, h = resample(x, 7, 7, return_filter=True)
    np.testing.assert_array_equal(y, x)
    assert y is not x and not np.shares_memory(x, y) and h.tolist() == [1.0]
    y32 = resample(x.astype(np.float32), 2, 2)
    assert y32.dtype == np.float32


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.complex64, np.complex128])
def test_dtype_and_complex(dtype):
    rng = np.random.default_rng(2)
    x = random_array(rng, (64,), dtype)
    y = resample(x, 3, 2)
    assert y.dtype == dtype
    xd = x.astype(np.complex128)
    ref = matlab_reference(xd.real, 3, 2) + 1j * matlab_reference(xd.imag, 3, 2)
    assert_close(y, ref if np.iscomplexobj(x) else ref.real, dtype=dtype)


def test_integer_input_gives_float64():
    y = resample(np.arange(10), 2, 1)
    assert y.dtype == np.float64
    assert_close(y, matlab_reference(np.arange(10.0), 2, 1))


def test_complex_filter():
    rng = np.random.default_rng(3)
    x = rng.standard_normal(30)
    b = rng.standard_normal(9) + 1j * rng.standard_normal(9)
    y = resample(x.astype(np.float32), 2, 3, filter=b)
    assert y.dtype == np.complex64
    ref = matlab_reference(x, 2, 3, b=b.real) + 1j * matlab_reference(x, 2, 3, b=b.imag)
    assert_close(y, ref, dtype=np.complex64)


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_nd_batched_along_axis(axis):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((9, 10, 11))
    y = resample(x, 5, 3, axis=axis)
    ref = np.apply_along_axis(matlab_reference, axis, x, 5, 3)
    assert_close(y, ref)


def test_input_not_modified_and_views():
    rng = np.random.default_rng(5)
    base = rng.standard_normal((40, 3))
    x = base[::-1]
    x.flags.writeable = False
    before = x.copy()
    assert_close(resample(x, 2, 3, axis=0), resample(before, 2, 3, axis=0))
    np.testing.assert_array_equal(x, before)


# -- properties ---------------------------------------------------------------------------
@pytest.mark.parametrize("p,q", [(147, 160), (160, 147), (3, 2), (1, 4)])
def test_bandlimited_sinusoid_keeps_frequency_and_amplitude(p, q):
    nx = 4000
    f = 0.3 / max(p / q, q / p) / 2  # cycles per input sample, well inside both bands
    amp, phase = 0.7, 0.4
    x = amp * np.cos(2 * np.pi * f * np.arange(nx) + phase)
    y = resample(x, p, q)
    t_out = np.arange(len(y)) * q / p  # output i sits at input time i·q/p
    inner = (t_out > 300) & (t_out < nx - 300)
    expect = amp * np.cos(2 * np.pi * f * t_out + phase)
    assert np.abs(y - expect)[inner].max() < 5e-3 * amp


@pytest.mark.parametrize("p,q", [(3, 2), (147, 160), (2, 1), (1, 4), (7, 5)])
@pytest.mark.parametrize("design", ["matlab", "octave"])
def test_dc_stays_dc(p, q, design):
    y = resample(np.full(3000, 2.5), p, q, design=design)
    t_out = np.arange(len(y)) * q / p
    inner = (t_out > 1200) & (t_out < 1800)
    assert np.abs(y[inner] - 2.5).max() < 5e-3


@pytest.mark.parametrize("factor", [2, 3, 5])
def test_up_then_down_returns_the_interior(factor):
    rng = np.random.default_rng(6)
    # a signal band-limited to a quarter of Nyquist
    x = ss.lfilter(ss.firwin(101, 0.25), 1.0, rng.standard_normal(2000))
    back = resample(resample(x, factor, 1), 1, factor)
    assert back.shape == x.shape
    inner = slice(300, 1700)
    assert np.abs(back[inner] - x[inner]).max() < 2e-3 * np.abs(x).max()


# -- resample_ratio / rat -------------------------------------------------------------------
@pytest.mark.parametrize(
    "x,tol,expected",
    [
        (48000 / 44100, None, (160, 147)),
        (44100 / 48000, None, (147, 160)),
        (1.5, None, (3, 2)),
        (np.pi, None, (355, 113)),
        (np.pi, 1e-2, (22, 7)),
        (0.1, None, (1, 10)),
        (2.0, None, (2, 1)),
        (np.sqrt(2), 1e-9, (47321, 33461)),
    ],
)
def test_rat(x, tol, expected):
    assert rat(x, tol) == expected


def test_rat_rounds_halves_away_from_zero_like_matlab():
    # 2.5 → round 3 (MATLAB), Python's round would give 2; either way the result is 5/2
    assert rat(2.5) == (5, 2)
    assert rat(0.5) == (1, 2)
    # with a loose tol the first convergent decides: Octave gives 3/1, 1/1 and -3/1
    assert rat(2.5, 0.6) == (3, 1)
    assert rat(0.5, 0.6) == (1, 1)
    assert rat(-2.5, 0.6) == (-3, 1)


def test_resample_ratio():
    x = np.random.default_rng(7).standard_normal(441)
    np.testing.assert_array_equal(resample_ratio(x, 48000 / 44100), resample(x, 160, 147))
    y, h = resample_ratio(x, 1.5, 1e-3, design="octave", return_filter=True)
    np.testing.assert_array_equal(y, resample(x, 3, 2, design="octave"))


# -- errors -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs,exc,match",
    [
        ({"p": 0}, ConvopValueError, r"invalid p=0; expected a positive integer"),
        ({"q": -3}, ConvopValueError, r"invalid q=-3; expected a positive integer"),
        ({"p": 2.5}, ConvopValueError, r"invalid p=2.5"),
        ({"q": float("nan")}, ConvopValueError, r"invalid q=nan"),
        ({"p": "3"}, ConvopTypeError, "p must be a positive integer; got str"),
        ({"x": []}, ConvopValueError, r"x must not be empty"),
        ({"x": np.ones((3, 0))}, ConvopValueError, r"x must not be empty; got shape \(3, 0\)"),
        ({"n": 0}, ConvopValueError, r"invalid n=0; expected an integer >= 1"),
        ({"n": 2.5}, ConvopValueError, r"invalid n=2.5"),
        ({"beta": -1.0}, ConvopValueError, r"invalid beta=-1.0; expected a finite real"),
        ({"beta": "5"}, ConvopTypeError, "beta must be a real number"),
        ({"design": "scipy"}, ConvopValueError, r"invalid design='scipy'; expected one of"),
        ({"filter": np.ones((2, 3))}, ConvopValueError, r"filter must be a 1-D filter"),
        ({"filter": []}, ConvopValueError, r"filter must have at least one tap"),
        ({"axis": 3}, ConvopValueError, r"invalid axis=3"),
        ({"x": np.array(["a"])}, ConvopTypeError, "x must be a numeric array"),
    ],
)
def test_errors_name_the_argument(kwargs, exc, match):
    args = {"x": np.ones(8), "p": 3, "q": 2} | kwargs
    x, p, q = args.pop("x"), args.pop("p"), args.pop("q")
    with pytest.raises(exc, match=match):
        resample(x, p, q, **args)


@pytest.mark.parametrize(
    "ratio,tol,match",
    [
        (0.0, None, r"invalid ratio=0.0"),
        (-1.5, None, r"invalid ratio=-1.5"),
        (float("inf"), None, r"invalid ratio=inf"),
        (1.5, -1.0, r"invalid tol=-1.0"),
        (1e-9, 1.0, r"invalid ratio=1e-09; expected a ratio whose rational approximation"),
    ],
)
def test_resample_ratio_errors(ratio, tol, match):
    with pytest.raises(ConvopValueError, match=match):
        resample_ratio(np.ones(4), ratio, tol)
    with pytest.raises(ConvopTypeError, match="ratio must be a positive real number"):
        resample_ratio(np.ones(4), "1.5")


def test_returned_filter_is_a_private_copy_of_the_cached_design():
    _, h1 = resample(np.ones(20), 3, 2, return_filter=True)
    h1[:] = 0.0
    _, h2 = resample(np.ones(20), 3, 2, return_filter=True)
    assert abs(h2.sum() - 3.0) < 1e-12
    from convop._core import caches

    assert caches.sizes()["resampling.filters"] >= 1
    caches.clear()
    assert caches.sizes()["resampling.filters"] == 0
