"""convop.graph.torch layers: dense reference formulas and float64 gradcheck."""

import numpy as np
import pytest
import scipy.linalg

torch = pytest.importorskip("torch")

from convop._core.errors import ConvopTypeError, ConvopValueError  # noqa: E402
from convop.graph import Graph, chebyshev_coefficients, grid, heat, ring, torus_mesh  # noqa: E402
from convop.graph.torch import ChebConv, GCNConv, SpectralConv, to_torch_sparse  # noqa: E402

f64 = torch.float64


def rand(*shape, seed=0):
    return torch.randn(*shape, dtype=f64, generator=torch.Generator().manual_seed(seed))


def random_graph(n=15, seed=0):
    rng = np.random.default_rng(seed)
    A = np.triu(rng.random((n, n)) * (rng.random((n, n)) < 0.4), 1)
    return Graph(A + A.T)


def test_spectral_conv_response_as_function_of_lambda_is_a_matrix_function():
    """θ_i = f(λ_i) makes the layer f(L), whatever basis eigh picked inside eigenspaces."""
    G = torus_mesh(6, 5)
    layer = SpectralConv(G, response="free", dtype=f64)
    lam = layer.eigenvalues
    with torch.no_grad():
        layer.theta.copy_(torch.exp(-0.7 * lam))
    x = rand(30, 2)
    ref = scipy.linalg.expm(-0.7 * G.laplacian("normalized").toarray()) @ x.numpy()
    np.testing.assert_allclose(layer(x).detach().numpy(), ref, atol=1e-12)
    sig = SpectralConv(G, dtype=f64)
    U, h = sig.U.numpy(), torch.sigmoid(sig.theta).detach().numpy()
    np.testing.assert_allclose(sig(x).detach().numpy(), U @ (h[:, None] * (U.T @ x.numpy())))
    assert sig(x[:, 0]).shape == (30,)
    assert sig(torch.stack([x, 2 * x])).shape == (2, 30, 2)


def test_spectral_conv_k_lowest_and_gradcheck():
    G = random_graph()
    layer = SpectralConv(G, 6, dtype=f64)
    e = np.linalg.eigvalsh(G.laplacian("normalized").toarray())[:6]
    np.testing.assert_allclose(layer.eigenvalues.numpy(), e, atol=1e-12)
    x = rand(15, 3).requires_grad_()
    theta = layer.theta.detach().clone().requires_grad_()

    def f(x, t):
        return torch.func.functional_call(layer, {"theta": t}, (x,))

    assert torch.autograd.gradcheck(f, (x, theta))
    with pytest.raises(ConvopValueError, match=r"invalid response='relu'"):
        SpectralConv(G, response="relu")
    with pytest.raises(ConvopValueError, match=r"x must have shape \(15, F\)"):
        layer(rand(14, 2))
    with pytest.raises(ConvopTypeError, match="Graph"):
        SpectralConv(np.eye(3))


def test_spectral_conv_forward_gradcheck_through_module():
    G = ring(10)
    layer = SpectralConv(G, response="sigmoid", dtype=f64)
    x = rand(10, 2).requires_grad_()
    assert torch.autograd.gradcheck(layer, (x,))
    loss = layer(x).square().sum()
    loss.backward()
    assert layer.theta.grad is not None and layer.theta.grad.shape == (10,)


@pytest.mark.parametrize("order", [0, 1, 4])
def test_chebconv_dense_reference(order):
    G = random_graph(12, seed=3)
    L = G.laplacian().toarray()
    lmax = G.lmax()
    conv = ChebConv(3, 2, order, lmax=lmax, kind="combinatorial", dtype=f64)
    x = rand(12, 3)
    Lt = 2 * L / lmax - np.eye(12)
    T = [np.eye(12), Lt]
    while len(T) < order + 1:
        T.append(2 * Lt @ T[-1] - T[-2])
    W = conv.weight.detach().numpy()
    ref = sum(T[k] @ x.numpy() @ W[k] for k in range(order + 1)) + conv.bias.detach().numpy()
    for lap in (G, G.laplacian(), torch.as_tensor(L), to_torch_sparse(L, dtype=f64)):
        np.testing.assert_allclose(conv(x, lap).detach().numpy(), ref, atol=1e-12)
    xb = rand(2, 12, 3)
    np.testing.assert_allclose(conv(xb, G)[1].detach().numpy(), conv(xb[1], G).detach().numpy())


