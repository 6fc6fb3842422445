"""The cost constants of ``method='auto'``: shipped defaults, or those ``convop
calibrate`` measured on this machine.

The calibration file is a small JSON document in the user cache directory
(``platformdirs.user_cache_dir("convop")/calibration.json``). Which constants are in
use follows the ``calibration`` option (:func:`convop.options`): ``'auto'`` the file
when it exists and is valid, else the defaults; ``'shipped'`` the defaults; a path,
that file. Loading never fails: a missing or corrupt file gives the defaults, and
:func:`source` says which was used.
"""

from __future__ import annotations

import copy
import json
import os
import threading
import time
from pathlib import Path
from typing import Any

from convop._core import caches
from convop._core.config import current

__all__ = ["DEFAULTS", "cache_path", "constants", "load", "save", "source"]

FILENAME = "calibration.json"
VERSION = 1

Constants = dict[str, dict[str, tuple[float, float]]]

#: (overhead s, slope s/unit) per method and precision ("f8": float64/complex,
#: "f4": float32/complex64): one calibration of the development machine, used until
#: ``convop calibrate`` fits this one; the 1-D block-Toeplitz terms were fitted against
#: the other methods timed in the same run, so that ``auto`` ranks them consistently
#: (CHANGELOG 2026-12-01); ``sad_big``/``fft_nd_big``: the memory-bound slopes of N-D
#: shift-and-add and multi-axis FFTs, measured at 2048² (CHANGELOG, issue 22)
DEFAULTS: dict[str, dict[str, tuple[float, float]]] = {
    "f8": {
        "np1d": (2.0e-06, 2.8e-10),
        "np1d_31": (0.0, 6.4e-10),
        "np1d_301": (0.0, 1.4e-10),
        "sa1d": (1.5e-06, 3.8e-10),
        "bt1d": (4.5e-05, 4.7e-11),
        "bt1d_out": (0.0, 2.6e-09),
        "btnd": (2.0e-05, 1.0e-10),
        "btnd_big": (0.0, 2.3e-10),
        "sad": (3.8e-06, 5.9e-10),
        "sad_big": (0.0, 1.2e-09),
        "gemm": (2e-05, 1.9e-09),
        "fft": (7.0e-05, 4.0e-10),
        "fft_big": (0.0, 1.0e-09),
        "fft_nd": (0.0, 3.0e-10),
        "fft_nd_big": (0.0, 3.0e-10),
        "oa": (9e-05, 6e-09),
        "layer_tap": (1e-05, 9.7e-11),
        "layer_gemm": (1e-05, 7.4e-11),
        "layer_fft": (3e-05, 8.8e-10),
        "layer_cmul": (0.0, 2.4e-09),
        "torch_layer": (2e-05, 2.0e-10),
    },
    "f4": {
        "np1d": (2.0e-06, 3.2e-10),
        "np1d_31": (0.0, 1.0e-09),
        "np1d_301": (0.0, 8.5e-11),
        "sa1d": (3.0e-06, 1.8e-10),
        "bt1d": (4.5e-05, 1.6e-11),
        "bt1d_out": (0.0, 1.8e-09),
        "btnd": (2.0e-05, 6.0e-11),
        "btnd_big": (0.0, 1.4e-10),
        "sad": (4.4e-06, 1.8e-10),
        "sad_big": (0.0, 4.5e-10),
        "gemm": (2e-05, 1.5e-09),
        "fft": (7.0e-05, 3.5e-10),
        "fft_big": (0.0, 4.1e-10),
        "fft_nd": (0.0, 1.5e-10),
        "fft_nd_big": (0.0, 2.3e-10),
        "oa": (9e-05, 3.3e-09),
        "layer_tap": (1e-05, 5e-11),
        "layer_gemm": (1e-05, 4.6e-11),
        "layer_fft": (3e-05, 6.6e-10),
        "layer_cmul": (0.0, 1.8e-09),
        "torch_layer": (2e-05, 2.5e-11),
    },
}


def cache_path() -> Path | None:
    """Path of the calibration file, or None without platformdirs."""
    try:
        import platformdirs
    except ImportError:
        return None
    return Path(platformdirs.user_cache_dir("convop")) / FILENAME


def _read(path: Path) -> tuple[Constants, dict[str, Any]] | None:
    """The constants of a calibration file merged over the defaults, and its header."""
    data = json.loads(path.read_text())
    if data.get("version") != VERSION:
        return None
    out = copy.deepcopy(DEFAULTS)
    for prec, table in data["constants"].items():
        for name, (o, s) in table.items():
            if prec in out and name in out[prec] and o >= 0 and s >= 0:
                out[prec][name] = (float(o), float(s))
    header = {k: v for k, v in data.items() if k != "constants"}
    return out, header


def load(path: Path | None = None) -> Constants:
    """Calibrated constants merged over the defaults (the defaults on any problem)."""
    return _load(path)[0]


def _load(path: Path | None) -> tuple[Constants, str]:
    path = cache_path() if path is None else path
    if path is None:
        return copy.deepcopy(DEFAULTS), "shipped (platformdirs is not installed)"
    if not path.is_file():
        return copy.deepcopy(DEFAULTS), f"shipped (no calibration file at {path})"
    try:
        got = _read(path)
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
        return copy.deepcopy(DEFAULTS), f"shipped ({path} is unreadable: {exc})"
    if got is None:
        return copy.deepcopy(DEFAULTS), f"shipped ({path} has another format version)"
    consts, header = got
    return consts, f"calibrated: {path} (created {header.get('created', '?')})"


def save(consts: Constants, path: Path | None = None, **header: Any) -> Path:
    """Write ``consts`` as JSON (creating the directory; ``header`` entries are stored
    beside them); returns the path."""
    path = cache_path() if path is None else path
    if path is None:
        raise RuntimeError("convop calibrate needs platformdirs: pip install platformdirs")
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "version": VERSION,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
        **header,
        "constants": {p: {k: list(v) for k, v in t.items()} for p, t in consts.items()},
    }
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(payload, indent=1))
    os.replace(tmp, path)
    changed()
    return path


_cache: dict[tuple[str, float], tuple[Constants, str]] = {}
_lock = threading.Lock()


def _resolve() -> tuple[Constants, str]:
    choice = current().calibration
    if choice == "shipped":
        return DEFAULTS, "shipped (calibration='shipped')"
    path = cache_path() if choice == "auto" else Path(choice)
    try:
        stamp = path.stat().st_mtime if path is not None else -1.0
    except OSError:
        stamp = -1.0
    key = (str(path), stamp)
    got = _cache.get(key)
    if got is None:
        got = _load(path)
        with _lock:
            if len(_cache) > 8:
                _cache.clear()
            _cache[key] = got
    return got


def constants() -> Constants:
    """The cost constants in use (see the module docstring)."""
    choice = current().calibration
    if choice == "shipped":
        return DEFAULTS
    return _resolve()[0]


def source() -> str:
    """Where the constants in use come from (for ``convop show-config``)."""
    return _resolve()[1]


def changed() -> None:
    """The calibration file changed: reload it and forget every plan made with the old
    constants."""
    with _lock:
        _cache.clear()
    caches.clear(constants_only=True)
