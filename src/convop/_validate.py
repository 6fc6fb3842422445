"""Option vocabularies and argument normalisation, checked once at the edges."""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ._errors import ConvopTypeError, ConvopValueError, invalid

BOUNDARIES = ("zero", "periodic", "reflect", "symmetric", "replicate")
BOUNDARY_ALIASES = {
    "zero": "zero", "constant": "zero", "fill": "zero", "zeros": "zero",
    "periodic": "periodic", "wrap": "periodic", "circular": "periodic",
    "reflect": "reflect",
    "symmetric": "symmetric", "symm": "symmetric",
    "replicate": "replicate", "edge": "replicate",
}
#: numpy.pad mode of every canonical boundary
NUMPY_PAD_MODE = {"zero": "constant", "periodic": "wrap", "reflect": "reflect",
                  "symmetric": "symmetric", "replicate": "edge"}
MODES = ("full", "same", "valid")
METHODS = ("auto", "direct", "fft")


def boundary(value: Any) -> str:
    """Canonical boundary name of ``value`` (aliases of DESIGN.md accepted)."""
    if isinstance(value, str) and value.lower() in BOUNDARY_ALIASES:
        return BOUNDARY_ALIASES[value.lower()]
    raise invalid("boundary", value, sorted(BOUNDARY_ALIASES))


def mode(value: Any) -> str:
    if isinstance(value, str) and value in MODES:
        return value
    raise invalid("mode", value, MODES)


def method(value: Any, accepted: Sequence[str] = METHODS) -> str:
    if isinstance(value, str) and value in accepted:
        return value
    raise invalid("method", value, accepted)


def numeric_array(value: Any, name: str) -> np.ndarray:
    """``np.asarray(value)`` that insists on a numeric (bool/int/float/complex) dtype."""
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError) as exc:
        raise ConvopValueError(f"{name} could not be converted to an array: {exc}") from exc
    if arr.dtype.kind not in "biufc":
        raise ConvopTypeError(
            f"{name} must be a numeric array (bool, int, float or complex); "
            f"got dtype {arr.dtype!s}")
    return arr


def compute_dtype(*dtypes: np.dtype) -> np.dtype:
    """Floating dtype the arithmetic is done in: float32/complex64 stay single."""
    dt = np.result_type(*dtypes)
    if dt.kind in "biu":
        return np.dtype(np.float64)
    if dt == np.float16:
        return np.dtype(np.float32)
    return dt


def shape_tuple(value: Any, name: str) -> tuple[int, ...]:
    """A tuple of non-negative ints (a scalar int is a 1-tuple)."""
    if isinstance(value, (int, np.integer)):
        value = (value,)
    try:
        out = tuple(int(v) for v in value)
        ok = all(int(v) == v for v in value)
    except (TypeError, ValueError):
        raise ConvopTypeError(f"{name} must be a tuple of ints; got {value!r}") from None
    if not ok or any(v < 1 for v in out):
        raise ConvopValueError(f"{name} must contain positive ints; got {value!r}")
    return out


def int_tuple(value: Any, n: int, name: str, minimum: int = 1) -> tuple[int, ...]:
    """Expand an int or a length-``n`` sequence to an n-tuple of ints >= minimum."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        out = (int(value),) * n
    else:
        try:
            out = tuple(int(v) for v in value)
            exact = all(int(v) == v and not isinstance(v, bool) for v in value)
        except (TypeError, ValueError):
            raise ConvopTypeError(
                f"{name} must be an int or a tuple of {n} ints; got {value!r}") from None
        if len(out) != n or not exact:
            raise ConvopValueError(
                f"invalid {name}={value!r}; expected an int or a tuple of {n} ints")
    if any(v < minimum for v in out):
        raise ConvopValueError(f"invalid {name}={value!r}; every entry must be >= {minimum}")
    return out
