"""rrelu, 1-D batch_norm, broadcast cosine_similarity, negative-p pairwise_distance, attention
arguments, 5-D/bicubic grid_sample, ctc_loss's gradient, adaptive_max_pool3d,
triplet_margin_with_distance_loss, the native_* norms and linear_cross_entropy."""
import itertools

import numpy as np
import pytest

import dpt
import dpt.nn as nn
import dpt.nn.functional as F
from tests.helpers import assert_close, check_gradients, check_op, leaf, randn


def _torch():
    return pytest.importorskip("torch")


def _t(torch, a, grad=False):
    return torch.tensor(np.asarray(a), requires_grad=grad)


# ---- rrelu -----------------------------------------------------------------------------------
def test_rrelu_eval_is_leaky_relu_with_the_mean_slope():
    x = randn(4, 5)
    check_op(lambda t: F.rrelu(t, 0.1, 0.3), lambda a: np.where(a > 0, a, 0.2 * a), x,
             gradgrad=True)
    assert_close(dpt.rrelu(leaf(x, False)), np.where(x > 0, x, x * (1 / 8 + 1 / 3) / 2))


def test_rrelu_training_draws_slopes_and_backward_reuses_them():
    dpt.manual_seed(0)
    x = leaf(randn(200))
    y = F.rrelu(x, 0.1, 0.3, training=True)
    a, out = x.detach().numpy(), y.detach().numpy()
    neg = a <= 0
    slope = out[neg] / a[neg]
    assert np.all((slope >= 0.1) & (slope <= 0.3)) and slope.std() > 0.01
    assert_close(out[~neg], a[~neg], atol=0)
    g = randn(200, seed=1)
    y.backward(dpt.tensor(g))
    assert_close(x.grad, np.where(neg, out / np.where(neg, a, 1), 1.0) * g, atol=1e-12)
    dpt.manual_seed(3)
    first = F.rrelu(leaf(randn(50), False), training=True)
    dpt.manual_seed(3)
    assert_close(F.rrelu(leaf(randn(50), False), training=True), first.numpy(), atol=0)


def test_rrelu_module_inplace_and_errors():
    m = nn.RReLU(0.1, 0.3)
    x = randn(3, 4)
    assert_close(m.eval()(leaf(x, False)), np.where(x > 0, x, 0.2 * x))
    t = leaf(x, False)
    assert F.rrelu_(t, 0.1, 0.3, training=True) is t and np.all(t.numpy()[x > 0] == x[x > 0])
    assert repr(m) == "RReLU(lower=0.1, upper=0.3)"
    with pytest.raises(RuntimeError, match="Lower bound should be less than or equal"):
        F.rrelu(leaf(x, False), 0.3, 0.1)


# ---- batch_norm on 1-D input, cosine_similarity, pairwise_distance ------------------------------
def test_batch_norm_1d_input_like_torch():
    empty = leaf(np.zeros(0))
    for training in (True, False):
        y = F.batch_norm(empty, dpt.zeros(0), dpt.ones(0), training=training)
        assert y.shape == (0,) and y is not empty
    with pytest.raises(IndexError, match="Dimension out of range"):
        F.batch_norm(leaf(randn(3)), dpt.zeros(3), dpt.ones(3))
    with pytest.raises(ValueError, match="Expected more than 1 value per channel"):
        F.batch_norm(leaf(randn(1)), None, None, training=True)
    with pytest.raises(RuntimeError, match="running_mean should contain 0 elements not 3"):
        F.batch_norm(empty, dpt.zeros(3), dpt.ones(3))


def _np_cos(a, b, dim, eps):
    a, b = np.broadcast_arrays(a, b)
    na = np.maximum(np.linalg.norm(a, axis=dim, keepdims=True), eps)
    nb = np.maximum(np.linalg.norm(b, axis=dim, keepdims=True), eps)
    return (a / na * b / nb).sum(dim)


@pytest.mark.parametrize("sa,sb,dim", [((1, 2, 3), (2, 1, 3), -2), ((1, 2, 3), (2, 1, 3), -1),
                                       ((2, 3), (2, 1, 3), 1), ((4,), (4,), 0)])
def test_cosine_similarity_broadcasts_before_the_norms(sa, sb, dim):
    a, b = randn(*sa), randn(*sb, seed=1)
    check_op(lambda x, y: F.cosine_similarity(x, y, dim), lambda x, y: _np_cos(x, y, dim, 1e-8),
             a, b)
    assert_close(F.cosine_similarity(leaf(a, False), leaf(b, False), dim, eps=5.0),
                 _np_cos(a, b, dim, 5.0))


