"""Activations, softmax family, scaled_dot_product_attention and MultiheadAttention."""
import math

import numpy as np
import pytest

import dpt
import dpt.nn as nn
import dpt.nn.functional as F
from tests.helpers import assert_close, check_gradients, check_op, leaf, randn

SELU_A, SELU_S = 1.6732632423543772, 1.0507009873554805


def _erf(x):
    return np.vectorize(math.erf)(x)


def _sig(x):
    return 1 / (1 + np.exp(-x))


def _softplus(x):
    return np.log1p(np.exp(x))


# numpy references, written from the formulas in torch's documentation
REFS = {
    "relu": (F.relu, lambda x: np.maximum(x, 0)),
    "relu6": (F.relu6, lambda x: np.minimum(np.maximum(x, 0), 6)),
    "hardtanh": (F.hardtanh, lambda x: np.clip(x, -1, 1)),
    "leaky_relu": (F.leaky_relu, lambda x: np.where(x > 0, x, 0.01 * x)),
    "elu": (F.elu, lambda x: np.where(x > 0, x, np.exp(x) - 1)),
    "selu": (F.selu, lambda x: SELU_S * np.where(x > 0, x, SELU_A * (np.exp(x) - 1))),
    "celu": (lambda x: F.celu(x, 0.5),
             lambda x: np.maximum(x, 0) + np.minimum(0, 0.5 * (np.exp(x / 0.5) - 1))),
    "gelu": (F.gelu, lambda x: x * 0.5 * (1 + _erf(x / math.sqrt(2)))),
    "gelu_tanh": (lambda x: F.gelu(x, approximate="tanh"),
                  lambda x: 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi)
                                                   * (x + 0.044715 * x ** 3)))),
    "silu": (F.silu, lambda x: x * _sig(x)),
    "mish": (F.mish, lambda x: x * np.tanh(_softplus(x))),
    "sigmoid": (F.sigmoid, _sig),
    "tanh": (F.tanh, np.tanh),
    "softplus": (F.softplus, _softplus),
    "softplus_beta": (lambda x: F.softplus(x, 2.0, 3.0),
                      lambda x: np.where(2 * x > 3, x, _softplus(2 * x) / 2)),
    "softsign": (F.softsign, lambda x: x / (1 + np.abs(x))),
    "softshrink": (F.softshrink,
                   lambda x: np.where(x > 0.5, x - 0.5, np.where(x < -0.5, x + 0.5, 0))),
    "hardshrink": (F.hardshrink, lambda x: np.where(np.abs(x) > 0.5, x, 0)),
    "tanhshrink": (F.tanhshrink, lambda x: x - np.tanh(x)),
    "hardsigmoid": (F.hardsigmoid, lambda x: np.clip(x / 6 + 0.5, 0, 1)),
    "hardswish": (F.hardswish, lambda x: x * np.clip(x + 3, 0, 6) / 6),
    "logsigmoid": (F.logsigmoid, lambda x: np.log(_sig(x))),
    "threshold": (lambda x: F.threshold(x, 0.3, -2.0), lambda x: np.where(x > 0.3, x, -2.0)),
}

# smooth away from the kinks: double backward is checked for these
SMOOTH = {"elu", "selu", "celu", "gelu", "gelu_tanh", "silu", "mish", "sigmoid", "tanh",
          "softplus", "softsign", "tanhshrink", "logsigmoid", "hardswish"}


def _away_from_kinks(shape, seed=0):
    x = randn(*shape, seed=seed) * 2.5
    for k in (0.0, 0.3, 0.5, 1.0, 3.0, 6.0, 1.5):  # keep finite differences off the corners
        x = np.where(np.abs(np.abs(x) - k) < 0.05, x + 0.2, x)
    return x


@pytest.mark.parametrize("name", sorted(REFS))
def test_activation_forward_and_gradcheck(name):
    fn, ref = REFS[name]
    x = _away_from_kinks((3, 4))
    check_op(fn, ref, x, gradgrad=name in SMOOTH)


