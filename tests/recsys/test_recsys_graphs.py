"""GCN and LightGCN: sparse propagation against dense formulas, gradcheck, the seed's run."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from convop._core.errors import ConvopValueError
from convop.recsys import (
    GCN,
    Interactions,
    LightGCN,
    Popularity,
    evaluate,
    gcn_embeddings,
    lightgcn_embeddings,
    node_features,
    synthetic,
    torch_adjacency,
)

SEED_A = np.array(
    [[1, np.nan, 1, 0], [np.nan, 1, 0, 1], [1, 0, np.nan, 1], [0, np.nan, 1, 1], [1, 1, 1, np.nan]]
)


def seed_toy():
    rows, cols = np.nonzero(~np.isnan(SEED_A))
    return Interactions(rows, cols, SEED_A[rows, cols], n_users=5, n_items=4)


def dense_rhat(data):
    r = data.to_csr().toarray()
    m, n = r.shape
    a = np.block([[np.zeros((m, m)), r], [r.T, np.zeros((n, n))]])
    deg = a.sum(1)
    d = np.where(deg > 0, 1 / np.sqrt(np.where(deg > 0, deg, 1)), 0)
    return d[:, None] * a * d[None, :]


def graph(seed=0, m=7, n=5):
    rng = np.random.default_rng(seed)
    r = rng.random((m, n)) < 0.35
    r[0] = False  # an isolated user
    u, i = np.nonzero(r)
    x = rng.standard_normal((m, 2))
    return Interactions(
        u, i, n_users=m, n_items=n, user_features=x, item_features=rng.random((n, 3))
    )


def test_propagation_matches_dense_formulas():
    d = graph()
    rh = dense_rhat(d)
    adj = torch_adjacency(d.normalized_adjacency(), "float64")
    rng = np.random.default_rng(1)
    e0 = rng.standard_normal((12, 4))
    w = [rng.standard_normal((4, 4)) for _ in range(2)]
    x = node_features(d)
    wf = rng.standard_normal((5, 4))
    t = lambda a: torch.tensor(a)  # noqa: E731
    got = gcn_embeddings(adj, t(e0), [t(v) for v in w], t(x), t(wf)).numpy()
    want = rh @ ((rh @ (e0 @ w[0] + x @ wf)) @ w[1])
    np.testing.assert_allclose(got, want, atol=1e-12)
    got = lightgcn_embeddings(adj, t(e0), 3).numpy()
    want = (e0 + rh @ e0 + rh @ rh @ e0 + rh @ rh @ rh @ e0) / 4
    np.testing.assert_allclose(got, want, atol=1e-12)
    assert np.all(got[0] == e0[0] / 4)  # the isolated node keeps only its layer 0


def test_gradcheck_float64():
    d = graph(2)
    adj = torch_adjacency(d.normalized_adjacency(), "float64")
    g = torch.Generator().manual_seed(0)
    e0 = torch.randn(12, 3, dtype=torch.float64, generator=g, requires_grad=True)
    w = torch.randn(3, 3, dtype=torch.float64, generator=g, requires_grad=True)
    x = torch.tensor(node_features(d))
    wf = torch.randn(5, 3, dtype=torch.float64, generator=g, requires_grad=True)
    assert torch.autograd.gradcheck(
        lambda a, b, c: gcn_embeddings(adj, a, [b, b], x, c), (e0, w, wf)
    )
    assert torch.autograd.gradcheck(lambda a: lightgcn_embeddings(adj, a, 3), (e0,))


def test_taylor_gcn_training_loss():
    # the loss GCN.fit minimises: first-order Taylor remainder is O(h^2)
    d = seed_toy()
    adj = torch_adjacency(d.normalized_adjacency(), "float64")
    u = torch.from_numpy(np.array(d.users))
    i = torch.from_numpy(np.array(d.items)) + 5
    y = torch.tensor(np.array(d.values))
    g = torch.Generator().manual_seed(3)
    e0 = torch.randn(9, 2, dtype=torch.float64, generator=g, requires_grad=True)
    w = torch.randn(2, 2, dtype=torch.float64, generator=g)

    def loss(e):
        emb = gcn_embeddings(adj, e, [w])
        return (((emb[u] * emb[i]).sum(1) - y) ** 2).mean()

    f0 = loss(e0)
    (grad,) = torch.autograd.grad(f0, e0)
    dirn = torch.randn(9, 2, dtype=torch.float64, generator=g)
    errs = []
    for h in (1e-2, 5e-3, 2.5e-3):
        errs.append(abs(float((loss(e0 + h * dirn) - f0 - h * (grad * dirn).sum()).detach())))
    assert errs[0] / errs[1] == pytest.approx(4, rel=0.1) and errs[1] / errs[2] == pytest.approx(
        4, rel=0.1
    )


def test_gcn_reproduces_the_seed_script():
    """The seed's code, run literally (dense R̂, global seed 0), is the reference."""
    a_clean = np.nan_to_num(SEED_A.astype(np.float32), nan=0.0)
    rr = np.block([[np.zeros((5, 5)), a_clean], [a_clean.T, np.zeros((4, 4))]]).astype(np.float32)
    deg = np.where(rr.sum(axis=1) == 0, 1, rr.sum(axis=1))
    r_hat = torch.tensor(np.diag(1 / np.sqrt(deg)) @ rr @ np.diag(1 / np.sqrt(deg)))
    rows, cols = np.where(~np.isnan(SEED_A))
    y = torch.tensor(SEED_A[rows, cols].astype(np.float32))
    with torch.random.fork_rng():
        torch.manual_seed(0)
        e0 = torch.nn.Parameter(torch.randn(9, 2))
        w = torch.nn.Parameter(torch.randn(2, 2))
    opt = torch.optim.Adam([e0, w], lr=0.01)
    for _ in range(500):
        e1 = r_hat @ e0 @ w
        loss = ((y - (e1[rows] * e1[5 + cols]).sum(1)) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    m = GCN(dim=2, features=False, init_scale=1.0, weight_scale=1.0, epochs=500, seed=0).fit(
        seed_toy()
    )
    np.testing.assert_allclose(m.latent_, e0.detach().numpy(), atol=2e-4)
    np.testing.assert_allclose(m.weights_[0], w.detach().numpy(), atol=2e-4)
    assert m.loss_[-1] == pytest.approx(float(loss), abs=1e-4)


def test_gcn_zero_feature_stream_is_the_plain_model():
    d = seed_toy()
    zero = Interactions(
        d.users,
        d.items,
        d.values,
        n_users=5,
        n_items=4,
        user_features=np.zeros((5, 3)),
        item_features=np.zeros((4, 2)),
    )
    kw = dict(dim=2, epochs=100, init_scale=1.0, weight_scale=1.0, dtype="float64", seed=0)
    plain = GCN(features=False, **kw).fit(d)
    full = GCN(features=True, **kw).fit(zero)
    np.testing.assert_allclose(full.scores(range(5)), plain.scores(range(5)), atol=1e-12)


def test_lightgcn_embeddings_are_the_dense_layer_mean_and_it_learns():
    s = synthetic(120, 60, rank=2, density=0.1, feature_signal=0.0, seed=0)
    m = LightGCN(layers=2, dim=16, epochs=30, lr=0.01, batch_size=256, dtype="float64").fit(s.train)
    rh = dense_rhat(s.train)
    e0 = m.layer0_
    want = (e0 + rh @ e0 + rh @ rh @ e0) / 3
    np.testing.assert_allclose(
        np.vstack([m.user_embeddings_, m.item_embeddings_]), want, atol=1e-12
    )
    assert m.loss_[-1] < m.loss_[0] and len(m.epoch_seconds_) == 30
    got = evaluate(m, s.test)
    assert got["auc"] > evaluate(Popularity().fit(s.train), s.test)["auc"]
    again = LightGCN(layers=2, dim=16, epochs=30, lr=0.01, batch_size=256, dtype="float64").fit(
        s.train
    )
    np.testing.assert_array_equal(again.layer0_, m.layer0_)


def test_gcn_implicit_and_self_loops_for_cold_users():
    s = synthetic(80, 40, rank=2, density=0.1, feature_signal=1.0, cold_start=0.25, seed=0)
    plain = GCN(dim=4, epochs=30).fit(s.train)
    assert np.all(plain.user_embeddings_[s.cold_users] == 0)
    loops = GCN(dim=4, epochs=30, self_loops=True).fit(s.train)
    assert np.abs(loops.user_embeddings_[s.cold_users]).max() > 0


def test_errors():
    with pytest.raises(ConvopValueError, match="invalid dtype='float16'"):
        GCN(dtype="float16")
    with pytest.raises(ConvopValueError, match="invalid layers=0"):
        GCN(layers=0)
    d = Interactions([0], [0], [0.0], n_users=1, n_items=2)
    with pytest.raises(ConvopValueError, match="no positive interaction"):
        LightGCN(epochs=1).fit(d)


def test_scale_benchmark_at_reduced_size():
    # the RSS rows are measured, not asserted: at test sizes torch's own start-up
    # memory dominates them (see benchmarks/results for the full-size numbers)
    from convop._tools.bench_recsys import run, table

    rows = run(size=(1000, 100, 4000), repeats=1)
    by = {r["what"]: r["median_s"] for r in rows}
    assert "LightGCN epoch" in table(rows)
    sparse = by["sparse R̂ (CSR, float64) + E⁰ (float32, d=64) (MB)"]
    assert sparse < 0.2 * by["dense N×N float32 would need (MB)"]
    epoch = next(r for r in rows if r["what"].startswith("LightGCN epoch"))
    assert epoch["median_s"] > 0 and epoch["n"] == 2
    assert all(r["median_s"] >= 0 for r in rows if r["what"].startswith("peak"))
