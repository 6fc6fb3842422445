"""Whether convop may use torch: only when the caller has already imported it (like
einops, convop never imports a framework itself), and not when forbidden.

``ALLOWED`` is the switch: ``None`` (default) follows ``sys.modules``; ``False``
forbids torch (tests and memory measurements set it); ``True`` allows it once imported.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

ALLOWED: bool | None = None


def available() -> bool:
    """True when torch may be used: already imported by the caller and not forbidden."""
    if ALLOWED is None:
        return "torch" in sys.modules
    return ALLOWED and "torch" in sys.modules


@contextmanager
def forbidden() -> Iterator[None]:
    """Run the block on the NumPy/SciPy paths only."""
    global ALLOWED
    saved, ALLOWED = ALLOWED, False
    try:
        yield
    finally:
        ALLOWED = saved


def as_torchable(arr: np.ndarray) -> np.ndarray:
    """C-contiguous and writable (torch.from_numpy warns on read-only arrays)."""
    arr = np.ascontiguousarray(arr)
    return arr if arr.flags.writeable else arr.copy()


def require(module: str, extra: str, purpose: str = "") -> Any:
    """Import the optional dependency ``module``, or raise an ImportError that says which
    extra installs it.

    Parameters
    ----------
    module : str
        Module to import (e.g. ``"tensorly"``).
    extra : str
        The convop extra that installs it (e.g. ``"compress"``).
    purpose : str
        What needs it, for the message (e.g. ``"convop.compress"``).

    Examples
    --------
    >>> require("numpy", "core").__name__
    'numpy'
    >>> require("no_such_module_xyz", "graph", "convop.graph")
    Traceback (most recent call last):
    ...
    ImportError: convop.graph needs no_such_module_xyz, which is not installed; install it with ...
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        what = purpose or "this part of convop"
        raise ImportError(
            f"{what} needs {module}, which is not installed; install it with "
            f'`pip install "convop[{extra}]"`'
        ) from exc
