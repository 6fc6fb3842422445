"""Assemble tour results into a self-contained HTML page and a JSON record.

Figures are embedded as base64 PNG, so ``index.html`` can be mailed or opened
offline. Every piece of text goes through :func:`html.escape`.
"""

from __future__ import annotations

import base64
import html
import io
import json
import os
import platform
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
from matplotlib.figure import Figure

from convop.experiments._result import Claim, Result, _jsonable

__all__ = ["Skipped", "environment", "figure_png", "new_figure", "write_html", "write_json"]

#: font sizes used by every tour figure (readable at 100 % zoom)
FIGURE_RC = {
    "font.size": 11,
    "axes.titlesize": 12,
    "axes.labelsize": 11,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "legend.fontsize": 10,
}


@dataclass(frozen=True)
class Skipped:
    """An experiment that did not produce a result: not written yet, or crashed."""

    name: str
    reason: str
    failed: bool  # True when it crashed (counts as a failure), False when merely absent


def new_figure(
    ncols: int = 1, nrows: int = 1, *, width: float = 5.0, height: float = 3.8
) -> tuple[Figure, Any]:
    """A pyplot-free figure with the tour's font sizes, and its axes.

    Parameters
    ----------
    ncols, nrows : int
        Grid of axes.
    width, height : float
        Size of one panel in inches.

    Returns
    -------
    fig : matplotlib.figure.Figure
    axes : Axes or ndarray of Axes (as ``Figure.subplots`` returns them)

    Examples
    --------
    >>> fig, ax = new_figure()
    >>> _ = ax.set_xlabel("time [s]")
    >>> type(fig).__name__
    'Figure'
    """
    with matplotlib.rc_context(FIGURE_RC):
        fig = Figure(figsize=(width * ncols, height * nrows), layout="constrained")
        axes = fig.subplots(nrows, ncols, squeeze=True)
    return fig, axes


def figure_png(fig: Figure, *, dpi: int = 100) -> bytes:
    """PNG bytes of ``fig``.

    Examples
    --------
    >>> figure_png(new_figure()[0])[:4]
    b'\\x89PNG'
    """
    buf = io.BytesIO()
    with matplotlib.rc_context(FIGURE_RC):
        fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def environment() -> dict[str, Any]:
    """Versions of convop and its numeric stack, and a description of the machine."""
    import numpy
    import scipy

    import convop

    versions: dict[str, Any] = {
        "convop": convop.__version__,
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "matplotlib": matplotlib.__version__,
    }
    torch = sys.modules.get("torch")
    if torch is not None:
        versions["torch"] = torch.__version__
    else:  # importing torch only to read its version would cost seconds
        try:
            versions["torch"] = metadata.version("torch")
        except metadata.PackageNotFoundError:
            versions["torch"] = "not installed"
    machine = {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": platform.processor() or "unknown",
        "cpu_count": os.cpu_count(),
    }
    return {"versions": versions, "machine": machine, "date": time.strftime("%Y-%m-%d %H:%M:%S %Z")}


