"""ConvLayer against torch.nn.functional.conv1d/2d/3d: forward, adjoint, weight gradient."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import torch.nn.functional as F  # noqa: E402
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import convop  # noqa: E402

from helpers import assert_close  # noqa: E402
from structure_checks import check_tag  # noqa: E402

TORCH_MODE = {
    "zero": "zeros",
    "periodic": "circular",
    "reflect": "reflect",
    "replicate": "replicate",
}
CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}


def torch_layer(x, w, stride, padding, dilation, groups, boundary):
    """Reference: torch's own conv, padding via F.pad (numpy.pad for 'symmetric')."""
    d = w.ndim - 2
    conv = CONV[d]
    if boundary == "zero" or isinstance(padding, str):
        return conv(x, w, stride=stride, padding=padding, dilation=dilation, groups=groups)
    pads = [q for p in reversed(padding) for q in (p, p)]
    if boundary == "symmetric":
        width = [(0, 0)] * (x.ndim - d) + [(p, p) for p in padding]
        xp = torch.tensor(np.pad(x.detach().numpy(), width, mode="symmetric"))
        # keep autograd: build the gather index from numpy.pad of an index grid
        idx = np.pad(np.arange(x[0].numel()).reshape(x.shape[1:]), width[1:], mode="symmetric")
        xp = x.reshape(x.shape[0], -1)[:, torch.tensor(idx.ravel())].reshape(
            (x.shape[0],) + idx.shape
        )
    else:
        xp = F.pad(x, pads, mode=TORCH_MODE[boundary])
    return conv(xp, w, stride=stride, dilation=dilation, groups=groups)


@st.composite
def layers(draw, max_d=3):
    d = draw(st.integers(1, max_d))
    groups = draw(st.integers(1, 2))
    cin = groups * draw(st.integers(1, 2))
    cout = groups * draw(st.integers(1, 2))
    k = tuple(draw(st.integers(1, 3)) for _ in range(d))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(d))
    dil = tuple(draw(st.integers(1, 2)) for _ in range(d))
    n = tuple(draw(st.integers(max(2, dl * (q - 1) + 1), 7)) for q, dl in zip(k, dil))
    boundary = draw(st.sampled_from(["zero", "periodic", "reflect", "replicate", "symmetric"]))
    limit = [m - 1 for m in n] if boundary == "reflect" else list(n)
    pad = tuple(draw(st.integers(0, min(3, lim))) for lim in limit)
    use_same = draw(st.booleans()) and all(s == 1 for s in stride) and boundary == "zero"
    padding = "same" if use_same else pad
    return d, groups, cin, cout, k, stride, dil, n, boundary, padding, draw(st.integers(0, 2**16))


