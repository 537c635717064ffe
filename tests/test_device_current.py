"""Raw-array work outside Function.apply runs with its tensor's device current.

On CuPy a kernel runs on the current device and refuses (or, with peer access, computes
into the current device) an array of another one. The 'cuda:1' parametrisation (a device
that is not the current one; two devices under DPT_CUDA_STANDIN=1) checks each place that
works on raw arrays: results are right and stay on the tensor's device.
"""
import numpy as np
import pytest

import dpt
from dpt._device import as_device
from tests.helpers import assert_close, randn


def _on(t, device):
    assert t.device == as_device(device), t.device
    return t


def test_bitwise_logical_and_shift_kernels_on_device(device):
    a, b = np.array([5, -3, 12, 0]), np.array([3, 6, 10, 7])
    s = np.array([1, 2, 0, 3])
    x, y, k = (dpt.tensor(v, device=device) for v in (a, b, s))
    for got, want in [(x & y, a & b), (x | y, a | b), (x ^ y, a ^ b), (x & 6, a & 6),
                      (9 | x, 9 | a), (x << k, a << s), (x >> k, a >> s), (~x, ~a),
                      (dpt.bitwise_not(x), ~a), (dpt.bitwise_not(input=x), ~a),
                      (dpt.bitwise_left_shift(x, 2), a << 2), (dpt.gcd(x, y), np.gcd(a, b)),
                      (dpt.lcm(x, y), np.lcm(a, b))]:
        assert_close(_on(got, device), want)
    p, q = dpt.tensor(a > 0, device=device), dpt.tensor(b > 5, device=device)
    for got, want in [(p + q, (a > 0) | (b > 5)), (p * q, (a > 0) & (b > 5)),
                      (dpt.logical_or(p, q), (a > 0) | (b > 5)),
                      (dpt.logical_xor(x, y), (a != 0) ^ (b != 0)),
                      (dpt.logical_not(x), a == 0), (~p, ~(a > 0))]:
        assert_close(_on(got, device), want)


def test_bitwise_out_and_inplace_on_device(device):
    a, b = np.array([5, 3, 12]), np.array([3, 6, 10])
    x, y = dpt.tensor(a, device=device), dpt.tensor(b, device=device)
    out = dpt.empty(3, dtype=dpt.int64, device=device)
    assert dpt.bitwise_xor(x, y, out=out) is out
    assert_close(_on(out, device), a ^ b)
    x.bitwise_and_(y)
    assert_close(_on(x, device), a & b)
    x.bitwise_not_()
    assert_close(_on(x, device), ~(a & b))


def test_inplace_methods_on_device(device):
    a = randn(3, 4)
    x = dpt.tensor(a, device=device)
    x.exp_().add_(1).clamp_(max=3.0).mul_(dpt.tensor(a, device=device))
    assert_close(_on(x, device), np.minimum(np.exp(a) + 1, 3.0) * a)
    x[1].neg_()  # through a view
    want = np.minimum(np.exp(a) + 1, 3.0) * a
    want[1] *= -1
    assert_close(_on(x, device), want)
    x += 2
    assert_close(_on(x, device), want + 2)


def test_second_backward_accumulates_in_place_on_device(device):
    a = randn(3)
    x = dpt.tensor(a, requires_grad=True, device=device)
    for n in (1, 2, 3):  # the first fills .grad, the others add into it in place
        (x * x).sum().backward()
        assert_close(_on(x.grad, device), 2 * n * a)
    # a gradient that is a view of another array is copied into .grad on the first pass
    w = dpt.tensor(a, requires_grad=True, device=device)
    for n in (1, 2):
        (w.reshape(3, 1).expand(3, 2) * 2).sum().backward()
        assert_close(_on(w.grad, device), np.full(3, 4.0 * n))
    # with create_graph, .grad is built out of place and stays differentiable
    z = dpt.tensor(a, requires_grad=True, device=device)
    for n in (1, 2):
        (z ** 3).sum().backward(create_graph=True)
        assert_close(_on(z.grad, device), 3 * n * a ** 2)


