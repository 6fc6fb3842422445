"""Heat diffusion, label propagation and farthest-point sampling on a Graph."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import scipy.sparse as sp

from convop._core.errors import ConvopTypeError, ConvopValueError, invalid
from convop._core.validate import numeric_array
from convop.graph._graph import SMALL, Graph, _kind

__all__ = ["farthest_point_sampling", "heat_diffusion", "label_propagation"]

NORMALIZATIONS = ("random-walk", "symmetric")


def _graph(G: Any) -> Graph:
    if not isinstance(G, Graph):
        raise ConvopTypeError(f"G must be a convop.graph.Graph; got {type(G).__name__}")
    return G


def _steps(steps: Any, name: str = "steps") -> int:
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ConvopValueError(f"invalid {name}={steps!r}; expected an integer >= 0")
    return int(steps)


def _real(value: Any, name: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError) as exc:
        raise ConvopTypeError(f"{name} must be a real number; got {value!r}") from exc
    if not np.isfinite(v):
        raise ConvopValueError(f"invalid {name}={value!r}; expected a finite number")
    return v


def _signal(G: Graph, x: Any, name: str) -> np.ndarray:
    arr = numeric_array(x, name)
    if arr.ndim not in (1, 2) or arr.shape[0] != G.n_nodes:
        raise ConvopValueError(
            f"{name} must have shape ({G.n_nodes},) or ({G.n_nodes}, F); got {arr.shape}"
        )
    if arr.dtype.kind == "c":
        raise ConvopTypeError(f"{name} must be real; got dtype {arr.dtype}")
    return arr.astype(np.float64) if arr.dtype.kind in "biu" else arr.copy()


def heat_diffusion(
    G: Graph,
    x0: Any,
    alpha: float,
    steps: int,
    *,
    kind: str = "combinatorial",
    return_path: bool = False,
) -> np.ndarray:
    r"""Explicit-Euler heat diffusion :math:`x \leftarrow x - \alpha L x`, ``steps`` times.

    Each step multiplies the mode of eigenvalue λ by :math:`1 - \alpha\lambda`; the
    scheme is stable (no mode grows) iff :math:`\alpha\lambda_{max} \le 2`, and
    monotone (no sign flips) iff :math:`\alpha\lambda_{max} \le 1`. After ``s`` steps the
    state is :math:`(I - \alpha L)^s x_0 \approx e^{-\alpha s L} x_0` for small α.
    With ``kind="combinatorial"`` the total heat :math:`\mathbf 1^\top x` is conserved
    (:math:`\mathbf 1^\top L = 0`); with ``normalized`` it is :math:`\sqrt d^{\top} x`
    that is conserved instead.

    Parameters
    ----------
    G : Graph
        Undirected.
    x0 : (N,) or (N, F) array_like
        Initial state (not modified).
    alpha : float
        Step size, ``0 < alpha <= 2 / lmax``.
    steps : int
    kind : {'combinatorial', 'normalized', 'random-walk'}
    return_path : bool
        Return every state, shape ``(steps + 1, N[, F])``, instead of the last.

    Raises
    ------
    ConvopValueError
        ``alpha * lmax > 2`` (unstable: the highest mode is amplified by
        ``|1 - alpha lmax| > 1`` each step), ``alpha <= 0``, bad shapes.

    Examples
    --------
    >>> import numpy as np
    >>> from convop.graph import ring
    >>> x = heat_diffusion(ring(8), np.eye(8)[0], 0.25, 40)
    >>> round(float(x.sum()), 12), round(float(x.max()), 4)
    (1.0, 0.1254)
    >>> heat_diffusion(ring(8), np.eye(8)[0], 0.6, 4)
    Traceback (most recent call last):
    ...
    convop._core.errors.ConvopValueError: invalid alpha=0.6; unstable: alpha*lmax = 2.4 > 2 ...
    """
    G = _graph(G)
    kind = _kind(kind)
    sym = G._symmetric_kind(kind)
    a = _real(alpha, "alpha")
    if a <= 0:
        raise ConvopValueError(f"invalid alpha={alpha!r}; expected a step size > 0")
    n_steps = _steps(steps)
    x = _signal(G, x0, "x0")
    if a * G.lmax("bound", kind=sym) > 2:
        cheap = G.n_nodes <= SMALL or G.circulant_shape is not None
        lam = G.lmax("exact" if cheap else "lanczos", kind=sym)
        if a * lam > 2 * (1 + 1e-12):
            raise ConvopValueError(
                f"invalid alpha={alpha!r}; unstable: alpha*lmax = {a * lam:.6g} > 2 "
                f"(lmax = {lam:.6g} for kind={kind!r}); expected alpha <= {2 / lam:.6g}"
            )
    L = G.laplacian(kind)
    if x.dtype == np.float32:
        L = L.astype(np.float32)
    path = [x.copy()] if return_path else None
    for _ in range(n_steps):
        x = x - a * (L @ x)
        if path is not None:
            path.append(x)
    return np.stack(path) if path is not None else x


def label_propagation(
    G: Graph,
    Y: Any,
    alpha: float,
    steps: int | None = None,
    tol: float = 1e-8,
    *,
    normalization: str = "random-walk",
    max_steps: int = 100_000,
) -> np.ndarray:
    r"""Label propagation :math:`F \leftarrow \alpha P F + (1-\alpha) Y` from :math:`F = Y`.

    ``P = D⁻¹A`` (``random-walk``, rows sum to 1, as in the seed) or
    ``D^{-1/2} A D^{-1/2}`` (``symmetric``: Zhou et al.'s label spreading, the
    matrix of ``sklearn.semi_supervised.LabelSpreading``). For ``0 <= alpha < 1`` the
    iteration converges to the closed form
    :math:`F^\ast = (1-\alpha)(I - \alpha P)^{-1} Y`.

    The prior is re-injected at every step, so a labelled node is not drained the way
    heat diffusion drains its source; its value still drops below its prior, to
    :math:`(1-\alpha)Y_i + \alpha (PF^\ast)_i`.

    Parameters
    ----------
    G : Graph
    Y : (N,) or (N, C) array_like
        Prior: 1 at labelled nodes in their class column, 0 elsewhere (any real prior
        is accepted).
    alpha : float
        ``0 <= alpha < 1``: weight of the neighbours against the prior.
    steps : int, optional
        Exactly this many iterations; None: iterate until ``max |ΔF| <= tol``.
    tol : float
        Convergence tolerance when ``steps`` is None.
    normalization : {'random-walk', 'symmetric'}
    max_steps : int
        Cap on iterations when ``steps`` is None (a warning if it is reached).

    Returns
    -------
    F : ndarray, the shape of ``Y``

    Warns
    -----
    UserWarning
        Nodes without edges (cold start): they receive nothing from the graph and keep
        their prior ``Y`` (instead of ``(1-alpha) Y``).

    Examples
    --------
    >>> import numpy as np
    >>> from convop.graph import ring
    >>> F = label_propagation(ring(6), np.eye(6)[0], 0.5)
    >>> np.round(F, 4).tolist()
    [0.5778, 0.1556, 0.0444, 0.0222, 0.0444, 0.1556]
    """
    G = _graph(G)
    a = _real(alpha, "alpha")
    if not 0 <= a < 1:
        raise ConvopValueError(f"invalid alpha={alpha!r}; expected 0 <= alpha < 1")
    if not (isinstance(normalization, str) and normalization in NORMALIZATIONS):
        raise invalid("normalization", normalization, NORMALIZATIONS)
    if normalization == "symmetric" and G.directed:
        raise ConvopValueError("normalization='symmetric' needs an undirected graph")
    n_steps = None if steps is None else _steps(steps)
    t = _real(tol, "tol")
    if t < 0:
        raise ConvopValueError(f"invalid tol={tol!r}; expected tol >= 0")
    cap = _steps(max_steps, "max_steps")
    Yv = _signal(G, Y, "Y")
    A = G.adjacency
    d = G.degrees
    cold = np.flatnonzero(d == 0)
    if len(cold):
        shown = ", ".join(map(str, cold[:10])) + (", ..." if len(cold) > 10 else "")
        warnings.warn(
            f"label_propagation: {len(cold)} node(s) without edges (cold start: {shown}) "
            "receive nothing from the graph and keep their prior Y",
            UserWarning,
            stacklevel=2,
        )
    inv = np.zeros_like(d)
    pos = d > 0
    if normalization == "random-walk":
        inv[pos] = 1 / d[pos]
        P = sp.csr_array(sp.diags_array(inv) @ A)
    else:
        inv[pos] = 1 / np.sqrt(d[pos])
        P = sp.csr_array(sp.diags_array(inv) @ A @ sp.diags_array(inv))
    P = P.astype(Yv.dtype)
    F = Yv.copy()
    prior = (1 - a) * Yv
    if len(cold):
        prior[cold] = Yv[cold]  # P has zero rows there, so F = prior exactly
    done, k = False, 0
    limit = cap if n_steps is None else n_steps
    while k < limit:
        new = a * (P @ F) + prior
        k += 1
        if n_steps is None and np.max(np.abs(new - F), initial=0.0) <= t:
            done = True
            F = new
            break
        F = new
    if n_steps is None and not done and limit > 0:
        warnings.warn(
            f"label_propagation did not reach tol={t:g} in max_steps={cap} iterations",
            UserWarning,
            stacklevel=2,
        )
    return F


def farthest_point_sampling(
    coords: Any, k: int, seed: int | np.random.Generator | None = None
) -> np.ndarray:
    """Greedy farthest-point sampling: each next point is the one farthest (Euclidean)
    from all points chosen so far; the first is drawn at random from ``seed``.

    Gives an even covering (a 2-approximation of the k-center problem), the seed's
    sensor placement. Ties go to the lowest index.

    Parameters
    ----------
    coords : (N, d) array_like or Graph
        Point coordinates (a Graph's :attr:`~Graph.coords`).
    k : int
        Number of points, ``1 <= k <= N``.
    seed : int, numpy Generator or None

    Returns
    -------
    (k,) int64 ndarray of distinct indices, in the order chosen.

    Examples
    --------
    >>> import numpy as np
    >>> pts = np.array([[0.0], [1.0], [2.0], [10.0]])
    >>> farthest_point_sampling(pts, 3, seed=0).tolist()
    [3, 0, 2]
    """
    if isinstance(coords, Graph):
        if coords.coords is None:
            raise ConvopValueError("coords: this Graph has no vertex coordinates")
        coords = coords.coords
    X = numeric_array(coords, "coords")
    if X.ndim != 2 or X.shape[0] == 0:
        raise ConvopValueError(f"coords must be an (N, d) array with N >= 1; got shape {X.shape}")
    X = X.astype(np.float64)
    if not np.all(np.isfinite(X)):
        raise ConvopValueError("coords must be finite")
    n = X.shape[0]
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= n:
        raise ConvopValueError(f"invalid k={k!r}; expected an integer in [1, {n}]")
    rng = np.random.default_rng(seed)
    chosen = np.empty(int(k), dtype=np.int64)
    chosen[0] = rng.integers(n)
    dist = np.full(n, np.inf)
    for i in range(1, int(k)):
        diff = X - X[chosen[i - 1]]
        dist = np.minimum(dist, np.einsum("ij,ij->i", diff, diff))
        chosen[i] = int(np.argmax(dist))
    return chosen
