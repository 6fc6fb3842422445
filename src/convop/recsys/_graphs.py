"""Graph models on the user–item bipartite graph, in torch: the seed's one-layer GCN
and LightGCN. Propagation is a sparse product with the normalised adjacency; no
dense N × N matrix is ever formed."""

from __future__ import annotations

import time
import warnings
from contextlib import contextmanager
from typing import Any

import numpy as np
import scipy.sparse as sp

from convop._core.errors import ConvopValueError, invalid
from convop._core.optional import require
from convop._core.threads import blas_single_allowed
from convop.recsys._base import Recommender, member_keys, sample_negatives
from convop.recsys._data import Interactions
from convop.recsys._models import _nonneg, _pos_int, training_pairs

__all__ = [
    "GCN",
    "LightGCN",
    "gcn_embeddings",
    "lightgcn_embeddings",
    "node_features",
    "torch_adjacency",
]

DTYPES = ("float32", "float64")


def _torch():
    return require("torch", "torch", "convop.recsys")


def torch_adjacency(adjacency: Any, dtype: str = "float32"):
    """A symmetric scipy sparse adjacency as a torch sparse CSR tensor.

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> a = torch_adjacency(sp.csr_array(np.array([[0.0, 1.0], [1.0, 0.0]])), "float64")
    >>> a.layout, tuple(a.shape)
    (torch.sparse_csr, (2, 2))
    """
    torch = _torch()
    if dtype not in DTYPES:
        raise invalid("dtype", dtype, DTYPES)
    a = sp.csr_array(adjacency)
    if a.ndim != 2 or a.shape[0] != a.shape[1]:
        raise invalid("adjacency.shape", a.shape, "a square matrix")
    a.sort_indices()
    td = getattr(torch, dtype)
    # int32 indices when they fit: the CSR product reads them for every stored
    # entry, and with int64 it ran 1.2-1.6x slower at 10⁶ edges
    idx = np.int32 if max(a.nnz, a.shape[0]) < 2**31 - 1 else np.int64
    with warnings.catch_warnings():
        # torch flags CSR support as beta on every construction; the product used
        # here (CSR @ dense) is stable and checked against dense formulas in the tests
        warnings.simplefilter("ignore", UserWarning)
        return torch.sparse_csr_tensor(
            torch.from_numpy(a.indptr.astype(idx)),
            torch.from_numpy(a.indices.astype(idx)),
            torch.from_numpy(a.data.astype(dtype)),
            size=a.shape,
            dtype=td,
            check_invariants=False,
        )


#: Torch threads for the sparse CSR × dense product under
#: ``convop.options(blas_threads="single")``. On the 2-core VM one thread ran it
#: 1.4-1.8x faster than two in most runs (torch's CSR kernel; see
#: benchmarks/results/convop-bench-recsys-2026-12-06.txt). torch's intra-op thread
#: count is process-wide, like BLAS's, so by default (``blas_threads="leave"``)
#: convop never changes it: another thread of the caller would run on one thread
#: while a product runs.
SPMM_THREADS = 1


@contextmanager
def _spmm_threads():
    """Run the enclosed sparse products with at most :data:`SPMM_THREADS` torch threads
    when the caller allowed it (``convop.options(blas_threads="single")``).

    The caller's thread count is restored on exit (also on error); nothing is
    changed by default, or when it is already at most :data:`SPMM_THREADS`.
    """
    torch = _torch()
    old = torch.get_num_threads()
    if not blas_single_allowed() or old <= SPMM_THREADS:
        yield
        return
    torch.set_num_threads(SPMM_THREADS)
    try:
        yield
    finally:
        torch.set_num_threads(old)


def _spmm(adj, x):
    """``adj @ x`` for a symmetric sparse ``adj``, differentiable in ``x``.

    The backward pass is ``adjᵀ g = adj g``: one more sparse product, no
    transpose of the sparse matrix and no gradient for it.
    """
    torch = _torch()

    class SymSpMM(torch.autograd.Function):
        @staticmethod
        def forward(ctx, dense):
            with _spmm_threads():
                return adj @ dense

        @staticmethod
        def backward(ctx, grad):
            with _spmm_threads():
                return adj @ grad

    return SymSpMM.apply(x)


