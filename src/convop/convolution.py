"""Public alias of :mod:`convop._operators.convolution` (``Convolution``)."""

from convop._operators.convolution import Convolution

__all__ = ["Convolution"]