def _fmt(value: Any) -> str:
    """Short human form of a table / claim value."""
    value = _jsonable(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        # tiny residuals read best as 4.6e-16; ordinary numbers keep 6 digits
        return f"{value:.2e}" if value != 0 and abs(value) < 1e-4 else f"{value:.6g}"
    return str(value)


_CSS = """
body { font-family: system-ui, sans-serif; max-width: 70rem; margin: 2rem auto;
       padding: 0 1rem; line-height: 1.45; color: #222; }
h1, h2 { border-bottom: 1px solid #ccc; padding-bottom: .2rem; }
table { border-collapse: collapse; margin: .6rem 0 1.2rem; font-size: .92rem; }
th, td { border: 1px solid #ccc; padding: .25rem .5rem; text-align: left;
         vertical-align: top; }
th { background: #f0f0f0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.pass { color: #11691b; font-weight: bold; }
.fail { color: #b00020; font-weight: bold; }
tr.failrow { background: #fde8ea; }
.note { color: #555; font-style: italic; }
figure { margin: 1rem 0; }
figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { font-size: .92rem; color: #333; }
pre { background: #f6f6f6; padding: .6rem; overflow-x: auto; }
"""


def _cell(value: Any) -> str:
    v = _jsonable(value)
    cls = ' class="num"' if isinstance(v, (int, float)) and not isinstance(v, bool) else ""
    return f"<td{cls}>{html.escape(_fmt(v))}</td>"


def _table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    out = ["<table>", "<thead><tr>"]
    out += [f"<th>{html.escape(str(h))}</th>" for h in headers]
    out += ["</tr></thead>", "<tbody>"]
    for row in rows:
        out.append("<tr>" + "".join(_cell(v) for v in row) + "</tr>")
    out += ["</tbody>", "</table>"]
    return out


def _verdict(passed: bool, timing: bool = False) -> str:
    if timing and not passed:
        return '<span class="note">timing outside window</span>'
    return '<span class="pass">pass</span>' if passed else '<span class="fail">FAIL</span>'


def _claim_rows(name: str, claims: Sequence[Claim], with_section: bool) -> list[str]:
    out = []
    for c in claims:
        row = '<tr class="failrow">' if c.counts and not c.passed else "<tr>"
        if with_section:
            row += f'<td><a href="#{html.escape(name)}">{html.escape(name)}</a></td>'
        stmt = html.escape(c.statement)
        if c.detail:
            stmt += f'<br><span class="note">{html.escape(c.detail)}</span>'
        row += (
            f"<td>{stmt}</td>{_cell(c.expected)}{_cell(c.measured)}"
            f"<td>{html.escape(c.tolerance)}</td><td>{_verdict(c.passed, c.timing)}</td></tr>"
        )
        out.append(row)
    return out


def write_html(
    path: Path,
    results: Sequence[Result],
    skipped: Sequence[Skipped],
    env: dict[str, Any],
    *,
    quick: bool,
    seed: int,
) -> Path:
    """Write the self-contained report page and return its path.

    Parameters
    ----------
    path : Path
        Destination file (``index.html``).
    results : sequence of Result
        Experiments that ran, in tour order.
    skipped : sequence of Skipped
        Experiments that are absent or crashed.
    env : dict
        Output of :func:`environment`.
    quick : bool
        Whether the tour ran in quick mode.
    seed : int
        Random seed given to every experiment.
    """
    claims = [(r.name, c) for r in results for c in r.claims]
    n_fail = sum(c.counts and not c.passed for _, c in claims) + sum(s.failed for s in skipped)
    esc = html.escape
    out = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>convop tour</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        "<h1>convop tour</h1>",
        (
            f"<p>{len(results)} experiment(s) ran ({'quick' if quick else 'full'} mode, "
            f"seed {seed}); {len(claims)} claim(s) checked, "
            f"{_verdict(n_fail == 0)} — {n_fail} failure(s).</p>"
        ),
    ]
    v, m = env["versions"], env["machine"]
    out.append(
        "<p>"
        + esc(", ".join(f"{k} {val}" for k, val in v.items()))
        + "<br>"
        + esc(
            f"{m['platform']}; {m['cpu_count']} CPU(s); processor "
            f"{m['processor']}; generated {env['date']}"
        )
        + "</p>"
    )
    out.append("<h2>Sections</h2>")
    out += [
        "<table>",
        (
            "<thead><tr><th>section</th><th>title</th><th>claims passed</th>"
            "<th>time [s]</th><th>verdict</th></tr></thead>"
        ),
        "<tbody>",
    ]
    for r in results:
        n_ok = sum(c.passed for c in r.claims)
        out.append(
            f'<tr><td><a href="#{esc(r.name)}">{esc(r.name)}</a></td>'
            f"<td>{esc(r.title)}</td>{_cell(f'{n_ok}/{len(r.claims)}')}"
            f"{_cell(round(r.seconds, 2))}<td>{_verdict(r.passed)}</td></tr>"
        )
    out += ["</tbody>", "</table>"]
    out.append("<h2>All claims</h2>")
    out += [
        "<table>",
        (
            "<thead><tr><th>section</th><th>claim</th><th>expected</th>"
            "<th>measured</th><th>test</th><th>verdict</th></tr></thead>"
        ),
        "<tbody>",
    ]
    for r in results:
        out += _claim_rows(r.name, r.claims, True)
    out += ["</tbody>", "</table>"]
    if skipped:
        out.append("<h2>Not run</h2>")
        out.append("<ul>")
        for s in skipped:
            tag = '<span class="fail">error</span>' if s.failed else "skipped"
            out.append(
                f"<li>{tag}: <b>{esc(s.name)}</b> — {esc(s.reason.splitlines()[-1])}"
                + (f"<pre>{esc(s.reason)}</pre>" if s.failed else "")
                + "</li>"
            )
        out.append("</ul>")
    for r in results:
        out.append(f'<section id="{esc(r.name)}">')
        out.append(f"<h2>{esc(r.title)}</h2>")
        out.append(f'<p class="note">{esc(r.name)} — {r.seconds:.2f} s — {_verdict(r.passed)}</p>')
        for para in ([r.summary] if r.summary else []) + list(r.text):
            out.append(f"<p>{esc(para)}</p>")
        for caption, fig in r.figures:
            data = base64.b64encode(figure_png(fig)).decode("ascii")
            out.append(
                f'<figure><img src="data:image/png;base64,{data}" '
                f'alt="{esc(caption)}"><figcaption>{esc(caption)}</figcaption></figure>'
            )
        for caption, headers, rows in r.tables:
            out.append(f"<h3>{esc(caption)}</h3>")
            out += _table(headers, rows)
        if r.files:
            out.append("<p>Files written:</p><ul>")
            for f in r.files:
                rel = os.path.relpath(f, path.parent)
                out.append(f'<li><a href="{esc(rel)}">{esc(rel)}</a></li>')
            out.append("</ul>")
        out.append("<h3>Claims</h3>")
        out += [
            "<table>",
            (
                "<thead><tr><th>claim</th><th>expected</th><th>measured</th>"
                "<th>test</th><th>verdict</th></tr></thead>"
            ),
            "<tbody>",
        ]
        out += _claim_rows(r.name, r.claims, False)
        out += ["</tbody>", "</table>", "</section>"]
    out += ["</body>", "</html>", ""]
    path.write_text("\n".join(out), encoding="utf-8")
    return path


