"""Dirichlet(concentration): distributions over the probability simplex."""
from __future__ import annotations

import dpt
from .._tensor import Size
from . import constraints
from ._sampling import dirichlet
from .exp_family import ExponentialFamily

__all__ = ["Dirichlet"]


class Dirichlet(ExponentialFamily):
    """Dirichlet(concentration, validate_args=None): concentration has shape batch + (K,).

    rsample normalises K gamma draws and is differentiable in concentration (implicit
    reparameterisation of the gamma draws).
    """

    arg_constraints = {"concentration": constraints.independent(constraints.positive, 1)}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, concentration, validate_args=None):
        if concentration.dim() < 1:
            raise ValueError("`concentration` parameter must be at least one-dimensional.")
        self.concentration = concentration
        batch_shape, event_shape = concentration.shape[:-1], concentration.shape[-1:]
        super().__init__(batch_shape, event_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Dirichlet, _instance)
        batch_shape = Size(batch_shape)
        new.concentration = self.concentration.expand(batch_shape + self.event_shape)
        super(Dirichlet, new).__init__(batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def rsample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        return dirichlet(self.concentration.expand(shape))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return (dpt.xlogy(self.concentration - 1.0, value).sum(-1)
                + dpt.lgamma(self.concentration.sum(-1)) - dpt.lgamma(self.concentration).sum(-1))

    @property
    def mean(self):
        return self.concentration / self.concentration.sum(-1, keepdim=True)

    @property
    def mode(self):
        concm1 = (self.concentration - 1).clamp(min=0.0)
        mode = concm1 / concm1.sum(-1, keepdim=True)
        # every concentration < 1: the density is unbounded at the corner of the largest one
        mask = (self.concentration < 1).all(-1, keepdim=True)
        k = self.concentration.shape[-1]
        corner = dpt.nn.functional.one_hot(mode.argmax(-1), k).to(mode.dtype)
        return dpt.where(mask, corner, mode)

    @property
    def variance(self):
        con0 = self.concentration.sum(-1, keepdim=True)
        return self.concentration * (con0 - self.concentration) / (con0.pow(2) * (con0 + 1))

    def entropy(self):
        k = self.concentration.size(-1)
        a0 = self.concentration.sum(-1)
        return (dpt.lgamma(self.concentration).sum(-1) - dpt.lgamma(a0)
                - (k - a0) * dpt.digamma(a0)
                - ((self.concentration - 1.0) * dpt.digamma(self.concentration)).sum(-1))

    @property
    def _natural_params(self):
        return (self.concentration,)

    def _log_normalizer(self, x):
        return x.lgamma().sum(-1) - dpt.lgamma(x.sum(-1))
