"""The polyphase engine: samples of ``conv(upsample(x, up), g)`` on a stride, as GEMMs.

Every map of this package is one call of :func:`polyphase`,

    out[i] = sum_j x[j] g[i*down + c - j*up],      0 <= i < n_out,

i.e. the samples ``t_i = i*down + c`` of the convolution of the ``up``-fold
upsampled ``x`` with ``g``. ``scipy.signal.upfirdn`` is ``c = 0``; MATLAB's
``resample`` is a shifted window of it (``c`` = delay·q − leading zeros); the
adjoint of upfirdn is the same form with the reversed conjugate filter and the
roles of ``up`` and ``down`` exchanged.

Why GEMM: with ``g0 = gcd(up, down)``, ``P = up/g0``, ``Q = down/g0``, the
outputs ``bP + r`` (row ``b``, phase ``r``) read the inputs ``bQ + j`` through a
weight ``M[j, r] = g[r*down + c - j*up]`` that does not depend on ``b``. So the
output, viewed as rows of ``P`` samples, is a strided window view of ``x`` (rows
``Q`` samples apart) times a small constant matrix. Splitting the phases into
groups keeps each group's window narrow (about ``G·Q/P + taps-per-phase``
columns), and splitting a window into column chunks no wider than the row stride
makes every view a legal BLAS operand (leading dimension >= width), so no window
is ever copied. Small ``Q`` is handled by taking ``K`` periods per row.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import gcd

import numpy as np
from numpy.lib.stride_tricks import as_strided

__all__ = ["Plan", "plan", "polyphase", "upfirdn_length"]

#: outputs per row block of one GEMM (its result then stays in a core's L2 cache)
ROW_BLOCK_OUTPUTS = 1 << 17


def upfirdn_length(n: int, lh: int, up: int, down: int) -> int:
    """Length of ``scipy.signal.upfirdn``'s output: ``((n - 1)·up + lh - 1)//down + 1``."""
    return ((n - 1) * up + lh - 1) // down + 1


@dataclass(frozen=True)
class _Chunk:
    col0: int  # first input column of the chunk, relative to the padded row start
    width: int
    weights: np.ndarray  # (width, G) block of M


@dataclass(frozen=True)
class _Group:
    r0: int
    r1: int
    chunks: tuple[_Chunk, ...]


@dataclass(frozen=True)
class Plan:
    """Everything :func:`polyphase` needs that depends only on the filter and sizes."""

    n_in: int
    n_out: int
    period_out: int  # outputs per row (K·P)
    period_in: int  # inputs per row (K·Q)
    rows: int
    pad_left: int
    padded: int  # length of the zero-padded input
    groups: tuple[_Group, ...]
    dtype: np.dtype


