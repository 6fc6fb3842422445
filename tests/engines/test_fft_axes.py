"""FFT engine: axes where one input has length 1 are not transformed, and torch's FFT is
used only while it beats scipy's one-thread FFT in this process."""

from __future__ import annotations

import time

import numpy as np
import pytest
import scipy.fft
import scipy.signal as ss
from hypothesis import given, settings
from hypothesis import strategies as st

import convop
from convop._core import threads
from convop._engines import fft as fft_engine

from helpers import BOUNDARIES, assert_close, reference_convolve


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 9),
    st.integers(1, 9),
    st.sampled_from([(1, 4), (4, 1), (1, 1), (3, 1), (1, 3)]),
    st.sampled_from(["full", "same", "valid"]),
    st.sampled_from(BOUNDARIES),
    st.booleans(),
)
def test_length_one_axes_match_the_reference(n0, n1, kshape, mode, boundary, cplx):
    rng = np.random.default_rng(n0 * 31 + n1)
    x = rng.standard_normal((n0, n1))
    k = rng.standard_normal(kshape)
    if cplx:
        k = k + 1j * rng.standard_normal(kshape)
    if mode == "valid" and not (
        all(p >= q for p, q in zip(x.shape, k.shape))
        or all(q >= p for p, q in zip(x.shape, k.shape))
    ):
        return
    got = convop.convolve(x, k, mode, boundary=boundary, method="fft")
    if mode == "valid":
        want = ss.convolve(x, k, "valid", method="direct")
    else:
        want = reference_convolve(x, k, mode, boundary)
    assert_close(got, want, scale=np.abs(x).max() * np.abs(k).sum())


def test_a_column_kernel_is_transformed_along_one_axis_only(monkeypatch):
    seen = []
    real = scipy.fft.rfftn

    def spy(x, s=None, axes=None, **kw):
        seen.append(tuple(axes))
        return real(x, s, axes=axes, **kw)

    monkeypatch.setattr(fft_engine.sfft, "rfftn", spy)
    rng = np.random.default_rng(0)
    x, k = rng.standard_normal((48, 64)), rng.standard_normal((31, 1))
    for boundary in ("zero", "periodic", "reflect"):
        seen.clear()
        got = convop.convolve(x, k, "same", boundary=boundary, method="fft")
        assert seen and all(ax == (-2,) for ax in seen), (boundary, seen)
        assert_close(got, reference_convolve(x, k, "same", boundary))


def test_torch_fft_is_dropped_while_slower_than_scipy(monkeypatch):
    pytest.importorskip("torch")
    calls = []

    def slow_torch(a, b, axes, sizes):
        calls.append(sizes)
        time.sleep(0.05)  # a stalled two-thread FFT
        return fft_engine._scipy_product(a, b, axes, sizes, 1)

    monkeypatch.setattr(fft_engine, "_torch_product", slow_torch)
    threads.reset_contention()
    rng = np.random.default_rng(1)
    x, k = rng.standard_normal((256, 256)), rng.standard_normal((9, 9))
    want = ss.fftconvolve(x, k, "same")
    try:
        for _ in range(8):
            assert_close(convop.convolve(x, k, "same", method="fft"), want)
        # the first calls give scipy's reference; the first torch call is a warm-up,
        # the second slow one starts a hold
        assert len(calls) == 2
    finally:
        threads.reset_contention()


def test_torch_fft_is_kept_while_faster(monkeypatch):
    pytest.importorskip("torch")
    calls = []
    real = fft_engine._torch_product

    def counted(a, b, axes, sizes):
        calls.append(sizes)
        return real(a, b, axes, sizes)

    slow_scipy = fft_engine._scipy_product

    def slower_scipy(a, b, axes, sizes, nworkers):
        time.sleep(0.2)
        return slow_scipy(a, b, axes, sizes, nworkers)

    monkeypatch.setattr(fft_engine, "_torch_product", counted)
    monkeypatch.setattr(fft_engine, "_scipy_product", slower_scipy)
    threads.reset_contention()
    x = np.random.default_rng(2).standard_normal((256, 256))
    k = np.ones((9, 9))
    real(x, k, (-2, -1), (288, 288))  # torch's first FFT sets up its plans and threads
    try:
        for _ in range(6):
            convop.convolve(x, k, "same", method="fft")
        assert len(calls) == 6 - threads.SAMPLES
    finally:
        threads.reset_contention()


@pytest.mark.parametrize("kshape", [(31, 1), (1, 31), (1, 1)])
@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("cplx", [False, True])
def test_1xk_fft_matches_scipy_convolve_and_correlate(kshape, mode, cplx):
    """The 1-D transforms of a 1×k / k×1 kernel give scipy's results in every mode,
    for convolve and correlate, real and complex, and with an axes= batch."""
    rng = np.random.default_rng(sum(kshape))
    x, k = rng.standard_normal((48, 40)), rng.standard_normal(kshape)
    if cplx:
        x = x + 1j * rng.standard_normal(x.shape)
        k = k + 1j * rng.standard_normal(kshape)
    scale = np.abs(x).max() * np.abs(k).sum()
    got = convop.convolve(x, k, mode, method="fft")
    assert_close(got, ss.fftconvolve(x, k, mode), scale=scale)
    assert_close(got, ss.convolve(x, k, mode, method="direct"), scale=scale)
    got = convop.correlate(x, k, mode, method="fft")
    assert_close(got, ss.correlate(x, k, mode, method="direct"), scale=scale)
    ax = 0 if kshape[1] == 1 else 1  # the kernel's long axis, the other one a batch
    got = convop.convolve(x, k, mode, axes=ax, method="fft")
    assert_close(got, ss.fftconvolve(x, k, mode, axes=ax), scale=scale)
