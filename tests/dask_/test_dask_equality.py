"""Lazy chunked convolution equals the NumPy result: random chunkings, all modes,
boundaries, strategies, 1-D/2-D/3-D, float32/float64/complex, axes and batches."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.signal as ss
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import BOUNDARIES, MODES, assert_close, random_array, reference_convolve

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")

import convop.dask as cd  # noqa: E402
from convop._operators.functional import convolve as np_convolve  # noqa: E402
from convop._operators.functional import correlate as np_correlate  # noqa: E402

DTYPES = (np.float32, np.float64, np.complex128)


@st.composite
def chunking(draw, n: int):
    """A random partition of n: chunks smaller than the kernel, uneven last chunks."""
    if n == 1:
        return (1,)
    cuts = draw(st.sets(st.integers(1, n - 1), max_size=min(n - 1, 6)))
    bounds = [0, *sorted(cuts), n]
    return tuple(b - a for a, b in zip(bounds, bounds[1:]))


@st.composite
def case(draw, ndim: int, nmax: int, kmax: int):
    shape = tuple(draw(st.integers(1, nmax)) for _ in range(ndim))
    kshape = tuple(draw(st.integers(1, kmax)) for _ in range(ndim))
    chunks = tuple(draw(chunking(n)) for n in shape)
    mode = draw(st.sampled_from(MODES))
    if mode == "valid" and not all(n >= k for n, k in zip(shape, kshape)):
        kshape = tuple(min(n, k) for n, k in zip(shape, kshape))
    boundary = draw(st.sampled_from(BOUNDARIES))
    dtype = draw(st.sampled_from(DTYPES))
    strategy = draw(st.sampled_from(cd.STRATEGIES))
    correlate = draw(st.booleans())
    return shape, kshape, chunks, mode, boundary, dtype, strategy, correlate


def _check(c, seed=0):
    shape, kshape, chunks, mode, boundary, dtype, strategy, correlate = c
    rng = np.random.default_rng(seed)
    x = random_array(rng, shape, dtype)
    k = random_array(rng, kshape, dtype)
    xd = da.from_array(x, chunks=chunks)
    fn = cd.correlate if correlate else cd.convolve
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cd.ConvopRechunkWarning)
        lazy = fn(xd, k, mode, boundary=boundary, strategy=strategy)
    got = lazy.compute(scheduler="sync")
    # independent reference: numpy.pad + scipy.signal
    ref = reference_convolve(x, k, mode, boundary, correlate=correlate)
    assert lazy.shape == ref.shape and lazy.dtype == ref.dtype
    assert got.dtype == np.dtype(dtype)
    assert_close(got, ref, dtype)
    # and exactly the NumPy path of convop itself (same dtype, shape)
    mine = (np_correlate if correlate else np_convolve)(x, k, mode, boundary=boundary)
    assert_close(got, mine, dtype)


@settings(max_examples=60)
@given(case(1, 24, 12))
def test_1d_random_chunkings(c):
    _check(c)


@settings(max_examples=25)
@given(case(2, 9, 5))
def test_2d_random_chunkings(c):
    _check(c)


@settings(max_examples=12)
@given(case(3, 6, 3))
def test_3d_random_chunkings(c):
    _check(c)


@pytest.mark.parametrize("strategy", cd.STRATEGIES)
@pytest.mark.parametrize("boundary", BOUNDARIES)
@pytest.mark.parametrize("mode", MODES)
def test_kernel_longer_than_chunks_threaded(mode, boundary, strategy):
    """Chunks of 5, kernel of 13 (halo wider than a chunk), threaded scheduler."""
    rng = np.random.default_rng(1)
    x, k = rng.standard_normal(47), rng.standard_normal(13)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cd.ConvopRechunkWarning)
        y = cd.convolve(da.from_array(x, chunks=5), k, mode, boundary=boundary, strategy=strategy)
    assert_close(y.compute(scheduler="threads"), reference_convolve(x, k, mode, boundary))


def test_overlap_add_keeps_chunks_for_long_kernels():
    x = da.from_array(np.random.default_rng(2).standard_normal(200), chunks=20)
    k = np.hanning(65)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no rechunk warning: auto picks overlap-add
        y = cd.convolve(x, k, "same", boundary="periodic")
    assert y.chunks == x.chunks
    assert_close(y.compute(), reference_convolve(x.compute(), k, "same", "periodic"))


def test_same_keeps_chunks_and_full_valid_move_the_last():
    x = da.ones(30, chunks=(8, 8, 8, 6))
    k = np.ones(5)
    assert cd.convolve(x, k, "same").chunks == ((8, 8, 8, 6),)
    assert cd.convolve(x, k, "full").chunks == ((8, 8, 8, 10),)
    assert cd.convolve(x, k, "valid").chunks == ((8, 8, 8, 2),)


@pytest.mark.parametrize("axes", [0, 1, (0, 2), (2, 0), -1])
@pytest.mark.parametrize("boundary", ["zero", "reflect", "periodic"])
def test_axes_and_broadcast_batch(axes, boundary):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((7, 6, 9))
    kshape = [1, 1, 1]
    ax = (axes,) if isinstance(axes, int) else axes
    for a, q in zip(ax, (3, 4)):
        kshape[a % 3] = q
    k = rng.standard_normal(kshape)
    xd = da.from_array(x, chunks=(3, 4, 4))
    for mode in MODES:
        got = cd.convolve(xd, k, mode, boundary=boundary, axes=axes).compute()
        assert_close(got, np_convolve(x, k, mode, boundary=boundary, axes=axes))


def test_per_batch_kernels():
    """Kernels differing along a batch axis follow their batch chunk."""
    rng = np.random.default_rng(4)
    x, k = rng.standard_normal((5, 40)), rng.standard_normal((5, 7))
    xd = da.from_array(x, chunks=(2, 9))
    for strategy in ("halo", "overlap-add"):
        got = cd.convolve(xd, k, "same", boundary="symmetric", axes=1, strategy=strategy)
        assert_close(got.compute(), np_convolve(x, k, "same", boundary="symmetric", axes=1))
    # a length-1 signal batch broadcast against 5 kernels
    got = cd.convolve(xd[:1], k, "full", axes=1).compute()
    assert_close(got, np_convolve(x[:1], k, "full", axes=1))


def test_scipy_fftconvolve_axes_reference():
    rng = np.random.default_rng(5)
    x, k = rng.standard_normal((4, 64)), rng.standard_normal((1, 9))
    got = cd.convolve(da.from_array(x, chunks=(2, 10)), k, "valid", axes=1).compute()
    assert_close(got, ss.fftconvolve(x, k, "valid", axes=1))


def test_integer_inputs_exact():
    rng = np.random.default_rng(6)
    x, k = rng.integers(-9, 10, 50), rng.integers(-9, 10, 6)
    for strategy in ("halo", "overlap-add"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", cd.ConvopRechunkWarning)
            got = cd.convolve(da.from_array(x, chunks=7), k, "full", strategy=strategy).compute()
        assert got.dtype == np.convolve(x, k).dtype
        np.testing.assert_array_equal(got, np.convolve(x, k))


def test_dask_kernel_is_not_computed_at_call_time():
    calls = []

    def make(block):
        if block.size:  # Dask calls it on empty arrays to infer the meta
            calls.append(1)
        return block

    rng = np.random.default_rng(7)
    x, k = rng.standard_normal(30), rng.standard_normal(4)
    xd = da.from_array(x, chunks=6).map_blocks(make, dtype=x.dtype)
    kd = da.from_array(k, chunks=2).map_blocks(make, dtype=k.dtype)
    for mode in MODES:
        y = cd.convolve(xd, kd, mode, boundary="replicate")
        yc = cd.correlate(xd, kd, mode)
        assert not calls, "building the graph computed something"
        assert_close(y.compute(), reference_convolve(x, k, mode, "replicate"))
        assert_close(yc.compute(), reference_convolve(x, k, mode, "zero", correlate=True))
        calls.clear()


def test_convop_convolve_dispatches_to_dask():
    from convop._operators.functional import convolve, correlate

    x = da.from_array(np.arange(12.0), chunks=5)
    for fn, ref in ((convolve, np.convolve), (correlate, np.correlate)):
        y = fn(x, np.array([1.0, -2.0, 0.5]), "valid")
        assert type(y).__module__.startswith("dask")
        np.testing.assert_allclose(y.compute(), ref(np.arange(12.0), [1.0, -2.0, 0.5], "valid"))


def test_valid_with_kernel_larger_than_signal():
    rng = np.random.default_rng(8)
    x, k = rng.standard_normal((3, 4)), rng.standard_normal((6, 9))
    got = cd.convolve(da.from_array(x, chunks=2), k, "valid").compute()
    assert_close(got, ss.convolve(x, k, "valid"))


def test_inputs_not_modified_and_views_accepted():
    rng = np.random.default_rng(9)
    base = rng.standard_normal((12, 10))
    x = np.asfortranarray(base)[::-1, ::2]
    k = rng.standard_normal((3, 3))[:, ::-1]
    k.setflags(write=False)
    before = (x.copy(), k.copy())
    got = cd.convolve(da.from_array(x, chunks=4), k, "same", boundary="reflect").compute()
    assert_close(got, reference_convolve(x, k, "same", "reflect"))
    np.testing.assert_array_equal(x, before[0])
    np.testing.assert_array_equal(k, before[1])


def test_zero_dim():
    y = cd.convolve(da.from_array(np.array(3.0)), np.array(2.0))
    assert float(y.compute()) == 6.0


def test_float32_stays_float32_large_kernel():
    x = da.from_array(np.random.default_rng(10).standard_normal(3000).astype(np.float32), 500)
    k = np.hanning(701).astype(np.float32)
    y = cd.convolve(x, k, "same", boundary="symmetric")
    assert y.dtype == np.float32
    got = y.compute()
    assert got.dtype == np.float32
    assert_close(got, reference_convolve(x.compute(), k, "same", "symmetric"), np.float32)
