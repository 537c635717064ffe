"""torch-source-walkthrough, section 20.1-20.2: nn.Parameter and nn.functional, torch -> dpt.

Where the tutorial prints the result of random inputs, the printed inputs are fed back as
literals when they are shown, or the result is checked against its formula.
"""
import math
import warnings

import numpy as np
import pytest

import dpt
import dpt.nn.functional as F
from tests.helpers import assert_close


# -- 20.1 Parameter ---------------------------------------------------------------------
class _Mode(dpt.nn.Module):
    def __init__(self):
        super(_Mode, self).__init__()
        self.L1 = dpt.nn.Linear(2, 1)
        self.L1.weight = dpt.nn.Parameter(dpt.ones_like(self.L1.weight.data))
        self.L1.bias = dpt.nn.Parameter(dpt.ones_like(self.L1.bias.data))

    def forward(self, x):
        return self.L1(x)


def test_parameter_replacing_linear_weights():
    mo = _Mode()
    assert isinstance(mo.L1.weight, dpt.nn.Parameter) and mo.L1.weight.requires_grad
    assert [n for n, _ in mo.named_parameters()] == ["L1.weight", "L1.bias"]
    out = mo(dpt.tensor([[0.3, 0.4614]]))  # any a with a.sum() == 0.7614 prints 1.7614
    assert repr(out).startswith("tensor([[1.7614]], grad_fn=<")
    a = dpt.rand(1, 2)
    assert_close(mo(a).detach(), a.sum(1, keepdim=True) + 1)
    assert repr(dpt.nn.Parameter(dpt.zeros(2))) == \
        "Parameter containing:\ntensor([0., 0.], requires_grad=True)"


# -- pooling ----------------------------------------------------------------------------
def test_fractional_max_pool2d_with_indices():
    a = dpt.rand(2, 16, 23, 27)
    out = F.fractional_max_pool2d_with_indices(a, 3, output_size=(10, 11))
    assert isinstance(out, tuple) and out[0].shape == (2, 16, 10, 11)
    assert out[1].shape == (2, 16, 10, 11) and out[1].dtype == dpt.int64
    # every pooled value is the input value its index points at
    flat = a.reshape(2, 16, -1)
    assert dpt.equal(flat.gather(2, out[1].reshape(2, 16, -1)).reshape(2, 16, 10, 11), out[0])


def test_fractional_max_pool3d_with_indices():
    a = dpt.rand(2, 2, 16, 27, 24)
    out = F.fractional_max_pool3d_with_indices(a, 3, output_size=(3, 11, 16))
    assert out[0].shape == (2, 2, 3, 11, 16)


def test_max_pool_shapes():
    out = F.max_pool1d(dpt.rand(2, 5, 56), 3, 1, 1)
    assert out.shape == (2, 5, 56)
    out = F.max_pool2d(dpt.rand(2, 32, 16), (3, 2), (1, 2), (1, 0))  # unbatched (C, H, W)
    assert out.shape == (2, 32, 8)
    out = F.max_pool3d(dpt.rand(2, 32, 34, 34), (3, 2, 2), (1, 2, 2), (1, 0, 0))
    assert out.shape == (2, 32, 17, 17)


def test_lp_pool2d():
    a = dpt.linspace(1, 16, 16).view(1, 4, 4)
    out = F.lp_pool2d(a, 2, 2, 2)
    assert repr(out) == "tensor([[[ 8.1240, 11.7473],\n         [23.3666, 27.3130]]])"


def test_adaptive_avg_pool2d():
    a = dpt.rand(1, 2, 4, 4)
    out = F.adaptive_avg_pool2d(a, [2, 3])
    assert out.shape == (1, 2, 2, 3)
    x = a.numpy()
    cols = [(0, 2), (1, 3), (2, 4)]  # floor(j * 4 / 3) .. ceil((j + 1) * 4 / 3)
    expected = np.array([[[x[0, c, 2 * i:2 * i + 2, lo:hi].mean() for lo, hi in cols]
                          for i in range(2)] for c in range(2)])[None]
    assert_close(out, expected)


# -- dropout ----------------------------------------------------------------------------
def test_dropout_scales_the_kept_values():
    a = dpt.rand(5, 5)
    out = F.dropout(a, 0.2)
    kept = out != 0
    assert_close(out[kept], a[kept] / 0.8)
    # the tutorial's printed pair obeys the same rule: 0.2352 -> 0.2941 (or 0)
    printed = F.dropout(dpt.tensor([0.2352]), 0.2)
    assert printed.item() == 0 or repr(printed) == "tensor([0.2940])"
    assert dpt.equal(F.dropout(a, 0.2, training=False), a)


