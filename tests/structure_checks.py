"""Independent checks that a dense matrix has the structure its tag claims."""

from __future__ import annotations

import numpy as np


def _levels(D, out_shape, in_shape):
    return D.reshape(tuple(out_shape) + tuple(in_shape))


def depends_on_difference(D, out_shape, in_shape, modulo=False, atol=1e-12):
    """True when D[j, i] depends only on i − j per axis (mod n if ``modulo``)."""
    T = _levels(D, out_shape, in_shape)
    d = len(in_shape)
    seen: dict = {}
    for idx in np.ndindex(T.shape):
        j, i = np.array(idx[:d]), np.array(idx[d:])
        key = tuple((i - j) % np.array(in_shape)) if modulo else tuple(i - j)
        v = T[idx]
        if key in seen:
            if abs(seen[key] - v) > atol:
                return False
        else:
            seen[key] = v
    return True


def is_toeplitz_plus_hankel(D, atol=1e-9):
    """1-D: D = T + H with T[j,i] = t(i−j), H[j,i] = h(i+j); solved by least squares."""
    m, n = D.shape
    rows = []
    for j in range(m):
        for i in range(n):
            r = np.zeros((m + n - 1) + (m + n - 1))
            r[i - j + m - 1] = 1
            r[(m + n - 1) + i + j] = 1
            rows.append(r)
    M = np.array(rows)
    sol, *_ = np.linalg.lstsq(M, D.ravel(), rcond=None)
    return np.abs(M @ sol - D.ravel()).max() < atol * max(1, np.abs(D).max())


def check_tag(tag, D, out_shape, in_shape):
    if tag in ("toeplitz", "bttb", "multilevel-toeplitz"):
        return depends_on_difference(D, out_shape, in_shape)
    if tag in ("circulant", "bccb", "multilevel-circulant"):
        return tuple(out_shape) == tuple(in_shape) and depends_on_difference(
            D, out_shape, in_shape, modulo=True
        )
    if tag == "toeplitz+hankel":
        return is_toeplitz_plus_hankel(D)
    return tag == "general"