@given(layers())
def test_matches_torch(case):
    d, groups, cin, cout, k, stride, dil, n, boundary, padding, seed = case
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((cout, cin // groups) + k)
    x = rng.standard_normal((2, cin) + n)
    A = convop.ConvLayer(
        w,
        (cin,) + n,
        stride=stride,
        padding=padding,
        dilation=dil,
        groups=groups,
        boundary=boundary,
    )
    xt = torch.tensor(x, requires_grad=True)
    wt = torch.tensor(w, requires_grad=True)
    yt = torch_layer(xt, wt, stride, padding, dil, groups, boundary)
    y = A(x)
    assert y.shape == tuple(yt.shape) and A.output_shape == y.shape[1:]
    assert_close(y, yt.detach().numpy())
    assert_close(A(x[0]), yt[0].detach().numpy())  # unbatched
    g = rng.standard_normal(y.shape)
    yt.backward(torch.tensor(g))
    assert_close(A.adjoint(g), xt.grad.numpy())
    K = A.kernel_operator(x)
    assert_close(K(w), y)
    assert_close(K.adjoint(g), wt.grad.numpy())
    convop.dottest(A, rng=0, rtol=1e-10)
    convop.dottest(A, rng=1, complex=True, rtol=1e-10)
    convop.dottest(K, rng=2, rtol=1e-10)


@given(layers(max_d=2))
def test_matrices(case):
    d, groups, cin, cout, k, stride, dil, n, boundary, padding, seed = case
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((cout, cin // groups) + k)
    A = convop.ConvLayer(
        w,
        (cin,) + n,
        stride=stride,
        padding=padding,
        dilation=dil,
        groups=groups,
        boundary=boundary,
    )
    D = A.to_dense()
    S = A.to_sparse("csc")
    assert S.format == "csc"
    np.testing.assert_allclose(S.toarray(), D, atol=1e-12)
    assert S.nnz <= (w.size // cout) * A.shape[0]  # C_in/groups * taps per row at most
    x = rng.standard_normal(A.input_shape)
    np.testing.assert_allclose(D @ x.ravel(), A(x).ravel(), atol=1e-10)
    np.testing.assert_allclose(A.T.to_dense(), D.T, atol=1e-12)
    assert check_tag(A.structure, D, A.output_shape, A.input_shape) or A.structure == "general"


@pytest.mark.parametrize(
    "boundary, padding, tag",
    [
        ("zero", 1, "toeplitz"),
        ("periodic", 1, "circulant"),
        ("periodic", 2, "general"),
        ("symmetric", 1, "toeplitz+hankel"),
        ("reflect", 1, "general"),
    ],
)
def test_single_channel_tags(boundary, padding, tag):
    A = convop.ConvLayer(np.array([[[1.0, 3.0, 2.0]]]), (1, 6), padding=padding, boundary=boundary)
    assert A.structure == tag
    assert check_tag(tag, A.to_dense(), A.output_shape[1:], A.input_shape[1:])
    B = convop.ConvLayer(np.ones((1, 1, 3, 3)), (1, 5, 5), padding=1, boundary="circular")
    assert B.structure == "bccb"
    assert convop.ConvLayer(np.ones((2, 1, 3)), (1, 6)).structure == "general"


def test_reflect_as_wide_as_allowed_and_same_padding():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 6, 5))
    w = rng.standard_normal((4, 3, 3, 2))
    A = convop.ConvLayer(w, x.shape, padding=(5, 4), boundary="reflect")
    ref = F.conv2d(F.pad(torch.tensor(x)[None], (4, 4, 5, 5), mode="reflect"), torch.tensor(w))
    assert_close(A(x), ref[0].numpy())
    B = convop.ConvLayer(w, x.shape, padding="same", dilation=(2, 3))
    ref = F.conv2d(torch.tensor(x)[None], torch.tensor(w), padding="same", dilation=(2, 3))
    assert_close(B(x), ref[0].numpy())
    assert B.output_shape == x.shape[:0] + (4, 6, 5)


def test_float32_complex_and_no_mutation():
    rng = np.random.default_rng(1)
    w = rng.standard_normal((2, 2, 3)).astype(np.float32)
    A = convop.ConvLayer(w, (2, 9), stride=2, padding=1, boundary="replicate")
    x = rng.standard_normal((2, 9)).astype(np.float32)
    xc = x.copy()
    assert A(x).dtype == np.float32 and A.adjoint(A(x)).dtype == np.float32
    np.testing.assert_array_equal(x, xc)
    wc = rng.standard_normal((2, 2, 3)) + 1j * rng.standard_normal((2, 2, 3))
    C = convop.ConvLayer(wc, (2, 9), stride=2, padding=1, boundary="periodic")
    convop.dottest(C, complex=True, rtol=1e-10)
    np.testing.assert_allclose(C.H.to_dense(), C.to_dense().conj().T, atol=1e-12)


def test_auto_plans_each_batch_size():
    """method='auto' asks the cost model per batch size (the FFT transforms the filters
    once per call, so its share per input falls with the batch); every plan computes
    the same map as torch."""
    rng = np.random.default_rng(4)
    w = rng.standard_normal((16, 16, 11, 11)).astype(np.float32)
    with convop.options(torch=False):
        layer = convop.ConvLayer(w, (16, 24, 24), padding=5)
        plans = {b: layer.method_for(b) for b in (1, 16)}
        assert plans[1] == layer.method
        for b, meth in plans.items():
            assert meth == convop.choose_method(
                (b, 16, 34, 34) if b > 1 else (16, 34, 34), w, channels=16
            )
        assert plans[1] != plans[16]  # gemm for one input, fft for sixteen
        x = rng.standard_normal((16, 16, 24, 24)).astype(np.float32)
        got = layer(x)
    ref = F.conv2d(torch.from_numpy(x), torch.from_numpy(w), padding=5).numpy()
    assert_close(got, ref, "float32")
    fixed = convop.ConvLayer(w, (16, 24, 24), padding=5, method="direct")
    assert fixed.method_for(16) == "direct"


@pytest.mark.parametrize("method", ["direct", "gemm", "fft"])
@pytest.mark.parametrize(
    "stride, dilation, k, n",
    [
        ((2, 1), (1, 2), (3, 2), (9, 8)),
        ((1, 3), (2, 1), (2, 3), (7, 11)),
        ((3, 1, 2), (1, 2, 1), (2, 2, 3), (8, 6, 9)),
    ],
    ids=["2x1", "1x3", "3x1x2"],
)
@pytest.mark.parametrize("boundary", ["zero", "reflect"])
def test_uneven_strides_and_dilations_every_method(method, stride, dilation, k, n, boundary):
    """Issue 21.12: strides/dilations that read differently reversed, on every method —
    reversing the stride axes in one path's adjoint must fail here."""
    rng = np.random.default_rng(sum(stride) + len(n))
    cin, cout = 2, 3
    w = rng.standard_normal((cout, cin) + k)
    x = rng.standard_normal((2, cin) + n)
    padding = tuple(1 for _ in n)
    A = convop.ConvLayer(
        w, (cin,) + n, stride=stride, padding=padding, dilation=dilation,
        boundary=boundary, method=method,
    )  # fmt: skip
    xt = torch.tensor(x, requires_grad=True)
    wt = torch.tensor(w, requires_grad=True)
    yt = torch_layer(xt, wt, stride, padding, dilation, 1, boundary)
    y = A(x)
    assert_close(y, yt.detach().numpy())
    g = rng.standard_normal(y.shape)
    yt.backward(torch.tensor(g))
    assert_close(A.adjoint(g), xt.grad.numpy())
    K = A.kernel_operator(x)
    assert_close(K.adjoint(g), wt.grad.numpy())
    convop.dottest(A, rng=0, rtol=1e-10)
    convop.dottest(K, rng=1, rtol=1e-10)
