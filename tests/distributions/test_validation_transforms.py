"""validate_args and torch's errors, constraints, transforms and TransformedDistribution,
Independent, and the tutorial lines from torch-source-walkthrough.txt."""
import math

import numpy as np
import pytest
from scipy import stats

import dpt
import dpt.distributions as D
from dpt.distributions import constraints, transforms as T
from tests.helpers import assert_close


def t64(x):
    return dpt.tensor(np.asarray(x, dtype=np.float64))


# ---- validation --------------------------------------------------------------------------
def test_invalid_parameters_raise_torch_messages():
    with pytest.raises(ValueError, match=r"Expected parameter scale \(Tensor of shape \(2,\)\) of "
                                         r"distribution Normal\(loc: dpt.Size\(\[2\]\), scale: "
                                         r"dpt.Size\(\[2\]\)\) to satisfy the constraint "
                                         r"GreaterThan\(lower_bound=0.0\), but found invalid values"):
        D.Normal(dpt.zeros(2), dpt.tensor([1.0, -1.0]))
    with pytest.raises(ValueError, match="constraint Interval\\(lower_bound=0.0, upper_bound=1.0\\)"):
        D.Bernoulli(1.5)
    with pytest.raises(ValueError, match="Either `probs` or `logits` must be specified, but not both."):
        D.Bernoulli(0.5, 0.0)
    with pytest.raises(ValueError, match="Uniform is not defined when low>= high"):
        D.Uniform(1.0, 0.0)
    with pytest.raises(ValueError, match="`probs` parameter must be at least one-dimensional."):
        D.Categorical(dpt.tensor(0.5))
    with pytest.raises(ValueError, match=r"IndependentConstraint\(GreaterThan\(lower_bound=0.0\), 1\)"):
        D.Dirichlet(t64([1.0, -1.0]))
    with pytest.raises(ValueError, match="to be positive but found invalid values"):
        D.Geometric(t64([0.0, 0.5]))
    with pytest.raises(ValueError, match="Exactly one of covariance_matrix or precision_matrix"):
        D.MultivariateNormal(dpt.zeros(2))
    with pytest.raises(ValueError, match="PositiveDefinite"):
        D.MultivariateNormal(dpt.zeros(2), covariance_matrix=t64([[1.0, 2.0], [2.0, 1.0]]))
    with pytest.raises(ValueError, match="Expected reinterpreted_batch_ndims <= len"):
        D.Independent(D.Normal(dpt.zeros(2), dpt.ones(2)), 2)
    with pytest.raises(NotImplementedError, match="inhomogeneous total_count is not supported"):
        D.Multinomial(dpt.tensor([2, 3]), dpt.ones(2))
    # no validation: accepted
    D.Normal(0.0, -1.0, validate_args=False)


def test_invalid_values_raise_torch_messages():
    d = D.Normal(dpt.zeros(2), dpt.ones(2))
    with pytest.raises(ValueError, match="The value argument to log_prob must be a Tensor"):
        d.log_prob(0.5)
    with pytest.raises(ValueError, match="Value is not broadcastable with batch_shape\\+event_shape"):
        d.log_prob(dpt.zeros(3))
    with pytest.raises(ValueError, match=r"Expected value argument \(Tensor of shape \(2,\)\) to be "
                                         r"within the support \(GreaterThanEq\(lower_bound=0.0\)\) "
                                         r"of the distribution Exponential\(rate: 1.0\), but found "
                                         r"invalid values"):
        D.Exponential(1.0).log_prob(dpt.tensor([1.0, -1.0]))
    with pytest.raises(ValueError, match="within the support \\(Boolean\\(\\)\\)"):
        D.Bernoulli(0.5).log_prob(dpt.tensor(0.5))
    with pytest.raises(ValueError, match="The right-most size of value must match event_shape"):
        D.Dirichlet(dpt.ones(3)).log_prob(dpt.ones(2) / 2)
    assert D.Exponential(1.0, validate_args=False).log_prob(dpt.tensor(-1.0)).item() == 1.0


