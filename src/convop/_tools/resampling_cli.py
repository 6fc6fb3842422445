"""``convop resample IN OUT``: resample a WAV, .npy or text file as MATLAB / Octave would.

Examples::

    convop resample song.wav song48k.wav --rate 48000           # 44.1 kHz -> 48 kHz
    convop resample x.npy y.npy --p 3 --q 2 --axis 0 --design octave
    convop resample x.txt y.txt --ratio 1.0884 --n 20 --beta 8

WAV files keep their sample format (integer PCM is rounded and clipped back to
its range) and are resampled along time, every channel alike; ``.npy`` keeps the
array's dtype rules of :func:`convop.resample`; text files are read and written
with :func:`numpy.loadtxt` / :func:`numpy.savetxt`.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np

from convop._core.errors import ConvopError
from convop.resampling import DESIGNS, rat, resample

__all__ = ["main"]

#: work (output samples) above which a progress bar is shown
PROGRESS_SAMPLES = 5_000_000


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="convop resample",
        description="Resample a signal file by p/q with MATLAB's (default) or GNU Octave's "
        "resample algorithm.",
    )
    ap.add_argument("input", type=Path, help="input file: .wav, .npy, or text (.txt/.csv/.dat)")
    ap.add_argument("output", type=Path, help="output file (same kind as the input)")
    how = ap.add_argument_group("factor (give exactly one of --p/--q, --ratio, --rate)")
    how.add_argument("--p", type=int, help="upsampling factor p")
    how.add_argument("--q", type=int, help="downsampling factor q")
    how.add_argument("--ratio", type=float, help="new rate / old rate; p/q found by MATLAB's rat")
    how.add_argument("--rate", type=float, help="WAV only: the new sample rate in Hz")
    how.add_argument("--tol", type=float, help="tolerance of rat for --ratio / --rate")
    ap.add_argument("--design", choices=DESIGNS, default="matlab", help="filter design")
    ap.add_argument("--n", type=int, default=10, help="MATLAB's n (filter half-length / max(p,q))")
    ap.add_argument("--beta", type=float, default=5.0, help="MATLAB's Kaiser beta")
    ap.add_argument("--axis", type=int, default=None, help="axis of a .npy/text array (default -1)")
    ap.add_argument("--quiet", action="store_true", help="no progress bar")
    return ap


def _read(path: Path) -> tuple[str, np.ndarray, int | None]:
    suffix = path.suffix.lower()
    if suffix == ".wav":
        from scipy.io import wavfile

        rate, data = wavfile.read(path)
        return "wav", data, int(rate)
    if suffix == ".npy":
        return "npy", np.load(path, allow_pickle=False), None
    return "txt", np.loadtxt(path, ndmin=1), None


def _write(kind: str, path: Path, y: np.ndarray, like: np.ndarray, rate: int | None) -> None:
    if kind == "wav":
        from scipy.io import wavfile

        if like.dtype.kind in "iu":
            info = np.iinfo(like.dtype)
            y = np.clip(np.rint(y), info.min, info.max).astype(like.dtype)
        else:
            y = y.astype(like.dtype, copy=False)
        assert rate is not None
        wavfile.write(path, rate, y)
    elif kind == "npy":
        np.save(path, y)
    else:
        np.savetxt(path, y)


def _factor(args: argparse.Namespace, rate: int | None) -> tuple[int, int]:
    given = [
        args.p is not None or args.q is not None,
        args.ratio is not None,
        args.rate is not None,
    ]
    if sum(given) != 1:
        raise ValueError("give exactly one of --p/--q, --ratio or --rate")
    if given[0]:
        if args.p is None or args.q is None:
            raise ValueError("--p and --q go together")
        return args.p, args.q
    if args.rate is not None:
        if rate is None:
            raise ValueError("--rate needs a .wav input (other files have no sample rate)")
        if not (math.isfinite(args.rate) and args.rate > 0):
            raise ValueError(f"invalid --rate={args.rate}; expected a positive number of Hz")
        if float(args.rate).is_integer():
            g = math.gcd(int(args.rate), rate)
            return int(args.rate) // g, rate // g
        ratio = args.rate / rate
    else:
        ratio = args.ratio
    if not (math.isfinite(ratio) and ratio > 0):
        raise ValueError(f"invalid --ratio={ratio}; expected a positive number")
    if args.tol is not None and not args.tol > 0:
        raise ValueError(f"invalid --tol={args.tol}; expected a positive number")
    return rat(ratio, args.tol)


def _progress(work: int, chans: int, quiet: bool) -> Any:
    """A tqdm bar over channels for big jobs (None when small, quiet or tqdm is absent)."""
    if quiet or chans < 2 or work < PROGRESS_SAMPLES:
        return None
    try:
        from tqdm import tqdm
    except ImportError:  # progress is a nicety; tqdm is not a dependency
        return None
    return tqdm(total=chans, unit="channel", desc="resampling", file=sys.stderr)


def main(argv: list[str]) -> int:
    """Run ``convop resample``; returns the exit status (0 ok, 2 bad input)."""
    ap = _parser()
    try:
        args = ap.parse_args(argv)
    except SystemExit as exc:  # --help (0) or a usage error (2), already printed
        return int(exc.code or 0)
    try:
        if not args.input.is_file():
            raise ValueError(f"input file {str(args.input)!r} does not exist")
        kind, data, rate = _read(args.input)
        if kind != "txt" and args.output.suffix.lower() not in {"." + kind}:
            raise ValueError(f"output {str(args.output)!r} must be a .{kind} file like the input")
        p, q = _factor(args, rate)
        if kind == "wav":
            axis = 0
            if args.axis not in (None, 0):
                raise ValueError("--axis is not used for WAV files (time is axis 0)")
        else:
            axis = -1 if args.axis is None else args.axis
        kw = {"n": args.n, "beta": args.beta, "design": args.design}
        chans = data.shape[1] if (kind == "wav" and data.ndim == 2) else 1
        bar = _progress(data.size * max(p, 1) // max(q, 1), chans, args.quiet)
        if bar is not None:
            cols = []
            for c in range(chans):
                cols.append(resample(data[:, c], p, q, **kw))
                bar.update(1)
                bar.close()
            y = np.stack(cols, axis=1)
        else:
            y = resample(data, p, q, axis=axis, **kw)
        new_rate = None if rate is None else rate * p // q if (rate * p) % q == 0 else None
        if kind == "wav" and new_rate is None:
            assert rate is not None
            new_rate = round(rate * p / q)
        _write(kind, args.output, y, data, new_rate)
    except (ConvopError, ValueError, OSError) as exc:
        print(f"convop resample: error: {exc}", file=sys.stderr)
        return 2
    what = f" at {new_rate} Hz" if new_rate else ""
    print(f"resampled {args.input} by {p}/{q} ({args.design}) -> {args.output}{what}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main(sys.argv[1:]))
