"""The chunked convolution paths (issue 14): forward without kept columns, the weight gradient
that rebuilds its columns chunk by chunk, the chunked input gradient (ConvTranspose with one
group) and col2im's stored centre tap. Each is checked against a numpy reference and torch
in forward, against torch in backward, and by gradcheck in float64, with small chunks so that
several chunks (and a ragged last one) run; stride/padding/dilation/groups variants that take
the general paths are checked the same way."""
import numpy as np
import pytest

import dpt
import dpt.nn.functional as F
from dpt.autograd import gradcheck, gradgradcheck
from dpt.nn.functional import conv as C


def ref_conv2d(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    """Direct convolution in numpy: out[n, o, i, j] = sum w[o, c, k] * xpad[n, c, i*s + k*d]."""
    pair = lambda v: tuple(v) if isinstance(v, tuple) else (v, v)
    (ph, pw), (dh, dw), (sh, sw) = pair(padding), pair(dilation), pair(stride)
    n, cin, h, wd = x.shape
    cout, cg, kh, kw = w.shape
    xp_ = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (wd + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    og = cout // groups
    out = np.zeros((n, cout, oh, ow), dtype=np.float64)
    for g in range(groups):
        xs = xp_[:, g * cg:(g + 1) * cg]
        for ky in range(kh):
            for kx in range(kw):
                win = xs[:, :, ky * dh:ky * dh + (oh - 1) * sh + 1:sh,
                         kx * dw:kx * dw + (ow - 1) * sw + 1:sw]
                out[:, g * og:(g + 1) * og] += np.einsum("nchw,oc->nohw", win,
                                                         w[g * og:(g + 1) * og, :, ky, kx])
    if b is not None:
        out += b.reshape(1, -1, 1, 1)
    return out


@pytest.fixture(params=[1, 3000, 1 << 30], ids=["chunk1", "chunk-ragged", "one-chunk"])
def chunk(request, monkeypatch):
    monkeypatch.setattr(C, "_CHUNK_BYTES", request.param)
    return request.param


# the cases: (x shape, w shape, stride, padding, dilation, groups); the first two take the
# chunked paths (one group, columns larger than the output), the others the general ones
CASES = [
    ((5, 4, 9, 9), (3, 4, 3, 3), 1, 1, 1, 1),       # 'same' 3x3: centre tap stored
    ((3, 6, 10, 8), (5, 6, 3, 3), 1, 0, 1, 1),      # no padding: no tap covers the output
    ((3, 4, 11, 11), (3, 4, 3, 3), 2, 1, 1, 1),     # strided
    ((3, 4, 12, 12), (3, 4, 3, 3), 1, 2, 2, 1),     # dilated
    ((3, 4, 6, 6), (3, 4, 3, 3), 1, 4, 1, 1),       # padding wider than the kernel
    ((2, 3, 9, 9), (2, 3, 3, 1), 1, (2, 0), (1, 3), 1),  # non-square kernel, mixed pads
    ((3, 4, 9, 9), (6, 2, 3, 3), 1, 1, 1, 2),       # grouped: general path
    ((3, 2, 9, 9), (16, 2, 3, 3), 1, 1, 1, 1),      # columns smaller than the output: kept
]


@pytest.mark.parametrize("case", CASES)
def test_conv2d_forward_matches_numpy(case, chunk):
    xs, ws, s, p, d, g = case
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal(xs), rng.standard_normal(ws)
    b = rng.standard_normal(ws[0])
    for dt in (np.float32, np.float64):
        got = F.conv2d(dpt.tensor(x.astype(dt)), dpt.tensor(w.astype(dt)),
                       dpt.tensor(b.astype(dt)), stride=s, padding=p, dilation=d, groups=g)
        assert got.dtype == dpt.tensor(x.astype(dt)).dtype
        tol = 1e-4 if dt == np.float32 else 1e-10
        np.testing.assert_allclose(got.numpy(), ref_conv2d(x, w, b, s, p, d, g), rtol=tol,
                                   atol=tol)


@pytest.mark.parametrize("case", CASES)
def test_conv2d_gradients_match_torch(case, chunk):
    torch = pytest.importorskip("torch")
    xs, ws, s, p, d, g = case
    rng = np.random.default_rng(1)
    x = rng.standard_normal(xs).astype(np.float32)
    w = rng.standard_normal(ws).astype(np.float32)
    b = rng.standard_normal(ws[0]).astype(np.float32)
    dx, dw, db = (dpt.tensor(a, requires_grad=True) for a in (x, w, b))
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    y = F.conv2d(dx, dw, db, stride=s, padding=p, dilation=d, groups=g)
    ty = torch.nn.functional.conv2d(tx, tw, tb, stride=s, padding=p, dilation=d, groups=g)
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-4, atol=1e-4)
    gy = rng.standard_normal(tuple(ty.shape)).astype(np.float32)
    y.backward(dpt.tensor(gy))
    ty.backward(torch.tensor(gy))
    for a, t in ((dx, tx), (dw, tw), (db, tb)):
        np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-4, atol=2e-4)


