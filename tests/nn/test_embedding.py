"""Embedding, EmbeddingBag, F.embedding and F.embedding_bag."""
import numpy as np
import pytest

import dpt
import dpt.nn.functional as F
from dpt import nn
from tests.helpers import assert_close, check_gradients, randn


def bag_ref(w, idx, offsets, mode, psw=None, padding_idx=None):
    bounds = list(offsets) + [len(idx)]
    out = np.zeros((len(offsets), w.shape[1]))
    for k in range(len(offsets)):
        sel = [(i, p) for p, i in enumerate(idx[bounds[k]:bounds[k + 1]], bounds[k])
               if i != padding_idx]
        if not sel:
            continue
        rows = np.stack([w[i] * (1 if psw is None else psw[p]) for i, p in sel])
        out[k] = {"sum": rows.sum(0), "mean": rows.mean(0), "max": rows.max(0)}[mode]
    return out


def test_tutorial_functional_examples():
    w = dpt.linspace(1, 30, 30).view(10, 3)
    a = dpt.tensor([1, 3, 2, 5, 3])
    assert_close(F.embedding(a, w), [[4, 5, 6], [10, 11, 12], [7, 8, 9], [16, 17, 18],
                                     [10, 11, 12]])
    assert_close(F.embedding_bag(a, w, dpt.tensor([0, 2, 3])),
                 [[7, 8, 9], [7, 8, 9], [13, 14, 15]])


def test_tutorial_padding_idx():
    dpt.manual_seed(0)
    emb = nn.Embedding(4, 3, padding_idx=0)
    assert repr(emb) == "Embedding(4, 3, padding_idx=0)"
    assert_close(emb.weight[0], np.zeros(3))
    out = emb(dpt.tensor([[1, 0, 3], [0, 2, 0]]))
    assert out.shape == (2, 3, 3)
    assert_close(out[0, 1], np.zeros(3))
    assert_close(out[1, 2], np.zeros(3))
    assert_close(out[0, 0], emb.weight[1].detach().numpy())
    out.sum().backward()
    assert_close(emb.weight.grad[0], np.zeros(3))
    assert_close(emb.weight.grad[2], np.ones(3))


def test_tutorial_embedding_bag_with_offsets():
    embd = nn.EmbeddingBag(5, 3)
    a = dpt.tensor([[1, 2, 3], [1, 2, 3]])
    expect = embd.weight[1:-1, :].mean(dim=0).detach().numpy()
    assert_close(embd(a), np.stack([expect, expect]), atol=1e-6)
    a = dpt.tensor([1, 2, 3, 1, 2, 3])
    out = embd(a, offsets=dpt.tensor([0, 2]))
    w = embd.weight.detach().numpy()
    assert_close(out[0], (w[1] + w[2]) / 2, atol=1e-6)
    assert_close(out[1], (w[3] + w[1] + w[2] + w[3]) / 4, atol=1e-6)


def test_embedding_defaults_and_forward():
    emb = nn.Embedding(10, 4)
    assert emb.weight.shape == (10, 4) and emb.weight.requires_grad
    idx = np.array([[0, 9, 3]])
    assert_close(emb(dpt.tensor(idx)), emb.weight.detach().numpy()[idx])
    assert repr(nn.Embedding(4, 3, padding_idx=-1, max_norm=2.0, sparse=True)) == \
        "Embedding(4, 3, padding_idx=3, max_norm=2.0, sparse=True)"


def test_embedding_gradients():
    w = randn(5, 3)
    idx = dpt.tensor([[1, 0, 2], [2, 2, 4]])
    check_gradients(lambda ww: F.embedding(idx, ww), w, gradgrad=True)
    # padding_idx and scale_grad_by_freq change the gradient on purpose (no gradcheck), but
    # their backward is linear in the incoming gradient: its own derivative must be right
    assert dpt.autograd.gradgradcheck(
        lambda ww: F.embedding(idx, ww, padding_idx=2, scale_grad_by_freq=True) ** 2,
        [dpt.tensor(w, requires_grad=True)])
    wt = dpt.tensor(w, requires_grad=True)
    g = randn(2, 3, 3, seed=1)
    (F.embedding(idx, wt, padding_idx=2, scale_grad_by_freq=True) * dpt.tensor(g)).sum().backward()
    expect = np.zeros_like(w)
    flat, counts = idx.numpy().reshape(-1), np.bincount(idx.numpy().reshape(-1), minlength=5)
    for p, i in enumerate(flat):
        if i != 2:
            expect[i] += g.reshape(-1, 3)[p] / counts[i]
    assert_close(wt.grad, expect, atol=1e-12)


def test_embedding_max_norm_renorms_in_place():
    w = dpt.tensor(randn(4, 3) * 5)
    before = w.numpy().copy()
    F.embedding(dpt.tensor([0, 2]), w, max_norm=1.0)
    after = w.numpy()
    assert np.allclose(np.linalg.norm(after[[0, 2]], axis=1), 1.0, atol=1e-5)
    assert_close(after[[1, 3]], before[[1, 3]])


