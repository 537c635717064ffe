"""torch-source-walkthrough, section 20.3 (nn layer classes, 1-11), torch -> dpt."""
import numpy as np
import pytest

import dpt
import dpt.nn as nn
from tests.helpers import assert_close


# -- 1. activations ---------------------------------------------------------------------
def test_threshold_module():
    at = nn.Threshold(0.1, 1)
    a = dpt.tensor([[-0.2, 0.4016, 0.3524], [0.05, 0.4279, -0.3]])  # printed kept values
    assert repr(at(a)) == "tensor([[1.0000, 0.4016, 0.3524],\n        [1.0000, 0.4279, 1.0000]])"
    assert repr(at) == "Threshold(threshold=0.1, value=1)"


def test_relu_sigmoid_tanh_modules():
    a = dpt.rand(2, 3) - 0.5
    x = a.numpy()
    assert_close(nn.ReLU()(a), np.maximum(x, 0))
    assert_close(nn.Sigmoid()(a), 1 / (1 + np.exp(-x)), rtol=1e-5)
    assert_close(nn.Tanh()(a), np.tanh(x), rtol=1e-5)
    a = dpt.tensor([[0.1606, -0.2, -0.01], [0.3244, 0.3049, 0.3659]])
    assert repr(nn.ReLU()(a)) == ("tensor([[0.1606, 0.0000, 0.0000],\n"
                                  "        [0.3244, 0.3049, 0.3659]])")


def test_selu():
    a = dpt.randn(2, 3)
    out = nn.SELU()(a)
    alpha, scale = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946
    x = a.numpy().astype(np.float64)
    assert_close(out, scale * (np.maximum(0, x) + np.minimum(0, alpha * (np.exp(x) - 1))),
                 rtol=1e-5)
    assert out.mean().shape == ()


def test_leaky_relu():
    at = nn.LeakyReLU(0.2)
    a = dpt.tensor([[-0.8095, -1.0955, 1.3814], [-0.3145, 1.4432, 0.7876]])
    assert repr(at(a)) == ("tensor([[-0.1619, -0.2191,  1.3814],\n"
                           "        [-0.0629,  1.4432,  0.7876]])")


def test_softmax_module():
    at = nn.Softmax(1)
    a = dpt.randn(2, 3)
    out = at(a)
    assert_close(out.sum(1), [1.0, 1.0])
    assert_close(out, np.exp(a.numpy()) / np.exp(a.numpy()).sum(1, keepdims=True), rtol=1e-5)


# -- 2. batch norm ----------------------------------------------------------------------
def test_batchnorm1d():
    at = nn.BatchNorm1d(5)
    a = dpt.linspace(1, 10, 10).view(2, 5)
    out = at(a)
    assert_close(out, [[-1.0] * 5, [1.0] * 5], atol=1e-5)  # (x - mean) / sqrt(var + eps)
    assert repr(at.weight) == \
        "Parameter containing:\ntensor([1., 1., 1., 1., 1.], requires_grad=True)"
    assert repr(at.bias) == \
        "Parameter containing:\ntensor([0., 0., 0., 0., 0.], requires_grad=True)"
    assert_close(at.running_mean, [0.35, 0.45, 0.55, 0.65, 0.75])


def test_batchnorm2d():
    at = nn.BatchNorm2d(3)
    a = dpt.linspace(1, 300, 300).view(1, 3, 10, 10)
    out = at(a)
    assert out.shape == (1, 3, 10, 10)
    assert_close(out.mean((0, 2, 3)), [0.0, 0.0, 0.0], atol=1e-5)
    assert repr(at.bias) == "Parameter containing:\ntensor([0., 0., 0.], requires_grad=True)"


