"""Loss functions and loss modules, against naive numpy references."""
import itertools
import math

import numpy as np
import pytest

import dpt
import dpt.nn as nn
import dpt.nn.functional as F
from tests.helpers import assert_close, check_gradients, leaf, randn

REDUCTIONS = ["none", "mean", "sum"]


def _reduce(loss, reduction):
    return {"none": loss, "mean": np.mean(loss), "sum": np.sum(loss)}[reduction]


def _log_softmax(x, axis=-1):
    m = x.max(axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis, keepdims=True))


def _sig(x):
    return 1 / (1 + np.exp(-x))


# -- regression losses -----------------------------------------------------------------------
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_regression_losses(reduction):
    x, y = randn(3, 4), randn(3, 4, seed=1)
    d = x - y
    ad = np.abs(d)
    cases = [
        (F.l1_loss, {}, ad),
        (F.mse_loss, {}, d * d),
        (F.smooth_l1_loss, {}, np.where(ad < 1, 0.5 * d * d, ad - 0.5)),
        (F.smooth_l1_loss, {"beta": 0.5}, np.where(ad < 0.5, 0.5 * d * d / 0.5, ad - 0.25)),
        (F.huber_loss, {"delta": 0.5}, np.where(ad < 0.5, 0.5 * d * d, 0.5 * (ad - 0.25))),
        (F.soft_margin_loss, {}, np.log1p(np.exp(-y * x))),
    ]
    for fn, kw, ref in cases:
        out = fn(leaf(x, False), leaf(y, False), reduction=reduction, **kw)
        assert_close(out, _reduce(ref, reduction))
        check_gradients(lambda a, fn=fn, kw=kw: fn(a, leaf(y, False), reduction=reduction, **kw), x)


def test_regression_losses_weight_and_modules():
    x, y, w = randn(2, 3), randn(2, 3, seed=1), np.array([1.0, 2.0, 0.5])
    assert_close(F.mse_loss(leaf(x, False), leaf(y, False), weight=leaf(w, False)),
                 np.mean(w * (x - y) ** 2))
    assert_close(F.l1_loss(leaf(x, False), leaf(y, False), weight=leaf(w, False), reduction="sum"),
                 np.sum(w * np.abs(x - y)))
    assert_close(nn.MSELoss(reduction="sum")(dpt.tensor(x), dpt.tensor(y)), np.sum((x - y) ** 2))
    assert_close(nn.L1Loss()(dpt.tensor(x), dpt.tensor(y)), np.mean(np.abs(x - y)))
    assert_close(nn.SmoothL1Loss(beta=0.0)(dpt.tensor(x), dpt.tensor(y)), np.mean(np.abs(x - y)))
    assert_close(nn.HuberLoss()(dpt.tensor(x), dpt.tensor(y)),
                 nn.SmoothL1Loss()(dpt.tensor(x), dpt.tensor(y)).numpy())  # delta = beta = 1
    assert repr(nn.MSELoss()) == "MSELoss()"


def test_regression_loss_errors_and_warnings():
    with pytest.warns(UserWarning, match=r"Using a target size \(dpt.Size\(\[3, 1\]\)\) that is "
                                         r"different to the input size"):
        F.mse_loss(dpt.zeros(3), dpt.zeros(3, 1))
    with pytest.raises(RuntimeError, match="must match the size"), pytest.warns(UserWarning):
        F.l1_loss(dpt.zeros(3), dpt.zeros(2))
    with pytest.raises(ValueError, match="foo is not a valid value for reduction"):
        F.l1_loss(dpt.zeros(3), dpt.zeros(3), reduction="foo")
    with pytest.raises(RuntimeError, match="smooth_l1_loss does not support negative values"):
        F.smooth_l1_loss(dpt.zeros(3), dpt.zeros(3), beta=-1)
    with pytest.raises(RuntimeError, match="huber_loss does not support non-positive values"):
        F.huber_loss(dpt.zeros(3), dpt.zeros(3), delta=0)
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated"):
        out = F.mse_loss(dpt.ones(2), dpt.zeros(2), reduce=False)
    assert out.shape == (2,)


