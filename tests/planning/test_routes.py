"""Memoised call-shape routes of convolve(): every route kind against scipy/numpy.pad
references, memo hygiene (values, dtypes, swapped valid, invalidation, bad options)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal as ss
from hypothesis import given, settings
from hypothesis import strategies as st

import convop
from convop._planning import constants as _constants
from convop._planning import routes as _routes

from helpers import BOUNDARIES, assert_close, random_array, reference_convolve

#: (n, k, boundary, method, dtype) -> the route kind it must take
KINDS = [
    ((1000,), (3,), "zero", "direct", "float64", "numpy"),
    ((1000,), (3,), "periodic", "direct", "float32", "fixup"),
    ((20_000,), (5,), "reflect", "direct", "float64", "fixup"),
    ((1000,), (7,), "symmetric", "direct", "float64", "copy"),
    ((20_000,), (20,), "replicate", "direct", "float64", "border"),
    ((5000,), (31,), "reflect", "gemm", "float32", "gemm"),
    ((40, 30), (3, 4), "periodic", "fft", "float64", "general"),
]


@pytest.mark.parametrize("shape, kshape, boundary, method, dtype, kind", KINDS)
@pytest.mark.parametrize("mode", ["full", "same"])
def test_each_route_kind_matches_reference(shape, kshape, boundary, method, dtype, kind, mode):
    rng = np.random.default_rng(5)
    x, h = random_array(rng, shape, dtype), random_array(rng, kshape, dtype)
    if mode == "same" or kind not in ("fixup", "copy"):  # 'full' may route elsewhere
        assert _routes.kind(x, h, mode, boundary, method) == kind
    x0, h0 = x.copy(), h.copy()
    got = convop.convolve(x, h, mode, boundary=boundary, method=method)
    assert got.dtype == np.dtype(dtype)
    ref = reference_convolve(x.astype(np.float64), h.astype(np.float64), mode, boundary)
    assert_close(got, ref, dtype)
    np.testing.assert_array_equal(x, x0)  # inputs never modified
    np.testing.assert_array_equal(h, h0)


def test_torch_route_for_small_2d_kernels():
    pytest.importorskip("torch")
    rng = np.random.default_rng(6)
    x, h = rng.standard_normal((64, 64)), rng.standard_normal((3, 3))
    assert _routes.kind(x, h, "same", "reflect", "direct") == "torch"
    assert _routes.kind(x, h) == "torch"  # auto picks it for 64², 3×3
    for boundary in ("zero", "periodic", "reflect", "replicate"):
        assert_close(
            convop.convolve(x, h, "same", boundary=boundary),
            reference_convolve(x, h, "same", boundary),
        )
    with convop.options(torch=False):
        assert _routes.kind(x, h) != "torch"


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 60),
    k=st.integers(1, 12),
    mode=st.sampled_from(("full", "same", "valid")),
    boundary=st.sampled_from(BOUNDARIES),
    dtype=st.sampled_from(("float64", "float32")),
    seed=st.integers(0, 2**16),
)
def test_repeated_calls_see_new_values(n, k, mode, boundary, dtype, seed):
    """A route is per call shape, never per data: the second call with other values of
    the same shapes gets their result."""
    rng = np.random.default_rng(seed)
    for _ in range(2):
        x, h = random_array(rng, (n,), dtype), random_array(rng, (k,), dtype)
        got = convop.convolve(x, h, mode, boundary=boundary)
        ref = reference_convolve(x.astype(np.float64), h.astype(np.float64), mode, boundary)
        assert got.dtype == np.dtype(dtype)
        assert_close(got, ref, dtype)


def test_valid_with_the_larger_kernel_swaps():
    x, h = np.arange(5.0), np.arange(12.0)
    assert_close(convop.convolve(x, h, "valid"), ss.convolve(x, h, "valid"))
    assert _routes.kind(x, h, "valid") != ""
    a, b = np.ones((4, 9)), np.ones((6, 3))  # neither is larger: an error
    assert _routes.route(a, b, "valid", "zero", "auto") is None
    with pytest.raises(ValueError, match="valid"):
        convop.convolve(a, b, "valid")


def test_bad_options_still_named_in_errors():
    x = np.ones(10)
    with pytest.raises(ValueError, match="mode"):
        convop.convolve(x, x, "middle")
    with pytest.raises(ValueError, match="boundary"):
        convop.convolve(x, x, boundary=["zero"])  # unhashable
    with pytest.raises(ValueError, match="method"):
        convop.convolve(x, x, method="magic")
    assert _routes.route(x, x, ["full"], "zero", "auto") is None


def test_routes_follow_new_cost_constants(tmp_path):
    x, h = np.random.default_rng(2).standard_normal(50_000), np.ones(31)
    assert _routes.kind(x, h, "same", "zero", "direct") == "numpy"
    expensive_gemm = {key: dict(c) for key, c in _constants.DEFAULTS.items()}
    for c in expensive_gemm.values():
        c["bt1d"] = (1.0, c["bt1d"][1])  # a second per call: never gemm
    path = _constants.save(expensive_gemm, tmp_path / "calibration.json")
    with convop.options(calibration=str(path)):
        assert _routes.kind(x, h, "same") != "gemm"
    with convop.options(calibration="shipped"):
        assert _routes.kind(x, h, "same") == "gemm"


def test_mixed_and_integer_dtypes_take_the_general_path():
    x, h = np.arange(6), np.arange(3.0, dtype=np.float32)
    assert _routes.route(x, h, "full", "zero", "auto") is None
    assert convop.convolve(x, h).dtype == np.result_type(x, h)
    assert convop.convolve(x, x).dtype == x.dtype


@settings(max_examples=60, deadline=None)
@given(
    batch=st.integers(1, 3),
    n=st.integers(4, 9),
    k=st.integers(1, 4),
    where=st.sampled_from([0, 1, -1]),
    kernel_batch=st.booleans(),
    mode=st.sampled_from(["full", "same", "valid"]),
    boundary=st.sampled_from(BOUNDARIES),
    method=st.sampled_from(["auto", "direct", "fft"]),
    dtype=st.sampled_from(["float32", "float64", "complex128"]),
)
def test_batched_route_matches_scipy_along_any_axis(
    batch, n, k, where, kernel_batch, mode, boundary, method, dtype
):
    """Calls with ``axes=`` take a remembered route; results equal scipy's per-slice."""
    rng = np.random.default_rng(n * 7 + k)
    axis = where % 2
    xs = [batch, batch]
    xs[axis] = n
    ks = [batch if kernel_batch else 1, batch if kernel_batch else 1]
    ks[axis] = k
    x, h = random_array(rng, tuple(xs), dtype), random_array(rng, tuple(ks), dtype)
    x_before = x.copy()
    assert _routes.batched_route(x, h, mode, boundary, method, where) is not None
    for _ in range(2):  # the second call runs the remembered route
        got = convop.convolve(x, h, mode, boundary=boundary, axes=where, method=method)
        hb = np.broadcast_to(h, tuple(max(p, q) if i != axis else q for i, (p, q) in
                                      enumerate(zip(x.shape, h.shape))))  # fmt: skip
        want = np.stack(
            [
                reference_convolve(
                    np.take(x, j, 1 - axis), np.take(hb, j, 1 - axis), mode, boundary
                )  # fmt: skip
                for j in range(x.shape[1 - axis])
            ],
            axis=1 - axis,
        )
        assert got.dtype == np.dtype(dtype)
        assert_close(got, want, dtype)
    np.testing.assert_array_equal(x, x_before)