# -- 3. containers ----------------------------------------------------------------------
def test_sequential():
    c_mode = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 1))
    a = dpt.rand(2, 3)
    out = c_mode(a)
    assert out.shape == (2, 1) and "grad_fn=<" in repr(out)
    assert_close(out.detach(), c_mode[1](c_mode[0](a)).detach())
    new_last = nn.Linear(4, 1)
    c_mode[-1] = new_last
    assert c_mode[1] is new_last and len(c_mode) == 2
    assert repr(c_mode) == ("Sequential(\n  (0): Linear(in_features=3, out_features=4, bias=True)\n"
                            "  (1): Linear(in_features=4, out_features=1, bias=True)\n)")


def test_module_list():
    m_mode = nn.ModuleList()
    m_mode.append(nn.Linear(3, 4))
    m_mode.append(nn.Linear(4, 1))
    a = dpt.rand(2, 3)
    out = m_mode[0](a)
    assert out.shape == (2, 4) and len(m_mode) == 2
    with pytest.raises(NotImplementedError):  # a ModuleList cannot be called
        m_mode(a)


# -- 4. convolutions --------------------------------------------------------------------
def test_conv_shapes():
    assert nn.Conv1d(2, 16, 2, 2, 0)(dpt.rand(2, 2, 16)).shape == (2, 16, 8)
    conv2 = nn.Conv2d(3, 64, 3, 1, 1)
    assert conv2(dpt.rand(1, 3, 8, 8)).shape == (1, 64, 8, 8)
    assert conv2.kernel_size == (3, 3)  # the int became a tuple
    assert nn.Conv3d(3, 64, 3, 1, 1)(dpt.rand(1, 3, 5, 8, 8)).shape == (1, 64, 5, 8, 8)


def test_grouped_conv_parameter_count():
    # the prose: 64 -> 128 channels with 3x3 kernels, 2 groups halves the weights
    full = nn.Conv2d(64, 128, 3, bias=False)
    grouped = nn.Conv2d(64, 128, 3, groups=2, bias=False)
    assert full.weight.numel() == 128 * 64 * 3 * 3
    assert grouped.weight.shape == (128, 32, 3, 3)
    assert grouped.weight.numel() * 2 == full.weight.numel()


def test_conv_transpose2d_shape():
    t_conv2 = nn.ConvTranspose2d(64, 3, 3, 2, 1)
    out = t_conv2(dpt.rand(1, 64, 5, 5))
    # H_out = (H_in - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1
    assert out.shape == (1, 3, (5 - 1) * 2 - 2 * 1 + 1 * (3 - 1) + 0 + 1, 9)


# -- 5. distances -----------------------------------------------------------------------
def test_pairwise_distance_and_cosine_similarity():
    a, b = dpt.rand(2, 10), dpt.rand(2, 10)
    d = nn.PairwiseDistance(1)(a, b)
    assert d.shape == (2,)
    assert_close(d, np.abs(a.numpy() - b.numpy() + 1e-6).sum(1), rtol=1e-5)
    c = nn.CosineSimilarity(1)(a, b)
    x, y = a.numpy(), b.numpy()
    assert_close(c, (x * y).sum(1) / np.linalg.norm(x, axis=1) / np.linalg.norm(y, axis=1),
                 rtol=1e-5)


# -- 6-8. dropout, flatten, linear ------------------------------------------------------
def test_dropout_module_train_and_eval():
    a = dpt.rand(2, 2)
    drop = nn.Dropout(0.5)
    out = drop(a)
    assert bool(((out == 0) | ((out - 2 * a).abs() < 1e-6)).all())
    drop.eval()
    assert dpt.equal(drop(a), a)


def test_flatten_after_permute_contiguous():
    a = dpt.rand(2, 3, 4)
    assert not a.permute(1, 0, 2).is_contiguous()
    c = a.permute(1, 0, 2).contiguous()
    assert c.is_contiguous()
    f = nn.Flatten(0)
    out = f(c)
    assert out.shape == (24,) and out.is_contiguous()
    assert out.tolist() == a.numpy().transpose(1, 0, 2).ravel().tolist()


def test_linear_weight():
    L = nn.Linear(2, 3)
    w = L.weight
    assert w.shape == (3, 2) and isinstance(w, nn.Parameter)
    assert repr(w).startswith("Parameter containing:\ntensor([[")
    assert repr(w).endswith("]], requires_grad=True)")
    assert float(w.abs().max()) <= 2 ** -0.5  # U(-1/sqrt(in), 1/sqrt(in))


