"""Bad input: a clear ValueError/TypeError naming the argument, the value and what is accepted."""

import numpy as np
import pytest

import convop
from convop import ConvopError

K3 = np.ones(3)


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (
            lambda: convop.convolve(K3, K3, boundary="mirror"),
            ValueError,
            r"boundary='mirror'.*'periodic'",
        ),
        (lambda: convop.convolve(K3, K3, "middle"), ValueError, r"mode='middle'.*'same'"),
        (lambda: convop.convolve(K3, K3, method="magic"), ValueError, r"method='magic'.*'fft'"),
        (lambda: convop.convolve(K3, np.ones((2, 2))), ValueError, r"in2.ndim=2"),
        (lambda: convop.convolve(K3, np.ones(0)), ValueError, r"in2 must not be empty"),
        (
            lambda: convop.convolve(np.ones((3, 4)), np.ones((4, 3)), "valid"),
            ValueError,
            r"valid.*\(3, 4\).*\(4, 3\)",
        ),
        (lambda: convop.convolve(np.array(["a", "b"]), K3), TypeError, r"in1 must be a numeric"),
        (lambda: convop.convolve(K3, K3, axes=3), ValueError, r"axes=3"),
        (lambda: convop.convolve(K3, K3, axes=(0, 0)), ValueError, r"distinct"),
        (
            lambda: convop.convolve(np.ones((2, 5)), np.ones((3, 2)), axes=1),
            ValueError,
            r"broadcast.*axis 0.*2 and 3",
        ),
        (
            lambda: convop.Convolution(K3, (4, 4)),
            ValueError,
            r"kernel.ndim=1.*input_shape=\(4, 4\)",
        ),
        (lambda: convop.Convolution(np.ones(0), (4,)), ValueError, r"kernel must not be empty"),
        (lambda: convop.Convolution(K3, (0,)), ValueError, r"input_shape.*positive"),
        (lambda: convop.Convolution(K3, "abc"), TypeError, r"input_shape"),
        (lambda: convop.Convolution(K3, (4,), boundary="nope"), ValueError, r"boundary='nope'"),
        (
            lambda: convop.Convolution(K3, (4,))(np.ones(5)),
            ValueError,
            r"x must have shape \(\.\.\., 4\).*\(5,\)",
        ),
        (
            lambda: convop.Convolution(K3, (4,)).adjoint(np.ones(4)),
            ValueError,
            r"y must have shape \(\.\.\., 6\)",
        ),
        (lambda: convop.Convolution(K3, (4,)) @ np.ones(5), ValueError, r"length 4"),
        (
            lambda: convop.Convolution(K3, (4,))(np.array([None] * 4)),
            TypeError,
            r"x must be a numeric",
        ),
        (lambda: convop.ConvLayer(np.ones((2, 1, 3)), (1, 8), stride=0), ValueError, r"stride=0"),
        (
            lambda: convop.ConvLayer(np.ones((2, 1, 3)), (1, 8), dilation=(1, 2)),
            ValueError,
            r"dilation=\(1, 2\)",
        ),
        (
            lambda: convop.ConvLayer(np.ones((3, 1, 3)), (2, 8), groups=2),
            ValueError,
            r"groups=2.*C_out=3",
        ),
        (
            lambda: convop.ConvLayer(np.ones((2, 2, 3)), (2, 8), groups=2),
            ValueError,
            r"weight.shape\[1\]",
        ),
        (lambda: convop.ConvLayer(np.ones((2, 1, 3)), (1, 8), groups=0), ValueError, r"groups=0"),
        (
            lambda: convop.ConvLayer(np.ones((2, 1, 3)), (1, 8), padding="half"),
            ValueError,
            r"padding='half'",
        ),
        (
            lambda: convop.ConvLayer(np.ones((2, 1, 3)), (1, 8), padding=-1),
            ValueError,
            r"padding=-1",
        ),
        (
            lambda: convop.ConvLayer(np.ones((2, 1, 3)), (1, 8), stride=2, padding="same"),
            ValueError,
            r"'same'.*stride",
        ),
        (
            lambda: convop.ConvLayer(np.ones((2, 1, 9)), (1, 4)),
            ValueError,
            r"smaller than the dilated",
        ),
        (lambda: convop.ConvLayer(np.ones((2, 1)), (1, 4)), ValueError, r"weight must have shape"),
        (lambda: convop.ConvLayer(np.ones((2, 1, 3)), (1, 4, 4)), ValueError, r"1 spatial axes"),
        (
            lambda: convop.ConvLayer(np.ones((2, 1, 3)), (1, 8), boundary="torus"),
            ValueError,
            r"boundary='torus'",
        ),
    ],
)
def test_bad_input(call, exc, match):
    with pytest.raises(exc, match=match) as info:
        call()
    assert isinstance(info.value, ConvopError)


@pytest.mark.parametrize(
    "alias, canonical",
    [
        ("constant", "zero"),
        ("fill", "zero"),
        ("zeros", "zero"),
        ("wrap", "periodic"),
        ("circular", "periodic"),
        ("symm", "symmetric"),
        ("edge", "replicate"),
        ("REFLECT", "reflect"),
    ],
)
def test_boundary_aliases(alias, canonical):
    assert convop.Convolution(K3, (5,), "same", boundary=alias).boundary == canonical
    assert convop.ConvLayer(np.ones((1, 1, 3)), (1, 5), boundary=alias).boundary == canonical