@pytest.mark.parametrize("name", ["relu", "gelu", "silu", "softplus", "hardswish", "elu"])
def test_activation_dtypes_0d_and_empty(name):
    fn, ref = REFS[name]
    x32 = dpt.tensor(randn(5, dtype=np.float32))
    assert fn(x32).dtype == dpt.float32
    assert_close(fn(dpt.tensor(1.5)), ref(np.array(1.5)), rtol=1e-5)
    assert fn(dpt.zeros(0, 3)).shape == (0, 3)


def test_large_inputs_stay_finite():
    x = dpt.tensor([-1000.0, -50.0, 0.0, 50.0, 1000.0])
    for fn in (F.softplus, F.logsigmoid, F.silu, F.mish, F.elu, F.gelu):
        assert np.isfinite(fn(x).numpy()).all(), fn
    assert_close(F.logsigmoid(x), [-1000.0, -50.0, -math.log(2), 0.0, 0.0], atol=1e-6)


def test_inplace_variants_write_into_input():
    for fn, ref in [(lambda t: F.relu(t, inplace=True), lambda a: np.maximum(a, 0)),
                    (lambda t: F.leaky_relu(t, 0.2, True), lambda a: np.where(a > 0, a, 0.2 * a)),
                    (lambda t: F.elu_(t), lambda a: np.where(a > 0, a, np.exp(a) - 1)),
                    (lambda t: F.hardtanh_(t, -0.5, 0.5), lambda a: np.clip(a, -0.5, 0.5)),
                    (lambda t: F.threshold_(t, 0.1, 9.0), lambda a: np.where(a > 0.1, a, 9.0)),
                    (lambda t: nn.ReLU(inplace=True)(t), lambda a: np.maximum(a, 0))]:
        a = randn(2, 3)
        t = dpt.tensor(a)
        out = fn(t)
        assert out is t
        assert_close(t, ref(a))


def test_inplace_relu_in_graph_backpropagates():
    a = randn(2, 3)
    x = leaf(a)
    y = x * 2
    nn.ReLU(inplace=True)(y)
    y.sum().backward()
    assert_close(x.grad, 2 * (a > 0))


def test_prelu_functional_and_module():
    x = randn(2, 3, 4)
    w = np.array([0.1, 0.2, 0.3])
    ref = np.where(x > 0, x, w[None, :, None] * x)
    assert_close(F.prelu(leaf(x, False), leaf(w, False)), ref)
    check_gradients(F.prelu, _away_from_kinks((2, 3, 4)), w)
    m = nn.PReLU(3)
    assert m.weight.shape == (3,) and np.allclose(m.weight.detach().numpy(), 0.25)
    assert repr(m) == "PReLU(num_parameters=3)"
    assert_close(nn.PReLU()(dpt.tensor([-2.0, 3.0])), [-0.5, 3.0])
    with pytest.raises(RuntimeError, match="Mismatch of parameter numbers and input channel"):
        F.prelu(dpt.zeros(2, 4), dpt.zeros(3))


def test_glu():
    x = randn(2, 6)
    a, b = x[:, :3], x[:, 3:]
    check_op(F.glu, lambda t: a * _sig(b), x, gradgrad=True)
    assert_close(nn.GLU(0)(dpt.tensor(x.T)), (a * _sig(b)).T)
    with pytest.raises(RuntimeError,
                       match="Halving dimension must be even, but dimension 1 is size 5"):
        F.glu(dpt.zeros(2, 5))


def test_activation_errors():
    with pytest.raises(RuntimeError, match="approximate argument must be either none or tanh"):
        F.gelu(dpt.zeros(2), approximate="fast")
    with pytest.raises(RuntimeError, match="softshrink: lambda must be greater or equal to 0"):
        F.softshrink(dpt.zeros(2), -1.0)
    with pytest.raises(RuntimeError, match="not implemented for 'Long'"):
        F.gelu(dpt.tensor([1, 2]))
    with pytest.raises(TypeError, match="must be Tensor"):
        F.silu([1.0])