def test_chebconv_with_chebyshev_coefficients_is_graph_filter():
    G = grid(5, 6)
    lmax = G.lmax()
    conv = ChebConv(1, 1, 20, lmax=lmax, bias=False, kind="combinatorial", dtype=f64)
    with torch.no_grad():
        conv.weight.copy_(
            torch.as_tensor(chebyshev_coefficients(heat(1.0), 20, lmax))[:, None, None]
        )
    x = np.random.default_rng(0).standard_normal(30)
    y = conv(torch.as_tensor(x)[:, None], G)[:, 0].detach().numpy()
    np.testing.assert_allclose(y, G.filter(x, heat(1.0), "chebyshev", 20, lmax=lmax), atol=1e-12)
    np.testing.assert_allclose(y, G.filter(x, heat(1.0), "exact"), atol=1e-8)


def test_chebconv_gradcheck_and_lmax_guard():
    G = ring(8)
    conv = ChebConv(2, 3, 3, dtype=f64)  # normalized Laplacian, lmax = 2
    x = rand(8, 2).requires_grad_()
    assert torch.autograd.gradcheck(lambda x: conv(x, G), (x,))
    assert torch.autograd.gradcheck(
        lambda w: torch.nn.functional.linear(conv(x, G), torch.eye(3, dtype=f64)) * w.sum(),
        (conv.weight,),
    )
    with pytest.raises(ConvopValueError, match=r"invalid lmax=2\.0: below this graph's largest"):
        ChebConv(2, 3, 3, kind="combinatorial", dtype=f64)(x, G)  # combinatorial lmax = 4
    with pytest.raises(ConvopValueError, match=r"invalid order=-1"):
        ChebConv(2, 3, -1)
    with pytest.raises(ConvopValueError, match=r"x must have 2 channels"):
        conv(rand(8, 3), G)


def test_gcnconv_dense_reference_and_gradcheck():
    G = random_graph(10, seed=5)
    A = G.adjacency.toarray()
    At = A + np.eye(10)
    d = At.sum(1)
    Ahat = At / np.sqrt(np.outer(d, d))
    conv = GCNConv(4, 3, dtype=f64)
    x = rand(10, 4)
    ref = Ahat @ x.numpy() @ conv.weight.detach().numpy() + conv.bias.detach().numpy()
    for adj in (G, A, torch.as_tensor(A), torch.as_tensor(A).to_sparse()):
        np.testing.assert_allclose(conv(x, adj).detach().numpy(), ref, atol=1e-12)
    xg = x.clone().requires_grad_()
    assert torch.autograd.gradcheck(lambda x: conv(x, G), (xg,))
    assert torch.autograd.gradcheck(lambda x: conv(x, torch.as_tensor(A)), (xg,))
    assert conv(torch.stack([x, x]), G).shape == (2, 10, 3)
    with pytest.raises(ConvopValueError, match=r"x has 9 nodes but the adjacency is \(10, 10\)"):
        conv(rand(9, 4), G)


def test_layers_follow_dtype_and_state_dict():
    G = ring(6)
    layer = SpectralConv(G, 3)
    assert layer.U.dtype == torch.get_default_dtype()
    layer = layer.double()
    assert layer.U.dtype == f64 and layer.theta.dtype == f64
    assert set(layer.state_dict()) == {"U", "eigenvalues", "theta"}
    conv = ChebConv(2, 2, 2).double()
    assert conv(rand(6, 2), G).dtype == f64