def _layer_mean(adj, x, layers: int):
    r""":math:`\frac{1}{K+1}\sum_{k=0}^{K} A^k x` by Horner's rule (:math:`h \leftarrow x + A h`),
    without autograd.

    Each step is one ``addmm`` (the sum is accumulated into the product's output,
    ~15% faster than a product and an add). For a symmetric ``A`` this map is
    self-adjoint, so the same function is its own backward pass.
    """
    torch = _torch()
    h = x
    with _spmm_threads():
        for _ in range(layers):
            h = torch.addmm(x, adj, h)
    return h / (layers + 1)


def _propagation(adj, layers: int):
    """LightGCN's propagation as one autograd Function: K products forward, K back.

    The chain of :func:`_spmm` calls keeps K intermediate (N, d) tensors for
    autograd; this keeps none (the backward of a symmetric, linear map is the
    map itself).
    """
    torch = _torch()

    class LayerMean(torch.autograd.Function):
        @staticmethod
        def forward(ctx, dense):
            return _layer_mean(adj, dense, layers)

        @staticmethod
        def backward(ctx, grad):
            return _layer_mean(adj, grad, layers)

    return LayerMean.apply


def gcn_embeddings(adjacency, latent, weights, features=None, feature_weight=None):
    r"""The seed's GCN: :math:`E^{1} = \hat R E_\text{lat} W_\text{lat} + \hat R X W_\text{feat}`.

    Further layers apply :math:`E^{l+1} = \hat R E^{l} W_l` (linear, as in the seed).

    Parameters
    ----------
    adjacency : torch sparse tensor, (N, N), symmetric
    latent : (N, d) tensor
    weights : sequence of (d, d) tensors, one per layer
    features, feature_weight : (N, f) and (f, d) tensors, optional

    Examples
    --------
    >>> import torch, scipy.sparse as sp
    >>> a = torch_adjacency(sp.csr_array(np.array([[0.0, 1.0], [1.0, 0.0]])), "float64")
    >>> eye = torch.eye(2, dtype=torch.float64)
    >>> gcn_embeddings(a, eye, [2 * eye])
    tensor([[0., 2.],
            [2., 0.]], dtype=torch.float64)
    """
    h = latent @ weights[0]
    if features is not None and feature_weight is not None:
        h = h + features @ feature_weight
    e = _spmm(adjacency, h)
    for w in weights[1:]:
        e = _spmm(adjacency, e @ w)
    return e


def lightgcn_embeddings(adjacency, embeddings, layers: int):
    r"""LightGCN: :math:`E = \frac{1}{K+1}\sum_{k=0}^{K}\hat R^k E^{0}` (He et al. 2020, eq. 4).

    Examples
    --------
    >>> import torch, scipy.sparse as sp
    >>> a = torch_adjacency(sp.csr_array(np.array([[0.0, 1.0], [1.0, 0.0]])), "float64")
    >>> lightgcn_embeddings(a, torch.tensor([[1.0], [0.0]], dtype=torch.float64), 1)
    tensor([[0.5000],
            [0.5000]], dtype=torch.float64)
    """
    return _propagation(adjacency, layers)(embeddings)


def node_features(data: Interactions) -> np.ndarray | None:
    """Block node-feature matrix ``[[X_u, 0], [0, X_i]]`` (users first), or None."""
    xu, xi = data.user_features, data.item_features
    if xu is None and xi is None:
        return None
    q = 0 if xu is None else xu.shape[1]
    p = 0 if xi is None else xi.shape[1]
    x = np.zeros((data.n_users + data.n_items, q + p))
    if xu is not None:
        x[: data.n_users, :q] = xu
    if xi is not None:
        x[data.n_users :, q:] = xi
    return x


