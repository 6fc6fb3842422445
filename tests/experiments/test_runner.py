"""Tests of the ``convop tour`` runner and its HTML / JSON report."""

from __future__ import annotations

import base64
import json
import sys
import types
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from convop import experiments
from convop.experiments import Claim, Result, _tour

VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}


class _Checker(HTMLParser):
    """Collects structural errors, section ids and image sources."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.sections: list[str] = []
        self.images: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        # the report's own sections (not run, all claims, environment) are "report-*"
        if tag == "section" and not attrs.get("id", "").startswith("report-"):
            self.sections.append(attrs.get("id", ""))
        if tag == "img":
            self.images.append(attrs.get("src", ""))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        if tag in VOID:
            self.errors.append(f"end tag for void element {tag}")
        elif not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unbalanced </{tag}>, open: {self.stack[-3:]}")
        else:
            self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def _parse(path: Path) -> _Checker:
    checker = _Checker()
    checker.feed(path.read_text(encoding="utf-8"))
    checker.close()
    assert not checker.errors, checker.errors[:5]
    assert not checker.stack, f"unclosed tags: {checker.stack}"
    return checker


def _fake_module(name: str, *, passed: bool = True, crash: bool = False) -> types.ModuleType:
    mod = types.ModuleType(f"convop.experiments.{name}")
    mod.TITLE = f"Fake <{name}> & co"
    mod.SUMMARY = "A summary with <b>markup</b> that must be escaped."

    def run(*, quick=False, seed=0, out_dir=None):
        if crash:
            raise RuntimeError("boom")
        from convop.experiments._report import new_figure

        res = Result(name, mod.TITLE)
        fig, ax = new_figure()
        ax.plot([0, 1], [0, 1])
        ax.set_xlabel("x [m]")
        ax.set_ylabel("y [m]")
        res.figure("a line <y = x>", fig)
        res.table("numbers", ["a", "b"], [[np.float64(1.5), "<x>"]])
        res.claims.append(Claim.close("one equals one-ish", 1.0, 1.0 if passed else 2.0, atol=1e-9))
        if out_dir is not None:
            (out_dir / "note.txt").write_text("hi")
            res.files.append(out_dir / "note.txt")
        return res

    mod.run = run
    return mod


@pytest.fixture
def fake_registry(monkeypatch):
    def install(**modules: types.ModuleType) -> None:
        for name, mod in modules.items():
            monkeypatch.setitem(sys.modules, f"convop.experiments.{name}", mod)
        monkeypatch.setattr(experiments, "EXPERIMENTS", list(modules) + ["not_written_yet"])

    return install


def test_tour_quick_two_experiments(tmp_path):
    out = tmp_path / "tour"
    code = _tour.main(
        ["--quick", "--out", str(out), "--only", "lowrank_by_hand", "linear_regression"]
    )
    assert code == 0
    page = _parse(out / "index.html")
    record = json.loads((out / "results.json").read_text(encoding="utf-8"))
    names = [e["name"] for e in record["experiments"]]
    assert names == ["lowrank_by_hand", "linear_regression"]
    assert page.sections == names
    assert record["passed"] is True
    assert all(c["passed"] for e in record["experiments"] for c in e["claims"])
    n_fig = sum(len(e["figures"]) for e in record["experiments"])
    assert n_fig == len(page.images) == 5
    for src in page.images:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    text = " ".join(page.text)
    for key in ("numpy", "scipy", "torch", "CPU", record["versions"]["convop"]):
        assert key in text
    assert record["machine"]["cpu_count"] is not None
    assert all(e["seconds"] > 0 for e in record["experiments"])


def test_failing_claim_gives_exit_1_and_escaped_html(tmp_path, fake_registry, capsys):
    fake_registry(fake_ok=_fake_module("fake_ok"), fake_bad=_fake_module("fake_bad", passed=False))
    code = _tour.main(["--out", str(tmp_path)])
    assert code == 1
    page = _parse(tmp_path / "index.html")
    assert page.sections == ["fake_ok", "fake_bad"]
    html_text = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "<b>markup</b>" not in html_text and "&lt;b&gt;markup&lt;/b&gt;" in html_text
    assert "not_written_yet" in html_text  # skipped, with a note
    assert (tmp_path / "fake_ok" / "note.txt").exists()
    record = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert record["passed"] is False
    assert record["not_run"] == [
        {"name": "not_written_yet", "failed": False, "reason": "module not available yet"}
    ]
    assert "FAILED fake_bad" in capsys.readouterr().err


def test_passing_fakes_and_missing_module_exit_0(tmp_path, fake_registry):
    fake_registry(fake_ok=_fake_module("fake_ok"))
    assert _tour.main(["--out", str(tmp_path), "--seed", "3"]) == 0


def test_crashing_experiment_is_reported_not_raised(tmp_path, fake_registry):
    fake_registry(
        fake_ok=_fake_module("fake_ok"), fake_crash=_fake_module("fake_crash", crash=True)
    )
    assert _tour.main(["--out", str(tmp_path)]) == 1
    page = _parse(tmp_path / "index.html")
    assert page.sections == ["fake_ok"]
    assert "RuntimeError: boom" in (tmp_path / "index.html").read_text(encoding="utf-8")


def test_list(capsys):
    assert _tour.main(["--list"]) == 0
    out = capsys.readouterr().out
    for name in experiments.EXPERIMENTS:
        assert name in out
    assert experiments.lowrank_by_hand.TITLE in out


def test_unknown_only_name(tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        _tour.main(["--out", str(tmp_path), "--only", "lowrank_by_hand", "bogus"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "'bogus'" in err and "linear_regression" in err and "lowrank_by_hand" in err


def test_build_parser_defaults():
    ns = _tour.build_parser().parse_args([])
    assert (ns.quick, ns.out, ns.only, ns.list, ns.seed) == (False, "convop-tour", None, False, 0)


def test_load_reraises_other_missing_modules(monkeypatch):
    def bad_import(name, *args, **kwargs):
        raise ModuleNotFoundError("No module named 'somedep'", name="somedep")

    monkeypatch.setattr(experiments.importlib, "import_module", bad_import)
    with pytest.raises(ModuleNotFoundError, match="somedep"):
        experiments.load("lowrank_by_hand")


def test_claim_constructors():
    assert Claim.close("c", 1.0, 1.0 + 1e-12, rtol=1e-9).passed
    assert not Claim.close("c", 1.0, float("nan")).passed
    assert Claim.at_most("m", 1.0, 0.5).passed and not Claim.at_most("m", 1.0, 2.0).passed
    assert Claim.at_least("l", 1.0, 2.0).passed and not Claim.at_least("l", 1.0, 0.0).passed
    assert not Claim.at_most("m", 1.0, float("nan")).passed
    assert Claim.true("t", np.bool_(True), "d").passed
    assert Claim.equal("e", 3, np.int64(3)).passed
    with pytest.raises(TypeError, match="scalar"):
        Claim.close("c", 1.0, np.ones(3))
    json.dumps(Claim.close("c", np.float32(1), np.float64(1)).to_dict())


def test_timing_claims_are_reported_but_do_not_fail_a_run():
    from convop.experiments import Claim, Result

    r = Result("t", "timing")
    r.claims.append(Claim.at_most("exact", 1e-12, 0.0))
    r.claims.append(Claim.at_least("speed-up", 10.0, 2.0).as_timing())
    assert r.passed and not r.claims[1].passed
    r.claims.append(Claim.at_most("exact again", 1e-12, 1.0))
    assert not r.passed


def test_wav_files_get_players_with_paths_relative_to_the_report(
    tmp_path, fake_registry, monkeypatch
):
    # a relative --out makes Result.files relative to the working directory, not to
    # index.html: the report must still point inside its own folder
    def run(*, quick=False, seed=0, out_dir=None):
        res = Result("fake_wav", "Fake WAV")
        (out_dir / "clip.wav").write_bytes(b"RIFF")
        res.files.append(out_dir / "clip.wav")
        res.claims.append(Claim.equal("one", 1, 1))
        return res

    mod = types.ModuleType("convop.experiments.fake_wav")
    mod.TITLE, mod.SUMMARY, mod.run = "Fake WAV", "", run
    fake_registry(fake_wav=mod)
    monkeypatch.chdir(tmp_path)
    assert _tour.main(["--out", "rep"]) == 0

    class Audio(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.srcs: list[str] = []

        def handle_starttag(self, tag, attrs):
            if tag == "audio":
                self.srcs.append(dict(attrs)["src"])

    page = Audio()
    page.feed((tmp_path / "rep" / "index.html").read_text(encoding="utf-8"))
    assert page.srcs == ["fake_wav/clip.wav"]
    assert (tmp_path / "rep" / page.srcs[0]).is_file()