@pytest.mark.parametrize("p", [-1.0, -2.5, -np.inf, np.inf, 3.0])
def test_pairwise_distance_any_p(p):
    a, b = randn(3, 4), randn(3, 4, seed=1)

    def ref(x, y):
        d = np.abs(x - y + 1e-6)
        return d.min(-1) if p == -np.inf else d.max(-1) if p == np.inf else \
            (d ** p).sum(-1) ** (1 / p)

    check_op(lambda x, y: F.pairwise_distance(x, y, p), ref, a, b)
    assert F.pairwise_distance(leaf(a[0], False), leaf(b[0], False), p, keepdim=True).shape == \
        (1,)


# ---- attention ------------------------------------------------------------------------------
def _mha_case(rng):
    L, S, N, E, H = 3, 4, 2, 6, 2
    r = rng.standard_normal
    base = dict(q=r((L, N, E)), k=r((S, N, E)), v=r((S, N, E)), W=r((3 * E, E)), b=r(3 * E),
                Wo=r((E, E)), bo=r(E))
    extra = [dict(), dict(static_k=r((N * H, 5, E // H)), static_v=r((N * H, 5, E // H))),
             dict(add_zero_attn=True), dict(bias_k=r((1, 1, E)), bias_v=r((1, 1, E))),
             dict(key_padding_mask=rng.random((N, S)) < 0.3), dict(attn_mask=r((L, S))),
             dict(need_weights=False, attn_mask=r((L, S))), dict(average_attn_weights=False),
             dict(attn_mask=np.triu(np.ones((L, S), bool), 1), is_causal=True,
                  need_weights=False),
             dict(bias_k=r((1, 1, E)), bias_v=r((1, 1, E)), add_zero_attn=True,
                  key_padding_mask=np.array([[False] * 3 + [True]] * 2), attn_mask=r((L, S))),
             dict(use_separate_proj_weight=True, q_proj_weight=r((E, E)),
                  k_proj_weight=r((E, E)), v_proj_weight=r((E, E)))]
    return base, extra, E, H


def test_multi_head_attention_forward_arguments_match_torch():
    torch = _torch()
    base, extra, E, H = _mha_case(np.random.default_rng(0))
    for case in extra:
        def run(fn, conv):
            kw = {k: conv(v) if isinstance(v, np.ndarray) else v for k, v in case.items()}
            bk, bv = kw.pop("bias_k", None), kw.pop("bias_v", None)
            zero = kw.pop("add_zero_attn", False)
            return fn(conv(base["q"]), conv(base["k"]), conv(base["v"]), E, H, conv(base["W"]),
                      conv(base["b"]), bk, bv, zero, 0.0, conv(base["Wo"]), conv(base["bo"]),
                      **kw)
        want = run(torch.nn.functional.multi_head_attention_forward, torch.from_numpy)
        got = run(F.multi_head_attention_forward, dpt.from_numpy)
        for w, g in zip(want, got):
            assert (w is None) == (g is None), case
            if w is not None:
                assert_close(g, w.detach().numpy(), atol=1e-10)


def test_multi_head_attention_static_kv_errors():
    base, _, E, H = _mha_case(np.random.default_rng(0))
    args = [dpt.from_numpy(base[k]) for k in ("q", "k", "v")]
    with pytest.raises(AssertionError, match="expecting static_k.size\\(0\\) of 4"):
        F.multi_head_attention_forward(*args, E, H, dpt.from_numpy(base["W"]), None, None, None,
                                       False, 0.0, dpt.from_numpy(base["Wo"]), None,
                                       static_k=dpt.zeros(3, 5, 3))
    with pytest.raises(AssertionError, match="bias cannot be added to static key"):
        F.multi_head_attention_forward(*args, E, H, dpt.from_numpy(base["W"]), None,
                                       dpt.zeros(1, 1, E), dpt.zeros(1, 1, E), False, 0.0,
                                       dpt.from_numpy(base["Wo"]), None,
                                       static_k=dpt.zeros(4, 5, 3))


def test_multi_head_attention_static_kv_gradcheck():
    base, extra, E, H = _mha_case(np.random.default_rng(1))
    sk, sv = extra[1]["static_k"], extra[1]["static_v"]
    check_gradients(lambda q, w, k, v: F.multi_head_attention_forward(
        q, q, q, E, H, w, None, None, None, False, 0.0, dpt.from_numpy(base["Wo"]), None,
        static_k=k, static_v=v)[0], base["q"], base["W"], sk, sv)


# ---- grid_sample ----------------------------------------------------------------------------
GRID_CASES = [(mode, pad, align, nd) for nd in (2, 3)
              for mode in ("bilinear", "nearest", "bicubic") for pad in
              ("zeros", "border", "reflection") for align in (False, True)
              if not (nd == 3 and mode == "bicubic")]


@pytest.mark.parametrize("mode,pad,align,nd", GRID_CASES)
def test_grid_sample_matches_torch_with_gradients(mode, pad, align, nd):
    torch = _torch()
    spatial = (3, 4, 5)[3 - nd:]
    x = randn(2, 2, *spatial)
    grid = np.random.default_rng(1).uniform(-1.3, 1.3, (2,) + (3, 2, 2)[3 - nd:] + (nd,))
    g = randn(*((2, 2) + grid.shape[1:-1]), seed=2)
    xt, gt = _t(torch, x, True), _t(torch, grid, True)
    out = torch.nn.functional.grid_sample(xt, gt, mode, pad, align)
    out.backward(_t(torch, g))
    xd, gd = leaf(x), leaf(grid)
    y = F.grid_sample(xd, gd, mode, pad, align)
    assert_close(y, out.detach().numpy(), atol=1e-10)
    y.backward(dpt.from_numpy(g))
    assert_close(xd.grad, xt.grad.numpy(), atol=1e-10)
    assert_close(gd.grad, gt.grad.numpy(), atol=1e-8)
    codes = {"bilinear": 0, "nearest": 1, "bicubic": 2}, {"zeros": 0, "border": 1,
                                                          "reflection": 2}
    fn = dpt.grid_sampler_2d if nd == 2 else dpt.grid_sampler_3d
    assert_close(fn(leaf(x, False), leaf(grid, False), codes[0][mode], codes[1][pad], align),
                 out.detach().numpy(), atol=1e-10)


@pytest.mark.parametrize("mode,nd", [("bilinear", 3), ("bicubic", 2)])
def test_grid_sample_gradcheck(mode, nd):
    x = randn(1, 2, *(3, 4, 3)[3 - nd:])
    grid = np.random.default_rng(1).uniform(-0.9, 0.9, (1,) + (2, 2, 3)[3 - nd:] + (nd,))
    check_gradients(lambda a, g: F.grid_sample(a, g, mode, "border", True), x, grid)


def test_grid_sample_errors():
    with pytest.raises(RuntimeError, match="bicubic interpolation only supports 4D input"):
        F.grid_sample(dpt.zeros(1, 1, 2, 2, 2), dpt.zeros(1, 1, 1, 1, 3), "bicubic")
    with pytest.raises(RuntimeError, match="expected 4D or 5D input"):
        F.grid_sample(dpt.zeros(1, 1, 2, 2), dpt.zeros(1, 1, 1, 3))
    with pytest.raises(RuntimeError, match="grid_sampler_2d\\(\\): expected 4D input"):
        dpt.grid_sampler_2d(dpt.zeros(1, 1, 2, 2, 2), dpt.zeros(1, 1, 1, 1, 3), 0, 0, False)


# ---- ctc_loss -------------------------------------------------------------------------------
def test_ctc_loss_gradient_is_torchs():
    torch = _torch()
    rng = np.random.default_rng(0)
    logp = np.log(rng.dirichlet(np.ones(4), (6, 3)))
    targets = np.array([[1, 2, 2], [3, 1, 0], [1, 1, 1]])
    for in_len, tg_len, zero_inf in (([6, 5, 6], [3, 2, 0], False), ([2, 6, 6], [3, 2, 1], True),
                                     ([2, 6, 6], [3, 2, 1], False)):
        xt = _t(torch, logp, True)
        torch.nn.functional.ctc_loss(xt, torch.tensor(targets), in_len, tg_len,
                                     reduction="sum", zero_infinity=zero_inf).backward()
        xd = leaf(logp)
        F.ctc_loss(xd, dpt.tensor(targets), in_len, tg_len, reduction="sum",
                   zero_infinity=zero_inf).backward()
        assert_close(xd.grad, xt.grad.numpy(), atol=1e-10)


# ---- adaptive_max_pool3d --------------------------------------------------------------------
def _np_adaptive_max3d(x, out):
    res = np.empty(x.shape[:2] + out)
    for idx in itertools.product(*(range(o) for o in out)):
        sl = tuple(slice(i * L // o, -(-(i + 1) * L // o))
                   for i, L, o in zip(idx, x.shape[2:], out))
        res[(...,) + idx] = x[(...,) + sl].max(axis=(-3, -2, -1))
    return res


@pytest.mark.parametrize("shape,out", [((2, 3, 5, 4, 6), (2, 3, 4)), ((3, 4, 5, 6), (3, 1, 2)),
                                       ((1, 2, 3, 3, 3), (3, 3, 3))])
def test_adaptive_max_pool3d(shape, out):
    x = randn(*shape)
    batched = x if len(shape) == 5 else x[None]
    ref = _np_adaptive_max3d(batched, out)
    ref = ref if len(shape) == 5 else ref[0]
    check_op(lambda t: F.adaptive_max_pool3d(t, out), lambda a: ref, x)
    y, idx = nn.AdaptiveMaxPool3d(out, return_indices=True)(leaf(x, False))
    flat = x.reshape(x.shape[:-3] + (-1,))
    assert_close(np.take_along_axis(flat, idx.numpy().reshape(ref.shape[:-3] + (-1,)), -1),
                 ref.reshape(ref.shape[:-3] + (-1,)))
    assert F.adaptive_max_pool3d(leaf(x, False), (None, 1, None)).shape[-3:] == \
        (shape[-3], 1, shape[-1])


# ---- triplet_margin_with_distance_loss ------------------------------------------------------
def test_triplet_margin_with_distance_loss():
    a, p, n = randn(4, 3), randn(4, 3, seed=1), randn(4, 3, seed=2)

    def ref(x, y, z, dist, swap=False, margin=1.0):
        dn = np.minimum(dist(x, z), dist(y, z)) if swap else dist(x, z)
        return np.maximum(margin + dist(x, y) - dn, 0)

    pd = lambda x, y: np.linalg.norm(x - y + 1e-6, axis=-1)  # noqa: E731
    l1 = lambda x, y: np.abs(x - y).sum(-1)  # noqa: E731
    check_op(lambda x, y, z: F.triplet_margin_with_distance_loss(x, y, z, reduction="none"),
             lambda x, y, z: ref(x, y, z, pd), a, p, n)
    check_op(lambda x, y, z: F.triplet_margin_with_distance_loss(
        x, y, z, distance_function=lambda u, v: (u - v).abs().sum(-1), swap=True, margin=2.0),
        lambda x, y, z: ref(x, y, z, l1, True, 2.0).mean(), a, p, n)
    m = nn.TripletMarginWithDistanceLoss(margin=0.5, reduction="sum")
    assert isinstance(m.distance_function, nn.PairwiseDistance)
    assert_close(m(leaf(a, False), leaf(p, False), leaf(n, False)),
                 ref(a, p, n, pd, margin=0.5).sum())
    with pytest.raises(ValueError, match="margin must be greater than 0, got -1"):
        F.triplet_margin_with_distance_loss(leaf(a), leaf(p), leaf(n), margin=-1)
    with pytest.raises(ValueError, match="expected margin to be greater than 0"):
        nn.TripletMarginWithDistanceLoss(margin=0)
    with pytest.raises(RuntimeError, match="anchor 2D, positive 1D, and negative 2D"):
        F.triplet_margin_with_distance_loss(leaf(a), leaf(p[0]), leaf(n))


# ---- native_* norms -------------------------------------------------------------------------
def test_native_batch_norm_matches_torch_and_updates_running_stats():
    torch = _torch()
    x, w, b = randn(4, 3, 5), randn(3, seed=1), randn(3, seed=2)
    for training in (True, False):
        rm, rv = np.zeros(3), np.ones(3) * 2
        rmt, rvt, rmd, rvd = _t(torch, rm), _t(torch, rv), dpt.tensor(rm), dpt.tensor(rv)
        want = torch.native_batch_norm(_t(torch, x), _t(torch, w), _t(torch, b), rmt, rvt,
                                       training, 0.3, 1e-3)
        got = dpt.native_batch_norm(leaf(x), leaf(w), leaf(b), rmd, rvd, training, 0.3, 1e-3)
        for wt, gt in zip(want, got):
            assert_close(gt, wt.numpy(), atol=1e-12)
        assert_close(rmd, rmt.numpy(), atol=1e-12)
        assert_close(rvd, rvt.numpy(), atol=1e-12)
        assert not got[1].requires_grad and got[0].requires_grad
    check_gradients(lambda t, ww: dpt.native_batch_norm(t, ww, None, None, None, True, 0.1,
                                                        1e-5)[0], x, w)


def test_native_layer_and_group_norm_match_torch():
    torch = _torch()
    x, w, b = randn(2, 6, 4), randn(6, seed=1), randn(6, seed=2)
    want = torch.native_layer_norm(_t(torch, x), [6, 4], _t(torch, randn(6, 4)), None, 1e-5)
    got = dpt.native_layer_norm(leaf(x), [6, 4], leaf(randn(6, 4)), None, 1e-5)
    assert [tuple(g.shape) for g in got] == [(2, 6, 4), (2, 1, 1), (2, 1, 1)]
    for wt, gt in zip(want, got):
        assert_close(gt, wt.detach().numpy(), atol=1e-12)
    want = torch.native_group_norm(_t(torch, x), _t(torch, w), _t(torch, b), 2, 6, 4, 3, 1e-5)
    got = dpt.native_group_norm(leaf(x), leaf(w), leaf(b), 2, 6, 4, 3, 1e-5)
    for wt, gt in zip(want, got):
        assert_close(gt, wt.detach().numpy(), atol=1e-12)
    # group norm's mean and rstd are differentiable outputs
    check_gradients(lambda t: sum(o.sum() * (i + 1) for i, o in enumerate(
        dpt.native_group_norm(t, None, None, 2, 6, 4, 2, 1e-5))), x)


# ---- linear_cross_entropy -------------------------------------------------------------------
def _lce_case(n=7, c=5, d=3, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n, d)), rng.standard_normal((c, d)), rng.standard_normal(c),
            rng.integers(0, c, n), rng.uniform(0.5, 2, c))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("chunk", [None, 1, 3, 100])
def test_linear_cross_entropy_chunked_equals_the_composition(reduction, chunk):
    x, W, b, t, cw = _lce_case()
    t[2] = 1
    opts = None if chunk is None else nn.LinearCrossEntropyOptions(batch_chunk_size=chunk)
    for kw in (dict(), dict(weight=dpt.tensor(cw)), dict(ignore_index=1),
               dict(weight=dpt.tensor(cw), ignore_index=1)):
        def lce(xx, ww, bb):
            return F.linear_cross_entropy(xx, ww, dpt.tensor(t), linear_bias=bb,
                                          reduction=reduction, options=opts, **kw)

        def ref(xx, ww, bb):
            return F.cross_entropy(F.linear(xx, ww, bb), dpt.tensor(t), kw.get("weight"),
                                   ignore_index=kw.get("ignore_index", -100),
                                   reduction=reduction)

        leaves = [leaf(a) for a in (x, W, b)]
        got = lce(*leaves)
        want = ref(*[leaf(a) for a in (x, W, b)])
        assert_close(got, want.detach().numpy(), atol=1e-12)
        check_gradients(lce, x, W, b, gradgrad=chunk == 3)


def test_linear_cross_entropy_k_dim_probabilities_and_unbatched():
    rng = np.random.default_rng(1)
    x, W = rng.standard_normal((4, 3)), rng.standard_normal((5, 2, 3))
    t = rng.integers(0, 5, (4, 2))
    logits = np.einsum("nd,ckd->nck", x, W)
    lse = np.log(np.exp(logits).sum(1))
    ref = (lse - np.take_along_axis(logits, t[:, None], 1)[:, 0]).mean()
    check_op(lambda a, w: F.linear_cross_entropy(a, w, dpt.tensor(t)), lambda a, w: ref, x, W)
    probs = rng.dirichlet(np.ones(5), 4)
    p_ref = -(probs * (logits[..., 0] - lse[:, :1])).sum(1).mean()
    check_op(lambda a, w: F.linear_cross_entropy(a, w[:, 0], dpt.tensor(probs)),
             lambda a, w: p_ref, x, W)
    opts = nn.LinearCrossEntropyOptions(batch_chunk_size=2)
    one = F.linear_cross_entropy(leaf(x[0]), leaf(W[:, 0]), dpt.tensor(t[0, 0]), options=opts,
                                 reduction="none")
    assert one.shape == () and abs(one.item() - (lse[0, 0] - logits[0, t[0, 0], 0])) < 1e-12
    with pytest.warns(UserWarning, match="options ignored"):
        F.linear_cross_entropy(leaf(x), leaf(W), dpt.tensor(t), options=opts)


def test_linear_cross_entropy_errors_and_module():
    x, W, b, t, cw = _lce_case()
    with pytest.raises(RuntimeError, match="expected input with dimensionality 1 or 2, got 3"):
        F.linear_cross_entropy(dpt.zeros(2, 3, 3), dpt.zeros(2, 3), dpt.zeros(3, 2))
    with pytest.raises(RuntimeError, match="got 3 and 4, respectively"):
        F.linear_cross_entropy(dpt.zeros(2, 3), dpt.zeros(2, 4), dpt.zeros(2, 2))
    with pytest.raises(RuntimeError, match="ignore_index cannot be specified"):
        F.linear_cross_entropy(dpt.zeros(2, 3), dpt.zeros(2, 3), dpt.zeros(2, 2), ignore_index=0)
    with pytest.raises(RuntimeError, match=r"expected linear_bias shape \(2,\), got \(3,\)"):
        F.linear_cross_entropy(dpt.zeros(2, 3), dpt.zeros(2, 3), dpt.zeros(2),
                               linear_bias=dpt.zeros(3))
    with pytest.raises(RuntimeError, match="requires batched input"):
        F.linear_cross_entropy(dpt.zeros(3), dpt.zeros(2, 4, 3), dpt.zeros(2, 4))
    for bad in (dict(acc_policy="fast"), dict(chunking_method="rows"),
                dict(batch_chunk_size=0)):
        with pytest.raises(ValueError):
            nn.LinearCrossEntropyOptions(**bad)
    m = nn.LinearCrossEntropyLoss(3, 5, bias=True, dtype=dpt.float64,
                                  options=nn.LinearCrossEntropyOptions(chunking_method=None))
    loss = m(leaf(x, False), dpt.tensor(t))
    ref = F.cross_entropy(m.linear(leaf(x, False)), dpt.tensor(t))
    assert_close(loss, ref.detach().numpy(), atol=1e-12)
    loss.backward()
    assert m.linear.weight.grad.shape == (5, 3) and m.linear.bias.grad.shape == (5,)


# ---- on every device ------------------------------------------------------------------------
def test_new_ops_on_device(device):
    dpt.manual_seed(0)
    x = dpt.randn(4, 5, device=device, requires_grad=True)
    y = F.rrelu(x, training=True)
    y.sum().backward()
    assert y.device == x.device == x.grad.device
    inp = dpt.randn(1, 2, 3, 4, 5, device=device, dtype=dpt.float64, requires_grad=True)
    grid = (dpt.rand(1, 2, 2, 2, 3, device=device, dtype=dpt.float64) * 2 - 1).requires_grad_()
    ref_inp, ref_grid = leaf(inp.detach().cpu().numpy()), leaf(grid.detach().cpu().numpy())
    for mode in ("bilinear", "nearest"):
        inp.grad = grid.grad = ref_inp.grad = ref_grid.grad = None
        out = F.grid_sample(inp, grid, mode, "reflection", False)
        out.sum().backward()
        ref = F.grid_sample(ref_inp, ref_grid, mode, "reflection", False)
        ref.sum().backward()
        assert_close(out.cpu(), ref.detach().numpy(), atol=1e-12)
        assert_close(grid.grad.cpu(), ref_grid.grad.numpy(), atol=1e-12)
    x = x.detach().requires_grad_()
    W = dpt.randn(7, 5, device=device, requires_grad=True)
    t = dpt.randint(0, 7, (4,), device=device)
    loss = F.linear_cross_entropy(x, W, t, options=nn.LinearCrossEntropyOptions(
        batch_chunk_size=3))
    loss.backward()
    ref = F.cross_entropy(F.linear(x.detach().cpu(), W.detach().cpu()), t.cpu())
    assert_close(loss.cpu(), ref.numpy(), atol=1e-5) and W.grad.device == W.device
    assert F.adaptive_max_pool3d(inp, 2).device == inp.device
    stats = dpt.native_batch_norm(inp, None, None, None, None, True, 0.1, 1e-5)
    assert all(s.device == inp.device for s in stats)
    assert F.pairwise_distance(x, x + 1, p=-1).device == x.device