# -- softmax family ------------------------------------------------------------------------
def _np_softmax(x, d):
    with np.errstate(invalid="ignore"):
        e = np.exp(x - x.max(d, keepdims=True))
        return e / e.sum(d, keepdims=True)


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmax_log_softmax_softmin(dim):
    x = randn(3, 4)
    check_op(lambda t: dpt.softmax(t, dim), lambda a: _np_softmax(a, dim), x, gradgrad=True)
    check_op(lambda t: F.log_softmax(t, dim), lambda a: np.log(_np_softmax(a, dim)), x,
             gradgrad=True)
    check_op(lambda t: F.softmin(t, dim), lambda a: _np_softmax(-a, dim), x)
    assert_close(leaf(x, False).softmax(dim), _np_softmax(x, dim))
    assert_close(leaf(x, False).log_softmax(dim), np.log(_np_softmax(x, dim)))


def test_softmax_is_stable_and_handles_edge_cases(device):
    x = dpt.tensor([[1000.0, 0.0, -1000.0], [-np.inf, 0.0, 0.0]], device=device)
    assert_close(dpt.softmax(x, 1), [[1, 0, 0], [0, 0.5, 0.5]])
    assert_close(dpt.log_softmax(x, 1)[0], [0, -1000, -2000])
    assert_close(dpt.softmax(dpt.tensor(3.0), 0), 1.0)
    assert dpt.softmax(dpt.zeros(0, 3), 1).shape == (0, 3)
    assert dpt.softmax(dpt.zeros(2, 3, dtype=dpt.float32), 0).dtype == dpt.float32
    assert dpt.softmax(dpt.tensor([1, 2]), 0, dtype=dpt.float64).dtype == dpt.float64
    with pytest.raises(RuntimeError, match="not implemented for 'Long'"):
        dpt.softmax(dpt.tensor([1, 2]), 0)
    with pytest.raises(IndexError, match="Dimension out of range"):
        dpt.softmax(dpt.zeros(2, 3), 2)


def test_softmax_single_node_in_graph():
    y = dpt.softmax(leaf(randn(2, 3)), 1)
    assert y.grad_fn.name() == "SoftmaxBackward0"
    y = F.log_softmax(leaf(randn(2, 3)), 1)
    assert y.grad_fn.name() == "LogSoftmaxBackward0"


def test_implicit_softmax_dim_warns_and_picks_torch_dim():
    x3 = randn(2, 3, 4)
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        out = F.softmax(dpt.tensor(x3))
    assert_close(out, _np_softmax(x3, 0))
    with pytest.warns(UserWarning, match="Implicit dimension choice for log_softmax"):
        out = nn.LogSoftmax()(dpt.tensor(x3[0]))
    assert_close(out, np.log(_np_softmax(x3[0], 1)))


def test_softmax_modules():
    x = randn(2, 3, 4, 5)
    assert_close(nn.Softmax(1)(dpt.tensor(x)), _np_softmax(x, 1))
    assert_close(nn.Softmin(-1)(dpt.tensor(x)), _np_softmax(-x, -1))
    assert_close(nn.Softmax2d()(dpt.tensor(x)), _np_softmax(x, 1))
    assert_close(nn.Softmax2d()(dpt.tensor(x[0])), _np_softmax(x[0], 0))
    with pytest.raises(ValueError, match="Softmax2d: expected input to be 3D or 4D, got 2D"):
        nn.Softmax2d()(dpt.zeros(2, 3))
    assert repr(nn.Softmax(dim=1)) == "Softmax(dim=1)"
    assert repr(nn.LogSoftmax()) == "LogSoftmax(dim=None)"


