"""The busy-core guard on every multi-threaded route (issue 22, item 3): torch's FFT,
scipy.fft workers and torch's conv run only while they beat one thread; while the
contention signal is on (here forced, no timing asserted) convop takes the one-thread
scipy / NumPy path, with the same results, and never changes torch's thread count."""

import numpy as np
import pytest
import scipy.signal as ss

import convop
from convop._core import caches
from convop._core import threads as _threads
from convop._engines import fft as _fft
from convop._planning import routes

torch = pytest.importorskip("torch")


@pytest.fixture
def fresh(monkeypatch):
    """Forget times and routes before and after; count the FFT engines' calls."""
    _threads.reset_contention()
    caches.clear()
    calls = {"torch": 0, "workers": []}
    torch_product, scipy_product = _fft._torch_product, _fft._scipy_product

    def counted_torch(*args):
        calls["torch"] += 1
        return torch_product(*args)

    def counted_scipy(a, b, axes, sizes, nworkers):
        calls["workers"].append(nworkers)
        return scipy_product(a, b, axes, sizes, nworkers)

    monkeypatch.setattr(_fft, "_torch_product", counted_torch)
    monkeypatch.setattr(_fft, "_scipy_product", counted_scipy)
    yield calls
    _threads.reset_contention()
    caches.clear()


def _busy(monkeypatch, on: bool) -> None:
    """Force the contention signal on or off (``on=False``: also past the samples)."""
    monkeypatch.setattr(_threads, "contended", lambda key=None: on)
    if not on:
        monkeypatch.setattr(_threads, "unsampled", lambda key: False)


def _image(n=256, k=9, dtype=np.float32):
    rng = np.random.default_rng(0)
    return rng.standard_normal((n, n)).astype(dtype), rng.standard_normal((k, k)).astype(dtype)


@pytest.mark.parametrize("boundary", ["zero", "replicate"])
def test_contended_fft_stays_off_torch_and_matches_scipy(fresh, monkeypatch, boundary):
    a, b = _image()
    threads = torch.get_num_threads()
    _busy(monkeypatch, True)
    for _ in range(4):
        got = convop.convolve(a, b, "same", boundary=boundary, method="fft")
    assert fresh["torch"] == 0
    assert fresh["workers"] and set(fresh["workers"]) == {1}
    with convop.options(torch=False):
        ref = convop.convolve(a, b, "same", boundary=boundary, method="fft")
    np.testing.assert_array_equal(got, ref)
    if boundary == "zero":
        np.testing.assert_allclose(got, ss.fftconvolve(a, b, "same"), rtol=1e-4, atol=1e-3)
    assert torch.get_num_threads() == threads


def test_uncontended_fft_takes_torch_as_before(fresh, monkeypatch):
    a, b = _image()
    threads = torch.get_num_threads()
    _busy(monkeypatch, False)
    got = convop.convolve(a, b, "same", method="fft")
    assert fresh["torch"] == 1 and fresh["workers"] == []
    np.testing.assert_allclose(got, ss.fftconvolve(a, b, "same"), rtol=1e-4, atol=1e-3)
    assert torch.get_num_threads() == threads


def test_scipy_workers_follow_the_signal(fresh, monkeypatch):
    """Without torch: several scipy.fft workers only while not contended."""
    a, b = _image(768, 9, np.float64)
    with convop.options(torch=False, workers=2):
        _busy(monkeypatch, True)
        busy = convop.convolve(a, b, "same", method="fft")
        assert set(fresh["workers"]) == {1}
        fresh["workers"].clear()
        _busy(monkeypatch, False)
        quiet = convop.convolve(a, b, "same", method="fft")
        assert fresh["workers"] == [2]
    np.testing.assert_allclose(busy, quiet, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("boundary", ["zero", "reflect"])
def test_contended_torch_conv_route_falls_back(fresh, monkeypatch, boundary):
    rng = np.random.default_rng(1)
    a = rng.standard_normal((64, 64)).astype(np.float32)
    b = rng.standard_normal((3, 3)).astype(np.float32)
    threads = torch.get_num_threads()
    assert routes.kind(a, b, "same", boundary) == "torch"  # the choice, unchanged
    ran = []
    monkeypatch.setattr(
        torch.nn.functional, "conv2d", lambda *x, **y: ran.append(1) or pytest.fail("torch")
    )
    # plans resolved after this point see the patched conv
    monkeypatch.setattr("convop._engines.torch_direct._TORCH", None)
    caches.clear()
    _busy(monkeypatch, True)
    for _ in range(3):
        got = convop.convolve(a, b, "same", boundary=boundary)
    assert ran == []
    with convop.options(torch=False):
        ref = convop.convolve(a, b, "same", boundary=boundary)
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-5)
    assert torch.get_num_threads() == threads


