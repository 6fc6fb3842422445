"""Option vocabularies and argument normalisation, checked once at the edges."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from convop._core.errors import ConvopTypeError, ConvopValueError, invalid

BOUNDARIES = ("zero", "periodic", "reflect", "symmetric", "replicate")
BOUNDARY_ALIASES = {
    "zero": "zero",
    "constant": "zero",
    "fill": "zero",
    "zeros": "zero",
    "periodic": "periodic",
    "wrap": "periodic",
    "circular": "periodic",
    "reflect": "reflect",
    "symmetric": "symmetric",
    "symm": "symmetric",
    "replicate": "replicate",
    "edge": "replicate",
}
#: numpy.pad mode of every canonical boundary
NUMPY_PAD_MODE: dict[str, Any] = {
    "zero": "constant",
    "periodic": "wrap",
    "reflect": "reflect",
    "symmetric": "symmetric",
    "replicate": "edge",
}
MODES = ("full", "same", "valid")
#: algorithms of convolve / correlate / Convolution
METHODS = ("auto", "direct", "gemm", "fft", "overlap-add")
#: algorithms of ConvLayer (no overlap-add: layers are short in every axis)
LAYER_METHODS = ("auto", "direct", "gemm", "fft")


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
            f"{name} must be a numeric array (bool, int, float or complex); got dtype {arr.dtype!s}"
        )
    return arr


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
                f"{name} must be an int or a tuple of {n} ints; got {value!r}"
            ) from None
        if len(out) != n or not exact:
            raise ConvopValueError(
                f"invalid {name}={value!r}; expected an int or a tuple of {n} ints"
            )
    if any(v < minimum for v in out):
        raise ConvopValueError(f"invalid {name}={value!r}; every entry must be >= {minimum}")
    return out


def padding_pairs(
    value: Any, kshape: Sequence[int], dilation: Sequence[int], stride: Sequence[int]
) -> tuple[tuple[int, int], ...]:
    """torch-style ``padding`` (int, per-axis ints, ``(left, right)`` pairs, ``'same'``,
    ``'valid'``) as one ``(left, right)`` pair per spatial axis; ``'same'`` pads
    d·(k−1) in total with the odd sample on the right, like torch (stride 1 only)."""
    d = len(kshape)
    if isinstance(value, str):
        if value == "valid":
            return ((0, 0),) * d
        if value == "same":
            if any(s != 1 for s in stride):
                raise ConvopValueError(
                    f"padding='same' is only defined for stride 1; got stride={tuple(stride)}"
                )
            # torch: total d·(k−1), the extra sample on the right
            tot = [dl * (k - 1) for dl, k in zip(dilation, kshape)]
            return tuple((t // 2, t - t // 2) for t in tot)
        raise invalid(
            "padding", value, "an int, a tuple of ints or (left, right) pairs, 'same' or 'valid'"
        )
    given = value
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        value = (int(value),) * d
    try:
        items = list(value)
    except TypeError:
        raise ConvopTypeError(
            f"padding must be an int, a tuple, 'same' or 'valid'; got {value!r}"
        ) from None
    if len(items) != d:
        raise invalid("padding", given, f"an int or {d} entries (one per spatial axis)")
    out = []
    for p in items:
        try:
            pair = (p, p) if isinstance(p, (int, np.integer)) else tuple(p)
        except TypeError:
            pair = (p,)
        if len(pair) != 2 or any(
            isinstance(q, bool) or not isinstance(q, (int, np.integer)) or q < 0 for q in pair
        ):
            raise invalid("padding", given, "non-negative ints or (left, right) pairs")
        out.append((int(pair[0]), int(pair[1])))
    return tuple(out)


def channel_groups(groups: int, c_in: int, weight_shape: Sequence[int]) -> None:
    """Check that ``groups`` divides C_in and C_out and that weight.shape[1] = C_in/groups."""
    c_out, c_in_g = weight_shape[0], weight_shape[1]
    if c_in % groups or c_out % groups:
        raise ConvopValueError(f"groups={groups} must divide both C_in={c_in} and C_out={c_out}")
    if c_in_g * groups != c_in:
        raise ConvopValueError(
            f"weight.shape[1] must be C_in/groups = {c_in}/{groups} = {c_in // groups}; "
            f"got weight shape {tuple(weight_shape)}"
        )


def valid_swap(na: Sequence[int], nb: Sequence[int]) -> bool | None:
    """``mode='valid'`` operand order, as scipy: False when the first input is at least
    as large as the second along every axis, True when the second is (scipy swaps
    them), None when neither is (an error for the caller to name)."""
    if all(p >= q for p, q in zip(na, nb)):
        return False
    if all(q >= p for p, q in zip(na, nb)):
        return True
    return None


def axes(axes: Any, ndim: int) -> tuple[int, ...]:
    """``axes`` of a convolution (None, an int or a sequence) as distinct non-negative ints."""
    if axes is None:
        return tuple(range(ndim))
    given = axes
    if isinstance(axes, (int, np.integer)):
        axes = (axes,)
    try:
        out = tuple(int(a) for a in axes)
    except TypeError:
        raise invalid("axes", axes, "None, an int or a sequence of ints") from None
    if not out:
        # scipy: "when provided, axes cannot be empty"
        raise invalid("axes", given, "None, an int or a non-empty sequence of ints")
    if any(not -ndim <= a < ndim for a in out):
        raise invalid("axes", given, f"axes in [-{ndim}, {ndim - 1}]")
    out = tuple(a % ndim for a in out)
    if len(set(out)) != len(out):
        raise invalid("axes", given, "distinct axes")
    return out
