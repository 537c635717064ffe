"""kl_divergence against independent references: numerical integration / sums with scipy."""
import numpy as np
import pytest
from scipy import integrate, stats

import dpt
import dpt.distributions as D
from tests.helpers import assert_close


def t64(x):
    return dpt.tensor(np.asarray(x, dtype=np.float64))


def quad_kl(p, q, lo, hi):
    def integrand(x):
        lp = p.logpdf(x)
        return 0.0 if lp == -np.inf else np.exp(lp) * (lp - q.logpdf(x))

    return integrate.quad(integrand, lo, hi, limit=200)[0]


CONTINUOUS = [
    (D.Normal(t64(0.3), t64(1.2)), D.Normal(t64(-0.5), t64(0.7)),
     stats.norm(0.3, 1.2), stats.norm(-0.5, 0.7), -np.inf, np.inf),
    (D.Laplace(t64(0.3), t64(1.2)), D.Laplace(t64(-0.5), t64(0.7)),
     stats.laplace(0.3, 1.2), stats.laplace(-0.5, 0.7), -60, 60),
    (D.Exponential(t64(2.0)), D.Exponential(t64(0.5)),
     stats.expon(scale=0.5), stats.expon(scale=2.0), 0, np.inf),
    (D.Gamma(t64(2.0), t64(3.0)), D.Gamma(t64(1.5), t64(1.0)),
     stats.gamma(2.0, scale=1 / 3), stats.gamma(1.5, scale=1.0), 0, np.inf),
    (D.Beta(t64(2.0), t64(3.0)), D.Beta(t64(1.5), t64(0.8)),
     stats.beta(2.0, 3.0), stats.beta(1.5, 0.8), 0, 1),
    (D.Uniform(t64(0.0), t64(1.0)), D.Uniform(t64(-1.0), t64(2.0)),
     stats.uniform(0, 1), stats.uniform(-1, 3), 0, 1),
    (D.LogNormal(t64(0.2), t64(0.5)), D.LogNormal(t64(0.0), t64(1.0)),
     stats.lognorm(0.5, scale=np.exp(0.2)), stats.lognorm(1.0), 0, np.inf),
    (D.HalfNormal(t64(1.0)), D.HalfNormal(t64(2.0)), stats.halfnorm(scale=1.0),
     stats.halfnorm(scale=2.0), 0, np.inf),
    (D.Gumbel(t64(0.5), t64(1.0)), D.Gumbel(t64(0.0), t64(2.0)),
     stats.gumbel_r(0.5, 1.0), stats.gumbel_r(0.0, 2.0), -10, 60),
    (D.Uniform(t64(0.0), t64(1.0)), D.Normal(t64(0.2), t64(1.5)),
     stats.uniform(0, 1), stats.norm(0.2, 1.5), 0, 1),
    (D.Exponential(t64(2.0)), D.Gamma(t64(1.5), t64(1.0)),
     stats.expon(scale=0.5), stats.gamma(1.5), 0, np.inf),
]


@pytest.mark.parametrize("case", CONTINUOUS, ids=lambda c: type(c).__name__ if isinstance(c, D.Distribution) else "")
def test_continuous_kl_against_quadrature(case):
    p, q, sp, sq, lo, hi = case
    assert_close(D.kl_divergence(p, q), quad_kl(sp, sq, lo, hi), rtol=1e-6, atol=1e-8)


def test_discrete_kl_against_sums():
    k = np.arange(0, 200)
    for p, q, sp, sq in [
        (D.Poisson(t64(3.0)), D.Poisson(t64(5.0)), stats.poisson(3.0), stats.poisson(5.0)),
        (D.Geometric(t64(0.3)), D.Geometric(t64(0.6)), stats.geom(0.3, loc=-1), stats.geom(0.6, loc=-1)),
        (D.Bernoulli(t64(0.3)), D.Bernoulli(t64(0.8)), stats.bernoulli(0.3), stats.bernoulli(0.8)),
        (D.Binomial(6, t64(0.3)), D.Binomial(6, t64(0.6)), stats.binom(6, 0.3), stats.binom(6, 0.6)),
    ]:
        pk = sp.pmf(k)
        mask = pk > 0
        ref = (pk[mask] * (sp.logpmf(k[mask]) - sq.logpmf(k[mask]))).sum()
        assert_close(D.kl_divergence(p, q), ref, rtol=1e-8, atol=1e-12)


