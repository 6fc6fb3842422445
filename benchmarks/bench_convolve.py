"""Sweep ``convop.convolve(method='auto')`` against numpy/scipy/torch.

The same library function as ``convop bench``::

    python benchmarks/bench_convolve.py [--quick] [--out DIR]

prints the table (case, best peer, its time, convop time, ratio), the geometric
means, and writes ``DIR/results.json`` and ``DIR/bench.png``.
"""

from __future__ import annotations

import sys

from convop._tools.bench_cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
