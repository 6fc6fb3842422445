"""PyTorch front end: autograd convolution with an FFT path, drop-in conv layers.

Importing :mod:`convop` never imports torch; importing :mod:`convop.torch` does.

* :func:`conv` — N-D ``F.conv*d`` semantics plus every convop boundary, computed
  natively or by FFT (with an analytic FFT backward), ``method='auto'`` by a cost
  model.
* :class:`Conv1d`, :class:`Conv2d`, :class:`Conv3d` — subclasses of the
  ``torch.nn`` layers (same constructor, same ``state_dict``) choosing native or
  FFT per input shape; :func:`accelerate` swaps them into a model in place.

Examples
--------
>>> import torch, convop.torch as ct
>>> layer = ct.Conv2d(3, 8, 15, padding="same")
>>> layer(torch.randn(2, 3, 32, 32)).shape
torch.Size([2, 8, 32, 32])
"""

from __future__ import annotations

try:
    import torch as _torch  # noqa: F401  (the real PyTorch: absolute import)
except ImportError as exc:  # pragma: no cover - exercised without torch only
    raise ImportError(
        "convop.torch needs PyTorch, which is not installed; install it with "
        '`pip install "convop[torch]"` (or see https://pytorch.org).'
    ) from exc

from convop.torch._functional import METHODS, conv
from convop.torch.layers import Conv1d, Conv2d, Conv3d, accelerate

__all__ = ["METHODS", "Conv1d", "Conv2d", "Conv3d", "accelerate", "conv"]
