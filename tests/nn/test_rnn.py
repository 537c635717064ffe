"""RNN/LSTM/GRU, the cells and nn.utils.rnn packed sequences."""
import math
import warnings

import numpy as np
import pytest

import dpt
from dpt import nn
from dpt.nn.utils import rnn as rnn_utils
from tests.helpers import assert_close, randn


def sig(x):
    return 1 / (1 + np.exp(-x))


def params(m, suffix):
    get = lambda n: getattr(m, n + suffix).detach().numpy()  # noqa: E731
    return get("weight_ih"), get("weight_hh"), get("bias_ih"), get("bias_hh")


def lstm_ref(x, wi, wh, bi, bh, h, c):
    outs = []
    for xt in x:
        gates = xt @ wi.T + bi + h @ wh.T + bh
        i, f, g, o = np.split(gates, 4, axis=-1)
        c = sig(f) * c + sig(i) * np.tanh(g)
        h = sig(o) * np.tanh(c)
        outs.append(h)
    return np.stack(outs), h, c


def gru_ref(x, wi, wh, bi, bh, h):
    outs = []
    for xt in x:
        xr, xz, xn = np.split(xt @ wi.T + bi, 3, axis=-1)
        hr, hz, hn = np.split(h @ wh.T + bh, 3, axis=-1)
        r, z = sig(xr + hr), sig(xz + hz)
        n = np.tanh(xn + r * hn)
        h = (1 - z) * n + z * h
        outs.append(h)
    return np.stack(outs), h


def test_tutorial_rnn_hand_recomputation():
    a = dpt.rand(2, 1, 10)
    rnn = nn.RNN(10, 3, 1)
    out, h = rnn(a)
    wh, wi, bi, bh = rnn.weight_hh_l0, rnn.weight_ih_l0, rnn.bias_ih_l0, rnn.bias_hh_l0
    ht = dpt.tanh(dpt.matmul(a[0], wi.t()) + bi + bh)
    h2 = dpt.tanh(dpt.matmul(a[1], wi.t()) + bi + dpt.matmul(ht, wh.t()) + bh)
    assert_close(out[0], ht.detach().numpy(), atol=1e-6)
    assert_close(out[1], h2.detach().numpy(), atol=1e-6)
    assert_close(h[0], h2.detach().numpy(), atol=1e-6)
    deep = nn.RNN(10, 3, 3)
    out, h = deep(a)
    assert out.shape == (2, 1, 3) and h.shape == (3, 1, 3)
    assert deep.weight_hh_l2.shape == (3, 3) and deep.weight_ih_l1.shape == (3, 3)
    assert_close(h[2], out[1].detach().numpy())


def test_tutorial_lstm_hand_recomputation():
    a = dpt.rand(2, 1, 10)
    lstm = nn.LSTM(10, 3, 1)
    out, (h, c) = lstm(a)
    wi, wh, bi, bh = params(lstm, "_l0")
    ref, h_ref, c_ref = lstm_ref(a.numpy(), wi, wh, bi, bh, np.zeros((1, 3)), np.zeros((1, 3)))
    assert_close(out, ref, atol=1e-6)
    assert_close(h[0], h_ref, atol=1e-6)
    assert_close(c[0], c_ref, atol=1e-6)
    bi_lstm = nn.LSTM(10, 3, 1, bidirectional=True)
    out, (h, c) = bi_lstm(a)
    assert out.shape == (2, 1, 6) and h.shape == (2, 1, 3) and c.shape == (2, 1, 3)
    wi, wh, bi, bh = params(bi_lstm, "_l0_reverse")
    ref, h_ref, _ = lstm_ref(a.numpy()[::-1], wi, wh, bi, bh, np.zeros((1, 3)), np.zeros((1, 3)))
    assert_close(out[:, :, 3:], ref[::-1], atol=1e-6)
    assert_close(h[1], h_ref, atol=1e-6)
    assert_close(out[1, :, :3], h[0].detach().numpy(), atol=1e-6)


def test_gru_and_relu_rnn_against_numpy():
    x = randn(4, 2, 3)
    gru = nn.GRU(3, 5).double()
    h0 = randn(1, 2, 5, seed=1)
    out, h = gru(dpt.tensor(x), dpt.tensor(h0))
    ref, h_ref = gru_ref(x, *params(gru, "_l0"), h0[0])
    assert_close(out, ref, atol=1e-12)
    assert_close(h[0], h_ref, atol=1e-12)
    rnn = nn.RNN(3, 4, nonlinearity="relu", bias=False).double()
    out, _ = rnn(dpt.tensor(x))
    wi, wh = rnn.weight_ih_l0.detach().numpy(), rnn.weight_hh_l0.detach().numpy()
    h = np.zeros((2, 4))
    for t in range(4):
        h = np.maximum(x[t] @ wi.T + h @ wh.T, 0)
        assert_close(out[t], h, atol=1e-12)


