"""Draws the distributions need beyond dpt.rand/randn: gamma (with an implicit
reparameterisation gradient) and binomial, all from dpt's generators so that
``dpt.manual_seed`` makes them reproducible."""
from __future__ import annotations

import numpy as np
from scipy import special

from .. import _device
from .. import random as _random
from .._tensor import Tensor
from ..autograd.function import Function


def _stream(device):
    """The bit stream of the device's default generator (numpy Generator / GPU RandomState)."""
    return _random.default_generator_for(device)._stream()


def _dgammainc_da(a, x):
    """d/da of the regularised lower incomplete gamma P(a, x), by central differences in
    float64 on whichever of P and Q = 1 - P is smaller (the one known to full precision)."""
    h = 1e-5 * np.maximum(a, 1.0)
    h = np.minimum(h, 0.5 * a)
    use_p = special.gammainc(a, x) < 0.5
    p_hi, p_lo = special.gammainc(a + h, x), special.gammainc(a - h, x)
    q_hi, q_lo = special.gammaincc(a + h, x), special.gammaincc(a - h, x)
    return np.where(use_p, p_hi - p_lo, q_lo - q_hi) / (2 * h)


class _StandardGamma(Function):
    """x ~ Gamma(alpha, 1), drawn in forward; backward is the implicit reparameterisation
    gradient dx/dalpha = -(dP(alpha, x)/dalpha) / p(x; alpha), which holds the CDF value of
    the sample fixed. The gradient is treated as a constant (no double backward)."""

    def forward(self, alpha):
        xp = _device.xp_of(alpha)
        tiny = np.finfo(alpha.dtype).tiny
        sample = xp.asarray(_stream(_device.device_of(alpha)).standard_gamma(alpha))
        sample = sample.astype(alpha.dtype, copy=False)
        sample = xp.maximum(sample, tiny)
        self.sample = sample
        return sample

    def backward(self, gz):
        if not self.needs_input_grad[0]:
            return None
        alpha, = self.inputs
        a = _device.to_numpy(alpha._data).astype(np.float64)
        x = _device.to_numpy(self.sample).astype(np.float64)
        log_pdf = (a - 1) * np.log(x) - x - special.gammaln(a)
        grad = -_dgammainc_da(a, x) * np.exp(-log_pdf)
        grad = _device.move(grad.astype(self.sample.dtype), alpha.device)
        return gz * Tensor._make(grad)


def standard_gamma(alpha: Tensor) -> Tensor:
    """Samples of Gamma(alpha, 1), one per element of alpha, differentiable in alpha."""
    return _StandardGamma.apply(alpha)


@_device.runs_on(1)
def binomial(count: Tensor, probs: Tensor) -> Tensor:
    """Binomial(count, probs) draws of probs' shape and dtype (count broadcast to it)."""
    xp = _device.xp_of(probs._data)
    n = xp.broadcast_to(count._data, probs.shape).astype(np.int64)
    p = probs._data.astype(np.float64)
    arr = _stream(probs.device).binomial(n, p)
    return Tensor._make(xp.asarray(arr).astype(probs._data.dtype))


@_device.runs_on(0)
def poisson(rate: Tensor) -> Tensor:
    """Poisson(rate) draws of rate's shape and dtype (0-d included)."""
    xp = _device.xp_of(rate._data)
    arr = _stream(rate.device).poisson(rate._data.astype(np.float64))
    return Tensor._make(xp.asarray(arr).astype(rate._data.dtype))
