"""The 1-D block-Toeplitz GEMM engine (``method='gemm'`` in 1-D) against numpy/scipy."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal as ss
from hypothesis import given, settings
from hypothesis import strategies as st

import convop
from convop._engines import blocked as _blocked
from convop._engines import blocked_nd as _blocked_nd
from convop._planning import routes as _routes

from helpers import NUMPY_MODE, assert_close, random_array, reference_convolve


def test_kernel_matrix_is_the_toeplitz_of_the_flipped_kernel():
    k = np.array([1.0, 2.0, 3.0])
    t = _blocked.kernel_matrix(k, 4, k.dtype)
    assert t.shape == (6, 4)
    for m in range(6):
        for r in range(4):
            want = k[2 - m + r] if 0 <= m - r < 3 else 0.0
            assert t[m, r] == want


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 300),
    k=st.integers(1, 40),
    block=st.sampled_from([None, 1, 3, 8, 16]),
    left=st.integers(0, 40),
    right=st.integers(0, 40),
    boundary=st.sampled_from(list(NUMPY_MODE)),
    dtype=st.sampled_from(["float32", "float64", "complex128"]),
    seed=st.integers(0, 999),
)
def test_valid_blocked_matches_padded_numpy(n, k, block, left, right, boundary, dtype, seed):
    rng = np.random.default_rng(seed)
    left, right = min(left, k - 1), min(right, k - 1)
    if n + left + right < k:
        return
    a, b = random_array(rng, (n,), dtype), random_array(rng, (k,), dtype)
    a0, b0 = a.copy(), b.copy()
    got = _blocked.valid_blocked(a, b, (left, right), boundary, block)
    ref = np.convolve(np.pad(a, (left, right), mode=NUMPY_MODE[boundary]), b, "valid")
    if got is None:  # only when one reflection is not enough
        assert max(left, right) > n - (1 if boundary == "reflect" else 0)
        return
    assert got.dtype == np.dtype(dtype)
    assert_close(got, ref, dtype)
    np.testing.assert_array_equal(a, a0)
    np.testing.assert_array_equal(b, b0)


@pytest.mark.parametrize("chunk", [64, 1 << 12, 1 << 21])
@pytest.mark.parametrize(
    "lead_a,lead_b", [((5,), (1,)), ((5,), (5,)), ((1,), (4,)), ((2, 3), (1, 3))]
)
def test_batches_and_chunks(monkeypatch, chunk, lead_a, lead_b):
    """Leading axes broadcast (one kernel matrix per kernel row); every chunking of the
    windows (rows at a time, blocks of one row at a time) gives the same result."""
    monkeypatch.setattr(_blocked, "CHUNK", chunk)
    rng = np.random.default_rng(2)
    a = rng.standard_normal(lead_a + (700,))
    b = rng.standard_normal(lead_b + (23,))
    got = _blocked.valid_blocked(a, b, (22, 11), "periodic")
    lead = np.broadcast_shapes(lead_a, lead_b)
    ap = np.pad(np.broadcast_to(a, lead + (700,)), [(0, 0)] * len(lead) + [(22, 11)], mode="wrap")
    ref = ss.fftconvolve(ap, np.broadcast_to(b, lead + (23,)), "valid", axes=-1)
    assert_close(got, ref)


@pytest.mark.parametrize("boundary", list(NUMPY_MODE))
@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_convolve_gemm_1d_long(boundary, mode, dtype):
    """Long signals (several blocks of 32+, chunked windows) through the public API."""
    rng = np.random.default_rng(3)
    x, h = random_array(rng, (20_003,), dtype), random_array(rng, (37,), dtype)
    got = convop.convolve(x, h, mode, boundary=boundary, method="gemm")
    assert got.dtype == np.dtype(dtype)
    ref = reference_convolve(x.astype(np.float64), h.astype(np.float64), mode, boundary)
    assert_close(got, ref, dtype)


def test_auto_takes_gemm_where_the_model_says_so(monkeypatch):
    """Mid-size kernels on long signals: the cost model (shipped constants) picks the
    block Toeplitz form, and the short path of convolve() returns scipy's numbers."""
    with convop.options(calibration="shipped"):
        _check_auto_gemm()


def _check_auto_gemm():
    x, h = np.random.default_rng(4).standard_normal((2, 50_000))[0], np.ones(31)
    assert convop.choose_method(x, h, "same") == "gemm"
    assert _routes.kind(x, h, "same") == "gemm"
    assert_close(convop.convolve(x, h, "same"), ss.convolve(x, h, "same"))
    assert_close(
        convop.convolve(x, h, "same", boundary="reflect"),
        reference_convolve(x, h, "same", "reflect"),
    )


def test_kernel_cache_sees_kernel_changes():
    """The remembered kernel matrices are keyed by value: editing a kernel in place
    between calls must not reuse the old matrix."""
    x, h = np.arange(100.0), np.ones(20)
    first = convop.convolve(x, h, method="gemm")
    h[3] = 5.0
    assert_close(convop.convolve(x, h, method="gemm"), np.convolve(x, h))
    assert not np.allclose(first, np.convolve(x, h))


