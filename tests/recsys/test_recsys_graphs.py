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


# --------------------------------------------------------- the fast LightGCN path
def test_propagation_function_gradcheck_and_dense_adjoint():
    from convop.recsys._graphs import _propagation

    d = graph(3)
    rh = dense_rhat(d)
    adj = torch_adjacency(d.normalized_adjacency(), "float64")
    assert adj.crow_indices().dtype == torch.int32
    g = torch.Generator().manual_seed(1)
    for k in range(4):
        prop = _propagation(adj, k)
        e0 = torch.randn(12, 3, dtype=torch.float64, generator=g, requires_grad=True)
        assert torch.autograd.gradcheck(prop, (e0,))
        poly = sum(np.linalg.matrix_power(rh, p) for p in range(k + 1)) / (k + 1)
        np.testing.assert_allclose(
            prop(e0).detach().numpy(), poly @ e0.detach().numpy(), atol=1e-12
        )
        w = torch.randn(12, 3, dtype=torch.float64, generator=g)
        (prop(e0) * w).sum().backward()
        np.testing.assert_allclose(e0.grad.numpy(), poly.T @ w.numpy(), atol=1e-12)


def test_spmm_threads_are_left_alone_by_default():
    # torch's intra-op thread count is process-wide: lowering it would slow the
    # caller's other threads, so by default convop never touches it
    from convop.recsys import _graphs

    old = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        with _graphs._spmm_threads():
            assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(old)


def test_spmm_threads_are_lowered_only_inside_and_restored():
    import convop
    from convop.recsys import _graphs

    adj = torch_adjacency(graph().normalized_adjacency(), "float64")
    old = torch.get_num_threads()
    seen = []

    class Probe(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            seen.append(torch.get_num_threads())
            return g

    try:
        torch.set_num_threads(2)
        with convop.options(blas_threads="single"):
            with _graphs._spmm_threads():
                assert torch.get_num_threads() == 1
            assert torch.get_num_threads() == 2
            with pytest.raises(RuntimeError, match="boom"), _graphs._spmm_threads():
                raise RuntimeError("boom")
            assert torch.get_num_threads() == 2
            e0 = torch.ones(12, 2, dtype=torch.float64, requires_grad=True)
            lightgcn_embeddings(adj, Probe.apply(e0), 2).sum().backward()
            assert torch.get_num_threads() == 2 and seen == [2]
            torch.set_num_threads(1)  # a count the user set at or below the limit is kept
            with _graphs._spmm_threads():
                assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(old)


def test_cached_member_keys_draw_the_same_negatives():
    from convop.recsys._base import member_keys, sample_negatives

    s = synthetic(50, 30, rank=2, density=0.3, feature_signal=0.0, seed=1)
    seen = s.train.observed()
    users = np.random.default_rng(0).integers(0, 50, 400)
    a = sample_negatives(users, seen, 30, 2, np.random.default_rng(5))
    b = sample_negatives(users, seen, 30, 2, np.random.default_rng(5), keys=member_keys(seen))
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)
    assert not seen[a[0], a[1]].any()


def _lightgcn_dense_reference(data, layers, dim, lr, epochs, batch_size, reg, init_scale, seed):
    """The LightGCN training loop before the fast path, on a dense R̂: K chained
    products under autograd, three gathers, the uncached negative sampler, plain Adam."""
    from convop.recsys._base import sample_negatives

    gen = torch.Generator().manual_seed(seed)
    rng = np.random.default_rng(seed)
    pos = data.positive
    pu, pi = data.users[pos], data.items[pos]
    nu, n = data.n_users, data.n_users + data.n_items
    rh = torch.tensor(dense_rhat(data))
    e0 = (torch.randn(n, dim, generator=gen, dtype=torch.float64) * init_scale).requires_grad_()
    opt = torch.optim.Adam([e0], lr=lr)
    seen = data.observed()

    def embed(x):
        total, e = x, x
        for _ in range(layers):
            e = rh @ e
            total = total + e
        return total / (layers + 1)

    losses = []
    for _ in range(epochs):
        order = rng.permutation(pu.size)
        total, count = 0.0, 0
        for s in range(0, order.size, batch_size):
            b = order[s : s + batch_size]
            bu, bi = pu[b], pi[b]
            _, sj, kept = sample_negatives(bu, seen, data.n_items, 1, rng)
            bu, bi = bu[kept], bi[kept]
            ut, it, jt = (torch.from_numpy(v) for v in (bu, bi + nu, sj + nu))
            e = embed(e0)
            xu, xi, xj = e[ut], e[it], e[jt]
            loss = torch.nn.functional.softplus(-((xu * xi).sum(1) - (xu * xj).sum(1))).mean()
            r0 = e0[ut].pow(2).sum() + e0[it].pow(2).sum() + e0[jt].pow(2).sum()
            loss = loss + reg * 0.5 * r0 / max(bu.size, 1)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.detach()) * bu.size
            count += bu.size
        losses.append(total / count)
    with torch.no_grad():
        e = embed(e0).numpy()
    return losses, e0.detach().numpy(), e


def test_lightgcn_fit_matches_the_dense_reference_loop():
    s = synthetic(90, 40, rank=2, density=0.15, feature_signal=0.0, seed=4)
    kw = dict(layers=3, dim=8, lr=0.01, epochs=12, batch_size=64, reg=1e-3, init_scale=0.1)
    m = LightGCN(**kw, dtype="float64", seed=7).fit(s.train)
    losses, layer0, e = _lightgcn_dense_reference(s.train, **kw, seed=7)
    np.testing.assert_allclose(m.loss_, losses, rtol=1e-9)
    np.testing.assert_allclose(m.layer0_, layer0, rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(np.vstack([m.user_embeddings_, m.item_embeddings_]), e, atol=1e-10)
    again = LightGCN(**kw, dtype="float64", seed=7).fit(s.train)
    np.testing.assert_array_equal(again.layer0_, m.layer0_)
    np.testing.assert_array_equal(again.loss_, m.loss_)
