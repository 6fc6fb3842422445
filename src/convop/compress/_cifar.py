"""CIFAR-10 from a local folder of the standard python-pickle batches (never downloaded)."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import numpy as np

from convop._core.errors import ConvopValueError

__all__ = ["CIFAR10_CLASSES", "load_cifar10"]

CIFAR10_CLASSES = (
    "airplane", "automobile", "bird", "cat", "deer",
    "dog", "frog", "horse", "ship", "truck",
)  # fmt: skip
_TRAIN = tuple(f"data_batch_{i}" for i in range(1, 6))
_TEST = "test_batch"


def _batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    try:
        with path.open("rb") as fh:
            d = pickle.load(fh, encoding="bytes")
    except (OSError, pickle.UnpicklingError, EOFError) as exc:
        raise ConvopValueError(f"cannot read the CIFAR-10 batch {path}: {exc}") from exc
    if not isinstance(d, dict):
        raise ConvopValueError(f"{path} is not a CIFAR-10 batch (not a dict)")
    data = d.get(b"data", d.get("data"))
    labels = d.get(b"labels", d.get("labels"))
    if data is None or labels is None:
        raise ConvopValueError(f"{path} is not a CIFAR-10 batch (no 'data'/'labels' keys)")
    x = np.asarray(data, dtype=np.uint8)
    y = np.asarray(labels, dtype=np.int64)
    if x.ndim != 2 or x.shape[1] != 3072 or x.shape[0] != y.shape[0]:
        raise ConvopValueError(
            f"{path}: expected data of shape (n, 3072) and n labels; got {x.shape} and {y.shape}"
        )
    return x.reshape(-1, 3, 32, 32), y


def load_cifar10(directory: Any, *, train_batches: int = 5) -> tuple[np.ndarray, ...]:
    """Load CIFAR-10 from ``directory`` (the extracted ``cifar-10-batches-py`` folder).

    Parameters
    ----------
    directory : str or Path
        Folder with ``data_batch_1`` … ``data_batch_5`` and ``test_batch`` (the folder
        itself or its parent holding ``cifar-10-batches-py``). Nothing is downloaded.
    train_batches : int
        How many of the five training batches to read (fewer for quick runs).

    Returns
    -------
    x_train, y_train, x_test, y_test : ndarray
        Images ``(n, 3, 32, 32)`` uint8 (channels first) and labels int64 in ``[0, 10)``.

    Raises
    ------
    ConvopValueError
        Missing folder or files, or files that are not CIFAR-10 batches.

    Examples
    --------
    >>> import pickle, tempfile, pathlib, numpy as np
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> for name in ["data_batch_1", "test_batch"]:
    ...     batch = {b"data": np.zeros((2, 3072), np.uint8), b"labels": [0, 1]}
    ...     _ = (d / name).write_bytes(pickle.dumps(batch))
    >>> xtr, ytr, xte, yte = load_cifar10(d, train_batches=1)
    >>> xtr.shape, yte.tolist()
    ((2, 3, 32, 32), [0, 1])
    """
    root = Path(directory)
    if (root / "cifar-10-batches-py").is_dir():
        root = root / "cifar-10-batches-py"
    if not root.is_dir():
        raise ConvopValueError(f"CIFAR-10 folder {str(directory)!r} does not exist")
    if (
        isinstance(train_batches, bool)
        or not isinstance(train_batches, int)
        or not (1 <= train_batches <= 5)
    ):
        raise ConvopValueError(f"invalid train_batches={train_batches!r}; expected 1 to 5")
    names = _TRAIN[:train_batches] + (_TEST,)
    missing = [n for n in names if not (root / n).is_file()]
    if missing:
        raise ConvopValueError(
            f"{root} is not a CIFAR-10 python folder: missing {missing} (expected "
            f"data_batch_1..5 and test_batch from cifar-10-python.tar.gz)"
        )
    parts = [_batch(root / n) for n in _TRAIN[:train_batches]]
    x_test, y_test = _batch(root / _TEST)
    x_train = np.concatenate([p[0] for p in parts])
    y_train = np.concatenate([p[1] for p in parts])
    return x_train, y_train, x_test, y_test
