"""A Cauchy that draws the way torch does (Tensor.cauchy_), so that HalfCauchy gives torch's
samples for the same dpt.manual_seed. Cauchy itself draws this way once the dist-sampling
branch is merged; this class then only restates it and can go."""
from __future__ import annotations

import dpt
from .._tensor import Size
from .cauchy import Cauchy

__all__ = []


class _Cauchy(Cauchy):
    """Cauchy whose rsample is loc + cauchy_() * scale (torch's draw)."""

    def rsample(self, sample_shape=Size()):
        shape = self._extended_shape(sample_shape)
        with dpt.no_grad():
            eps = dpt.empty(shape, dtype=self.loc.dtype, device=self.loc.device).cauchy_()
        return self.loc + eps * self.scale
