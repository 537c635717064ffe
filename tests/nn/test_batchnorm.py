"""BatchNorm1d/2d/3d and F.batch_norm against a numpy reference."""
import numpy as np
import pytest

import dpt
import dpt.nn.functional as F
from dpt import nn
from tests.helpers import assert_close, check_gradients, randn


def bn_ref(x, w, b, eps=1e-5):
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    mean = x.mean(axes, keepdims=True)
    var = x.var(axes, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * w.reshape(shape) + b.reshape(shape)


def test_defaults_buffers_and_repr():
    bn = nn.BatchNorm2d(3)
    assert [n for n, _ in bn.named_parameters()] == ["weight", "bias"]
    assert [n for n, _ in bn.named_buffers()] == ["running_mean", "running_var",
                                                   "num_batches_tracked"]
    assert_close(bn.weight, np.ones(3))
    assert_close(bn.bias, np.zeros(3))
    assert_close(bn.running_mean, np.zeros(3))
    assert_close(bn.running_var, np.ones(3))
    assert bn.num_batches_tracked.dtype == dpt.int64 and bn.num_batches_tracked.item() == 0
    assert repr(bn) == ("BatchNorm2d(3, eps=1e-05, momentum=0.1, affine=True, bias=True, "
                        "track_running_stats=True)")
    nobias = nn.BatchNorm1d(3, bias=False)
    assert nobias.bias is None and [n for n, _ in nobias.named_parameters()] == ["weight"]
    assert nobias(dpt.randn(4, 3)).shape == (4, 3)
    assert list(bn.state_dict()) == ["weight", "bias", "running_mean", "running_var",
                                     "num_batches_tracked"]
    plain = nn.BatchNorm1d(4, affine=False, track_running_stats=False)
    assert plain.weight is None and plain.running_mean is None
    assert list(plain.state_dict()) == []


@pytest.mark.parametrize("cls,shape", [(nn.BatchNorm1d, (4, 3)), (nn.BatchNorm1d, (4, 3, 5)),
                                       (nn.BatchNorm2d, (2, 3, 4, 5)),
                                       (nn.BatchNorm3d, (2, 3, 2, 2, 3))])
def test_training_forward_and_running_stats(cls, shape):
    x = randn(*shape, seed=1) * 2 + 1
    bn = cls(3, momentum=0.3).double()
    w, b = randn(3, seed=2), randn(3, seed=3)
    bn.weight.data.copy_(dpt.tensor(w))
    bn.bias.data.copy_(dpt.tensor(b))
    y = bn(dpt.tensor(x))
    assert_close(y, bn_ref(x, w, b), atol=1e-10)
    axes = (0,) + tuple(range(2, x.ndim))
    n = x.size // 3
    assert_close(bn.running_mean, 0.3 * x.mean(axes), atol=1e-12)
    assert_close(bn.running_var, 0.7 + 0.3 * x.var(axes) * n / (n - 1), atol=1e-12)
    assert bn.num_batches_tracked.item() == 1
    # eval uses the running statistics
    bn.eval()
    shape_c = (1, -1) + (1,) * (x.ndim - 2)
    rm, rv = bn.running_mean.numpy(), bn.running_var.numpy()
    expect = (x - rm.reshape(shape_c)) / np.sqrt(rv.reshape(shape_c) + 1e-5) * \
        w.reshape(shape_c) + b.reshape(shape_c)
    assert_close(bn(dpt.tensor(x)), expect, atol=1e-10)
    assert bn.num_batches_tracked.item() == 1


def test_momentum_none_is_cumulative_average():
    bn = nn.BatchNorm1d(2, momentum=None).double()
    batches = [randn(5, 2, seed=s) * (s + 1) for s in range(3)]
    for x in batches:
        bn(dpt.tensor(x))
    assert_close(bn.running_mean, np.mean([x.mean(0) for x in batches], 0), atol=1e-12)
    assert_close(bn.running_var, np.mean([x.var(0, ddof=1) for x in batches], 0), atol=1e-12)
    assert bn.num_batches_tracked.item() == 3


def test_no_running_stats_uses_batch_stats_in_eval():
    bn = nn.BatchNorm1d(3, track_running_stats=False).double().eval()
    x = randn(6, 3)
    assert_close(bn(dpt.tensor(x)), bn_ref(x, np.ones(3), np.zeros(3)), atol=1e-10)


def test_gradcheck_training_and_eval():
    x, w, b = randn(3, 2, 4, seed=4), randn(2, seed=5), randn(2, seed=6)
    check_gradients(lambda a, ww, bb: F.batch_norm(a, None, None, ww, bb, training=True),
                    x, w, b, gradgrad=True)
    check_gradients(lambda a: F.batch_norm(a, None, None, training=True), x)
    rm, rv = dpt.tensor(randn(2, seed=7), dtype=dpt.float64), dpt.tensor(
        np.abs(randn(2, seed=8)) + 0.5, dtype=dpt.float64)
    check_gradients(lambda a, ww, bb: F.batch_norm(a, rm, rv, ww, bb, training=False), x, w, b)


def test_backward_matches_numpy_formula():
    x, g = randn(4, 3, 2, seed=9), randn(4, 3, 2, seed=10)
    xt = dpt.tensor(x, requires_grad=True)
    bn = nn.BatchNorm1d(3).double()
    (bn(xt) * dpt.tensor(g)).sum().backward()
    xhat = bn_ref(x, np.ones(3), np.zeros(3))
    axes = (0, 2)
    inv = 1 / np.sqrt(x.var(axes, keepdims=True) + 1e-5)
    gx = inv * (g - g.mean(axes, keepdims=True) - xhat * (g * xhat).mean(axes, keepdims=True))
    assert_close(xt.grad, gx, atol=1e-10)
    assert_close(bn.weight.grad, (g * xhat).sum(axes), atol=1e-10)
    assert_close(bn.bias.grad, g.sum(axes), atol=1e-10)


def test_float32_dtype_kept():
    y = nn.BatchNorm2d(2)(dpt.randn(2, 2, 3, 3))
    assert y.dtype == dpt.float32


def test_input_dim_errors():
    with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 4D input\)"):
        nn.BatchNorm1d(3)(dpt.randn(2, 3, 4, 5))
    with pytest.raises(ValueError, match=r"expected 4D input \(got 3D input\)"):
        nn.BatchNorm2d(3)(dpt.randn(2, 3, 4))
    with pytest.raises(ValueError, match=r"expected 5D input \(got 4D input\)"):
        nn.BatchNorm3d(3)(dpt.randn(2, 3, 4, 4))
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        nn.BatchNorm1d(3)(dpt.randn(1, 3))
    with pytest.raises(RuntimeError, match="expected input with 3 channels"):
        nn.BatchNorm1d(3)(dpt.randn(4, 5))


def test_state_dict_round_trip_and_reset():
    bn = nn.BatchNorm1d(2)
    bn(dpt.randn(8, 2) * 3)
    other = nn.BatchNorm1d(2)
    other.load_state_dict(bn.state_dict())
    assert_close(other.running_var, bn.running_var.numpy())
    assert other.num_batches_tracked.item() == 1
    other.reset_running_stats()
    assert_close(other.running_var, np.ones(2))
    assert other.num_batches_tracked.item() == 0


def test_against_torch():
    torch = pytest.importorskip("torch")
    x = randn(4, 3, 5, seed=11)
    ours, ref = nn.BatchNorm1d(3, momentum=0.2).double(), torch.nn.BatchNorm1d(3, momentum=0.2).double()
    for k in range(2):
        y, yt = ours(dpt.tensor(x * (k + 1))), ref(torch.tensor(x * (k + 1)))
    assert_close(y, yt.detach().numpy(), atol=1e-10)
    assert_close(ours.running_var, ref.running_var.numpy(), atol=1e-12)
    assert repr(nn.BatchNorm3d(2, momentum=None)) == repr(torch.nn.BatchNorm3d(2, momentum=None))