# -- nll and cross entropy -------------------------------------------------------------------
def _np_nll(logp, t, w=None, ignore_index=-100, reduction="mean"):
    """Naive loop over samples; logp (N, C), t (N,)."""
    losses, wsum = [], 0.0
    for i in range(len(t)):
        if t[i] == ignore_index:
            losses.append(0.0)
            continue
        wi = 1.0 if w is None else w[t[i]]
        losses.append(-wi * logp[i, t[i]])
        wsum += wi
    losses = np.array(losses)
    if reduction == "none":
        return losses
    return losses.sum() if reduction == "sum" else losses.sum() / wsum


def _np_ce(x, t, w=None, ignore_index=-100, reduction="mean", eps=0.0):
    logp = _log_softmax(x)
    c = x.shape[1]
    nll = _np_nll(logp, t, w, ignore_index, "none")
    smooth = np.array([0.0 if t[i] == ignore_index else
                       -sum((1.0 if w is None else w[k]) * logp[i, k] for k in range(c))
                       for i in range(len(t))])
    loss = (1 - eps) * nll + eps / c * smooth
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    denom = sum((1.0 if w is None else w[ti]) for ti in t if ti != ignore_index)
    return loss.sum() / denom


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ignore_index", [-100, 1])
def test_nll_loss(reduction, weighted, ignore_index):
    x, t = _log_softmax(randn(5, 3)), np.array([0, 2, 1, 1, 2])
    w = np.array([0.5, 2.0, 1.5]) if weighted else None
    wt = None if w is None else leaf(w, False)
    out = F.nll_loss(leaf(x, False), dpt.tensor(t), wt, ignore_index=ignore_index,
                     reduction=reduction)
    assert_close(out, _np_nll(x, t, w, ignore_index, reduction))
    check_gradients(lambda a: F.nll_loss(a, dpt.tensor(t), wt, ignore_index=ignore_index,
                                         reduction=reduction), x)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.25])
@pytest.mark.parametrize("ignore_index", [-100, 2])
def test_cross_entropy_class_indices(reduction, weighted, smoothing, ignore_index):
    x, t = randn(5, 3) * 2, np.array([0, 2, 1, 1, 2])
    w = np.array([0.5, 2.0, 1.5]) if weighted else None
    wt = None if w is None else leaf(w, False)

    def fn(a):
        return F.cross_entropy(a, dpt.tensor(t), wt, ignore_index=ignore_index,
                               reduction=reduction, label_smoothing=smoothing)

    assert_close(fn(leaf(x, False)), _np_ce(x, t, w, ignore_index, reduction, smoothing))
    check_gradients(fn, x, gradgrad=True)


def test_cross_entropy_is_one_fused_node_and_stable():
    x = leaf(np.array([[1000.0, 0.0, -1000.0], [0.0, 0.0, 0.0]]))
    loss = F.cross_entropy(x, dpt.tensor([0, 2]))
    assert loss.grad_fn.name() == "CrossEntropyIndexBackward0"
    assert_close(loss, (0.0 + math.log(3)) / 2)
    loss.backward()
    assert_close(x.grad, np.array([[0, 0, 0], [1 / 3, 1 / 3, -2 / 3]]) / 2, atol=1e-12)


def test_cross_entropy_k_dimensional():
    x = randn(2, 3, 4, 2)
    t = np.random.default_rng(0).integers(0, 3, (2, 4, 2))
    t[0, 1, 1] = -100
    w = np.array([0.3, 1.0, 2.0])
    x2 = np.moveaxis(x, 1, -1).reshape(-1, 3)
    for reduction in REDUCTIONS:
        out = F.cross_entropy(leaf(x, False), dpt.tensor(t), leaf(w, False), reduction=reduction,
                              label_smoothing=0.1)
        ref = _np_ce(x2, t.reshape(-1), w, -100, reduction, 0.1)
        assert_close(out, ref.reshape(2, 4, 2) if reduction == "none" else ref)
        out = F.nll_loss(leaf(x, False), dpt.tensor(t), reduction=reduction)
        ref = _np_nll(x2, t.reshape(-1), None, -100, reduction)
        assert_close(out, ref.reshape(2, 4, 2) if reduction == "none" else ref)
    check_gradients(lambda a: F.cross_entropy(a, dpt.tensor(t), reduction="none"), x)


