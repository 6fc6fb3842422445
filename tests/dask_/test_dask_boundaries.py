"""The boundary mapping to Dask, import hygiene, warnings and error messages."""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest

from helpers import NUMPY_MODE

da = pytest.importorskip("dask.array")

import convop.dask as cd  # noqa: E402


@pytest.mark.parametrize("boundary", sorted(cd.DASK_BOUNDARY))
@pytest.mark.parametrize("depth", [1, 2, 5])
def test_each_dask_boundary_mapping_matches_numpy_pad(boundary, depth):
    """Dask's overlap extension at the array edges is numpy.pad in our mode."""
    mapped = cd.DASK_BOUNDARY[boundary]
    x = np.arange(1.0, 13.0)
    if mapped is None:
        # Dask has no numpy-'reflect' (edge not repeated); its 'reflect' is 'symmetric'
        ext = da.overlap.overlap(da.from_array(x, chunks=6), {0: depth}, {0: "reflect"})
        first = ext.blocks[0].compute()[:depth]
        assert not np.array_equal(first, np.pad(x, depth, mode="reflect")[:depth])
        return
    ext = da.overlap.overlap(da.from_array(x, chunks=6), {0: depth}, {0: mapped})
    got = ext.compute()
    padded = np.pad(x, depth, mode=NUMPY_MODE[boundary])
    # block 0 = padded[0 : 6 + 2 depth], block 1 = padded[6 : 12 + 2 depth]
    np.testing.assert_array_equal(got[: 6 + 2 * depth], padded[: 6 + 2 * depth])
    np.testing.assert_array_equal(got[6 + 2 * depth :], padded[6:])


def test_import_does_not_import_dask():
    code = (
        "import sys, convop, convop.dask, numpy as np;"
        "from convop._operators.functional import convolve;"
        "convolve(np.ones(4), np.ones(2));"
        "print('dask' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "False"


def test_handler_registered_by_module_name():
    from convop._core import dispatch

    assert dispatch.handler_for(da.ones(3)) is not None
    assert dispatch.handler_for(np.ones(3)) is None
    assert cd.is_dask_array(da.ones(3)) and not cd.is_dask_array([1.0])


def test_forced_halo_rechunks_with_a_warning_that_says_what_to_pass():
    x = da.ones(40, chunks=(10, 10, 10, 3, 7))
    with pytest.warns(cd.ConvopRechunkWarning, match=r"axis 0.*strategy='overlap-add'") as rec:
        y = cd.convolve(x, np.ones(9), "same", strategy="halo")
    assert rec[0].filename == __file__  # points at the caller
    np.testing.assert_allclose(y.compute(), np.convolve(np.ones(40), np.ones(9), "same"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cd.convolve(x, np.ones(9), "same")  # auto: overlap-add, no rechunk, no warning
        cd.convolve(x, np.ones(6), "same", strategy="halo")  # halo of 3 fits in 3


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"mode": "middle"}, ValueError, r"invalid mode='middle'.*full"),
        ({"boundary": "mirror"}, ValueError, r"invalid boundary='mirror'.*reflect"),
        ({"method": "magic"}, ValueError, r"invalid method='magic'"),
        ({"strategy": "halos"}, ValueError, r"invalid strategy='halos'.*overlap-add"),
        ({"axes": 3}, ValueError, r"invalid axes=3"),
    ],
)
def test_option_errors(kwargs, exc, match):
    args = {"mode": "full", **kwargs}
    mode = args.pop("mode")
    with pytest.raises(exc, match=match):
        cd.convolve(da.ones((4, 4)), np.ones((2, 2)), mode, **args)


def test_input_errors():
    x = da.ones((6, 6), chunks=3)
    with pytest.raises(ValueError, match=r"same number of dimensions.*in1.ndim=2.*in2.ndim=1"):
        cd.convolve(x, np.ones(3))
    with pytest.raises(ValueError, match=r"in2 must not be empty"):
        cd.convolve(x, np.ones((0, 2)))
    with pytest.raises(ValueError, match=r"mode='valid' needs one input at least as large"):
        cd.convolve(x, np.ones((8, 2)), "valid")
    with pytest.raises(ValueError, match=r"broadcast along the axes not convolved; axis 0"):
        cd.convolve(x, np.ones((4, 2)), axes=1)
    with pytest.raises(TypeError, match=r"in2 must be a numeric array"):
        cd.convolve(x, np.array([["a"]]))
    with pytest.raises(TypeError, match=r"in1 must be a dask.array.Array"):
        cd.convolve(np.ones(3), np.ones(2))
    unknown = da.ones(10, chunks=5)[da.ones(10, chunks=5) > 0]
    with pytest.raises(ValueError, match=r"unknown chunk sizes.*compute_chunk_sizes"):
        cd.convolve(unknown, np.ones(2))
