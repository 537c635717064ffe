"""Sampling: shapes, reproducibility, moments of large samples, reparameterised gradients."""

import numpy as np
import pytest

import dpt
import dpt.distributions as D
from tests.helpers import assert_close


def t64(x):
    return dpt.tensor(np.asarray(x, dtype=np.float64))


N = 40000
# name -> distribution with batch shape (2,); moments from its own mean/variance (checked
# against scipy in test_scipy_reference)
MAKERS = {
    "Normal": lambda: D.Normal(t64([0.5, -1.0]), t64([2.0, 0.3])),
    "Uniform": lambda: D.Uniform(t64([0.0, -2.0]), t64([1.0, 3.0])),
    "Laplace": lambda: D.Laplace(t64([0.0, 1.0]), t64([1.0, 0.5])),
    "Exponential": lambda: D.Exponential(t64([0.5, 3.0])),
    "Gamma": lambda: D.Gamma(t64([0.7, 3.0]), t64([2.0, 0.5])),
    "Chi2": lambda: D.Chi2(t64([3.0, 7.5])),
    "Beta": lambda: D.Beta(t64([0.5, 3.0]), t64([2.0, 1.5])),
    "StudentT": lambda: D.StudentT(t64([5.0, 10.0]), t64([0.5, -1.0]), t64([2.0, 0.7])),
    "Gumbel": lambda: D.Gumbel(t64([0.0, 2.0]), t64([1.0, 3.0])),
    "HalfNormal": lambda: D.HalfNormal(t64([1.0, 2.5])),
    "LogNormal": lambda: D.LogNormal(t64([0.0, 0.5]), t64([0.5, 0.25])),
    "Bernoulli": lambda: D.Bernoulli(t64([0.3, 0.9])),
    "Binomial": lambda: D.Binomial(t64([10.0, 4.0]), t64([0.3, 0.75])),
    "Geometric": lambda: D.Geometric(t64([0.3, 0.8])),
    "Poisson": lambda: D.Poisson(t64([0.5, 4.0])),
    "Dirichlet": lambda: D.Dirichlet(t64([[0.7, 2.0, 3.5], [1.0, 1.0, 1.0]])),
    "Multinomial": lambda: D.Multinomial(5, t64([[0.2, 0.5, 0.3], [0.1, 0.1, 0.8]])),
    "OneHotCategorical": lambda: D.OneHotCategorical(t64([[0.2, 0.5, 0.3], [0.1, 0.1, 0.8]])),
    "MultivariateNormal": lambda: D.MultivariateNormal(
        t64([[0.0, 1.0], [2.0, -1.0]]), covariance_matrix=t64([[2.0, 0.5], [0.5, 1.0]])),
}


@pytest.mark.parametrize("name", sorted(MAKERS))
def test_sample_moments_shapes_and_support(name):
    dpt.manual_seed(1)
    d = MAKERS[name]()
    x = d.sample((N,))
    assert x.shape == (N,) + tuple(d.batch_shape) + tuple(d.event_shape)
    assert x.dtype == dpt.float64
    assert not x.requires_grad
    assert bool(d.support.check(x).all())
    xs = x.numpy()
    mean, var = d.mean.numpy(), d.variance.numpy()
    # 6 standard errors of the sample mean; the variance within 10%
    np.testing.assert_allclose(xs.mean(0), mean, atol=6 * np.sqrt(var.max() / N) + 1e-12)
    np.testing.assert_allclose(xs.var(0), var, rtol=0.1, atol=1e-3)


def test_cauchy_sample_quartiles():
    dpt.manual_seed(0)
    x = D.Cauchy(t64(1.0), t64(2.0)).sample((N,)).numpy()
    np.testing.assert_allclose(np.percentile(x, [25, 50, 75]), [-1.0, 1.0, 3.0], atol=0.1)


def test_categorical_sample_frequencies():
    dpt.manual_seed(0)
    p = np.array([[0.2, 0.5, 0.3], [0.6, 0.1, 0.3]])
    x = D.Categorical(t64(p)).sample((N,))
    assert x.shape == (N, 2) and x.dtype == dpt.int64
    freq = np.stack([np.bincount(x.numpy()[:, i], minlength=3) / N for i in range(2)])
    np.testing.assert_allclose(freq, p, atol=0.015)


