"""Transformer layers and stacks: shapes, parameter names, a numpy reference, gradcheck, torch."""
import warnings

import numpy as np
import pytest

import dpt
from dpt import nn
from tests.helpers import assert_close, randn


def _np(t):
    return t.detach().numpy()


# ---- numpy reference of one post-norm encoder layer (eval mode: no dropout) -------------
def _layer_norm(x, w, b, eps=1e-5):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * w + b


def _softmax(s):
    e = np.exp(s - s.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _ref_encoder_layer(layer, x, mask=None, norm_first=False):
    """x (S, N, E), sequence first; mask an additive (S, S) float array."""
    p = {k: _np(v) for k, v in layer.state_dict().items()}
    S, N, E = x.shape
    H = layer.self_attn.num_heads
    hd = E // H

    def attn(h):
        wq, wk, wv = np.split(p["self_attn.in_proj_weight"], 3)
        bq, bk, bv = np.split(p["self_attn.in_proj_bias"], 3)
        out = np.zeros_like(h)
        for n in range(N):
            q, k, v = h[:, n] @ wq.T + bq, h[:, n] @ wk.T + bk, h[:, n] @ wv.T + bv
            heads = []
            for i in range(H):
                sl = slice(i * hd, (i + 1) * hd)
                s = q[:, sl] @ k[:, sl].T / np.sqrt(hd)
                if mask is not None:
                    s = s + mask
                heads.append(_softmax(s) @ v[:, sl])
            out[:, n] = np.concatenate(heads, -1) @ p["self_attn.out_proj.weight"].T \
                + p["self_attn.out_proj.bias"]
        return out

    def ff(h):
        a = np.maximum(h @ p["linear1.weight"].T + p["linear1.bias"], 0)
        return a @ p["linear2.weight"].T + p["linear2.bias"]

    n1 = lambda h: _layer_norm(h, p["norm1.weight"], p["norm1.bias"])  # noqa: E731
    n2 = lambda h: _layer_norm(h, p["norm2.weight"], p["norm2.bias"])  # noqa: E731
    if norm_first:
        x = x + attn(n1(x))
        return x + ff(n2(x))
    x = n1(x + attn(x))
    return n2(x + ff(x))


def _randomize(module, seed=0):
    """Non-trivial values everywhere (LayerNorm starts at 1/0, attention biases at 0)."""
    rng = np.random.default_rng(seed)
    with dpt.no_grad():
        for p in module.parameters():
            p.copy_(dpt.tensor(rng.standard_normal(p.shape) * 0.5, dtype=p.dtype))


@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_layer_against_numpy(norm_first):
    layer = nn.TransformerEncoderLayer(4, 2, dim_feedforward=6, norm_first=norm_first,
                                       dtype=dpt.float64).eval()
    _randomize(layer)
    x = randn(3, 2, 4, seed=1)
    assert_close(layer(dpt.tensor(x)), _ref_encoder_layer(layer, x, norm_first=norm_first),
                 atol=1e-10)
    mask = nn.Transformer.generate_square_subsequent_mask(3, dtype=dpt.float64)
    got = layer(dpt.tensor(x), src_mask=mask, is_causal=True)
    assert_close(got, _ref_encoder_layer(layer, x, _np(mask), norm_first), atol=1e-10)
    # a bool mask (True = masked) means the same as the -inf float mask
    got = layer(dpt.tensor(x), src_mask=dpt.tensor(np.triu(np.ones((3, 3), bool), 1)))
    assert_close(got, _ref_encoder_layer(layer, x, _np(mask), norm_first), atol=1e-10)


def test_key_padding_mask_ignores_padded_positions():
    layer = nn.TransformerEncoderLayer(4, 2, dim_feedforward=6, dtype=dpt.float64).eval()
    _randomize(layer, 3)
    x = randn(4, 2, 4, seed=2)
    kpm = dpt.tensor([[False, False, True, True], [False, False, False, False]])
    out = layer(dpt.tensor(x), src_key_padding_mask=kpm)
    # sample 0 attends to its first two positions only: equal to running on them alone
    alone = layer(dpt.tensor(x[:2, :1]))
    assert_close(out[:2, :1], _np(alone), atol=1e-10)
    # changing the padded positions changes nothing for the real ones
    x2 = x.copy()
    x2[2:, 0] += 5.0
    out2 = layer(dpt.tensor(x2), src_key_padding_mask=kpm)
    assert_close(out2[:2], _np(out[:2]), atol=1e-10)
    float_kpm = dpt.zeros((2, 4), dtype=dpt.float64).masked_fill(kpm, float("-inf"))
    assert_close(layer(dpt.tensor(x), src_key_padding_mask=float_kpm), _np(out), atol=1e-12)


def test_shapes_batch_first_and_unbatched():
    enc = nn.TransformerEncoderLayer(8, 2, 16, batch_first=True)
    assert enc(dpt.randn(3, 5, 8)).shape == (3, 5, 8)
    assert enc(dpt.randn(5, 8)).shape == (5, 8)
    dec = nn.TransformerDecoderLayer(8, 4, 16)
    assert dec(dpt.randn(4, 2, 8), dpt.randn(6, 2, 8)).shape == (4, 2, 8)
    model = nn.Transformer(8, 2, 2, 1, 16, batch_first=True)
    assert model(dpt.randn(2, 6, 8), dpt.randn(2, 4, 8)).shape == (2, 4, 8)
    model = nn.Transformer(8, 2, 1, 2, 16)
    out = model(dpt.randn(6, 3, 8), dpt.randn(4, 3, 8),
                tgt_mask=model.generate_square_subsequent_mask(4))
    assert out.shape == (4, 3, 8) and out.dtype is dpt.float32
    out.sum().backward()
    assert all(p.grad is not None for p in model.parameters())


def test_parameter_names_and_reprs():
    layer = nn.TransformerEncoderLayer(4, 2, 8)
    assert [n for n, _ in layer.named_parameters()] == [
        "self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight",
        "self_attn.out_proj.bias", "linear1.weight", "linear1.bias", "linear2.weight",
        "linear2.bias", "norm1.weight", "norm1.bias", "norm2.weight", "norm2.bias"]
    assert layer.self_attn.in_proj_weight.shape == (12, 4) and layer.linear1.weight.shape == (8, 4)
    dec = nn.TransformerDecoderLayer(4, 2, 8, bias=False)
    names = [n for n, _ in dec.named_parameters()]
    assert names == ["self_attn.in_proj_weight", "self_attn.out_proj.weight",
                     "multihead_attn.in_proj_weight", "multihead_attn.out_proj.weight",
                     "linear1.weight", "linear2.weight", "norm1.weight", "norm2.weight",
                     "norm3.weight"]
    model = nn.Transformer(4, 2, 2, 1, 8)
    names = [n for n, _ in model.named_parameters()]
    assert "encoder.layers.1.norm2.bias" in names and "encoder.norm.weight" in names
    assert "decoder.layers.0.multihead_attn.in_proj_weight" in names
    assert not any(n.startswith("decoder.layers.1") for n in names)
    assert len(names) == 2 * 12 + 2 + 18 + 2  # 2 encoder layers, norm, 1 decoder layer, norm
    # deep copies: the layers share no parameter
    assert model.encoder.layers[0].linear1.weight is not model.encoder.layers[1].linear1.weight
    assert repr(layer) == (
        "TransformerEncoderLayer(\n"
        "  (self_attn): MultiheadAttention(\n"
        "    (out_proj): NonDynamicallyQuantizableLinear(in_features=4, out_features=4, bias=True)\n"
        "  )\n"
        "  (linear1): Linear(in_features=4, out_features=8, bias=True)\n"
        "  (dropout): Dropout(p=0.1, inplace=False)\n"
        "  (linear2): Linear(in_features=8, out_features=4, bias=True)\n"
        "  (norm1): LayerNorm((4,), eps=1e-05, elementwise_affine=True, bias=True)\n"
        "  (norm2): LayerNorm((4,), eps=1e-05, elementwise_affine=True, bias=True)\n"
        "  (dropout1): Dropout(p=0.1, inplace=False)\n"
        "  (dropout2): Dropout(p=0.1, inplace=False)\n"
        ")")
    assert "(layers): ModuleList(\n      (0-1): 2 x TransformerEncoderLayer(" in repr(model)


def test_activation_choices_and_errors():
    assert nn.TransformerEncoderLayer(4, 2, 8, activation="gelu").activation is \
        nn.functional.gelu
    assert nn.TransformerEncoderLayer(4, 2, 8).activation_relu_or_gelu == 1
    act = nn.GELU()
    layer = nn.TransformerEncoderLayer(4, 2, 8, activation=act)
    assert layer.activation_relu_or_gelu == 2 and "(activation): GELU" in repr(layer)
    layer = nn.TransformerDecoderLayer(4, 2, 8, activation=lambda t: t * 2, dropout=0.0)
    assert layer(dpt.randn(2, 1, 4), dpt.randn(3, 1, 4)).shape == (2, 1, 4)
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        nn.TransformerEncoderLayer(4, 2, activation="tanh")
    model = nn.Transformer(4, 2, 1, 1, 8)
    with pytest.raises(RuntimeError, match="the batch number of src and tgt must be equal"):
        model(dpt.randn(3, 2, 4), dpt.randn(3, 1, 4))
    with pytest.raises(RuntimeError, match="the feature number of src and tgt must be equal"):
        model(dpt.randn(3, 2, 4), dpt.randn(3, 2, 5))
    with pytest.raises(AssertionError, match="only bool and floating types of src_mask"):
        model.encoder.layers[0](dpt.randn(3, 2, 4), src_mask=dpt.zeros((3, 3), dtype=dpt.int64))
    with pytest.warns(UserWarning, match="mismatched src_key_padding_mask and src_mask"):
        model.encoder.layers[0](dpt.randn(3, 2, 4), src_mask=dpt.zeros((3, 3)),
                                src_key_padding_mask=dpt.zeros((2, 3), dtype=dpt.bool))


def test_generate_square_subsequent_mask():
    m = nn.Transformer.generate_square_subsequent_mask(3)
    assert m.dtype is dpt.float32
    np.testing.assert_array_equal(_np(m), np.triu(np.full((3, 3), -np.inf), 1) + 0.0)
    assert nn.Transformer.generate_square_subsequent_mask(2, dtype=dpt.float64).dtype \
        is dpt.float64


def test_stack_applies_every_layer_and_the_norm():
    layer = nn.TransformerEncoderLayer(4, 2, 6, dropout=0.0, dtype=dpt.float64)
    enc = nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(4, dtype=dpt.float64))
    for m in enc.layers:
        _randomize(m, 5)
    x = dpt.tensor(randn(3, 2, 4, seed=4))
    mask = nn.Transformer.generate_square_subsequent_mask(3, dtype=dpt.float64)
    want = enc.norm(enc.layers[1](enc.layers[0](x, src_mask=mask), src_mask=mask))
    assert_close(enc(x, mask=mask), _np(want), atol=1e-12)
    dec_layer = nn.TransformerDecoderLayer(4, 2, 6, dropout=0.0, dtype=dpt.float64)
    dec = nn.TransformerDecoder(dec_layer, 2)
    mem = dpt.tensor(randn(5, 2, 4, seed=6))
    want = dec.layers[1](dec.layers[0](x, mem, tgt_mask=mask), mem, tgt_mask=mask)
    assert_close(dec(x, mem, tgt_mask=mask), _np(want), atol=1e-12)