# -- 9. losses --------------------------------------------------------------------------
def test_l1_loss_broadcasts_with_a_warning():
    a = dpt.linspace(1, 4, 4).view(2, 2)
    b = dpt.linspace(2, 4, 2).view(2, 1)
    Loss_f = nn.L1Loss()
    with pytest.warns(UserWarning, match="different to the input size"):
        loss = Loss_f(a, b)
    assert repr(loss) == "tensor(0.5000)"


def test_nll_loss_module():
    a = dpt.tensor([[0.4717, 0.2668, 0.2615]])  # softmax(rand(1, 3)) as printed
    b = dpt.tensor([0])
    NL_f = nn.NLLLoss()
    assert repr(NL_f(a, b)) == "tensor(-0.4717)"
    a = dpt.softmax(dpt.rand(1, 3), -1)
    assert NL_f(a, b).item() == -a[0, 0].item()


def test_mse_and_bce_equal_their_sums():
    a, b = dpt.rand(2, 3), dpt.rand(2, 3)
    Mse = nn.MSELoss()
    assert_close(Mse(a, b), sum(sum((a - b) * (a - b))) / 6, rtol=1e-6)
    Loss_f = nn.BCELoss()
    assert_close(Loss_f(a, b), -sum(sum(dpt.log(a) * b + (1 - b) * dpt.log(1 - a))) / 6,
                 rtol=1e-5)


def test_cross_entropy_module():
    a = dpt.rand(2, 3)
    b = dpt.randint(0, 3, (2,))
    loss = nn.CrossEntropyLoss()(a, b)
    x = a.numpy()
    lse = np.log(np.exp(x).sum(1))
    assert loss.item() == pytest.approx((lse - x[np.arange(2), b.numpy()]).mean(), rel=1e-5)


def test_ctc_loss_module():
    T, C, N, S, S_min = 50, 20, 16, 30, 10
    input = dpt.randn(T, N, C).log_softmax(2).detach().requires_grad_()
    target = dpt.randint(low=1, high=C, size=(N, S), dtype=dpt.long)
    input_lengths = dpt.full(size=(N,), fill_value=T, dtype=dpt.long)
    target_lengths = dpt.randint(low=S_min, high=S, size=(N,), dtype=dpt.long)
    ctc = nn.CTCLoss()
    loss = ctc(input, target, input_lengths, target_lengths)
    assert loss.shape == () and loss.item() > 0  # printed tensor(6.2789, grad_fn=<MeanBackward0>)
    assert repr(loss).endswith("grad_fn=<MeanBackward0>)")
    loss.backward()
    assert input.grad.shape == (T, N, C)


def test_ctc_loss_small_case_by_hand():
    # T = 2 steps, classes {blank, 1}, target "1": paths 11, b1, 1b
    p = np.array([[0.6, 0.4], [0.3, 0.7]])
    log_probs = dpt.tensor(np.log(p)[:, None, :], dtype=dpt.float32)
    loss = nn.CTCLoss(reduction="sum")(log_probs, dpt.tensor([[1]]), dpt.tensor([2]),
                                       dpt.tensor([1]))
    prob = p[0, 1] * p[1, 1] + p[0, 0] * p[1, 1] + p[0, 1] * p[1, 0]
    assert loss.item() == pytest.approx(-np.log(prob), rel=1e-5)