def test_from_pretrained():
    weight = dpt.tensor([[1.0, 2.3, 3.0], [4.0, 5.1, 6.3]])
    emb = nn.Embedding.from_pretrained(weight)
    assert not emb.weight.requires_grad
    assert_close(emb(dpt.tensor([1])), [[4.0, 5.1, 6.3]])
    assert nn.Embedding.from_pretrained(weight, freeze=False).weight.requires_grad
    bag = nn.EmbeddingBag.from_pretrained(weight, mode="sum")
    assert_close(bag(dpt.tensor([[0, 1]])), [[5.0, 7.4, 9.3]], atol=1e-6)


def test_embedding_errors():
    emb = nn.Embedding(3, 2)
    with pytest.raises(IndexError, match="index out of range in self"):
        emb(dpt.tensor([3]))
    with pytest.raises(RuntimeError, match="Expected tensor for argument #1 'indices' to have "
                                           "one of the following scalar types: Long, Int"):
        emb(dpt.tensor([1.0]))
    with pytest.raises(AssertionError, match="Padding_idx must be within num_embeddings"):
        nn.Embedding(3, 2, padding_idx=3)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("padding_idx", [None, 2])
def test_embedding_bag_modes(mode, padding_idx):
    w = randn(6, 3)
    idx = np.array([1, 0, 2, 2, 5, 0, 3, 1])
    offsets = np.array([0, 2, 2, 5])  # bag 1 is empty
    out = F.embedding_bag(dpt.tensor(idx), dpt.tensor(w), dpt.tensor(offsets), mode=mode,
                          padding_idx=padding_idx)
    assert_close(out, bag_ref(w, idx, offsets, mode, padding_idx=padding_idx), atol=1e-12)
    last = F.embedding_bag(dpt.tensor(idx), dpt.tensor(w), dpt.tensor([0, 2, 2, 5, 8]),
                           mode=mode, include_last_offset=True, padding_idx=padding_idx)
    assert_close(last, out, atol=1e-12)
    check_gradients(lambda ww: F.embedding_bag(dpt.tensor(idx), ww, dpt.tensor(offsets),
                                               mode=mode, padding_idx=padding_idx), w)


def test_embedding_bag_per_sample_weights():
    w, psw = randn(6, 3), randn(8, seed=2)
    idx, offsets = np.array([1, 0, 2, 2, 5, 0, 3, 1]), np.array([0, 3, 5])
    out = F.embedding_bag(dpt.tensor(idx), dpt.tensor(w), dpt.tensor(offsets), mode="sum",
                          per_sample_weights=dpt.tensor(psw))
    assert_close(out, bag_ref(w, idx, offsets, "sum", psw), atol=1e-12)
    check_gradients(lambda ww, pp: F.embedding_bag(dpt.tensor(idx), ww, dpt.tensor(offsets),
                                                   mode="sum", per_sample_weights=pp), w, psw)
    # 2-D input: bags are the rows
    idx2 = idx.reshape(2, 4)
    out2 = nn.EmbeddingBag(6, 3, mode="sum", _weight=dpt.tensor(w))(
        dpt.tensor(idx2), per_sample_weights=dpt.tensor(psw.reshape(2, 4)))
    assert_close(out2, bag_ref(w, idx, [0, 4], "sum", psw), atol=1e-12)


def test_embedding_bag_repr_and_errors():
    assert repr(nn.EmbeddingBag(5, 3)) == "EmbeddingBag(5, 3, mode='mean')"
    assert repr(nn.EmbeddingBag(5, 3, mode="max", padding_idx=1)) == \
        "EmbeddingBag(5, 3, mode='max', padding_idx=1)"
    w = dpt.randn(5, 3)
    with pytest.raises(ValueError, match="offsets has to be a 1D Tensor but got None"):
        F.embedding_bag(dpt.tensor([1, 2]), w)
    with pytest.raises(ValueError, match="if input is 2D, then offsets has to be None"):
        F.embedding_bag(dpt.tensor([[1, 2]]), w, dpt.tensor([0]))
    with pytest.raises(NotImplementedError, match="per_sample_weights is only supported for "
                                                  "mode='sum'"):
        F.embedding_bag(dpt.tensor([[1, 2]]), w, per_sample_weights=dpt.ones(1, 2))
    with pytest.raises(ValueError, match="mode has to be one of sum, mean or max"):
        F.embedding_bag(dpt.tensor([[1, 2]]), w, mode="median")
    with pytest.raises(RuntimeError, match="offsets\\[0\\] has to be 0"):
        F.embedding_bag(dpt.tensor([1, 2]), w, dpt.tensor([1]))


def test_against_torch():
    torch = pytest.importorskip("torch")
    w, idx, off = randn(6, 3), np.array([1, 0, 2, 2, 5, 0, 3, 1]), np.array([0, 2, 2, 5])
    for mode in ("sum", "mean", "max"):
        ours = F.embedding_bag(dpt.tensor(idx), dpt.tensor(w), dpt.tensor(off), mode=mode,
                               padding_idx=0)
        ref = torch.nn.functional.embedding_bag(torch.tensor(idx), torch.tensor(w),
                                                torch.tensor(off), mode=mode, padding_idx=0)
        assert_close(ours, ref.numpy(), atol=1e-12)
    assert repr(nn.EmbeddingBag(5, 3, max_norm=1.0)) == repr(torch.nn.EmbeddingBag(5, 3, max_norm=1.0))
