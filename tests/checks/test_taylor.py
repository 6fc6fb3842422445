"""Tests of convop.checks._taylor.taylor_test."""

from __future__ import annotations

import numpy as np
import pytest

from convop._core.errors import ConvopTypeError, ConvopValueError
from convop.checks._taylor import TaylorRow, TaylorTable, taylor_test


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def test_smooth_map_with_right_derivative_passes(rng):
    A = rng.standard_normal((4, 3))
    x, dx = rng.standard_normal(3), rng.standard_normal(3)

    def f(v):
        return np.tanh(A @ v)

    def jvp(d):
        return (1 - np.tanh(A @ x) ** 2) * (A @ d)

    t = taylor_test(f, x, dx, jvp)
    assert t.passed
    assert abs(t.order0 - 1) < 0.1
    assert abs(t.order1 - 2) < 0.1
    assert len(t.rows) == 10
    assert all(isinstance(r, TaylorRow) for r in t.rows)
    h, e0, e1 = t.rows[0]
    assert h == 1.0 and e0 > 0 and e1 > 0


def test_wrong_derivative_fails(rng):
    x, dx = rng.standard_normal(5), rng.standard_normal(5)
    t = taylor_test(np.sin, x, dx, lambda d: 1.01 * np.cos(x) * d)
    assert not t.passed
    assert t.tail1 < 1.3  # at small h the remainder is first order
    assert "FAILED" in str(t)


def test_derivative_with_transposed_matrix_fails(rng):
    A = rng.standard_normal((3, 3))
    x, dx = rng.standard_normal(3), rng.standard_normal(3)
    t = taylor_test(lambda v: np.sin(A @ v), x, dx, lambda d: np.cos(A @ x) * (A.T @ d))
    assert not t.passed


def test_linear_map_hits_rounding_floor_and_passes(rng):
    A = rng.standard_normal((6, 4))
    x, dx = rng.standard_normal(4), rng.standard_normal(4)
    t = taylor_test(lambda v: A @ v, x, dx, lambda d: A @ d)
    assert t.passed
    assert all(t.floor)
    assert np.isnan(t.order1)
    assert "rounding" in t.to_text()


def test_scalar_function_and_gradient(rng):
    x, dx = rng.standard_normal((3, 2)), rng.standard_normal((3, 2))

    def f(v):
        return float(np.sum(np.exp(v) * v))

    grad = np.exp(x) * (x + 1)
    t = taylor_test(f, x, dx, lambda d: float(np.sum(grad * d)))
    assert t.passed


def test_without_jvp_reports_first_order_only(rng):
    x, dx = rng.standard_normal(3), rng.standard_normal(3)
    t = taylor_test(np.exp, x, dx, steps=6, h0=0.5, factor=0.25)
    assert t.passed and not t.has_jvp
    assert np.isnan(t.order1)
    assert all(np.isnan(r.e1) for r in t.rows)
    assert [r.h for r in t.rows] == [0.5 * 0.25**i for i in range(6)]
    assert "E1" not in t.to_text().splitlines()[0]


def test_complex_map(rng):
    x = rng.standard_normal(3) + 1j * rng.standard_normal(3)
    dx = rng.standard_normal(3) + 1j * rng.standard_normal(3)
    t = taylor_test(lambda v: v**3, x, dx, lambda d: 3 * x**2 * d)
    assert t.passed


def test_float32_floor_is_wider():
    x = np.array([0.3, 0.7], np.float32)
    dx = np.array([1.0, -1.0], np.float32)
    A = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)
    t = taylor_test(lambda v: A @ v, x, dx, lambda d: A @ d)
    assert t.passed


def test_table_is_frozen_dataclass(rng):
    t = taylor_test(np.sin, np.ones(2), np.ones(2), lambda d: np.cos(1.0) * d, steps=3)
    assert isinstance(t, TaylorTable)
    with pytest.raises(AttributeError):
        t.passed = False  # type: ignore[misc]
    assert len(str(t).splitlines()) >= 5


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"steps": 1}, r"invalid steps=1; expected an int >= 2"),
        ({"steps": 2.5}, r"invalid steps=2.5"),
        ({"h0": 0.0}, r"invalid h0=0.0; expected a positive"),
        ({"factor": 1.5}, r"invalid factor=1.5; expected a float in \(0, 1\)"),
    ],
)
def test_bad_options(kwargs, match):
    with pytest.raises(ConvopValueError, match=match):
        taylor_test(np.sin, np.ones(2), np.ones(2), **kwargs)


def test_shape_errors():
    with pytest.raises(ConvopValueError, match=r"dx must have the shape of x, \(2,\); got \(3,\)"):
        taylor_test(np.sin, np.ones(2), np.ones(3))
    with pytest.raises(ConvopValueError, match=r"jvp\(dx\) must have the shape of f\(x\)"):
        taylor_test(np.sin, np.ones(2), np.ones(2), lambda d: np.ones(3))

    calls = []

    def changing(v):
        calls.append(1)
        return np.ones(1 + (len(calls) > 1))

    with pytest.raises(ConvopValueError, match=r"f\(x \+ h dx\) must have the shape of f\(x\)"):
        taylor_test(changing, np.ones(2), np.ones(2))
    with pytest.raises(ConvopTypeError, match=r"x must be numeric"):
        taylor_test(np.sin, np.array(["a"]), np.ones(1))
