"""One description of every convolution operator, ``A = V E``, and its exact
eigenvalues when it is circulant.

``E`` extends the input along each spatial axis with a 0/1 index map ``idx`` (``-1``:
a zero sample), ``V`` is the strided, dilated, grouped valid cross-correlation on the
extended grid. :mod:`convop.spectral` builds its symbols, blocks and bounds on this
description; the operators use it for :meth:`Convolution.eigvals`.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import prod
from typing import Any

import numpy as np

from convop._core.errors import ConvopTypeError, ConvopValueError

__all__ = ["Spec", "eigvals", "real_dtype", "spec_of"]


@dataclass(frozen=True)
class Spec:
    """``A = V E`` in normalised form (see the module docstring)."""

    weight: np.ndarray  # (C_out, C_in/groups, *k) correlation taps
    groups: int
    c_in: int
    n: tuple[int, ...]  # input spatial shape
    index: tuple[np.ndarray, ...]  # extension index map per axis
    stride: tuple[int, ...]
    dilation: tuple[int, ...]
    out: tuple[int, ...]  # output spatial shape
    channels: bool  # ConvLayer (channel axes) or Convolution

    @property
    def c_out(self) -> int:
        return int(self.weight.shape[0])

    @property
    def kshape(self) -> tuple[int, ...]:
        return tuple(int(k) for k in self.weight.shape[2:])

    @property
    def matrix_shape(self) -> tuple[int, int]:
        return (self.c_out * prod(self.out), self.c_in * prod(self.n))

    def periodic_offsets(self) -> tuple[int, ...] | None:
        """``c`` per axis when ``A`` is a subsampled block-circulant (else None)."""
        offs = []
        for idx, n, o, s in zip(self.index, self.n, self.out, self.stride):
            if o * s != n:
                return None
            c = int(idx[0]) if idx.size else 0
            if idx.size == 0 or c < 0 or not np.array_equal(idx, (c + np.arange(idx.size)) % n):
                return None
            offs.append(c)
        return tuple(offs)


def spec_of(op: Any) -> Spec:
    """The :class:`Spec` of a Convolution or ConvLayer (TypeError otherwise)."""
    describe = getattr(op, "_spec_description", None)
    if describe is None:
        raise ConvopTypeError(
            f"op must be a convop.Convolution or convop.ConvLayer; got {type(op).__name__}"
        )
    return describe()


def real_dtype(op: Any) -> np.dtype:
    """float32 for single-precision operators, float64 otherwise."""
    single = np.dtype(op.dtype) in (np.float32, np.complex64)
    return np.dtype(np.float32) if single else np.dtype(np.float64)


def eigvals(op: Any) -> np.ndarray:
    """Exact eigenvalues of a circulant operator, by one FFT.

    Documented as :func:`convop.spectral.eigvals`.
    """
    spec = spec_of(op)
    offs = spec.periodic_offsets()
    square = spec.c_in == 1 and spec.c_out == 1 and all(s == 1 for s in spec.stride)
    if offs is None or not square:
        why = []
        if spec.c_in != 1 or spec.c_out != 1:
            why.append(f"it has {spec.c_in} input and {spec.c_out} output channels")
        if any(s != 1 for s in spec.stride):
            why.append(f"stride {spec.stride}")
        if offs is None:
            why.append(
                "it is not a periodic map onto the input grid (needs a periodic "
                "boundary and output shape == input shape)"
            )
        raise ConvopValueError(
            f"eigvals needs a circulant operator; this one has structure="
            f"{getattr(op, 'structure', 'general')!r} ({'; '.join(why)}). Its singular "
            f"values are available from convop.spectral.svdvals(op)"
        )
    w = np.asarray(spec.weight)[0, 0]
    emb = np.zeros(spec.n, dtype=np.result_type(w.dtype, np.float64))
    pos = np.meshgrid(
        *[
            (-(c + dl * np.arange(k))) % n
            for c, dl, k, n in zip(offs, spec.dilation, spec.kshape, spec.n)
        ],
        indexing="ij",
    )
    np.add.at(emb, tuple(pos), w)
    lam = np.fft.fftn(emb)
    return lam.astype(np.complex64) if real_dtype(op) == np.float32 else lam
