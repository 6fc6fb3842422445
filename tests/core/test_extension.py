"""The boundary extension helpers against numpy.pad, the definition of every boundary."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convop._core.extension import edge_samples, fast_pad
from convop._core.validate import NUMPY_PAD_MODE

from helpers import BOUNDARIES


def _source_index(i: np.ndarray, n: int, boundary: str) -> np.ndarray:
    """Which sample of a length-n signal the extended signal holds at index i (-1: zero),
    from the boundaries' definitions, independently of the code under test."""
    if boundary == "periodic":
        return i % n
    if boundary == "replicate":
        return np.clip(i, 0, n - 1)
    if boundary == "symmetric":  # half-sample mirror: ... x1 x0 | x0 x1 ... x_{n-1} | x_{n-1} ...
        j = i % (2 * n)
        return np.where(j < n, j, 2 * n - 1 - j)
    if boundary == "reflect":  # whole-sample mirror: ... x1 | x0 x1 ... x_{n-1} | x_{n-2} ...
        if n == 1:
            return np.zeros_like(i)
        j = i % (2 * (n - 1))
        return np.where(j < n, j, 2 * (n - 1) - j)
    assert boundary == "zero"
    return np.where((i >= 0) & (i < n), i, -1)


def _numpy_pad(a: np.ndarray, nd: int, pads: list[tuple[int, int]], boundary: str):
    """The reference extension: gather by the definitions' index maps, one axis at a time."""
    out = a
    for ax, (left, right) in zip(range(a.ndim - nd, a.ndim), pads):
        n = out.shape[ax]
        src = _source_index(np.arange(-left, n + right), n, boundary)
        taken = np.take(out, np.maximum(src, 0), axis=ax)
        if boundary == "zero":
            mask = (src >= 0).reshape([-1 if d == ax else 1 for d in range(a.ndim)])
            taken = np.where(mask, taken, 0).astype(a.dtype)
        out = taken
    return out


@pytest.mark.parametrize("boundary", BOUNDARIES)
def test_the_index_reference_agrees_with_numpy_pad_under_the_documented_names(boundary):
    # the names convop maps its boundaries to (scipy/numpy vocabulary) are a documented
    # table: check them against numpy.pad with the test's own copy of that table
    own = {"zero": "constant", "periodic": "wrap", "reflect": "reflect",
           "symmetric": "symmetric", "replicate": "edge"}  # fmt: skip
    assert NUMPY_PAD_MODE[boundary] == own[boundary]
    a = np.arange(1.0, 6.0)
    for left, right in [(0, 0), (2, 3), (4, 4), (9, 11)]:
        np.testing.assert_array_equal(
            _numpy_pad(a, 1, [(left, right)], boundary),
            np.pad(a, (left, right), mode=own[boundary]),
        )


@settings(max_examples=200)
@given(
    shape=st.lists(st.integers(1, 6), min_size=1, max_size=4),
    nd=st.integers(1, 3),
    boundary=st.sampled_from(BOUNDARIES),
    widths=st.lists(st.tuples(st.integers(0, 9), st.integers(0, 9)), min_size=3, max_size=3),
    dtype=st.sampled_from(["float32", "float64", "complex128"]),
    seed=st.integers(0, 99),
)
def test_fast_pad_equals_numpy_pad(shape, nd, boundary, widths, dtype, seed):
    nd = min(nd, len(shape))
    pads = widths[:nd]
    if boundary == "reflect" and any(n == 1 and (l or r) for n, (l, r) in zip(shape[-nd:], pads)):
        return  # numpy cannot reflect a single sample
    a = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
    before = a.copy()
    got = fast_pad(a, nd, pads, boundary)
    want = _numpy_pad(a, nd, pads, boundary)
    assert got.dtype == a.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(a, before)  # the input is never modified


@pytest.mark.parametrize("boundary", BOUNDARIES)
def test_fast_pad_corners_2d(boundary):
    # one reflection in each direction meets in the corners: the case that needs the
    # slabs of later axes to span the earlier axes' padding
    a = np.arange(20.0).reshape(4, 5)
    pads = [(3, 2), (1, 4)]
    np.testing.assert_array_equal(fast_pad(a, 2, pads, boundary), _numpy_pad(a, 2, pads, boundary))


def test_fast_pad_without_padding_returns_the_input():
    a = np.ones((3, 4))
    assert fast_pad(a, 2, [(0, 0), (0, 0)], "reflect") is a


@settings(max_examples=200)
@given(
    shape=st.lists(st.integers(1, 6), min_size=1, max_size=3),
    axis=st.integers(0, 2),
    boundary=st.sampled_from(BOUNDARIES),
    left=st.integers(0, 8),
    right=st.integers(0, 8),
    seed=st.integers(0, 99),
)
def test_edge_samples_are_the_padded_borders(shape, axis, boundary, left, right, seed):
    axis = min(axis, len(shape) - 1)
    a = np.random.default_rng(seed).standard_normal(shape)
    n = shape[axis]
    got = edge_samples(a, axis, left, right, boundary)
    limit = n - 1 if boundary == "reflect" else n
    if boundary not in ("zero", "replicate") and max(left, right) > limit:
        assert got is None  # repeated reflections: numpy.pad's job
        return
    moved = np.moveaxis(a, axis, -1)
    want = _numpy_pad(moved, 1, [(left, right)], boundary)
    np.testing.assert_array_equal(np.moveaxis(got[0], axis, -1), want[..., :left])
    np.testing.assert_array_equal(np.moveaxis(got[1], axis, -1), want[..., left + n :])