# -- N-D ------------------------------------------------------------------------------------
@settings(max_examples=80, deadline=None)
@given(
    nd=st.integers(2, 3),
    data=st.data(),
    boundary=st.sampled_from(list(NUMPY_MODE)),
    lead=st.sampled_from([(), (2,), (1, 2)]),
    dtype=st.sampled_from(["float32", "float64", "complex128"]),
    seed=st.integers(0, 999),
)
def test_valid_blocked_nd_matches_padded_scipy(nd, data, boundary, lead, dtype, seed):
    na = tuple(data.draw(st.lists(st.integers(1, 9), min_size=nd, max_size=nd)))
    nb = tuple(data.draw(st.lists(st.integers(1, 5), min_size=nd, max_size=nd)))
    pads = tuple((data.draw(st.integers(0, q - 1)), data.draw(st.integers(0, q - 1))) for q in nb)
    if any(n + l + r < q for n, (l, r), q in zip(na, pads, nb)):
        return
    rng = np.random.default_rng(seed)
    a, b = random_array(rng, lead + na, dtype), random_array(rng, nb, dtype)
    a0 = a.copy()
    got = _blocked_nd.valid_blocked_nd(a, b, nd, pads, boundary)
    limit = [n - 1 if boundary == "reflect" else n for n in na]
    if got is None:
        assert boundary not in ("zero", "replicate")
        assert any(max(l, r) > m for (l, r), m in zip(pads, limit))
        return
    ap = np.pad(a, [(0, 0)] * len(lead) + list(pads), mode=NUMPY_MODE[boundary])
    axes = tuple(range(len(lead), len(lead) + nd))
    ref = ss.fftconvolve(ap, b.reshape((1,) * len(lead) + nb), "valid", axes=axes)
    assert got.dtype == np.dtype(dtype)
    assert_close(got, ref, dtype)
    np.testing.assert_array_equal(a, a0)


def test_blocked_nd_chunks_rows(monkeypatch):
    """Windows copied a few output rows at a time give the same result."""
    monkeypatch.setattr(_blocked_nd, "CHUNK", 256)
    rng = np.random.default_rng(5)
    a, b = rng.standard_normal((3, 40, 50)), rng.standard_normal((4, 6))
    got = _blocked_nd.valid_blocked_nd(a, b, 2, ((3, 0), (5, 2)), "symmetric")
    ap = np.pad(a, [(0, 0), (3, 0), (5, 2)], mode="symmetric")
    assert_close(got, ss.fftconvolve(ap, b[None], "valid", axes=(1, 2)))


@pytest.mark.parametrize("boundary", list(NUMPY_MODE))
def test_convolve_gemm_2d_and_3d(boundary):
    rng = np.random.default_rng(6)
    for shape, kshape in (((70, 45), (5, 3)), ((9, 12, 30), (3, 2, 4))):
        x, h = rng.standard_normal(shape), rng.standard_normal(kshape)
        for mode in ("full", "same", "valid"):
            got = convop.convolve(x, h, mode, boundary=boundary, method="gemm")
            assert_close(got, reference_convolve(x, h, mode, boundary))


def test_auto_takes_gemm_for_small_2d_kernels():
    """3×3 on 256² (shipped constants): the block Toeplitz product, not torch's conv."""
    with convop.options(calibration="shipped"):
        x, h = np.ones((256, 256)), np.ones((3, 3))
        assert convop.choose_method(x, h, "same") == "gemm"
        assert convop.choose_method(np.ones((1024, 1024)), np.ones((31, 31)), "same") in (
            "fft",
            "overlap-add",
        )


def test_kernel_with_more_leading_axes_broadcasts():
    """A kernel with extra length-1 leading axes gives them to the output, as numpy
    broadcasting (and the other methods) do."""
    rng = np.random.default_rng(7)
    a1, b1 = rng.standard_normal(50), rng.standard_normal((1, 7))
    assert _blocked.valid_blocked(a1, b1).shape == (1, 44)
    a2, b2 = rng.standard_normal((20, 30)), rng.standard_normal((1, 1, 3, 4))
    got = _blocked_nd.valid_blocked_nd(a2, b2, 2)
    assert got.shape == (1, 1, 18, 27)
    assert_close(got[0, 0], ss.convolve(a2, b2[0, 0], "valid"))