def test_alpha_dropout():
    a = dpt.rand(5, 5)
    out = F.alpha_dropout(a, 0.8, training=True)
    assert out.shape == (5, 5)
    drop = dpt.nn.AlphaDropout(0.2)
    out = drop(a)
    # dropped entries all take one value, -1.2362 as printed for p = 0.2; kept ones are affine
    alpha = -1.7580993408473766
    k = ((1 - 0.2) * (1 + 0.2 * alpha ** 2)) ** -0.5
    dropped_value = k * alpha + (-k * alpha * 0.2)
    assert round(dropped_value, 4) == -1.2362
    is_dropped = (out - dropped_value).abs() < 1e-6
    assert_close(out[~is_dropped], a[~is_dropped] * k - k * alpha * 0.2, rtol=1e-5)
    drop.eval()
    assert dpt.equal(drop(a), a)


def test_dropout3d_zeroes_whole_channels():
    a = dpt.rand(3, 5, 5)
    with pytest.warns(UserWarning, match="Received a 3-D input to dropout3d"):
        out = F.dropout3d(a, 0.5)
    # torch >= 1.11 takes a 3-D input as one unbatched (C, D, H, W)-like sample: each a[c]
    # is kept (times 2) or zeroed as a whole (the old tutorial's output dropped rows)
    for c in range(3):
        assert dpt.equal(out[c], a[c] * 2) or dpt.equal(out[c], dpt.zeros(5, 5))
    x = dpt.ones(2, 3, 2, 2, 2)
    out = F.dropout3d(x, 0.5)
    per_channel = out.reshape(2, 3, -1)
    assert bool(((per_channel == 0).all(-1) | (per_channel == 2).all(-1)).all())


# -- activations ------------------------------------------------------------------------
def test_threshold_and_relu():
    a = dpt.tensor([[-0.3, 0.1467, -0.1, -0.5], [-0.2, 0.1929, 0.4668, 0.1881],
                    [0.3089, -0.4, 0.4236, -0.01], [-0.3, -0.2, -0.1, -0.4]])
    out = F.threshold(a, 0, 10)
    assert repr(out) == ("tensor([[10.0000,  0.1467, 10.0000, 10.0000],\n"
                         "        [10.0000,  0.1929,  0.4668,  0.1881],\n"
                         "        [ 0.3089, 10.0000,  0.4236, 10.0000],\n"
                         "        [10.0000, 10.0000, 10.0000, 10.0000]])")
    a = dpt.tensor([[-0.3, -0.01], [-0.2, 0.2612]])
    assert repr(F.relu(a)) == "tensor([[0.0000, 0.0000],\n        [0.0000, 0.2612]])"
    b = a.clone()
    assert F.relu(b, inplace=True) is b and b.min().item() == 0  # in-place when asked


def test_glu():
    a = dpt.linspace(1, 4, 4).view(2, 2)
    assert repr(F.glu(a)) == "tensor([[0.8808],\n        [2.9460]])"
    assert repr(a[:, 0].mul(1 / (1 + dpt.exp(-a[:, 1])))) == "tensor([0.8808, 2.9460])"


def test_softmax_and_log_softmax():
    a = dpt.linspace(1, 4, 4).view(2, 2)
    assert repr(F.softmax(a, 1)) == "tensor([[0.2689, 0.7311],\n        [0.2689, 0.7311]])"
    printed = "tensor([[-1.3133, -0.3133],\n        [-1.3133, -0.3133]])"
    assert repr(F.log_softmax(a, 1)) == printed
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        implicit = F.softmax(a)
    assert repr(dpt.log(implicit)) == printed


def test_tanh_sigmoid_linear():
    a = dpt.linspace(1, 4, 4).view(2, 2)
    assert repr(F.tanh(a)) == "tensor([[0.7616, 0.9640],\n        [0.9951, 0.9993]])"
    assert repr(F.sigmoid(a)) == "tensor([[0.7311, 0.8808],\n        [0.9526, 0.9820]])"
    assert repr(F.linear(a, a)) == "tensor([[ 5., 11.],\n        [11., 25.]])"


def test_bilinear():
    a = dpt.linspace(1, 4, 4).view(2, 2)
    w = dpt.rand(10, 2, 2)
    out = F.bilinear(a, a, w)
    assert out.shape == (2, 10)
    assert_close(out, np.einsum("ni,oij,nj->no", a.numpy(), w.numpy(), a.numpy()), rtol=1e-5)