@pytest.mark.parametrize("case", CASES)
def test_conv2d_gradcheck(case, chunk):
    xs, ws, s, p, d, g = case
    rng = np.random.default_rng(2)
    x = dpt.tensor(rng.standard_normal(xs), requires_grad=True)
    w = dpt.tensor(rng.standard_normal(ws), requires_grad=True)
    b = dpt.tensor(rng.standard_normal(ws[0]), requires_grad=True)
    fn = lambda x, w, b: F.conv2d(x, w, b, stride=s, padding=p, dilation=d, groups=g)
    assert gradcheck(fn, (x, w, b))


def test_conv2d_double_backward_on_chunked_paths(chunk):
    rng = np.random.default_rng(3)
    x = dpt.tensor(rng.standard_normal((3, 4, 8, 8)), requires_grad=True)
    w = dpt.tensor(rng.standard_normal((2, 4, 3, 3)), requires_grad=True)
    assert gradgradcheck(lambda x, w: F.conv2d(x, w, padding=1), (x, w))


def test_retain_graph_second_backward_rebuilds_columns():
    rng = np.random.default_rng(4)
    x = dpt.tensor(rng.standard_normal((3, 1, 9, 9)).astype(np.float32), requires_grad=True)
    w = dpt.tensor(rng.standard_normal((8, 1, 3, 3)).astype(np.float32), requires_grad=True)
    y = F.conv2d(x, w, padding=1).sum()   # 1 input channel: the columns are kept
    y.backward(retain_graph=True)
    first = w.grad.numpy().copy()
    w.grad = None
    y.backward()                           # the kept columns were freed: rebuilt
    np.testing.assert_allclose(w.grad.numpy(), first, rtol=1e-5)


def test_non_contiguous_input(chunk):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    base = rng.standard_normal((4, 9, 9, 6)).astype(np.float32)
    w = rng.standard_normal((3, 6, 3, 3)).astype(np.float32)
    x = dpt.tensor(base).permute(0, 3, 1, 2)
    got = F.conv2d(x, dpt.tensor(w), padding=1)
    want = torch.nn.functional.conv2d(torch.tensor(base).permute(0, 3, 1, 2), torch.tensor(w),
                                      padding=1)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("stride,padding,output_padding,dilation,groups", [
    (1, 1, 0, 1, 1), (1, 0, 0, 1, 1), (2, 1, 1, 1, 1), (1, 2, 0, 2, 1), (2, 0, 0, 1, 2)])
def test_conv_transpose2d_matches_torch_and_gradcheck(stride, padding, output_padding, dilation,
                                                      groups, chunk):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(6)
    x = rng.standard_normal((3, 4, 6, 5))
    w = rng.standard_normal((4, 3, 3, 3))
    b = rng.standard_normal(3 * groups)
    kw = dict(stride=stride, padding=padding, output_padding=output_padding, groups=groups,
              dilation=dilation)
    got = F.conv_transpose2d(dpt.tensor(x), dpt.tensor(w), dpt.tensor(b), **kw)
    want = torch.nn.functional.conv_transpose2d(torch.tensor(x), torch.tensor(w),
                                                torch.tensor(b), **kw)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-10, atol=1e-10)
    args = tuple(dpt.tensor(a, requires_grad=True) for a in (x, w, b))
    assert gradcheck(lambda x, w, b: F.conv_transpose2d(x, w, b, **kw), args)


@pytest.mark.parametrize("fn,xs,ws", [(F.conv1d, (3, 4, 70), (2, 4, 3)),
                                      (F.conv3d, (2, 3, 5, 5, 5), (2, 3, 3, 3, 3))])
def test_conv1d_conv3d_chunked(fn, xs, ws, chunk):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    x, w = rng.standard_normal(xs), rng.standard_normal(ws)
    got = fn(dpt.tensor(x), dpt.tensor(w), padding=1)
    tfn = getattr(torch.nn.functional, fn.__name__)
    np.testing.assert_allclose(got.numpy(), tfn(torch.tensor(x), torch.tensor(w),
                                                padding=1).numpy(), rtol=1e-10, atol=1e-10)
    args = (dpt.tensor(x, requires_grad=True), dpt.tensor(w, requires_grad=True))
    assert gradcheck(lambda x, w: fn(x, w, padding=1), args)


def test_empty_batch():
    x = dpt.zeros(0, 4, 9, 9, requires_grad=True)
    w = dpt.randn(3, 4, 3, 3, requires_grad=True)
    y = F.conv2d(x, w, padding=1)
    assert tuple(y.shape) == (0, 3, 9, 9)
    y.sum().backward()
    assert tuple(x.grad.shape) == (0, 4, 9, 9)
    assert float(w.grad.abs().sum()) == 0.0