def test_parameter_names_shapes_and_init():
    lstm = nn.LSTM(4, 6, num_layers=2, bidirectional=True, proj_size=3)
    names = [n for n, _ in lstm.named_parameters()]
    assert names[:5] == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
                         "weight_hr_l0"]
    assert names[5] == "weight_ih_l0_reverse" and len(names) == 20
    assert lstm.weight_ih_l0.shape == (24, 4) and lstm.weight_hh_l0.shape == (24, 3)
    assert lstm.weight_hr_l0.shape == (3, 6) and lstm.weight_ih_l1.shape == (24, 6)
    bound = 1 / math.sqrt(6)
    assert all(float(p.abs().max()) <= bound for p in lstm.parameters())
    assert nn.GRU(4, 6).weight_ih_l0.shape == (18, 4)
    assert [n for n, _ in nn.RNN(2, 3, bias=False).named_parameters()] == ["weight_ih_l0",
                                                                           "weight_hh_l0"]
    assert len(lstm.all_weights) == 4


def test_reprs():
    assert repr(nn.RNN(10, 3)) == "RNN(10, 3)"
    assert repr(nn.LSTM(4, 6, 2, batch_first=True, dropout=0.5, bidirectional=True,
                        proj_size=3)) == ("LSTM(4, 6, proj_size=3, num_layers=2, batch_first=True,"
                                          " dropout=0.5, bidirectional=True)")
    assert repr(nn.GRU(3, 4, bias=False)) == "GRU(3, 4, bias=False)"
    assert repr(nn.RNNCell(3, 4, nonlinearity="relu")) == "RNNCell(3, 4, nonlinearity=relu)"
    assert repr(nn.LSTMCell(3, 4, bias=False)) == "LSTMCell(3, 4, bias=False)"


def test_batch_first_unbatched_and_h0():
    lstm = nn.LSTM(3, 4, batch_first=True).double()
    x = randn(2, 5, 3)
    out, (h, c) = lstm(dpt.tensor(x))
    ref, h_ref, c_ref = lstm_ref(x.transpose(1, 0, 2), *params(lstm, "_l0"), np.zeros((2, 4)),
                                 np.zeros((2, 4)))
    assert_close(out, ref.transpose(1, 0, 2), atol=1e-12)
    single, (h1, c1) = lstm(dpt.tensor(x[0]))
    assert single.shape == (5, 4) and h1.shape == (1, 4)
    assert_close(single, ref[:, 0], atol=1e-12)
    h0, c0 = randn(1, 2, 4, seed=2), randn(1, 2, 4, seed=3)
    out, _ = lstm(dpt.tensor(x), (dpt.tensor(h0), dpt.tensor(c0)))
    ref, _, _ = lstm_ref(x.transpose(1, 0, 2), *params(lstm, "_l0"), h0[0], c0[0])
    assert_close(out, ref.transpose(1, 0, 2), atol=1e-12)


def test_dropout_between_layers_only_in_training():
    dpt.manual_seed(0)
    rnn = nn.GRU(3, 4, num_layers=2, dropout=0.5).double()
    x = dpt.tensor(randn(3, 2, 3))
    rnn.eval()
    a, b = rnn(x)[0], rnn(x)[0]
    assert_close(a, b.detach().numpy())
    rnn.train()
    c = rnn(x)[0]
    assert not np.allclose(c.detach().numpy(), a.detach().numpy())
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        nn.RNN(2, 3, dropout=0.2)
    assert any("non-zero dropout expects num_layers greater than 1" in str(r.message) for r in rec)


@pytest.mark.parametrize("cls", ["LSTM", "GRU", "RNN"])
def test_gradcheck_tiny(cls):
    dpt.manual_seed(1)
    kw = {"proj_size": 1} if cls == "LSTM" else {}
    m = getattr(nn, cls)(2, 2, num_layers=2, bidirectional=True, **kw).double()
    x = dpt.tensor(randn(3, 1, 2), requires_grad=True)
    names = [n for n, _ in m.named_parameters()][:4]
    ps = [getattr(m, n) for n in names]

    def fn(inp, *weights):
        for n, w in zip(names, weights):
            m._parameters[n] = w
        out = m(inp)
        return out[0]

    assert dpt.autograd.gradcheck(fn, [x] + ps, atol=1e-5, rtol=1e-3)


