"""Conv1d/2d/3d and ConvTranspose1d/2d/3d against naive numpy loops, gradchecks, modules."""
import itertools
import math

import numpy as np
import pytest

import dpt
import dpt.nn as nn
import dpt.nn.functional as F
from tests.helpers import assert_close, check_gradients, leaf, randn


def ref_conv(x, w, b, stride, pad, dil, groups):
    """Direct definition: y[n, o, p] = sum_{c, k} xpad[n, g*Cg + c, p*s + k*d] w[o, c, k]."""
    nd = x.ndim - 2
    xp = np.pad(x, [(0, 0), (0, 0)] + [tuple(p) for p in pad])
    n, cin = x.shape[:2]
    cout, cg = w.shape[:2]
    k = w.shape[2:]
    out = [(xp.shape[2 + i] - dil[i] * (k[i] - 1) - 1) // stride[i] + 1 for i in range(nd)]
    y = np.zeros((n, cout, *out))
    og = cout // groups
    for bn, o in itertools.product(range(n), range(cout)):
        g = o // og
        for pos in itertools.product(*[range(v) for v in out]):
            acc = 0.0
            for c in range(cg):
                for kk in itertools.product(*[range(v) for v in k]):
                    idx = tuple(pos[i] * stride[i] + kk[i] * dil[i] for i in range(nd))
                    acc += xp[(bn, g * cg + c) + idx] * w[(o, c) + kk]
            y[(bn, o) + pos] = acc + (b[o] if b is not None else 0)
    return y


def ref_conv_transpose(x, w, b, stride, pad, out_pad, dil, groups):
    """Scatter definition: every input pixel adds w-weighted copies into the output."""
    nd = x.ndim - 2
    n, cin = x.shape[:2]
    og = w.shape[1]
    k = w.shape[2:]
    cg = cin // groups
    full = [(x.shape[2 + i] - 1) * stride[i] + dil[i] * (k[i] - 1) + 1 + out_pad[i]
            for i in range(nd)]
    y = np.zeros((n, og * groups, *full))
    for bn, c in itertools.product(range(n), range(cin)):
        g = c // cg
        for pos in itertools.product(*[range(v) for v in x.shape[2:]]):
            for o in range(og):
                for kk in itertools.product(*[range(v) for v in k]):
                    idx = tuple(pos[i] * stride[i] + kk[i] * dil[i] for i in range(nd))
                    y[(bn, g * og + o) + idx] += x[(bn, c) + pos] * w[(c, o) + kk]
    crop = tuple(slice(pad[i], full[i] - pad[i]) for i in range(nd))
    y = y[(slice(None), slice(None)) + crop]
    if b is not None:
        y = y + b.reshape((-1,) + (1,) * nd)
    return y


CONV_CASES = [
    # nd, N, Cin, Cout, spatial, kernel, stride, padding, dilation, groups
    (1, 2, 3, 4, (9,), (3,), (2,), (1,), (1,), 1),
    (1, 1, 4, 2, (8,), (2,), (1,), (0,), (3,), 2),
    (2, 2, 2, 4, (5, 6), (3, 2), (1, 2), (1, 0), (1, 1), 1),
    (2, 1, 4, 4, (6, 5), (2, 3), (2, 1), (0, 1), (2, 1), 4),
    (3, 1, 2, 2, (4, 3, 5), (2, 2, 3), (1, 1, 2), (1, 0, 1), (1, 1, 1), 2),
]


@pytest.mark.parametrize("case", CONV_CASES)
def test_conv_forward_and_grad(case):
    nd, n, cin, cout, sp, k, s, p, d, g = case
    x = randn(n, cin, *sp, seed=1)
    w = randn(cout, cin // g, *k, seed=2)
    b = randn(cout, seed=3)
    fn = getattr(F, f"conv{nd}d")
    y = fn(leaf(x, False), leaf(w, False), leaf(b, False), s, p, d, g)
    assert_close(y, ref_conv(x, w, b, s, [(v, v) for v in p], d, g), atol=1e-10)
    # without bias, unbatched
    y1 = fn(leaf(x[0], False), leaf(w, False), None, s, p, d, g)
    assert_close(y1, ref_conv(x[:1], w, None, s, [(v, v) for v in p], d, g)[0], atol=1e-10)
    check_gradients(lambda a, b_, c: fn(a, b_, c, s, p, d, g), x, w, b)


@pytest.mark.parametrize("case", CONV_CASES)
def test_conv_transpose_forward_and_grad(case):
    nd, n, cin, cout, sp, k, s, p, d, g = case
    sp = tuple(max(2, v // 2) for v in sp)
    op = tuple(min(si, di) - 1 for si, di in zip(s, d))
    x = randn(n, cin, *sp, seed=4)
    w = randn(cin, cout // g, *k, seed=5)
    b = randn(cout, seed=6)
    fn = getattr(F, f"conv_transpose{nd}d")
    y = fn(leaf(x, False), leaf(w, False), leaf(b, False), s, p, op, g, d)
    assert_close(y, ref_conv_transpose(x, w, b, s, p, op, d, g), atol=1e-10)
    check_gradients(lambda a, b_, c: fn(a, b_, c, s, p, op, g, d), x, w, b)


def test_double_backward():
    x, w = randn(1, 2, 4, 4, seed=7), randn(4, 1, 2, 2, seed=8)
    check_gradients(lambda a, b: F.conv2d(a, b, stride=2, padding=1, groups=2), x, w,
                    gradgrad=True)
    wt = randn(2, 2, 3, 2, seed=9)
    check_gradients(lambda a, b: F.conv_transpose2d(a, b, stride=2, padding=1,
                                                    output_padding=1), x, wt, gradgrad=True)


@pytest.mark.parametrize("k,d", [(3, 1), (4, 1), (2, 3), (4, 2)])
def test_same_and_valid_padding(k, d):
    x, w = randn(2, 2, 9, seed=1), randn(3, 2, k, seed=2)
    y = F.conv1d(leaf(x, False), leaf(w, False), padding="same", dilation=d)
    total = d * (k - 1)
    assert_close(y, ref_conv(x, w, None, (1,), [(total // 2, total - total // 2)], (d,), 1),
                 atol=1e-10)
    assert y.shape == (2, 3, 9)
    yv = F.conv1d(leaf(x, False), leaf(w, False), padding="valid", dilation=d)
    assert_close(yv, ref_conv(x, w, None, (1,), [(0, 0)], (d,), 1), atol=1e-10)
    check_gradients(lambda a, b: F.conv1d(a, b, padding="same", dilation=d), x, w)


@pytest.mark.parametrize("mode,np_mode", [("reflect", "reflect"), ("replicate", "edge"),
                                          ("circular", "wrap")])
def test_padding_modes(mode, np_mode):
    dpt.manual_seed(0)
    m = nn.Conv2d(2, 3, (3, 2), padding=(2, 1), padding_mode=mode).double()
    x = randn(2, 2, 5, 4, seed=3)
    xp = np.pad(x, [(0, 0), (0, 0), (2, 2), (1, 1)], mode=np_mode)
    ref = ref_conv(xp, m.weight.detach().numpy(), m.bias.detach().numpy(), (1, 1),
                   [(0, 0), (0, 0)], (1, 1), 1)
    assert_close(m(leaf(x, False)), ref, atol=1e-10)
    check_gradients(lambda a: m(a), x)


# (input spatial, kernel, stride, padding, dilation) -> expected output spatial
SHAPES = [((28, 28), 3, 1, 0, 1, (26, 26)), ((28, 28), 3, 2, 1, 1, (14, 14)),
          ((7, 9), (3, 1), (2, 3), (1, 0), (2, 1), (3, 3)), ((5, 5), 5, 1, 0, 1, (1, 1)),
          ((10, 6), 2, 3, 2, 2, (4, 3))]


@pytest.mark.parametrize("sp,k,s,p,d,expected", SHAPES)
def test_conv_shape_table(sp, k, s, p, d, expected):
    y = F.conv2d(dpt.zeros(1, 4, *sp), dpt.zeros(6, 2, *((k, k) if isinstance(k, int) else k)),
                 stride=s, padding=p, dilation=d, groups=2)
    assert tuple(y.shape) == (1, 6) + expected


def test_conv_transpose_output_size():
    m = nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1).double()
    x = leaf(randn(1, 2, 4, 5), False)
    assert m(x).shape == (1, 3, 7, 9)
    y = m(x, output_size=[8, 10])
    assert y.shape == (1, 3, 8, 10)
    ref = ref_conv_transpose(x.numpy(), m.weight.detach().numpy(), m.bias.detach().numpy(),
                             (2, 2), (1, 1), (1, 1), (1, 1), 1)
    assert_close(y, ref, atol=1e-10)
    with pytest.raises(ValueError, match="requested an output size of"):
        m(x, output_size=(10, 10))


def test_conv_module_defaults_and_init():
    m = nn.Conv2d(3, 8, 3)
    assert m.weight.shape == (8, 3, 3, 3) and m.bias.shape == (8,)
    assert m.stride == (1, 1) and m.padding == (0, 0) and m.dilation == (1, 1)
    assert m.groups == 1 and m.padding_mode == "zeros"
    bound = 1 / math.sqrt(27)
    assert float(m.weight.abs().max()) <= bound and float(m.bias.abs().max()) <= bound
    assert float(m.weight.std()) > bound / 4  # actually filled, not zeros
    t = nn.ConvTranspose1d(4, 6, 3, groups=2, bias=False)
    assert t.weight.shape == (4, 3, 3) and t.bias is None
    assert [n for n, _ in nn.Conv3d(1, 2, 2).named_parameters()] == ["weight", "bias"]


def test_conv_reprs():
    assert repr(nn.Conv2d(3, 8, 3)) == "Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1))"
    assert repr(nn.Conv2d(4, 8, (3, 2), stride=2, padding=1, dilation=2, groups=2, bias=False,
                          padding_mode="reflect")) == (
        "Conv2d(4, 8, kernel_size=(3, 2), stride=(2, 2), padding=(1, 1), dilation=(2, 2), "
        "groups=2, bias=False, padding_mode=reflect)")
    assert repr(nn.Conv1d(2, 2, 3, padding="same")) == \
        "Conv1d(2, 2, kernel_size=(3,), stride=(1,), padding=same)"
    assert repr(nn.ConvTranspose2d(4, 8, 3, stride=2, output_padding=1)) == \
        "ConvTranspose2d(4, 8, kernel_size=(3, 3), stride=(2, 2), output_padding=(1, 1))"


def test_conv_errors():
    m = nn.Conv2d(3, 8, 3)
    with pytest.raises(RuntimeError, match=r"expected input\[2, 4, 8, 8\] to have 3 channels, "
                                           r"but got 4 channels"):
        m(dpt.zeros(2, 4, 8, 8))
    with pytest.raises(RuntimeError, match=r"Expected 3D \(unbatched\) or 4D \(batched\) input "
                                           r"to conv2d, but got input of size: \[8, 8\]"):
        m(dpt.zeros(8, 8))
    with pytest.raises(RuntimeError, match="Kernel size can't be greater than actual input"):
        m(dpt.zeros(1, 3, 2, 2))
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.Conv2d(3, 6, 3, groups=2)
    with pytest.raises(ValueError, match="Invalid padding string"):
        nn.Conv2d(3, 6, 3, padding="full")
    with pytest.raises(ValueError, match="padding='same' is not supported for strided"):
        nn.Conv2d(3, 6, 3, padding="same", stride=2)
    with pytest.raises(ValueError, match="padding_mode must be one of"):
        nn.Conv2d(3, 6, 3, padding_mode="mirror")
    with pytest.raises(ValueError, match='Only "zeros" padding mode'):
        nn.ConvTranspose2d(3, 6, 3, padding_mode="reflect")
    with pytest.raises(RuntimeError, match="should be the same"):
        F.conv2d(dpt.zeros(1, 3, 5, 5, dtype=dpt.float64), dpt.zeros(2, 3, 3, 3))
    with pytest.raises(RuntimeError, match="output padding must be smaller"):
        F.conv_transpose1d(dpt.zeros(1, 2, 4), dpt.zeros(2, 2, 3), stride=2, output_padding=2)


def test_conv_float32_and_backward_through_module():
    m = nn.Conv2d(1, 2, 3)
    x = dpt.randn(2, 1, 6, 6, requires_grad=True)
    y = m(x)
    assert y.dtype == dpt.float32 and y.shape == (2, 2, 4, 4)
    y.sum().backward()
    assert m.weight.grad.shape == m.weight.shape and x.grad.shape == x.shape
    assert_close(m.bias.grad, np.full(2, 32.0))


def test_conv_matches_torch():
    torch = pytest.importorskip("torch")
    x, w, b = randn(2, 4, 7, 6), randn(6, 2, 3, 2), randn(6)
    args = dict(stride=(2, 1), padding=(1, 2), dilation=(1, 2), groups=2)
    t = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
    d = [leaf(a) for a in (x, w, b)]
    ty, dy = torch.nn.functional.conv2d(*t, **args), F.conv2d(*d, **args)
    assert_close(dy, ty.detach().numpy(), atol=1e-10)
    g = randn(*ty.shape, seed=5)
    ty.backward(torch.tensor(g))
    dy.backward(dpt.tensor(g))
    for a, c in zip(d, t):
        assert_close(a.grad, c.grad.numpy(), atol=1e-10)
