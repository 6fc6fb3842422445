"""``convop compress MODEL.pt --method tucker2 --rank vbmf --input-shape 3,32,32 --out OUT.pt``:
compress the convolution layers of a model saved with ``torch.save`` and print the
per-layer report. With ``--data DIR`` (the extracted ``cifar-10-batches-py`` folder, never
downloaded) the original and the compressed model are also evaluated on the first
``--eval`` test images (scaled to [0, 1], channels first): top-1 accuracy of both and
how often their predictions agree."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from convop._core.config import options
from convop._core.errors import ConvopError

__all__ = ["main"]

METHODS = ("svd", "svd-slice", "cp", "tucker2")


def _rank(text: str) -> Any:
    if text == "vbmf":
        return "vbmf"
    if "," in text:
        return tuple(int(v) for v in text.split(","))
    value = float(text)
    return int(value) if value.is_integer() and value >= 1 else value


def _shape(text: str) -> tuple[int, ...]:
    try:
        shape = tuple(int(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--input-shape={text!r}: expected e.g. 3,32,32") from None
    if not shape or min(shape) < 1:
        raise argparse.ArgumentTypeError(f"--input-shape={text!r}: positive ints, e.g. 3,32,32")
    return shape


def _evaluate(model: Any, new: Any, x: Any, y: Any, batch: int = 256) -> str:
    """Top-1 accuracy of both models on uint8 images ``x`` and their agreement."""
    import numpy as np
    import torch

    preds = []
    for m in (model, new):
        m.eval()
        out = []
        with torch.no_grad():
            for i in range(0, len(x), batch):
                xb = torch.from_numpy(np.ascontiguousarray(x[i : i + batch], np.float32) / 255.0)
                out.append(m(xb).argmax(dim=1).numpy())
        preds.append(np.concatenate(out))
    acc = [float((p == y).mean()) for p in preds]
    agree = float((preds[0] == preds[1]).mean())
    return (
        f"CIFAR-10 test, {len(y)} images: top-1 original {acc[0]:.1%}, compressed "
        f"{acc[1]:.1%}; predictions agree on {agree:.1%}"
    )


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``convop compress``; 0 on success, 2 on bad input."""
    parser = argparse.ArgumentParser(prog="convop compress", description=__doc__)
    parser.add_argument("model", type=Path, help="a model saved with torch.save(model, path)")
    parser.add_argument("--method", choices=METHODS, default="tucker2")
    parser.add_argument(
        "--rank",
        type=_rank,
        default="vbmf",
        help="'vbmf', an int, R_in,R_out or an energy in (0, 1]",
    )
    parser.add_argument("--input-shape", type=_shape, default=None, help="C,H,W of one input")
    parser.add_argument("--budget", type=float, default=None, help="keep this parameter fraction")
    parser.add_argument("--out", type=Path, default=None, help="where to save the result")
    parser.add_argument(
        "--data", type=Path, default=None, help="CIFAR-10 python folder to evaluate on"
    )
    parser.add_argument(
        "--eval", type=int, default=1000, help="test images evaluated with --data (default 1000)"
    )
    args = parser.parse_args(list(argv or []))
    try:
        import torch

        from convop.compress import compress_model
    except ImportError as exc:
        print(f"convop compress: {exc} (pip install 'convop[compress]')", file=sys.stderr)
        return 2
    if args.eval < 1:
        print(f"convop compress: invalid --eval={args.eval}; expected >= 1", file=sys.stderr)
        return 2
    test = None
    if args.data is not None:
        from convop.compress import load_cifar10

        try:
            _, _, x_test, y_test = load_cifar10(args.data, train_batches=1)
        except ConvopError as exc:
            print(f"convop compress: --data: {exc}", file=sys.stderr)
            return 2
        test = (x_test[: args.eval], y_test[: args.eval])
        if args.input_shape is None:
            args.input_shape = (3, 32, 32)
    if not args.model.is_file():
        print(f"convop compress: no such file: {args.model}", file=sys.stderr)
        return 2
    try:
        model = torch.load(args.model, weights_only=False, map_location="cpu")
    except Exception as exc:  # a corrupt or foreign file: say so, do not trace back
        print(f"convop compress: cannot load {args.model}: {exc}", file=sys.stderr)
        return 2
    if not isinstance(model, torch.nn.Module):
        print(
            f"convop compress: {args.model} holds a {type(model).__name__}, not a saved "
            f"torch.nn.Module (save the model itself, not its state_dict)",
            file=sys.stderr,
        )
        return 2
    bar = None
    try:
        from tqdm import tqdm

        n = sum(isinstance(m, torch.nn.modules.conv._ConvNd) for m in model.modules())
        bar = tqdm(total=n, desc="layers", file=sys.stderr, delay=1.0)
    except ImportError:
        pass
    try:
        # this process sets no BLAS limits of its own, so the factorisations may run on
        # one BLAS thread (many times faster on a busy machine; convop.options docs)
        with options(blas_threads="single"):
            new, report = compress_model(
                model,
                args.method,
                args.rank,
                budget=args.budget,
                input_shape=args.input_shape,
                progress=(lambda name: bar.update()) if bar is not None else None,
            )
    except ConvopError as exc:
        print(f"convop compress: {exc}", file=sys.stderr)
        return 2
    finally:
        if bar is not None:
            bar.close()
    print(report)
    if test is not None:
        print(_evaluate(model, new, *test))
    if args.out is not None:
        torch.save(new, args.out)
        print(f"wrote {args.out}")
    return 0