def test_conv_weight_gradient_on_device(device):
    conv = dpt.nn.Conv2d(2, 3, 3).double().to(device)
    x = dpt.tensor(randn(2, 2, 6, 6), device=device)
    for _ in range(2):
        conv(x).square().sum().backward()
    assert _on(conv.weight.grad, device).shape == (3, 2, 3, 3)
    assert _on(conv.bias.grad, device).shape == (3,)


def test_sorting_family_on_device(device):
    a = np.round(randn(3, 5, seed=3) * 2) / 2
    t = dpt.tensor(a, device=device)
    assert_close(_on(dpt.argsort(input=t, dim=1), device), np.argsort(a, 1, kind="stable"))
    assert_close(_on(dpt.histc(t, bins=4), device),
                 np.histogram(a, 4, (a.min(), a.max()))[0].astype(a.dtype))
    seq = dpt.tensor(np.sort(a[0]), device=device)
    assert_close(_on(dpt.searchsorted(seq, t), device), np.searchsorted(np.sort(a[0]), a))
    assert_close(_on(dpt.bucketize(t, seq, right=True), device),
                 np.searchsorted(np.sort(a[0]), a, side="right"))
    flat = dpt.tensor(np.array([1, 1, 2, 2, 2, 3, 1]), device=device)
    out, cnt = dpt.unique_consecutive(flat, return_counts=True)
    assert_close(_on(out, device), [1, 2, 3, 1])
    assert_close(_on(cnt, device), [2, 3, 1, 1])
    assert_close(_on(dpt.count_nonzero(t, dim=0), device), (a != 0).sum(0))
    v, i = dpt.cummax(t, 1)
    assert_close(_on(v, device), np.maximum.accumulate(a, 1))
    assert _on(i, device).shape == a.shape
    v, i = t.max(1)
    assert_close(_on(v, device), a.max(1))
    assert_close(_on(i, device), a.argmax(1))


def test_nll_and_ctc_loss_on_device(device):
    logp = np.log(np.full((5, 2, 4), 0.25))
    targets, in_len, tg_len = np.array([[1, 2], [3, 0]]), [5, 4], [2, 1]
    lp = dpt.tensor(logp, requires_grad=True, device=device)
    loss = dpt.nn.functional.ctc_loss(lp, dpt.tensor(targets, device=device), in_len, tg_len)
    loss.backward()
    assert _on(loss, device).shape == () and np.isfinite(loss.item())
    assert _on(lp.grad, device).shape == logp.shape
    x = dpt.tensor(randn(4, 3), device=device)
    t = dpt.tensor(np.array([0, 2, -100, 1]), device=device)
    got = dpt.nn.functional.nll_loss(x, t)
    assert_close(_on(got, device), -(x.cpu().numpy()[[0, 1, 3], [0, 2, 1]]).mean())


@pytest.mark.parametrize("make", [
    lambda d: dpt.distributions.Binomial(dpt.full((3,), 5.0, device=d),
                                         probs=dpt.full((3,), 0.3, device=d)),
    lambda d: dpt.distributions.Poisson(dpt.full((3,), 2.0, device=d)),
], ids=["Binomial", "Poisson"])
def test_count_samplers_on_device(device, make):
    s = make(device).sample((4,))
    assert _on(s, device).shape == (4, 3)
    assert bool((s >= 0).all())


def _flat(r):
    return [x for item in r for x in _flat(item)] if isinstance(r, (list, tuple)) else [r]


def _both(fn, device):
    """fn(device) against fn('cpu'): every tensor result on device and equal to the CPU's."""
    got, want = _flat(fn(device)), _flat(fn("cpu"))
    assert len(got) == len(want)
    for g, w in zip(got, want):
        if isinstance(g, dpt.Tensor):
            assert_close(_on(g, device), w.detach().numpy(), rtol=1e-6, atol=1e-6)
        else:
            assert g == w