def _clean(obj: Any) -> Any:
    """Recursively turn numpy values, paths and non-finite floats into JSON values."""
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    obj = _jsonable(obj)
    if isinstance(obj, list):
        return [_clean(v) for v in obj]
    if isinstance(obj, (str, int, float, bool)) or obj is None:
        return obj
    return str(obj)


def write_json(
    path: Path,
    results: Sequence[Result],
    skipped: Sequence[Skipped],
    env: dict[str, Any],
    *,
    quick: bool,
    seed: int,
) -> Path:
    """Write claims, tables, timings and versions as JSON and return the path."""
    record = {
        "quick": quick,
        "seed": seed,
        **env,
        "passed": all(r.passed for r in results) and not any(s.failed for s in skipped),
        "experiments": [
            {
                "name": r.name,
                "title": r.title,
                "seconds": r.seconds,
                "passed": r.passed,
                "claims": [c.to_dict() for c in r.claims],
                "tables": [
                    {"caption": c, "headers": list(h), "rows": [list(x) for x in rows]}
                    for c, h, rows in r.tables
                ],
                "figures": [c for c, _ in r.figures],
                "files": [os.path.relpath(f, path.parent) for f in r.files],
                "text": list(r.text),
            }
            for r in results
        ],
        "not_run": [{"name": s.name, "failed": s.failed, "reason": s.reason} for s in skipped],
    }
    path.write_text(json.dumps(_clean(record), indent=2, allow_nan=False), encoding="utf-8")
    return path
