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
from . import checks, parametric, spectral
from ._choose import choose_method
from ._dottest import dottest
from ._errors import ConvopError, ConvopTypeError, ConvopValueError
from ._operator import Operator
from ._taylor import taylor_test
from ._version import __version__
from .convolution import Convolution
from .functional import convolve, correlate
from .layer import ConvLayer
from .spectral import clip_singular_values, opnorm, svdvals

__all__ = [
    "__version__", "convolve", "correlate", "choose_method", "Convolution", "ConvLayer",
    "Operator", "dottest", "taylor_test", "svdvals", "opnorm", "clip_singular_values",
    "checks", "parametric", "spectral",
    "ConvopError", "ConvopValueError", "ConvopTypeError",
]