def test_cells():
    x, h = randn(2, 3), randn(2, 4, seed=1)
    cell = nn.LSTMCell(3, 4).double()
    wi, wh, bi, bh = (getattr(cell, n).detach().numpy()
                      for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))
    h1, c1 = cell(dpt.tensor(x), (dpt.tensor(h), dpt.tensor(h)))
    _, h_ref, c_ref = lstm_ref(x[None], wi, wh, bi, bh, h, h)
    assert_close(h1, h_ref, atol=1e-12)
    assert_close(c1, c_ref, atol=1e-12)
    gcell = nn.GRUCell(3, 4).double()
    wi, wh, bi, bh = (getattr(gcell, n).detach().numpy()
                      for n in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))
    assert_close(gcell(dpt.tensor(x), dpt.tensor(h)), gru_ref(x[None], wi, wh, bi, bh, h)[1],
                 atol=1e-12)
    rcell = nn.RNNCell(3, 4).double()
    out = rcell(dpt.tensor(x[0]))
    assert out.shape == (4,)
    assert_close(out, np.tanh(x[0] @ rcell.weight_ih.detach().numpy().T
                              + rcell.bias_ih.detach().numpy() + rcell.bias_hh.detach().numpy()),
                 atol=1e-12)
    with pytest.raises(ValueError, match="RNNCell: Expected input to be 1D or 2D, got 3D"):
        rcell(dpt.randn(1, 2, 3))
    with pytest.raises(RuntimeError, match="input has inconsistent input_size: got 2, expected 3"):
        rcell(dpt.randn(2, 2).double())


def test_constructor_and_forward_errors():
    with pytest.raises(ValueError, match="dropout should be a number in range"):
        nn.LSTM(2, 3, dropout=1.5)
    with pytest.raises(ValueError, match="proj_size has to be smaller than hidden_size"):
        nn.LSTM(2, 3, proj_size=3)
    with pytest.raises(ValueError, match="proj_size argument is only supported for LSTM"):
        nn.GRU(2, 3, proj_size=1)
    with pytest.raises(ValueError, match="Unknown nonlinearity 'sigmoid'"):
        nn.RNN(2, 3, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="hidden_size must be greater than zero"):
        nn.RNN(2, 0)
    lstm = nn.LSTM(2, 3)
    with pytest.raises(ValueError, match="LSTM: Expected input to be 2D or 3D, got 4D instead"):
        lstm(dpt.randn(1, 1, 1, 2))
    with pytest.raises(RuntimeError, match="input.size\\(-1\\) must be equal to input_size. "
                                           "Expected 2, got 5"):
        lstm(dpt.randn(3, 1, 5))
    with pytest.raises(RuntimeError, match=r"Expected hidden\[0\] size \(1, 2, 3\), got \[1, 1, 3\]"):
        lstm(dpt.randn(3, 2, 2), (dpt.zeros(1, 1, 3), dpt.zeros(1, 2, 3)))
    with pytest.raises(RuntimeError, match=r"Expected hidden size \(1, 2, 3\), got \[2, 2, 3\]"):
        nn.GRU(2, 3)(dpt.randn(3, 2, 2), dpt.zeros(2, 2, 3))
    with pytest.raises(RuntimeError, match="For batched 3-D input, hx should also be 3-D"):
        nn.GRU(2, 3)(dpt.randn(3, 2, 2), dpt.zeros(2, 3))


# -- packed sequences --------------------------------------------------------------------
def test_pad_sequence_and_pack_roundtrip():
    a, b, c = dpt.ones(25, 300), dpt.ones(22, 300), dpt.ones(15, 300)
    assert rnn_utils.pad_sequence([a, b, c]).shape == (25, 3, 300)
    seqs = [dpt.tensor([1.0, 2, 3]), dpt.tensor([4.0, 5]), dpt.tensor([6.0])]
    assert_close(rnn_utils.pad_sequence(seqs, batch_first=True, padding_value=-1),
                 [[1, 2, 3], [4, 5, -1], [6, -1, -1]])
    assert_close(rnn_utils.pad_sequence(seqs, batch_first=True, padding_side="left"),
                 [[1, 2, 3], [0, 4, 5], [0, 0, 6]])
    packed = rnn_utils.pack_sequence(seqs)
    assert_close(packed.data, [1, 4, 6, 2, 5, 3])
    assert packed.batch_sizes.tolist() == [3, 2, 1] and packed.sorted_indices is None
    padded, lengths = rnn_utils.pad_packed_sequence(packed, batch_first=True, total_length=4)
    assert_close(padded, [[1, 2, 3, 0], [4, 5, 0, 0], [6, 0, 0, 0]])
    assert lengths.tolist() == [3, 2, 1] and lengths.dtype == dpt.int64
    with pytest.raises(ValueError, match="Expected padding_side to be one of left or right"):
        rnn_utils.pad_sequence(seqs, padding_side="middle")
    with pytest.raises(ValueError, match="Expected total_length to be at least"):
        rnn_utils.pad_packed_sequence(packed, total_length=2)