def _adam(params, lr: float):
    """Adam, fused where torch offers it on CPU (one kernel per step instead of
    one op per Adam term: 4-8x faster on the 7·10⁶ parameters of the scale bench)."""
    torch = _torch()
    try:
        return torch.optim.Adam(params, lr=lr, fused=True)
    except (RuntimeError, TypeError, ValueError):  # older torch: no fused CPU Adam
        return torch.optim.Adam(params, lr=lr)


class _TorchModel(Recommender):
    def _setup(self, data: Interactions):
        torch = _torch()
        if self.dtype not in DTYPES:
            raise invalid("dtype", self.dtype, DTYPES)
        gen = torch.Generator().manual_seed(int(self.seed))
        return torch, getattr(torch, self.dtype), gen

    def _scores(self, u, t):
        return self.user_embeddings_[u] @ self.item_embeddings_.T

    def _predict(self, u, i, t):
        return np.einsum("nd,nd->n", self.user_embeddings_[u], self.item_embeddings_[i])


class GCN(_TorchModel):
    r"""The seed's one-layer GCN on the bipartite graph, with latent and feature streams.

    .. math::
        E^{1} = \hat R\, E_\text{latent} W_\text{latent} + \hat R\, X W_\text{features},
        \qquad \hat y_{ui} = e_u \cdot e_i

    with :math:`\hat R = D^{-1/2} R D^{-1/2}` and :math:`X` the fixed block
    feature matrix (:func:`node_features`). The squared error over the observed
    pairs is minimised by full-batch Adam (the seed: ``lr=0.01``, 500 steps).

    Parameters
    ----------
    layers : int
        Number of propagations (later layers are :math:`\hat R E W_l`).
    dim : int
        Embedding size :math:`d`.
    features : bool
        Use the feature stream; ``False`` is the model with :math:`W_\text{features}=0`.
    lr, epochs : float, int
        Adam learning rate and number of full-batch steps.
    reg, reg_features : float
        Penalties ``reg · mean‖E_latent‖²`` and ``reg_features · ‖W_features‖²``.
    negatives : int
        For implicit data, unobserved items drawn per positive per step (label 0).
    self_loops : bool
        Propagate with :math:`\tilde D^{-1/2}(R+I)\tilde D^{-1/2}` instead (the seed: no).
        Without self loops a user with no training edge gets a zero embedding.
    init_scale : float
        Standard deviation of :math:`E_\text{latent}` (the seed: 1).
    weight_scale : float, optional
        Standard deviation of the weights (default :math:`1/\sqrt{d}`; the seed: 1).
    dtype : {"float32", "float64"}
    seed : int
        Seeds a private ``torch.Generator``: ``E_latent``, then the ``W``, then
        ``W_features`` are drawn from it, in that order.

    Examples
    --------
    >>> from convop.recsys import Interactions
    >>> data = Interactions([0, 0, 1, 1], [0, 1, 0, 1], [1.0, 0.0, 0.0, 1.0],
    ...                     n_users=2, n_items=2)
    >>> m = GCN(dim=2, epochs=50).fit(data)
    >>> m.user_embeddings_.shape, len(m.loss_)
    ((2, 2), 50)
    """

    def __init__(
        self,
        layers: int = 1,
        dim: int = 16,
        *,
        features: bool = True,
        lr: float = 0.01,
        epochs: int = 500,
        reg: float = 0.0,
        reg_features: float = 0.0,
        negatives: int = 1,
        self_loops: bool = False,
        init_scale: float = 0.1,
        weight_scale: float | None = None,
        dtype: str = "float32",
        seed: int = 0,
    ) -> None:
        self.layers = _pos_int(layers, "layers")
        self.dim = _pos_int(dim, "dim")
        self.features = bool(features)
        self.lr = _nonneg(lr, "lr", positive=True)
        self.epochs = _pos_int(epochs, "epochs")
        self.reg = _nonneg(reg, "reg")
        self.reg_features = _nonneg(reg_features, "reg_features")
        self.negatives = _pos_int(negatives, "negatives", 0)
        self.self_loops = bool(self_loops)
        self.init_scale = _nonneg(init_scale, "init_scale")
        self.weight_scale = None if weight_scale is None else _nonneg(weight_scale, "weight_scale")
        if dtype not in DTYPES:
            raise invalid("dtype", dtype, DTYPES)
        self.dtype = dtype
        self.seed = seed

    def fit(self, data: Interactions) -> GCN:
        """Fit on ``data``; ``loss_`` holds the training loss of every step."""
        data = self._start(data)
        torch, td, gen = self._setup(data)
        rng = np.random.default_rng(self.seed)
        nu, n = data.n_users, data.n_users + data.n_items
        adj = torch_adjacency(data.normalized_adjacency(self_loops=self.self_loops), self.dtype)
        d = self.dim
        ws = self.weight_scale if self.weight_scale is not None else 1.0 / np.sqrt(d)
        e0 = (torch.randn(n, d, generator=gen, dtype=td) * self.init_scale).requires_grad_()
        weights = [
            (torch.randn(d, d, generator=gen, dtype=td) * ws).requires_grad_()
            for _ in range(self.layers)
        ]
        x = node_features(data) if self.features else None
        params = [e0, *weights]
        xt = wf = None
        if x is not None:
            xt = torch.from_numpy(x.astype(self.dtype))
            wf = torch.randn(x.shape[1], d, generator=gen, dtype=td) / np.sqrt(x.shape[1])
            wf.requires_grad_()
            params.append(wf)
        opt = torch.optim.Adam(params, lr=self.lr)
        fixed = data.values is not None
        if fixed:
            u, i, _t, y = training_pairs(data, 0, rng)
            ut, it = torch.from_numpy(np.array(u)), torch.from_numpy(i + nu)
            yt = torch.from_numpy(y.astype(self.dtype))
        self.loss_: list[float] = []
        for _ in range(self.epochs):
            if not fixed:
                u, i, _t, y = training_pairs(data, self.negatives, rng)
                ut, it = torch.from_numpy(u), torch.from_numpy(i + nu)
                yt = torch.from_numpy(y.astype(self.dtype))
            e = gcn_embeddings(adj, e0, weights, xt, wf)
            pred = (e[ut] * e[it]).sum(dim=1)
            loss = ((yt - pred) ** 2).mean()
            if self.reg:
                loss = loss + self.reg * (e0 * e0).sum() / n
            if wf is not None and self.reg_features:
                loss = loss + self.reg_features * (wf * wf).sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
            self.loss_.append(float(loss.detach()))
        with torch.no_grad():
            e = gcn_embeddings(adj, e0, weights, xt, wf).numpy().astype(np.float64)
        self.latent_ = e0.detach().numpy().copy()
        self.weights_ = [w.detach().numpy().copy() for w in weights]
        self.feature_weight_ = None if wf is None else wf.detach().numpy().copy()
        self.user_embeddings_, self.item_embeddings_ = e[:nu], e[nu:]
        return self


