"""``convop tour``: run the experiments, time them, write ``index.html`` and ``results.json``.

Examples
--------
From a shell::

    convop tour --quick --out convop-tour
    convop tour --list
    convop tour --only lowrank_by_hand linear_regression --seed 3

From Python:

>>> from convop.experiments._tour import main
>>> main(["--list"])  # doctest: +SKIP
"""

from __future__ import annotations

import argparse
import inspect
import sys
import time
import traceback
from pathlib import Path
from typing import TextIO

import matplotlib

matplotlib.use("Agg")

from convop.experiments import _report
from convop.experiments._result import Result

__all__ = ["build_parser", "main", "run_tour"]


def _registry() -> list[str]:
    # read at call time so that tests (and users) can edit the registry
    from convop.experiments import EXPERIMENTS

    return list(EXPERIMENTS)


def build_parser(prog: str = "convop tour") -> argparse.ArgumentParser:
    """The argument parser of ``convop tour`` (reusable by ``convop.cli``).

    Examples
    --------
    >>> ns = build_parser().parse_args(["--quick", "--only", "lowrank_by_hand"])
    >>> ns.quick, ns.only, ns.out
    (True, ['lowrank_by_hand'], 'convop-tour')
    """
    p = argparse.ArgumentParser(
        prog=prog, description="Run the convop experiments and write an HTML report."
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="smaller problem sizes (each experiment in a few seconds)",
    )
    p.add_argument(
        "--out",
        default="convop-tour",
        metavar="DIR",
        help="output directory for index.html and results.json (default: %(default)s)",
    )
    p.add_argument(
        "--only", nargs="+", metavar="NAME", help="run only these experiments (see --list)"
    )
    p.add_argument("--list", action="store_true", help="list experiments and exit")
    p.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    return p


def _progress(stream: TextIO, done: int, total: int, label: str) -> None:
    """A one-line text bar, redrawn in place on a terminal, one line per update otherwise."""
    width = 20
    filled = width * done // max(total, 1)
    bar = f"[{'#' * filled}{'-' * (width - filled)}] {done}/{total} {label}"
    if getattr(stream, "isatty", lambda: False)():
        stream.write(f"\r{bar:<78.78}")
    else:
        stream.write(bar + "\n")
    stream.flush()


def _call_run(module: object, *, quick: bool, seed: int, out_dir: Path) -> Result:
    run = module.run
    kwargs: dict[str, object] = {"quick": quick, "seed": seed}
    params = inspect.signature(run).parameters
    if "out_dir" in params or any(p.kind is p.VAR_KEYWORD for p in params.values()):
        kwargs["out_dir"] = out_dir
    result = run(**kwargs)
    if not isinstance(result, Result):
        raise TypeError(f"run() returned {type(result).__name__}, expected Result")
    return result


def run_tour(
    names: list[str], *, quick: bool, seed: int, out: Path, stream: TextIO = sys.stderr
) -> tuple[list[Result], list[_report.Skipped]]:
    """Run experiments ``names`` in order; return their results and those not run.

    Experiments whose module does not exist yet are skipped; experiments that
    raise are reported as failed with their traceback. Files they write go
    to ``out / name``.
    """
    from convop.experiments import load

    results: list[Result] = []
    skipped: list[_report.Skipped] = []
    for i, name in enumerate(names):
        _progress(stream, i, len(names), f"running {name} ...")
        out_dir = out / name
        try:
            module = load(name)
            if module is None:
                skipped.append(_report.Skipped(name, "module not available yet", False))
                _progress(stream, i + 1, len(names), f"{name}: skipped (not available yet)")
                continue
            out_dir.mkdir(parents=True, exist_ok=True)
            t0 = time.perf_counter()
            result = _call_run(module, quick=quick, seed=seed, out_dir=out_dir)
            result.seconds = time.perf_counter() - t0
        except Exception:  # noqa: BLE001 - a broken experiment must not hide the others
            skipped.append(_report.Skipped(name, traceback.format_exc(), True))
            _progress(stream, i + 1, len(names), f"{name}: ERROR (see report)")
            continue
        finally:
            if out_dir.is_dir() and not any(out_dir.iterdir()):
                out_dir.rmdir()
        if not result.summary:
            result.summary = str(getattr(module, "SUMMARY", ""))
        results.append(result)
        n_ok = sum(c.passed for c in result.claims)
        _progress(
            stream,
            i + 1,
            len(names),
            f"{name}: {n_ok}/{len(result.claims)} claims pass, {result.seconds:.2f} s",
        )
    _progress(stream, len(names), len(names), "done")
    if getattr(stream, "isatty", lambda: False)():
        stream.write("\n")
    return results, skipped


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``convop tour``; returns 1 if any claim fails, else 0.

    Parameters
    ----------
    argv : list of str, optional
        Arguments after ``tour`` (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status.

    Raises
    ------
    SystemExit
        With status 2 on a bad argument, e.g. an unknown ``--only`` name.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    registry = _registry()
    if args.list:
        from convop.experiments import load

        for name in registry:
            try:
                module = load(name)
                title = "(not available yet)" if module is None else module.TITLE
            except Exception as exc:  # noqa: BLE001 - listing must not crash
                title = f"(import error: {exc})"
            print(f"{name:<22} {title}")
        return 0
    names = registry
    if args.only:
        unknown = [n for n in args.only if n not in registry]
        if unknown:
            parser.error(
                f"unknown experiment {unknown[0]!r} for --only; "
                f"accepted names: {', '.join(registry)}"
            )
        names = [n for n in registry if n in args.only]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    results, skipped = run_tour(names, quick=args.quick, seed=args.seed, out=out)
    env = _report.environment()
    env["total_seconds"] = time.perf_counter() - t0
    html_path = _report.write_html(
        out / "index.html", results, skipped, env, quick=args.quick, seed=args.seed
    )
    _report.write_json(
        out / "results.json", results, skipped, env, quick=args.quick, seed=args.seed
    )
    n_claims = sum(len(r.claims) for r in results)
    failed = [
        f"{r.name}: {c.statement}" for r in results for c in r.claims if c.counts and not c.passed
    ]
    slow = [
        f"{r.name}: {c.statement}" for r in results for c in r.claims if c.timing and not c.passed
    ]
    for s in slow:
        print(f"timing outside its window (not a failure): {s}", file=sys.stderr)
    failed += [f"{s.name}: crashed" for s in skipped if s.failed]
    for s in skipped:
        if not s.failed:
            print(f"skipped {s.name}: {s.reason}", file=sys.stderr)
    for f in failed:
        print(f"FAILED {f}", file=sys.stderr)
    print(
        f"{len(results)} experiment(s), {n_claims} claim(s), {len(failed)} failure(s); "
        f"report: {html_path}",
        file=sys.stderr,
    )
    return 1 if failed else 0
