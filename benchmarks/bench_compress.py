"""A 256→256 3×3 conv (32×32 inputs, batch 32, float32) against every factorisation:
latency (original and compressed timed in alternation), speed-up with its spread,
certified output-error bracket, and the issue's 2× targets (tucker2 (64, 64), cp 64).

The same library function as ``convop bench --compress``::

    PYTHONPATH=src python benchmarks/bench_compress.py [--quick] [--out DIR]

Exit status 1 when a speed target is missed.
"""

from __future__ import annotations

import sys

from convop._tools import bench_compress

if __name__ == "__main__":
    raise SystemExit(bench_compress.main(sys.argv[1:]))
