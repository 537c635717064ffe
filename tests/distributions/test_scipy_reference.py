"""Every distribution's log_prob, cdf, icdf, entropy, mean, variance against scipy.stats."""
import math

import numpy as np
import pytest
from scipy import stats

import dpt
import dpt.distributions as D
from tests.helpers import assert_close


def t64(x):
    return dpt.tensor(np.asarray(x, dtype=np.float64))


# name -> (dpt distribution, scipy frozen distribution, points inside the support)
CASES = {
    "Normal": (lambda: D.Normal(t64([0.5, -1.0]), t64([2.0, 0.3])),
               stats.norm(loc=[0.5, -1.0], scale=[2.0, 0.3]), [[0.1, -1.2], [3.0, -0.5]]),
    "Uniform": (lambda: D.Uniform(t64([0.0, -2.0]), t64([1.0, 3.0])),
                stats.uniform(loc=[0.0, -2.0], scale=[1.0, 5.0]), [[0.2, -1.0], [0.9, 2.5]]),
    "Cauchy": (lambda: D.Cauchy(t64([0.0, 1.0]), t64([1.0, 2.5])),
               stats.cauchy(loc=[0.0, 1.0], scale=[1.0, 2.5]), [[0.3, -4.0], [-2.0, 7.0]]),
    "Laplace": (lambda: D.Laplace(t64([0.0, 1.0]), t64([1.0, 0.5])),
                stats.laplace(loc=[0.0, 1.0], scale=[1.0, 0.5]), [[0.3, -4.0], [-2.0, 1.5]]),
    "Exponential": (lambda: D.Exponential(t64([0.5, 3.0])),
                    stats.expon(scale=[2.0, 1 / 3.0]), [[0.3, 0.1], [4.0, 1.5]]),
    "Gamma": (lambda: D.Gamma(t64([0.7, 3.0]), t64([2.0, 0.5])),
              stats.gamma(a=[0.7, 3.0], scale=[0.5, 2.0]), [[0.3, 1.0], [2.0, 9.0]]),
    "Chi2": (lambda: D.Chi2(t64([3.0, 7.5])), stats.chi2(df=[3.0, 7.5]), [[0.5, 4.0], [6.0, 12.0]]),
    "Beta": (lambda: D.Beta(t64([0.5, 3.0]), t64([2.0, 1.5])),
             stats.beta(a=[0.5, 3.0], b=[2.0, 1.5]), [[0.1, 0.6], [0.7, 0.95]]),
    "StudentT": (lambda: D.StudentT(t64([3.0, 10.0]), t64([0.5, -1.0]), t64([2.0, 0.7])),
                 stats.t(df=[3.0, 10.0], loc=[0.5, -1.0], scale=[2.0, 0.7]), [[0.1, -1.5], [6.0, 0.0]]),
    "Gumbel": (lambda: D.Gumbel(t64([0.0, 2.0]), t64([1.0, 3.0])),
               stats.gumbel_r(loc=[0.0, 2.0], scale=[1.0, 3.0]), [[0.3, -1.0], [2.0, 9.0]]),
    "HalfNormal": (lambda: D.HalfNormal(t64([1.0, 2.5])), stats.halfnorm(scale=[1.0, 2.5]),
                   [[0.3, 1.0], [2.0, 6.0]]),
    "LogNormal": (lambda: D.LogNormal(t64([0.0, 0.5]), t64([1.0, 0.25])),
                  stats.lognorm(s=[1.0, 0.25], scale=np.exp([0.0, 0.5])), [[0.3, 1.0], [2.0, 2.5]]),
    "Bernoulli": (lambda: D.Bernoulli(t64([0.3, 0.9])), stats.bernoulli(p=[0.3, 0.9]),
                  [[0.0, 1.0], [1.0, 0.0]]),
    "BernoulliLogits": (lambda: D.Bernoulli(logits=t64([-0.8, 2.0])),
                        stats.bernoulli(p=1 / (1 + np.exp([0.8, -2.0]))), [[0.0, 1.0], [1.0, 0.0]]),
    "Binomial": (lambda: D.Binomial(t64([10.0, 10.0]), t64([0.3, 0.75])),
                 stats.binom(n=[10, 10], p=[0.3, 0.75]), [[0.0, 3.0], [7.0, 10.0]]),
    "Geometric": (lambda: D.Geometric(t64([0.3, 0.8])), stats.geom(p=[0.3, 0.8], loc=-1),
                  [[0.0, 3.0], [7.0, 1.0]]),
    "Poisson": (lambda: D.Poisson(t64([0.5, 4.0])), stats.poisson(mu=[0.5, 4.0]),
                [[0.0, 3.0], [2.0, 9.0]]),
}
DISCRETE = {"Bernoulli", "BernoulliLogits", "Binomial", "Geometric", "Poisson"}
NO_ENTROPY = {"Poisson"}  # torch does not define it either
CDF = {"Normal", "Uniform", "Cauchy", "Laplace", "Exponential", "Gamma", "Chi2", "Gumbel",
       "HalfNormal", "LogNormal"}
