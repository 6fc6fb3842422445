"""Low-rank factorisation of convolution and linear layers, with certified error bounds.

``convop.compress`` owns the decompositions of a layer's kernel and the model surgery
built on them:

* :func:`decompose` — a ``torch.nn`` convolution (1-D to 3-D, any stride, padding,
  boundary, dilation, groups, bias) or ``Linear`` → an ``nn.Sequential`` of cheaper
  layers: spatially separable SVD (Jaderberg), slice-wise SVD, CP (Lebedev),
  Tucker-2 (Kim); exact at full rank.
* :func:`vbmf` — empirical variational Bayesian matrix factorisation (Nakajima et al.):
  rank and noise level of a matrix, numpy only; used for ``rank="vbmf"``.
* :func:`error_bound` — certified bracket on ``max ‖f(x) − g(x)‖/‖x‖`` between a layer
  and its compressed form, as convolution operators on an input shape
  (:func:`convop.spectral.opnorm`).
* :func:`compress_model` — replace a model's layers (fixed ranks, VBMF ranks, or a
  parameter budget) and report, per layer, parameters, multiply-adds, weight error,
  the certified output-error bracket and measured latency.
* :func:`load_cifar10` — the CIFAR-10 python batches from a local folder (no download).

The numerical core (``vbmf`` and the factorisations) needs only numpy and scipy; the
layer surgery needs torch (``pip install "convop[compress]"``).

Examples
--------
>>> import numpy as np
>>> from convop.compress import vbmf
>>> rng = np.random.default_rng(0)
>>> Y = rng.standard_normal((30, 2)) @ rng.standard_normal((2, 50))
>>> Y = Y + 0.1 * rng.standard_normal((30, 50))
>>> vbmf(Y).rank
2
"""

from __future__ import annotations

from convop.compress._api import DENSE_PROBE_LIMIT, decompose, error_bound
from convop.compress._cifar import load_cifar10
from convop.compress._model import CompressionReport, compress_model, count_macs, measure_latency
from convop.compress._vbmf import VBMFResult, evb_tau_threshold, vbmf

METHODS = ("svd", "svd-slice", "cp", "tucker2")

__all__ = [
    "CompressionReport",
    "DENSE_PROBE_LIMIT",
    "METHODS",
    "VBMFResult",
    "compress_model",
    "count_macs",
    "decompose",
    "error_bound",
    "evb_tau_threshold",
    "load_cifar10",
    "measure_latency",
    "vbmf",
]