def test_batched_route_refuses_what_the_general_path_reports():
    x, h = np.ones((3, 8)), np.ones((2, 3))
    assert _routes.batched_route(x, h, "full", "zero", "auto", 1) is None
    with pytest.raises(ValueError, match="axis 0 has lengths 3 and 2"):
        convop.convolve(x, h, axes=1)
    assert _routes.kind(np.ones(8), np.ones(3)) != "batched"
    r = _routes.batched_route(np.ones((3, 8)), np.ones((1, 3)), "same", "reflect", "auto", [1])
    assert getattr(r, "kind", "") == "batched"


def test_batched_route_is_planned_once_per_call_shape(monkeypatch):
    """A repeated ``axes=`` call looks its route up: no general dispatch, and one
    plan per call shape (3×50 with a 1×6 kernel along the last axis paid the full
    dispatch on every call); the remembered route gives the same result."""
    from convop._operators import functional

    _routes.clear()
    general, plans = [], []
    real_general, real_resolve = functional._convolve, _routes.resolve
    monkeypatch.setattr(functional, "_convolve",
                        lambda *a: general.append(a) or real_general(*a))  # fmt: skip
    monkeypatch.setattr(_routes, "resolve", lambda *a: plans.append(a) or real_resolve(*a))
    rng = np.random.default_rng(3)
    x, h = rng.standard_normal((3, 50)), rng.standard_normal((1, 6))
    first = convop.convolve(x, h, "same", axes=-1)
    again = [convop.convolve(x, h, "same", axes=-1) for _ in range(3)]
    assert general == [] and len(plans) == 1
    for got in again:
        np.testing.assert_array_equal(got, first)
    assert_close(first, np.stack([np.convolve(row, h[0], "same") for row in x]))
    for _ in range(2):  # the same axis spelled otherwise: its own key, planned once
        convop.convolve(x, h, "same", axes=[1])
    assert general == [] and len(plans) == 2


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("xshape, kshape, axes", [((3, 50), (1, 6), -1), ((2, 4, 33), (1, 1, 5), 2),
                                                  ((40,), (7,), 0)])  # fmt: skip
def test_rows_route_runs_numpy_per_row(mode, dtype, xshape, kshape, axes):
    """Short batches along the last axis with one kernel take numpy's loop per row
    (3×50 with a 1×6 kernel: 14.7 -> 5.0 µs a call, scipy.ndimage.convolve1d 5.4 µs)."""
    rng = np.random.default_rng(len(xshape))
    x, h = random_array(rng, xshape, dtype), random_array(rng, kshape, dtype)
    _routes.clear()
    r = _routes.batched_route(x, h, mode, "zero", "auto", axes)
    assert getattr(r, "kind", "") == "rows"
    for _ in range(2):
        got = convop.convolve(x, h, mode, axes=axes)
        assert got.dtype == np.dtype(dtype)
        assert_close(got, ss.convolve(x, h, mode, method="direct"), dtype)
    # per-row kernels, other boundaries ('valid' has none) and other axes keep the engines
    if mode != "valid":
        assert _routes.batched_route(x, h, mode, "reflect", "auto", axes).kind != "rows"
    if len(xshape) > 1:
        hh = random_array(rng, xshape[:-1] + kshape[-1:], dtype)
        assert _routes.batched_route(x, hh, mode, "zero", "auto", axes).kind != "rows"
        y = np.ascontiguousarray(np.swapaxes(x, 0, -1))
        assert (
            _routes.batched_route(y, np.swapaxes(h, 0, -1), mode, "zero", "auto", 0).kind != "rows"
        )