def test_copy_fill_zero_and_load_state_dict_on_device(device):
    a = randn(2, 3)
    x = dpt.zeros(2, 3, device=device)
    x.copy_(dpt.tensor(a))  # from the CPU
    assert_close(_on(x, device), a)
    x.fill_(2.0)
    assert_close(x, np.full((2, 3), 2.0))
    x.zero_()
    assert_close(x, np.zeros((2, 3)))
    src = dpt.nn.Linear(3, 2)
    m = dpt.nn.Linear(3, 2).to(device)
    m.load_state_dict(src.state_dict())
    assert_close(_on(m.weight, device), src.weight.detach().numpy())
    m(dpt.tensor(a, device=device, dtype=dpt.float32)).sum().backward()
    m.zero_grad(set_to_none=False)
    assert_close(_on(m.weight.grad, device), np.zeros((2, 3)))


def test_clip_grad_and_grad_scaler_on_device(device):
    def grads(d):
        dpt.manual_seed(0)
        m = dpt.nn.Linear(3, 2).double().to(d)
        m(dpt.tensor(randn(4, 3), device=d)).square().sum().backward()
        return m

    m = grads(device)
    total = dpt.nn.utils.clip_grad_norm_(m.parameters(), 0.5)
    assert _on(total, device).shape == ()
    assert abs(dpt.nn.utils.get_total_norm([p.grad for p in m.parameters()]).item() - 0.5) < 1e-6
    dpt.nn.utils.clip_grad_value_(m.parameters(), 0.01)
    assert float(m.weight.grad.abs().max()) <= 0.01
    m = dpt.nn.Linear(3, 2).to(device)
    opt = dpt.optim.SGD(m.parameters(), lr=0.1)
    scaler = dpt.amp.GradScaler("cuda" if device != "cpu" else "cpu")
    scaler.scale(m(dpt.tensor(randn(4, 3), device=device, dtype=dpt.float32)).sum()).backward()
    scaler.step(opt)
    scaler.update()
    assert _on(m.weight, device).shape == (2, 3)


def test_ops_outside_functions_on_device(device):
    a, b = randn(3, 4, seed=1), randn(3, 4, seed=2)
    sq = randn(3, 3, seed=3) + 3 * np.eye(3)
    T = lambda arr, d, **k: dpt.tensor(arr, device=d, **k)  # noqa: E731
    _both(lambda d: [dpt.nonzero(T(a > 0, d)), *dpt.where(T(a > 0, d)), dpt.argwhere(T(a, d))],
          device)
    _both(lambda d: [dpt.bincount(T([1, 3, 3, 0], d)), dpt.isin(T([1, 2, 5], d), T([2, 5], d)),
                     dpt.isin(T([1, 2, 5], d), 2)], device)
    _both(lambda d: [dpt.median(T(a, d)), dpt.nanmedian(T(a, d)),
                     dpt.quantile(T(a, d), 0.3, dim=1), dpt.equal(T(a, d), T(a, d)),
                     dpt.isclose(T(a, d), T(b, d)), dpt.allclose(T(a, d), T(a, d))], device)
    _both(lambda d: [dpt.logdet(T(sq, d)), dpt.linalg.matrix_rank(T(sq, d)),
                     dpt.linalg.lstsq(T(sq, d), T(b[:, :1], d)).solution,
                     dpt.mvlgamma(T(np.abs(a) + 2, d), 2),
                     dpt.linalg.householder_product(*dpt.geqrf(T(a.T, d)))], device)


