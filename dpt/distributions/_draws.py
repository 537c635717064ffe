"""Base distributions that draw the way torch draws them (Tensor.exponential_, .cauchy_), so
that a distribution built on them gives torch's samples for the same dpt.manual_seed."""
from __future__ import annotations

import dpt
from .._tensor import Size
from .cauchy import Cauchy
from .exponential import Exponential

__all__ = []


class _Exponential(Exponential):
    """Exponential whose rsample is exponential_() / rate (torch's draw)."""

    def rsample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        with dpt.no_grad():
            e = dpt.empty(shape, dtype=self.rate.dtype, device=self.rate.device).exponential_()
        return e / self.rate


class _Cauchy(Cauchy):
    """Cauchy whose rsample is loc + cauchy_() * scale (torch's draw)."""

    def rsample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        with dpt.no_grad():
            eps = dpt.empty(shape, dtype=self.loc.dtype, device=self.loc.device).cauchy_()
        return self.loc + eps * self.scale