class LightGCN(_TorchModel):
    r"""LightGCN (He et al. 2020): propagation without weights or non-linearities, BPR loss.

    Only the layer-0 embeddings :math:`E^0` are learned; the final embedding is
    :math:`\frac{1}{K+1}\sum_{k=0}^{K}\hat R^k E^0` and
    :math:`\hat y_{ui} = e_u\cdot e_i`. Each mini-batch of positive pairs gets one
    uniformly drawn unobserved item per pair and minimises
    :math:`-\log\sigma(\hat y_{ui}-\hat y_{uj}) + \tfrac{\lambda}{2}
    (\|e^0_u\|^2+\|e^0_i\|^2+\|e^0_j\|^2)` averaged over the batch, with Adam.
    Propagation is a sparse CSR product (memory O(nnz + N·d)).

    Parameters
    ----------
    layers : int
        :math:`K` (the paper's default is 3).
    dim : int
        Embedding size (64 in the paper).
    lr : float
        Adam learning rate (paper: 1e-3).
    epochs : int
        Passes over the positive pairs.
    batch_size : int
        Positive pairs per step (paper: 2048).
    reg : float
        :math:`\lambda` (paper: 1e-4).
    init_scale : float
        Standard deviation of :math:`E^0` (paper: 0.1).
    dtype : {"float32", "float64"}
    seed : int

    Examples
    --------
    >>> from convop.recsys import Interactions
    >>> data = Interactions([0, 0, 1, 2], [0, 1, 1, 2], n_users=3, n_items=3)
    >>> m = LightGCN(layers=2, dim=4, epochs=3).fit(data)
    >>> m.recommend([0], k=1).shape
    (1, 1)
    """

    def __init__(
        self,
        layers: int = 3,
        dim: int = 64,
        *,
        lr: float = 1e-3,
        epochs: int = 50,
        batch_size: int = 2048,
        reg: float = 1e-4,
        init_scale: float = 0.1,
        dtype: str = "float32",
        seed: int = 0,
    ) -> None:
        self.layers = _pos_int(layers, "layers", 0)
        self.dim = _pos_int(dim, "dim")
        self.lr = _nonneg(lr, "lr", positive=True)
        self.epochs = _pos_int(epochs, "epochs")
        self.batch_size = _pos_int(batch_size, "batch_size")
        self.reg = _nonneg(reg, "reg")
        self.init_scale = _nonneg(init_scale, "init_scale", positive=True)
        if dtype not in DTYPES:
            raise invalid("dtype", dtype, DTYPES)
        self.dtype = dtype
        self.seed = seed

    def fit(self, data: Interactions, *, progress: Any = None) -> LightGCN:
        """Fit on the positive pairs of ``data``.

        ``loss_`` holds the mean BPR loss and ``epoch_seconds_`` the wall time of
        every epoch. ``progress`` is an optional callable ``progress(epoch, loss)``.
        """
        data = self._start(data)
        torch, td, gen = self._setup(data)
        rng = np.random.default_rng(self.seed)
        pos = data.positive
        if not pos.any():
            raise ConvopValueError(
                "data has no positive interaction (value > 0) to train LightGCN on"
            )
        pu, pi = data.users[pos], data.items[pos]
        nu, n = data.n_users, data.n_users + data.n_items
        # everything per fit is built once here: the int32 CSR R̂, its propagation
        # Function, the membership keys of the seen pairs
        adj = torch_adjacency(data.normalized_adjacency(), self.dtype)
        propagate = _propagation(adj, self.layers)
        e0 = (torch.randn(n, self.dim, generator=gen, dtype=td) * self.init_scale).requires_grad_()
        opt = _adam([e0], self.lr)
        seen = data.observed()
        keys = member_keys(seen)
        self.loss_: list[float] = []
        self.epoch_seconds_: list[float] = []
        for epoch in range(self.epochs):
            t0 = time.perf_counter()
            order = rng.permutation(pu.size)
            total, count = 0.0, 0
            for s in range(0, order.size, self.batch_size):
                b = order[s : s + self.batch_size]
                bu, bi = pu[b], pi[b]
                su, sj, kept = sample_negatives(bu, seen, data.n_items, 1, rng, keys=keys)
                bu, bi = bu[kept], bi[kept]
                m = bu.size
                # one gather for the user, positive and negative rows
                idx = torch.from_numpy(np.concatenate([bu, bi + nu, sj + nu]))
                x = propagate(e0)[idx]
                xu, xi, xj = x[:m], x[m : 2 * m], x[2 * m :]
                diff = (xu * (xi - xj)).sum(1)
                loss = torch.nn.functional.softplus(-diff).mean()
                if self.reg:
                    loss = loss + self.reg * 0.5 * e0[idx].pow(2).sum() / max(m, 1)
                opt.zero_grad()
                loss.backward()
                opt.step()
                total += float(loss.detach()) * m
                count += m
            self.loss_.append(total / max(count, 1))
            self.epoch_seconds_.append(time.perf_counter() - t0)
            if progress is not None:
                progress(epoch, self.loss_[-1])
        with torch.no_grad():
            e = propagate(e0).numpy()
        self.layer0_ = e0.detach().numpy().copy()
        self.user_embeddings_, self.item_embeddings_ = e[:nu].copy(), e[nu:].copy()
        return self