def test_set_default_validate_args():
    try:
        D.Distribution.set_default_validate_args(False)
        D.Normal(0.0, -1.0)
        D.Exponential(1.0).log_prob(dpt.tensor(-1.0))
    finally:
        D.Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError):
        D.Normal(0.0, -1.0)
    with pytest.raises(ValueError):
        D.Distribution.set_default_validate_args("yes")


def test_constraints():
    x = dpt.tensor([-1.0, 0.0, 0.5, 1.0, 2.0])
    assert constraints.positive.check(x).tolist() == [False, False, True, True, True]
    assert constraints.nonnegative.check(x).tolist() == [False, True, True, True, True]
    assert constraints.unit_interval.check(x).tolist() == [False, True, True, True, False]
    assert constraints.boolean.check(x).tolist() == [False, True, False, True, False]
    assert constraints.nonnegative_integer.check(x).tolist() == [False, True, False, True, True]
    assert constraints.integer_interval(0, 1).check(x).tolist() == [False, True, False, True, False]
    assert constraints.interval(-1.0, 1.0).check(x).tolist() == [True, True, True, True, False]
    assert constraints.half_open_interval(-1.0, 1.0).check(x).tolist() == [True, True, True, False, False]
    assert constraints.greater_than(0.5).check(x).tolist() == [False, False, False, True, True]
    assert constraints.less_than(0.5).check(x).tolist() == [True, True, False, False, False]
    assert constraints.real.check(dpt.tensor([1.0, math.nan])).tolist() == [True, False]
    assert constraints.simplex.check(dpt.tensor([[0.2, 0.8], [0.5, 0.6]])).tolist() == [True, False]
    assert constraints.one_hot.check(dpt.tensor([[0.0, 1.0], [1.0, 1.0]])).tolist() == [True, False]
    assert constraints.lower_cholesky.check(t64([[[1.0, 0.0], [2.0, 1.0]], [[1.0, 0.1], [2.0, 1.0]],
                                                 [[-1.0, 0.0], [2.0, 1.0]]])).tolist() == \
        [True, False, False]
    assert constraints.lower_triangular.check(t64([[1.0, 0.0], [2.0, -1.0]])).item()
    assert constraints.positive_definite.check(t64([[[2.0, 1.0], [1.0, 2.0]],
                                                    [[1.0, 2.0], [2.0, 1.0]]])).tolist() == [True, False]
    assert constraints.symmetric.check(t64([[1.0, 2.0], [3.0, 1.0]])).item() is False
    assert constraints.real_vector.check(dpt.tensor([[1.0, math.nan], [0.0, 1.0]])).tolist() == [False, True]
    assert constraints.real_vector.event_dim == 1 and constraints.simplex.event_dim == 1
    assert constraints.nonnegative_integer.is_discrete and not constraints.real.is_discrete
    assert constraints.is_dependent(D.Uniform.arg_constraints["low"])
    assert repr(constraints.interval(0, 1)) == "Interval(lower_bound=0, upper_bound=1)"
    assert repr(constraints.independent(constraints.real, 1)) == "IndependentConstraint(Real(), 1)"
    assert isinstance(D.Uniform(0.0, 2.0).support, constraints.Constraint)


# ---- transforms ----------------------------------------------------------------------------
@pytest.mark.parametrize("t, x", [
    (T.ExpTransform(), [-1.0, 0.5, 2.0]),
    (T.AffineTransform(1.0, -2.0), [-1.0, 0.5, 2.0]),
    (T.AffineTransform(t64([1.0, 2.0, 3.0]), t64([0.5, 2.0, -1.0])), [-1.0, 0.5, 2.0]),
    (T.SigmoidTransform(), [-1.0, 0.5, 2.0]),
    (T.TanhTransform(), [-1.0, 0.5, 2.0]),
    (T.PowerTransform(2.5), [0.3, 0.5, 2.0]),
    (T.ComposeTransform([T.ExpTransform(), T.AffineTransform(0.5, 3.0)]), [-1.0, 0.5, 2.0]),
    (T.ExpTransform().inv, [0.3, 0.5, 2.0]),
])
def test_transform_inverse_and_jacobian(t, x):
    x = t64(x)
    y = t(x)
    assert_close(t.inv(y), x.numpy(), rtol=1e-9)
    # log |dy/dx| against a central difference
    h = 1e-6
    numeric = np.log(np.abs((t(x + h) - t(x - h)).numpy() / (2 * h)))
    assert_close(t.log_abs_det_jacobian(x, y), numeric, rtol=1e-5, atol=1e-6)
    assert t.inv.inv is t
    assert t.bijective


