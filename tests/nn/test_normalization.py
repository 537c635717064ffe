"""LayerNorm, GroupNorm, RMSNorm, InstanceNorm1d/2d/3d and LocalResponseNorm."""
import warnings

import numpy as np
import pytest

import dpt
import dpt.nn.functional as F
from dpt import nn
from tests.helpers import assert_close, check_gradients, randn


def norm_ref(x, axes, eps=1e-5):
    return (x - x.mean(axes, keepdims=True)) / np.sqrt(x.var(axes, keepdims=True) + eps)


# -- LayerNorm ---------------------------------------------------------------------------
def test_layer_norm_module():
    ln = nn.LayerNorm((3, 4)).double()
    assert repr(ln) == "LayerNorm((3, 4), eps=1e-05, elementwise_affine=True, bias=True)"
    assert ln.weight.shape == (3, 4) and ln.bias.shape == (3, 4)
    w, b = randn(3, 4, seed=1), randn(3, 4, seed=2)
    ln.weight.data.copy_(dpt.tensor(w))
    ln.bias.data.copy_(dpt.tensor(b))
    x = randn(2, 3, 4)
    assert_close(ln(dpt.tensor(x)), norm_ref(x, (1, 2)) * w + b, atol=1e-10)
    assert nn.LayerNorm(5, bias=False).bias is None
    assert nn.LayerNorm(5, elementwise_affine=False).weight is None
    assert repr(nn.LayerNorm(5, bias=False)) == ("LayerNorm((5,), eps=1e-05, "
                                              "elementwise_affine=True, bias=False)")


def test_layer_norm_gradients():
    x, w, b = randn(2, 3, 4), randn(4, seed=1), randn(4, seed=2)
    check_gradients(lambda a, ww, bb: F.layer_norm(a, (4,), ww, bb), x, w, b, gradgrad=True)
    check_gradients(lambda a: F.layer_norm(a, (3, 4)), x, gradgrad=True)
    check_gradients(lambda a, bb: F.layer_norm(a, [4], None, bb), x, b)


def test_layer_norm_errors():
    with pytest.raises(RuntimeError, match=r"Given normalized_shape=\[4\], expected input with "
                                           r"shape \[\*, 4\], but got input of size\[2, 5\]"):
        F.layer_norm(dpt.randn(2, 5), (4,))


# -- GroupNorm ---------------------------------------------------------------------------
def test_group_norm():
    gn = nn.GroupNorm(2, 4).double()
    assert repr(gn) == "GroupNorm(2, 4, eps=1e-05, affine=True, bias=True)"
    assert nn.GroupNorm(2, 4, bias=False).bias is None
    w, b = randn(4, seed=3), randn(4, seed=4)
    gn.weight.data.copy_(dpt.tensor(w))
    gn.bias.data.copy_(dpt.tensor(b))
    x = randn(3, 4, 5)
    g = x.reshape(3, 2, 10)
    ref = norm_ref(g, (2,)).reshape(3, 4, 5) * w[:, None] + b[:, None]
    assert_close(gn(dpt.tensor(x)), ref, atol=1e-10)
    check_gradients(lambda a, ww, bb: F.group_norm(a, 2, ww, bb), randn(2, 4, 3), w, b,
                    gradgrad=True)
    with pytest.raises(ValueError, match="num_channels must be divisible by num_groups"):
        nn.GroupNorm(3, 4)
    with pytest.raises(RuntimeError, match="divisible by num_groups"):
        F.group_norm(dpt.randn(2, 5, 3), 2)


# -- RMSNorm -----------------------------------------------------------------------------
def test_rms_norm():
    x, w = randn(2, 3), randn(3, seed=1)
    ref = x / np.sqrt((x * x).mean(-1, keepdims=True) + 1e-6) * w
    assert_close(F.rms_norm(dpt.tensor(x), (3,), dpt.tensor(w), eps=1e-6), ref, atol=1e-10)
    m = nn.RMSNorm(3)
    assert repr(m) == "RMSNorm((3,), eps=None, elementwise_affine=True)"
    check_gradients(lambda a, ww: F.rms_norm(a, (3,), ww), x, w)


