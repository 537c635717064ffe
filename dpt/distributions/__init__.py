"""dpt.distributions: probability distributions, transforms and KL divergences.

Same API as torch.distributions. Samples are drawn from dpt's generators, so
``dpt.manual_seed`` makes them reproducible; ``rsample`` is reparameterised (gradients flow
to the parameters) for every distribution with ``has_rsample``; Gamma, Chi2, Beta, Dirichlet
and StudentT use implicit reparameterisation of their gamma draws.
"""
from . import constraints, transforms
from .bernoulli import Bernoulli
from .beta import Beta
from .binomial import Binomial
from .categorical import Categorical
from .cauchy import Cauchy
from .chi2 import Chi2
from .constraint_registry import biject_to, transform_to
from .continuous_bernoulli import ContinuousBernoulli
from .dirichlet import Dirichlet
from .distribution import Distribution
from .exp_family import ExponentialFamily
from .exponential import Exponential
from .fishersnedecor import FisherSnedecor
from .generalized_pareto import GeneralizedPareto
from .gamma import Gamma
from .geometric import Geometric
from .gumbel import Gumbel
from .half_cauchy import HalfCauchy
from .half_normal import HalfNormal
from .independent import Independent
from .inverse_gamma import InverseGamma
from .kumaraswamy import Kumaraswamy
from .kl import kl_divergence, register_kl
from .laplace import Laplace
from .lkj_cholesky import LKJCholesky
from .log_normal import LogNormal
from .logistic_normal import LogisticNormal
from .lowrank_multivariate_normal import LowRankMultivariateNormal
from .mixture_same_family import MixtureSameFamily
from .multinomial import Multinomial
from .multivariate_normal import MultivariateNormal
from .negative_binomial import NegativeBinomial
from .normal import Normal
from .one_hot_categorical import OneHotCategorical
from .one_hot_categorical_straight_through import OneHotCategoricalStraightThrough
from .pareto import Pareto
from .poisson import Poisson
from .relaxed_bernoulli import LogitRelaxedBernoulli, RelaxedBernoulli
from .relaxed_categorical import ExpRelaxedCategorical, RelaxedOneHotCategorical
from .studentT import StudentT
from .transformed_distribution import TransformedDistribution
from .transforms import *  # noqa: F401,F403
from .uniform import Uniform
from .von_mises import VonMises
from .wishart import Wishart
from .weibull import Weibull

__all__ = ["Bernoulli", "Beta", "Binomial", "Categorical", "Cauchy", "Chi2", "Dirichlet",
           "Distribution", "ExponentialFamily", "Exponential", "Gamma", "Geometric", "Gumbel",
           "HalfNormal", "Independent", "Laplace", "LogNormal", "Multinomial",
           "MultivariateNormal", "Normal", "OneHotCategorical", "Poisson", "StudentT",
           "LogitRelaxedBernoulli", "RelaxedBernoulli", "ExpRelaxedCategorical",
           "RelaxedOneHotCategorical",
           "TransformedDistribution", "Uniform", "constraints", "kl_divergence", "register_kl",
           "transforms",
           "HalfCauchy", "InverseGamma", "LowRankMultivariateNormal", "MixtureSameFamily",
           "NegativeBinomial", "Pareto", "VonMises", "Weibull", "biject_to", "transform_to",
           "ContinuousBernoulli", "FisherSnedecor", "GeneralizedPareto", "Kumaraswamy",
           "LogisticNormal", "OneHotCategoricalStraightThrough", "LKJCholesky", "Wishart"] + transforms.__all__