# -- modules: defaults and reprs -----------------------------------------------------------
def test_activation_module_reprs_match_torch_layout():
    cases = {
        nn.ReLU(): "ReLU()", nn.ReLU(inplace=True): "ReLU(inplace=True)",
        nn.ReLU6(): "ReLU6()", nn.LeakyReLU(): "LeakyReLU(negative_slope=0.01)",
        nn.LeakyReLU(0.2, True): "LeakyReLU(negative_slope=0.2, inplace=True)",
        nn.ELU(): "ELU(alpha=1.0)", nn.CELU(0.5, True): "CELU(alpha=0.5, inplace=True)",
        nn.SELU(): "SELU()", nn.GELU(): "GELU(approximate='none')",
        nn.GELU("tanh"): "GELU(approximate='tanh')", nn.SiLU(): "SiLU()", nn.Mish(): "Mish()",
        nn.Sigmoid(): "Sigmoid()", nn.Tanh(): "Tanh()",
        nn.Softplus(): "Softplus(beta=1.0, threshold=20.0)", nn.Softsign(): "Softsign()",
        nn.Softshrink(): "Softshrink(0.5)", nn.Hardshrink(0.3): "Hardshrink(0.3)",
        nn.Tanhshrink(): "Tanhshrink()", nn.Hardtanh(): "Hardtanh(min_val=-1.0, max_val=1.0)",
        nn.Hardsigmoid(): "Hardsigmoid()", nn.Hardswish(): "Hardswish()",
        nn.Threshold(0.1, 20): "Threshold(threshold=0.1, value=20)", nn.GLU(): "GLU(dim=-1)",
        nn.LogSigmoid(): "LogSigmoid()", nn.Softmax2d(): "Softmax2d()",
    }
    for m, text in cases.items():
        assert repr(m) == text


def test_activation_modules_match_functional():
    x = dpt.tensor(_away_from_kinks((2, 5)))
    pairs = [(nn.ELU(0.7), lambda t: F.elu(t, 0.7)), (nn.SELU(), F.selu),
             (nn.Hardtanh(-2, 2), lambda t: F.hardtanh(t, -2, 2)), (nn.SiLU(), F.silu),
             (nn.Softplus(2, 5), lambda t: F.softplus(t, 2, 5)), (nn.Mish(), F.mish),
             (nn.Softshrink(0.2), lambda t: F.softshrink(t, 0.2)), (nn.Hardswish(), F.hardswish),
             (nn.Hardsigmoid(), F.hardsigmoid), (nn.LogSigmoid(), F.logsigmoid),
             (nn.Tanhshrink(), F.tanhshrink), (nn.Softsign(), F.softsign),
             (nn.GELU("tanh"), lambda t: F.gelu(t, approximate="tanh"))]
    for m, f in pairs:
        assert_close(m(x), f(x).numpy())


def test_rrelu_eval_uses_mean_slope_and_train_is_bounded():
    m = nn.RReLU(0.1, 0.3)
    x = dpt.tensor([-1.0, 2.0] * 50)
    y = m(x).numpy()
    assert np.all((y[::2] <= -0.1 + 1e-7) & (y[::2] >= -0.3 - 1e-7)) and np.all(y[1::2] == 2)
    m.eval()
    assert_close(m(x)[:2], [-0.2, 2.0])


# -- attention -----------------------------------------------------------------------------
def _np_attention(q, k, v, mask=None, scale=None):
    s = q @ np.swapaxes(k, -1, -2) * (scale if scale is not None else 1 / math.sqrt(q.shape[-1]))
    if mask is not None:
        s = np.where(mask, s, -np.inf) if mask.dtype == bool else s + mask
    return _np_softmax(s, -1) @ v


def test_sdpa_matches_numpy_and_gradcheck():
    q, k, v = randn(2, 3, 4), randn(2, 5, 4, seed=1), randn(2, 5, 2, seed=2)
    check_op(F.scaled_dot_product_attention, _np_attention, q, k, v, noncontig=False)
    fmask = randn(3, 5, seed=3)
    check_op(lambda a, b, c, m: F.scaled_dot_product_attention(a, b, c, m),
             lambda a, b, c, m: _np_attention(a, b, c, m), q, k, v, fmask, noncontig=False)
    out = F.scaled_dot_product_attention(leaf(q, False), leaf(k, False), leaf(v, False), scale=0.3)
    assert_close(out, _np_attention(q, k, v, scale=0.3))