# -- embeddings and normalisation -------------------------------------------------------
def test_embedding_and_embedding_bag():
    w = dpt.linspace(1, 30, 30).view(10, 3)
    a = dpt.tensor([1, 3, 2, 5, 3])
    assert repr(F.embedding(a, w)) == ("tensor([[ 4.,  5.,  6.],\n        [10., 11., 12.],\n"
                                       "        [ 7.,  8.,  9.],\n        [16., 17., 18.],\n"
                                       "        [10., 11., 12.]])")
    offsets = dpt.tensor([0, 2, 3])
    assert repr(F.embedding_bag(a, w, offsets)) == (
        "tensor([[ 7.,  8.,  9.],\n        [ 7.,  8.,  9.],\n        [13., 14., 15.]])")


def test_batch_norm_with_running_stats():
    # the tutorial normalises an earlier (2, 3, 4) tensor with running mean = var = 1
    a = dpt.rand(2, 3, 4)
    out = F.batch_norm(a, dpt.tensor([1., 1., 1]), dpt.tensor([1., 1., 1]))
    assert out.shape == (2, 3, 4)
    assert_close(out, (a - 1) / math.sqrt(1 + 1e-5))
    # feeding back the first printed row: x = y * sqrt(1 + eps) + 1
    y = dpt.tensor([[[-0.8834, -0.7371, -0.1310, -0.1510]] * 3])
    x = y * math.sqrt(1 + 1e-5) + 1
    assert_close(F.batch_norm(x, dpt.ones(3), dpt.ones(3)), y, atol=1e-6)


# -- losses -----------------------------------------------------------------------------
def test_ctc_loss_with_inputs_shorter_than_their_lengths_is_an_error():
    # The tutorial's first ctc example passes input_lengths 50 for T = 1 input steps;
    # current torch rejects it with exactly this message.
    log_probs = dpt.randn(1, 16, 20).log_softmax(2)
    targets = dpt.randint(1, 20, (16, 30), dtype=dpt.long)
    input_lengths = dpt.full((16,), 50, dtype=dpt.long)
    target_lengths = dpt.randint(10, 30, (16,), dtype=dpt.long)
    with pytest.raises(RuntimeError, match="Expected input_lengths to have value at most 1, "
                                           "but got value 50"):
        F.ctc_loss(log_probs, targets, input_lengths, target_lengths)


def test_nll_loss_of_log_softmax():
    a = dpt.rand(4, 5)
    b = dpt.randint(0, 4, (4,))
    loss = F.nll_loss(F.log_softmax(a, 1), b)
    lp = F.log_softmax(a, 1).numpy()
    assert loss.shape == () and loss.item() == pytest.approx(-lp[np.arange(4), b.numpy()].mean(),
                                                             rel=1e-5)


def test_kl_div():
    a, b = dpt.rand(2, 3), dpt.rand(2, 3)
    with pytest.warns(UserWarning, match="'batchmean'"):
        loss = F.kl_div(a, b)
    x, y = a.numpy(), b.numpy()
    assert loss.item() == pytest.approx((y * (np.log(y) - x)).mean(), rel=1e-5)


def test_cross_entropy_of_softmax_probabilities():
    a = dpt.rand(4, 5)
    b = dpt.randint(0, 4, (4,))
    p = dpt.softmax(a, 1)
    loss = F.cross_entropy(p, b)
    # cross_entropy = nll_loss(log_softmax(input)): here applied to already-softmaxed values
    assert_close(loss, F.nll_loss(F.log_softmax(p, 1), b))
    lse = np.log(np.exp(p.numpy()).sum(1))
    assert loss.item() == pytest.approx((lse - p.numpy()[np.arange(4), b.numpy()]).mean(),
                                        rel=1e-5)


def test_bce_l1_mse():
    a, b = dpt.rand(100, 1), dpt.rand(100, 1)
    x, y = a.numpy().astype(np.float64), b.numpy().astype(np.float64)
    bce = F.binary_cross_entropy(a, b)
    assert bce.item() == pytest.approx(-(y * np.log(x) + (1 - y) * np.log(1 - x)).mean(),
                                       rel=1e-4)
    a = dpt.rand(4, 4)
    b = dpt.randint(0, 3, (4, 4))  # an integer target promotes with the float input
    l1, mse = F.l1_loss(a, b), F.mse_loss(a, b)
    assert l1.dtype == mse.dtype == dpt.float32
    d = a.numpy() - b.numpy()
    assert l1.item() == pytest.approx(np.abs(d).mean(), rel=1e-5)
    assert mse.item() == pytest.approx((d * d).mean(), rel=1e-5)


def test_interpolate_nearest():
    a = dpt.rand(4, 4, 4, 4)
    out = F.interpolate(a, size=(2, 1), mode='nearest')
    assert out.shape == (4, 4, 2, 1)
    assert dpt.equal(out, a[:, :, ::2, :1])


def test_functional_import_spelling():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # F.tanh / F.sigmoid do not warn in torch 2
        F.tanh(dpt.zeros(1)), F.sigmoid(dpt.zeros(1))
