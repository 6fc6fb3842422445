"""``Convolution(axes=...)``: the operator of ``convolve(..., axes=...)`` (issue 21, item 11).

The reference convolves slice by slice with numpy.pad + scipy (tests/helpers), so it
shares no code with the operator; every configuration is also dot-tested.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import convop
from convop import ConvopValueError

from helpers import BOUNDARIES, MODES, assert_close, reference_convolve


def slicewise(x, k, mode, boundary, axes, correlate=False):
    """convolve along ``axes`` of each slice, kernels broadcast along the other axes."""
    nd = x.ndim
    rest = [i for i in range(nd) if i not in axes]
    xm = np.moveaxis(x, rest, range(len(rest)))
    km = np.moveaxis(k, rest, range(len(rest)))
    km = np.broadcast_to(km, xm.shape[: len(rest)] + km.shape[len(rest) :])
    outs = [
        reference_convolve(xm[idx], km[idx], mode, boundary, correlate)
        for idx in itertools.product(*(range(n) for n in xm.shape[: len(rest)]))
    ]
    out = np.stack(outs).reshape(xm.shape[: len(rest)] + outs[0].shape)
    return np.moveaxis(out, range(len(rest)), rest)


@st.composite
def configs(draw):
    nd = draw(st.integers(2, 3))
    axes = tuple(sorted(draw(st.sets(st.integers(0, nd - 1), min_size=1, max_size=nd - 1))))
    mode = draw(st.sampled_from(MODES))
    boundary = draw(st.sampled_from(BOUNDARIES))
    shape, kshape = [], []
    for i in range(nd):
        n = draw(st.integers(1, 6))
        if i in axes:
            q = draw(st.integers(1, n if mode == "valid" else 5))
        else:
            q = draw(st.sampled_from([1, n]))
        shape.append(n)
        kshape.append(q)
    return tuple(shape), tuple(kshape), axes, mode, boundary


@settings(max_examples=60, deadline=None)
@given(cfg=configs(), correlate=st.booleans(), seed=st.integers(0, 2**16))
def test_matches_slicewise_reference_and_dot_test(cfg, correlate, seed):
    shape, kshape, axes, mode, boundary = cfg
    rng = np.random.default_rng(seed)
    x, k = rng.standard_normal(shape), rng.standard_normal(kshape)
    A = convop.Convolution(k, shape, mode, boundary=boundary, correlate=correlate, axes=axes)
    expected = slicewise(x, k, mode, boundary, axes, correlate)
    assert A.output_shape == expected.shape
    assert_close(A(x), expected)
    # the functional API agrees (same semantics, scipy's)
    fn = convop.correlate if correlate else convop.convolve
    assert_close(fn(x, k, mode, boundary=boundary, axes=axes), expected)
    y = rng.standard_normal(A.output_shape)
    lhs, rhs = np.vdot(A(x), y), np.vdot(x, A.adjoint(y))
    assert abs(lhs - rhs) <= 1e-10 * max(1.0, abs(lhs))
    dense = A.to_dense()
    np.testing.assert_allclose(dense @ x.ravel(), A(x).ravel(), atol=1e-10)


@pytest.mark.parametrize("method", ["direct", "gemm", "fft", "overlap-add"])
def test_every_method_along_one_axis(method):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 40, 5))
    k = rng.standard_normal(7)
    A = convop.Convolution(k, x.shape, "same", boundary="reflect", axes=1, method=method)
    assert A.kernel.shape == (1, 7, 1)
    expected = slicewise(x, k.reshape(1, 7, 1), "same", "reflect", (1,))
    assert_close(A(x), expected)
    # a batch in front of input_shape
    xb = rng.standard_normal((2,) + x.shape)
    assert_close(A(xb), np.stack([A(v) for v in xb]))
    y = rng.standard_normal((2,) + A.output_shape)
    lhs, rhs = np.vdot(A(xb), y), np.vdot(xb, A.adjoint(y))
    assert abs(lhs - rhs) <= 1e-10 * abs(lhs)


def test_short_kernel_runs_along_the_axes_in_the_order_given():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((6, 4, 5))
    k = rng.standard_normal((2, 3))  # axis 0 of k along input axis 2, axis 1 along axis 0
    A = convop.Convolution(k, x.shape, "full", axes=(2, 0))
    assert A.kernel.shape == (3, 1, 2)
    expected = slicewise(x, k.T.reshape(3, 1, 2), "full", "zero", (0, 2))
    assert_close(A(x), expected)


def test_one_kernel_per_slice_is_block_diagonal():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((3, 8))
    k = rng.standard_normal((3, 3))
    A = convop.Convolution(k, x.shape, "full", axes=1)
    assert A.structure == "general"
    for i in range(3):
        np.testing.assert_allclose(A(x)[i], np.convolve(x[i], k[i]), atol=1e-12)
    dense = A.to_dense()
    # no coupling between rows: the off-diagonal blocks vanish
    assert np.all(dense[:10, 8:] == 0) and np.all(dense[10:, :8] == 0)
    with pytest.raises(ConvopValueError, match="axes not convolved"):
        A.kernel_operator(x)
    with pytest.raises(ConvopValueError, match="spectral analysis"):
        convop.spectral.svdvals(A)


def test_valid_with_the_kernel_larger_along_the_convolved_axis():
    rng = np.random.default_rng(4)
    x, k = rng.standard_normal((4, 3)), rng.standard_normal((1, 6))
    A = convop.Convolution(k, x.shape, "valid", axes=1)
    expected = np.stack([np.convolve(row, k[0], "valid") for row in x])
    assert A.output_shape == expected.shape == (4, 4)
    assert_close(A(x), expected)
    y = rng.standard_normal(A.output_shape)
    assert abs(np.vdot(A(x), y) - np.vdot(x, A.adjoint(y))) < 1e-12


def test_structure_of_a_broadcast_kernel_is_the_nd_family():
    A = convop.Convolution(np.ones(3), (4, 5), "same", boundary="periodic", axes=1)
    assert A.structure == "bccb"
    ours, dense = A.eigvals().ravel(), np.linalg.eigvals(A.to_dense())
    assert_close(np.sort(np.abs(ours)), np.sort(np.abs(dense)))
    assert_close(np.sort(ours.real), np.sort(dense.real))


@pytest.mark.parametrize(
    ("kernel", "axes", "match"),
    [
        (np.ones((2, 3)), 3, "axes"),
        (np.ones((2, 3)), (), "axes"),
        (np.ones((2, 3)), (1, 1), "distinct"),
        (np.ones((3, 3)), 1, "broadcast"),
        (np.ones((2, 3, 1)), 1, "kernel.ndim"),
    ],
)
def test_bad_axes_and_kernels_name_the_argument(kernel, axes, match):
    with pytest.raises(ConvopValueError, match=match):
        convop.Convolution(kernel, (2, 5), "same", axes=axes)
