"""``convop deconvolve IN PSF OUT``: deblur an image (or any N-D array) with the right boundary.

Examples::

    convop deconvolve blurred.png gaussian:2 sharp.png              # GCV λ, DCT solve
    convop deconvolve y.npy psf.npy x.npy --boundary reflect --method cg --tol 1e-6
    convop deconvolve photo.png motion:11 out.png --reg 1e-3
    convop deconvolve counts.npy psf.npy x.npy --method richardson-lucy --maxiter 100

The PSF is a ``.npy`` array, an image file (normalised to unit sum), ``gaussian:SIGMA``
or ``gaussian:SIGMA,RADIUS`` (radius default ``ceil(3 σ)``), or ``motion:LENGTH`` (a
diagonal line of ``LENGTH`` pixels). ``.npy`` input is deblurred as it is (float
output); images (``.png``, ``.tif``, ``.jpg`` …, read with scikit-image) are scaled to
[0, 1], colour images channel by channel, and written back in the input's integer
format, clipped. Exit status 0 on success, 2 on bad input.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np

from convop._core.errors import ConvopError
from convop.deconvolution import METHODS, deconvolve

__all__ = ["main", "psf_from_spec"]

BOUNDARIES = ("symmetric", "reflect", "periodic", "zero", "replicate")
IMAGE_SUFFIXES = {".png", ".tif", ".tiff", ".jpg", ".jpeg", ".bmp", ".gif"}


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="convop deconvolve",
        description="Deblur y = psf * x + noise with the boundary model that matches the data "
        "(Tikhonov with λ by GCV, one-pass FFT/DCT where the structure allows, preconditioned "
        "CG/LSQR otherwise, or Richardson–Lucy for Poisson data).",
    )
    ap.add_argument("input", type=Path, help="blurred data: .npy or an image file")
    ap.add_argument(
        "psf",
        help="point-spread function: .npy, an image file, gaussian:SIGMA[,RADIUS] or motion:LENGTH",
    )
    ap.add_argument("output", type=Path, help="output file: .npy or an image file")
    ap.add_argument("--boundary", default="symmetric", help=f"one of {', '.join(BOUNDARIES)}")
    ap.add_argument("--method", default="auto", help=f"one of {', '.join(METHODS)}")
    ap.add_argument(
        "--reg", default="gcv", help="λ as a number, or 'gcv' (default) or 'discrepancy'"
    )
    ap.add_argument("--noise", type=float, help="noise standard deviation (for --reg discrepancy)")
    ap.add_argument("--tol", type=float, default=1e-6, help="iterative tolerance (default 1e-6)")
    ap.add_argument("--maxiter", type=int, help="iteration limit of the iterative methods")
    ap.add_argument("--positive", action="store_true", help="constrain the estimate to x >= 0")
    ap.add_argument("--quiet", action="store_true", help="no progress bar and no summary")
    return ap


def psf_from_spec(spec: str, ndim: int = 2) -> np.ndarray:
    """The PSF named by a command-line ``spec`` (a file or ``gaussian:…`` / ``motion:…``).

    Examples
    --------
    >>> psf_from_spec("gaussian:1,2").shape
    (5, 5)
    >>> float(psf_from_spec("motion:3").sum())
    1.0
    """
    kind, _, rest = spec.partition(":")
    if kind == "gaussian" and rest:
        parts = rest.split(",")
        try:
            sigma = float(parts[0])
            radius = int(parts[1]) if len(parts) > 1 else math.ceil(3 * sigma)
        except (ValueError, IndexError):
            raise ValueError(
                f"invalid psf={spec!r}; expected gaussian:SIGMA or gaussian:SIGMA,RADIUS"
            ) from None
        if len(parts) > 2 or not (math.isfinite(sigma) and sigma > 0) or radius < 0:
            raise ValueError(
                f"invalid psf={spec!r}; expected gaussian:SIGMA[,RADIUS] with SIGMA > 0 and "
                "an integer RADIUS >= 0"
            )
        t = np.arange(-radius, radius + 1, dtype=float)
        g = np.exp(-0.5 * (t / sigma) ** 2)
        out = g
        for _ in range(ndim - 1):
            out = np.multiply.outer(out, g)
        return out / out.sum()
    if kind == "motion" and rest:
        try:
            length = int(rest)
        except ValueError:
            length = 0
        if length < 1 or ndim != 2:
            raise ValueError(
                f"invalid psf={spec!r}; expected motion:LENGTH with an integer LENGTH >= 1 "
                "(2-D data only)"
            )
        return np.eye(length) / length
    path = Path(spec)
    if not path.is_file():
        raise ValueError(
            f"invalid psf={spec!r}: no such file, and not gaussian:SIGMA[,RADIUS] or motion:LENGTH"
        )
    arr = _read(path)[0].astype(float)
    if arr.ndim == 3 and path.suffix.lower() in IMAGE_SUFFIXES:
        arr = arr[..., :3].mean(axis=-1)
    total = arr.sum()
    if not (np.isfinite(total) and total > 0):
        raise ValueError(f"invalid psf={spec!r}: its values must be finite with a positive sum")
    return arr / total if path.suffix.lower() in IMAGE_SUFFIXES else arr


def _read(path: Path) -> tuple[np.ndarray, str]:
    suffix = path.suffix.lower()
    if suffix == ".npy":
        return np.load(path, allow_pickle=False), "npy"
    if suffix in IMAGE_SUFFIXES:
        try:
            from skimage import io
        except ImportError:  # pragma: no cover - scikit-image is in convop[deconvolve]
            raise ValueError(
                f"reading {str(path)!r} needs scikit-image: pip install 'convop[deconvolve]'"
            ) from None
        return np.asarray(io.imread(path)), "image"
    raise ValueError(
        f"unsupported file {str(path)!r}; expected .npy or an image "
        f"({', '.join(sorted(IMAGE_SUFFIXES))})"
    )


def _progress(total: int, quiet: bool) -> Any:
    if quiet:
        return None
    try:
        from tqdm import tqdm
    except ImportError:  # progress is a nicety
        return None
    return tqdm(total=total, unit="it", desc="deconvolving", file=sys.stderr, leave=False)


def main(argv: list[str]) -> int:
    """Run ``convop deconvolve``; returns the exit status (0 ok, 2 bad input)."""
    ap = _parser()
    try:
        args = ap.parse_args(argv)
    except SystemExit as exc:  # --help (0) or a usage error (2), already printed
        return int(exc.code or 0)
    try:
        if not args.input.is_file():
            raise ValueError(f"input file {str(args.input)!r} does not exist")
        out_suffix = args.output.suffix.lower()
        if out_suffix != ".npy" and out_suffix not in IMAGE_SUFFIXES:
            raise ValueError(
                f"output {str(args.output)!r} must be .npy or an image "
                f"({', '.join(sorted(IMAGE_SUFFIXES))})"
            )
        data, kind = _read(args.input)
        if data.dtype.kind not in "biuf":
            raise ValueError(f"input {str(args.input)!r} has dtype {data.dtype}; expected real")
        y = data.astype(float)
        if kind == "image" and data.dtype.kind in "iu":  # images come back in [0, 1]
            y = y / float(np.iinfo(data.dtype).max)
        colour = kind == "image" and y.ndim == 3 and y.shape[-1] in (3, 4)
        if colour:
            y = y[..., :3]
        reg: Any = args.reg
        if reg not in ("gcv", "discrepancy"):
            try:
                reg = float(reg)
            except ValueError:
                raise ValueError(
                    f"invalid --reg={args.reg!r}; expected a number >= 0, 'gcv' or 'discrepancy'"
                ) from None
        psf = psf_from_spec(args.psf, y.ndim - 1 if colour else y.ndim)
        kw: dict[str, Any] = {
            "boundary": args.boundary,
            "method": args.method,
            "reg": reg,
            "tol": args.tol,
            "maxiter": args.maxiter,
            "positive": args.positive,
            "noise": args.noise,
        }
        iterative = args.method not in ("auto", "fft", "dct")
        planes = [y[..., c] for c in range(3)] if colour else [y]
        cap = args.maxiter or (50 if args.method in ("richardson-lucy", "rl") else 500)
        bar = _progress(cap * len(planes), args.quiet or not iterative)
        results = []
        for plane in planes:
            done = [0]

            def tick(_x: np.ndarray, done: list[int] = done) -> None:
                done[0] += 1
                if bar is not None:
                    bar.update(1)

            results.append(deconvolve(plane, psf, callback=tick, **kw))
        if bar is not None:
            bar.close()
        x = np.stack([r.x for r in results], axis=-1) if colour else results[0].x
        if out_suffix == ".npy":
            np.save(args.output, x)
        else:
            from skimage import io

            like = data.dtype if data.dtype.kind in "iu" else np.dtype(np.uint8)
            top = float(np.iinfo(like).max)
            img = np.clip(np.rint(np.clip(x, 0.0, 1.0) * top), 0, top).astype(like)
            io.imsave(args.output, img, check_contrast=False)
    except (ConvopError, ValueError, OSError) as exc:
        print(f"convop deconvolve: error: {exc}", file=sys.stderr)
        return 2
    if not args.quiet:
        r = results[0]
        lam = "—" if r.lam is None else f"{r.lam:.3g}"
        state = "" if r.converged else " (not converged: raise --maxiter or --tol)"
        print(
            f"deconvolved {args.input} with {r.method} ({r.boundary}), λ = {lam}, "
            f"{r.iterations} iteration(s){state} -> {args.output}"
        )
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main(sys.argv[1:]))