def test_uncontended_torch_conv_route_runs_torch(fresh, monkeypatch):
    rng = np.random.default_rng(1)
    a = rng.standard_normal((64, 64)).astype(np.float32)
    b = rng.standard_normal((3, 3)).astype(np.float32)
    conv2d, ran = torch.nn.functional.conv2d, []
    monkeypatch.setattr(torch.nn.functional, "conv2d", lambda *x: ran.append(1) or conv2d(*x))
    monkeypatch.setattr("convop._engines.torch_direct._TORCH", None)
    caches.clear()
    _busy(monkeypatch, False)
    got = convop.convolve(a, b, "same")
    assert ran == [1]
    np.testing.assert_allclose(got, ss.convolve2d(a, b, "same"), rtol=1e-4, atol=1e-4)


def test_guard_samples_one_thread_first():
    """The real signal: a key's first calls run on one thread, then the threaded one;
    a threaded call slower than one thread holds the key (and, once threads helped,
    every multi-threaded route)."""
    _threads.reset_contention()
    try:
        ran = []
        for _ in range(_threads.SAMPLES + 1):
            _threads.on_threads("k", 1.0, lambda: ran.append("t"), lambda: ran.append("s"))
        assert ran == ["s"] * _threads.SAMPLES + ["t"]
        _threads.note_time("k", 1e-9, 1.0)  # threads helped once
        _threads.note_time("k", 1.0, 1.0)  # then slower than one thread
        assert _threads.contended("k") and _threads.contended()
        ran.clear()
        _threads.on_threads(("other",), 1.0, lambda: ran.append("t"), lambda: ran.append("s"))
        assert ran == ["s"]
    finally:
        _threads.reset_contention()


def test_torch_fft_follows_the_shared_signal(fresh, monkeypatch):
    """A hold of any other route (the BLAS products, scipy workers, torch's conv) keeps
    torch's FFT off too: one signal, not one per route."""
    a, b = _image()
    monkeypatch.setattr(_threads, "unsampled", lambda key: False)
    monkeypatch.setattr(_threads, "contended", lambda key=None: key is None)
    convop.convolve(a, b, "same", method="fft")
    assert fresh["torch"] == 0 and fresh["workers"] == [1]


def test_scipy_workers_feed_the_signal(fresh, monkeypatch):
    """Multi-worker scipy.fft calls are timed against one-worker calls of their shape
    (without torch nothing else would notice a busy core)."""
    a, b = _image(768, 9, np.float64)
    seen = []
    note = _threads.note_time
    monkeypatch.setattr(
        _threads,
        "note_time",
        lambda key, s, w, single=False: seen.append(single) or note(key, s, w, single),
    )
    with convop.options(torch=False, workers=2):
        for _ in range(_threads.SAMPLES + 1):
            convop.convolve(a, b, "same", method="fft")
    assert seen == [True] * _threads.SAMPLES + [False]
    assert fresh["workers"] == [1] * _threads.SAMPLES + [2]


@pytest.mark.parametrize("on", [True, False])
def test_layer_torch_conv_follows_the_signal(fresh, monkeypatch, on):
    """ConvLayer's direct backend (forward, adjoint, weight gradient): torch's conv only
    while not contended; results equal the NumPy backend's."""
    rng = np.random.default_rng(3)
    w = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    x = rng.standard_normal((2, 3, 16, 16)).astype(np.float32)
    layer = convop.ConvLayer(w, (3, 16, 16), padding=1, method="direct")
    threads = torch.get_num_threads()
    ran = []
    for mod, name in (
        ("functional", "conv2d"),
        ("functional", "conv_transpose2d"),
        ("grad", "conv2d_weight"),
    ):
        real = getattr(getattr(torch.nn, mod), name)
        spy = lambda *a, _f=real, _n=name, **k: ran.append(_n) or _f(*a, **k)  # noqa: E731
        monkeypatch.setattr(getattr(torch.nn, mod), name, spy)
    _busy(monkeypatch, on)
    y = layer(x)
    back = layer.adjoint(y)
    grad = layer.kernel_operator(x).adjoint(y)
    assert ran == ([] if on else ["conv2d", "conv_transpose2d", "conv2d_weight"])
    with convop.options(torch=False):
        ref = convop.ConvLayer(w, (3, 16, 16), padding=1, method="direct")
        np.testing.assert_allclose(y, ref(x), rtol=1e-4, atol=1e-4)
        np.testing.assert_allclose(back, ref.adjoint(y), rtol=1e-4, atol=1e-4)
        np.testing.assert_allclose(grad, ref.kernel_operator(x).adjoint(y), rtol=1e-4, atol=1e-3)
    assert torch.get_num_threads() == threads
