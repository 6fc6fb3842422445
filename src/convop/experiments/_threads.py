"""Thread settings of the tour's own runs (an application, not the library).

The tour's models are tiny (100×100 matrices, 8×8 digit images, graphs of a few hundred
nodes): torch's intra-op threads cost more in start-up and synchronisation than the
arithmetic they share, and under load they collapse (the recommender sweep took 49 s on
two torch threads and 8 s on one, with another job on the machine). Sections that
train such models run them on one thread and restore the caller's count afterwards.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

__all__ = ["torch_single_thread"]


@contextlib.contextmanager
def torch_single_thread(torch: Any) -> Iterator[None]:
    """Run the block on one torch thread; the previous count is restored on exit.

    Examples
    --------
    >>> import torch
    >>> before = torch.get_num_threads()
    >>> with torch_single_thread(torch):
    ...     torch.get_num_threads()
    1
    >>> torch.get_num_threads() == before
    True
    """
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
