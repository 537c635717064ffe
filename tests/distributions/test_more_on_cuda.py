"""The dist-new distributions and transforms on 'cuda' against the CPU (marked ``cuda``: the
strict CuPy stand-in with DPT_CUDA_STANDIN=1, a real GPU where one is present)."""
import numpy as np
import pytest

import dpt
import dpt.distributions as D
from dpt.distributions import constraints as C
from dpt.distributions import transforms as T

pytestmark = pytest.mark.cuda


def host(x):
    return x.detach().cpu().numpy()


def f(values, device):
    return dpt.tensor(np.asarray(values, dtype=np.float64), device=device)


MAKERS = {
    "Pareto": lambda d: D.Pareto(f([1.0, 2.0], d), f([2.5, 3.0], d)),
    "Weibull": lambda d: D.Weibull(f([1.0, 2.0], d), f([0.7, 3.0], d)),
    "HalfCauchy": lambda d: D.HalfCauchy(f([1.0, 2.0], d)),
    "InverseGamma": lambda d: D.InverseGamma(f([2.0, 3.0], d), f([1.0, 2.0], d)),
    "VonMises": lambda d: D.VonMises(f([0.0, 1.0], d), f([0.5, 4.0], d)),
    "NegativeBinomial": lambda d: D.NegativeBinomial(f([2.0, 5.0], d), f([0.3, 0.6], d)),
    "Kumaraswamy": lambda d: D.Kumaraswamy(f([1.5, 2.0], d), f([2.0, 0.8], d)),
    "LogisticNormal": lambda d: D.LogisticNormal(f([0.0, 1.0], d), f([1.0, 0.5], d)),
    "GeneralizedPareto": lambda d: D.GeneralizedPareto(f([0.0, 1.0], d), f([1.0, 2.0], d),
                                                       f([0.2, -0.1], d)),
    "ContinuousBernoulli": lambda d: D.ContinuousBernoulli(f([0.2, 0.7], d)),
    "FisherSnedecor": lambda d: D.FisherSnedecor(f([3.0, 5.0], d), f([4.0, 6.0], d)),
    "LowRankMultivariateNormal": lambda d: D.LowRankMultivariateNormal(
        f([0.0, 1.0, 2.0], d), f([[1.0], [0.5], [-1.0]], d), f([1.0, 2.0, 0.5], d)),
    "MixtureSameFamily": lambda d: D.MixtureSameFamily(
        D.Categorical(logits=f([0.1, -0.3], d)), D.Normal(f([-1.0, 1.0], d), f([1.0, 0.5], d))),
    "Wishart": lambda d: D.Wishart(f(4.0, d), covariance_matrix=f([[2.0, 0.3], [0.3, 1.0]], d)),
    "LKJCholesky": lambda d: D.LKJCholesky(3, f(1.5, d)),
}


@pytest.mark.parametrize("name", sorted(MAKERS))
def test_sample_and_log_prob_on_device(name):
    gpu, cpu = MAKERS[name]("cuda"), MAKERS[name]("cpu")
    s = gpu.sample((4,))
    assert s.device == dpt.device("cuda:0")
    lp = gpu.log_prob(s)
    assert lp.device == dpt.device("cuda:0")
    np.testing.assert_allclose(host(lp), host(cpu.log_prob(s.cpu())), rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("t", [T.StickBreakingTransform(), T.CorrCholeskyTransform(),
                               T.SoftplusTransform(), D.biject_to(C.interval(-1.0, 2.0))],
                         ids=lambda t: type(t).__name__)
def test_transforms_on_device(t):
    x = np.random.default_rng(0).normal(size=(2, 3))
    y = t(f(x, "cuda"))
    assert y.device == dpt.device("cuda:0")
    np.testing.assert_allclose(host(y), host(t(f(x, "cpu"))), rtol=1e-10)
    np.testing.assert_allclose(host(t.inv(y)), x, rtol=1e-7, atol=1e-8)