def test_transform_cache_and_signs():
    t = T.ExpTransform(cache_size=1)
    x = t64([0.5])
    y = t(x)
    assert t.inv(y) is x
    assert T.ExpTransform().sign == 1 and T.AffineTransform(0.0, -2.0).sign == -1
    assert T.ComposeTransform([T.ExpTransform(), T.AffineTransform(0.0, -1.0)]).sign == -1
    assert T.ExpTransform() == T.ExpTransform() and T.ExpTransform() != T.SigmoidTransform()
    assert T.AffineTransform(1.0, 2.0) == T.AffineTransform(1.0, 2.0)
    sm = T.SoftmaxTransform()
    assert_close(sm(t64([0.0, math.log(3.0)])), [0.25, 0.75])


def test_transformed_distribution():
    base = D.Normal(t64([0.0, 0.5]), t64([1.0, 0.3]))
    # logistic-normal-like: sigmoid of a normal, then affine onto (-1, 3)
    d = D.TransformedDistribution(base, [T.SigmoidTransform(), T.AffineTransform(-1.0, 4.0)])
    assert d.batch_shape == (2,) and d.event_shape == () and d.has_rsample
    v = np.array([0.5, 2.0])
    u = (v + 1) / 4
    z = np.log(u / (1 - u))
    ref = stats.norm([0.0, 0.5], [1.0, 0.3]).logpdf(z) - np.log(u * (1 - u)) - np.log(4)
    assert_close(d.log_prob(t64(v)), ref, rtol=1e-9)
    assert_close(d.cdf(t64(v)), stats.norm([0.0, 0.5], [1.0, 0.3]).cdf(z), rtol=1e-9)
    assert_close(d.icdf(d.cdf(t64(v))), v, rtol=1e-8)
    # a decreasing transform flips the cdf
    neg = D.TransformedDistribution(D.Exponential(t64(2.0)), T.AffineTransform(0.0, -1.0))
    assert_close(neg.cdf(t64(-0.5)), np.exp(-1.0), rtol=1e-10)
    dpt.manual_seed(0)
    s = d.sample((1000,))
    assert s.shape == (1000, 2) and bool(((s > -1) & (s < 3)).all())
    with pytest.raises(ValueError, match="transforms must be a Transform or"):
        D.TransformedDistribution(base, "exp")
    # event dims: an affine map on vectors turns the batch of 2 into an event of 2
    vec = D.TransformedDistribution(base, T.AffineTransform(0.0, 2.0, event_dim=1))
    assert vec.batch_shape == () and vec.event_shape == (2,)
    assert_close(vec.log_prob(t64([1.0, 1.0])),
                 (stats.norm([0.0, 0.5], [1.0, 0.3]).logpdf([0.5, 0.5]) - np.log(2)).sum(), rtol=1e-10)


def test_independent():
    base = D.Normal(t64([[0.0, 1.0, 2.0]] * 4), t64([[1.0, 2.0, 0.5]] * 4))
    d = D.Independent(base, 1)
    assert d.batch_shape == (4,) and d.event_shape == (3,)
    x = t64(np.linspace(-1, 1, 12).reshape(4, 3))
    assert_close(d.log_prob(x), base.log_prob(x).sum(-1).numpy(), rtol=1e-12)
    assert_close(d.entropy(), base.entropy().sum(-1).numpy(), rtol=1e-12)
    assert d.sample((2,)).shape == (2, 4, 3) and d.has_rsample
    assert_close(d.mean, base.mean.numpy())
    assert repr(d).startswith("Independent(Normal(")
    with pytest.raises(ValueError, match="The right-most size of value must match event_shape"):
        d._validate_sample(dpt.zeros(2))


