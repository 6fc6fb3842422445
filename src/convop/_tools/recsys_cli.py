"""``convop recsys``: fit and evaluate the recommender families on planted data or a CSV.

Examples: ``convop recsys --synthetic --users 300 --items 150 --density 0.05``;
``convop recsys --csv log.csv --n-users 100 --n-items 50`` (columns: user,item[,value]).
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from convop._core.errors import ConvopError, ConvopValueError
from convop.recsys import (
    GCN,
    MF,
    Interactions,
    LightGCN,
    Popularity,
    Tabular,
    TensorCP,
    evaluate,
    synthetic,
)

MODELS = {
    "popularity": lambda s: Popularity(),
    "mf": lambda s: MF(seed=s),
    "tensorcp": lambda s: TensorCP(seed=s),
    "gcn": lambda s: GCN(epochs=150, seed=s),
    "lightgcn": lambda s: LightGCN(dim=32, epochs=40, lr=0.01, batch_size=512, seed=s),
    "tabular": lambda s: Tabular(seed=s),
}


def read_csv(path: str, n_users: int, n_items: int) -> Interactions:
    """``user,item[,value]`` rows (header line, 0-based integer ids) as validated interactions.

    Raises ConvopValueError naming the row for a file without rows, a row with
    fewer than two columns or a non-integer id; :class:`Interactions` checks the
    ranges, duplicates and NaN values.
    """
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # numpy warns on an empty file
        table = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
    if table.size == 0:
        raise ConvopValueError(f"{path} holds no interaction rows (only a header, or nothing)")
    if table.shape[1] < 2:
        raise ConvopValueError(
            f"{path} has {table.shape[1]} column(s); expected user,item or user,item,value"
        )
    ids = table[:, :2]
    bad = ~np.isfinite(ids) | (ids != np.round(ids))
    if bad.any():
        r, c = (int(v) for v in np.argwhere(bad)[0])
        raise ConvopValueError(
            f"{path} row {r + 2}: {('user', 'item')[c]} id {float(ids[r, c])!r} is not an integer"
        )
    return Interactions(
        ids[:, 0].astype(np.int64),
        ids[:, 1].astype(np.int64),
        table[:, 2] if table.shape[1] > 2 else None,
        n_users=n_users,
        n_items=n_items,
    )


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="convop recsys", description=__doc__)
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument(
        "--synthetic", action="store_true", help="planted data (convop.recsys.synthetic)"
    )
    src.add_argument(
        "--csv", help="CSV file with columns user,item[,value] (0-based ids, header line)"
    )
    p.add_argument("--users", type=int, default=300)
    p.add_argument("--items", type=int, default=150)
    p.add_argument("--n-users", type=int)
    p.add_argument("--n-items", type=int)
    p.add_argument("--density", type=float, default=0.05)
    p.add_argument("--feature-signal", type=float, default=0.5)
    p.add_argument("--cold-start", type=float, default=0.0)
    p.add_argument("--test", type=float, default=0.2)
    p.add_argument("--by", default="interaction", choices=["interaction", "user", "item"])
    p.add_argument(
        "--models", default=",".join(MODELS), help="comma-separated subset of " + ",".join(MODELS)
    )
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    names = [m.strip() for m in args.models.split(",") if m.strip()]
    bad = [m for m in names if m not in MODELS]
    if bad or not names:
        print(
            f"convop recsys: unknown model(s) {bad}; expected some of {list(MODELS)}",
            file=sys.stderr,
        )
        return 2
    try:
        if args.synthetic:
            s = synthetic(
                args.users,
                args.items,
                density=args.density,
                feature_signal=args.feature_signal,
                cold_start=args.cold_start,
                seed=args.seed,
                test=args.test,
            )
            train, test = s.train, s.test
        else:
            if args.n_users is None or args.n_items is None:
                print("convop recsys: --csv needs --n-users and --n-items", file=sys.stderr)
                return 2
            data = read_csv(args.csv, args.n_users, args.n_items)
            train, test = data.split(args.test, by=args.by, seed=args.seed)
        try:
            from tqdm import tqdm
        except ImportError:  # progress bars are a nicety

            def tqdm(x, **_):
                return x

        print(f"{'model':12s} {'auc':>7s} {'recall@10':>10s} {'recall@20':>10s} {'ndcg@20':>8s}")
        for name in tqdm(names, desc="models", leave=False):
            m = evaluate(MODELS[name](args.seed).fit(train), test)
            print(
                f"{name:12s} {m['auc']:7.3f} {m['recall@10']:10.3f} "
                f"{m['recall@20']:10.3f} {m['ndcg@20']:8.3f}"
            )
    except (ConvopError, OSError, ValueError) as exc:
        print(f"convop recsys: {exc}", file=sys.stderr)
        return 2
    return 0
