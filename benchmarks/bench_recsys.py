"""Standalone: ``python benchmarks/bench_recsys.py [--quick]``."""

import sys

from convop._tools.bench_recsys import run, table

if __name__ == "__main__":
    print(table(run(quick="--quick" in sys.argv)))