def test_cross_entropy_class_probabilities():
    x = randn(4, 3)
    p = np.random.default_rng(1).dirichlet(np.ones(3), 4)
    w = np.array([0.3, 1.0, 2.0])
    for reduction in REDUCTIONS:
        for eps in (0.0, 0.2):
            tt = (p * (1 - eps) + eps / 3) * w
            ref = _reduce(-(tt * _log_softmax(x)).sum(1), reduction)
            out = F.cross_entropy(leaf(x, False), leaf(p, False), leaf(w, False),
                                  reduction=reduction, label_smoothing=eps)
            assert_close(out, ref)
    check_gradients(lambda a, b: F.cross_entropy(a, b, label_smoothing=0.1), x, p, gradgrad=True)
    x4, p4 = randn(2, 3, 2), np.random.default_rng(2).dirichlet(np.ones(3), (2, 2))
    p4 = np.moveaxis(p4, -1, 1)
    ref = -(p4 * _log_softmax(x4, 1)).sum(1)
    assert_close(F.cross_entropy(leaf(x4, False), leaf(p4, False)), ref.mean())


def test_cross_entropy_unbatched_and_module():
    x = randn(4)
    assert_close(F.cross_entropy(leaf(x, False), dpt.tensor(2)), -_log_softmax(x)[2])
    m = nn.CrossEntropyLoss(weight=dpt.tensor([1.0, 2.0, 3.0]), label_smoothing=0.1,
                            ignore_index=0)
    assert list(m.state_dict()) == ["weight"]
    assert repr(m) == "CrossEntropyLoss()"
    xx, t = randn(3, 3), np.array([0, 1, 2])
    assert_close(m(leaf(xx, False), dpt.tensor(t)),
                 _np_ce(xx, t, np.array([1.0, 2.0, 3.0]), 0, "mean", 0.1))
    assert_close(nn.NLLLoss(reduction="sum")(leaf(xx, False), dpt.tensor(t)),
                 _np_nll(xx, t, reduction="sum"))


def test_nll_cross_entropy_errors():
    with pytest.raises(ValueError, match=r"Expected input batch_size \(3\) to match target "
                                         r"batch_size \(2\)"):
        F.cross_entropy(dpt.zeros(3, 4), dpt.tensor([0, 1]))
    with pytest.raises(IndexError, match="Target 5 is out of bounds."):
        F.nll_loss(dpt.zeros(3, 4), dpt.tensor([0, 1, 5]))
    with pytest.raises(IndexError, match="Target -1 is out of bounds."):
        F.cross_entropy(dpt.zeros(3, 4), dpt.tensor([0, 1, -1]))
    with pytest.raises(RuntimeError, match=r"Expected target size \[3, 2\], got \[3, 3\]"):
        F.nll_loss(dpt.zeros(3, 4, 2), dpt.zeros(3, 3, dtype=dpt.int64))
    with pytest.raises(RuntimeError, match="weight tensor should be defined either for all 4 "
                                           "classes or no classes"):
        F.nll_loss(dpt.zeros(3, 4), dpt.tensor([0, 1, 2]), weight=dpt.ones(3))
    with pytest.raises(RuntimeError, match="label_smoothing must be between 0.0 and 1.0"):
        F.cross_entropy(dpt.zeros(3, 4), dpt.tensor([0, 1, 2]), label_smoothing=1.5)
    with pytest.raises(RuntimeError, match="expected target dtype to be Long or Byte"):
        F.nll_loss(dpt.zeros(3, 4), dpt.zeros(3))
    with pytest.raises(RuntimeError, match="multi-target not supported"):
        F.cross_entropy(dpt.zeros(3, 4), dpt.zeros(3, 5))


def test_cross_entropy_against_torch():
    torch = pytest.importorskip("torch")
    x, t = randn(6, 4), np.array([0, 3, 1, 1, 2, -100])
    w = np.array([0.2, 1.0, 3.0, 0.7])
    xt = torch.tensor(x, requires_grad=True)
    ref = torch.nn.functional.cross_entropy(xt, torch.tensor(t), torch.tensor(w),
                                            label_smoothing=0.3)
    ref.backward()
    xd = leaf(x)
    out = F.cross_entropy(xd, dpt.tensor(t), dpt.tensor(w), label_smoothing=0.3)
    out.backward()
    assert_close(out, ref.item())
    assert_close(xd.grad, xt.grad.numpy())


