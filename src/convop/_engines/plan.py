"""The engines' input contract: a resolved :class:`Plan` for one call shape."""

from __future__ import annotations

from dataclasses import dataclass

from convop._core.errors import invalid

__all__ = ["ENGINE_METHODS", "Plan", "as_plan"]

#: methods an engine runs (``auto`` is resolved by planning before an engine is called)
ENGINE_METHODS = ("direct", "gemm", "fft", "overlap-add")


@dataclass(frozen=True)
class Plan:
    """How the engines compute one convolution.

    Attributes
    ----------
    method : {'direct', 'gemm', 'fft', 'overlap-add'}
        The algorithm.
    shift_add : bool
        1-D ``direct``: one pass per tap instead of :func:`numpy.convolve`'s loop.
    torch : bool
        ``direct``: torch's native single-kernel convolution on the NumPy data
        (:mod:`convop._engines.torch_direct`) where the arrays allow it.

    Examples
    --------
    >>> Plan("fft")
    Plan(method='fft', shift_add=False, torch=False)
    """

    method: str
    shift_add: bool = False
    torch: bool = False

    def __post_init__(self) -> None:
        if self.method not in ENGINE_METHODS:
            raise invalid("method", self.method, ENGINE_METHODS)


def as_plan(plan: Plan | str) -> Plan:
    """``plan`` itself, or the plain :class:`Plan` of a method name."""
    return plan if isinstance(plan, Plan) else Plan(plan)
