"""Assemble tour results into a self-contained HTML page and a JSON record.

Figures are embedded as base64 PNG and WAV files are played from relative paths,
so the output folder can be moved, zipped or opened offline; nothing is loaded
from the network. Every piece of text goes through :func:`html.escape`.
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
import urllib.parse
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
body { font-family: system-ui, sans-serif; max-width: 88rem; margin: 0 auto;
       padding: 0 1rem 3rem; line-height: 1.45; color: #222; }
h1, h2 { border-bottom: 1px solid #ccc; padding-bottom: .2rem; }
.summary p:first-child { font-size: 1.08rem; }
.summary ul { margin-top: 0; }
.meta { color: #555; font-size: .9rem; }
.layout { display: grid; grid-template-columns: 17rem minmax(0, 1fr); gap: 2rem;
          align-items: start; }
nav.toc { position: sticky; top: 0; max-height: 100vh; overflow-y: auto;
          font-size: .9rem; padding-bottom: 1rem; }
nav.toc h2 { font-size: 1.05rem; }
nav.toc ol, nav.toc ul { padding-left: 1.4rem; margin: .3rem 0; }
nav.toc li { margin: .35rem 0; }
nav.toc li.failed > a { color: #b00020; font-weight: bold; }
section { scroll-margin-top: .5rem; margin-bottom: 2.5rem; }
section.failed { border-left: 4px solid #b00020; padding-left: .8rem; }
a.to-toc { display: none; position: fixed; right: 1rem; bottom: 1rem; background: #fff;
           border: 1px solid #aaa; border-radius: .3rem; padding: .3rem .6rem;
           text-decoration: none; }
@media (max-width: 60rem) {
  .layout { display: block; }
  nav.toc { position: static; max-height: none; }
  a.to-toc { display: block; }
}
table { border-collapse: collapse; margin: .6rem 0 1.2rem; font-size: .92rem; }
main table { display: block; max-width: 100%; overflow-x: auto; }
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
figure.audio { display: flex; flex-wrap: wrap; align-items: center; gap: .3rem 1rem;
               margin: .5rem 0; }
figure.audio audio { width: 22rem; max-width: 100%; }
details > summary { cursor: pointer; font-weight: bold; margin: .4rem 0; }
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


def _claims_table(results: Sequence[Result], with_section: bool) -> list[str]:
    """One table of the claims of ``results``; a section column when there are several."""
    head = "<th>section</th>" if with_section else ""
    out = [
        "<table>",
        (
            f"<thead><tr>{head}<th>claim</th><th>expected</th><th>measured</th>"
            "<th>test</th><th>verdict</th></tr></thead>"
        ),
        "<tbody>",
    ]
    for r in results:
        out += _claim_rows(r.name, r.claims, with_section)
    out += ["</tbody>", "</table>"]
    return out


def _duration(seconds: float) -> str:
    """Wall time as a reader takes it in: ``0.42 s``, ``12.3 s``, ``2 min 05 s``.

    Examples
    --------
    >>> _duration(0.4213), _duration(12.34), _duration(125.2)
    ('0.42 s', '12.3 s', '2 min 05 s')
    """
    if seconds < 10:
        return f"{seconds:.2f} s"
    if seconds < 59.95:  # beyond this, "60.0 s" would print: switch to minutes
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _file_url(file: Path | str, base: Path) -> str:
    """``file`` as a URL relative to ``base``, the folder of ``index.html``.

    Relative so the report folder can be moved or zipped as a whole; ``/`` even on
    Windows and percent-encoded, because it is a URL, not a path.

    Examples
    --------
    >>> _file_url(Path("out/audio/a b.wav"), Path("out"))
    'audio/a%20b.wav'
    """
    try:
        rel = os.path.relpath(file, base)
    except ValueError:  # another drive on Windows: there is no relative path
        return Path(os.path.abspath(file)).as_uri()
    return urllib.parse.quote(Path(rel).as_posix())


def _counts(claims: Sequence[Claim]) -> tuple[int, int, int, int]:
    """Counted claims passed and failed, then timing claims and those outside their window.

    Timing claims are kept apart because they never decide a run (see
    :attr:`Claim.counts`), exactly as ``convop tour`` counts failures.
    """
    counted = [c for c in claims if c.counts]
    timing = [c for c in claims if c.timing]
    n_ok = sum(c.passed for c in counted)
    return n_ok, len(counted) - n_ok, len(timing), sum(not c.passed for c in timing)


def _claims_note(r: Result) -> str:
    n_ok, n_bad, n_timing, _ = _counts(r.claims)
    note = f"{n_ok}/{n_ok + n_bad} claims"
    return note + (f" + {n_timing} timing" if n_timing else "")


def _summary(
    results: Sequence[Result], skipped: Sequence[Skipped], total_seconds: float
) -> list[str]:
    """The one-line verdict at the top of the page, then what failed, if anything."""
    esc = html.escape
    n_ok, n_bad, n_timing, n_slow = _counts([c for r in results for c in r.claims])
    crashed = [s for s in skipped if s.failed]
    absent = [s for s in skipped if not s.failed]
    bad = f'<span class="fail">{n_bad} failed</span>' if n_bad else "0 failed"
    parts = [
        _plural(len(results), "section"),
        f"{_plural(n_ok + n_bad, 'claim')}: {n_ok} passed, {bad}",
    ]
    if n_timing:
        parts.append(f"{_plural(n_timing, 'timing claim')} (not counted): {n_slow} outside window")
    if crashed:
        parts.append(f'<span class="fail">{len(crashed)} crashed</span>')
    if absent:
        parts.append(f"{len(absent)} not available")
    parts.append(f"total {esc(_duration(total_seconds))}")
    out = [
        '<div id="report-summary" class="summary">',
        f"<p>{_verdict(n_bad + len(crashed) == 0)} — " + " · ".join(parts) + "</p>",
    ]
    if n_bad or crashed:
        out.append("<ul>")
        for r in results:
            for c in r.claims:
                if c.counts and not c.passed:
                    out.append(
                        f'<li><span class="fail">FAIL</span> <a href="#{esc(r.name)}">'
                        f"{esc(r.title)}</a>: {esc(c.statement)}</li>"
                    )
        for s in crashed:
            out.append(
                f'<li><span class="fail">error</span> <a href="#report-not-run">'
                f"{esc(s.name)}</a>: crashed</li>"
            )
        out.append("</ul>")
    out.append("</div>")
    return out


def _toc(results: Sequence[Result], skipped: Sequence[Skipped]) -> list[str]:
    """The contents, kept on screen: every section with its verdict, claims and run time."""
    esc = html.escape
    out = ['<nav id="report-toc" class="toc" aria-label="Contents">', "<h2>Contents</h2>", "<ol>"]
    for r in results:
        cls = "" if r.passed else ' class="failed"'
        out.append(
            f'<li{cls}><a href="#{esc(r.name)}">{esc(r.title)}</a><br>'
            f'<span class="meta">{_verdict(r.passed)} · {esc(_claims_note(r))} · '
            f"{esc(_duration(r.seconds))}</span></li>"
        )
    out += ["</ol>", "<ul>"]
    if skipped:
        cls = ' class="failed"' if any(s.failed for s in skipped) else ""
        out.append(f'<li{cls}><a href="#report-not-run">Not run ({len(skipped)})</a></li>')
    out.append('<li><a href="#report-all-claims">All claims</a></li>')
    out.append('<li><a href="#report-environment">Environment</a></li>')
    out += ["</ul>", "</nav>"]
    return out


def _files(r: Result, base: Path) -> list[str]:
    """A player for each WAV file of the section, a link for every other file."""
    esc = html.escape
    wavs = [f for f in r.files if Path(f).suffix.lower() == ".wav"]
    others = [f for f in r.files if Path(f).suffix.lower() != ".wav"]
    out = []
    if wavs:
        out.append("<h3>Listen</h3>")
        for f in wavs:
            url, name = esc(_file_url(f, base)), esc(Path(f).name)
            # preload="none": the page opens without reading every clip; the link
            # inside <audio> is the fallback of a browser without a player
            out.append(
                f'<figure class="audio"><audio controls preload="none" src="{url}">'
                f'<a href="{url}">{name}</a></audio>'
                f'<figcaption><a href="{url}">{name}</a></figcaption></figure>'
            )
    if others:
        out.append("<p>Files written:</p><ul>")
        for f in others:
            url = _file_url(f, base)
            out.append(f'<li><a href="{esc(url)}">{esc(urllib.parse.unquote(url))}</a></li>')
        out.append("</ul>")
    return out


def _section(r: Result, base: Path) -> list[str]:
    """One experiment: its idea, figures, tables, audio, then its own claims."""
    esc = html.escape
    cls = "" if r.passed else ' class="failed"'
    out = [
        f'<section id="{esc(r.name)}"{cls}>',
        f"<h2>{esc(r.title)}</h2>",
        (
            f'<p class="meta">{esc(r.name)} · {_verdict(r.passed)} · '
            f"{esc(_claims_note(r))} · {esc(_duration(r.seconds))}</p>"
        ),
    ]
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
    out += _files(r, base)
    out.append("<h3>Claims</h3>")
    out += _claims_table([r], False)
    out.append("</section>")
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

    The page reads as a reader meets it: a one-line verdict (with what failed),
    a contents list that stays on screen, the sections (each with its text,
    figures, tables, audio players and its own claims), what did not run, the
    full claims table folded in a ``<details>``, and the environment. WAV files
    play from their place in the report folder, which stays self-contained.

    Parameters
    ----------
    path : Path
        Destination file (``index.html``).
    results : sequence of Result
        Experiments that ran, in tour order; their names are the section ids.
    skipped : sequence of Skipped
        Experiments that are absent or crashed.
    env : dict
        Output of :func:`environment`; ``env["total_seconds"]`` (the tour's wall
        time) is shown when present, else the sum of the sections' times.
    quick : bool
        Whether the tour ran in quick mode.
    seed : int
        Random seed given to every experiment.
    """
    esc = html.escape
    total = env.get("total_seconds")
    total = float(total) if total is not None else sum(r.seconds for r in results)
    n_claims = sum(len(r.claims) for r in results)
    v, m = env["versions"], env["machine"]
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
        '<header id="report-top">',
        "<h1>convop tour</h1>",
        *_summary(results, skipped, total),
        (
            f'<p class="meta">{"quick" if quick else "full"} mode · seed {seed} · '
            f"convop {esc(str(v.get('convop', '?')))} · generated {esc(str(env['date']))}</p>"
        ),
        "</header>",
        '<div class="layout">',
        *_toc(results, skipped),
        "<main>",
    ]
    for r in results:
        out += _section(r, path.parent)
    if skipped:
        cls = ' class="failed"' if any(s.failed for s in skipped) else ""
        out += [f'<section id="report-not-run"{cls}>', "<h2>Not run</h2>", "<ul>"]
        for s in skipped:
            tag = '<span class="fail">error</span>' if s.failed else "skipped"
            out.append(
                f"<li>{tag}: <b>{esc(s.name)}</b> — {esc(s.reason.splitlines()[-1])}"
                + (f"<pre>{esc(s.reason)}</pre>" if s.failed else "")
                + "</li>"
            )
        out += ["</ul>", "</section>"]
    # last and folded: the reference for a reader who wants every number at once
    out += [
        '<section id="report-all-claims">',
        "<h2>All claims</h2>",
        "<details>",
        f"<summary>Show all {_plural(n_claims, 'claim')} in one table</summary>",
        *_claims_table(results, True),
        "</details>",
        "</section>",
        '<section id="report-environment">',
        "<h2>Environment</h2>",
        "<p>"
        + esc(", ".join(f"{k} {val}" for k, val in v.items()))
        + "<br>"
        + esc(
            f"{m['platform']}; {m['cpu_count']} CPU(s); processor "
            f"{m['processor']}; generated {env['date']}"
        )
        + "</p>",
        "</section>",
        "</main>",
        "</div>",
        # narrow screens lose the side column: this link keeps the contents one tap away
        '<a class="to-toc" href="#report-toc">↑ Contents</a>',
        "</body>",
        "</html>",
        "",
    ]
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
