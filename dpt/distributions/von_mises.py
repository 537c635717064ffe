"""VonMises(loc, concentration): the circular normal distribution on angles."""
from __future__ import annotations

import math

import dpt
from .._tensor import Size
from . import constraints
from .distribution import Distribution
from .utils import broadcast_all, lazy_property

__all__ = ["VonMises"]


def _log_i0(x):
    return dpt.special.i0e(x).log() + x


def _log_i1(x):
    return dpt.special.i1e(x).log() + x


def _rejection_sample(loc, concentration, proposal_r, x):
    """Best & Fisher (1979): wrapped-Cauchy proposals accepted against the von Mises density.
    Three uniforms a round, drawn as one (3, *shape) block like torch, so seeds agree."""
    done = dpt.zeros(x.shape, dtype=dpt.bool, device=loc.device)
    while not bool(done.all()):
        u1, u2, u3 = dpt.rand((3,) + tuple(x.shape), dtype=loc.dtype, device=loc.device).unbind()
        z = dpt.cos(math.pi * u1)
        f = (1 + proposal_r * z) / (proposal_r + z)
        c = concentration * (proposal_r - f)
        accept = ((c * (2 - c) - u2) > 0) | ((c / u2).log() + 1 - c >= 0)
        if bool(accept.any()):
            x = dpt.where(accept, (u3 - 0.5).sign() * f.acos(), x)
            done = done | accept
    return (x + math.pi + loc) % (2 * math.pi) - math.pi


class VonMises(Distribution):
    """VonMises(loc, concentration, validate_args=None): density
    exp(concentration cos(x - loc)) / (2 pi I0(concentration)); angles are taken modulo 2 pi.

    Samples (not reparameterised) are drawn in float64 by rejection, as in torch. The Bessel
    functions in log_prob and variance are exact (scipy's i0e/i1e) where torch uses
    polynomial approximations, so results differ from torch's by up to ~1e-6 relative.
    """

    arg_constraints = {"loc": constraints.real, "concentration": constraints.positive}
    support = constraints.real
    has_rsample = False

    def __init__(self, loc, concentration, validate_args=None):
        self.loc, self.concentration = broadcast_all(loc, concentration)
        super().__init__(self.loc.shape, Size(), validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        return self._expand_params(VonMises, batch_shape, _instance, ("loc", "concentration"))

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        return (self.concentration * dpt.cos(value - self.loc) - math.log(2 * math.pi)
                - _log_i0(self.concentration))

    @lazy_property
    def _proposal_r(self):
        kappa = self.concentration.detach().to(dpt.float64)
        tau = 1 + (1 + 4 * kappa ** 2).sqrt()
        rho = (tau - (2 * tau).sqrt()) / (2 * kappa)
        # for tiny kappa rho underflows; (1 + rho^2) / (2 rho) ~ 1/kappa + kappa there
        return dpt.where(kappa < 1e-5, 1 / kappa + kappa, (1 + rho ** 2) / (2 * rho))

    def sample(self, sample_shape=Size()):
        with dpt.no_grad():
            shape = self._extended_shape(sample_shape)
            loc = self.loc.to(dpt.float64)
            x = dpt.empty(shape, dtype=dpt.float64, device=self.loc.device)
            return _rejection_sample(loc, self.concentration.to(dpt.float64), self._proposal_r,
                                     x).to(self.loc.dtype)

    @property
    def mean(self):
        """The circular mean."""
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def variance(self):
        """The circular variance, 1 - I1(k) / I0(k)."""
        return 1 - (_log_i1(self.concentration) - _log_i0(self.concentration)).exp()