def test_sdpa_bool_and_causal_masks():
    q, k, v = randn(1, 3, 4), randn(1, 3, 4, seed=1), randn(1, 3, 2, seed=2)
    causal = np.tril(np.ones((3, 3), dtype=bool))
    out = F.scaled_dot_product_attention(leaf(q, False), leaf(k, False), leaf(v, False),
                                         is_causal=True)
    assert_close(out, _np_attention(q, k, v, causal))
    bm = np.array([[True, False, True], [False, False, False], [True, True, True]])
    out = F.scaled_dot_product_attention(leaf(q, False), leaf(k, False), leaf(v, False),
                                         dpt.tensor(bm))
    ref = _np_attention(q, k, v, bm)
    ref[:, 1] = 0  # a row that may attend nowhere gives zeros, as torch's math backend
    assert_close(out, ref)
    with pytest.raises(RuntimeError, match="Explicit attn_mask should not be set when is_causal"):
        F.scaled_dot_product_attention(dpt.tensor(q), dpt.tensor(k), dpt.tensor(v),
                                       dpt.tensor(bm), is_causal=True)


def test_sdpa_grouped_query_attention():
    q, k, v = randn(1, 4, 3, 2), randn(1, 2, 3, 2, seed=1), randn(1, 2, 3, 2, seed=2)
    out = F.scaled_dot_product_attention(dpt.tensor(q), dpt.tensor(k), dpt.tensor(v),
                                         enable_gqa=True)
    kk, vv = np.repeat(k, 2, axis=1), np.repeat(v, 2, axis=1)
    assert_close(out, _np_attention(q, kk, vv))


def test_sdpa_dropout_is_reproducible():
    q = dpt.tensor(randn(2, 4, 3))
    dpt.manual_seed(3)
    a = F.scaled_dot_product_attention(q, q, q, dropout_p=0.5)
    dpt.manual_seed(3)
    b = F.scaled_dot_product_attention(q, q, q, dropout_p=0.5)
    assert_close(a, b.numpy())


def _np_mha(query, key, value, w_in, b_in, w_out, b_out, heads, mask=None):
    """Sequence-first (L, N, E) reference, looping over batch and heads."""
    L, N, E = query.shape
    hd = E // heads
    wq, wk, wv = np.split(w_in, 3)
    bq, bk, bv = np.split(b_in, 3)
    out = np.zeros((L, N, E))
    weights = np.zeros((N, L, key.shape[0]))
    for n in range(N):
        q, k, v = query[:, n] @ wq.T + bq, key[:, n] @ wk.T + bk, value[:, n] @ wv.T + bv
        heads_out = []
        for h in range(heads):
            sl = slice(h * hd, (h + 1) * hd)
            s = q[:, sl] @ k[:, sl].T / math.sqrt(hd)
            if mask is not None:
                s = s + mask
            p = _np_softmax(s, -1)
            weights[n] += p / heads
            heads_out.append(p @ v[:, sl])
        out[:, n] = np.concatenate(heads_out, -1) @ w_out.T + b_out
    return out, weights


def test_multihead_attention_parameters_and_init():
    m = nn.MultiheadAttention(8, 2)
    names = [n for n, _ in m.named_parameters()]
    assert names == ["in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"]
    assert m.in_proj_weight.shape == (24, 8)
    assert np.all(m.in_proj_bias.detach().numpy() == 0)
    assert np.all(m.out_proj.bias.detach().numpy() == 0)
    bound = math.sqrt(6 / (8 + 24))  # xavier_uniform_ on (3E, E)
    assert np.abs(m.in_proj_weight.detach().numpy()).max() <= bound
    assert repr(m) == ("MultiheadAttention(\n  (out_proj): NonDynamicallyQuantizableLinear("
                       "in_features=8, out_features=8, bias=True)\n)")
    sep = nn.MultiheadAttention(4, 2, kdim=3, vdim=5, bias=False, add_bias_kv=True)
    names = [n for n, _ in sep.named_parameters()]
    assert names == ["q_proj_weight", "k_proj_weight", "v_proj_weight", "bias_k", "bias_v",
                     "out_proj.weight"]
    assert sep.in_proj_weight is None and sep.k_proj_weight.shape == (4, 3)
    with pytest.raises(AssertionError, match="embed_dim must be divisible by num_heads"):
        nn.MultiheadAttention(5, 2)