def test_pack_padded_unsorted_and_gradients():
    x = dpt.tensor(randn(4, 3, 2), requires_grad=True)  # (T, B, *)
    lengths = dpt.tensor([2, 4, 1])
    with pytest.raises(RuntimeError, match="`lengths` array must be sorted in decreasing order"):
        rnn_utils.pack_padded_sequence(x, lengths)
    packed = rnn_utils.pack_padded_sequence(x, lengths, enforce_sorted=False)
    assert packed.sorted_indices.tolist() == [1, 0, 2]
    assert packed.unsorted_indices.tolist() == [1, 0, 2]
    xs = x.detach().numpy()
    assert_close(packed.data, np.stack([xs[0, 1], xs[0, 0], xs[0, 2], xs[1, 1], xs[1, 0],
                                        xs[2, 1], xs[3, 1]]))
    padded, lens = rnn_utils.pad_packed_sequence(packed)
    mask = (np.arange(4)[:, None] < np.array([2, 4, 1])[None, :])[..., None]
    assert_close(padded, xs * mask)
    assert lens.tolist() == [2, 4, 1]
    padded.sum().backward()
    assert_close(x.grad, np.broadcast_to(mask, xs.shape).astype(float))
    assert [s.shape[0] for s in rnn_utils.unpack_sequence(packed)] == [2, 4, 1]
    with pytest.raises(RuntimeError, match="Length of all samples has to be greater than 0"):
        rnn_utils.pack_padded_sequence(x, [2, 0, 0])


@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
def test_rnn_on_packed_equals_per_sequence(cls):
    dpt.manual_seed(2)
    m = getattr(nn, cls)(2, 3, num_layers=2, bidirectional=True).double()
    seqs = [dpt.tensor(randn(n, 2, seed=n)) for n in (2, 4, 3)]
    packed = rnn_utils.pack_sequence(seqs, enforce_sorted=False)
    out, hn = m(packed)
    padded, lengths = rnn_utils.pad_packed_sequence(out, batch_first=True)
    assert lengths.tolist() == [2, 4, 3]
    for b, s in enumerate(seqs):
        alone, hb = m(s.unsqueeze(1))
        assert_close(padded[b, :s.shape[0]], alone[:, 0].detach().numpy(), atol=1e-12)
        if cls == "LSTM":
            assert_close(hn[0][:, b], hb[0][:, 0].detach().numpy(), atol=1e-12)
            assert_close(hn[1][:, b], hb[1][:, 0].detach().numpy(), atol=1e-12)
        else:
            assert_close(hn[:, b], hb[:, 0].detach().numpy(), atol=1e-12)


def test_against_torch():
    torch = pytest.importorskip("torch")
    for cls, kw in (("LSTM", {"proj_size": 2}), ("GRU", {}), ("RNN", {"nonlinearity": "relu"})):
        ref = getattr(torch.nn, cls)(4, 3, 2, bidirectional=True, batch_first=True, **kw).double()
        ours = getattr(nn, cls)(4, 3, 2, bidirectional=True, batch_first=True, **kw).double()
        for n, p in ref.named_parameters():
            getattr(ours, n).data.copy_(dpt.tensor(p.detach().numpy()))
        x = randn(2, 5, 4)
        lens = [3, 5]
        out, _ = ours(rnn_utils.pack_padded_sequence(dpt.tensor(x), lens, batch_first=True,
                                                     enforce_sorted=False))
        tout, _ = ref(torch.nn.utils.rnn.pack_padded_sequence(
            torch.tensor(x), lens, batch_first=True, enforce_sorted=False))
        assert_close(out.data, tout.data.detach().numpy(), atol=1e-12)
        assert repr(ours) == repr(ref)