def test_one_hot():
    out = F.one_hot(dpt.tensor([0, 2, 1]))
    assert out.dtype == dpt.int64
    assert_close(out, np.eye(3, dtype=np.int64)[[0, 2, 1]])
    assert F.one_hot(dpt.tensor([[1], [0]]), 4).shape == (2, 1, 4)
    with pytest.raises(RuntimeError, match="Class values must be smaller than num_classes."):
        F.one_hot(dpt.tensor([1, 5]), 3)
    with pytest.raises(RuntimeError, match="Class values must be non-negative."):
        F.one_hot(dpt.tensor([-1, 2]), 3)
    with pytest.raises(RuntimeError, match="one_hot is only applicable to index tensor"):
        F.one_hot(dpt.tensor([1.0, 2.0]), 3)


# -- binary --------------------------------------------------------------------------------
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy(reduction):
    p = np.random.default_rng(0).uniform(0.05, 0.95, (3, 4))
    y = np.random.default_rng(1).uniform(0, 1, (3, 4))
    w = np.array([0.5, 1.0, 2.0, 1.5])
    ref = -w * (y * np.log(p) + (1 - y) * np.log(1 - p))
    out = F.binary_cross_entropy(leaf(p, False), leaf(y, False), leaf(w, False),
                                 reduction=reduction)
    assert_close(out, _reduce(ref, reduction))
    check_gradients(lambda a, b: F.binary_cross_entropy(a, b, reduction=reduction), p, y,
                    gradgrad=True)


def test_binary_cross_entropy_clamps_log_and_errors():
    out = F.binary_cross_entropy(dpt.tensor([0.0, 1.0]), dpt.tensor([1.0, 0.0]), reduction="none")
    assert_close(out, [100.0, 100.0])
    x = leaf(np.array([0.0, 1.0]))
    F.binary_cross_entropy(x, dpt.tensor([0.0, 1.0], dtype=dpt.float64)).backward()
    assert np.isfinite(x.grad.numpy()).all()
    with pytest.raises(ValueError, match="Please ensure they have the same size"):
        F.binary_cross_entropy(dpt.rand(3), dpt.rand(3, 1))
    with pytest.raises(RuntimeError, match="all elements of input should be between 0 and 1"):
        F.binary_cross_entropy(dpt.tensor([1.5]), dpt.tensor([1.0]))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_with_logits(reduction):
    x = randn(3, 4) * 3
    y = np.random.default_rng(1).uniform(0, 1, (3, 4))
    w, pw = np.array([0.5, 1.0, 2.0, 1.5]), np.array([1.0, 3.0, 0.5, 2.0])
    s = _sig(x)
    ref = -w * (pw * y * np.log(s) + (1 - y) * np.log(1 - s))
    out = F.binary_cross_entropy_with_logits(leaf(x, False), leaf(y, False), leaf(w, False),
                                             reduction=reduction, pos_weight=leaf(pw, False))
    assert_close(out, _reduce(ref, reduction))
    check_gradients(lambda a: F.binary_cross_entropy_with_logits(
        a, leaf(y, False), pos_weight=leaf(pw, False), reduction=reduction), x, gradgrad=True)


def test_bce_with_logits_stable_module_and_errors():
    x = dpt.tensor([-1000.0, 1000.0])
    out = F.binary_cross_entropy_with_logits(x, dpt.tensor([1.0, 0.0]), reduction="none")
    assert_close(out, [1000.0, 1000.0])
    m = nn.BCEWithLogitsLoss(pos_weight=dpt.tensor([2.0]))
    assert list(m.state_dict()) == ["pos_weight"]
    assert_close(m(dpt.tensor([0.0]), dpt.tensor([1.0])), 2 * math.log(2))
    assert_close(nn.BCELoss()(dpt.tensor([0.5]), dpt.tensor([1.0])), math.log(2))
    with pytest.raises(ValueError, match=r"Target size \(dpt.Size\(\[3, 1\]\)\) must be the "
                                         r"same as input size \(dpt.Size\(\[3\]\)\)"):
        F.binary_cross_entropy_with_logits(dpt.rand(3), dpt.rand(3, 1))


