"""Run-time options: one immutable :class:`Options` per context, set with
:func:`convop.options`.

Every switch that used to be a module attribute lives here. The current options are a
:mod:`contextvars` variable, so ``with convop.options(...)`` affects only the thread
(or asyncio task) that entered it, and convop's own worker threads run their tasks in
the context of the call that submitted them. Caches that depend on an option key
their entries by it, so changing an option never serves a stale plan.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from convop._core.errors import ConvopTypeError, invalid

__all__ = ["Options", "current", "options"]

#: ``calibration=`` values besides a path to a calibration file
CALIBRATIONS = ("auto", "shipped")
DIRECT_ENGINES = ("auto", "torch")
TORCH_COSTS = ("package", "local")
BLAS_THREADS = ("leave", "single")


@dataclass(frozen=True)
class Options:
    """The options in effect (see :func:`options` for their meaning)."""

    torch: bool = True
    workers: int | None = None
    calibration: str = "auto"
    dense_limit: int = 2**22
    direct_engine: str = "auto"
    torch_cost: str = "package"
    blas_threads: str = "leave"

    def fft_workers(self) -> int:
        """``workers=`` for scipy.fft: the option, or -1 (every core)."""
        return -1 if self.workers is None else self.workers


_CURRENT: contextvars.ContextVar[Options] = contextvars.ContextVar(
    "convop_options",
    default=Options(),  # noqa: B039 - a frozen dataclass: immutable
)


def current() -> Options:
    """The options in effect in this context."""
    return _CURRENT.get()


def _check(name: str, value: Any) -> Any:
    if name == "torch":
        if not isinstance(value, bool):
            raise invalid("torch", value, "True (use torch once the caller imported it) or False")
    elif name == "workers":
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or (value < 1 and value != -1)
        ):
            raise invalid("workers", value, "None, -1 (every core) or a positive int")
    elif name == "calibration":
        if isinstance(value, Path):
            value = str(value)
        if not isinstance(value, str):
            raise invalid("calibration", value, f"one of {CALIBRATIONS!r} or a path")
    elif name == "dense_limit":
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise invalid("dense_limit", value, "a positive int (matrix entries)")
    elif name == "direct_engine":
        if value not in DIRECT_ENGINES:
            raise invalid("direct_engine", value, DIRECT_ENGINES)
    elif name == "torch_cost":
        if value not in TORCH_COSTS:
            raise invalid("torch_cost", value, TORCH_COSTS)
    elif name == "blas_threads" and value not in BLAS_THREADS:
        raise invalid("blas_threads", value, BLAS_THREADS)
    return value


_NAMES = tuple(f.name for f in fields(Options))


@contextmanager
def options(**changes: Any) -> Iterator[Options]:
    """Change convop's options inside a ``with`` block (this thread or task only).

    Parameters
    ----------
    torch : bool
        ``True`` (default): backends may use torch's native convolution and FFT once
        the caller has imported torch (convop never imports it); ``False``: NumPy and
        SciPy only.
    workers : int or None
        Threads for large FFTs and convop's worker pool; ``None`` (default) or ``-1``:
        every core.
    calibration : {'auto', 'shipped'} or path
        Cost constants of ``method='auto'``: ``'auto'`` (default) the file written by
        ``convop calibrate`` when it exists, else the shipped ones; ``'shipped'``
        always the shipped ones; a path: that calibration file.
    dense_limit : int
        Largest dense matrix (entries) :mod:`convop.spectral` forms (default 2**22).
    direct_engine : {'auto', 'torch'}
        ``'torch'`` runs every single-kernel ``direct`` convolution on torch's native
        conv when torch is imported (to test that engine); ``'auto'`` only where the
        cost model prefers it.
    torch_cost : {'package', 'local'}
        Which model ``convop.torch`` layers ask for native vs FFT: the calibrated
        package model (default) or the torch-only local one.
    blas_threads : {'leave', 'single'}
        ``'leave'`` (default): convop never changes the thread count of numpy's BLAS,
        which is process-wide (OpenBLAS has no per-thread count), so a limit the
        caller sets, e.g. with ``threadpoolctl``, holds in every thread; products
        that would stall on a busy core run in pieces small enough for one thread
        instead. ``'single'``: sections that are faster on one BLAS thread (stacks of
        small SVDs in :mod:`convop.spectral`, mid-size block-Toeplitz products) set
        numpy's BLAS to one thread while they run and restore it afterwards; only
        for programs that do not set BLAS limits themselves while convop runs.

    Yields
    ------
    Options
        The options in effect inside the block.

    Raises
    ------
    TypeError
        An unknown option name.
    ValueError
        A value outside the accepted ones.

    Examples
    --------
    >>> import convop
    >>> with convop.options(torch=False, workers=1) as opts:
    ...     print(opts.torch, opts.workers)
    False 1
    >>> convop.options  # doctest: +ELLIPSIS
    <function options at ...>
    """
    unknown = sorted(set(changes) - set(_NAMES))
    if unknown:
        raise ConvopTypeError(
            f"convop.options got an unknown option {unknown[0]!r}; expected some of "
            + ", ".join(repr(n) for n in _NAMES)
        )
    checked = {k: _check(k, v) for k, v in changes.items()}
    token = _CURRENT.set(replace(current(), **checked))
    try:
        yield _CURRENT.get()
    finally:
        _CURRENT.reset(token)
