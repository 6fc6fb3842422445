"""Layout of the tour's ``index.html``, as a reader meets it, on fake results.

No experiment runs here: hand-made :class:`Result` objects go straight to
:func:`write_html`, so each test takes milliseconds. The page is read with the
standard library's :class:`html.parser.HTMLParser`, not with regexes.
"""

from __future__ import annotations

import shutil
import urllib.parse
from html.parser import HTMLParser
from pathlib import Path

import pytest

from convop.experiments import Claim, Result
from convop.experiments._report import Skipped, write_html

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}
VOID |= {"track", "wbr"}

ENV = {
    "versions": {"convop": "0.0.test", "numpy": "1", "scipy": "1"},
    "machine": {"platform": "TestOS", "machine": "x", "processor": "p", "cpu_count": 2},
    "date": "2026-01-01 00:00:00 UTC",
    "total_seconds": 70.4,
}


class _Page(HTMLParser):
    """Every element in document order, with its attributes and its own text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[dict] = []  # {"tag", "attrs", "parents", "text"}
        self.open: list[dict] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag, attrs):
        el = {"tag": tag, "attrs": dict(attrs), "parents": list(self.open), "text": []}
        self.elements.append(el)
        if tag not in VOID:
            self.open.append(el)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.open.pop()

    def handle_endtag(self, tag):
        if tag in VOID:
            self.errors.append(f"end tag for void element {tag}")
        elif not self.open or self.open[-1]["tag"] != tag:
            self.errors.append(f"unbalanced </{tag}>")
        else:
            self.open.pop()

    def handle_data(self, data):
        for el in self.open:  # text belongs to every enclosing element
            el["text"].append(data)

    # helpers for the tests
    def find(self, tag: str | None = None, **attrs: str) -> list[dict]:
        return [
            e
            for e in self.elements
            if (tag is None or e["tag"] == tag)
            and all(e["attrs"].get(k) == v for k, v in attrs.items())
        ]

    def index(self, el: dict) -> int:
        return next(i for i, e in enumerate(self.elements) if e is el)

    @staticmethod
    def text(el: dict) -> str:
        return " ".join("".join(el["text"]).split())

    @staticmethod
    def inside(el: dict, tag: str, **attrs: str) -> bool:
        return any(
            p["tag"] == tag and all(p["attrs"].get(k) == v for k, v in attrs.items())
            for p in el["parents"]
        )


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    page.close()
    assert not page.errors, page.errors[:5]
    assert not page.open, [e["tag"] for e in page.open]
    return page


def _fake_results(root: Path) -> list[Result]:
    """An audio section that passes, and a slow one with a failed and a timing claim."""
    folder = root / "listen"
    folder.mkdir(parents=True)
    wavs = [folder / "clip.wav", folder / "response 1_Bb.wav"]  # a space: must be quoted
    for w in wavs:
        w.write_bytes(b"RIFF")  # only the file's existence matters to the page
    (folder / "data.csv").write_text("a,b\n")
    listen = Result(
        "listen",
        "Listening <to> convolutions",
        claims=[Claim.true("the clip has 3 < 4 notes", True)],
        text=["Responses are <b>WAV</b> files."],
        files=[*wavs, folder / "data.csv"],
        seconds=1.234,
        summary="Hear the matched filter.",
    )
    slow = Result(
        "slow_bad",
        "A slow, failing section",
        claims=[
            Claim.at_most("residual <= 1e-12 & small", 1e-12, 1.0),
            Claim.equal("two is two", 2, 2),
            Claim.at_least("speed-up over dense", 2.0, 1.0).as_timing(),
        ],
        seconds=65.2,
    )
    return [listen, slow]


@pytest.fixture
def report(tmp_path):
    """The page for the two fake sections plus one crashed and one absent experiment."""
    out = tmp_path / "tour"
    skipped = [
        Skipped("crashy", "Traceback ...\nRuntimeError: boom", True),
        Skipped("absent", "module not available yet", False),
    ]
    path = write_html(out / "index.html", _fake_results(out), skipped, ENV, quick=True, seed=0)
    return path, _parse(path)


def test_sections_come_first_and_the_full_claims_table_last_and_folded(report):
    _, page = report
    sections = page.find("section")
    assert [s["attrs"]["id"] for s in sections[:2]] == ["listen", "slow_bad"]
    summary = page.find(id="report-summary")[0]
    details = page.find("details")
    assert len(details) == 1
    # summary line, then the first section, then the folded table of every claim
    assert page.index(summary) < page.index(sections[0]) < page.index(details[0])
    assert page.inside(details[0], "section", id="report-all-claims")
    tables = page.find("table")
    assert page.inside(tables[0], "section", id="listen")  # no wall of numbers on top
    folded = [t for t in tables if page.inside(t, "details")]
    assert len(folded) == 1
    rows = [e for e in page.elements if e["tag"] == "tr" and page.inside(e, "details")]
    assert len(rows) == 1 + 4  # header and every claim of every section


def test_summary_line_counts_and_lists_what_failed(report):
    _, page = report
    summary = page.find(id="report-summary")[0]
    line = page.text(page.find("p")[0])
    assert page.inside(page.find("p")[0], "div", id="report-summary")
    assert line.startswith("FAIL")
    # timing claims are counted apart, as `convop tour` does: 3 counted claims, not 4
    assert "2 sections" in line
    assert "3 claims: 2 passed, 1 failed" in line
    assert "1 timing claim (not counted): 1 outside window" in line
    assert "1 crashed" in line and "1 not available" in line
    assert "total 1 min 10 s" in line
    listed = page.text(summary)
    assert "A slow, failing section: residual <= 1e-12 & small" in listed
    assert "crashy: crashed" in listed
    assert "two is two" not in listed and "speed-up" not in listed  # only failures


def test_all_passing_summary_has_no_failure_list(tmp_path):
    r = Result("ok", "Fine", claims=[Claim.equal("one", 1, 1)], seconds=0.5)
    env = {k: v for k, v in ENV.items() if k != "total_seconds"}
    page = _parse(write_html(tmp_path / "index.html", [r], [], env, quick=False, seed=1))
    summary = page.find(id="report-summary")[0]
    assert page.text(summary) == "pass — 1 section · 1 claim: 1 passed, 0 failed · total 0.50 s"
    assert not page.find("section", id="report-not-run")


def test_contents_links_resolve_and_show_verdict_and_time(report):
    path, page = report
    ids = [e["attrs"]["id"] for e in page.elements if "id" in e["attrs"]]
    assert len(ids) == len(set(ids)), "duplicate ids"
    links = [e["attrs"]["href"] for e in page.find("a") if e["attrs"]["href"].startswith("#")]
    assert links and all(h[1:] in ids for h in links)
    nav = page.find("nav", id="report-toc")[0]
    items = [e for e in page.find("li") if page.inside(e, "nav")]
    toc = [e for e in page.find("a") if page.inside(e, "nav")]
    assert [a["attrs"]["href"] for a in toc[:2]] == ["#listen", "#slow_bad"]
    assert "#report-all-claims" in [a["attrs"]["href"] for a in toc]
    assert "pass · 1/1 claims · 1.23 s" in page.text(items[0])
    assert "FAIL · 1/2 claims + 1 timing · 1 min 05 s" in page.text(items[1])
    assert items[1]["attrs"].get("class") == "failed"
    assert page.index(nav) < page.index(page.find("section")[0])
    # it stays reachable: a sticky side column, and a fixed link on narrow screens
    style = page.text(page.find("style")[0])
    assert "nav.toc { position: sticky;" in style
    assert page.find("a", href="#report-toc")


def test_each_section_shows_its_own_time_claims_and_failure_mark(report):
    _, page = report
    for sid, seconds, n_claims in [("listen", "1.23 s", 1), ("slow_bad", "1 min 05 s", 3)]:
        meta = [p for p in page.find("p", **{"class": "meta"}) if page.inside(p, "section", id=sid)]
        assert seconds in page.text(meta[0])
        rows = [e for e in page.find("tr") if page.inside(e, "section", id=sid)]
        assert len(rows) == 1 + n_claims
    assert page.find("section", id="slow_bad")[0]["attrs"]["class"] == "failed"
    assert "class" not in page.find("section", id="listen")[0]["attrs"]
    bad = [e for e in page.find("tr", **{"class": "failrow"}) if not page.inside(e, "details")]
    assert len(bad) == 1 and "residual" in page.text(bad[0])


def test_audio_player_for_each_wav_with_paths_inside_the_folder(report, tmp_path):
    path, page = report
    audio = page.find("audio")
    assert len(audio) == 2
    assert all(page.inside(a, "section", id="listen") for a in audio)
    assert all("controls" in a["attrs"] for a in audio)
    srcs = [a["attrs"]["src"] for a in audio]
    assert srcs == ["listen/clip.wav", "listen/response%201_Bb.wav"]
    # the folder is self-contained: move it and every player and link still resolves
    moved = tmp_path / "moved"
    shutil.copytree(path.parent, moved)
    for src in srcs:
        assert (moved / urllib.parse.unquote(src)).is_file()
    hrefs = [a["attrs"]["href"] for a in page.find("a")]
    assert "listen/data.csv" in hrefs  # other files are links, not players
    external = [
        u
        for e in page.elements
        for k, u in e["attrs"].items()
        if k in ("src", "href") and u and urllib.parse.urlparse(u).scheme not in ("", "data")
    ]
    assert external == []


def test_text_is_escaped(report):
    path, page = report
    raw = path.read_text(encoding="utf-8")
    assert "<to>" not in raw and "Listening &lt;to&gt; convolutions" in raw
    assert "<b>WAV</b>" not in raw
    assert "3 &lt; 4" in raw and "1e-12 &amp; small" in raw
    assert not page.find("to")  # no element was made from the title
    text = page.text(page.find("section", id="listen")[0])
    assert "the clip has 3 < 4 notes" in text and "Responses are <b>WAV</b> files." in text