ICDF = {"Normal", "Uniform", "Cauchy", "Laplace", "Exponential", "Gumbel", "HalfNormal",
        "LogNormal"}


@pytest.mark.parametrize("name", sorted(CASES))
def test_log_prob(name):
    make, ref, points = CASES[name]
    d = make()
    x = np.array(points)
    expected = ref.logpmf(x) if name in DISCRETE else ref.logpdf(x)
    out = d.log_prob(t64(x))
    assert out.dtype == dpt.float64 and out.shape == (2, 2)
    assert_close(out, expected, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("name", sorted(CASES))
def test_moments_and_entropy(name):
    make, ref, _ = CASES[name]
    d = make()
    if name == "Cauchy":  # no moments: torch reports mean nan and variance inf
        assert bool(dpt.isnan(d.mean).all()) and bool(dpt.isinf(d.variance).all())
    else:
        assert_close(d.mean, ref.mean(), rtol=1e-9, atol=1e-12)
        assert_close(d.variance, ref.var(), rtol=1e-9, atol=1e-12)
        assert_close(d.stddev, ref.std(), rtol=1e-9, atol=1e-12)
    if name not in NO_ENTROPY:
        assert_close(d.entropy(), ref.entropy(), rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("name", sorted(CDF))
def test_cdf(name):
    make, ref, points = CASES[name]
    x = np.array(points)
    assert_close(make().cdf(t64(x)), ref.cdf(x), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", sorted(ICDF))
def test_icdf(name):
    make, ref, _ = CASES[name]
    q = np.array([[0.1, 0.5], [0.75, 0.99]])
    assert_close(make().icdf(t64(q)), ref.ppf(q), rtol=1e-8, atol=1e-10)


def test_categorical_and_one_hot_against_numpy():
    p = np.array([[0.2, 0.5, 0.3], [0.6, 0.1, 0.3]])
    d = D.Categorical(probs=t64(p * 4))  # normalised internally
    assert_close(d.probs, p, rtol=1e-12)
    assert_close(d.log_prob(dpt.tensor([[2, 0], [1, 1]])), np.log([[p[0, 2], p[1, 0]],
                                                                  [p[0, 1], p[1, 1]]]))
    assert_close(d.entropy(), -(p * np.log(p)).sum(-1), rtol=1e-12)
    assert_close(d.mode, [1, 0])
    assert bool(dpt.isnan(d.mean).all())
    logits = np.log(p) + 3.0
    dl = D.Categorical(logits=t64(logits))
    assert_close(dl.probs, p, rtol=1e-12)
    oh = D.OneHotCategorical(t64(p))
    v = np.array([[0.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    assert_close(oh.log_prob(t64(v)), np.log([p[0, 2], p[1, 1]]))
    assert_close(oh.mean, p)
    assert_close(oh.variance, p * (1 - p))
    assert_close(oh.mode, [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    assert_close(oh.entropy(), -(p * np.log(p)).sum(-1), rtol=1e-12)


def test_multinomial_against_scipy():
    p = np.array([0.2, 0.5, 0.3])
    d = D.Multinomial(6, t64(p))
    x = np.array([[1.0, 3.0, 2.0], [0.0, 6.0, 0.0]])
    ref = stats.multinomial(6, p)
    assert_close(d.log_prob(t64(x)), ref.logpmf(x), rtol=1e-10)
    assert_close(d.mean, 6 * p)
    assert_close(d.variance, 6 * p * (1 - p))
    assert_close(d.entropy(), ref.entropy(), rtol=1e-9)


def test_dirichlet_against_scipy():
    a = np.array([0.7, 2.0, 3.5])
    d = D.Dirichlet(t64(a))
    x = np.array([0.2, 0.3, 0.5])
    ref = stats.dirichlet(a)
    assert_close(d.log_prob(t64(x)), ref.logpdf(x), rtol=1e-10)
    assert_close(d.mean, ref.mean(), rtol=1e-12)
    assert_close(d.variance, ref.var(), rtol=1e-12)
    assert_close(d.entropy(), ref.entropy(), rtol=1e-9)
    assert_close(D.Dirichlet(t64([2.0, 3.0, 5.0])).mode, np.array([1.0, 2.0, 4.0]) / 7)


def test_multivariate_normal_against_scipy():
    mean = np.array([0.5, -1.0, 2.0])
    a = np.array([[2.0, 0.3, 0.1], [0.3, 1.0, -0.2], [0.1, -0.2, 0.5]])
    x = np.array([[0.0, 0.0, 0.0], [1.0, -2.0, 2.5]])
    ref = stats.multivariate_normal(mean, a)
    for kw in ({"covariance_matrix": t64(a)}, {"precision_matrix": t64(np.linalg.inv(a))},
               {"scale_tril": t64(np.linalg.cholesky(a))}):
        d = D.MultivariateNormal(t64(mean), **kw)
        assert d.batch_shape == () and d.event_shape == (3,)
        assert_close(d.log_prob(t64(x)), ref.logpdf(x), rtol=1e-10)
        assert_close(d.entropy(), ref.entropy(), rtol=1e-10)
        assert_close(d.covariance_matrix, a, rtol=1e-10, atol=1e-12)
        assert_close(d.precision_matrix, np.linalg.inv(a), rtol=1e-9, atol=1e-10)
        assert_close(d.scale_tril, np.linalg.cholesky(a), rtol=1e-10, atol=1e-12)
        assert_close(d.variance, np.diag(a), rtol=1e-10)
        assert_close(d.mean, mean)
        assert_close(d.mode, mean)


def test_multivariate_normal_batched():
    rng = np.random.default_rng(0)
    m = rng.standard_normal((4, 3, 3))
    covs = m @ m.transpose(0, 2, 1) + 3 * np.eye(3)
    locs = rng.standard_normal((2, 1, 3))  # broadcasts with the 4 covariances
    d = D.MultivariateNormal(t64(locs), covariance_matrix=t64(covs))
    assert d.batch_shape == (2, 4) and d.event_shape == (3,)
    x = rng.standard_normal((5, 2, 4, 3))
    out = d.log_prob(t64(x))
    assert out.shape == (5, 2, 4)
    for i in range(2):
        for j in range(4):
            ref = stats.multivariate_normal(locs[i, 0], covs[j])
            assert_close(out[:, i, j], ref.logpdf(x[:, i, j]), rtol=1e-9)
    assert d.sample((7,)).shape == (7, 2, 4, 3)
    assert d.entropy().shape == (2, 4)


def test_gamma_cdf_gradient_in_value():
    d = D.Gamma(t64(2.5), t64(1.5))
    x = dpt.tensor(1.2, dtype=dpt.float64, requires_grad=True)
    d.cdf(x).backward()
    assert_close(x.grad, stats.gamma(a=2.5, scale=1 / 1.5).pdf(1.2), rtol=1e-9)
    c = dpt.tensor(2.5, dtype=dpt.float64, requires_grad=True)
    with pytest.raises(RuntimeError, match="not implemented"):
        D.Gamma(c, t64(1.0)).cdf(t64(1.0)).backward()


def test_float32_defaults():
    d = D.Normal(0.0, 1.0)
    assert d.loc.dtype == dpt.float32 and d.batch_shape == ()
    assert d.log_prob(dpt.tensor(0.5)).dtype == dpt.float32
    assert math.isclose(d.log_prob(dpt.tensor(0.5)).item(), stats.norm.logpdf(0.5), rel_tol=1e-6)
