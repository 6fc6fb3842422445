"""Layer 3, the public operators: :func:`convop.convolve`, :func:`convop.correlate`,
:class:`convop.Convolution` and :class:`convop.ConvLayer`.

Validates user input once, asks planning for the method, calls the engines.

May import: :mod:`convop._planning`, :mod:`convop._engines`, :mod:`convop._core`.
"""

from convop._operators.convolution import Convolution
from convop._operators.functional import convolve, correlate
from convop._operators.layer import ConvLayer

__all__ = ["ConvLayer", "Convolution", "convolve", "correlate"]