@pytest.mark.parametrize("shape", [(), (3,), [2, 3], dpt.Size([4])])
def test_sample_shape_forms(shape):
    d = D.Normal(dpt.zeros(2), dpt.ones(2))
    assert d.sample(shape).shape == tuple(shape) + (2,)
    assert d.rsample(shape).shape == tuple(shape) + (2,)
    scalar = D.Normal(0.0, 1.0)
    assert scalar.sample(shape).shape == tuple(shape)
    with pytest.warns(UserWarning, match="sample_n will be deprecated"):
        assert d.sample_n(5).shape == (5, 2)


def test_manual_seed_reproduces_every_sampler():
    def draw():
        dpt.manual_seed(123)
        return [MAKERS[k]().sample((3,)).numpy() for k in sorted(MAKERS)] + \
               [D.Categorical(t64([0.5, 0.5])).sample((4,)).numpy()]

    for a, b in zip(draw(), draw()):
        np.testing.assert_array_equal(a, b)


def test_expand():
    d = D.Normal(t64([0.0, 1.0]), t64([1.0, 2.0]))
    e = d.expand((3, 2))
    assert e.batch_shape == (3, 2) and e.sample().shape == (3, 2)
    assert_close(e.log_prob(t64(0.5)), np.broadcast_to(d.log_prob(t64(0.5)).numpy(), (3, 2)))
    for name, make in MAKERS.items():
        base = make()
        ex = base.expand((4,) + tuple(base.batch_shape))
        assert type(ex) is type(base), name
        assert ex.batch_shape == (4,) + tuple(base.batch_shape), name
        assert ex.sample().shape == (4,) + tuple(base.batch_shape) + tuple(base.event_shape), name
        assert_close(ex.mean, np.broadcast_to(base.mean.numpy(), ex.mean.shape), rtol=1e-12)


def test_enumerate_support():
    b = D.Bernoulli(t64([0.3, 0.6, 0.9]))
    assert_close(b.enumerate_support(), [[0.0] * 3, [1.0] * 3])
    assert b.enumerate_support(expand=False).shape == (2, 1)
    c = D.Categorical(t64([[0.2, 0.8, 0.0]]))
    assert c.enumerate_support().tolist() == [[0], [1], [2]]
    oh = D.OneHotCategorical(t64([0.2, 0.3, 0.5]))
    assert_close(oh.enumerate_support(), np.eye(3))
    bi = D.Binomial(3, t64([0.2, 0.4]))
    assert_close(bi.enumerate_support(), [[0.0, 0.0], [1.0, 1.0], [2.0, 2.0], [3.0, 3.0]])
    assert b.has_enumerate_support and not D.Normal(0.0, 1.0).has_enumerate_support


# ---- gradients -----------------------------------------------------------------------------
def test_normal_rsample_gradcheck():
    def f(loc, scale):
        dpt.manual_seed(7)
        return D.Normal(loc, scale).rsample((3,))

    loc = dpt.tensor([0.5, -1.0], dtype=dpt.float64, requires_grad=True)
    scale = dpt.tensor([1.5, 0.2], dtype=dpt.float64, requires_grad=True)
    assert dpt.autograd.gradcheck(f, (loc, scale))


@pytest.mark.parametrize("make", [
    lambda a, b: D.Uniform(a, a + b), lambda a, b: D.Laplace(a, b), lambda a, b: D.Cauchy(a, b),
    lambda a, b: D.Gumbel(a, b), lambda a, b: D.LogNormal(a, b), lambda a, b: D.Exponential(b),
    lambda a, b: D.HalfNormal(b)])
def test_rsample_gradcheck_location_scale(make):
    def f(a, b):
        dpt.manual_seed(3)
        return make(a, b).rsample((2,))

    a = dpt.tensor([0.5, -1.0], dtype=dpt.float64, requires_grad=True)
    b = dpt.tensor([1.5, 0.4], dtype=dpt.float64, requires_grad=True)
    assert dpt.autograd.gradcheck(f, (a, b))


