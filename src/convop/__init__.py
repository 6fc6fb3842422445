"""convop: convolution as an exact linear operator.

A convolution is a structured matrix — Toeplitz, circulant, BTTB, BCCB depending
on boundary and dimension. convop applies it fast, gives its exact adjoint and
Jacobians, its matrix and its spectrum.

Examples
--------
>>> import numpy as np, convop
>>> A = convop.Convolution(np.array([1.0, 2.0, 1.0]), (5,), "same", boundary="periodic")
>>> A.structure
'circulant'
"""

from convop import checks, dask, graph, parametric, spectral
from convop._core.config import options
from convop._core.errors import ConvopError, ConvopTypeError, ConvopValueError
from convop._core.operator import Operator
from convop._operators.convolution import Convolution
from convop._operators.functional import convolve, correlate
from convop._operators.layer import ConvLayer
from convop._planning.choose import choose_method
from convop._tools.show import show_config
from convop._version import __version__
from convop.checks._dottest import dottest
from convop.checks._taylor import taylor_test
from convop.deconvolution import DeconvolutionResult, deconvolve
from convop.resampling import Resample, Upfirdn, resample, resample_ratio, upfirdn
from convop.spectral import clip_singular_values, opnorm, svdvals

__all__ = [
    "__version__",
    "convolve",
    "correlate",
    "choose_method",
    "Convolution",
    "ConvLayer",
    "Operator",
    "dottest",
    "taylor_test",
    "svdvals",
    "opnorm",
    "clip_singular_values",
    "checks",
    "parametric",
    "spectral",
    "graph",
    "dask",
    "resample",
    "resample_ratio",
    "upfirdn",
    "Upfirdn",
    "Resample",
    "deconvolve",
    "DeconvolutionResult",
    "options",
    "show_config",
    "ConvopError",
    "ConvopValueError",
    "ConvopTypeError",
]
