"""Public alias of :mod:`convop._operators.layer` (``ConvLayer``)."""

from convop._operators.layer import ConvLayer

__all__ = ["ConvLayer"]
