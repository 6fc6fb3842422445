"""Structure tags of convolution matrices (DESIGN.md vocabulary)."""

from __future__ import annotations


def toeplitz_family(ndim: int) -> str:
    return {1: "toeplitz", 2: "bttb"}.get(ndim, "multilevel-toeplitz")


def circulant_family(ndim: int) -> str:
    return {1: "circulant", 2: "bccb"}.get(ndim, "multilevel-circulant")


def tag(ndim: int, boundary: str, square_periodic: bool, extended: bool) -> str:
    """Tag of a single-channel, stride-1 convolution.

    ``extended``: whether the boundary extension reaches the output at all (False
    for ``valid``); ``square_periodic``: periodic extension with output shape equal
    to the input shape (then every output reads the input modulo n: circulant).
    """
    if not extended or boundary == "zero":
        return toeplitz_family(ndim)
    if boundary == "periodic":
        return circulant_family(ndim) if square_periodic else "general"
    if boundary == "symmetric" and ndim == 1:
        # half-sample symmetric extension: the identity part depends on i − j, the
        # mirrored part on i + j (Ng, Chan & Tang 1999). Whole-sample ``reflect`` is
        # not T + H: the mirror skips the edge sample, leaving a correction in the
        # first and last columns, so it is tagged ``general``.
        return "toeplitz+hankel"
    return "general"
