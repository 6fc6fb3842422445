"""convop.torch.Conv1d/2d/3d and accelerate: drop-in behaviour, state_dict, conversion."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from torch import nn

import convop
import convop.torch as ct

from helpers import NUMPY_MODE, assert_close

TORCH_MODES = ("zeros", "circular", "reflect", "replicate")
LAYERS = {1: (nn.Conv1d, ct.Conv1d), 2: (nn.Conv2d, ct.Conv2d), 3: (nn.Conv3d, ct.Conv3d)}


@pytest.mark.parametrize("method", ["native", "fft", "auto"])
@pytest.mark.parametrize("padding_mode", TORCH_MODES)
@pytest.mark.parametrize("d", [1, 2, 3])
def test_matches_torch_layer(d, padding_mode, method):
    base, ours = LAYERS[d]
    torch.manual_seed(d)
    ref = base(4, 6, 3, stride=1, padding=2, dilation=2, groups=2, padding_mode=padding_mode)
    layer = ours(
        4, 6, 3, stride=1, padding=2, dilation=2, groups=2, padding_mode=padding_mode, method=method
    )
    layer.load_state_dict(ref.state_dict())
    x = torch.randn((2, 4) + (7,) * d, requires_grad=True)
    y, y_ref = layer(x), ref(x)
    assert_close(y.detach().numpy(), y_ref.detach().numpy(), np.float32)
    g = torch.randn_like(y)
    gx, gw = torch.autograd.grad(y, (x, layer.weight), g)
    gx_ref, gw_ref = torch.autograd.grad(y_ref, (x, ref.weight), g)
    assert_close(gx.numpy(), gx_ref.numpy(), np.float32)
    assert_close(gw.numpy(), gw_ref.numpy(), np.float32)


def test_is_a_torch_conv_and_state_dict_round_trip():
    layer = ct.Conv2d(3, 5, (3, 5), stride=2, padding=1, bias=True, method="fft")
    assert isinstance(layer, nn.Conv2d)
    ref = nn.Conv2d(3, 5, (3, 5), stride=2, padding=1)
    assert list(layer.state_dict()) == list(ref.state_dict()) == ["weight", "bias"]
    ref.load_state_dict(layer.state_dict())
    back = ct.Conv2d(3, 5, (3, 5), stride=2, padding=1)
    back.load_state_dict(ref.state_dict())
    for k, v in layer.state_dict().items():
        assert torch.equal(back.state_dict()[k], v)
    x = torch.randn(2, 3, 11, 12)
    assert_close(back(x).detach().numpy(), ref(x).detach().numpy(), np.float32)
    clone = copy.deepcopy(layer)
    assert clone.method == "fft" and torch.equal(clone.weight, layer.weight)


def test_symmetric_boundary_and_same_padding():
    torch.manual_seed(0)
    layer = ct.Conv2d(2, 3, (4, 3), padding="same", boundary="symm", bias=False)
    assert layer.boundary == "symmetric"
    x = torch.randn(1, 2, 9, 8)
    xp = np.pad(x.numpy(), [(0, 0), (0, 0), (1, 2), (1, 1)], mode=NUMPY_MODE["symmetric"])
    ref = torch.nn.functional.conv2d(torch.from_numpy(xp), layer.weight.detach())
    for method in ("native", "fft"):
        layer.method = method
        assert_close(layer(x).detach().numpy(), ref.numpy(), np.float32)


def test_padding_mode_accepts_convop_names_and_conflicts_raise():
    assert ct.Conv1d(1, 1, 3, padding=1, padding_mode="symmetric").boundary == "symmetric"
    assert ct.Conv1d(1, 1, 3, padding=1, boundary="wrap").padding_mode == "circular"
    with pytest.raises(convop.ConvopValueError, match=r"boundary='reflect' contradicts"):
        ct.Conv1d(1, 1, 3, padding_mode="circular", boundary="reflect")
    with pytest.raises(convop.ConvopValueError, match=r"invalid boundary='mirror'"):
        ct.Conv1d(1, 1, 3, boundary="mirror")
    with pytest.raises(convop.ConvopValueError, match=r"invalid method='slow'"):
        ct.Conv1d(1, 1, 3, method="slow")


@pytest.mark.parametrize("d", [1, 2, 3])
def test_unbatched_input(d):
    _base, ours = LAYERS[d]
    layer = ours(2, 3, 3, padding=1, padding_mode="reflect")
    x = torch.randn((2,) + (6,) * d)
    ref = layer(x.unsqueeze(0))[0]
    for method in ("native", "fft"):
        layer.method = method
        assert_close(layer(x).detach().numpy(), ref.detach().numpy(), np.float32)


def test_plan_is_cached_per_shape_and_follows_the_cost_model():
    small = ct.Conv2d(32, 32, 3, padding="same")
    big = ct.Conv2d(32, 32, 31, padding="same")
    assert small.plan((16, 32, 64, 64)) == "native"
    assert big.plan((16, 32, 64, 64)) == "fft"
    assert ct.Conv2d(32, 32, 31, method="native").plan((16, 32, 64, 64)) == "native"
    layer = ct.Conv2d(2, 2, 9, padding=4)
    layer(torch.randn(1, 2, 16, 16))
    layer(torch.randn(1, 2, 16, 16))
    layer(torch.randn(2, 2, 16, 16))
    assert len(layer._plans) == 2
    assert set(layer._plans.values()) <= {"native", "fft"}


def test_from_module_shares_parameters_dtype_device_and_mode():
    m = nn.Conv3d(
        2, 4, 3, padding=1, padding_mode="replicate", bias=False, dtype=torch.float64
    ).eval()
    c = ct.Conv3d.from_module(m, method="fft")
    assert c.weight is m.weight and c.bias is None
    assert c.weight.dtype == torch.float64 and c.weight.device == m.weight.device
    assert not c.training and c.boundary == "replicate" and c.method == "fft"
    x = torch.randn(1, 2, 5, 5, 5, dtype=torch.float64)
    assert torch.allclose(c(x), m(x), atol=1e-10)
    with pytest.raises(convop.ConvopTypeError, match=r"needs a torch.nn.Conv2d; got Conv3d"):
        ct.Conv2d.from_module(m)


def test_accelerate_swaps_every_conv_in_place():
    torch.manual_seed(0)
    net = nn.Sequential(
        nn.Conv2d(1, 4, 7, padding=3),
        nn.ReLU(),
        nn.Sequential(nn.Conv2d(4, 4, 3, padding=1, padding_mode="circular"), nn.Tanh()),
        nn.Flatten(),
        nn.Linear(4 * 8 * 8, 3),
    )
    x = torch.randn(2, 1, 8, 8)
    ref = net(x).detach()
    params = list(net.parameters())
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    out = ct.accelerate(net, method="fft")
    assert out is net
    assert isinstance(net[0], ct.Conv2d) and isinstance(net[2][0], ct.Conv2d)
    assert net[2][0].boundary == "periodic"
    assert list(net.parameters()) == params  # same Parameter objects
    assert_close(net(x).detach().numpy(), ref.numpy(), np.float32)
    before = net[0].weight.detach().clone()
    net(x).sum().backward()
    opt.step()  # the old optimizer still works
    assert not torch.equal(net[0].weight.detach(), before)
    bare = ct.accelerate(nn.Conv1d(1, 1, 3))
    assert isinstance(bare, ct.Conv1d)
    with pytest.raises(convop.ConvopTypeError, match=r"model must be a torch.nn.Module"):
        ct.accelerate("net")


def test_subclasses_and_lazy_convs_are_left_alone():
    class MyConv(nn.Conv2d):
        pass

    net = nn.Sequential(MyConv(1, 1, 3), nn.LazyConv2d(2, 3))
    ct.accelerate(net)
    assert type(net[0]) is MyConv and isinstance(net[1], nn.LazyConv2d)


def test_layer_gradcheck_float64():
    layer = ct.Conv1d(
        2, 2, 4, stride=2, padding=3, padding_mode="reflect", dtype=torch.float64, method="fft"
    )
    x = torch.randn(1, 2, 9, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(layer, (x,), fast_mode=True)


def test_layer_input_errors():
    layer = ct.Conv2d(2, 2, 5, method="fft")
    with pytest.raises(convop.ConvopValueError, match=r"smaller than the dilated kernel"):
        layer(torch.randn(1, 2, 3, 8))
    with pytest.raises(convop.ConvopValueError, match=r"weight.shape\[1\] must be C_in/groups"):
        layer(torch.randn(1, 3, 8, 8))
    with pytest.raises(convop.ConvopTypeError, match=r"same dtype"):
        layer(torch.randn(1, 2, 8, 8, dtype=torch.float64))
