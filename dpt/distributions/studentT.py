"""StudentT(df, loc, scale): Student's t distribution."""
from __future__ import annotations

import math

import dpt
from .._tensor import Size
from . import constraints
from .chi2 import Chi2
from .distribution import Distribution
from .utils import broadcast_all

__all__ = ["StudentT"]


class StudentT(Distribution):
    """StudentT(df, loc=0.0, scale=1.0, validate_args=None)."""

    arg_constraints = {"df": constraints.positive, "loc": constraints.real,
                       "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, df, loc=0.0, scale=1.0, validate_args=None):
        self.df, self.loc, self.scale = broadcast_all(df, loc, scale)
        self._chi2 = Chi2(self.df)
        super().__init__(self._chi2._batch_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(StudentT, _instance)
        batch_shape = Size(batch_shape)
        new.df = self.df.expand(batch_shape)
        new.loc = self.loc.expand(batch_shape)
        new.scale = self.scale.expand(batch_shape)
        new._chi2 = self._chi2.expand(batch_shape)
        super(StudentT, new).__init__(batch_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self):
        return dpt.where(self.df > 1, self.loc, dpt.full_like(self.loc, math.nan))

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        df = self.df
        finite = self.scale.pow(2) * df / (df - 2).clamp(min=dpt.finfo(df.dtype).tiny)
        m = dpt.where(df > 2, finite, dpt.full_like(df, math.inf))
        return dpt.where(df <= 1, dpt.full_like(df, math.nan), m)

    def rsample(self, sample_shape=Size()):
        # X ~ N(0, 1), Z ~ Chi2(df): Y = X / sqrt(Z / df) ~ StudentT(df)
        shape = self._extended_shape(sample_shape)
        x = dpt.empty(shape, dtype=self.df.dtype, device=self.df.device).normal_()
        z = self._chi2.rsample(sample_shape)
        y = x * dpt.rsqrt(z / self.df)
        return self.loc + self.scale * y

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        y = (value - self.loc) / self.scale
        z = (self.scale.log() + 0.5 * self.df.log() + 0.5 * math.log(math.pi)
             + dpt.lgamma(0.5 * self.df) - dpt.lgamma(0.5 * (self.df + 1.0)))
        return -0.5 * (self.df + 1.0) * dpt.log1p(y ** 2.0 / self.df) - z

    def entropy(self):
        lbeta = (dpt.lgamma(0.5 * self.df) + math.lgamma(0.5)
                 - dpt.lgamma(0.5 * (self.df + 1)))
        return (self.scale.log()
                + 0.5 * (self.df + 1) * (dpt.digamma(0.5 * (self.df + 1)) - dpt.digamma(0.5 * self.df))
                + 0.5 * self.df.log() + lbeta)
