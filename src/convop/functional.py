"""Public alias of :mod:`convop._operators.functional` (``convolve``, ``correlate``)."""

from convop._operators.functional import convolve, correlate

__all__ = ["convolve", "correlate"]