def test_multihead_attention_matches_numpy():
    m = nn.MultiheadAttention(4, 2).double()
    q, k, v = randn(3, 2, 4), randn(5, 2, 4, seed=1), randn(5, 2, 4, seed=2)
    mask = randn(3, 5, seed=3)
    args = [p.detach().numpy() for p in (m.in_proj_weight, m.in_proj_bias, m.out_proj.weight,
                                         m.out_proj.bias)]
    out, w = m(dpt.tensor(q), dpt.tensor(k), dpt.tensor(v), attn_mask=dpt.tensor(mask))
    ref_out, ref_w = _np_mha(q, k, v, *args, heads=2, mask=mask)
    assert_close(out, ref_out)
    assert_close(w, ref_w)
    # need_weights=False goes through scaled_dot_product_attention: same output, no weights
    out2, none = m(dpt.tensor(q), dpt.tensor(k), dpt.tensor(v), need_weights=False,
                   attn_mask=dpt.tensor(mask))
    assert none is None
    assert_close(out2, ref_out)
    # batch_first and unbatched inputs
    mb = nn.MultiheadAttention(4, 2, batch_first=True).double()
    mb.load_state_dict(m.state_dict())
    outb, wb = mb(*(dpt.tensor(a.transpose(1, 0, 2)) for a in (q, k, v)),
                  attn_mask=dpt.tensor(mask))
    assert_close(outb, ref_out.transpose(1, 0, 2))
    out_u, w_u = m(dpt.tensor(q[:, 0]), dpt.tensor(k[:, 0]), dpt.tensor(v[:, 0]),
                   attn_mask=dpt.tensor(mask))
    assert_close(out_u, ref_out[:, 0])
    assert w_u.shape == (3, 5)


def test_multihead_attention_masks_and_per_head_weights():
    m = nn.MultiheadAttention(4, 2).double()
    x = dpt.tensor(randn(3, 2, 4))
    kpm = dpt.tensor(np.array([[False, False, True], [False, True, True]]))
    _, w = m(x, x, x, key_padding_mask=kpm, average_attn_weights=False)
    assert w.shape == (2, 2, 3, 3)
    wn = w.detach().numpy()
    assert np.all(wn[0, :, :, 2] == 0) and np.all(wn[1, :, :, 1:] == 0)
    assert_close(w.sum(-1), np.ones((2, 2, 3)))
    causal = dpt.tensor(np.triu(np.ones((3, 3), dtype=bool), 1))  # True = may NOT attend
    _, w = m(x, x, x, attn_mask=causal)
    assert np.all(np.triu(w.detach().numpy()[0], 1) == 0)


def test_multihead_attention_gradcheck_and_errors():
    m = nn.MultiheadAttention(4, 2, kdim=3, vdim=2).double()
    q, k, v = randn(2, 1, 4), randn(3, 1, 3, seed=1), randn(3, 1, 2, seed=2)
    check_gradients(lambda a, b, c: m(a, b, c)[0], q, k, v)
    with pytest.raises(AssertionError, match="was expecting embedding dimension of 4, but got 3"):
        m(dpt.zeros(2, 1, 3, dtype=dpt.float64), dpt.tensor(k), dpt.tensor(v))
    with pytest.raises(RuntimeError, match="The shape of the 2D attn_mask is"):
        m(dpt.tensor(q), dpt.tensor(k), dpt.tensor(v), attn_mask=dpt.zeros(2, 2))


def test_multihead_attention_against_torch():
    torch = pytest.importorskip("torch")
    tm = torch.nn.MultiheadAttention(4, 2, add_bias_kv=True, add_zero_attn=True).double()
    dm = nn.MultiheadAttention(4, 2, add_bias_kv=True, add_zero_attn=True).double()
    dm.load_state_dict({k: dpt.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    x = randn(3, 2, 4)
    kpm = np.array([[False, True, False], [False, False, True]])
    ot, wt = tm(*(torch.tensor(x),) * 3, key_padding_mask=torch.tensor(kpm))
    od, wd = dm(*(dpt.tensor(x),) * 3, key_padding_mask=dpt.tensor(kpm))
    assert_close(od, ot.detach().numpy())
    assert_close(wd, wt.detach().numpy())
