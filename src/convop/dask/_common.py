"""Names shared by the Dask modules (no Dask import here)."""

from __future__ import annotations

import sys
from typing import Any

#: convop boundary → the ``boundary=`` of :func:`dask.array.overlap.overlap` that
#: extends an array the same way (None: Dask has no equivalent). Dask's ``reflect``
#: repeats the edge sample, which is numpy's (and convop's) ``symmetric``; convop's
#: ``reflect`` (edge not repeated) is built by convop from the input's own samples.
DASK_BOUNDARY: dict[str, Any] = {
    "zero": 0,
    "periodic": "periodic",
    "symmetric": "reflect",
    "replicate": "nearest",
    "reflect": None,
}
#: how the chunks exchange data: ``auto`` = ``halo`` when every chunk along every
#: convolved axis is at least as wide as the halo, else ``overlap-add``
STRATEGIES = ("auto", "halo", "overlap-add")


class ConvopRechunkWarning(UserWarning):
    """convop.dask had to rechunk an input (the message says why and what to pass)."""


def is_dask_array(x: Any) -> bool:
    """True for a ``dask.array.Array`` (decided without importing Dask).

    Examples
    --------
    >>> import numpy as np
    >>> is_dask_array(np.ones(3))
    False
    """
    return type(x).__module__.partition(".")[0] == "dask" and hasattr(x, "chunks")


def user_stacklevel() -> int:
    """``stacklevel`` for :func:`warnings.warn` that points at the first caller
    outside convop (the call paths into convop.dask have different depths)."""
    frame = sys._getframe(1)
    level = 1
    while frame is not None and str(frame.f_globals.get("__name__", "")).startswith("convop"):
        frame = frame.f_back
        level += 1
    return level
