"""LKJCholesky(dim, concentration): Cholesky factors of LKJ-distributed correlation matrices."""
from __future__ import annotations

import math

import dpt
from .._tensor import Size
from . import constraints
from .beta import Beta
from .distribution import Distribution
from .utils import broadcast_all

__all__ = ["LKJCholesky"]


class LKJCholesky(Distribution):
    """LKJCholesky(dim, concentration=1.0, validate_args=None): the lower Cholesky factor L of
    a dim x dim correlation matrix whose density is proportional to det(L L^T)^(concentration-1).

    Sampled by the onion method (Ghosh & Henderson, 2003): row i is sqrt(y_i) times a uniform
    direction on the sphere of its first i entries, y_i ~ Beta, the diagonal completing the
    unit norm. Not reparameterised.
    """

    arg_constraints = {"concentration": constraints.positive}
    support = constraints.corr_cholesky

    def __init__(self, dim, concentration=1.0, validate_args=None):
        if dim < 2:
            raise ValueError(f"Expected dim to be an integer greater than or equal to 2. "
                             f"Found dim={dim}.")
        self.dim = dim
        (self.concentration,) = broadcast_all(concentration)
        batch_shape = self.concentration.size()
        event_shape = Size((dim, dim))
        # the marginal of row i's squared off-diagonal norm is Beta(i/2, conc + (dim - 2 - i)/2)
        marginal_conc = self.concentration + 0.5 * (self.dim - 2)
        offset = dpt.arange(self.dim - 1, dtype=self.concentration.dtype,
                            device=self.concentration.device)
        offset = dpt.cat([offset.new_zeros((1,)), offset])
        beta_conc1 = offset + 0.5
        beta_conc0 = marginal_conc.unsqueeze(-1) - 0.5 * offset
        self._beta = Beta(beta_conc1, beta_conc0)
        super().__init__(batch_shape, event_shape, validate_args=validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(LKJCholesky, _instance)
        batch_shape = Size(batch_shape)
        new.dim = self.dim
        new.concentration = self.concentration.expand(batch_shape)
        new._beta = self._beta.expand(batch_shape + (self.dim,))
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def sample(self, sample_shape=Size()):
        with dpt.no_grad():
            y = self._beta.sample(sample_shape).unsqueeze(-1)
            u_normal = dpt.randn(self._extended_shape(sample_shape), dtype=y.dtype,
                                 device=y.device).tril(-1)
            norm = u_normal.norm(dim=-1, keepdim=True)
            # row 0 has no off-diagonal entries: keep it zero instead of 0/0
            norm = dpt.where(norm == 0, dpt.ones_like(norm), norm)
            w = dpt.sqrt(y) * (u_normal / norm)
            tiny = dpt.finfo(w.dtype).tiny
            diag = dpt.clamp(1 - (w ** 2).sum(-1), min=tiny).sqrt()
            return w + dpt.diag_embed(diag)

    def log_prob(self, value):
        # Lewandowski, Kurowicka & Joe (2009), through the Cholesky factor's diagonal:
        # log p(L) = sum_i (dim - i + 2 (conc - 1)) log L_ii - log normaliser, i = 2..dim
        if self._validate_args:
            self._validate_sample(value)
        diag_elems = value.diagonal(dim1=-1, dim2=-2)[..., 1:]
        order = dpt.arange(2, self.dim + 1, device=self.concentration.device)
        order = 2 * (self.concentration - 1).unsqueeze(-1) + self.dim - order
        unnormalized = (order * diag_elems.log()).sum(-1)
        dm1 = self.dim - 1
        alpha = self.concentration + 0.5 * dm1
        denominator = dpt.lgamma(alpha) * dm1
        numerator = dpt.mvlgamma(alpha - 0.5, dm1)
        pi_constant = 0.5 * dm1 * math.log(math.pi)
        return unnormalized - (pi_constant + numerator - denominator)
