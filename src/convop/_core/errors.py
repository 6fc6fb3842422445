"""The package's exceptions: one base class, subclasses of the builtin kinds."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["ConvopError", "ConvopValueError", "ConvopTypeError"]


class ConvopError(Exception):
    """Base class of every error raised by convop."""


class ConvopValueError(ConvopError, ValueError):
    """A value that convop does not accept (unknown option, wrong shape, ...)."""


class ConvopTypeError(ConvopError, TypeError):
    """An argument of a type that convop does not accept."""


def invalid(name: str, value: Any, accepted: str | Iterable[Any]) -> ConvopValueError:
    """Build the standard message: argument, value received, what is accepted."""
    if not isinstance(accepted, str):
        accepted = "one of " + ", ".join(repr(a) for a in accepted)
    return ConvopValueError(f"invalid {name}={value!r}; expected {accepted}")
