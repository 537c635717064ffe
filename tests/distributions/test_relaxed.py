"""gumbel_softmax and the relaxed (Concrete) distributions against torch, same seeds."""
import warnings

import numpy as np
import pytest

import dpt
import dpt.nn.functional as F
from dpt.distributions import (ExpRelaxedCategorical, LogitRelaxedBernoulli, RelaxedBernoulli,
                               RelaxedOneHotCategorical, constraints)

torch = pytest.importorskip("torch")
from torch.distributions import relaxed_bernoulli as t_rb  # noqa: E402
from torch.distributions import relaxed_categorical as t_rc  # noqa: E402

TORCH = {"LogitRelaxedBernoulli": t_rb.LogitRelaxedBernoulli,
         "RelaxedBernoulli": t_rb.RelaxedBernoulli,
         "ExpRelaxedCategorical": t_rc.ExpRelaxedCategorical,
         "RelaxedOneHotCategorical": t_rc.RelaxedOneHotCategorical}
DPT = {"LogitRelaxedBernoulli": LogitRelaxedBernoulli, "RelaxedBernoulli": RelaxedBernoulli,
       "ExpRelaxedCategorical": ExpRelaxedCategorical,
       "RelaxedOneHotCategorical": RelaxedOneHotCategorical}
CATEGORICAL = ("ExpRelaxedCategorical", "RelaxedOneHotCategorical")


def _seed(s=0):
    torch.manual_seed(s)
    dpt.manual_seed(s)


def _close(d, t, tol=1e-12):
    np.testing.assert_allclose(d.detach().numpy(), t.detach().numpy(), rtol=tol, atol=tol)


# ---- gumbel_softmax ------------------------------------------------------------------------
@pytest.mark.parametrize("hard", [False, True])
@pytest.mark.parametrize("dim", [-1, 0, 1])
@pytest.mark.parametrize("tau", [1, 0.3])
def test_gumbel_softmax_matches_torch(hard, dim, tau):
    x = np.random.default_rng(0).standard_normal((3, 5, 4))
    tx = torch.tensor(x, requires_grad=True)
    dx = dpt.tensor(x, requires_grad=True)
    _seed(7)
    ty = torch.nn.functional.gumbel_softmax(tx, tau=tau, hard=hard, dim=dim)
    dy = F.gumbel_softmax(dx, tau=tau, hard=hard, dim=dim)
    _close(dy, ty)
    w = np.random.default_rng(1).standard_normal(x.shape)
    (ty * torch.tensor(w)).sum().backward()
    (dy * dpt.tensor(w)).sum().backward()
    _close(dx.grad, tx.grad, 1e-10)


def test_gumbel_softmax_float32_and_non_contiguous():
    x = np.random.default_rng(2).standard_normal((6, 4)).astype(np.float32)
    _seed(3)
    ty = torch.nn.functional.gumbel_softmax(torch.tensor(x).t(), tau=0.5)
    dy = F.gumbel_softmax(dpt.tensor(x).t(), tau=0.5)
    assert dy.dtype is dpt.float32
    _close(dy, ty, 1e-6)


def test_gumbel_softmax_hard_is_one_hot_and_empty():
    _seed(0)
    y = F.gumbel_softmax(dpt.randn(10, 7), hard=True)
    assert np.array_equal(y.detach().numpy().sum(-1), np.ones(10))
    assert set(np.unique(y.detach().numpy())) <= {0.0, 1.0}
    assert tuple(F.gumbel_softmax(dpt.randn(0, 3)).shape) == (0, 3)


def test_gumbel_softmax_gradcheck_soft():
    x = dpt.randn(2, 3, dtype=dpt.float64, requires_grad=True)

    def fn(t):
        dpt.manual_seed(11)  # the same noise on every evaluation
        return F.gumbel_softmax(t, tau=0.7)

    assert dpt.autograd.gradcheck(fn, (x,))


