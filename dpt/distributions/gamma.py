"""Gamma(concentration, rate): shape/rate parameterisation."""
from __future__ import annotations

from numbers import Number

import numpy as np
from scipy import special

import dpt
from .. import _device
from .._tensor import Size
from ..autograd.function import Function
from . import constraints
from ._sampling import standard_gamma
from .exp_family import ExponentialFamily
from .utils import broadcast_all

__all__ = ["Gamma"]


class _Gammainc(Function):
    """Regularised lower incomplete gamma P(a, x) (torch.special.gammainc). Like torch, it
    is differentiable in x only."""

    def forward(self, a, x):
        xp = _device.xp_of(x)
        out = special.gammainc(_device.to_numpy(a), _device.to_numpy(x))
        return _device.move(np.asarray(out, dtype=x.dtype), _device.device_of(x)) \
            if xp is not np else np.asarray(out, dtype=x.dtype)

    def backward(self, gz):
        if self.needs_input_grad[0]:
            raise RuntimeError("derivative for gammainc with respect to its first argument "
                               "(the concentration) is not implemented")
        a, x = self.inputs
        return None, gz * dpt.exp((a - 1) * dpt.log(x) - x - dpt.lgamma(a))


class Gamma(ExponentialFamily):
    """Gamma(concentration, rate, validate_args=None): density
    rate^c x^(c-1) exp(-rate x) / Gamma(c) on x >= 0.

    rsample draws from dpt's generator and is differentiable in concentration (implicit
    reparameterisation) and rate.
    """

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True
    _mean_carrier_measure = 0

    def __init__(self, concentration, rate, validate_args=None):
        self.concentration, self.rate = broadcast_all(concentration, rate)
        batch_shape = Size() if isinstance(concentration, Number) and isinstance(rate, Number) \
            else self.concentration.size()
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_params(Gamma, batch_shape, _instance, ("concentration", "rate"))

    @property
    def mean(self):
        return self.concentration / self.rate

    @property
    def mode(self):
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self):
        return self.concentration / self.rate.pow(2)

    def rsample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        value = standard_gamma(self.concentration.expand(shape)) / self.rate.expand(shape)
        value.detach().clamp_(min=dpt.finfo(value.dtype).tiny)  # not recorded, as in torch
        return value

    def log_prob(self, value):
        value = dpt.as_tensor(value, dtype=self.rate.dtype, device=self.rate.device)
        if self._validate_args:
            self._validate_sample(value)
        return (dpt.xlogy(self.concentration, self.rate) + dpt.xlogy(self.concentration - 1, value)
                - self.rate * value - dpt.lgamma(self.concentration))

    def entropy(self):
        return (self.concentration - dpt.log(self.rate) + dpt.lgamma(self.concentration)
                + (1.0 - self.concentration) * dpt.digamma(self.concentration))

    def cdf(self, value):
        if self._validate_args:
            self._validate_sample(value)
        a, x = dpt.broadcast_tensors(self.concentration, self.rate * value)
        return _Gammainc.apply(a, x)

    @property
    def _natural_params(self):
        return (self.concentration - 1, -self.rate)

    def _log_normalizer(self, x, y):
        return dpt.lgamma(x + 1) + (x + 1) * dpt.log(-y.reciprocal())
