"""Array libraries other than NumPy: who computes a call whose input is, say, a Dask array.

convop's engines compute on NumPy arrays. An application package that knows another
array library (``convop.dask``) registers a handler here under the name of that
library's top-level module; the operators look the handler up by the type of their
input and hand the whole call over, so that nothing is converted to NumPy (which
would compute a lazy array in memory). The registry lives in the core so that the
operators never import the application that fills it.
"""

from __future__ import annotations

import threading
from typing import Any, Protocol

__all__ = ["ArrayHandler", "handler_for", "register"]


class ArrayHandler(Protocol):
    """What a handler provides (all keyword options as in :func:`convop.convolve`)."""

    def convolve(
        self,
        in1: Any,
        in2: Any,
        mode: str,
        *,
        boundary: str,
        axes: Any,
        method: str,
        correlate: bool,
    ) -> Any: ...

    def apply(self, op: Any, x: Any, adjoint: bool) -> Any: ...


_HANDLERS: dict[str, ArrayHandler] = {}
_LOCK = threading.Lock()


def register(module: str, handler: ArrayHandler) -> None:
    """Let ``handler`` compute calls whose input's type comes from ``module`` (the
    top-level name, e.g. ``"dask"``)."""
    with _LOCK:
        _HANDLERS[module] = handler


def handler_for(x: Any) -> ArrayHandler | None:
    """The handler registered for the library of ``type(x)``, or None (NumPy arrays,
    lists, scalars and every unregistered type)."""
    if not _HANDLERS:
        return None
    return _HANDLERS.get(type(x).__module__.partition(".")[0])
