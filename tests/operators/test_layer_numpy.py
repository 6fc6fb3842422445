"""ConvLayer against an independent NumPy reference (numpy.pad + an explicit
dilated, strided, grouped cross-correlation): the core's layer tests that run with
NumPy and SciPy only."""

import subprocess
import sys

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

import convop

from helpers import NUMPY_MODE, assert_close


def reference_layer(x, w, stride, padding, dilation, groups, boundary):
    """y[o, i] = sum_{c in group(o), t} w[o, c, t] * xpad[c, i*stride + t*dilation]."""
    d = w.ndim - 2
    xp = np.pad(x, [(0, 0)] + [(p, p) for p in padding], mode=NUMPY_MODE[boundary])
    cout, cin_g = w.shape[:2]
    spatial = xp.shape[1:]
    span = [dl * (q - 1) + 1 for q, dl in zip(w.shape[2:], dilation)]
    out_shape = [(n - s) // st_ + 1 for n, s, st_ in zip(spatial, span, stride)]
    y = np.zeros((cout, *out_shape), dtype=np.result_type(x, w))
    per_group = cout // groups
    for o in range(cout):
        g = o // per_group
        for c in range(cin_g):
            chan = xp[g * cin_g + c]
            for t in np.ndindex(*w.shape[2:]):
                sl = tuple(
                    slice(ti * dl, ti * dl + st_ * (m - 1) + 1, st_)
                    for ti, dl, st_, m in zip(t, dilation, stride, out_shape)
                )
                y[o] += w[(o, c) + t] * chan[sl]
    assert y.ndim == d + 1
    return y


@st.composite
def layers(draw):
    d = draw(st.integers(1, 3))
    groups = draw(st.integers(1, 2))
    cin = groups * draw(st.integers(1, 2))
    cout = groups * draw(st.integers(1, 2))
    k = tuple(draw(st.integers(1, 3)) for _ in range(d))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(d))
    dil = tuple(draw(st.integers(1, 2)) for _ in range(d))
    n = tuple(draw(st.integers(max(2, dl * (q - 1) + 1), 7)) for q, dl in zip(k, dil))
    boundary = draw(st.sampled_from(sorted(NUMPY_MODE)))
    limit = [m - 1 for m in n] if boundary == "reflect" else list(n)
    pad = tuple(draw(st.integers(0, min(3, lim))) for lim in limit)
    return groups, cin, cout, k, stride, dil, n, boundary, pad, draw(st.integers(0, 2**16))


@given(layers())
def test_matches_numpy_reference(case):
    groups, cin, cout, k, stride, dil, n, boundary, pad, seed = case
    rng = np.random.default_rng(seed)
    w = rng.standard_normal((cout, cin // groups, *k))
    x = rng.standard_normal((cin, *n))
    A = convop.ConvLayer(
        w, (cin, *n), stride=stride, padding=pad, dilation=dil, groups=groups, boundary=boundary
    )
    ref = reference_layer(x, w, stride, pad, dil, groups, boundary)
    assert A.output_shape == ref.shape
    assert_close(A(x), ref)
    convop.dottest(A, rtol=1e-10)


def test_float32_stays_float32():
    rng = np.random.default_rng(0)
    w = rng.standard_normal((3, 2, 3, 3)).astype(np.float32)
    x = rng.standard_normal((2, 9, 8)).astype(np.float32)
    A = convop.ConvLayer(w, (2, 9, 8), padding=(1, 1), boundary="symmetric")
    y = A(x)
    assert y.dtype == np.float32
    ref = reference_layer(x.astype(float), w.astype(float), (1, 1), (1, 1), (1, 1), 1, "symmetric")
    assert_close(y, ref, np.float32)


def test_core_does_not_import_torch():
    code = (
        "import sys, numpy as np, convop; "
        "convop.ConvLayer(np.ones((1, 1, 3)), (1, 5))(np.ones((1, 5))); "
        "convop.convolve(np.ones((64, 64)), np.ones((3, 3)), 'same'); "
        "assert 'torch' not in sys.modules, 'torch imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
