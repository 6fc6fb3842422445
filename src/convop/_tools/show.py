"""``convop.show_config()`` / ``convop show-config``: what convop runs with here."""

from __future__ import annotations

import platform
import sys
from typing import Any, TextIO

from convop._core import caches, threads
from convop._core.config import current
from convop._core.optional import torch_enabled
from convop._planning import constants

__all__ = ["config", "show_config"]


def _version(name: str) -> str:
    mod = sys.modules.get(name)
    if mod is not None:
        return str(getattr(mod, "__version__", "?"))
    try:
        from importlib.metadata import version

        return version(name) + " (installed, not imported)"
    except Exception:
        return "not installed"


def config() -> dict[str, Any]:
    """What :func:`show_config` prints, as a dictionary.

    Examples
    --------
    >>> import convop
    >>> sorted(convop._tools.show.config())[:3]
    ['blas_threads', 'caches', 'calibration_file']
    """
    import numpy
    import scipy

    from convop._version import __version__

    api = threads.numpy_blas_api()
    return {
        "convop": __version__,
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "torch": _version("torch"),
        "torch_in_use": torch_enabled(),
        "options": {k: getattr(current(), k) for k in current().__dataclass_fields__},
        "constants": constants.source(),
        "calibration_file": str(constants.cache_path()),
        "blas_threads": api[0]() if api is not None else "unknown (not numpy's OpenBLAS)",
        "cpus": threads.workers(),
        "caches": caches.sizes(),
    }


def show_config(file: TextIO | None = None) -> None:
    """Print convop's configuration: versions, the options in effect, which cost
    constants ``method='auto'`` uses and where they come from, thread counts and the
    sizes of convop's caches.

    Examples
    --------
    >>> import io, convop
    >>> out = io.StringIO()
    >>> convop.show_config(file=out)
    >>> "constants:" in out.getvalue()
    True
    """
    out = file or sys.stdout
    for key, value in config().items():
        if isinstance(value, dict):
            print(f"{key}:", file=out)
            for k, v in value.items():
                print(f"  {k}: {v}", file=out)
        else:
            print(f"{key}: {value}", file=out)
