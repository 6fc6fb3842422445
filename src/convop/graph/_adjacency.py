"""Validation of adjacency matrices and the symmetric degree normalisation."""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from convop._core.errors import ConvopTypeError, ConvopValueError

__all__ = ["as_adjacency", "normalized_adjacency"]


def as_adjacency(
    adjacency: Any, name: str = "adjacency", *, symmetric: bool = False
) -> sp.csr_array:
    """``adjacency`` as a validated CSR array (a copy: the caller's data is never shared).

    Checks: 2-D, square, real numeric, finite, non-negative and, when ``symmetric``,
    equal to its transpose. Integer and boolean weights become float64; float32 stays
    float32. Explicitly stored zeros are dropped.
    """
    if hasattr(adjacency, "adjacency") and not isinstance(adjacency, np.ndarray):
        adjacency = adjacency.adjacency  # a Graph
    if sp.issparse(adjacency):
        mat = sp.csr_array(adjacency, copy=True)
    else:
        try:
            arr = np.asarray(adjacency)
        except (TypeError, ValueError) as exc:
            raise ConvopTypeError(
                f"{name} must be a 2-D array or a scipy.sparse matrix; "
                f"got {type(adjacency).__name__}"
            ) from exc
        if arr.dtype.kind not in "biuf":
            raise ConvopTypeError(
                f"{name} must hold real numbers (bool, int or float); got dtype {arr.dtype}"
            )
        if arr.ndim != 2:
            raise ConvopValueError(f"{name} must be a 2-D (N, N) matrix; got shape {arr.shape}")
        mat = sp.csr_array(arr)
    if mat.dtype.kind not in "biuf":
        raise ConvopTypeError(
            f"{name} must hold real numbers (bool, int or float); got dtype {mat.dtype}"
        )
    if mat.shape[0] != mat.shape[1]:
        raise ConvopValueError(f"{name} must be square (N, N); got shape {mat.shape}")
    if mat.dtype != np.float32:
        mat = mat.astype(np.float64)
    mat.sum_duplicates()
    data = mat.data
    if not np.all(np.isfinite(data)):
        bad = np.flatnonzero(~np.isfinite(data))[0]
        r, c = _entry(mat, bad)
        raise ConvopValueError(f"{name} must be finite; got {float(data[bad])!r} at ({r}, {c})")
    if np.any(data < 0):
        bad = np.flatnonzero(data < 0)[0]
        r, c = _entry(mat, bad)
        raise ConvopValueError(
            f"{name} must have non-negative edge weights; got {float(data[bad])!r} at ({r}, {c})"
        )
    mat.eliminate_zeros()
    if symmetric:
        diff = abs(mat - mat.T)
        if diff.nnz and diff.max() > 0:
            coo = sp.coo_array(diff)
            k = int(np.argmax(coo.data))
            r, c = int(coo.row[k]), int(coo.col[k])
            raise ConvopValueError(
                f"{name} must be symmetric for an undirected graph; "
                f"{name}[{r}, {c}]={float(mat[r, c])!r} but {name}[{c}, {r}]={float(mat[c, r])!r} "
                "(pass directed=True for a directed graph)"
            )
    mat.sort_indices()
    return mat


def _entry(mat: sp.csr_array, k: int) -> tuple[int, int]:
    row = int(np.searchsorted(mat.indptr, k, side="right") - 1)
    return row, int(mat.indices[k])


def normalized_adjacency(adjacency: Any, *, self_loops: bool = False) -> sp.csr_array:
    r"""The symmetrically normalised adjacency :math:`D^{-1/2} A D^{-1/2}`.

    Parameters
    ----------
    adjacency : (N, N) array_like, scipy.sparse matrix or Graph
        Non-negative, finite edge weights. Degrees are the row sums.
    self_loops : bool
        Add the identity first (Kipf & Welling's renormalisation trick:
        :math:`\tilde D^{-1/2}(A + I)\tilde D^{-1/2}`).

    Returns
    -------
    scipy.sparse.csr_array
        Same dtype as the input (float32 stays float32, integers become float64).
        Rows and columns of isolated nodes (degree 0) are zero, never NaN.

    Raises
    ------
    ConvopValueError
        Not square, not finite, or a negative weight.
    ConvopTypeError
        Not a real numeric matrix.

    Notes
    -----
    For a symmetric ``A`` the eigenvalues lie in :math:`[-1, 1]`, and
    :math:`I - D^{-1/2} A D^{-1/2}` is the normalised Laplacian.

    Examples
    --------
    >>> import numpy as np
    >>> A = np.array([[0, 1, 0], [1, 0, 0], [0, 0, 0]])
    >>> normalized_adjacency(A).toarray().tolist()
    [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 0.0]]
    >>> np.round(normalized_adjacency(A, self_loops=True).toarray(), 3).tolist()
    [[0.5, 0.5, 0.0], [0.5, 0.5, 0.0], [0.0, 0.0, 1.0]]
    """
    mat = as_adjacency(adjacency)
    if self_loops:
        mat = (mat + sp.eye_array(mat.shape[0], dtype=mat.dtype, format="csr")).tocsr()
    deg = np.asarray(mat.sum(axis=1)).ravel()
    coo = sp.coo_array(mat)
    # a_ij / sqrt(d_i d_j) in one rounding; rows of isolated nodes hold no entries at all
    vals = coo.data / np.sqrt(deg[coo.row] * deg[coo.col])
    out = sp.csr_array((vals.astype(mat.dtype), (coo.row, coo.col)), shape=mat.shape)
    out.sort_indices()
    return out