# -- distribution losses ---------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides")
def test_kl_div():
    x = _log_softmax(randn(3, 4))
    t = np.random.default_rng(1).dirichlet(np.ones(4), 3)
    t[0, 1] = 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        pw = np.where(t > 0, t * (np.log(t) - x), 0.0)
    for reduction in REDUCTIONS:
        assert_close(F.kl_div(leaf(x, False), leaf(t, False), reduction=reduction),
                     _reduce(pw, reduction))
    assert_close(F.kl_div(leaf(x, False), leaf(t, False), reduction="batchmean"), pw.sum() / 3)
    lt = np.log(t + 0.1)
    assert_close(F.kl_div(leaf(x, False), leaf(lt, False), reduction="sum", log_target=True),
                 np.sum(np.exp(lt) * (lt - x)))
    check_gradients(lambda a, b: F.kl_div(a, b, reduction="batchmean", log_target=True), x, lt)
    with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
        F.kl_div(leaf(x, False), leaf(t, False))
    assert_close(nn.KLDivLoss(reduction="batchmean")(leaf(x, False), leaf(t, False)),
                 pw.sum() / 3)


def test_poisson_nll_loss():
    x, t = randn(3, 4), np.random.default_rng(1).uniform(0, 4, (3, 4))
    stirling = np.where(t > 1, t * np.log(t) - t + 0.5 * np.log(2 * np.pi * t), 0)
    for reduction in REDUCTIONS:
        out = F.poisson_nll_loss(leaf(x, False), leaf(t, False), full=True, reduction=reduction)
        assert_close(out, _reduce(np.exp(x) - t * x + stirling, reduction))
    r = np.abs(x) + 0.1
    out = F.poisson_nll_loss(leaf(r, False), leaf(t, False), log_input=False)
    assert_close(out, np.mean(r - t * np.log(r + 1e-8)))
    check_gradients(lambda a: F.poisson_nll_loss(a, leaf(t, False), full=True), x)
    assert_close(nn.PoissonNLLLoss()(leaf(x, False), leaf(t, False)), np.mean(np.exp(x) - t * x))


def test_gaussian_nll_loss():
    x, t = randn(3, 4), randn(3, 4, seed=1)
    v = np.random.default_rng(2).uniform(0.5, 2, (3, 4))
    for reduction in REDUCTIONS:
        out = F.gaussian_nll_loss(leaf(x, False), leaf(t, False), leaf(v, False), full=True,
                                  reduction=reduction)
        ref = 0.5 * (np.log(v) + (x - t) ** 2 / v) + 0.5 * math.log(2 * math.pi)
        assert_close(out, _reduce(ref, reduction))
    v1 = v[:, 0]  # one variance per sample, with or without the trailing 1
    ref = np.mean(0.5 * (np.log(v1[:, None]) + (x - t) ** 2 / v1[:, None]))
    assert_close(F.gaussian_nll_loss(leaf(x, False), leaf(t, False), leaf(v1, False)), ref)
    assert_close(nn.GaussianNLLLoss()(leaf(x, False), leaf(t, False), leaf(v1[:, None], False)),
                 ref)
    tiny = np.full((3, 4), 1e-9)  # clamped to eps
    out = F.gaussian_nll_loss(leaf(x, False), leaf(t, False), leaf(tiny, False), reduction="sum")
    assert_close(out, np.sum(0.5 * (np.log(1e-6) + (x - t) ** 2 / 1e-6)), rtol=1e-9)
    check_gradients(lambda a, b: F.gaussian_nll_loss(a, leaf(t, False), b), x, v)
    with pytest.raises(ValueError, match="var is of incorrect size"):
        F.gaussian_nll_loss(dpt.zeros(3, 2), dpt.zeros(3, 2), dpt.ones(3, 3))
    with pytest.raises(ValueError, match="var has negative entry/entries"):
        F.gaussian_nll_loss(dpt.zeros(3, 2), dpt.zeros(3, 2), -dpt.ones(3, 2))


# -- CTC -------------------------------------------------------------------------------------
def _np_ctc_brute(logp, target, blank):
    """-log of the summed probability of every alignment that collapses to target."""
    T, C = logp.shape
    total = 0.0
    for path in itertools.product(range(C), repeat=T):
        collapsed = [c for i, c in enumerate(path) if (i == 0 or c != path[i - 1]) and c != blank]
        if collapsed == list(target):
            total += math.exp(sum(logp[t, c] for t, c in enumerate(path)))
    return -math.log(total) if total > 0 else math.inf


