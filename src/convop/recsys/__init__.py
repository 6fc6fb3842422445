r"""Recommenders on one interaction graph: matrix/tensor factorisation with side
features, the one-layer GCN and LightGCN, gradient-boosted trees, popularity.

``convop.recsys`` owns the data (:class:`Interactions`: validated sparse
interactions, splits, the bipartite graph and its normalised adjacency), the
models (all with ``fit`` / ``predict`` / ``scores`` / ``recommend``), the
metrics (:func:`evaluate`) and a planted generator (:func:`synthetic`) whose
knobs are the regimes of the question *when does a graph beat tabular ML?*

* :class:`MF` — :math:`\hat y = p_u\cdot q_i + x_u^\top\beta_u + x_i^\top\beta_i`, the
  seed's update rules (vectorised, or literally one pair at a time);
* :class:`TensorCP` — users × items × time CP factorisation with side-information
  alignment, by alternating least squares;
* :class:`GCN` — :math:`E^1 = \hat R E W + \hat R X W_f` (torch);
* :class:`LightGCN` — He et al. 2020, BPR, sparse propagation (torch);
* :class:`Tabular` — scikit-learn's ``HistGradientBoostingClassifier`` on features;
* :class:`Popularity` — the baseline every model must beat.

Torch is needed only by :class:`GCN` and :class:`LightGCN` (imported when they fit).

Examples
--------
>>> from convop.recsys import MF, Interactions, evaluate, synthetic
>>> s = synthetic(120, 60, rank=2, density=0.15, feature_signal=0.0, seed=0)
>>> m = MF(rank=4, epochs=30, lr=0.05).fit(s.train)
>>> bool(evaluate(m, s.test)["auc"] > 0.6)
True
"""

from convop.recsys._base import Recommender
from convop.recsys._data import SPLITS, Interactions
from convop.recsys._graphs import (
    GCN,
    LightGCN,
    gcn_embeddings,
    lightgcn_embeddings,
    node_features,
    torch_adjacency,
)
from convop.recsys._metrics import evaluate
from convop.recsys._models import MF, Popularity, Tabular, TensorCP
from convop.recsys._synthetic import Synthetic, synthetic

__all__ = [
    "GCN",
    "MF",
    "SPLITS",
    "Interactions",
    "LightGCN",
    "Popularity",
    "Recommender",
    "Synthetic",
    "Tabular",
    "TensorCP",
    "evaluate",
    "gcn_embeddings",
    "lightgcn_embeddings",
    "node_features",
    "synthetic",
    "torch_adjacency",
]