def _ceil_div(a: int, b: int) -> int:
    return -((-a) // b)


def _choose_blocking(lg: int, up: int, down: int, n_out: int) -> tuple[int, int]:
    """(K periods per row, G phases per group) from a small flop + call-count model."""
    g0 = gcd(up, down)
    p, q = up // g0, down // g0
    taps = _ceil_div(lg, up)
    best: tuple[float, int, int] | None = None
    for k in (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128):
        pk, qk = k * p, k * q
        if k > 1 and (pk > 4096 or pk > max(n_out, 1)):
            break
        blocks = _ceil_div(max(1, _ceil_div(n_out, pk)), max(1, ROW_BLOCK_OUTPUTS // pk))
        for gsz in sorted({4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, pk}):
            if gsz > pk:
                continue
            width = _ceil_div(gsz * down, up) + taps + 1
            calls = blocks * _ceil_div(pk, gsz) * _ceil_div(width, qk)
            # flops per output ~ width; skinny GEMMs (few columns) run below peak,
            # and every call has a fixed cost worth some 10⁴ flops
            eff = min(1.0, (gsz + 4) / 36.0)
            cost = n_out * width / eff + calls * 2e4
            # ties go to more periods per row (fewer, longer rows measured faster)
            if best is None or cost <= best[0]:
                best = (cost, k, gsz)
    assert best is not None
    return best[1], best[2]


def plan(
    g: np.ndarray,
    n_in: int,
    up: int,
    down: int,
    c: int,
    n_out: int,
    *,
    blocking: tuple[int, int] | None = None,
) -> Plan:
    """Precompute the phase groups and weight blocks of one polyphase map.

    ``g`` is 1-D and already of the compute dtype; ``blocking`` forces ``(K, G)``
    (tests use it to cover every code path).
    """
    lg = g.shape[0]
    g0 = gcd(up, down)
    p, q = up // g0, down // g0
    k, gsz = blocking or _choose_blocking(lg, up, down, n_out)
    pk, qk = k * p, k * q
    rows = max(1, _ceil_div(n_out, pk))
    groups = []
    lo_all, hi_all = 0, 0
    for r0 in range(0, pk, gsz):
        r1 = min(pk, r0 + gsz)
        # input offsets j (relative to row start b·qk) touched by phases r0..r1-1
        jlo = _ceil_div(r0 * down + c - lg + 1, up)
        jhi = ((r1 - 1) * down + c) // up
        if jhi < jlo:
            groups.append(_Group(r0, r1, ()))
            continue
        r = np.arange(r0, r1)
        j = np.arange(jlo, jhi + 1)
        idx = r[None, :] * down + c - j[:, None] * up
        ok = (idx >= 0) & (idx < lg)
        m = np.where(ok, g[np.clip(idx, 0, lg - 1)], 0).astype(g.dtype)
        width = jhi - jlo + 1
        chunks = tuple(
            _Chunk(jlo + s, min(qk, width - s), np.ascontiguousarray(m[s : s + qk]))
            for s in range(0, width, qk)
            if np.any(m[s : s + qk])
        )
        groups.append(_Group(r0, r1, chunks))
        lo_all, hi_all = min(lo_all, jlo), max(hi_all, jhi)
    pad_left = -lo_all
    # the last row reads up to (rows-1)·qk + hi_all
    padded = max(pad_left + n_in, pad_left + (rows - 1) * qk + hi_all + 1)
    return Plan(n_in, n_out, pk, qk, rows, pad_left, padded, tuple(groups), g.dtype)


def polyphase(x: np.ndarray, pl: Plan) -> np.ndarray:
    """Apply a planned map along the last axis of ``x`` (any leading batch shape).

    ``x`` must already have the plan's dtype; it is copied once into a zero-padded,
    C-contiguous buffer (so views, negative strides and read-only inputs are fine).
    """
    lead = x.shape[:-1]
    nb = int(np.prod(lead, dtype=np.int64))
    buf = np.zeros((nb, pl.padded), dtype=pl.dtype)
    buf[:, pl.pad_left : pl.pad_left + pl.n_in] = x.reshape(nb, pl.n_in)
    out = np.empty((nb, pl.rows, pl.period_out), dtype=pl.dtype)
    item = buf.itemsize
    s_batch, s_row = buf.strides[0], pl.period_in * item
    # row blocks keep each GEMM's result (block × G) in cache while it is copied out
    block = max(1, ROW_BLOCK_OUTPUTS // pl.period_out)
    for b0 in range(0, pl.rows, block):
        b1 = min(pl.rows, b0 + block)
        for grp in pl.groups:
            dest = out[:, b0:b1, grp.r0 : grp.r1]
            if not grp.chunks:
                dest[...] = 0
                continue
            first = True
            for ch in grp.chunks:
                start = pl.pad_left + ch.col0 + b0 * pl.period_in
                view = as_strided(
                    buf[:, start:],
                    shape=(nb, b1 - b0, ch.width),
                    strides=(s_batch, s_row, item),
                    writeable=False,
                )
                prod = np.matmul(view, ch.weights)
                if first:
                    dest[...] = prod
                    first = False
                else:
                    dest += prod
    return out.reshape(nb, pl.rows * pl.period_out)[:, : pl.n_out].reshape(lead + (pl.n_out,))