def test_dropout_only_in_training():
    layer = nn.TransformerEncoderLayer(4, 2, 8, dropout=0.5)
    x = dpt.randn(3, 2, 4)
    layer.eval()
    assert dpt.equal(layer(x), layer(x))
    layer.train()
    dpt.manual_seed(0)
    a = layer(x)
    dpt.manual_seed(1)
    assert not dpt.equal(a, layer(x))


@pytest.mark.parametrize("norm_first", [False, True])
def test_gradcheck_tiny_layers(norm_first):
    enc = nn.TransformerEncoderLayer(2, 1, 3, dropout=0.0, norm_first=norm_first,
                                     dtype=dpt.float64)
    _randomize(enc, 7)
    x = dpt.tensor(randn(2, 1, 2, seed=8), requires_grad=True)
    params = [enc.self_attn.in_proj_weight, enc.linear1.weight, enc.norm1.weight]
    assert dpt.autograd.gradcheck(lambda x, *ps: enc(x), [x, *params])
    dec = nn.TransformerDecoderLayer(2, 1, 3, dropout=0.0, norm_first=norm_first,
                                     dtype=dpt.float64)
    _randomize(dec, 9)
    mem = dpt.tensor(randn(3, 1, 2, seed=10), requires_grad=True)
    params = [dec.multihead_attn.in_proj_weight, dec.norm3.bias]
    assert dpt.autograd.gradcheck(lambda x, m, *ps: dec(x, m), [x, mem, *params])


