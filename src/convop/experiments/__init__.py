"""Experiments of the convop tour: each one reproduces and checks a seed's claims.

Every experiment is a module of this package exposing

- ``TITLE`` : str, the section title;
- ``SUMMARY`` : str, a paragraph saying what the section shows;
- ``run(*, quick=False, seed=0, out_dir=None) -> Result``.

:data:`EXPERIMENTS` is the tour order. ``convop tour`` (see
:func:`convop.experiments._tour.main`) runs them and writes an HTML report.

Examples
--------
>>> from convop.experiments import EXPERIMENTS
>>> EXPERIMENTS[0]
'convolution_theorem'
"""

from __future__ import annotations

import importlib
from types import ModuleType

from convop.experiments._result import Claim, Result

__all__ = ["EXPERIMENTS", "Claim", "Result", "load"]

#: registry of experiment modules, in the order the tour presents them
EXPERIMENTS: list[str] = [
    "convolution_theorem",
    "toeplitz_audio",
    "parametric_models",
    "shift_equivariance",
    "lowrank_by_hand",
    "linear_regression",
    "graph_ring_torus",
    "graph_heat_gcn",
    "graph_label_propagation",
    "resample",
    "deconvolution",
    "dask_out_of_core",
    "recsys",
    "compression",
]


def load(name: str) -> ModuleType | None:
    """Import experiment ``name``; ``None`` when its module does not exist (yet).

    Only a missing module *of that name* is tolerated: an experiment that exists
    but fails to import (a missing dependency, a syntax error) raises.

    Examples
    --------
    >>> load("lowrank_by_hand").TITLE[:8]
    'Low-rank'
    >>> load("no_such_experiment") is None
    True
    """
    full = f"{__name__}.{name}"
    try:
        return importlib.import_module(full)
    except ModuleNotFoundError as exc:
        if exc.name == full:
            return None
        raise
