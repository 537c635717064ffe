"""Pooling layers against naive numpy loops, shape tables, gradchecks, reprs and errors."""
import itertools
import math

import numpy as np
import pytest

import dpt
import dpt.nn as nn
import dpt.nn.functional as F
from tests.helpers import assert_close, check_gradients, leaf, randn


def out_len(L, k, s, p, d, ceil):
    num = L + 2 * p - d * (k - 1) - 1
    o = (-(-num // s) if ceil else num // s) + 1
    if ceil and (o - 1) * s >= L + p:
        o -= 1
    return o


def ref_max_pool(x, k, s, p, d, ceil):
    """Loops over output positions: (values, flat indices into each plane)."""
    nd = x.ndim - 2
    sp = x.shape[2:]
    out = [out_len(sp[i], k[i], s[i], p[i], d[i], ceil) for i in range(nd)]
    vals = np.zeros(x.shape[:2] + tuple(out))
    idx = np.zeros(x.shape[:2] + tuple(out), dtype=np.int64)
    for nc in itertools.product(*map(range, x.shape[:2])):
        for pos in itertools.product(*map(range, out)):
            best, arg = -np.inf, -1
            for kk in itertools.product(*map(range, k)):
                q = tuple(pos[i] * s[i] - p[i] + kk[i] * d[i] for i in range(nd))
                if all(0 <= q[i] < sp[i] for i in range(nd)) and x[nc + q] > best:
                    best, arg = x[nc + q], int(np.ravel_multi_index(q, sp))
            vals[nc + pos], idx[nc + pos] = best, arg
    return vals, idx


def ref_avg_pool(x, k, s, p, ceil, include_pad, divisor=None):
    nd = x.ndim - 2
    sp = x.shape[2:]
    out = [out_len(sp[i], k[i], s[i], p[i], 1, ceil) for i in range(nd)]
    y = np.zeros(x.shape[:2] + tuple(out))
    for nc in itertools.product(*map(range, x.shape[:2])):
        for pos in itertools.product(*map(range, out)):
            start = [pos[i] * s[i] - p[i] for i in range(nd)]
            end = [min(start[i] + k[i], sp[i] + p[i]) for i in range(nd)]
            cnt_pad = math.prod(e - b for b, e in zip(start, end))
            lo = [max(b, 0) for b in start]
            hi = [min(e, sp[i]) for i, e in enumerate(end)]
            region = x[nc + tuple(slice(a, b) for a, b in zip(lo, hi))]
            div = divisor or (cnt_pad if include_pad else region.size)
            y[nc + pos] = region.sum() / div
    return y


POOL_CASES = [  # spatial, kernel, stride, padding, dilation, ceil_mode
    ((7,), (3,), (2,), (1,), (1,), True),
    ((8,), (2,), (3,), (0,), (2,), False),
    ((5, 6), (2, 2), (2, 2), (0, 0), (1, 1), False),
    ((7, 6), (3, 2), (2, 1), (1, 1), (1, 2), True),
    ((5, 4, 5), (2, 2, 3), (2, 1, 2), (1, 0, 1), (1, 1, 1), True),
]


@pytest.mark.parametrize("case", POOL_CASES)
def test_max_pool(case):
    sp, k, s, p, d, ceil = case
    nd = len(sp)
    x = randn(2, 3, *sp)
    fn = getattr(F, f"max_pool{nd}d")
    y, i = fn(leaf(x, False), k, s, p, d, ceil_mode=ceil, return_indices=True)
    rv, ri = ref_max_pool(x, k, s, p, d, ceil)
    assert_close(y, rv)
    assert i.dtype == dpt.int64
    np.testing.assert_array_equal(i.numpy(), ri)
    check_gradients(lambda a: fn(a, k, s, p, d, ceil_mode=ceil), x[:1, :2], gradgrad=nd == 2)
    yu = fn(leaf(x[0], False), k, s, p, d, ceil_mode=ceil)  # unbatched
    assert_close(yu, rv[0])


@pytest.mark.parametrize("case", POOL_CASES)
@pytest.mark.parametrize("include_pad", [True, False])
def test_avg_pool(case, include_pad):
    sp, k, s, p, _, ceil = case
    nd = len(sp)
    x = randn(2, 2, *sp)
    fn = getattr(F, f"avg_pool{nd}d")
    y = fn(leaf(x, False), k, s, p, ceil, include_pad)
    assert_close(y, ref_avg_pool(x, k, s, p, ceil, include_pad), atol=1e-12)
    check_gradients(lambda a: fn(a, k, s, p, ceil, include_pad), x[:1], gradgrad=nd == 2)


def test_avg_pool_divisor_override():
    x = randn(1, 2, 5, 6)
    y = F.avg_pool2d(leaf(x, False), 3, 2, 1, divisor_override=4)
    assert_close(y, ref_avg_pool(x, (3, 3), (2, 2), (1, 1), False, True, divisor=4), atol=1e-12)
    with pytest.raises(RuntimeError, match="divisor must be not zero"):
        F.avg_pool2d(leaf(x), 2, divisor_override=0)


SHAPE_TABLE = [  # L, k, s, p, d, ceil -> out (values from torch)
    (28, 2, 2, 0, 1, False, 14), (5, 2, 2, 0, 1, False, 2), (5, 2, 2, 0, 1, True, 3),
    (6, 3, 2, 1, 1, True, 4), (7, 3, 3, 1, 1, True, 3), (10, 3, 1, 1, 2, False, 8),
    (4, 2, 3, 1, 1, True, 2),
]


@pytest.mark.parametrize("L,k,s,p,d,ceil,expected", SHAPE_TABLE)
def test_pool_shape_table(L, k, s, p, d, ceil, expected):
    y = F.max_pool1d(dpt.zeros(1, 1, L), k, s, p, d, ceil_mode=ceil)
    assert y.shape[-1] == expected


def test_adaptive_avg_pool():
    x = randn(2, 3, 7, 5)
    y = F.adaptive_avg_pool2d(leaf(x, False), (3, 2))
    ref = np.zeros((2, 3, 3, 2))
    for i, j in itertools.product(range(3), range(2)):
        h0, h1 = (i * 7) // 3, -(-((i + 1) * 7) // 3)
        w0, w1 = (j * 5) // 2, -(-((j + 1) * 5) // 2)
        ref[:, :, i, j] = x[:, :, h0:h1, w0:w1].mean(axis=(2, 3))
    assert_close(y, ref, atol=1e-12)
    assert F.adaptive_avg_pool2d(leaf(x), (None, 2)).shape == (2, 3, 7, 2)
    assert F.adaptive_avg_pool1d(leaf(x[0]), 4).shape == (3, 7, 4)
    assert F.adaptive_avg_pool3d(leaf(x[:, None]), 2).shape == (2, 1, 2, 2, 2)
    check_gradients(lambda a: F.adaptive_avg_pool2d(a, (3, 2)), x[:1, :1], gradgrad=True)


def test_adaptive_max_pool():
    x = randn(2, 2, 7, 5)
    y, idx = F.adaptive_max_pool2d(leaf(x, False), (3, 2), return_indices=True)
    for i, j in itertools.product(range(3), range(2)):
        h0, h1 = (i * 7) // 3, -(-((i + 1) * 7) // 3)
        w0, w1 = (j * 5) // 2, -(-((j + 1) * 5) // 2)
        win = x[:, :, h0:h1, w0:w1]
        assert_close(y[:, :, i, j], win.max(axis=(2, 3)))
        flat = win.reshape(2, 2, -1).argmax(-1)
        hh, ww = np.unravel_index(flat, win.shape[2:])
        np.testing.assert_array_equal(idx.numpy()[:, :, i, j], (hh + h0) * 5 + ww + w0)
    y1 = F.adaptive_max_pool1d(leaf(x[0, :, 0], False), 3)
    assert y1.shape == (2, 3)
    check_gradients(lambda a: F.adaptive_max_pool2d(a, (3, 2)), x[:1])


def test_lp_pool():
    x = np.abs(randn(1, 2, 6, 5)) + 0.5
    y = F.lp_pool2d(leaf(x, False), 3, (2, 2), stride=(2, 1))
    ref = ref_avg_pool(x ** 3, (2, 2), (2, 1), (0, 0), False, True) * 4
    assert_close(y, ref ** (1 / 3), atol=1e-12)
    y1 = F.lp_pool1d(leaf(x[0], False), 2, 3)
    assert_close(y1, np.sqrt(ref_avg_pool(x[:, :, :, :] ** 2, (1, 3), (1, 3), (0, 0), False,
                                          True)[0] * 3), atol=1e-12)
    check_gradients(lambda a: F.lp_pool2d(a, 2, 2), x)


def test_fractional_max_pool():
    x = randn(2, 2, 9, 8)
    u = np.random.default_rng(1).random((2, 2, 2))
    y, idx = F.fractional_max_pool2d(leaf(x, False), (2, 3), output_size=(4, 3),
                                     return_indices=True, _random_samples=dpt.tensor(u))

    def starts(sample, L, O, k):
        alpha = (L - k) / (O - 1)
        return [int((i + sample) * alpha) - int(sample * alpha) for i in range(O - 1)] + [L - k]
    for n, c in itertools.product(range(2), range(2)):
        hs = starts(u[n, c, 1], 9, 4, 2)
        ws = starts(u[n, c, 0], 8, 3, 3)
        for i, j in itertools.product(range(4), range(3)):
            win = x[n, c, hs[i]:hs[i] + 2, ws[j]:ws[j] + 3]
            assert y[n, c, i, j].item() == win.max()
            a, b = np.unravel_index(win.argmax(), win.shape)
            assert idx[n, c, i, j].item() == (hs[i] + a) * 8 + ws[j] + b
    m = nn.FractionalMaxPool2d(2, output_ratio=0.5)
    assert m(leaf(x)).shape == (2, 2, 4, 4)
    check_gradients(lambda a: F.fractional_max_pool2d(a, 2, (3, 3),
                                                      _random_samples=dpt.tensor(u[:1])), x[:1])
    with pytest.raises(ValueError, match="only one of output_size and output_ratio"):
        nn.FractionalMaxPool2d(2, output_size=3, output_ratio=0.5)


def test_max_unpool():
    x = randn(1, 2, 6, 4)
    y, idx = F.max_pool2d(leaf(x, False), 2, return_indices=True)
    u = F.max_unpool2d(y, idx, 2)
    ref = np.zeros_like(x)
    flat = ref.reshape(1, 2, -1)
    np.put_along_axis(flat, idx.numpy().reshape(1, 2, -1), y.numpy().reshape(1, 2, -1), -1)
    assert_close(u, ref)
    assert F.max_unpool2d(y, idx, 2, output_size=(7, 5)).shape == (1, 2, 7, 5)
    m = nn.MaxUnpool1d(2)
    y1, i1 = F.max_pool1d(leaf(x[0, :, 0], False), 2, return_indices=True)
    assert m(y1, i1).shape == (2, 4)
    check_gradients(lambda a: F.max_unpool2d(a, idx, 2), y.numpy(), gradgrad=True)
    with pytest.raises(ValueError, match="invalid output_size"):
        F.max_unpool2d(y, idx, 2, output_size=(9, 9))


def test_pool_reprs():
    assert repr(nn.MaxPool2d(2)) == \
        "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"
    assert repr(nn.AvgPool1d(3)) == "AvgPool1d(kernel_size=(3,), stride=(3,), padding=(0,))"
    assert repr(nn.AvgPool2d(3, 2, 1)) == "AvgPool2d(kernel_size=3, stride=2, padding=1)"
    assert repr(nn.AdaptiveAvgPool2d((2, None))) == "AdaptiveAvgPool2d(output_size=(2, None))"
    assert repr(nn.MaxUnpool2d(2)) == \
        "MaxUnpool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0))"
    assert repr(nn.LPPool2d(2, 3)) == \
        "LPPool2d(norm_type=2, kernel_size=3, stride=None, ceil_mode=False)"


def test_pool_modules_forward():
    x = leaf(randn(2, 3, 8, 8), False)
    out, idx = nn.MaxPool2d(3, 2, 1, return_indices=True)(x)
    assert out.shape == idx.shape == (2, 3, 4, 4)
    assert nn.AvgPool3d(2)(leaf(randn(1, 1, 4, 4, 4), False)).shape == (1, 1, 2, 2, 2)
    assert nn.AdaptiveMaxPool2d(1, return_indices=True)(x)[0].shape == (2, 3, 1, 1)
    assert nn.MaxPool1d(2)(leaf(randn(3, 6), False)).shape == (3, 3)


def test_pool_errors():
    with pytest.raises(RuntimeError, match="pad should be at most half of effective kernel"):
        F.max_pool2d(dpt.zeros(1, 1, 5, 5), 2, padding=2)
    with pytest.raises(RuntimeError, match=r"Expected 3D or 4D \(batch mode\) tensor"):
        nn.MaxPool2d(2)(dpt.zeros(5, 5))
    with pytest.raises(RuntimeError, match="Output size is too small"):
        F.avg_pool2d(dpt.zeros(1, 1, 2, 2), 3)
    with pytest.raises(RuntimeError, match="Expected shape of indices"):
        F.max_unpool2d(dpt.zeros(1, 1, 2, 2), dpt.zeros(1, 1, 2, 3, dtype=dpt.int64), 2)


def test_max_pool_nan_propagates():
    x = np.array([[[1.0, np.nan, 3.0, 2.0]]])
    y = F.max_pool1d(leaf(x, False), 2)
    assert np.isnan(y[0, 0, 0].item()) and y[0, 0, 1].item() == 3.0


def test_fractional_max_pool3d_picks_window_maxima_and_routes_gradients():
    x = dpt.tensor(np.random.default_rng(0).standard_normal((1, 2, 7, 6, 5)), requires_grad=True)
    samples = dpt.tensor(np.full((1, 2, 3), 0.5))
    y, idx = F.fractional_max_pool3d(x, 2, output_size=(3, 3, 2), return_indices=True,
                                     _random_samples=samples)
    assert y.shape == (1, 2, 3, 3, 2) and idx.dtype == dpt.int64
    flat = x.detach().reshape(1, 2, -1)
    assert dpt.equal(flat.gather(2, idx.reshape(1, 2, -1)).reshape(y.shape), y.detach())
    assert dpt.autograd.gradcheck(lambda t: F.fractional_max_pool3d(t, 2, output_size=(3, 3, 2),
                                                                    _random_samples=samples), (x,))
    assert repr(nn.FractionalMaxPool3d(2, output_ratio=0.5)).startswith("FractionalMaxPool3d(")


@pytest.mark.parametrize("sp, k, s, d", [
    ((6, 8), 2, 2, 1), ((7, 5), 2, 2, 1), ((9, 9), 3, 3, 1), ((10, 10), 2, 3, 2),
    ((9,), 2, 2, 1), ((4, 6, 4), 2, 2, 1)])
def test_max_pool_gradient_goes_to_first_max_on_ties(sp, k, s, d):
    # values-only pools (no indices asked for) route gradients without indices; ties (the
    # zeros after a ReLU) must still send each window's gradient to its first max, as the
    # index path and torch do
    nd = len(sp)
    fn = getattr(F, f"max_pool{nd}d")
    x = np.maximum(np.random.default_rng(1).integers(-2, 3, (2, 3) + sp), 0).astype(np.float32)
    a, b = leaf(x), leaf(x)
    y = fn(a, k, s, dilation=d)
    yi, idx = fn(b, k, s, dilation=d, return_indices=True)
    g = dpt.tensor(np.random.default_rng(2).standard_normal(tuple(y.shape)).astype(np.float32))
    y.backward(g)
    yi.backward(g)
    np.testing.assert_array_equal(y.detach().numpy(), yi.detach().numpy())
    np.testing.assert_array_equal(a.grad.numpy(), b.grad.numpy())
    _, ri = ref_max_pool(x.astype(np.float64), (k,) * nd, (s,) * nd, (0,) * nd, (d,) * nd, False)
    np.testing.assert_array_equal(idx.numpy(), ri)
    # a graph of the gradient (double backward) takes the differentiable index path
    gx, = dpt.autograd.grad(fn(a, k, s, dilation=d), a, g, create_graph=True)
    np.testing.assert_array_equal(gx.detach().numpy(), b.grad.numpy())


def test_max_pool_gradient_edge_values():
    # inf gradients stay where they belong (no inf * 0 = nan elsewhere); an output changed
    # in place after pooling does not change where the gradient goes
    x = leaf(np.array([[[[1.0, 3.0], [3.0, 2.0]]]], dtype=np.float32))
    F.max_pool2d(x, 2).backward(dpt.full((1, 1, 1, 1), float("inf")))
    np.testing.assert_array_equal(x.grad.numpy(), [[[[0, np.inf], [0, 0]]]])
    x.grad = None
    y = F.max_pool2d(x * 1, 2)
    with dpt.no_grad():
        y.mul_(-1)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[[[0, 1], [0, 0]]]])