def _copy_state(ours, ref):
    sd = {k: dpt.tensor(v.detach().numpy()) for k, v in ref.state_dict().items()}
    assert list(sd) == list(ours.state_dict())
    ours.load_state_dict(sd)


@pytest.mark.parametrize("batch_first,norm_first,act",
                         [(False, False, "relu"), (True, True, "gelu")])
def test_against_torch(batch_first, norm_first, act):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    kw = dict(dim_feedforward=12, activation=act, batch_first=batch_first,
              norm_first=norm_first)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's nested-tensor notice
        ref = torch.nn.Transformer(8, 2, 2, 2, **kw).double().eval()
    ours = nn.Transformer(8, 2, 2, 2, **kw).double().eval()
    _copy_state(ours, ref)
    assert repr(ours) == repr(ref)
    src, tgt = randn(2, 5, 8, seed=11), randn(2, 4, 8, seed=12)
    if not batch_first:
        src, tgt = src.transpose(1, 0, 2), tgt.transpose(1, 0, 2)
    kpm = np.zeros((2, 5), bool)
    kpm[1, 3:] = True
    tmask = torch.nn.Transformer.generate_square_subsequent_mask(4, dtype=torch.float64)
    with torch.no_grad():
        want = ref(torch.tensor(src), torch.tensor(tgt), tgt_mask=tmask,
                   src_key_padding_mask=torch.tensor(kpm),
                   memory_key_padding_mask=torch.tensor(kpm)).numpy()
    got = ours(dpt.tensor(src), dpt.tensor(tgt), tgt_mask=dpt.tensor(tmask.numpy()),
               src_key_padding_mask=dpt.tensor(kpm), memory_key_padding_mask=dpt.tensor(kpm))
    assert_close(got, want, atol=1e-10)