def _ctc_case():
    rng = np.random.default_rng(0)
    logp = np.log(rng.dirichlet(np.ones(3), (5, 3)))  # T=5, N=3, C=3
    targets = np.array([[1, 2, 2], [2, 1, 0], [1, 1, 1]])
    in_len, tg_len = [5, 4, 5], [2, 2, 0]
    return logp, targets, in_len, tg_len


def test_ctc_loss_matches_brute_force():
    logp, targets, in_len, tg_len = _ctc_case()
    ref = np.array([_np_ctc_brute(logp[:in_len[n], n], targets[n, :tg_len[n]], 0)
                    for n in range(3)])
    out = F.ctc_loss(leaf(logp, False), dpt.tensor(targets), in_len, tg_len, reduction="none")
    assert_close(out, ref, rtol=1e-10)
    assert_close(F.ctc_loss(leaf(logp, False), dpt.tensor(targets), in_len, tg_len,
                            reduction="sum"), ref.sum())
    assert_close(F.ctc_loss(leaf(logp, False), dpt.tensor(targets), dpt.tensor(in_len),
                            dpt.tensor(tg_len)), np.mean(ref / np.maximum(tg_len, 1)))
    concat = dpt.tensor([1, 2, 2, 1])  # 1-D concatenated form
    assert_close(F.ctc_loss(leaf(logp, False), concat, in_len, tg_len, reduction="none"), ref,
                 rtol=1e-10)
    # another blank index and an unbatched input
    ref_b = _np_ctc_brute(logp[:, 0], [0, 1], 2)
    out = F.ctc_loss(leaf(logp[:, 0], False), dpt.tensor([0, 1]), 5, 2, blank=2,
                     reduction="sum")
    assert_close(out, ref_b, rtol=1e-10)


def test_ctc_loss_gradcheck_and_zero_infinity():
    logp, targets, in_len, tg_len = _ctc_case()
    # torch's (and dpt's) gradient is the logits gradient of a log_softmax in front
    check_gradients(lambda a: F.ctc_loss(a.log_softmax(2), dpt.tensor(targets), in_len, tg_len),
                    logp)
    # 2 frames cannot emit "1 2 2" (needs 4: a blank between the 2s): infinite loss
    out = F.ctc_loss(leaf(logp, False), dpt.tensor(targets), [2, 2, 2], [3, 2, 0],
                     reduction="none")
    assert np.isinf(out.numpy()[0])
    x = leaf(logp)
    out = F.ctc_loss(x, dpt.tensor(targets), [2, 2, 2], [3, 2, 0], reduction="sum",
                     zero_infinity=True)
    out.backward()
    assert np.isfinite(out.item()) and np.all(x.grad.numpy()[:, 0] == 0)
    m = nn.CTCLoss(blank=0, zero_infinity=True)
    assert np.isfinite(m(leaf(logp, False), dpt.tensor(targets), [2, 2, 2], [3, 2, 0]).item())


def test_ctc_loss_errors():
    logp, targets, in_len, _ = _ctc_case()
    with pytest.raises(RuntimeError, match="Expected tensor to have size at least 6 at "
                                           "dimension 1"):
        F.ctc_loss(dpt.tensor(logp), dpt.tensor(targets), in_len, [2, 6, 1])
    with pytest.raises(RuntimeError, match="Expected input_lengths to have value at most 5"):
        F.ctc_loss(dpt.tensor(logp), dpt.tensor(targets), [6, 5, 5], [1, 1, 1])


def test_ctc_loss_logit_gradient_matches_torch():
    torch = pytest.importorskip("torch")
    logp, targets, in_len, tg_len = _ctc_case()
    xt = torch.tensor(logp, requires_grad=True)
    ref = torch.nn.functional.ctc_loss(xt.log_softmax(2), torch.tensor(targets), in_len, tg_len)
    ref.backward()
    xd = leaf(logp)
    out = F.ctc_loss(xd.log_softmax(2), dpt.tensor(targets), in_len, tg_len)
    out.backward()
    assert_close(out, ref.item())
    assert_close(xd.grad, xt.grad.numpy())


