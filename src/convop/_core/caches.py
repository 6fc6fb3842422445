"""The registry of convop's caches: one place to list, size and empty them.

Modules that memoise plans, routes or shape-derived tables register a cache here
with a function that empties it and one that tells its size. When the cost
constants change (``convop calibrate``), :func:`clear` empties every cache that
depends on them without the cost model importing the modules above it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["clear", "register", "sizes"]


@dataclass(frozen=True)
class _Entry:
    clear: Callable[[], None]
    size: Callable[[], int]
    on_constants: bool


_REGISTRY: dict[str, _Entry] = {}
_LOCK = threading.Lock()


def register(
    name: str,
    clear: Callable[[], None],
    size: Callable[[], int] | None = None,
    *,
    on_constants: bool = True,
) -> None:
    """Register a cache under ``name`` (``on_constants``: it holds choices made with the
    cost constants, so :func:`clear` with ``constants_only=True`` empties it too)."""
    with _LOCK:
        _REGISTRY[name] = _Entry(clear, size or (lambda: 0), on_constants)


def clear(constants_only: bool = False) -> None:
    """Empty every registered cache (only those depending on the cost constants)."""
    with _LOCK:
        entries = list(_REGISTRY.values())
    for e in entries:
        if e.on_constants or not constants_only:
            e.clear()


def sizes() -> dict[str, int]:
    """Entries held by each registered cache.

    Examples
    --------
    >>> import convop
    >>> from convop._core import caches
    >>> "routes" in caches.sizes()
    True
    """
    with _LOCK:
        items = list(_REGISTRY.items())
    return {name: int(e.size()) for name, e in sorted(items)}


def lru(name: str, fn: Any, *, on_constants: bool = True) -> Any:
    """Register a :func:`functools.lru_cache`-wrapped function; returns it."""
    register(name, fn.cache_clear, lambda: fn.cache_info().currsize, on_constants=on_constants)
    return fn