# -- 10. recurrent networks -------------------------------------------------------------
def test_rnn_by_hand():
    a = dpt.rand(2, 1, 10)
    Rnn = nn.RNN(10, 3, 1)
    out, h = Rnn(a)
    assert out.shape == (2, 1, 3) and h.shape == (1, 1, 3)
    wh, wi = Rnn.weight_hh_l0, Rnn.weight_ih_l0
    bi, bh = Rnn.bias_ih_l0, Rnn.bias_hh_l0
    ht = dpt.tanh(dpt.matmul(a[0], wi.t()) + bi + bh)  # h0 = 0
    h2 = dpt.tanh(dpt.matmul(a[1], wi.t()) + bi + dpt.matmul(ht, wh.t()) + bh)
    assert repr(h2).endswith("grad_fn=<TanhBackward0>)")
    assert_close(out[0].detach(), ht.detach(), rtol=1e-5)
    assert_close(out[1].detach(), h2.detach(), rtol=1e-5)
    assert_close(h[0].detach(), h2.detach(), rtol=1e-5)


def test_three_layer_rnn():
    a = dpt.rand(2, 1, 10)
    Rnn = nn.RNN(10, 3, 3)
    out, h = Rnn(a)
    assert out.shape == (2, 1, 3) and h.shape == (3, 1, 3)
    assert_close(h[-1].detach(), out[-1].detach())
    w = Rnn.weight_hh_l2
    assert w.shape == (3, 3) and repr(w).startswith("Parameter containing:\ntensor([[")
    assert Rnn.weight_ih_l1.shape == (3, 3) and Rnn.weight_ih_l0.shape == (3, 10)


def test_lstm_and_bidirectional_lstm():
    a = dpt.rand(2, 1, 10)
    out, (h, c) = nn.LSTM(10, 3, 1)(a)
    assert out.shape == (2, 1, 3) and h.shape == c.shape == (1, 1, 3)
    assert_close(h[0].detach(), out[-1].detach())
    out, (h, c) = nn.LSTM(10, 3, 1, bidirectional=True)(a)
    assert out.shape == (2, 1, 6) and h.shape == c.shape == (2, 1, 3)
    assert_close(h[0].detach(), out[-1, :, :3].detach())  # forward direction ends at t = 1
    assert_close(h[1].detach(), out[0, :, 3:].detach())   # backward direction ends at t = 0


# -- 11. embeddings ---------------------------------------------------------------------
def test_embedding_lookup_and_padding_idx():
    a = dpt.randint(0, 4, (2, 3))
    emb = nn.Embedding(4, 3)
    out = emb(a)
    assert out.shape == (2, 3, 3) and repr(out).endswith("grad_fn=<EmbeddingBackward0>)")
    assert dpt.equal(out.detach(), emb.weight.detach()[a])
    emb = nn.Embedding(4, 3, padding_idx=0)
    assert emb.weight[0].tolist() == [0.0, 0.0, 0.0]
    b = dpt.LongTensor([2, 0, 0])
    out = emb(b)
    assert out[1:].tolist() == [[0.0] * 3, [0.0] * 3]
    assert dpt.equal(out[0].detach(), emb.weight[2].detach())
    out.sum().backward()
    assert emb.weight.grad[0].tolist() == [0.0, 0.0, 0.0]  # the padding row gets no gradient


def test_embedding_bag_mean_and_offsets():
    a = dpt.LongTensor([[1, 2, 3], [1, 2, 3]])
    embd = nn.EmbeddingBag(5, 3)
    out = embd(a)
    assert out.shape == (2, 3)
    assert_close(out[0].detach(), embd.weight[1:-1, :].mean(dim=0).detach(), rtol=1e-6)
    a = dpt.LongTensor([1, 2, 3, 1, 2, 3])
    embd = nn.EmbeddingBag(5, 3)
    out = embd(a, offsets=dpt.tensor([0, 2]))
    w = embd.weight
    assert_close(out[0].detach(), ((w[1, :] + w[2, :]) / 2).detach(), rtol=1e-6)
    assert_close(out[1].detach(), ((w[3, :] + w[1, :] + w[2, :] + w[3, :]) / 4).detach(),
                 rtol=1e-6)
    summed = nn.EmbeddingBag.from_pretrained(w.detach(), mode="sum")(a, offsets=dpt.tensor([0, 2]))
    assert_close(summed, out.detach() * dpt.tensor([[2.0], [4.0]]), rtol=1e-6)  # mode='sum'