def test_mvn_rsample_and_log_prob_gradcheck():
    loc = dpt.tensor([0.5, -1.0], dtype=dpt.float64, requires_grad=True)
    tril = dpt.tensor([[1.2, 0.0], [0.3, 0.8]], dtype=dpt.float64, requires_grad=True)
    cov = dpt.tensor([[2.0, 0.3], [0.3, 1.0]], dtype=dpt.float64, requires_grad=True)
    x = t64([[0.1, 0.2], [1.0, -2.0]])

    def f(loc, tril):
        dpt.manual_seed(5)
        return D.MultivariateNormal(loc, scale_tril=tril, validate_args=False).rsample((2,))

    assert dpt.autograd.gradcheck(f, (loc, tril))
    assert dpt.autograd.gradcheck(
        lambda loc, c: D.MultivariateNormal(loc, covariance_matrix=(c + c.T) / 2,
                                            validate_args=False).log_prob(x), (loc, cov))
    assert dpt.autograd.gradcheck(
        lambda loc, c: D.MultivariateNormal(loc, precision_matrix=(c + c.T) / 2,
                                            validate_args=False).log_prob(x), (loc, cov))


@pytest.mark.parametrize("make, value", [
    (lambda a, b: D.Gamma(a, b), [0.3, 2.0]),
    (lambda a, b: D.Beta(a, b), [0.3, 0.8]),
    (lambda a, b: D.StudentT(a, b), [0.3, -2.0]),
    (lambda a, b: D.Normal(a, b), [0.3, -2.0]),
    (lambda a, b: D.Binomial(5, logits=a - b), [1.0, 4.0]),
    (lambda a, b: D.Dirichlet(dpt.stack([a, b], -1)), [[0.3, 0.7], [0.6, 0.4]]),
])
def test_log_prob_gradcheck(make, value):
    a = dpt.tensor([0.7, 3.0], dtype=dpt.float64, requires_grad=True)
    b = dpt.tensor([1.5, 0.9], dtype=dpt.float64, requires_grad=True)
    assert dpt.autograd.gradcheck(lambda a, b: make(a, b).log_prob(t64(value)), (a, b))


def test_gamma_rsample_implicit_reparameterisation():
    # d/dc E[x] = d/dc (c / r) = 1 / r: the average pathwise gradient must match
    dpt.manual_seed(0)
    c = dpt.tensor([0.5, 2.0, 7.0], dtype=dpt.float64, requires_grad=True)
    r = dpt.tensor([1.0, 2.0, 0.5], dtype=dpt.float64, requires_grad=True)
    x = D.Gamma(c, r).rsample((20000,))
    x.mean(0).sum().backward()
    np.testing.assert_allclose(c.grad.numpy(), 1 / r.detach().numpy(), rtol=0.05)
    np.testing.assert_allclose(r.grad.numpy(), -(c / r ** 2).detach().numpy(), rtol=0.05)


def test_beta_dirichlet_rsample_gradients():
    dpt.manual_seed(0)
    a = dpt.tensor(2.0, dtype=dpt.float64, requires_grad=True)
    b = dpt.tensor(3.0, dtype=dpt.float64, requires_grad=True)
    D.Beta(a, b).rsample((20000,)).mean().backward()
    # E[x] = a / (a + b)
    np.testing.assert_allclose([a.grad.item(), b.grad.item()], [3 / 25, -2 / 25], rtol=0.08)
    conc = dpt.tensor([1.0, 2.0, 3.0], dtype=dpt.float64, requires_grad=True)
    x = D.Dirichlet(conc).rsample((20000,))
    x[:, 0].mean().backward()
    np.testing.assert_allclose(conc.grad.numpy(), [5 / 36, -1 / 36, -1 / 36], rtol=0.1, atol=2e-3)


def test_sample_is_detached_and_rsample_is_not():
    loc = dpt.tensor([0.0], requires_grad=True)
    d = D.Normal(loc, 1.0)
    assert not d.sample().requires_grad
    assert d.rsample().requires_grad
    assert D.Normal.has_rsample and not D.Poisson.has_rsample
    with pytest.raises(NotImplementedError):
        D.Poisson(1.0).rsample()
