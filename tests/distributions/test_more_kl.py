"""Every KL pair torch registers, against torch on batched random parameters, plus gradchecks
of a few of the mixed pairs."""
import zlib

import numpy as np
import pytest

import dpt
import dpt.distributions as D

torch = pytest.importorskip("torch")
TD = torch.distributions
from torch.distributions.kl import _KL_REGISTRY as _TORCH_KL  # noqa: E402


def _params(name, rng):
    """Constructor arguments (numpy, batch of 3) for a distribution class name."""
    pos = lambda lo=0.5, hi=3.0: rng.uniform(lo, hi, 3)  # noqa: E731
    real = lambda: rng.normal(size=3)  # noqa: E731
    unit = lambda: rng.uniform(0.1, 0.9, 3)  # noqa: E731
    k = rng.dirichlet(np.ones(4), size=3)
    low = rng.uniform(-0.1, 0.5, 3)
    table = {
        "Bernoulli": {"probs": unit()}, "Beta": {"concentration1": pos(), "concentration0": pos()},
        "Binomial": {"total_count": np.full(3, 5.0), "probs": unit()},
        "Categorical": {"probs": k}, "Cauchy": {"loc": real(), "scale": pos()},
        "ContinuousBernoulli": {"probs": unit()}, "Dirichlet": {"concentration": pos()[:, None] * k + 0.5},
        "Exponential": {"rate": pos()}, "Gamma": {"concentration": pos(), "rate": pos()},
        "Geometric": {"probs": unit()}, "Gumbel": {"loc": real(), "scale": pos()},
        "HalfNormal": {"scale": pos()}, "Laplace": {"loc": real(), "scale": pos()},
        "LogNormal": {"loc": real(), "scale": pos()}, "Normal": {"loc": real(), "scale": pos()},
        "OneHotCategorical": {"probs": k}, "Pareto": {"scale": pos(), "alpha": pos(2.5, 4.0)},
        "Poisson": {"rate": pos()}, "Uniform": {"low": low, "high": low + rng.uniform(0.1, 0.6, 3)},
        "LowRankMultivariateNormal": {"loc": rng.normal(size=(3, 4)),
                                      "cov_factor": rng.normal(size=(4, 2)),
                                      "cov_diag": rng.uniform(0.5, 2.0, 4)},
        "MultivariateNormal": {"loc": rng.normal(size=(3, 4)),
                               "scale_tril": np.tril(rng.normal(size=(4, 4)), -1)
                               + np.diag(rng.uniform(0.5, 2.0, 4))},
    }
    return table.get(name)


def _pairs():
    for (tp, tq) in _TORCH_KL:
        if tp.__name__ in ("Independent", "TransformedDistribution") or \
                tq.__name__ in ("Independent", "TransformedDistribution", "ExponentialFamily"):
            continue
        if tp.__name__ == "ExponentialFamily":
            continue
        yield tp.__name__, tq.__name__


@pytest.mark.parametrize("pname,qname", sorted(set(_pairs())), ids=lambda n: n)
def test_registered_pair_matches_torch(pname, qname):
    rng = np.random.default_rng(zlib.crc32(f"{pname}-{qname}".encode()))
    pp, qp = _params(pname, rng), _params(qname, rng)
    if pp is None or qp is None:
        pytest.skip(f"no parameter table for {pname} or {qname}")
    p = getattr(D, pname)(**{k: dpt.tensor(v) for k, v in pp.items()})
    q = getattr(D, qname)(**{k: dpt.tensor(v) for k, v in qp.items()})
    tp = getattr(TD, pname)(**{k: torch.tensor(v) for k, v in pp.items()})
    tq = getattr(TD, qname)(**{k: torch.tensor(v) for k, v in qp.items()})
    np.testing.assert_allclose(D.kl_divergence(p, q).numpy(),
                               TD.kl_divergence(tp, tq).detach().numpy(), rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("pname,qname", [("Gamma", "Normal"), ("Normal", "Laplace"),
                                         ("Uniform", "Beta"), ("Beta", "Gamma"),
                                         ("Gamma", "Gumbel"), ("Normal", "Gumbel")])
def test_mixed_pair_gradcheck(pname, qname):
    rng = np.random.default_rng(3)
    pp, qp = _params(pname, rng), _params(qname, rng)
    keys = list(pp)
    q = getattr(D, qname)(**{k: dpt.tensor(v) for k, v in qp.items()})

    def kl(*args):
        return D.kl_divergence(getattr(D, pname)(**dict(zip(keys, args))), q)

    assert dpt.autograd.gradcheck(kl, tuple(dpt.tensor(pp[k], requires_grad=True) for k in keys))
