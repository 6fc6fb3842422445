"""Bad input: clear errors naming the argument, the value and what is accepted."""

import numpy as np
import pytest

from convop._core.errors import ConvopTypeError, ConvopValueError
from convop._operators.convolution import Convolution
from convop.deconvolution import deconvolve

Y = np.random.default_rng(0).random((8, 9))
PSF = np.full((3, 3), 1 / 9)


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"psf": np.ones((9, 3))}, ConvopValueError, r"psf must not be larger than y.*\(9, 3\)"),
        ({"psf": np.ones(3)}, ConvopValueError, "psf must have as many dimensions as y"),
        ({"psf": np.zeros((3, 3))}, ConvopValueError, "psf must have a non-zero tap"),
        ({"psf": [["a"]]}, ConvopTypeError, "psf must be a numeric array"),
        ({"psf": np.ones((3, 3)) * 1j}, ConvopTypeError, "psf must be real"),
        ({"method": "wiener"}, ConvopValueError, r"invalid method='wiener'; expected one of"),
        ({"boundary": "mirror"}, ConvopValueError, r"invalid boundary='mirror'"),
        ({"reg": -1.0}, ConvopValueError, r"invalid reg=-1.0; expected a finite λ ≥ 0"),
        ({"reg": "lcurve"}, ConvopValueError, r"invalid reg='lcurve'"),
        ({"reg": [1.0]}, ConvopValueError, r"invalid reg=\[1.0\]"),
        ({"reg": "discrepancy"}, ConvopValueError, "needs the noise level: pass noise"),
        ({"noise": 0.1}, ConvopValueError, "noise=0.1 is used only with reg='discrepancy'"),
        ({"reg": "discrepancy", "noise": -1}, ConvopValueError, "invalid noise=-1"),
        ({"tol": 0}, ConvopValueError, r"invalid tol=0; expected a positive number"),
        ({"maxiter": 2.5}, ConvopValueError, r"invalid maxiter=2.5; expected a positive integer"),
        ({"callback": 3}, ConvopTypeError, "callback must be callable"),
        ({"x0": np.zeros(3)}, ConvopValueError, r"x0 must have y's shape \(8, 9\)"),
        ({"precondition": "ilu"}, ConvopValueError, "invalid precondition='ilu'"),
        ({"method": "fft"}, ConvopValueError, "method='fft' diagonalises boundary='periodic'"),
        (
            {"method": "dct", "boundary": "zero"},
            ConvopValueError,
            "method='dct' diagonalises boundary='symmetric'",
        ),
        (
            {"method": "dct", "psf": np.triu(np.ones((3, 3)))},
            ConvopValueError,
            "method='dct' needs a psf symmetric",
        ),
        (
            {"reg": Convolution(PSF, (4, 4), "same")},
            ConvopValueError,
            r"reg operator must act on arrays of y's shape \(8, 9\)",
        ),
    ],
)
def test_bad_arguments(kwargs, exc, match):
    kw = {"psf": PSF, **kwargs}
    psf = kw.pop("psf")
    with pytest.raises(exc, match=match):
        deconvolve(Y, psf, **kw)


def test_bad_data():
    with pytest.raises(ConvopValueError, match="y must be finite; it contains NaN"):
        deconvolve(np.where(Y > 0.5, np.nan, Y), PSF)
    with pytest.raises(ConvopValueError, match="psf must be finite"):
        deconvolve(Y, np.full((3, 3), np.inf))
    with pytest.raises(ConvopTypeError, match="y must be real"):
        deconvolve(Y + 1j, PSF)
    with pytest.raises(ConvopValueError, match="y must be a non-empty array"):
        deconvolve(np.float64(3.0), np.ones(()))
    with pytest.raises(ConvopValueError, match=r"y must be non-negative with positive=True"):
        deconvolve(Y - 0.5, PSF, positive=True)


def test_richardson_lucy_errors():
    with pytest.raises(ConvopValueError, match="non-negative with method='richardson-lucy'"):
        deconvolve(Y - 0.5, PSF, method="richardson-lucy")
    zero_sum = np.array([[1.0, -1.0, 0.0]])
    with pytest.raises(ConvopValueError, match=r"positive sum for method='richardson-lucy'"):
        deconvolve(Y, zero_sum, method="richardson-lucy")
    with pytest.raises(ConvopValueError, match="regularised by stopping early"):
        deconvolve(Y, PSF, method="rl", reg=0.1)
    with pytest.raises(ConvopValueError, match="x0 must be non-negative"):
        deconvolve(Y, PSF, method="rl", x0=-np.ones_like(Y))