@pytest.mark.parametrize(
    "shape_x, shape_t",
    [
        ((700, 154), (154, 16)),
        ((3, 400, 90), (3, 90, 32)),
        ((2, 500, 60), (60, 24)),
        ((10, 5), (5, 3)),
    ],
)
def test_matmul_into_splits_like_one_product(shape_x, shape_t):
    """Mid-size products are cut into single-thread pieces when torch is loaded; the
    result is the one product's, for stacks too."""
    pytest.importorskip("torch")  # the split needs torch in sys.modules
    rng = np.random.default_rng(8)
    x, t = rng.standard_normal(shape_x), rng.standard_normal(shape_t)
    ref = np.einsum("...mk,...kn->...mn", x, t)
    out = np.empty_like(ref)
    _blocked.matmul_into(x, t, out)
    np.testing.assert_allclose(out, ref, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("have_api", [True, False])
def test_matmul_into_runs_on_one_thread_while_contended(monkeypatch, have_api):
    """While a core is busy the product runs on one BLAS thread, or, where numpy's
    BLAS cannot be reached, in pieces below OpenBLAS's threading threshold."""
    from convop._core import threads as _threads

    if have_api and _threads.numpy_blas_api() is None:
        pytest.skip("numpy is not linked to a bundled OpenBLAS here")
    if not have_api:
        monkeypatch.setattr(_threads, "numpy_blas_api", lambda: None)
    monkeypatch.setattr(_threads, "contended", lambda key=None: True)
    rng = np.random.default_rng(9)
    x, t = rng.standard_normal((3000, 62)), rng.standard_normal((62, 32))
    assert x.shape[0] * 62 * 32 > _blocked.SPLIT_MNK
    ref = np.einsum("mk,kn->mn", x, t)
    seen = []
    real = np.matmul

    def spy(a, b, out=None):
        api = _threads.numpy_blas_api()
        seen.append((a.shape[-2] * a.shape[-1] * b.shape[-1], api and api[0]()))
        return real(a, b, out=out)

    monkeypatch.setattr(_blocked.np, "matmul", spy)
    out = np.empty_like(ref)
    with convop.options(blas_threads="single"):
        _blocked.matmul_into(x, t, out)
    np.testing.assert_allclose(out, ref, rtol=1e-12, atol=1e-12)
    if have_api:
        assert seen == [(x.size * 32, 1)]
    else:
        assert len(seen) > 1 and all(mnk < _blocked.SINGLE_THREAD_MNK for mnk, _ in seen)


def test_matmul_into_samples_one_thread_first_then_times_threads(monkeypatch):
    """The first large products of a shape run on one thread (the reference), later
    ones on BLAS's threads, all timed; small ones are neither."""
    from convop._core import threads as _threads

    if _threads.numpy_blas_api() is None:
        pytest.skip("numpy is not linked to a bundled OpenBLAS here")
    _threads.reset_contention()
    notes = []
    real_note = _threads.note_time

    def spy(key, s, work, single=False):
        notes.append((key, work, single))
        real_note(key, s, work, single)

    monkeypatch.setattr(_threads, "note_time", spy)
    monkeypatch.setattr(_threads, "contended", lambda key=None: False)
    rng = np.random.default_rng(10)
    x, t = rng.standard_normal((2, 1200, 62)), rng.standard_normal((62, 32))
    assert 1200 * 62 * 32 > _blocked.SPLIT_MNK  # above the torch-loaded rule
    out = np.empty((2, 1200, 32))
    try:
        calls = _threads.SAMPLES + 1
        for _ in range(calls):
            _blocked.matmul_into(x, t, out)
            np.testing.assert_allclose(out, x @ t, rtol=1e-12)
        key = ("matmul", 62, 32, "d")
        assert notes == [(key, 2400, True)] * _threads.SAMPLES + [(key, 2400, False)]
        _blocked.matmul_into(x[:, :10], t, out[:, :10])  # small: not timed
        assert len(notes) == calls
    finally:
        _threads.reset_contention()


@pytest.mark.parametrize("dtype", ["complex128", "complex64", "float64"])
def test_one_thread_pieces_stay_under_openblas_threading_threshold(dtype, monkeypatch):
    # complex zgemm/cgemm thread from m·n·k = 2¹⁷ on: pieces cut at the real limit
    # (2¹⁸) stalled a scheduler slice each on a busy core (12 ms against 0.014 ms)
    from convop._engines import blocked

    rng = np.random.default_rng(0)
    x = rng.standard_normal((2084, 40)).astype(dtype)
    t = rng.standard_normal((40, 24)).astype(dtype)
    if np.dtype(dtype).kind == "c":
        x = x + 1j * rng.standard_normal(x.shape).astype(dtype)
    sizes = []
    real_matmul = np.matmul

    def spy(a, b, out=None):
        sizes.append(a.shape[-2] * a.shape[-1] * b.shape[-1])
        return real_matmul(a, b, out=out)

    monkeypatch.setattr(blocked._threads, "contended", lambda key: True)
    monkeypatch.setattr(blocked.np, "matmul", spy)
    out = np.empty((2084, 24), dtype)
    blocked.matmul_into(x, t, out)
    monkeypatch.undo()
    limit = 1 << 16 if np.dtype(dtype).kind == "c" else 1 << 18
    assert len(sizes) > 1 and max(sizes) < limit
    np.testing.assert_allclose(out, x @ t, rtol=1e-5 if dtype == "complex64" else 1e-12)