# -- margin and embedding losses -------------------------------------------------------------
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_margin_ranking_and_hinge_embedding(reduction):
    a, b = randn(5), randn(5, seed=1)
    y = np.array([1.0, -1.0, 1.0, -1.0, 1.0])
    out = F.margin_ranking_loss(leaf(a, False), leaf(b, False), leaf(y, False), 0.3,
                                reduction=reduction)
    assert_close(out, _reduce(np.maximum(0, -y * (a - b) + 0.3), reduction))
    out = F.hinge_embedding_loss(leaf(a, False), leaf(y, False), 0.7, reduction=reduction)
    assert_close(out, _reduce(np.where(y == 1, a, np.maximum(0, 0.7 - a)), reduction))
    check_gradients(lambda p, q: F.margin_ranking_loss(p, q, leaf(y, False), 0.3), a, b)
    with pytest.raises(RuntimeError, match="All input tensors should have same dimension"):
        F.margin_ranking_loss(dpt.zeros(3), dpt.zeros(3, 1), dpt.zeros(3))


def _np_multilabel_margin(x, t):
    out = []
    for xi, ti in zip(x, t):
        labels = []
        for v in ti:
            if v < 0:
                break
            labels.append(v)
        s = 0.0
        for j in labels:
            for k in range(len(xi)):
                if k not in labels:
                    s += max(0.0, 1 - (xi[j] - xi[k]))
        out.append(s / len(xi))
    return np.array(out)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multilabel_margin_loss(reduction):
    x = randn(4, 4)
    t = np.array([[2, 0, -1, 1], [1, -1, 2, 3], [0, 1, 2, 3], [-1, 0, 0, 0]])
    out = F.multilabel_margin_loss(leaf(x, False), dpt.tensor(t), reduction=reduction)
    assert_close(out, _reduce(_np_multilabel_margin(x, t), reduction))
    check_gradients(lambda a: F.multilabel_margin_loss(a, dpt.tensor(t)), x)
    assert_close(nn.MultiLabelMarginLoss()(leaf(x[0], False), dpt.tensor(t[0])),
                 _np_multilabel_margin(x[:1], t[:1])[0])
    with pytest.raises(RuntimeError, match="inconsistent target size"):
        F.multilabel_margin_loss(dpt.zeros(3, 4), dpt.zeros(3, 3, dtype=dpt.int64))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multilabel_soft_margin_loss(reduction):
    x = randn(3, 4)
    y = (np.random.default_rng(1).uniform(size=(3, 4)) > 0.5).astype(float)
    w = np.array([1.0, 0.5, 2.0, 1.0])
    per = -w * (y * np.log(_sig(x)) + (1 - y) * np.log(_sig(-x)))
    out = F.multilabel_soft_margin_loss(leaf(x, False), leaf(y, False), leaf(w, False),
                                        reduction=reduction)
    assert_close(out, _reduce(per.mean(1), reduction))
    check_gradients(lambda a: F.multilabel_soft_margin_loss(a, leaf(y, False)), x)


def _np_multi_margin(x, t, p, margin, w):
    out = []
    for xi, ti in zip(x, t):
        s = 0.0
        for j in range(len(xi)):
            if j != ti:
                h = max(0.0, margin - xi[ti] + xi[j]) ** p
                s += h * (1.0 if w is None else w[ti])
        out.append(s / len(xi))
    return np.array(out)


@pytest.mark.parametrize("p", [1, 2])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multi_margin_loss(p, reduction):
    x, t = randn(4, 3), np.array([0, 2, 1, 2])
    w = np.array([0.5, 2.0, 1.0])
    out = F.multi_margin_loss(leaf(x, False), dpt.tensor(t), p, 0.8, leaf(w, False),
                              reduction=reduction)
    assert_close(out, _reduce(_np_multi_margin(x, t, p, 0.8, w), reduction))
    check_gradients(lambda a: F.multi_margin_loss(a, dpt.tensor(t), p, 0.8), x)
    with pytest.raises(ValueError, match="only p == 1 and p == 2 supported"):
        F.multi_margin_loss(dpt.zeros(2, 3), dpt.tensor([0, 1]), p=3)
    assert_close(nn.MultiMarginLoss()(leaf(x, False), dpt.tensor(t)),
                 _np_multi_margin(x, t, 1, 1.0, None).mean())


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cosine_embedding_loss(reduction):
    a, b = randn(4, 3), randn(4, 3, seed=1)
    y = np.array([1.0, -1.0, 1.0, -1.0])
    cos = (a * b).sum(1) / np.sqrt(((a * a).sum(1) + 1e-12) * ((b * b).sum(1) + 1e-12))
    ref = np.where(y == 1, 1 - cos, np.maximum(0, cos - 0.2))
    out = F.cosine_embedding_loss(leaf(a, False), leaf(b, False), leaf(y, False), 0.2,
                                  reduction=reduction)
    assert_close(out, _reduce(ref, reduction))
    check_gradients(lambda p, q: F.cosine_embedding_loss(p, q, leaf(y, False), -0.5), a, b)
    assert_close(nn.CosineEmbeddingLoss()(leaf(a, False), leaf(b, False), leaf(y, False)),
                 np.mean(np.where(y == 1, 1 - cos, np.maximum(0, cos))))


