"""Every method × boundary × mode against scipy/torch, methods against each other,
adjoint dot tests per method, and the code paths without torch."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal as ss
from hypothesis import given, settings
from hypothesis import strategies as st

import convop
from convop._engines import dispatch as _dispatch
from convop._engines import fft as _fft_backends
from convop._engines import torch_direct as _torch_direct
from convop._planning import cost as _cost
from convop._planning import routes as _routes

from helpers import BOUNDARIES, MODES, assert_close, random_array, reference_convolve

METHODS = ("direct", "gemm", "fft", "overlap-add", "auto")
LAYER_METHODS = ("direct", "gemm", "fft", "auto")


@pytest.fixture(params=[None, False], ids=["torch-if-imported", "no-torch"])
def torch_flag(request):
    with convop.options(torch=request.param is None):
        yield request.param


# -- functional ---------------------------------------------------------------------------
@settings(max_examples=25)
@given(
    n=st.integers(1, 40),
    k=st.integers(1, 9),
    mode=st.sampled_from(MODES),
    boundary=st.sampled_from(BOUNDARIES),
    method=st.sampled_from(METHODS),
    seed=st.integers(0, 2**16),
)
def test_1d_every_method_matches_reference(n, k, mode, boundary, method, seed):
    rng = np.random.default_rng(seed)
    x, h = rng.standard_normal(n), rng.standard_normal(k)
    if mode == "valid" and k > n:
        x, h = h, x
    got = convop.convolve(x, h, mode, boundary=boundary, method=method)
    assert_close(got, reference_convolve(x, h, mode, boundary))


@settings(max_examples=20)
@given(
    shape=st.tuples(st.integers(4, 14), st.integers(4, 14)),
    kshape=st.tuples(st.integers(1, 4), st.integers(1, 4)),
    mode=st.sampled_from(MODES),
    boundary=st.sampled_from(BOUNDARIES),
    method=st.sampled_from(METHODS),
    correlate=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_2d_every_method_matches_reference(shape, kshape, mode, boundary, method, correlate, seed):
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
                assert_close(
                    got,
                    convop.convolve(x, h, mode, boundary=boundary, axes=1, method="direct"),
                    dtype,
                )


@pytest.mark.parametrize("method", METHODS)
def test_overlap_add_long_signals(method):
    rng = np.random.default_rng(1)
    x, h = rng.standard_normal(20_000), rng.standard_normal(65)
    assert _fft_backends.oa_block(20_000 + 128, 65)  # the blocked path is really taken
    for mode in MODES:
        assert_close(convop.convolve(x, h, mode, method=method), ss.convolve(x, h, mode))
    x2, h2 = rng.standard_normal((300, 260)), rng.standard_normal((9, 7))
    assert_close(
        convop.convolve(x2, h2, "same", boundary="periodic", method=method),
        reference_convolve(x2, h2, "same", "periodic"),
    )


@pytest.mark.parametrize("method", METHODS)
def test_integers_exact(method):
    rng = np.random.default_rng(2)
    x, h = rng.integers(-9, 9, 500), rng.integers(-9, 9, 21)
    got = convop.convolve(x, h, "same", method=method)
    assert got.dtype == x.dtype
    np.testing.assert_array_equal(got, np.convolve(x, h)[10:510])
    big = np.array([2**40, 3, -(2**41)], dtype=np.int64)
    assert convop.choose_method(big, big) == "direct"
    np.testing.assert_array_equal(convop.convolve(big, big), np.convolve(big, big))


def test_torch_direct_engine_matches():
    pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    x, h = rng.standard_normal((2, 30, 30)), rng.standard_normal((1, 5, 5))
    with convop.options(direct_engine="torch"):
        got = convop.convolve(x, h, "same", boundary="symmetric", axes=(1, 2), method="direct")
    with convop.options(torch=False):
        ref = convop.convolve(x, h, "same", boundary="symmetric", axes=(1, 2), method="direct")
    assert_close(got, ref)


# -- operators ----------------------------------------------------------------------------
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("boundary", BOUNDARIES)
@pytest.mark.parametrize("mode", MODES)
def test_convolution_operator_dottest_per_method(method, boundary, mode):
    rng = np.random.default_rng(4)
    A = convop.Convolution(
        rng.standard_normal((4, 3)), (11, 9), mode, boundary=boundary, method=method
    )
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
    mode = {
        "zero": "constant",
        "periodic": "circular",
        "reflect": "reflect",
        "replicate": "replicate",
    }[spec["boundary"]]
    pad = spec["padding"]
    if pad == "same":
        tot = [spec["dilation"] * (k - 1) for k in w.shape[2:]]
        pairs = [(t // 2, t - t // 2) for t in tot]
    else:
        pairs = [(pad, pad)] * d
    flat = [v for pr in reversed(pairs) for v in pr]
    tx = F.pad(torch.from_numpy(x), flat, mode=mode)
    conv = (F.conv1d, F.conv2d, F.conv3d)[d - 1]
    return conv(
        tx,
        torch.from_numpy(w),
        stride=spec["stride"],
        dilation=spec["dilation"],
        groups=spec["groups"],
    ).numpy()


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
        assert_close(
            L.to_dense(), convop.ConvLayer(w, (2, 9), padding=1, stride=2, method="gemm").to_dense()
        )


# -- boundary fast paths ----------------------------------------------------------------------
@settings(max_examples=40)
@given(
    shape=st.lists(st.integers(1, 9), min_size=1, max_size=3),
    kgrow=st.lists(st.integers(0, 12), min_size=3, max_size=3),
    pad_extra=st.lists(st.integers(0, 12), min_size=6, max_size=6),
    method=st.sampled_from(("direct", "fft", "overlap-add")),
    dtype=st.sampled_from(("float64", "float32", "complex128")),
    batch=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_periodic_is_circular_for_any_width(shape, kgrow, pad_extra, method, dtype, batch, seed):
    """valid(E a, b) with E periodic by any widths (wider than the period, kernels longer
    than the period): the aliasing and circular-FFT routes against numpy.pad('wrap')."""
    rng = np.random.default_rng(seed)
    nd = len(shape)
    kshape = tuple(1 + g % 8 for g in kgrow[:nd])
    pads = tuple((pad_extra[2 * i], pad_extra[2 * i + 1]) for i in range(nd))
    pads = tuple((l, max(r, q - 1 - l)) for (l, r), q in zip(pads, kshape))  # output ≥ 1
    a = random_array(rng, ((2,) if batch else ()) + tuple(shape), dtype)
    b = random_array(rng, kshape, dtype)
    got = _dispatch.conv_boundary(a, b, nd, method, pads, "periodic")
    width = [(0, 0)] * (a.ndim - nd) + list(pads)
    ext = np.pad(a, width, mode="wrap")
    ref = ss.convolve(ext, b.reshape((1,) * (a.ndim - nd) + kshape), "valid")
    assert got.dtype == np.dtype(dtype)
    assert_close(got, ref, dtype)


@pytest.mark.parametrize("boundary", ("periodic", "reflect", "symmetric", "replicate"))
@pytest.mark.parametrize("mode", ("full", "same"))
@pytest.mark.parametrize("dtype", ("float64", "float32"))
def test_1d_scalar_border_fixup_matches_numpy_pad(boundary, mode, dtype):
    rng = np.random.default_rng(1)
    for n in (1, 2, 3, 5, 9, 40):
        for k in range(1, min(n, _routes.SCALAR_FIXUP_TAPS) + 1):
            x, h = random_array(rng, (n,), dtype), random_array(rng, (k,), dtype)
            fixup = _routes.fixup_route(n, k, mode, boundary)
            res = None if fixup is None else fixup(x, h)
            left = k - 1 if mode == "full" else k - 1 - (k - 1) // 2
            right = k - 1 if mode == "full" else (k - 1) // 2
            if res is None:  # widths that need repeated reflections
                assert max(left, right) > n - 1
                continue
            ext = np.pad(
                x.astype(np.float64),
                (left, right),
                mode={"periodic": "wrap", "replicate": "edge"}.get(boundary, boundary),
            )
            assert res.dtype == np.dtype(dtype)
            assert_close(res, np.convolve(ext, h.astype(np.float64), "valid"), dtype)


@settings(max_examples=40)
@given(
    nd=st.integers(1, 3),
    boundary=st.sampled_from(("zero", "periodic", "reflect", "replicate", "symmetric")),
    dtype=st.sampled_from(("float64", "float32")),
    seed=st.integers(0, 2**16),
)
def test_torch_engine_pads_like_numpy(nd, boundary, dtype, seed):
    """torch's single-channel conv with torch-side padding or a NumPy gather
    (asymmetric widths too) against numpy.pad + scipy."""
    pytest.importorskip("torch")
    rng = np.random.default_rng(seed)
    shape = tuple(int(v) for v in rng.integers(4, 12, nd))
    kshape = (
        (int(rng.integers(8, 20)),) if nd == 1 else tuple(int(v) for v in rng.integers(1, 4, nd))
    )
    kshape = tuple(min(q, p) for q, p in zip(kshape, shape))
    pads = tuple((int(rng.integers(0, q)), int(rng.integers(0, q))) for q in kshape)
    a = random_array(rng, (2,) + shape, dtype)
    b = random_array(rng, kshape, dtype)
    ext1 = (shape[0] + sum(pads[0]),)
    if nd == 1:
        # measured rules keep tiny 1-D signals on NumPy
        assert not _cost.torch_direct_pays(ext1, kshape)
    # the engine itself, wherever the cost model would not choose it
    assert _cost.torch_direct_pays(ext1 if nd == 1 else shape, kshape, always=True)
    # torch_plan: torch's computation itself (torch_valid runs it behind the busy-core
    # guard, which takes the NumPy fallback for a shape's first calls)
    run = _torch_direct.torch_plan(a.shape, b.shape, a.dtype, nd, pads, boundary)
    got = None if run is None else run(a, b)
    ext = np.pad(a, [(0, 0)] + list(pads), mode=NUMPY_PAD[boundary])
    ref = ss.convolve(ext, b[None], "valid")
    assert got is not None and got.dtype == np.dtype(dtype)
    assert_close(got, ref, dtype)


NUMPY_PAD = {
    "zero": "constant",
    "periodic": "wrap",
    "reflect": "reflect",
    "replicate": "edge",
    "symmetric": "symmetric",
}


@pytest.mark.parametrize("d", [1, 2])
@pytest.mark.parametrize("spec", LAYER_SPECS)
def test_kernel_operator_per_method_is_torch_weight_gradient(d, spec, torch_flag):
    """w ↦ layer(x; w) and its adjoint by each method: torch's forward and weight grad."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(9)
    cin, cout = 4, 8
    w = rng.standard_normal((cout, cin // spec["groups"]) + (3,) * d)
    x = rng.standard_normal((2, cin) + (11,) * d)
    wt = torch.tensor(w, requires_grad=True)
    F = torch.nn.functional
    mode = {
        "zero": "constant",
        "periodic": "circular",
        "reflect": "reflect",
        "replicate": "replicate",
    }[spec["boundary"]]
    pad = spec["padding"]
    tot = [spec["dilation"] * 2] * d
    pairs = [(t // 2, t - t // 2) for t in tot] if pad == "same" else [(pad, pad)] * d
    tx = F.pad(torch.from_numpy(x), [v for pr in reversed(pairs) for v in pr], mode=mode)
    yt = (F.conv1d, F.conv2d)[d - 1](
        tx, wt, stride=spec["stride"], dilation=spec["dilation"], groups=spec["groups"]
    )
    g = rng.standard_normal(tuple(yt.shape))
    yt.backward(torch.from_numpy(g))
    for method in LAYER_METHODS:
        L = convop.ConvLayer(w, (cin,) + (11,) * d, method=method, **spec)
        K = L.kernel_operator(x)
        assert_close(K(w), yt.detach().numpy())
        assert_close(K.adjoint(g), wt.grad.numpy())
        assert_close(
            K.adjoint(np.stack([g, 2 * g])), np.stack([wt.grad.numpy(), 2 * wt.grad.numpy()])
        )
        assert convop.dottest(K, rng=0) < 1e-10, method
        assert convop.dottest(K, rng=1, complex=True) < 1e-10, method


@pytest.mark.parametrize("method", ("direct", "gemm", "fft"))
def test_kernel_operator_complex_and_float32(method):
    rng = np.random.default_rng(10)
    w = random_array(rng, (4, 2, 3), "complex128")
    L = convop.ConvLayer(w, (2, 12), padding=1, stride=2, dilation=2, method=method)
    x = random_array(rng, (3, 2, 12), "complex128")
    K = L.kernel_operator(x)
    ref = convop.ConvLayer(w, (2, 12), padding=1, stride=2, dilation=2, method="gemm")
    assert_close(K(w), ref(x))
    assert convop.dottest(K, rng=0) < 1e-10
    w32 = rng.standard_normal((4, 2, 3)).astype(np.float32)
    L32 = convop.ConvLayer(w32, (2, 12), padding=1, method=method)
    K32 = L32.kernel_operator(rng.standard_normal((2, 12)).astype(np.float32))
    out = K32.adjoint(rng.standard_normal(L32.output_shape).astype(np.float32))
    assert out.dtype == np.float32 and out.shape == w32.shape


@pytest.mark.parametrize("dtype", ("float64", "float32"))
@pytest.mark.parametrize("boundary", BOUNDARIES)
@pytest.mark.parametrize("mode", MODES)
def test_1d_shift_and_add_for_mid_size_kernels(dtype, boundary, mode):
    """Where numpy.convolve's slow loop would run (K ≥ 9), direct shifts and adds."""
    from convop._planning import choose as _choose

    rng = np.random.default_rng(11)
    x, h = random_array(rng, (20000,), dtype), random_array(rng, (15,), dtype)
    assert _choose.shift_add_1d(20000, 15, np.dtype(dtype)) == (dtype == "float32")
    assert not _choose.shift_add_1d(20000, 11, np.dtype(dtype))  # numpy's fast loop
    for method in ("direct", "auto"):
        got = convop.convolve(x, h, mode, boundary=boundary, method=method)
        assert got.dtype == np.dtype(dtype)
        assert_close(
            got,
            reference_convolve(x.astype(np.float64), h.astype(np.float64), mode, boundary),
            dtype,
        )
    batch = random_array(rng, (3, 5000), dtype)
    got = convop.convolve(batch, h[None], mode, boundary=boundary, axes=1, method="direct")
    assert_close(got, np.stack([reference_convolve(r, h, mode, boundary) for r in batch]), dtype)


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 30),
    left=st.integers(0, 31),
    right=st.integers(0, 31),
    boundary=st.sampled_from(("zero", "periodic", "reflect", "symmetric", "replicate")),
)
def test_edges_1d_match_numpy_pad(n, left, right, boundary):
    """The 1-D edge slices of the short paths are numpy.pad's samples, or None when
    numpy.pad would need more than one wrap/reflection."""
    from convop._core.extension import edges_1d

    x = np.arange(1.0, n + 1)
    got = edges_1d(x, left, right, boundary)
    limit = n - 1 if boundary == "reflect" else n
    if got is None:
        assert boundary != "zero" and boundary != "replicate" and max(left, right) > limit
        return
    mode = {"zero": "constant", "periodic": "wrap", "replicate": "edge"}.get(boundary, boundary)
    ref = np.pad(x, (left, right), mode=mode)
    np.testing.assert_array_equal(np.concatenate((got[0], x, got[1])), ref)


@settings(max_examples=60)
@given(n=st.integers(1, 300_000), real=st.booleans())
def test_fft_length_is_a_fast_length_close_to_scipys(n, real):
    """The length chooser returns a 5-smooth length (or scipy's own choice) no shorter
    than n and at most 12% longer than scipy's next_fast_len."""
    import scipy.fft as sfft

    from convop._engines.fft import FFT_LENGTH_SLACK, fft_length

    got, scipy_len = fft_length(n, real), sfft.next_fast_len(n, real=real)
    assert got >= n
    assert got <= max(scipy_len, int(sfft.next_fast_len(n, real=True) * FFT_LENGTH_SLACK))
    rest = got
    for p in (2, 3, 5):
        while rest % p == 0:
            rest //= p
    assert rest == 1 or got == scipy_len


def test_fft_length_prefers_powers_of_two_over_long_odd_radix_chains():
    from convop._engines.fft import fft_length

    assert fft_length(13000) == 13824  # 2⁹·3³, not scipy's 13122 = 2·3⁸
    assert fft_length(131072) == 131072


def test_fft_crop_is_a_view_only_when_it_keeps_most_of_the_buffer():
    from convop._engines.fft import crop as _crop

    buf = np.arange(100.0).reshape(10, 10)
    big = _crop(buf, (1, 1), (8, 8), buf.dtype)  # 64 of 100 samples: view
    small = _crop(buf, (2, 3), (3, 4), buf.dtype)  # 12 of 100: own memory
    np.testing.assert_array_equal(big, buf[1:9, 1:9])
    np.testing.assert_array_equal(small, buf[2:5, 3:7])
    assert np.shares_memory(big, buf) and not np.shares_memory(small, buf)
    assert small.flags.c_contiguous
    cast = _crop(buf, (1, 1), (8, 8), np.dtype(np.float32))  # a cast is always a copy
    assert cast.dtype == np.float32 and not np.shares_memory(cast, buf)


def test_fft_results_are_writable_and_independent_of_the_inputs():
    rng = np.random.default_rng(3)
    x, h = rng.standard_normal((40, 40)), rng.standard_normal((9, 9))
    x0, h0 = x.copy(), h.copy()
    for mode in MODES:
        y = convop.convolve(x, h, mode, method="fft")
        assert_close(y, ss.convolve(x0, h0, mode))
        y += 1.0  # writable, owns no input
        np.testing.assert_array_equal(x, x0)
        np.testing.assert_array_equal(h, h0)