# -- InstanceNorm ------------------------------------------------------------------------
def test_instance_norm_defaults_and_forward():
    m = nn.InstanceNorm2d(3)
    assert m.weight is None and m.running_mean is None
    assert repr(m) == ("InstanceNorm2d(3, eps=1e-05, momentum=0.1, affine=False, bias=False, "
                       "track_running_stats=False)")
    x = randn(2, 3, 4, 5)
    assert_close(m.double()(dpt.tensor(x)), norm_ref(x, (2, 3)), atol=1e-10)
    # unbatched input
    assert_close(nn.InstanceNorm1d(3).double()(dpt.tensor(x[0, :, 0])),
                 norm_ref(x[0, :, 0], (1,)), atol=1e-10)
    assert_close(nn.InstanceNorm3d(2).double()(dpt.tensor(x[:, :2, None])),
                 norm_ref(x[:, :2, None], (2, 3, 4)), atol=1e-10)


def test_instance_norm_running_stats():
    m = nn.InstanceNorm1d(3, affine=True, track_running_stats=True).double()
    x = randn(4, 3, 5)
    m(dpt.tensor(x))
    assert_close(m.running_mean, 0.1 * x.mean(2).mean(0), atol=1e-12)
    assert_close(m.running_var, 0.9 + 0.1 * x.var(2, ddof=1).mean(0), atol=1e-12)
    m.eval()
    rm, rv = m.running_mean.numpy()[:, None], m.running_var.numpy()[:, None]
    assert_close(m(dpt.tensor(x)), (x - rm) / np.sqrt(rv + 1e-5), atol=1e-10)


def test_instance_norm_gradients_and_errors():
    w, b = randn(2, seed=1), randn(2, seed=2)
    check_gradients(lambda a, ww, bb: F.instance_norm(a, weight=ww, bias=bb), randn(2, 2, 4),
                    w, b, gradgrad=True)
    with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 4D input\)"):
        nn.InstanceNorm1d(3)(dpt.randn(2, 3, 4, 4))
    with pytest.raises(ValueError, match=r"expected 3D or 4D input \(got 2D input\)"):
        nn.InstanceNorm2d(3)(dpt.randn(3, 4))
    with pytest.raises(ValueError, match=r"expected input's size at dim=1 to match num_features"):
        nn.InstanceNorm1d(3, affine=True)(dpt.randn(2, 4, 5))
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        nn.InstanceNorm1d(3)(dpt.randn(2, 4, 5))
    assert any("does not match num_features" in str(r.message) for r in rec)


# -- LocalResponseNorm -------------------------------------------------------------------
def lrn_ref(x, size, alpha, beta, k):
    out = np.empty_like(x)
    c = x.shape[1]
    for ch in range(c):
        lo, hi = max(0, ch - size // 2), min(c, ch + (size - 1) // 2 + 1)
        s = (x[:, lo:hi] ** 2).sum(1)
        out[:, ch] = x[:, ch] / (k + alpha / size * s) ** beta
    return out


@pytest.mark.parametrize("size", [1, 2, 3, 4])
def test_local_response_norm(size):
    x = randn(2, 5, 3)
    m = nn.LocalResponseNorm(size, alpha=0.3, beta=0.6, k=2.0)
    assert_close(m(dpt.tensor(x)), lrn_ref(x, size, 0.3, 0.6, 2.0), atol=1e-10)
    assert repr(m) == f"LocalResponseNorm({size}, alpha=0.3, beta=0.6, k=2.0)"


def test_local_response_norm_4d_grad_and_errors():
    x = randn(1, 4, 2, 2)
    assert_close(F.local_response_norm(dpt.tensor(x), 3), lrn_ref(x, 3, 1e-4, 0.75, 1.0),
                 atol=1e-10)
    check_gradients(lambda a: F.local_response_norm(a, 3, alpha=0.5), randn(2, 3, 2))
    with pytest.raises(ValueError, match=r"Expected 3D or higher dimensionality input "
                                         r"\(got 2 dimensions\)"):
        F.local_response_norm(dpt.randn(2, 3), 2)


def test_against_torch():
    torch = pytest.importorskip("torch")
    x = randn(2, 6, 4, seed=5).astype(np.float32)
    pairs = [(nn.GroupNorm(3, 6), torch.nn.GroupNorm(3, 6)),
             (nn.LayerNorm(4), torch.nn.LayerNorm(4)),
             (nn.InstanceNorm1d(6), torch.nn.InstanceNorm1d(6)),
             (nn.LocalResponseNorm(3), torch.nn.LocalResponseNorm(3)),
             (nn.LayerNorm(4, bias=False), torch.nn.LayerNorm(4, bias=False)),
             (nn.InstanceNorm1d(6, affine=True), torch.nn.InstanceNorm1d(6, affine=True))]
    for ours, ref in pairs:
        assert repr(ours) == repr(ref)
        assert_close(ours(dpt.tensor(x)), ref(torch.tensor(x)).detach().numpy(), atol=1e-5)
