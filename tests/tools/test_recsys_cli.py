"""``convop recsys`` end to end on tmp_path: results for good input, exit 2 and a clear
message (naming the value) for bad input."""

from __future__ import annotations

import re

import numpy as np
import pytest

from convop.cli import main


def write(path, rows, header="user,item,value"):
    path.write_text(header + "\n" + "".join(",".join(map(str, r)) + "\n" for r in rows))
    return str(path)


def good_rows(values=True):
    rng = np.random.default_rng(0)
    pairs = np.argwhere(rng.random((12, 8)) < 0.4)
    return [(u, i, float(rng.integers(1, 6))) if values else (u, i) for u, i in pairs]


def test_synthetic_happy_path(capsys):
    argv = ["recsys", "--synthetic", "--users", "40", "--items", "20", "--density", "0.2"]
    assert main([*argv, "--models", "popularity,mf"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["model", "auc", "recall@10", "recall@20", "ndcg@20"]
    rows = {line.split()[0]: [float(v) for v in line.split()[1:]] for line in out[1:]}
    assert set(rows) == {"popularity", "mf"}
    assert all(0 <= v <= 1 for vals in rows.values() for v in vals)


@pytest.mark.parametrize("values", [False, True])
def test_csv_happy_path(tmp_path, capsys, values):
    header = "user,item,value" if values else "user,item"
    path = write(tmp_path / "log.csv", good_rows(values), header)
    argv = ["recsys", "--csv", path, "--n-users", "12", "--n-items", "8", "--models", "popularity"]
    assert main(argv) == 0
    line = capsys.readouterr().out.splitlines()[1].split()
    assert line[0] == "popularity" and 0 <= float(line[1]) <= 1


@pytest.mark.parametrize(
    "rows, extra, match",
    [
        ([(0, 1, 1.0), (12, 2, 1.0)], [], r"invalid users=12.*ids < 12"),
        ([(0, 1, 1.0), (3, 9, 1.0)], [], r"invalid items=9.*ids < 8"),
        ([(0, 1, 1.0), (-1, 2, 1.0)], [], r"invalid users=-1.*ids >= 0"),
        ([(0, 1, 1.0), (2, 3, 1.0), (0, 1, 4.0)], [], r"duplicate interaction \(user=0, item=1\)"),
        ([(0, 1, 1.0), (2, 3, "nan")], [], r"invalid values\[1\]=nan.*finite"),
        ([(0, 1.5, 1.0), (2, 3, 1.0)], [], r"row 2: item id 1.5 is not an integer"),
        ([], [], "holds no interaction rows"),
        ([(0, 1, 1.0)], [], r"leaves the (test|train) part empty"),
        (good_rows(), ["--test", "1.5"], r"invalid test=1.5"),
        (good_rows(), ["--n-users", "0"], r"invalid n_users=0"),
    ],
    ids=[
        "user-out-of-range",
        "item-out-of-range",
        "negative-id",
        "duplicate",
        "nan-rating",
        "non-integer-id",
        "empty-file",
        "empty-split",
        "bad-test-share",
        "zero-users",
    ],
)
def test_csv_bad_input_exits_2_with_a_clear_message(tmp_path, capsys, rows, extra, match):
    path = write(tmp_path / "bad.csv", rows)
    argv = ["recsys", "--csv", path, "--n-users", "12", "--n-items", "8", *extra]
    assert main([*argv, "--models", "popularity"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("convop recsys: ")
    assert re.search(match, err), err


def test_usage_errors(tmp_path, capsys):
    assert main(["recsys", "--synthetic", "--models", "svd"]) == 2
    assert "unknown model(s) ['svd']" in capsys.readouterr().err
    path = write(tmp_path / "log.csv", good_rows())
    assert main(["recsys", "--csv", path]) == 2
    assert "--csv needs --n-users and --n-items" in capsys.readouterr().err
    missing = str(tmp_path / "missing.csv")
    assert main(["recsys", "--csv", missing, "--n-users", "2", "--n-items", "2"]) == 2
    assert "missing.csv" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["recsys"])  # neither --synthetic nor --csv
    assert exc.value.code == 2
