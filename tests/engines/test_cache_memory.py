"""Caches are bounded in bytes, not only in entries (issue 21.7): thousands of distinct
call shapes must not make the process hold index arrays per padded pixel."""

from __future__ import annotations

import gc
import tracemalloc

import numpy as np
import pytest

import convop

pytest.importorskip("torch")


def test_memory_held_after_many_distinct_shapes_is_bounded():
    k = np.ones((3, 3)) / 9
    shapes = [(a, b) for a in range(100, 115) for b in range(100, 120)]  # 300 shapes
    x = np.random.default_rng(0).random((115, 120))
    convop.convolve(x[:99, :99], k, "same", boundary="reflect")  # imports, first plans
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for a, b in shapes:
            y = convop.convolve(x[:a, :b], k, "same", boundary="reflect")
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert y.shape == (114, 119)
    # the flat gather index of each cached plan was ~100 KB here: 300 shapes held ~30 MB
    assert held < 12 * 2**20, f"{held / 2**20:.1f} MiB held by caches after 300 shapes"
