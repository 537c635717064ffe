"""GeneralizedPareto(loc, scale, concentration): the peaks-over-threshold law of extreme values."""
from __future__ import annotations

import math
from numbers import Number

import dpt
from .._tensor import Size
from . import constraints
from .distribution import Distribution
from .utils import broadcast_all

__all__ = ["GeneralizedPareto"]


def _eq_zero(c):
    """Concentrations treated as exactly 0 (torch.isclose(c, 0) with its default atol)."""
    return c.abs() <= 1e-8


class GeneralizedPareto(Distribution):
    """GeneralizedPareto(loc, scale, concentration, validate_args=None): survival function
    (1 + c z)^(-1/c), z = (x - loc) / scale (exp(-z) at c = 0). Sampled as icdf(U)."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive,
                       "concentration": constraints.real}
    has_rsample = True

    def __init__(self, loc, scale, concentration, validate_args=None):
        self.loc, self.scale, self.concentration = broadcast_all(loc, scale, concentration)
        if all(isinstance(v, Number) for v in (loc, scale, concentration)):
            batch_shape = Size()
        else:
            batch_shape = self.loc.size()
        super().__init__(batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_params(GeneralizedPareto, batch_shape, _instance,
                                   ("loc", "scale", "concentration"))

    def rsample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        u = dpt.rand(shape, dtype=self.loc.dtype, device=self.loc.device)
        return self.icdf(u)

    def _z(self, x):
        return (x - self.loc) / self.scale

    def _safe_concentration(self):
        eq_zero = _eq_zero(self.concentration)
        return eq_zero, dpt.where(eq_zero, dpt.ones_like(self.concentration), self.concentration)

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        z = self._z(value)
        eq_zero, conc = self._safe_concentration()
        y = 1 / conc + dpt.ones_like(z)
        where_nonzero = dpt.where(y == 0, y, y * dpt.log1p(conc * z))
        return -self.scale.log() - dpt.where(eq_zero, z, where_nonzero)

    def log_survival_function(self, value):
        if self._validate_args:
            self._validate_sample(value)
        z = self._z(value)
        eq_zero, conc = self._safe_concentration()
        return dpt.where(eq_zero, -z, -dpt.log1p(conc * z) / conc)

    def log_cdf(self, value):
        return dpt.log1p(-dpt.exp(self.log_survival_function(value)))

    def cdf(self, value):
        return dpt.exp(self.log_cdf(value))

    def icdf(self, value):
        eq_zero, conc = self._safe_concentration()
        logu = dpt.log1p(-value)
        where_nonzero = self.loc + self.scale / conc * dpt.expm1(-conc * logu)
        return dpt.where(eq_zero, self.loc - self.scale * logu, where_nonzero)

    @property
    def mean(self):
        valid = self.concentration < 1
        conc = dpt.where(valid, self.concentration, dpt.full_like(self.concentration, 0.5))
        result = self.loc + self.scale / (1 - conc)
        return dpt.where(valid, result, dpt.full_like(result, math.nan))

    @property
    def variance(self):
        valid = self.concentration < 0.5
        conc = dpt.where(valid, self.concentration, dpt.full_like(self.concentration, 0.25))
        result = self.scale ** 2 / ((1 - conc) ** 2 * (1 - 2 * conc))
        return dpt.where(valid, result, dpt.full_like(result, math.nan))

    def entropy(self):
        return dpt.broadcast_to(dpt.log(self.scale) + self.concentration + 1, self._batch_shape)

    @property
    def mode(self):
        return self.loc

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self):
        lower = self.loc
        # bounded above by loc - scale / c when c < 0
        upper = dpt.where(self.concentration < 0, lower - self.scale / self.concentration,
                          dpt.full_like(lower, math.inf))
        return constraints.interval(lower, upper)
