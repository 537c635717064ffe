"""torch-source-walkthrough, section 18 (distributions): every example, torch -> dpt.

Samples are random, so they are checked for shape, dtype and support; means, variances and
entropies are deterministic and checked against the printed values.
"""
import math

import pytest

import dpt
from tests.helpers import assert_close

D = dpt.distributions


def test_bernoulli():
    b = D.bernoulli.Bernoulli(0.5)
    s = b.sample([10, 10])
    assert s.shape == (10, 10) and set(s.unique().tolist()) <= {0.0, 1.0}
    assert b.mean.item() == 0.5 and b.variance.item() == 0.25
    assert repr(b.entropy()) == "tensor(0.6931)"
    assert b.entropy().item() == pytest.approx(math.log(2), rel=1e-6)


def test_beta():
    b = D.beta.Beta(0.2, 0.4)
    assert b.mean.item() == pytest.approx(0.2 / 0.6, rel=1e-6)
    b = D.Beta(4, 0.4)
    s = b.sample([2, 3])
    assert s.shape == (2, 3) and s.dtype == dpt.float32
    assert bool(((s > 0) & (s < 1)).all())


def test_binomial():
    b = D.Binomial(2, 0.5)
    s = b.sample()
    assert s.shape == () and s.item() in (0.0, 1.0, 2.0)
    assert repr(b.mean) == "tensor(1.)"
    b = D.Binomial(dpt.tensor([100]), dpt.tensor([0.2, 0.4]))  # total_count broadcast
    s = b.sample()
    assert s.shape == (2,) and s.dtype == dpt.float32
    assert bool(((s >= 0) & (s <= 100)).all()) and dpt.equal(s, s.round())
    assert b.mean.tolist() == pytest.approx([20.0, 40.0])


def test_cauchy():
    c = D.Cauchy(0, 1)
    assert c.sample().shape == ()
    assert repr(c.entropy()) == "tensor(2.5310)"  # log(4 pi)


def test_chi2():
    c = D.Chi2(4)
    assert repr(c.mean) == "tensor(4.)"
    assert repr(c.variance) == "tensor(8.)"


def test_dirichlet():
    d = D.Dirichlet(dpt.tensor([0.5, 0.5]))
    s = d.sample()
    assert s.shape == (2,) and bool((s >= 0).all())
    assert s.sum().item() == pytest.approx(1.0, abs=1e-6)  # "一个类似概率的值"


def test_exponential():
    e = D.Exponential(2)
    s = e.sample()
    assert s.shape == () and s.item() >= 0
    assert e.mean.item() == 0.5


def test_geometric():
    g = D.geometric.Geometric(0.5)
    s = g.sample()
    assert s.shape == () and s.item() >= 0 and s.item() == int(s.item())
    assert g.mean.item() == 1.0  # failures before the first success: (1 - p) / p


def test_poisson():
    p = D.Poisson(5)
    s = p.sample()
    assert s.shape == () and s.item() >= 0 and s.item() == int(s.item())
    assert repr(p.mean) == "tensor(5.)"


def test_uniform():
    u = D.Uniform(0, 100)
    s = u.sample()
    assert 0 <= s.item() < 100
    assert repr(u.entropy()) == "tensor(4.6052)"  # log(100)


def test_normal():
    n = D.Normal(10, 1)
    s = n.sample()
    assert s.shape == () and s.dtype == dpt.float32
    # many draws centre on the mean with unit spread
    many = n.sample([4000])
    assert abs(many.mean().item() - 10) < 0.1 and abs(many.std().item() - 1) < 0.1


def test_bernoulli_methods_from_the_source_listing():
    # mean = p, variance = p (1 - p), log_prob = -BCE-with-logits, entropy, enumerate_support
    p = dpt.tensor([0.2, 0.7])
    b = D.Bernoulli(p)
    assert_close(b.mean, p)
    assert_close(b.variance, p * (1 - p))
    v = dpt.tensor([1.0, 0.0])
    assert_close(b.log_prob(v), dpt.log(dpt.tensor([0.2, 0.3])), rtol=1e-5)
    assert_close(b.entropy(), -(p * p.log() + (1 - p) * (1 - p).log()), rtol=1e-5)
    assert b.enumerate_support().tolist() == [[0.0, 0.0], [1.0, 1.0]]
    assert_close(D.Bernoulli(logits=b.logits).probs, p, rtol=1e-5)
    with pytest.raises(ValueError, match="Either `probs` or `logits` must be specified"):
        D.Bernoulli()