@pytest.mark.parametrize("swap", [False, True])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_triplet_margin_loss(swap, reduction):
    a, p, n = randn(4, 3), randn(4, 3, seed=1), randn(4, 3, seed=2)

    def dist(u, v, q=3):
        return (np.abs(u - v + 1e-6) ** q).sum(1) ** (1 / q)

    dn = dist(a, n)
    if swap:
        dn = np.minimum(dn, dist(p, n))
    ref = np.maximum(0, 0.5 + dist(a, p) - dn)
    out = F.triplet_margin_loss(leaf(a, False), leaf(p, False), leaf(n, False), 0.5, 3,
                                swap=swap, reduction=reduction)
    assert_close(out, _reduce(ref, reduction))
    check_gradients(lambda u, v, w: F.triplet_margin_loss(u, v, w, 2.0, swap=swap), a, p, n)
    m = nn.TripletMarginLoss(margin=0.5, p=3, swap=swap, reduction=reduction)
    assert_close(m(leaf(a, False), leaf(p, False), leaf(n, False)), _reduce(ref, reduction))


def test_triplet_margin_loss_errors():
    with pytest.raises(RuntimeError, match="anchor 2D, positive 1D, and negative 2D inputs"):
        F.triplet_margin_loss(dpt.zeros(3, 2), dpt.zeros(3), dpt.zeros(3, 2))
    with pytest.raises(ValueError, match="expected margin to be greater than 0"):
        nn.TripletMarginLoss(margin=0)


def test_loss_module_defaults():
    assert nn.NLLLoss().ignore_index == -100 and nn.NLLLoss().reduction == "mean"
    assert nn.CrossEntropyLoss().label_smoothing == 0.0
    assert nn.SmoothL1Loss().beta == 1.0 and nn.HuberLoss().delta == 1.0
    assert nn.KLDivLoss().log_target is False
    assert nn.PoissonNLLLoss().eps == 1e-8 and nn.PoissonNLLLoss().log_input is True
    assert nn.GaussianNLLLoss().eps == 1e-6 and nn.GaussianNLLLoss().full is False
    assert nn.CTCLoss().blank == 0 and nn.CTCLoss().zero_infinity is False
    assert nn.MultiMarginLoss().p == 1 and nn.MultiMarginLoss().margin == 1.0
    assert nn.TripletMarginLoss().margin == 1.0 and nn.TripletMarginLoss().swap is False
    assert nn.HingeEmbeddingLoss().margin == 1.0 and nn.MarginRankingLoss().margin == 0.0
    with pytest.warns(UserWarning, match="reduction='sum' instead"):
        assert nn.L1Loss(size_average=False).reduction == "sum"


def test_losses_on_device(device):
    x, t = randn(4, 3), np.array([0, 2, 1, 2])
    xd = leaf(x, device=device)
    loss = F.cross_entropy(xd, dpt.tensor(t, device=device), label_smoothing=0.1)
    loss.backward()
    assert_close(loss, _np_ce(x, t, eps=0.1))
    assert xd.grad.device == xd.device
    assert_close(F.nll_loss(leaf(x, False, device), dpt.tensor(t, device=device)),
                 _np_nll(x, t))
    logp, targets, in_len, tg_len = _ctc_case()
    out = F.ctc_loss(leaf(logp, False, device), dpt.tensor(targets, device=device), in_len,
                     tg_len, reduction="sum")
    ref = sum(_np_ctc_brute(logp[:in_len[n], n], targets[n, :tg_len[n]], 0) for n in range(3))
    assert_close(out, ref, rtol=1e-10)
