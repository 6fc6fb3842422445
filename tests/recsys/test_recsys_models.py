"""MF, TensorCP, Tabular, Popularity: update rules, gradients, reductions, public surface."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from convop._core.errors import ConvopTypeError, ConvopValueError
from convop.recsys import MF, Interactions, Popularity, Tabular, TensorCP, evaluate, synthetic


def toy(features=True, seed=0):
    rng = np.random.default_rng(seed)
    u = np.repeat(np.arange(6), 5)
    i = np.tile(np.arange(5), 6)
    y = (rng.random(30) < 0.5).astype(float)
    kw = {}
    if features:
        kw = dict(
            user_features=rng.standard_normal((6, 2)), item_features=rng.standard_normal((5, 3))
        )
    return Interactions(u, i, y, n_users=6, n_items=5, **kw)


def test_mf_vectorized_with_batch_one_is_the_literal_loop():
    d = toy()
    kw = dict(rank=3, reg=0.05, reg_features=0.01, lr=0.05, epochs=4, seed=2)
    a = MF(solver="sgd", **kw).fit(d)
    b = MF(solver="vectorized", batch_size=1, **kw).fit(d)
    np.testing.assert_allclose(a.user_factors_, b.user_factors_, rtol=0, atol=1e-13)
    np.testing.assert_allclose(a.beta_item_, b.beta_item_, rtol=0, atol=1e-13)
    assert a.loss_ == pytest.approx(b.loss_, abs=1e-13)


def test_mf_full_batch_step_is_minus_lr_times_torch_gradient():
    # one vectorised step on all pairs = the seed's rules = gradient descent on
    # ½Σe² + ½λΣ(‖p_u‖² + ‖q_i‖²) (per pair), β on the batch mean
    d = toy()
    lr, lam = 1e-3, 0.1
    m = MF(rank=2, reg=lam, lr=lr, epochs=1, batch_size=10_000, seed=4).fit(d)
    rng = np.random.default_rng(4)
    p0 = rng.normal(0, 0.1, (6, 2))
    q0 = rng.normal(0, 0.1, (5, 2))
    order = rng.permutation(30)  # the fit's shuffle (order does not matter for one step)
    assert order.size == 30
    p = torch.tensor(p0, requires_grad=True)
    q = torch.tensor(q0, requires_grad=True)
    bu = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    bi = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    u, i = torch.from_numpy(np.array(d.users)), torch.from_numpy(np.array(d.items))
    xu, xi = torch.tensor(d.user_features), torch.tensor(d.item_features)
    y = torch.from_numpy(np.array(d.values))
    e = y - (p[u] * q[i]).sum(1) - xu[u] @ bu - xi[i] @ bi
    loss = 0.5 * (e**2).sum() + 0.5 * lam * ((p[u] ** 2).sum() + (q[i] ** 2).sum())
    loss.backward()
    np.testing.assert_allclose(m.user_factors_, p0 - lr * p.grad.numpy(), atol=1e-14)
    np.testing.assert_allclose(m.item_factors_, q0 - lr * q.grad.numpy(), atol=1e-14)
    np.testing.assert_allclose(m.beta_user_, -lr * bu.grad.numpy() / 30, atol=1e-14)


def test_mf_reductions_beta_to_zero():
    d = toy()
    plain = MF(rank=2, side_features=False, epochs=20, seed=1).fit(d)
    # zero features: β gets no gradient, the trajectory is the plain model's
    zero = Interactions(
        d.users,
        d.items,
        d.values,
        n_users=6,
        n_items=5,
        user_features=np.zeros((6, 2)),
        item_features=np.zeros((5, 3)),
    )
    same = MF(rank=2, side_features=True, epochs=20, seed=1).fit(zero)
    np.testing.assert_array_equal(same.scores(np.arange(6)), plain.scores(np.arange(6)))
    # an ever larger penalty on β drives the full model to the plain one
    gaps = []
    for lf in (0.0, 10.0, 190.0):  # lr · lf < 1 keeps the β recursion stable
        full = MF(rank=2, epochs=20, seed=1, reg_features=lf, lr=0.005).fit(d)
        ref = MF(rank=2, side_features=False, epochs=20, seed=1, lr=0.005).fit(d)
        gaps.append(np.abs(full.scores(np.arange(6)) - ref.scores(np.arange(6))).max())
    assert gaps[0] > gaps[1] > gaps[2] and gaps[2] < 0.1 * gaps[0], gaps


def test_mf_cold_users_are_scored_by_features_only():
    s = synthetic(80, 40, rank=2, density=0.1, feature_signal=1.0, cold_start=0.25, seed=0)
    m = MF(rank=3, epochs=5).fit(s.train)
    assert np.all(m.user_factors_[s.cold_users] == 0)
    sc = m.scores(s.cold_users)
    np.testing.assert_allclose(
        sc,
        (s.data.user_features[s.cold_users] @ m.beta_user_)[:, None]
        + (s.data.item_features @ m.beta_item_ + m.item_bias_)[None, :],
    )
    assert np.all(m.user_bias_[s.cold_users] == 0)


def test_mf_biases_fix_chance_level_on_sparse_implicit_data():
    # 3% density, no feature signal: without biases MF memorised each user's few pairs
    # and ranked at chance (AUC 0.41 on this seed); the reference is a truncated SVD
    # of the same training matrix (it sees popularity through its first component)
    from sklearn.decomposition import TruncatedSVD

    s = synthetic(150, 80, rank=4, density=0.03, feature_signal=0.0, seed=0)
    r = s.train.to_csr()
    svd = TruncatedSVD(8, random_state=0).fit(r)

    class Fixed(Popularity):
        def _scores(self, u, t):
            return svd.inverse_transform(svd.transform(r[u]))

    ref = evaluate(Fixed().fit(s.train), s.test)["auc"]
    kw = dict(rank=8, epochs=20, lr=0.05, reg=0.01, seed=0)
    plain = evaluate(MF(biases=False, **kw).fit(s.train), s.test)["auc"]
    biased = evaluate(MF(**kw).fit(s.train), s.test)["auc"]
    assert plain < 0.5 < ref - 0.05 and biased > ref - 0.02, (plain, biased, ref)


def test_tensor_cp_loss_decreases_and_recovers_planted_tensor():
    rng = np.random.default_rng(0)
    U, V, T = rng.standard_normal((6, 2)), rng.standard_normal((5, 2)), rng.standard_normal((3, 2))
    full = np.einsum("ur,ir,tr->uit", U, V, T)
    u, i, t = (a.ravel() for a in np.meshgrid(range(6), range(5), range(3), indexing="ij"))
    keep = rng.random(u.size) < 0.8
    d = Interactions(u[keep], i[keep], full[u, i, t][keep], n_users=6, n_items=5, times=t[keep])
    m = TensorCP(rank=2, reg=1e-6, sweeps=200, lambda_user=0, lambda_item=0, init_scale=1.0).fit(d)
    assert np.all(np.diff(m.loss_) <= 1e-9 * m.loss_[0])
    pred = m.predict(u, i, t)
    assert np.abs(pred - full[u, i, t]).max() < 1e-2 * np.abs(full).max()
    # without times, predict uses the last time step
    np.testing.assert_allclose(m.predict([0], [0]), m.predict([0], [0], [2]))


def test_tensor_cp_cold_user_gets_the_feature_ridge_solution():
    s = synthetic(60, 30, rank=2, density=0.15, feature_signal=1.0, cold_start=0.2, seed=1)
    m = TensorCP(rank=3, lambda_user=2.0, reg=0.5, sweeps=5).fit(s.train)
    c = s.cold_users
    P, x = m.user_projection_, s.data.user_features[c]
    want = np.linalg.solve(2.0 * P @ P.T + 0.5 * np.eye(3), 2.0 * P @ x.T).T
    np.testing.assert_allclose(m.user_factors_[c], want, atol=1e-10)
    assert np.abs(want).max() > 1e-3


def test_tensor_cp_time_matters_when_preferences_drift():
    s = synthetic(150, 60, rank=2, density=0.2, feature_signal=0.0, n_times=4, drift=1.0, seed=0)
    with_time = evaluate(
        TensorCP(rank=4, sweeps=10, lambda_user=0, lambda_item=0).fit(s.train), s.test
    )
    mf = evaluate(MF(rank=4, epochs=40).fit(s.train), s.test)
    assert with_time["recall@20"] > mf["recall@20"]


def test_tabular_learns_feature_driven_preferences():
    s = synthetic(150, 60, rank=2, density=0.1, feature_signal=1.0, cold_start=0.3, seed=0)
    tab = evaluate(Tabular(max_iter=60, seed=0).fit(s.train), s.test)
    pop = evaluate(Popularity().fit(s.train), s.test)
    assert tab["auc"] > pop["auc"] + 0.02
    # ratings use the regressor
    r = Interactions(
        [0, 0, 1, 1] * 10, list(range(40)), np.arange(40.0) % 5 + 1, n_users=2, n_items=40
    )
    m = Tabular(max_iter=10, min_samples_leaf=2).fit(r)
    assert not m.classify_ and m.predict([0], [1]).shape == (1,)


def test_popularity_counts_and_damped_means():
    d = Interactions([0, 1, 2, 0], [1, 1, 1, 2], n_users=3, n_items=3)
    np.testing.assert_allclose(
        Popularity().fit(d).scores([0])[0], np.bincount([1, 1, 1, 2], minlength=3) / 3
    )
    r = Interactions([0, 1, 2], [0, 0, 1], [5.0, 3.0, 1.0], n_users=3, n_items=2)
    sc = Popularity(damping=1.0).fit(r).scores([0])[0]
    np.testing.assert_allclose(sc, [(8 + 3) / 3, (1 + 3) / 2])


@pytest.mark.parametrize(
    "make",
    [
        lambda: MF(rank=2, epochs=3),
        lambda: TensorCP(rank=2, sweeps=2),
        lambda: Tabular(max_iter=5),
        lambda: Popularity(),
    ],
)
def test_public_surface(make):
    s = synthetic(40, 25, rank=2, density=0.15, seed=3)
    a, b = make().fit(s.train), make().fit(s.train)
    users = np.arange(40)
    np.testing.assert_array_equal(a.scores(users), b.scores(users))  # seeded and reproducible
    sc = a.scores(users)
    np.testing.assert_allclose(a.predict([1, 2], [3, 4]), sc[[1, 2], [3, 4]], atol=1e-12)
    rec = a.recommend(users, k=5)
    seen = s.train.observed().toarray()
    assert rec.shape == (40, 5)
    for u in range(40):
        valid = rec[u][rec[u] >= 0]
        assert not seen[u, valid].any()
        assert np.all(np.diff(sc[u, valid]) <= 0)
    assert a.recommend([0], k=25, exclude_seen=False).tolist()[0] != [-1] * 25
    full = a.recommend([0], k=25)
    assert (full == -1).sum() == seen[0].sum()
    with pytest.raises(ConvopValueError, match="invalid k=26"):
        a.recommend([0], k=26)
    with pytest.raises(ConvopValueError, match="invalid users=40"):
        a.predict([40], [0])
    with pytest.raises(ConvopValueError, match="not fitted"):
        make().recommend([0])


def test_constructor_and_fit_errors():
    with pytest.raises(ConvopValueError, match="invalid solver='adam'"):
        MF(solver="adam")
    with pytest.raises(ConvopValueError, match="invalid rank=0"):
        MF(rank=0)
    with pytest.raises(ConvopTypeError, match="epochs must be an int"):
        MF(epochs=2.5)
    with pytest.raises(ConvopValueError, match="invalid lr=-1"):
        MF(lr=-1)
    with pytest.raises(ConvopValueError, match="invalid reg=0"):
        TensorCP(reg=0)
    with pytest.raises(ConvopTypeError, match="data must be an Interactions"):
        MF().fit(np.ones((3, 3)))
    empty = Interactions(np.array([], int), np.array([], int), n_users=2, n_items=2)
    with pytest.raises(ConvopValueError, match="data holds no interactions"):
        Popularity().fit(empty)


def test_mf_bias_step_stays_stable_for_a_popular_item_in_a_large_batch():
    # item 0 is in 400 of the pairs of one batch: summed bias steps (400 α) diverged
    u = np.arange(400)
    d = Interactions(u, np.zeros(400, int), n_users=400, n_items=3)
    m = MF(rank=2, epochs=5, lr=0.05, batch_size=10_000).fit(d)
    assert np.all(np.isfinite(m.loss_)) and m.loss_[-1] < m.loss_[0]
    assert 0 < m.item_bias_[0] < 1.5
