"""Optional dependencies: whether convop may use torch, and lazy imports with an
install hint.

convop uses torch only when the caller has already imported it (like einops, it never
imports a framework itself) and the ``torch`` option allows it
(:func:`convop.options`); every engine asks :func:`torch_enabled`, the one place that
decision is made.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

from convop._core.config import current

__all__ = ["require", "torch_enabled"]


def torch_enabled() -> bool:
    """True when torch may be used: already imported by the caller and allowed by
    ``convop.options(torch=...)``."""
    return "torch" in sys.modules and current().torch


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