def test_categorical_dirichlet_mvn_independent_kl():
    p = np.array([[0.2, 0.5, 0.3], [0.1, 0.0, 0.9]])
    q = np.array([[0.3, 0.3, 0.4], [0.5, 0.25, 0.25]])
    ref = [(p[0] * np.log(p[0] / q[0])).sum(), 0.1 * np.log(0.1 / 0.5) + 0.9 * np.log(0.9 / 0.25)]
    assert_close(D.kl_divergence(D.Categorical(t64(p)), D.Categorical(t64(q))), ref, rtol=1e-10)
    assert_close(D.kl_divergence(D.OneHotCategorical(t64(p)), D.OneHotCategorical(t64(q))), ref,
                 rtol=1e-10)
    # q puts no mass where p does: infinite
    kl = D.kl_divergence(D.Categorical(t64([0.5, 0.5])), D.Categorical(t64([1.0, 0.0])))
    assert kl.item() == np.inf

    # Dirichlet: Monte Carlo with scipy densities
    a, b = np.array([1.5, 2.0, 3.0]), np.array([1.0, 1.0, 2.5])
    xs = stats.dirichlet(a).rvs(200000, random_state=0)
    mc = (stats.dirichlet(a).logpdf(xs.T) - stats.dirichlet(b).logpdf(xs.T)).mean()
    assert_close(D.kl_divergence(D.Dirichlet(t64(a)), D.Dirichlet(t64(b))), mc, rtol=0.02)

    # MVN: the closed form written independently with numpy
    m1, m2 = np.array([0.0, 1.0]), np.array([0.5, -1.0])
    s1 = np.array([[2.0, 0.3], [0.3, 1.0]])
    s2 = np.array([[1.0, -0.2], [-0.2, 0.5]])
    s2i = np.linalg.inv(s2)
    ref = 0.5 * (np.trace(s2i @ s1) + (m2 - m1) @ s2i @ (m2 - m1) - 2
                 + np.log(np.linalg.det(s2) / np.linalg.det(s1)))
    mp = D.MultivariateNormal(t64(m1), covariance_matrix=t64(s1))
    mq = D.MultivariateNormal(t64(m2), covariance_matrix=t64(s2))
    assert_close(D.kl_divergence(mp, mq), ref, rtol=1e-10)
    # a batch of p against one q broadcasts
    mpb = D.MultivariateNormal(t64([m1, m1]), covariance_matrix=t64(s1))
    assert_close(D.kl_divergence(mpb, mq), [ref, ref], rtol=1e-10)

    # Independent sums the base KL over the reinterpreted dims
    n1 = D.Normal(t64([0.0, 1.0]), t64([1.0, 2.0]))
    n2 = D.Normal(t64([0.5, 0.0]), t64([1.5, 1.0]))
    assert_close(D.kl_divergence(D.Independent(n1, 1), D.Independent(n2, 1)),
                 D.kl_divergence(n1, n2).sum().item(), rtol=1e-12)


def test_kl_gradient_and_errors():
    loc = dpt.tensor(0.3, dtype=dpt.float64, requires_grad=True)
    scale = dpt.tensor(1.2, dtype=dpt.float64, requires_grad=True)
    assert dpt.autograd.gradcheck(
        lambda l, s: D.kl_divergence(D.Normal(l, s), D.Normal(t64(0.0), t64(1.0))), (loc, scale))
    # (Normal, Poisson) now reaches torch's exponential-family rule, which refuses cross pairs
    with pytest.raises(NotImplementedError, match="No KL\\(p \\|\\| q\\) is implemented for p "
                                                  "type Cauchy and q type Poisson"):
        D.kl_divergence(D.Cauchy(0.0, 1.0), D.Poisson(1.0))
    with pytest.raises(TypeError, match="Expected type_p to be a Distribution subclass"):
        D.register_kl(int, D.Normal)


def test_register_kl_picks_the_most_specific():
    class MyNormal(D.Normal):
        pass

    # a subclass uses the parent's registration until it gets its own
    assert_close(D.kl_divergence(MyNormal(0.0, 1.0), D.Normal(0.0, 1.0)), 0.0)

    @D.register_kl(MyNormal, D.Normal)
    def _kl(p, q):
        return dpt.tensor(42.0)

    assert D.kl_divergence(MyNormal(0.0, 1.0), D.Normal(0.0, 1.0)).item() == 42.0
    assert D.kl_divergence(D.Normal(0.0, 1.0), D.Normal(0.0, 1.0)).item() == 0.0
