"""nn.functional and nn layers against torch, forward and backward, with identical inputs and
weights (copied as numpy arrays)."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

from ._common import T, run_both  # noqa: E402

RNG = np.random.default_rng(42)
X4 = RNG.standard_normal((2, 3, 6, 6))
X3 = RNG.standard_normal((2, 3, 8))
X2 = RNG.standard_normal((4, 5))
W_CONV2 = RNG.standard_normal((4, 3, 3, 3)) * 0.3
W_CONV1 = RNG.standard_normal((4, 3, 3)) * 0.3
W_LIN = RNG.standard_normal((3, 5)) * 0.3
B4 = RNG.standard_normal(4)
B3 = RNG.standard_normal(3)
TARGET_CLS = np.array([0, 2, 1, 4])
PROBS = 1 / (1 + np.exp(-RNG.standard_normal((4, 5))))
Y2 = RNG.standard_normal((4, 5))
CTC_IN = RNG.standard_normal((6, 2, 4))
W_BIL = RNG.standard_normal((2, 5, 5)) * 0.3

# name -> program(m, F, x, params) on float64 inputs; x has requires_grad
FUNCS = {
    "linear": (X2, lambda m, F, x, p: F.linear(x, p(W_LIN), p(B3))),
    "bilinear": (X2, lambda m, F, x, p: F.bilinear(x, x, p(W_BIL), p(np.ones(2)))),
    "conv2d": (X4, lambda m, F, x, p: F.conv2d(x, p(W_CONV2), p(B4), stride=1, padding=1)),
    "conv2d_stride_dil": (X4, lambda m, F, x, p: F.conv2d(x, p(W_CONV2), None, stride=2, padding=2, dilation=2)),
    "conv2d_groups": (X4[:, :2], lambda m, F, x, p: F.conv2d(x, p(W_CONV2[:, :1]), p(B4), groups=2, padding="same")),
    "conv1d": (X3, lambda m, F, x, p: F.conv1d(x, p(W_CONV1), p(B4), padding=1)),
    "conv_transpose2d": (X4, lambda m, F, x, p: F.conv_transpose2d(x, p(W_CONV2.transpose(1, 0, 2, 3)), p(B3), stride=2, padding=1, output_padding=1)),
    "max_pool2d": (X4, lambda m, F, x, p: F.max_pool2d(x, 2)),
    "max_pool2d_pad": (X4, lambda m, F, x, p: F.max_pool2d(x, 3, stride=2, padding=1, ceil_mode=True)),
    "avg_pool2d": (X4, lambda m, F, x, p: F.avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=False)),
    "avg_pool1d": (X3, lambda m, F, x, p: F.avg_pool1d(x, 2)),
    "adaptive_avg_pool2d": (X4, lambda m, F, x, p: F.adaptive_avg_pool2d(x, (4, 3))),
    "adaptive_max_pool2d": (X4, lambda m, F, x, p: F.adaptive_max_pool2d(x, 4)),
    "batch_norm_train": (X4, lambda m, F, x, p: F.batch_norm(x, m.zeros(3, dtype=m.float64), m.ones(3, dtype=m.float64), p(B3), p(B3 * 0 + 0.5), training=True)),
    "batch_norm_eval": (X4, lambda m, F, x, p: F.batch_norm(x, T(m, B3, "float64"), T(m, np.abs(B3) + 1, "float64"), p(B3), None, training=False)),
    "layer_norm": (X4, lambda m, F, x, p: F.layer_norm(x, (6, 6), p(np.ones((6, 6)) * 1.5), p(np.zeros((6, 6)) + 0.1))),
    "group_norm": (X4[:, :2], lambda m, F, x, p: F.group_norm(x, 2, p(np.arange(2.0)), p(np.ones(2)))),
    "instance_norm": (X4, lambda m, F, x, p: F.instance_norm(x)),
    "rms_norm": (X2, lambda m, F, x, p: F.rms_norm(x, (5,), p(np.arange(5.0)))),
    "normalize": (X2, lambda m, F, x, p: F.normalize(x, dim=1)),
    "embedding": (None, lambda m, F, x, p: F.embedding(m.tensor([[0, 2], [1, 0]]), p(X2))),
    "embedding_pad": (None, lambda m, F, x, p: F.embedding(m.tensor([0, 2, 0]), p(X2), padding_idx=0)),
    "softmax": (X2, lambda m, F, x, p: F.softmax(x, dim=1)), "log_softmax": (X2, lambda m, F, x, p: F.log_softmax(x, 0)),
    "softmin": (X2, lambda m, F, x, p: F.softmin(x, -1)),
    "gelu": (X2, lambda m, F, x, p: F.gelu(x)), "gelu_tanh": (X2, lambda m, F, x, p: F.gelu(x, approximate="tanh")),
    "silu": (X2, lambda m, F, x, p: F.silu(x)), "elu": (X2, lambda m, F, x, p: F.elu(x, 0.7)),
    "selu": (X2, lambda m, F, x, p: F.selu(x)), "celu": (X2, lambda m, F, x, p: F.celu(x)),
    "leaky_relu": (X2, lambda m, F, x, p: F.leaky_relu(x, 0.1)), "relu6": (X2, lambda m, F, x, p: F.relu6(x * 4)),
    "hardtanh": (X2, lambda m, F, x, p: F.hardtanh(x, -0.5, 0.5)), "hardswish": (X2, lambda m, F, x, p: F.hardswish(x * 3)),
    "hardsigmoid": (X2, lambda m, F, x, p: F.hardsigmoid(x * 3)), "softplus": (X2, lambda m, F, x, p: F.softplus(x, beta=2, threshold=1)),
    "mish": (X2, lambda m, F, x, p: F.mish(x)), "logsigmoid": (X2, lambda m, F, x, p: F.logsigmoid(x)),
    "softsign": (X2, lambda m, F, x, p: F.softsign(x)), "tanhshrink": (X2, lambda m, F, x, p: F.tanhshrink(x)),
    "prelu": (X4, lambda m, F, x, p: F.prelu(x, p(np.array([0.1, 0.2, 0.3])))), "glu": (X4, lambda m, F, x, p: F.glu(x, 3)),
    "relu": (X2, lambda m, F, x, p: F.relu(x)), "threshold": (X2, lambda m, F, x, p: F.threshold(x, 0.5, -1.0)),
    "pad_constant": (X4, lambda m, F, x, p: F.pad(x, (1, 2, 0, 1), value=0.5)),
    "pad_reflect": (X4, lambda m, F, x, p: F.pad(x, (1, 2, 2, 1), mode="reflect")),
    "pad_replicate": (X4, lambda m, F, x, p: F.pad(x, (1, 2), mode="replicate")),
    "pad_circular": (X4, lambda m, F, x, p: F.pad(x, (1, 1, 2, 0), mode="circular")),
    "interpolate_nearest": (X4, lambda m, F, x, p: F.interpolate(x, scale_factor=2, mode="nearest")),
    "interpolate_bilinear": (X4, lambda m, F, x, p: F.interpolate(x, size=(9, 5), mode="bilinear", align_corners=False)),
    "interpolate_bilinear_ac": (X4, lambda m, F, x, p: F.interpolate(x, size=(9, 5), mode="bilinear", align_corners=True)),
    "unfold": (X4, lambda m, F, x, p: F.unfold(x, 3, padding=1, stride=2)),
    "fold": (X4, lambda m, F, x, p: F.fold(F.unfold(x, 2), (6, 6), 2)),
    "pixel_shuffle": (X4[:, :1].repeat(4, 1), lambda m, F, x, p: F.pixel_shuffle(x, 2)),
    "dropout_eval": (X2, lambda m, F, x, p: F.dropout(x, 0.5, training=False)),
    "dropout_p0": (X2, lambda m, F, x, p: F.dropout(x, 0.0)),
    "cosine_similarity": (X2, lambda m, F, x, p: F.cosine_similarity(x, x.flip(0), dim=1)),
    "pairwise_distance": (X2, lambda m, F, x, p: F.pairwise_distance(x, x.flip(0))),
    "one_hot": (None, lambda m, F, x, p: F.one_hot(m.tensor([0, 3, 1]), 5)),
    "scaled_dot_product_attention": (X3, lambda m, F, x, p: F.scaled_dot_product_attention(x, x * 0.5, x.flip(2))),
    "sdpa_causal": (X3, lambda m, F, x, p: F.scaled_dot_product_attention(x, x * 0.5, x, is_causal=True)),
    # losses
    "cross_entropy": (X2, lambda m, F, x, p: F.cross_entropy(x, m.tensor(TARGET_CLS))),
    "cross_entropy_ls_w": (X2, lambda m, F, x, p: F.cross_entropy(x, m.tensor(TARGET_CLS), weight=T(m, np.arange(1.0, 6.0), "float64"), label_smoothing=0.1)),
    "cross_entropy_ignore": (X2, lambda m, F, x, p: F.cross_entropy(x, m.tensor([0, -100, 1, 4]), reduction="sum")),
    "cross_entropy_probs": (X2, lambda m, F, x, p: F.cross_entropy(x, T(m, PROBS / PROBS.sum(1, keepdims=True), "float64"))),
    "cross_entropy_4d": (X4, lambda m, F, x, p: F.cross_entropy(x, m.zeros(2, 6, 6, dtype=m.int64) + 1, reduction="none")),
    "nll_loss": (X2, lambda m, F, x, p: F.nll_loss(F.log_softmax(x, 1), m.tensor(TARGET_CLS), reduction="none")),
    "mse_loss": (X2, lambda m, F, x, p: F.mse_loss(x, T(m, Y2, "float64"))), "l1_loss": (X2, lambda m, F, x, p: F.l1_loss(x, T(m, Y2, "float64"), reduction="sum")),
    "smooth_l1_loss": (X2, lambda m, F, x, p: F.smooth_l1_loss(x, T(m, Y2, "float64"), beta=0.5)),
    "huber_loss": (X2, lambda m, F, x, p: F.huber_loss(x, T(m, Y2, "float64"), delta=0.7)),
    "bce": (X2, lambda m, F, x, p: F.binary_cross_entropy(m.sigmoid(x), T(m, PROBS, "float64"))),
    "bce_logits": (X2, lambda m, F, x, p: F.binary_cross_entropy_with_logits(x, T(m, PROBS, "float64"), pos_weight=T(m, np.arange(1.0, 6.0), "float64"))),
    "kl_div": (X2, lambda m, F, x, p: F.kl_div(F.log_softmax(x, 1), T(m, PROBS / PROBS.sum(1, keepdims=True), "float64"), reduction="batchmean")),
    "kl_div_logt": (X2, lambda m, F, x, p: F.kl_div(F.log_softmax(x, 1), F.log_softmax(T(m, Y2, "float64"), 1), reduction="sum", log_target=True)),
    "soft_margin": (X2, lambda m, F, x, p: F.soft_margin_loss(x, m.sign(T(m, Y2, "float64")))),
    "margin_ranking": (X2, lambda m, F, x, p: F.margin_ranking_loss(x, x.flip(0), m.sign(T(m, Y2, "float64")), margin=0.2)),
    "hinge_embedding": (X2, lambda m, F, x, p: F.hinge_embedding_loss(x, m.sign(T(m, Y2, "float64")))),
    "cosine_embedding": (X2, lambda m, F, x, p: F.cosine_embedding_loss(x, x.flip(0), m.tensor([1, -1, 1, -1]))),
    "triplet_margin": (X2, lambda m, F, x, p: F.triplet_margin_loss(x, x.flip(0), x * 0.5)),
    "poisson_nll": (X2, lambda m, F, x, p: F.poisson_nll_loss(x, T(m, np.abs(Y2), "float64"))),
    "gaussian_nll": (X2, lambda m, F, x, p: F.gaussian_nll_loss(x, T(m, Y2, "float64"), T(m, np.abs(Y2) + 0.1, "float64"))),
    "multi_margin": (X2, lambda m, F, x, p: F.multi_margin_loss(x, m.tensor(TARGET_CLS))),
    "multilabel_soft_margin": (X2, lambda m, F, x, p: F.multilabel_soft_margin_loss(x, T(m, (PROBS > 0.5).astype(float), "float64"))),
    "ctc_loss": (None, lambda m, F, x, p: F.ctc_loss(F.log_softmax(p(CTC_IN), 2), m.tensor([[1, 2], [3, 3]]), m.tensor([6, 5]), m.tensor([2, 2]))),
}


@pytest.mark.parametrize("name", sorted(FUNCS))
def test_functional_forward_backward(name):
    x_np, fn = FUNCS[name]

    def prog(m):
        F = m.nn.functional
        params = []

        def p(a):
            params.append(T(m, a, "float64", requires_grad=True))
            return params[-1]
        x = T(m, x_np, "float64", requires_grad=True) if x_np is not None else None
        y = fn(m, F, x, p)
        out = [y]
        if y.requires_grad:
            w = T(m, np.linspace(-1, 1, y.numel()).reshape(tuple(y.shape)), "float64")
            (y * w).sum().backward()
            out += [x.grad if x is not None else None] + [q.grad for q in params]
        return out
    # torch's hardsigmoid backward multiplies by a float32 1/6 even for float64 (~1e-8 off)
    run_both(prog, rtol=1e-7 if name == "hardsigmoid" else None)


@pytest.mark.parametrize("name", ["linear", "conv2d", "layer_norm", "cross_entropy", "softmax", "gelu", "max_pool2d", "group_norm"])
def test_functional_float32(name):
    x_np, fn = FUNCS[name]

    def prog(m):
        F = m.nn.functional
        x = T(m, x_np, "float32", requires_grad=True)
        y = fn(m, F, x, lambda a: T(m, a, "float32", requires_grad=True))
        y.sum().backward()
        return y, x.grad
    run_both(prog, rtol=1e-4, atol=1e-5)


def _copy_params(tmod, dmod):
    tstate = tmod.state_dict()
    dstate = {k: dpt_tensor(v.detach().numpy()) for k, v in tstate.items()}
    dmod.load_state_dict(dstate)


def dpt_tensor(a):
    import dpt
    return dpt.tensor(a)


MODULES = {
    "Linear": (lambda nn: nn.Linear(5, 3), (4, 5)),
    "Conv2d": (lambda nn: nn.Conv2d(3, 4, 3, padding=1), (2, 3, 6, 6)),
    "BatchNorm2d": (lambda nn: nn.BatchNorm2d(3), (2, 3, 4, 4)),
    "LayerNorm": (lambda nn: nn.LayerNorm(5), (4, 5)),
    "Embedding": (lambda nn: nn.Embedding(6, 3), None),
    "LSTM": (lambda nn: nn.LSTM(5, 4, num_layers=2, batch_first=True), (2, 3, 5)),
    "GRU": (lambda nn: nn.GRU(5, 4, bidirectional=True), (3, 2, 5)),
    "RNN": (lambda nn: nn.RNN(5, 4, nonlinearity="relu"), (3, 2, 5)),
    "MultiheadAttention": (lambda nn: nn.MultiheadAttention(4, 2, batch_first=True), (2, 3, 4)),
    "TransformerEncoderLayer": (lambda nn: nn.TransformerEncoderLayer(4, 2, dim_feedforward=8,
                                                                      dropout=0.0, batch_first=True),
                                (2, 3, 4)),
    "Sequential": (lambda nn: nn.Sequential(nn.Linear(5, 6), nn.ReLU(), nn.Dropout(0.0), nn.Linear(6, 2), nn.LogSoftmax(1)), (4, 5)),
    "GroupNorm": (lambda nn: nn.GroupNorm(1, 3), (2, 3, 4, 4)),
    "ConvTranspose1d": (lambda nn: nn.ConvTranspose1d(3, 2, 3, stride=2), (2, 3, 5)),
}


@pytest.mark.parametrize("name", sorted(MODULES))
def test_module_forward_backward_same_weights(name):
    import dpt
    make, shape = MODULES[name]
    torch.manual_seed(0)
    tmod = make(torch.nn).double()
    dmod = make(dpt.nn).double()
    _copy_params(tmod, dmod)
    x_np = np.random.default_rng(1).standard_normal(shape) if shape else np.array([[1, 5], [0, 2]])

    def prog(m):
        mod = tmod if m is torch else dmod
        x = T(m, x_np, "float64", requires_grad=True) if shape else m.tensor(x_np)
        if name == "MultiheadAttention":
            y = mod(x, x, x)
            y = (y[0], y[1])
        else:
            y = mod(x)
        outs = y if isinstance(y, tuple) else (y,)
        flat = []
        for o in outs:
            flat.extend(o if isinstance(o, tuple) else (o,))
        sum((o * o).sum() for o in flat).backward()
        grads = {k: v.grad for k, v in mod.named_parameters()}
        return flat, (x.grad if shape else None), grads
    run_both(prog, rtol=1e-9)


def test_state_dict_keys_and_shapes_match():
    import dpt
    for name, (make, _) in MODULES.items():
        t, d = make(torch.nn).state_dict(), make(dpt.nn).state_dict()
        assert list(t) == list(d), name
        for k in t:
            assert tuple(t[k].shape) == tuple(d[k].shape), (name, k)
            assert str(t[k].dtype).split(".")[-1] == str(d[k].dtype).split(".")[-1], (name, k)


@pytest.mark.parametrize("prog", [
    lambda m: m.nn.functional.linear(m.ones(2, 3), m.ones(4, 5)),
    lambda m: m.nn.functional.conv2d(m.ones(1, 3, 4, 4), m.ones(2, 2, 3, 3)),
    lambda m: m.nn.functional.cross_entropy(m.ones(2, 3), m.tensor([0, 3])),
    lambda m: m.nn.functional.cross_entropy(m.ones(2, 3), m.tensor([0.0, 1.0])),
    lambda m: m.nn.functional.mse_loss(m.ones(2, 3), m.ones(3, 2)),
    lambda m: m.nn.functional.nll_loss(m.ones(2, 3), m.tensor([0])),
    lambda m: m.nn.functional.max_pool2d(m.ones(1, 1, 2, 2), 3),
    lambda m: m.nn.functional.embedding(m.tensor([7]), m.ones(3, 2)),
    lambda m: m.nn.functional.binary_cross_entropy(m.ones(2) * 2, m.ones(2)),
    lambda m: m.nn.Linear(3, 2)(m.ones(2, 4)),
    lambda m: m.nn.functional.softmax(m.ones(2, 3), dim=2),
], ids=lambda f: "")
def test_nn_errors(prog):
    run_both(prog)