def test_gumbel_softmax_eps_is_deprecated():
    with pytest.warns(UserWarning, match="`eps` parameter is deprecated"):
        F.gumbel_softmax(dpt.randn(2, 3), eps=1e-5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.gumbel_softmax(dpt.randn(2, 3))


# ---- distributions -------------------------------------------------------------------------
def _params(name, key, shape=(3, 4), seed=0):
    p = np.random.default_rng(seed).random(shape) * 0.8 + 0.1
    if name in CATEGORICAL:
        p = p / p.sum(-1, keepdims=True)
        return p if key == "probs" else np.log(p) + 0.3
    return p if key == "probs" else np.log(p / (1 - p))


def _pair(name, key, temp=0.7, shape=(3, 4), requires_grad=False):
    p = _params(name, key, shape)
    tp = torch.tensor(p, requires_grad=requires_grad)
    dp = dpt.tensor(p, requires_grad=requires_grad)
    # float64 temperature: numpy's and torch's float32 log differ by an ulp at 0.7.
    t = TORCH[name](torch.tensor(temp, dtype=torch.float64), **{key: tp})
    d = DPT[name](dpt.tensor(temp, dtype=dpt.float64), **{key: dp})
    return t, d, tp, dp


NAMES = list(TORCH)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("key", ["probs", "logits"])
def test_rsample_and_log_prob_match_torch(name, key):
    t, d, tp, dp = _pair(name, key, requires_grad=True)
    _seed(5)
    ts, ds = t.rsample((2,)), d.rsample((2,))
    _close(ds, ts)
    assert tuple(ds.shape) == tuple(ts.shape) == (2, 3, 4)
    w = np.random.default_rng(3).standard_normal(tuple(ts.shape))
    (ts * torch.tensor(w)).sum().backward()
    (ds * dpt.tensor(w)).sum().backward()
    _close(dp.grad, tp.grad, 1e-9)
    value = ts.detach()
    _close(d.log_prob(dpt.tensor(value.numpy())), t.log_prob(value), 1e-10)
    _seed(6)
    _close(d.sample(), t.sample())
    assert not d.sample().requires_grad


@pytest.mark.parametrize("name", NAMES)
def test_attributes_match_torch(name):
    t, d, _, _ = _pair(name, "probs")
    assert str(d.support) == str(t.support)
    assert {k: str(v) for k, v in d.arg_constraints.items()} == \
        {k: str(v) for k, v in t.arg_constraints.items()}
    assert d.has_rsample == t.has_rsample
    assert tuple(d.batch_shape) == tuple(t.batch_shape)
    assert tuple(d.event_shape) == tuple(t.event_shape)
    assert tuple(d.param_shape if hasattr(t, "param_shape") else ()) == \
        tuple(t.param_shape if hasattr(t, "param_shape") else ())
    _close(d.probs, t.probs)
    _close(d.logits, t.logits, 1e-10)
    assert float(d.temperature) == float(t.temperature)


@pytest.mark.parametrize("name", NAMES)
def test_expand_matches_torch(name):
    t, d, _, _ = _pair(name, "logits")
    shape = (5,) + tuple(t.batch_shape)
    te, de = t.expand(shape), d.expand(shape)
    assert type(de) is type(d)
    assert tuple(de.batch_shape) == tuple(te.batch_shape)
    assert tuple(de.event_shape) == tuple(te.event_shape)
    _seed(9)
    _close(de.rsample(), te.rsample())
    with pytest.raises(RuntimeError):
        d.expand((7, 2))


def test_scalar_bernoulli_parameters():
    for name in ("LogitRelaxedBernoulli", "RelaxedBernoulli"):
        t = TORCH[name](torch.tensor(0.5), probs=0.3)
        d = DPT[name](dpt.tensor(0.5), probs=0.3)
        assert tuple(d.batch_shape) == tuple(t.batch_shape) == ()
        _seed(1)
        ds, ts = d.rsample((4,)), t.rsample((4,))
        assert ds.dtype is dpt.float32 and tuple(ds.shape) == (4,)
        _close(ds, ts, 1e-6)  # float32 log/log1p: numpy and torch may differ by an ulp


def test_support_and_validation():
    d = RelaxedOneHotCategorical(dpt.tensor(0.5), probs=dpt.tensor([0.2, 0.8]))
    assert d.support is constraints.simplex
    assert bool(d.support.check(d.sample()).all())
    b = RelaxedBernoulli(dpt.tensor(0.5), probs=dpt.tensor([0.2, 0.8]))
    s = b.sample((100,))
    assert bool(((s >= 0) & (s <= 1)).all())
    with pytest.raises(ValueError, match="Either `probs` or `logits`"):
        RelaxedBernoulli(dpt.tensor(0.5))
    with pytest.raises(ValueError, match="Either `probs` or `logits`"):
        LogitRelaxedBernoulli(dpt.tensor(0.5), probs=0.3, logits=0.1)
    with pytest.raises(ValueError):
        RelaxedBernoulli(dpt.tensor(0.5), probs=dpt.tensor([1.5]), validate_args=True)
    # As torch: Categorical normalises probs first, so only negative ones are refused.
    RelaxedOneHotCategorical(dpt.tensor(0.5), probs=dpt.tensor([0.5, 0.7]), validate_args=True)
    with pytest.raises(ValueError, match="Simplex"):
        RelaxedOneHotCategorical(dpt.tensor(0.5), probs=dpt.tensor([0.5, -0.7]),
                                 validate_args=True)
    with pytest.raises(ValueError):
        RelaxedBernoulli(dpt.tensor(0.5), probs=dpt.tensor([0.3]),
                         validate_args=True).log_prob(dpt.tensor([1.5]))


def test_temperature_gradient_matches_torch():
    for name in NAMES:
        t_temp = torch.tensor(0.6, dtype=torch.float64, requires_grad=True)
        d_temp = dpt.tensor(0.6, dtype=dpt.float64, requires_grad=True)
        p = _params(name, "logits")
        t = TORCH[name](t_temp, logits=torch.tensor(p))
        d = DPT[name](d_temp, logits=dpt.tensor(p))
        _seed(4)
        ts, ds = t.rsample(), d.rsample()
        (ts.sum() + t.log_prob(ts.detach()).sum()).backward()
        (ds.sum() + d.log_prob(ds.detach()).sum()).backward()
        _close(d_temp.grad, t_temp.grad, 1e-9)
