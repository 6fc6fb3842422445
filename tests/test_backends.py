"""Every method × boundary × mode against scipy/torch, methods against each other,
adjoint dot tests per method, and the code paths without torch."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.signal as ss
from hypothesis import given, settings
from hypothesis import strategies as st

import convop
from convop import _backends

from helpers import BOUNDARIES, MODES, assert_close, random_array, reference_convolve

METHODS = ("direct", "gemm", "fft", "overlap-add", "auto")
LAYER_METHODS = ("direct", "gemm", "fft", "auto")


@pytest.fixture(params=[None, False], ids=["torch-if-imported", "no-torch"])
def torch_flag(request, monkeypatch):
    monkeypatch.setattr(_backends, "TORCH", request.param)
    return request.param


# -- functional ---------------------------------------------------------------------------
@settings(max_examples=25)
@given(n=st.integers(1, 40), k=st.integers(1, 9), mode=st.sampled_from(MODES),
       boundary=st.sampled_from(BOUNDARIES), method=st.sampled_from(METHODS),
       seed=st.integers(0, 2**16))
def test_1d_every_method_matches_reference(n, k, mode, boundary, method, seed):
    rng = np.random.default_rng(seed)
    x, h = rng.standard_normal(n), rng.standard_normal(k)
    if mode == "valid" and k > n:
        x, h = h, x
    got = convop.convolve(x, h, mode, boundary=boundary, method=method)
    assert_close(got, reference_convolve(x, h, mode, boundary))


@settings(max_examples=20)
@given(shape=st.tuples(st.integers(3, 14), st.integers(3, 14)),
       kshape=st.tuples(st.integers(1, 4), st.integers(1, 4)), mode=st.sampled_from(MODES),
       boundary=st.sampled_from(BOUNDARIES), method=st.sampled_from(METHODS),
       correlate=st.booleans(), seed=st.integers(0, 2**16))
def test_2d_every_method_matches_reference(shape, kshape, mode, boundary, method, correlate,
                                           seed):
    rng = np.random.default_rng(seed)
    x, h = rng.standard_normal(shape), rng.standard_normal(kshape)
    fn = convop.correlate if correlate else convop.convolve
    got = fn(x, h, mode, boundary=boundary, method=method)
    assert_close(got, reference_convolve(x, h, mode, boundary, correlate))


@pytest.mark.parametrize("dtype", ["float32", "float64", "complex64", "complex128"])
@pytest.mark.parametrize("mode", MODES)
def test_methods_agree_and_keep_dtype(dtype, mode):
    rng = np.random.default_rng(0)
    x, h = random_array(rng, (3, 700), dtype), random_array(rng, (1, 41), dtype)
    ref = ss.fftconvolve(x.astype(np.complex128), h.astype(np.complex128), mode, axes=1)
    for method in METHODS:
        for boundary in ("zero", "reflect"):
            got = convop.convolve(x, h, mode, boundary=boundary, axes=1, method=method)
            assert got.dtype == np.dtype(dtype), (method, got.dtype)
            if boundary == "zero":
                assert_close(got, ref, dtype)
            else:
                assert_close(got, convop.convolve(x, h, mode, boundary=boundary, axes=1,
                                                  method="direct"), dtype)


@pytest.mark.parametrize("method", METHODS)
def test_overlap_add_long_signals(method):
    rng = np.random.default_rng(1)
    x, h = rng.standard_normal(20_000), rng.standard_normal(65)
    assert _backends.oa_block(20_000 + 128, 65)  # the blocked path is really taken
    for mode in MODES:
        assert_close(convop.convolve(x, h, mode, method=method), ss.convolve(x, h, mode))
    x2, h2 = rng.standard_normal((300, 260)), rng.standard_normal((9, 7))
    assert_close(convop.convolve(x2, h2, "same", boundary="periodic", method=method),
                 reference_convolve(x2, h2, "same", "periodic"))


@pytest.mark.parametrize("method", METHODS)
def test_integers_exact(method):
    rng = np.random.default_rng(2)
    x, h = rng.integers(-9, 9, 500), rng.integers(-9, 9, 21)
    got = convop.convolve(x, h, "same", method=method)
    assert got.dtype == x.dtype
    np.testing.assert_array_equal(got, np.convolve(x, h)[10:510])
    big = np.array([2**40, 3, -2**41], dtype=np.int64)
    assert convop.choose_method(big, big) == "direct"
    np.testing.assert_array_equal(convop.convolve(big, big), np.convolve(big, big))


def test_torch_direct_engine_matches(monkeypatch):
    pytest.importorskip("torch")
    monkeypatch.setattr(_backends, "USE_TORCH_DIRECT", True)
    rng = np.random.default_rng(3)
    x, h = rng.standard_normal((2, 30, 30)), rng.standard_normal((1, 5, 5))
    got = convop.convolve(x, h, "same", boundary="symmetric", axes=(1, 2), method="direct")
    monkeypatch.setattr(_backends, "TORCH", False)
    ref = convop.convolve(x, h, "same", boundary="symmetric", axes=(1, 2), method="direct")
    assert_close(got, ref)


# -- operators ----------------------------------------------------------------------------
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("boundary", BOUNDARIES)
@pytest.mark.parametrize("mode", MODES)
def test_convolution_operator_dottest_per_method(method, boundary, mode):
    rng = np.random.default_rng(4)
    A = convop.Convolution(rng.standard_normal((4, 3)), (11, 9), mode, boundary=boundary,
                           method=method)
    assert A.method in METHODS[:-1]
    assert convop.dottest(A, rng=0) < 1e-10
    x = rng.standard_normal((2, 11, 9))
    assert_close(A(x), np.stack([reference_convolve(v, A.kernel, mode, boundary) for v in x]))
    B = A.kernel_operator(x)
    assert convop.dottest(B, rng=0) < 1e-10


def test_convolution_swapped_valid_per_method():
    rng = np.random.default_rng(5)
    for method in METHODS:
        A = convop.Convolution(rng.standard_normal(30), (7,), "valid", method=method)
        assert convop.dottest(A, rng=0) < 1e-10
        x = rng.standard_normal(7)
        assert_close(A(x), ss.convolve(x, A.kernel, "valid"))


def test_operator_rejects_unknown_method():
    with pytest.raises(ValueError, match="invalid method='winograd'"):
        convop.Convolution(np.ones(3), (5,), method="winograd")
    with pytest.raises(ValueError, match="invalid method='overlap-add'"):
        convop.ConvLayer(np.ones((1, 1, 3)), (1, 5), method="overlap-add")
    with pytest.raises(ValueError, match="invalid method='fast'"):
        convop.convolve(np.ones(3), np.ones(2), method="fast")


# -- layers -------------------------------------------------------------------------------
LAYER_SPECS = [
    dict(stride=1, padding=0, dilation=1, groups=1, boundary="zero"),
    dict(stride=2, padding=1, dilation=1, groups=1, boundary="zero"),
    dict(stride=1, padding=2, dilation=2, groups=2, boundary="periodic"),
    dict(stride=3, padding=2, dilation=2, groups=4, boundary="reflect"),
    dict(stride=1, padding="same", dilation=1, groups=2, boundary="replicate"),
]


def _torch_layer(x, w, spec):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    d = w.ndim - 2
    mode = {"zero": "constant", "periodic": "circular", "reflect": "reflect",
            "replicate": "replicate"}[spec["boundary"]]
    pad = spec["padding"]
    if pad == "same":
        tot = [spec["dilation"] * (k - 1) for k in w.shape[2:]]
        pairs = [(t // 2, t - t // 2) for t in tot]
    else:
        pairs = [(pad, pad)] * d
    flat = [v for pr in reversed(pairs) for v in pr]
    tx = F.pad(torch.from_numpy(x), flat, mode=mode)
    conv = (F.conv1d, F.conv2d, F.conv3d)[d - 1]
    return conv(tx, torch.from_numpy(w), stride=spec["stride"], dilation=spec["dilation"],
                groups=spec["groups"]).numpy()


@pytest.mark.parametrize("d", [1, 2])
@pytest.mark.parametrize("spec", LAYER_SPECS)
def test_layer_methods_match_torch(d, spec, torch_flag):
    rng = np.random.default_rng(6)
    cin, cout = 4, 8
    w = rng.standard_normal((cout, cin // spec["groups"]) + (3,) * d)
    x = rng.standard_normal((2, cin) + (13,) * d)
    ref = _torch_layer(x, w, spec)
    for method in LAYER_METHODS:
        L = convop.ConvLayer(w, (cin,) + (13,) * d, method=method, **spec)
        assert_close(L(x), ref)
        assert convop.dottest(L, rng=0) < 1e-10, method


@pytest.mark.parametrize("method", LAYER_METHODS)
def test_layer_adjoints_agree_float32(method, torch_flag):
    rng = np.random.default_rng(7)
    w = rng.standard_normal((6, 3, 3, 3)).astype(np.float32)
    L = convop.ConvLayer(w, (3, 10, 9), stride=2, padding=1, method=method)
    ref = convop.ConvLayer(w, (3, 10, 9), stride=2, padding=1, method="gemm")
    y = rng.standard_normal((2,) + L.output_shape).astype(np.float32)
    got = L.adjoint(y)
    assert got.dtype == np.float32
    assert_close(got, ref.adjoint(y), np.float32)


def test_layer_complex_fft_and_gemm():
    rng = np.random.default_rng(8)
    w = random_array(rng, (2, 2, 3), "complex128")
    for method in ("direct", "gemm", "fft"):
        L = convop.ConvLayer(w, (2, 9), padding=1, stride=2, method=method)
        assert convop.dottest(L, rng=0) < 1e-10
        assert_close(L.to_dense(), convop.ConvLayer(w, (2, 9), padding=1, stride=2,
                                                    method="gemm").to_dense())
