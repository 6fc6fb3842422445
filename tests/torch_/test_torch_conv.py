"""convop.torch.conv: forward vs torch.nn.functional, gradients, errors, import hygiene."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, example, given
from hypothesis import strategies as st

import convop
import convop.torch as ct
from convop.torch._fft import good_size

from helpers import NUMPY_MODE, assert_close

BOUNDARIES = ("zero", "periodic", "reflect", "symmetric", "replicate")
NATIVE = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}


def reference(x, w, b, stride, pads, dilation, groups, boundary):
    """numpy.pad in the boundary's mode, then F.conv*d without padding, in float64."""
    xn = x.detach().double().numpy()
    d = w.ndim - 2
    width = [(0, 0)] * (xn.ndim - d) + [tuple(p) for p in pads]
    xp = np.pad(xn, width, mode=NUMPY_MODE[boundary])
    return NATIVE[d](
        torch.from_numpy(xp),
        w.detach().double(),
        None if b is None else b.detach().double(),
        stride=stride,
        dilation=dilation,
        groups=groups,
    )


@st.composite
def conv_case(draw):
    d = draw(st.integers(1, 3))
    groups = draw(st.integers(1, 2))
    cig, cog = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    kernel = tuple(draw(st.integers(1, 4)) for _ in range(d))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(d))
    same = draw(st.booleans())
    stride = (1,) * d if same else tuple(draw(st.integers(1, 3)) for _ in range(d))
    if same:
        padding = "same"
        tot = [dl * (k - 1) for dl, k in zip(dilation, kernel)]
        pads = [(t // 2, t - t // 2) for t in tot]
    else:
        pads = [(draw(st.integers(0, 3)), draw(st.integers(0, 3))) for _ in range(d)]
        padding = pads if draw(st.booleans()) else [max(p) for p in pads]
        if not isinstance(padding[0], tuple):
            pads = [(p, p) for p in padding]
    size = tuple(draw(st.integers(1, 7 if d < 3 else 5)) for _ in range(d))
    boundary = draw(st.sampled_from(BOUNDARIES))
    return {
        "d": d,
        "groups": groups,
        "cig": cig,
        "cog": cog,
        "kernel": kernel,
        "dilation": dilation,
        "stride": stride,
        "padding": padding,
        "pads": pads,
        "size": size,
        "boundary": boundary,
        "batched": draw(st.booleans()),
        "bias": draw(st.booleans()),
        "method": draw(st.sampled_from(["native", "fft", "auto"])),
    }


ALL_ZERO_OUTPUT = {  # stride 2 lands only on padding: exact output 0, FFT gives ~1e-9
    "d": 3, "groups": 1, "cig": 1, "cog": 1, "kernel": (1, 1, 1), "dilation": (1, 1, 1),
    "stride": (1, 1, 2), "padding": [0, 0, 1], "pads": [(0, 0), (0, 0), (1, 1)],
    "size": (1, 1, 1), "boundary": "zero", "batched": False, "bias": False, "method": "fft",
}  # fmt: skip


@given(conv_case(), st.integers(0, 2**31 - 1))
@example(ALL_ZERO_OUTPUT, 0)
def test_forward_matches_torch(case, seed):
    _d, g = case["d"], case["groups"]
    spans = [dl * (k - 1) + 1 for dl, k in zip(case["dilation"], case["kernel"])]
    assume(all(n + l + r >= e for n, (l, r), e in zip(case["size"], case["pads"], spans)))
    gen = torch.Generator().manual_seed(seed)
    shape = ((2,) if case["batched"] else ()) + (g * case["cig"],) + case["size"]
    x = torch.randn(shape, generator=gen)
    w = torch.randn((g * case["cog"], case["cig"]) + case["kernel"], generator=gen)
    b = torch.randn(g * case["cog"], generator=gen) if case["bias"] else None
    y = ct.conv(
        x,
        w,
        b,
        stride=case["stride"],
        padding=case["padding"],
        dilation=case["dilation"],
        groups=g,
        boundary=case["boundary"],
        method=case["method"],
    )
    xb = x if case["batched"] else x.unsqueeze(0)
    ref = reference(xb, w, b, case["stride"], case["pads"], case["dilation"], g, case["boundary"])
    if not case["batched"]:
        ref = ref.squeeze(0)
    assert y.dtype == torch.float32
    # FFT round-off is relative to the inputs, not to the output: with stride
    # and zero padding every output sample can be exactly 0 (CI drew such a case).
    bound = float(x.abs().max()) * float(w.abs().sum(dim=tuple(range(1, w.ndim))).max())
    bound += 0.0 if b is None else float(b.abs().max())
    assert_close(y.numpy(), ref.numpy(), np.float32, scale=max(bound, float(ref.abs().max())))


@pytest.mark.parametrize("method", ["native", "fft"])
@pytest.mark.parametrize("d", [1, 2, 3])
def test_same_padding_equals_torch_conv(method, d):
    torch.manual_seed(d)
    x = torch.randn((2, 4) + (9,) * d)
    w = torch.randn((6, 2) + (4,) * d)
    b = torch.randn(6)
    y = ct.conv(x, w, b, padding="same", dilation=2, groups=2, method=method)
    ref = NATIVE[d](x, w, b, padding="same", dilation=2, groups=2)
    assert_close(y.numpy(), ref.numpy(), np.float32)


@pytest.mark.parametrize("boundary", BOUNDARIES)
@pytest.mark.parametrize("method", ["native", "fft"])
def test_gradcheck_every_boundary(boundary, method):
    gen = torch.Generator().manual_seed(3)
    x = torch.randn(2, 4, 6, 5, dtype=torch.float64, generator=gen, requires_grad=True)
    w = torch.randn(4, 2, 3, 2, dtype=torch.float64, generator=gen, requires_grad=True)
    b = torch.randn(4, dtype=torch.float64, generator=gen, requires_grad=True)

    def f(x, w, b):
        return ct.conv(
            x,
            w,
            b,
            stride=(2, 1),
            padding=((2, 1), (1, 2)),
            dilation=(1, 2),
            groups=2,
            boundary=boundary,
            method=method,
        )

    # fast mode: random projections u^T J v, analytic vs finite differences
    assert torch.autograd.gradcheck(f, (x, w, b), fast_mode=True)


@pytest.mark.parametrize("boundary", ["zero", "symmetric"])
def test_gradcheck_fft_full_jacobian(boundary):
    gen = torch.Generator().manual_seed(4)
    x = torch.randn(1, 2, 5, 4, dtype=torch.float64, generator=gen, requires_grad=True)
    w = torch.randn(2, 1, 3, 2, dtype=torch.float64, generator=gen, requires_grad=True)
    assert torch.autograd.gradcheck(
        lambda x, w: ct.conv(
            x,
            w,
            stride=(2, 1),
            padding=((2, 1), (1, 0)),
            dilation=(1, 2),
            groups=2,
            boundary=boundary,
            method="fft",
        ),
        (x, w),
    )


@pytest.mark.parametrize("d", [1, 3])
def test_gradcheck_fft_1d_3d(d):
    gen = torch.Generator().manual_seed(d)
    x = torch.randn((1, 2) + (5,) * d, dtype=torch.float64, generator=gen, requires_grad=True)
    w = torch.randn((2, 2) + (2,) * d, dtype=torch.float64, generator=gen, requires_grad=True)
    assert torch.autograd.gradcheck(
        lambda x, w: ct.conv(x, w, stride=2, padding=1, boundary="reflect", method="fft"),
        (x, w),
        fast_mode=True,
    )


def test_gradgradcheck_fft():
    """Double backward stays on the FFT path (the three bilinear maps close)."""
    gen = torch.Generator().manual_seed(5)
    x = torch.randn(1, 2, 5, 4, dtype=torch.float64, generator=gen, requires_grad=True)
    w = torch.randn(2, 1, 2, 2, dtype=torch.float64, generator=gen, requires_grad=True)
    assert torch.autograd.gradgradcheck(
        lambda x, w: ct.conv(
            x,
            w,
            stride=(2, 1),
            dilation=(1, 2),
            padding=1,
            groups=2,
            boundary="symmetric",
            method="fft",
        ),
        (x, w),
        fast_mode=True,
    )


def test_fft_gradients_match_native_float32():
    torch.manual_seed(0)
    x = torch.randn(3, 4, 20, 17, requires_grad=True)
    w = torch.randn(6, 4, 7, 5, requires_grad=True)
    grads = {}
    for method in ("native", "fft"):
        y = ct.conv(x, w, padding="same", boundary="reflect", method=method)
        gx, gw = torch.autograd.grad((y * y.detach().sin()).sum(), (x, w))
        grads[method] = (gx, gw)
    for a, b in zip(grads["fft"], grads["native"]):
        assert_close(a.numpy(), b.numpy(), np.float32)


@pytest.mark.parametrize("boundary", BOUNDARIES)
@pytest.mark.parametrize("d", [1, 2, 3])
def test_unbatched_every_boundary(boundary, d):
    torch.manual_seed(1)
    x = torch.randn((3,) + (6,) * d)
    w = torch.randn((2, 3) + (3,) * d)
    for method in ("native", "fft"):
        y = ct.conv(x, w, padding=2, boundary=boundary, method=method)
        ref = reference(x.unsqueeze(0), w, None, 1, [(2, 2)] * d, 1, 1, boundary)[0]
        assert y.shape == ref.shape
        assert_close(y.numpy(), ref.numpy(), np.float32)


def test_wide_padding_follows_numpy_pad():
    x = torch.arange(3.0).reshape(1, 1, 3)
    w = torch.ones(1, 1, 1)
    for boundary in ("periodic", "reflect", "symmetric", "replicate"):
        y = ct.conv(x, w, padding=5, boundary=boundary, method="fft")
        ref = np.pad(np.arange(3.0), 5, mode=NUMPY_MODE[boundary])
        assert np.allclose(y[0, 0].numpy(), ref, atol=1e-5)


def test_aliases_and_torch_names():
    x = torch.randn(1, 1, 8)
    w = torch.randn(1, 1, 3)
    a = ct.conv(x, w, padding=1, boundary="circular", method="gemm")
    b = ct.conv(x, w, padding=1, boundary="wrap", method="direct")
    c = F.conv1d(F.pad(x, (1, 1), mode="circular"), w)
    assert torch.allclose(a, c, atol=1e-6) and torch.allclose(b, c, atol=1e-6)


def test_dtype_device_preserved_and_half_upcast():
    x = torch.randn(1, 2, 12, dtype=torch.float64)
    w = torch.randn(2, 2, 5, dtype=torch.float64)
    assert ct.conv(x, w, method="fft").dtype == torch.float64
    xb, wb = x.to(torch.bfloat16), w.to(torch.bfloat16)
    yb = ct.conv(xb, wb, method="fft")
    assert yb.dtype == torch.bfloat16
    ref = F.conv1d(xb.double(), wb.double())
    assert torch.allclose(yb.double(), ref, rtol=2e-2, atol=5e-2)


def test_auto_choices_on_benchmark_shapes():
    from convop.torch import _cost

    kw = {"dtype": torch.float32, "device": "cpu", "backward": True}
    assert _cost.choose(16, 32, 32, 1, (66, 66), (3, 3), (1, 1), (1, 1), **kw) == "native"
    assert _cost.choose(16, 32, 32, 1, (78, 78), (15, 15), (1, 1), (1, 1), **kw) == "fft"
    assert _cost.choose(16, 32, 32, 1, (94, 94), (31, 31), (1, 1), (1, 1), **kw) == "fft"
    est = _cost.estimate(16, 32, 32, 1, (66, 66), (3, 3), (1, 1), (1, 1), backward=True)
    assert est["native"] < est["fft"]
    assert _cost.choose(1, 1, 1, 1, (9,), (3,), (1,), (1,), torch.complex64, "cpu") == "native"


def test_own_cost_model_when_package_model_is_off():
    from convop.torch import _cost

    kw = {"dtype": torch.float32, "device": "cpu", "backward": True}
    with convop.options(torch_cost="local"):
        assert _cost.choose(16, 32, 32, 1, (66, 66), (3, 3), (1, 1), (1, 1), **kw) == "native"
        assert _cost.choose(16, 32, 32, 1, (94, 94), (31, 31), (1, 1), (1, 1), **kw) == "fft"
        assert _cost.choose(16, 32, 32, 1, (78, 78), (15, 15), (1, 1), (1, 1), **kw) == "fft"


def test_good_size():
    assert [good_size(n) for n in (1, 7, 94, 97, 121)] == [1, 8, 96, 100, 125]
    for n in range(1, 200):
        m = good_size(n)
        assert m >= n
        for p in (2, 3, 5):
            while m % p == 0:
                m //= p
        assert m == 1


# -- errors -------------------------------------------------------------------------------
X, W = torch.randn(1, 2, 8, 8), torch.randn(3, 2, 3, 3)


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"method": "winograd"}, convop.ConvopValueError, r"invalid method='winograd'.*'fft'"),
        ({"boundary": "mirror"}, convop.ConvopValueError, r"invalid boundary='mirror'"),
        ({"groups": 0}, convop.ConvopValueError, r"invalid groups=0"),
        ({"groups": 2}, convop.ConvopValueError, r"groups=2 must divide"),
        ({"stride": 0}, convop.ConvopValueError, r"stride"),
        ({"stride": 2, "padding": "same"}, convop.ConvopValueError, r"'same' is only defined"),
        ({"padding": "full"}, convop.ConvopValueError, r"invalid padding='full'"),
        ({"padding": (1, 2, 3)}, convop.ConvopValueError, r"invalid padding"),
        ({"padding": -1}, convop.ConvopValueError, r"invalid padding"),
        ({"dilation": 5}, convop.ConvopValueError, r"smaller than the dilated kernel"),
    ],
)
def test_bad_options(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        ct.conv(X, W, **kwargs)


def test_bad_tensors():
    with pytest.raises(convop.ConvopTypeError, match=r"x must be a torch.Tensor; got ndarray"):
        ct.conv(np.ones((1, 2, 8, 8)), W)
    with pytest.raises(convop.ConvopValueError, match=r"weight must have shape"):
        ct.conv(X, torch.randn(3, 2))
    with pytest.raises(convop.ConvopValueError, match=r"x must have shape .* got shape"):
        ct.conv(torch.randn(8, 8), W)
    with pytest.raises(convop.ConvopValueError, match=r"weight.shape\[1\] must be C_in/groups"):
        ct.conv(X, torch.randn(3, 1, 3, 3))
    with pytest.raises(convop.ConvopTypeError, match=r"same dtype"):
        ct.conv(X.double(), W)
    with pytest.raises(convop.ConvopValueError, match=r"bias must have shape \(C_out,\)"):
        ct.conv(X, W, torch.ones(2))
    with pytest.raises(convop.ConvopTypeError, match=r"method='fft' needs a real floating"):
        ct.conv(X.to(torch.complex64), W.to(torch.complex64), method="fft")


# -- import hygiene -------------------------------------------------------------------------
def test_import_convop_does_not_import_torch():
    subprocess.run(
        [sys.executable, "-c", "import convop, sys; assert 'torch' not in sys.modules"], check=True
    )


def test_missing_torch_gives_install_hint():
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "try:\n    import convop.torch\nexcept ImportError as e:\n    print(e)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    assert 'pip install "convop[torch]"' in out
