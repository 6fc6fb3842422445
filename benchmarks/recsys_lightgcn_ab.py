"""Before/after of LightGCN's batch components, interleaved in one process.

    git archive be1d335 src | tar -x -C /tmp/old     # the code before the fast path
    PYTHONPATH=src python benchmarks/recsys_lightgcn_ab.py 11 /tmp/old/src/convop/recsys/_graphs.py

Times, for one batch of 16384 pairs at 10^5 users x 10^4 items, 10^6 pairs, K=3, d=64:
one propagation, forward+backward, the Adam step, negative sampling and a whole batch
step, old and new alternating (the machine's load hits both alike). Reported in
benchmarks/results/convop-bench-recsys-2026-12-06.txt.
"""

import importlib.util
import sys
import time
from statistics import median

import numpy as np
import torch

import convop
from convop._tools.bench_recsys import _data
from convop.recsys import _graphs as new
from convop.recsys._base import member_keys, sample_negatives

spec = importlib.util.spec_from_file_location("old_graphs", sys.argv[2])
old = importlib.util.module_from_spec(spec)
spec.loader.exec_module(old)
R = int(sys.argv[1])
data = _data(100_000, 10_000, 1_000_000)
adjs = data.normalized_adjacency()
nu, n, B = data.n_users, data.n_users + data.n_items, 16384
a_old, a_new = old.torch_adjacency(adjs, "float32"), new.torch_adjacency(adjs, "float32")
print(a_old.crow_indices().dtype, a_new.crow_indices().dtype, torch.get_num_threads())
g = torch.Generator().manual_seed(0)
e0o = (torch.randn(n, 64, generator=g) * 0.1).requires_grad_()
e0n = e0o.detach().clone().requires_grad_()
opt_o = torch.optim.Adam([e0o], lr=1e-3)
opt_n = new._adam([e0n], 1e-3)
print("fused:", opt_n.defaults.get("fused"))
prop = new._propagation(a_new, 3)
seen = data.observed()
keys = member_keys(seen)
pu, pi = data.users, data.items
rng = np.random.default_rng(0)


def batch():
    b = rng.integers(0, pu.size, B)
    return pu[b], pi[b]


def fb_old(bu, bi, sj):
    ut, it, jt = torch.from_numpy(bu), torch.from_numpy(bi + nu), torch.from_numpy(sj + nu)
    e = old.lightgcn_embeddings(a_old, e0o, 3)
    xu, xi, xj = e[ut], e[it], e[jt]
    loss = torch.nn.functional.softplus(-((xu * xi).sum(1) - (xu * xj).sum(1))).mean()
    loss = (
        loss
        + 1e-4
        * 0.5
        * (e0o[ut].pow(2).sum() + e0o[it].pow(2).sum() + e0o[jt].pow(2).sum())
        / bu.size
    )
    opt_o.zero_grad()
    loss.backward()


def fb_new(bu, bi, sj):
    m = bu.size
    idx = torch.from_numpy(np.concatenate([bu, bi + nu, sj + nu]))
    x = prop(e0n)[idx]
    xu, xi, xj = x[:m], x[m : 2 * m], x[2 * m :]
    loss = torch.nn.functional.softplus(-(xu * (xi - xj)).sum(1)).mean()
    loss = loss + 1e-4 * 0.5 * e0n[idx].pow(2).sum() / m
    opt_n.zero_grad()
    loss.backward()


def step_old():
    bu, bi = batch()
    _, sj, k = sample_negatives(bu, seen, data.n_items, 1, rng)
    fb_old(bu[k], bi[k], sj)
    opt_o.step()


def step_new():
    bu, bi = batch()
    _, sj, k = sample_negatives(bu, seen, data.n_items, 1, rng, keys=keys)
    fb_new(bu[k], bi[k], sj)
    opt_n.step()


te = e0n.detach()


def p_new1():
    with convop.options(blas_threads="single"), new._spmm_threads():
        a_new @ te


bu0, bi0 = batch()
_, sj0, k0 = sample_negatives(bu0, seen, data.n_items, 1, rng)
bu0, bi0 = bu0[k0], bi0[k0]
fb_old(bu0, bi0, sj0)
fb_new(bu0, bi0, sj0)
cases = {
    "propagate old (int64, 2 thr)": lambda: a_old @ te,
    "propagate int32, 2 thr": lambda: a_new @ te,
    "propagate new (int32, 1 thr)": p_new1,
    "fwd+bwd K=3 old": lambda: fb_old(bu0, bi0, sj0),
    "fwd+bwd K=3 new": lambda: fb_new(bu0, bi0, sj0),
    "adam old (default)": lambda: opt_o.step(),
    "adam new (fused)": lambda: opt_n.step(),
    "sample_negatives old": lambda: sample_negatives(bu0, seen, data.n_items, 1, rng),
    "sample_negatives new (cached keys)": lambda: sample_negatives(
        bu0, seen, data.n_items, 1, rng, keys=keys
    ),
    "batch step old": step_old,
    "batch step new": step_new,
}
ts = {k: [] for k in cases}
for r in range(R):
    for k, f in cases.items():
        t0 = time.perf_counter()
        f()
        ts[k].append(time.perf_counter() - t0)
    print("rep", r, flush=True)
nb = -(-985613 // B)
for k, v in ts.items():
    print(
        f"{k:40s} median {median(v) * 1e3:8.1f} ms  spread {(max(v) - min(v)) * 1e3:7.1f}"
        f"  min {min(v) * 1e3:7.1f}  n={len(v)}"
    )
for k in ("batch step old", "batch step new"):
    print(f"epoch estimate {k}: {nb} x median = {nb * median(ts[k]):.1f} s")
