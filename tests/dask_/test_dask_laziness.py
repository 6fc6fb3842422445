"""Every public entry point is lazy on Dask arrays: building the result computes no
block of the input (counted), and computing it gives the NumPy values."""

from __future__ import annotations

import threading
import warnings
from functools import partial

import numpy as np
import pytest

from helpers import BOUNDARIES, MODES, assert_close, reference_convolve

da = pytest.importorskip("dask.array")

import convop  # noqa: E402
import convop.dask as cd  # noqa: E402
from convop import Convolution  # noqa: E402


class Counted:
    """Dask arrays whose blocks count how often they are computed (the size-0 call
    ``map_blocks`` makes to infer the output type is not a block)."""

    def __init__(self) -> None:
        self.n = 0
        self._lock = threading.Lock()

    def _count(self, block: np.ndarray) -> np.ndarray:
        if block.size:
            with self._lock:
                self.n += 1
        return block

    def __call__(self, a: np.ndarray, chunks) -> da.Array:
        return da.from_array(a, chunks=chunks).map_blocks(self._count, dtype=a.dtype)


def _lazy_then_equal(build, expected, counted: Counted) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", cd.ConvopRechunkWarning)
        lazy = build()
    assert isinstance(lazy, da.Array), type(lazy)
    assert counted.n == 0, f"{counted.n} block(s) computed while building the graph"
    got = lazy.compute(scheduler="sync")
    assert counted.n > 0
    assert_close(got, expected)


RNG = np.random.default_rng(20)
X2 = RNG.standard_normal((3, 23))
K2 = RNG.standard_normal((1, 5))
K3 = RNG.standard_normal((2, 3, 2))
X3 = RNG.standard_normal((5, 9, 4))


@pytest.mark.parametrize("boundary", BOUNDARIES)
@pytest.mark.parametrize("mode", MODES)
def test_convolve_correlate_are_lazy(mode, boundary):
    c = Counted()
    _lazy_then_equal(
        lambda: convop.convolve(c(X2, (2, 6)), K2, mode, boundary=boundary),
        reference_convolve(X2, K2, mode, boundary),
        c,
    )
    c = Counted()
    _lazy_then_equal(
        lambda: convop.correlate(c(X3, (2, 4, 3)), K3, mode, boundary=boundary),
        reference_convolve(X3, K3, mode, boundary, correlate=True),
        c,
    )


@pytest.mark.parametrize("strategy", ["halo", "overlap-add"])
def test_strategies_dask_kernel_and_swapped_valid_are_lazy(strategy):
    k = RNG.standard_normal((1, 9))
    c = Counted()
    _lazy_then_equal(
        lambda: cd.convolve(c(X2, (2, 4)), c(k, (1, 4)), "same", strategy=strategy),
        reference_convolve(X2, k, "same", "zero"),
        c,
    )
    big = RNG.standard_normal((3, 30))  # valid, kernel larger than the signal
    c = Counted()
    _lazy_then_equal(
        lambda: convop.convolve(c(X2, (2, 6)), big, "valid"),
        reference_convolve(X2, big, "valid", "zero"),
        c,
    )


# every mode and every boundary (the adjoint folds each boundary's extension back)
PAIRS = [("full", "zero"), ("full", "reflect"), ("same", "periodic"), ("same", "symmetric")]
PAIRS += [("same", "replicate"), ("valid", "zero"), ("valid", "reflect")]


@pytest.mark.parametrize(("mode", "boundary"), PAIRS)
def test_operator_apply_adjoint_matmul_are_lazy(mode, boundary):
    A = Convolution(RNG.standard_normal((2, 3)), (6, 7), mode, boundary=boundary)
    x = RNG.standard_normal((2, 6, 7))
    y = RNG.standard_normal((2, *A.output_shape))
    for build, expected in (
        (lambda c: A.apply(c(x, (1, 4, 3))), A.apply(x)),
        (lambda c: A(c(x, (1, 4, 3))), A(x)),
        (lambda c: A.adjoint(c(y, (2, 3, 4))), A.adjoint(y)),
        (lambda c: A.H(c(y, (2, 3, 4))), A.adjoint(y)),
        (lambda c: A @ c(x[0].ravel(), 11), A @ x[0].ravel()),
        (lambda c: A.H @ c(y[0].ravel(), 11), A.H @ y[0].ravel()),
        (lambda c: A @ c(x.reshape(2, -1).T, (11, 1)), A @ x.reshape(2, -1).T),
        (lambda c: (A.H @ A) @ c(x[1].ravel(), 11), A.H @ (A @ x[1].ravel())),
    ):
        counted = Counted()
        _lazy_then_equal(partial(build, counted), expected, counted)


@pytest.mark.parametrize("mode", MODES)
def test_per_slice_kernel_operator_axes_moved(mode):
    """Convolution(axes=) with one kernel per slice (its convolved axes moved last):
    the Dask path moves the axes too, instead of convolving the wrong axis."""
    kern = RNG.standard_normal((3, 4))  # axis 0 convolved, one kernel per column
    A = Convolution(kern, (10, 4), mode, boundary="reflect", axes=0)
    assert A._moved is not None and A._moved[0] != A._moved[1]
    x = RNG.standard_normal((2, 10, 4))
    y = RNG.standard_normal((2, *A.output_shape))
    cols = np.stack(
        [
            convop.convolve(x[..., j], kern[None, :, j], mode, boundary="reflect", axes=1)
            for j in range(4)
        ],
        axis=-1,
    )  # slice by slice: an independent path
    for build, expected in (
        (lambda c: A(c(x, (1, 3, 2))), cols),
        (lambda c: A.adjoint(c(y, (2, 3, 3))), A.adjoint(y)),
        (lambda c: A @ c(x[0].ravel(), 7), A @ x[0].ravel()),
    ):
        counted = Counted()
        _lazy_then_equal(partial(build, counted), expected, counted)
    np.testing.assert_allclose(A(x), cols, atol=1e-12)


def test_matmul_errors_name_the_shape():
    A = Convolution(np.ones(3), (10,), "same")
    with pytest.raises(ValueError, match=r"v must be a vector of length 10 .*got shape \(9,\)"):
        A @ da.ones(9, chunks=4)


@pytest.mark.parametrize("strategy", cd.STRATEGIES)
def test_empty_chunks(strategy):
    """Size-0 chunks (a ``valid`` result's last chunk, a reshape's) are convolved as
    nothing: the next operator on them gives the NumPy values."""
    x = RNG.standard_normal((4, 12))
    xd = da.from_array(x, chunks=((2, 0, 2), (5, 0, 7, 0)))
    for kern in (RNG.standard_normal((1, 3)), RNG.standard_normal((4, 3))):
        for mode in MODES:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", cd.ConvopRechunkWarning)
                got = cd.convolve(xd, kern, mode, boundary="reflect", strategy=strategy)
            assert_close(got.compute(), reference_convolve(x, kern, mode, "reflect"))
