"""Chebyshev heat filtering against PyGSP; torus FFT vs eigh vs Chebyshev.

The same library function as ``convop bench --graph``::

    PYTHONPATH=src OMP_NUM_THREADS=1 python benchmarks/bench_graph.py [--quick] [--json PATH]
"""

from __future__ import annotations

import sys

from convop._tools import bench_graph

if __name__ == "__main__":
    raise SystemExit(bench_graph.main(sys.argv[1:]))
