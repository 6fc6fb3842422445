"""Small parametric models of Haber & Ruthotto's notes: diagonal, antisymmetric, M-matrix."""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from convop._core.errors import ConvopTypeError, ConvopValueError
from convop.parametric._base import ParametricOperator

__all__ = ["Antisymmetric", "Diagonal", "MMatrix"]


def _size(n: Any, name: str = "n", minimum: int = 1) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise ConvopTypeError(f"{name} must be an int; got {n!r}")
    if n < minimum:
        raise ConvopValueError(f"invalid {name}={n!r}; expected an int >= {minimum}")
    return int(n)


def _q(
    rows: list[int] | np.ndarray,
    cols: list[int] | np.ndarray,
    vals: list[float] | np.ndarray,
    nrows: int,
    ncols: int,
) -> sp.csc_array:
    return sp.coo_array(
        (np.asarray(vals, float), (np.asarray(rows), np.asarray(cols))), shape=(nrows, ncols)
    ).tocsc()


class Diagonal(ParametricOperator):
    r"""Diagonal scaling :math:`K(\theta) = \mathrm{diag}(\theta) \in \mathbb{R}^{n\times n}`.

    ``Q`` has a single 1 per column: ``Q[i + n*i, i] = 1``.

    Parameters
    ----------
    n : int
        Size of the matrix (and number of parameters).

    Examples
    --------
    >>> import numpy as np
    >>> from convop.parametric import Diagonal
    >>> D = Diagonal(3)
    >>> D.apply([1.0, 2.0, 3.0], np.ones(3)).tolist()
    [1.0, 2.0, 3.0]
    """

    def __init__(self, n: int) -> None:
        n = _size(n)
        idx = np.arange(n)
        super().__init__(_q(idx + n * idx, idx, np.ones(n), n * n, n), (n, n))
        self.n = n


class Antisymmetric(ParametricOperator):
    r"""Antisymmetric matrix :math:`K(\theta) = -K(\theta)^\top` with ``n(n-1)/2`` parameters.

    The parameters fill the strict upper triangle row by row
    (``θ1 = K[0,1], θ2 = K[0,2], …, θ_{n-1} = K[0,n-1], θ_n = K[1,2], …``) and
    the lower triangle holds their negatives; for ``n = 3``

    .. math::

        K(\theta) = \begin{pmatrix} 0 & \theta_1 & \theta_2 \\ -\theta_1 & 0 & \theta_3
        \\ -\theta_2 & -\theta_3 & 0 \end{pmatrix}.

    Parameters
    ----------
    n : int
        Size of the matrix (``n >= 2``).

    Notes
    -----
    A real antisymmetric matrix is normal with purely imaginary eigenvalues
    (:math:`x^* K x` is imaginary for every complex :math:`x`), so
    :math:`\mathrm{Re}\,\lambda_i(K(\theta)) = 0` for every θ.

    Examples
    --------
    >>> from convop.parametric import Antisymmetric
    >>> Antisymmetric(3).matrix([1.0, 2.0, 3.0]).tolist()
    [[0.0, 1.0, 2.0], [-1.0, 0.0, 3.0], [-2.0, -3.0, 0.0]]
    """

    def __init__(self, n: int) -> None:
        n = _size(n, minimum=2)
        iu, ju = np.triu_indices(n, k=1)  # row by row: (0,1), (0,2), ..., (1,2), ...
        c = np.arange(iu.size)
        rows = np.concatenate([iu + n * ju, ju + n * iu])
        cols = np.concatenate([c, c])
        vals = np.concatenate([np.ones(c.size), -np.ones(c.size)])
        super().__init__(_q(rows, cols, vals, n * n, c.size), (n, n))
        self.n = n


class MMatrix(ParametricOperator):
    r"""Zero-row-sum M-matrix model: off-diagonal entries ``-θ``, diagonal their sum.

    Row ``i`` owns ``n - 1`` parameters, one per off-diagonal column ``j ≠ i``
    in increasing ``j``; ``K[i, j] = -θ`` and ``K[i, i]`` is the sum of the row's
    parameters.  For ``n = 3`` (the notes' example)

    .. math::

        K(\theta) = \begin{pmatrix} \theta_1+\theta_2 & -\theta_1 & -\theta_2 \\
        -\theta_3 & \theta_3+\theta_4 & -\theta_4 \\
        -\theta_5 & -\theta_6 & \theta_5+\theta_6 \end{pmatrix}.

    Parameters
    ----------
    n : int, default 3
        Size of the matrix (``n >= 2``); ``n(n-1)`` parameters.

    Notes
    -----
    Every row sums to zero, so :math:`K(\theta)\mathbf{1} = 0` and the matrix is
    singular.  For :math:`\theta \ge 0` it is a (singular) M-matrix — the
    Laplacian of a weighted directed graph, "like a differential operator" —
    and by Gershgorin its eigenvalues have nonnegative real part.

    Examples
    --------
    >>> import numpy as np
    >>> from convop.parametric import MMatrix
    >>> M = MMatrix(3)
    >>> M.matrix([1, 2, 3, 4, 5, 6]).tolist()
    [[3.0, -1.0, -2.0], [-3.0, 7.0, -4.0], [-5.0, -6.0, 11.0]]
    >>> M.Q.shape
    (9, 6)
    """

    def __init__(self, n: int = 3) -> None:
        n = _size(n, minimum=2)
        i = np.repeat(np.arange(n), n - 1)
        # off-diagonal columns of each row, increasing: skip the diagonal
        r = np.tile(np.arange(n - 1), n)
        j = r + (r >= i)
        c = np.arange(n * (n - 1))
        rows = np.concatenate([i + n * j, i + n * i])
        cols = np.concatenate([c, c])
        vals = np.concatenate([-np.ones(c.size), np.ones(c.size)])
        super().__init__(_q(rows, cols, vals, n * n, c.size), (n, n))
        self.n = n
