"""What an experiment hands back to the tour: figures, tables and checked claims.

A :class:`Claim` is a sentence together with the numbers that decide it; its
``passed`` flag is always computed from a measured value by one of the
constructors (:meth:`Claim.close`, :meth:`Claim.at_most`, ...), never typed in.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # matplotlib is only needed by experiments that draw
    from matplotlib.figure import Figure

__all__ = ["Claim", "Result"]


def _scalar(value: Any, what: str) -> float:
    """``value`` as a Python float; arrays are refused (compare them first)."""
    if np.ndim(value) != 0:
        raise TypeError(f"{what} must be a scalar, got an array of shape {np.shape(value)}")
    if isinstance(value, (complex, np.complexfloating)):
        raise TypeError(f"{what} must be real, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class Claim:
    """A checked statement: what was expected, what was measured, and the verdict.

    Build claims with the constructors, which compute ``passed`` from the numbers.

    Attributes
    ----------
    statement : str
        The sentence being checked, in plain words.
    expected : float or bool or str
        The reference value (or bound).
    measured : float or bool
        The value computed by the experiment.
    tolerance : str
        How ``measured`` is compared with ``expected``.
    passed : bool
        The verdict.
    detail : str
        Optional extra context (shown in the report).

    Examples
    --------
    >>> Claim.close("one third", 1 / 3, 0.3333333, atol=1e-6).passed
    True
    >>> Claim.at_most("tiny residual", 1e-12, 3e-10).passed
    False
    """

    statement: str
    expected: Any
    measured: Any
    tolerance: str
    passed: bool
    detail: str = ""
    #: a statement about this run's wall-clock times: reported with its verdict, but it
    #: does not fail the tour or a test (a loaded machine moves timings, not maths)
    timing: bool = False

    def as_timing(self) -> Claim:
        """The same claim, marked as a timing claim.

        Examples
        --------
        >>> c = Claim.at_least("speed-up", 2.0, 1.5).as_timing()
        >>> c.passed, c.timing, c.counts
        (False, True, False)
        """
        return replace(self, timing=True)

    @property
    def counts(self) -> bool:
        """Whether the verdict decides the run (every claim but timing ones)."""
        return not self.timing

    @classmethod
    def close(
        cls,
        statement: str,
        expected: float,
        measured: float,
        *,
        atol: float = 0.0,
        rtol: float = 1e-9,
        detail: str = "",
    ) -> Claim:
        """Pass when ``|measured - expected| <= atol + rtol * |expected|``.

        Examples
        --------
        >>> Claim.close("pi", 3.14159, 3.14159265, rtol=1e-5).passed
        True
        """
        e, m = _scalar(expected, "expected"), _scalar(measured, "measured")
        ok = math.isfinite(m) and abs(m - e) <= atol + rtol * abs(e)
        return cls(statement, e, m, f"|Δ| ≤ {atol:g} + {rtol:g}·|expected|", bool(ok), detail)

    @classmethod
    def equal(cls, statement: str, expected: Any, measured: Any, *, detail: str = "") -> Claim:
        """Pass when ``measured == expected`` exactly (integers, strings, exact floats).

        Examples
        --------
        >>> Claim.equal("count", 3, 3).passed
        True
        """
        e = expected.item() if isinstance(expected, np.generic) else expected
        m = measured.item() if isinstance(measured, np.generic) else measured
        return cls(statement, e, m, "exact", bool(e == m), detail)

    @classmethod
    def at_most(cls, statement: str, bound: float, measured: float, *, detail: str = "") -> Claim:
        """Pass when ``measured <= bound`` (NaN fails).

        Examples
        --------
        >>> Claim.at_most("error below 1e-8", 1e-8, 2e-15).passed
        True
        """
        b, m = _scalar(bound, "bound"), _scalar(measured, "measured")
        return cls(statement, b, m, "measured ≤ expected", bool(m <= b), detail)

    @classmethod
    def at_least(cls, statement: str, bound: float, measured: float, *, detail: str = "") -> Claim:
        """Pass when ``measured >= bound`` (NaN fails).

        Examples
        --------
        >>> Claim.at_least("speed-up", 1.0, 2.5).passed
        True
        """
        b, m = _scalar(bound, "bound"), _scalar(measured, "measured")
        return cls(statement, b, m, "measured ≥ expected", bool(m >= b), detail)

    @classmethod
    def true(cls, statement: str, measured: bool, detail: str = "") -> Claim:
        """Pass when the measured condition holds; ``detail`` says what was seen.

        Examples
        --------
        >>> Claim.true("sorted", bool((0 <= 1) and (1 <= 2)), "0 ≤ 1 ≤ 2").passed
        True
        """
        return cls(statement, True, bool(measured), "condition holds", bool(measured), detail)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary of the claim."""
        return {
            "statement": self.statement,
            "expected": _jsonable(self.expected),
            "measured": _jsonable(self.measured),
            "tolerance": self.tolerance,
            "passed": self.passed,
            "detail": self.detail,
            "timing": self.timing,
        }


@dataclass
class Result:
    """Everything one experiment produced.

    Attributes
    ----------
    name, title : str
        Registry name and human title of the experiment.
    figures : list of (caption, matplotlib Figure)
    tables : list of (caption, headers, rows)
    claims : list of Claim
    text : list of str
        Extra paragraphs shown after the summary.
    files : list of Path
        Artifacts written by the experiment (WAV, CSV, ...).
    seconds : float
        Wall time, filled in by the runner.
    summary : str
        The module's ``SUMMARY`` (filled in by the runner when empty).

    Examples
    --------
    >>> r = Result("demo", "A demo")
    >>> r.claims.append(Claim.equal("two", 2, 1 + 1))
    >>> r.passed
    True
    """

    name: str
    title: str
    figures: list[tuple[str, Figure]] = field(default_factory=list)
    tables: list[tuple[str, Sequence[str], Sequence[Sequence[Any]]]] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    seconds: float = 0.0
    summary: str = ""

    @property
    def passed(self) -> bool:
        """True when every claim passed (timing claims are reported, not counted)."""
        return all(c.passed for c in self.claims if c.counts)

    def table(self, caption: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """Append a table (rows are converted to plain Python values)."""
        self.tables.append((caption, list(headers), [[_jsonable(v) for v in r] for r in rows]))

    def figure(self, caption: str, fig: Figure) -> None:
        """Append a figure with its caption."""
        self.figures.append((caption, fig))


def _jsonable(value: Any) -> Any:
    """Plain Python version of numpy scalars / arrays / paths (for JSON and tables)."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value