def test_nn_functional_outside_functions_on_device(device):
    F = dpt.nn.functional
    a = randn(2, 1, 4, 4, seed=4)
    T = lambda arr, d, **k: dpt.tensor(arr, device=d, **k)  # noqa: E731
    _both(lambda d: [F.interpolate(T(a, d), scale_factor=2, mode=m)
                     for m in ("bilinear", "bicubic", "nearest", "area")], device)
    _both(lambda d: F.affine_grid(T(randn(2, 2, 3), d), (2, 1, 4, 4), align_corners=False),
          device)
    _both(lambda d: [F.one_hot(T([0, 2], d)), F.huber_loss(T(a, d), T(a * 2, d)),
                     F.binary_cross_entropy(T(a, d).sigmoid(), T(a > 0, d, dtype=dpt.float64)),
                     F.poisson_nll_loss(T(a, d), T(np.abs(a), d), full=True),
                     F.gaussian_nll_loss(T(a, d), T(a * 2, d), T(np.abs(a) + 1, d)),
                     F.hinge_embedding_loss(T(a, d), T(np.sign(a), d)),
                     F.cosine_embedding_loss(T(a[0, 0], d), T(a[1, 0], d), T([1, -1, 1, -1], d)),
                     F.multi_margin_loss(T(a[0, 0], d), T([0, 1, 2, 3], d)),
                     F.multilabel_margin_loss(T(a[0, 0, :2], d), T([[3, 0, -1, 1], [1, -1, 0, 0]], d))],
          device)
    w = randn(10, 3, seed=5)
    _both(lambda d: [F.embedding_bag(T([[1, 2], [3, 4]], d), T(w, d), mode=m)
                     for m in ("sum", "mean", "max")], device)
    _both(lambda d: F.embedding(T([0, 1, 1], d), T(w, d), max_norm=1.0), device)
    _both(lambda d: F.instance_norm(T(a, d), T(np.zeros(1), d), T(np.ones(1), d),
                                    use_input_stats=True), device)
    q = randn(5, 2, 8, seed=6)
    mask = np.triu(np.ones((5, 5), bool), 1)

    def mha(d):
        dpt.manual_seed(0)
        m = dpt.nn.MultiheadAttention(8, 2).double().to(d)
        return m(T(q, d), T(q, d), T(q, d), attn_mask=T(mask, d))[0]
    _both(mha, device)


def test_random_fills_init_and_layers_made_on_device(device):
    for fill in ("uniform_", "normal_", "random_", "bernoulli_", "exponential_", "geometric_",
                 "cauchy_", "log_normal_"):
        t = dpt.empty(3, 4, device=device)
        getattr(t, fill)(*((0.5,) if fill == "geometric_" else ()))
        _on(t, device)
    init = dpt.nn.init
    for name, args in [("kaiming_uniform_", ()), ("xavier_normal_", ()), ("trunc_normal_", ()),
                       ("orthogonal_", ()), ("sparse_", (0.5,)), ("eye_", ())]:
        w = dpt.empty(4, 4, device=device)
        getattr(init, name)(w, *args)
        _on(w, device)
    _on(init.dirac_(dpt.empty(2, 2, 3, device=device)), device)
    nn = dpt.nn
    for make in (lambda: nn.Linear(3, 2, device=device), lambda: nn.Conv2d(1, 2, 3, device=device),
                 lambda: nn.LSTM(3, 4, device=device), lambda: nn.Embedding(5, 3, device=device),
                 lambda: nn.MultiheadAttention(4, 2, device=device)):
        for p in make().parameters():
            _on(p, device)


def test_max_unpool_and_adaptive_avg_pool_on_device(device):
    x = dpt.tensor(randn(1, 1, 4, 4), device=device)
    y, idx = dpt.nn.functional.max_pool2d(x, 2, return_indices=True)
    back = _on(dpt.nn.functional.max_unpool2d(y, idx, 2), device)
    assert_close(back.cpu(), dpt.nn.functional.max_unpool2d(y.cpu(), idx.cpu(), 2))
    pooled = _on(dpt.nn.functional.adaptive_avg_pool2d(x, 3), device)
    assert_close(pooled.cpu(), dpt.nn.functional.adaptive_avg_pool2d(x.cpu(), 3))
