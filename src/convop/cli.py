"""The ``convop`` command: a thin layer over library functions."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from convop._version import __version__


def _demo() -> int:
    """A short demonstration: an operator, its matrix structure and a dot test."""
    import numpy as np

    from convop import Convolution, dottest

    A = Convolution(np.array([1.0, -2.0, 1.0]), (8,), "same", boundary="periodic")
    print(A)
    print("matrix:\n", np.array2string(A.to_dense(), precision=0, suppress_small=True))
    print(f"dot test mismatch: {dottest(A, rng=0):.1e}")
    return 0


def _tour(argv: list[str]) -> int:
    try:
        from convop.experiments import _tour
    except ImportError:  # pragma: no cover - before the tour exists
        return _demo()
    return _tour.main(argv)


def _bench(argv: list[str]) -> int:
    from convop._tools import bench_cli as _bench_cli

    return _bench_cli.main(argv)


def _calibrate(argv: list[str]) -> int:
    from convop._tools import calibrate as _calibrate

    return _calibrate.main(argv)


def _show_config(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="convop show-config",
        description="Print versions, the options in effect, which cost constants "
        "method='auto' uses and where they come from, thread counts and cache sizes.",
    )
    parser.parse_args(argv)
    from convop._tools.show import show_config

    show_config()
    return 0


def _resample(argv: list[str]) -> int:
    from convop._tools import resampling_cli

    return resampling_cli.main(argv)


def _deconvolve(argv: list[str]) -> int:
    from convop._tools import deconvolve_cli

    return deconvolve_cli.main(argv)


def _graph(argv: list[str]) -> int:
    from convop._tools import graph_cli

    return graph_cli.main(argv)


def _recsys(argv: list[str]) -> int:
    from convop._tools import recsys_cli

    return recsys_cli.main(argv)


def _compress(argv: list[str]) -> int:
    from convop._tools import compress_cli

    return compress_cli.main(argv)


COMMANDS = {
    "tour": (_tour, "run every experiment of the source material and write an HTML report"),
    "bench": (_bench, "benchmark convop against scipy/numpy/torch on this machine"),
    "calibrate": (_calibrate, "measure this machine's cost constants for method='auto'"),
    "resample": (_resample, "resample a WAV/.npy/text file as MATLAB or Octave would"),
    "deconvolve": (_deconvolve, "deblur an image or array with the boundary model that fits"),
    "graph": (_graph, "filter a .npy signal on a graph (heat kernel, exact or Chebyshev)"),
    "recsys": (_recsys, "fit and compare the recommender models on interaction data"),
    "compress": (_compress, "low-rank compress the conv layers of a saved torch model"),
    "show-config": (_show_config, "print versions, options, cost constants in use, threads"),
    "demo": (lambda argv: _demo(), "print an operator, its matrix structure and a dot test"),
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``convop`` console script."""
    args = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(
        prog="convop",
        description="Convolution as an exact linear operator.",
        epilog="Run 'convop COMMAND --help' for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"convop {__version__}")
    parser.add_argument(
        "command",
        choices=sorted(COMMANDS),
        metavar="COMMAND",
        help="; ".join(f"{k}: {v[1]}" for k, v in COMMANDS.items()),
    )
    if not args:
        parser.print_help()
        return 0
    if args[0].startswith("-"):
        parser.parse_args(args)
    ns = parser.parse_args(args[:1])
    return int(COMMANDS[ns.command][0](args[1:]) or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