def test_misc_api():
    d = D.Normal(dpt.tensor([0.0, 1.0]), dpt.tensor([1.0, 2.0]))
    assert_close(d.perplexity(), np.exp(d.entropy().numpy()))
    assert repr(D.Bernoulli(0.3)) == "Bernoulli(probs: 0.30000001192092896)"
    assert repr(D.Categorical(dpt.ones(3))) == "Categorical(probs: dpt.Size([3]))"
    b = D.Bernoulli(logits=dpt.tensor([0.0, 2.0]))
    assert_close(b.probs, 1 / (1 + np.exp(-np.array([0.0, 2.0]))), rtol=1e-6)
    assert_close(D.Bernoulli(dpt.tensor([0.2, 0.7])).mode, [0.0, 1.0])
    assert_close(D.Binomial(10, dpt.tensor([0.3])).mode, [3.0])
    assert_close(D.Gamma(3.0, 2.0).mode, 1.0)
    with pytest.raises(NotImplementedError, match="does not implement mode"):
        D.Distribution(validate_args=False).mode
    with pytest.raises(NotImplementedError):
        D.StudentT(3.0).cdf(dpt.tensor(0.0))
    # StudentT's undefined moments, as torch
    st = D.StudentT(dpt.tensor([0.5, 1.5, 3.0]))
    assert np.isnan(st.mean.numpy()[0]) and st.mean.numpy()[2] == 0
    assert np.isnan(st.variance.numpy()[0]) and np.isinf(st.variance.numpy()[1])
    assert_close(st.variance[2], 3.0)


# ---- the tutorial lines (torch-source-walkthrough.txt, section 18) --------------------------
def test_tutorial_distribution_lines():
    torch = dpt
    b = torch.distributions.bernoulli.Bernoulli(0.5)
    s = b.sample([10, 10])
    assert s.shape == (10, 10) and set(np.unique(s.numpy())) <= {0.0, 1.0}
    assert b.mean.item() == 0.5 and b.variance.item() == 0.25
    assert f"{b.entropy()}" == "0.6931471824645996" and str(b.entropy()) == "tensor(0.6931)"
    b = torch.distributions.beta.Beta(0.2, 0.4)
    b = torch.distributions.Beta(4, 0.4)
    s = b.sample([2, 3])
    assert s.shape == (2, 3) and bool(((s > 0) & (s < 1)).all())
    b = torch.distributions.Binomial(2, 0.5)
    assert b.sample().shape == () and b.sample().item() in (0.0, 1.0, 2.0)
    assert str(b.mean) == "tensor(1.)"
    b = torch.distributions.Binomial(torch.tensor([100]), torch.tensor([0.2, 0.4]))
    s = b.sample()
    assert s.shape == (2,) and s.dtype == dpt.float32 and 5 < s[0].item() < 35 and 20 < s[1].item() < 60
    c = torch.distributions.Cauchy(0, 1)
    assert c.sample().shape == ()
    assert str(c.entropy()) == "tensor(2.5310)"
    c = torch.distributions.Chi2(4)
    assert str(c.mean) == "tensor(4.)" and str(c.variance) == "tensor(8.)"
    d = torch.distributions.Dirichlet(torch.tensor([0.5, 0.5]))
    s = d.sample()
    assert s.shape == (2,) and abs(s.sum().item() - 1) < 1e-6
    e = torch.distributions.Exponential(2)
    assert e.sample().item() >= 0
    g = torch.distributions.geometric.Geometric(0.5)
    assert g.sample().item() in range(100)
    p = torch.distributions.Poisson(5)
    assert p.sample().item() in range(100) and str(p.mean) == "tensor(5.)"
    u = torch.distributions.Uniform(0, 100)
    assert 0 <= u.sample().item() < 100 and str(u.entropy()) == "tensor(4.6052)"
    n = torch.distributions.Normal(10, 1)
    assert n.sample().shape == () and 5 < n.sample().item() < 15
