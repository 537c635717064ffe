"""CPU autocast against torch's: the dtype each op computes in inside autocast('cpu'), the
values (to low precision), and the dtypes the gradients come back in."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import dpt  # noqa: E402

from ._common import compare  # noqa: E402

RNG = np.random.default_rng(0)
X, W, B = RNG.standard_normal((4, 6)), RNG.standard_normal((5, 6)), RNG.standard_normal(5)
IMG, K = RNG.standard_normal((2, 3, 6, 6)), RNG.standard_normal((4, 3, 3, 3))
T = RNG.integers(0, 5, 4)


def _f(m, a, grad=False):
    return m.tensor(a, dtype=m.float32, requires_grad=grad)


OPS = {
    "linear": lambda m, F, x, w, b: F.linear(x, w, b),
    "matmul": lambda m, F, x, w, b: x @ w.T,
    "mm": lambda m, F, x, w, b: m.mm(x, w.T),
    "bmm": lambda m, F, x, w, b: m.bmm(x[None], w.T[None]),
    "addmm": lambda m, F, x, w, b: m.addmm(b, x, w.T),
    "baddbmm": lambda m, F, x, w, b: m.baddbmm(b[None, None], x[None], w.T[None]),
    "addbmm": lambda m, F, x, w, b: m.addbmm(b[None], x[None], w.T[None]),
    "mv": lambda m, F, x, w, b: m.mv(w, x[0]),
    "addmv": lambda m, F, x, w, b: m.addmv(b, w, x[0]),
    "dot": lambda m, F, x, w, b: m.dot(x[0], w[0]),
    "conv2d": lambda m, F, x, w, b: F.conv2d(_f(m, IMG, True), _f(m, K, True)),
    "conv1d": lambda m, F, x, w, b: F.conv1d(_f(m, IMG[:, :, 0], True), _f(m, K[:, :, 0])),
    "conv_transpose2d": lambda m, F, x, w, b: F.conv_transpose2d(_f(m, IMG), _f(m, K, True).transpose(0, 1)),
    "mixed_add": lambda m, F, x, w, b: F.linear(x, w) + b,
    "relu_of_linear": lambda m, F, x, w, b: F.relu(F.linear(x, w, b)),
    # the float32 list: losses (and prod) of a low-precision activation
    "cross_entropy": lambda m, F, x, w, b: F.cross_entropy(F.linear(x, w), m.tensor(T)),
    "nll_loss": lambda m, F, x, w, b: F.nll_loss(F.log_softmax(F.linear(x, w), 1),
                                                 m.tensor(T)),
    "mse_loss": lambda m, F, x, w, b: F.mse_loss(F.linear(x, w), b.expand(4, 5)),
    "l1_loss": lambda m, F, x, w, b: F.l1_loss(F.linear(x, w), b.expand(4, 5)),
    "smooth_l1_loss": lambda m, F, x, w, b: F.smooth_l1_loss(F.linear(x, w), b.expand(4, 5)),
    "huber_loss": lambda m, F, x, w, b: F.huber_loss(F.linear(x, w), b.expand(4, 5)),
    "bce_with_logits": lambda m, F, x, w, b: F.binary_cross_entropy_with_logits(
        F.linear(x, w), b.sigmoid().expand(4, 5)),
    "kl_div": lambda m, F, x, w, b: F.kl_div(F.log_softmax(F.linear(x, w), 1),
                                             b.softmax(0).expand(4, 5), reduction="batchmean"),
    "prod": lambda m, F, x, w, b: (F.linear(x, w) * 0.1 + 1).prod(1),
    # on the CPU these stay in the input's dtype (CUDA's list only)
    "softmax": lambda m, F, x, w, b: F.softmax(F.linear(x, w), 1),
    "exp": lambda m, F, x, w, b: (F.linear(x, w) * 0.1).exp(),
    "sum": lambda m, F, x, w, b: F.linear(x, w).sum(1),
}


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
@pytest.mark.parametrize("name", sorted(OPS))
def test_op_dtype_values_and_gradients(name, dtype):
    results = {}
    for m in (torch, dpt):
        x, w, b = _f(m, X, True), _f(m, W, True), _f(m, B, True)
        with m.autocast("cpu", dtype=getattr(m, dtype)):
            out = OPS[name](m, m.nn.functional, x, w, b)
        out.float().sum().backward()
        results[m.__name__] = (out, [t.grad for t in (x, w, b)])
    (t_out, t_grads), (d_out, d_grads) = results["torch"], results["dpt"]
    compare(t_out, d_out, rtol=3e-2, atol=3e-2, autograd=False)
    for tg, dg in zip(t_grads, d_grads):
        assert (tg is None) == (dg is None)
        if tg is not None:
            compare(tg, dg, rtol=5e-2, atol=5e-2, autograd=False)
