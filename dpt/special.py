"""dpt.special: torch.special, the special functions (scipy.special's on either device).

Functions that dpt.ops already has (erf, lgamma, digamma, i0, i1, xlogy, ...) are re-exported
under torch.special's names; the rest are Functions here. Derivatives follow torch: the
ones torch differentiates are differentiable (written with dpt ops, so double backward
works); zeta, bessel_y*, modified_bessel_k*, airy_ai and spherical_bessel_j0 are not
(backward raises), except bessel_j0/j1, which dpt differentiates (j0' = -j1,
j1' = j0 - j1 / x) where torch does not. The orthogonal polynomials (chebyshev_*, hermite_*,
laguerre_polynomial_l, legendre_polynomial_p) live in dpt/ops/polynomials.py.

Deviation: bessel_j0/j1/y0/y1 are accurate to a few ulps in float64; torch's CPU values are
off by up to ~1e-6 for 5 < x < ~10 (its large-x branch drops the leading 1 of Cephes'
denominator polynomial), and dpt does not copy that error.
"""
from __future__ import annotations

import math

import numpy as np

from ._device import special_module, xp_of
from ._tensor import Tensor
from .autograd.function import Function
from .ops.activation import log_softmax, softmax
from .ops.arithmetic import _NoGrad, _with_out
from .ops.creation import tensor
from .ops.pointwise import (_float_binary, _mask, _unary, exp, exp2, expm1, log, log1p, logit,
                            round, sigmoid, sinc, xlogy)
from .ops.polynomials import (chebyshev_polynomial_t, chebyshev_polynomial_u,
                              chebyshev_polynomial_v, chebyshev_polynomial_w,
                              hermite_polynomial_h, hermite_polynomial_he, laguerre_polynomial_l,
                              legendre_polynomial_p, shifted_chebyshev_polynomial_t,
                              shifted_chebyshev_polynomial_u, shifted_chebyshev_polynomial_v,
                              shifted_chebyshev_polynomial_w)
from .ops.reduction import logsumexp
from .ops.special_functions import (_special, _zero_safe, digamma, erf, erfc, erfinv, i0, i0e, i1,
                                    i1e, igamma as gammainc, igammac as gammaincc, lgamma,
                                    mvlgamma, polygamma)

__all__ = ["expit", "logit", "erf", "erfc", "erfinv", "erfcx", "ndtr", "ndtri", "log_ndtr",
           "gammaln", "digamma", "psi", "polygamma", "multigammaln", "gammainc", "gammaincc",
           "i0", "i0e", "i1", "i1e", "sinc", "entr", "xlogy", "xlog1py", "zeta", "log1p", "expm1",
           "exp2", "round", "softmax", "log_softmax", "logsumexp", "bessel_j0", "bessel_j1",
           "bessel_y0", "bessel_y1", "modified_bessel_i0", "modified_bessel_i1",
           "modified_bessel_k0", "modified_bessel_k1", "scaled_modified_bessel_k0",
           "scaled_modified_bessel_k1", "spherical_bessel_j0", "airy_ai",
           "chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v",
           "chebyshev_polynomial_w", "shifted_chebyshev_polynomial_t",
           "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
           "shifted_chebyshev_polynomial_w", "hermite_polynomial_h", "hermite_polynomial_he",
           "laguerre_polynomial_l", "legendre_polynomial_p"]

expit = sigmoid
gammaln = lgamma
psi = digamma
_SQRT_2PI = math.sqrt(2 * math.pi)


def multigammaln(input: Tensor, p: int, *, out=None) -> Tensor:
    """multigammaln(input, p): multivariate log-gamma (alias of dpt.mvlgamma)."""
    return _with_out(mvlgamma(input, p), out, "multigammaln")


# ---- Bessel functions of the first kind -----------------------------------------------
class BesselJ0(Function):
    def forward(self, x):
        return _special(x, "j0")

    def backward(self, gz):
        return gz * -bessel_j1(self.inputs[0])


class BesselJ1(Function):
    def forward(self, x):
        return _special(x, "j1")

    def backward(self, gz):
        x = self.inputs[0]  # j1' = j0 - j1 / x, 1/2 at 0
        zero, safe = _zero_safe(x)
        return gz * (bessel_j0(x) - bessel_j1(safe) / safe).masked_fill(zero, 0.5)


bessel_j0 = _unary(BesselJ0, "bessel_j0",
                   "bessel_j0(input, *, out=None): the Bessel function of the first kind, order 0.")
bessel_j1 = _unary(BesselJ1, "bessel_j1",
                   "bessel_j1(input, *, out=None): the Bessel function of the first kind, order 1.")
modified_bessel_i0 = i0


def modified_bessel_i1(input: Tensor, *, out=None) -> Tensor:
    """modified_bessel_i1(input, *, out=None): alias of i1."""
    return i1(input, out=out)


def _no_grad_unary(scipy_name: str, name: str, doc: str):
    cls = type(name, (_NoGrad,), {"op": f"special_{name}",
                                  "forward": lambda self, x: _special(x, scipy_name)})
    return _unary(cls, name, doc)


bessel_y0 = _no_grad_unary("y0", "bessel_y0", "bessel_y0(input): Bessel function of the second "
                                              "kind, order 0 (not differentiable).")
bessel_y1 = _no_grad_unary("y1", "bessel_y1", "bessel_y1(input): Bessel function of the second "
                                              "kind, order 1 (not differentiable).")
modified_bessel_k0 = _no_grad_unary("k0", "modified_bessel_k0",
                                    "modified_bessel_k0(input): modified Bessel function of the "
                                    "second kind, order 0 (not differentiable).")
modified_bessel_k1 = _no_grad_unary("k1", "modified_bessel_k1",
                                    "modified_bessel_k1(input): modified Bessel function of the "
                                    "second kind, order 1 (not differentiable).")
scaled_modified_bessel_k0 = _no_grad_unary("k0e", "scaled_modified_bessel_k0",
                                           "scaled_modified_bessel_k0(input): exp(x) * k0(x).")
scaled_modified_bessel_k1 = _no_grad_unary("k1e", "scaled_modified_bessel_k1",
                                           "scaled_modified_bessel_k1(input): exp(x) * k1(x).")


class _AiryAi(_NoGrad):
    op = "special_airy_ai"

    def forward(self, x):
        return special_module(xp_of(x)).airy(x)[0].astype(x.dtype, copy=False)


class _SphericalJ0(_NoGrad):
    op = "special_spherical_bessel_j0"

    def forward(self, x):
        xp = xp_of(x)
        safe = xp.where(x == 0, 1, x)
        return xp.where(x == 0, 1, xp.sin(safe) / safe).astype(x.dtype, copy=False)


airy_ai = _unary(_AiryAi, "airy_ai", "airy_ai(input): the Airy function Ai (not differentiable).")
spherical_bessel_j0 = _unary(_SphericalJ0, "spherical_bessel_j0",
                             "spherical_bessel_j0(input): sin(x) / x (not differentiable).")


# ---- normal distribution and error functions ---------------------------------------------
class Erfcx(Function):
    def forward(self, x):
        return _special(x, "erfcx")

    def backward(self, gz):
        x = self.inputs[0]
        return gz * (2 * x * erfcx(x) - 2 / math.sqrt(math.pi))


class Ndtr(Function):
    def forward(self, x):
        return _special(x, "ndtr")

    def backward(self, gz):
        x = self.inputs[0]
        return gz * exp(-0.5 * x * x) / _SQRT_2PI


class Ndtri(Function):
    def forward(self, p):
        return _special(p, "ndtri")

    def backward(self, gz):
        y = ndtri(self.inputs[0])
        return gz * _SQRT_2PI * exp(0.5 * y * y)


class LogNdtr(Function):
    def forward(self, x):
        return _special(x, "log_ndtr")

    def backward(self, gz):
        x = self.inputs[0]  # phi(x) / Phi(x), in logs so the far left tail does not overflow
        return gz * exp(-0.5 * x * x - log_ndtr(x)) / _SQRT_2PI


class Entr(Function):
    def forward(self, x):
        return _special(x, "entr")

    def backward(self, gz):
        return gz * -(1 + log(self.inputs[0]))


erfcx = _unary(Erfcx, "erfcx", "erfcx(input, *, out=None): exp(x ** 2) * erfc(x), the scaled "
                               "complementary error function.")
ndtr = _unary(Ndtr, "ndtr", "ndtr(input, *, out=None): the standard normal CDF.")
ndtri = _unary(Ndtri, "ndtri", "ndtri(input, *, out=None): the inverse of ndtr (normal "
                               "quantile function).")
log_ndtr = _unary(LogNdtr, "log_ndtr", "log_ndtr(input, *, out=None): log of the standard "
                                       "normal CDF, accurate in the left tail.")
entr = _unary(Entr, "entr", "entr(input, *, out=None): -x * log(x), 0 at 0, -inf for x < 0.")


# ---- two-argument functions ------------------------------------------------------------------
class Xlog1py(Function):
    def forward(self, x, y):
        return _special(y, "xlog1py", x)

    def backward(self, gz):
        x, y = self.inputs
        need_x, need_y = self.needs_input_grad
        gx = gy = None
        if need_x:
            gx = xlog1py(gz, y).masked_fill(_mask((x._data == 0) & (y._data <= -1)), 0.0)
        if need_y:
            gy = gz * x / (y + 1)
        return gx, gy


class Zeta(_NoGrad):
    op = "special_zeta"

    def forward(self, x, q):
        return _special(q, "zeta", x)


def _binary_tensors(input, other, op):
    a, b, _ = _float_binary(input, other, op)
    like = a if isinstance(a, Tensor) else b
    return tuple(v if isinstance(v, Tensor) else tensor(v, dtype=like.dtype, device=like.device)
                 for v in (a, b))


def xlog1py(input, other, *, out=None) -> Tensor:
    """xlog1py(input, other, *, out=None): input * log1p(other), 0 where input == 0 (unless
    other is nan). Either argument may be a number."""
    a, b = _binary_tensors(input, other, "xlog1py")
    with np.errstate(all="ignore"):
        return _with_out(Xlog1py.apply(a, b), out, "xlog1py")


def zeta(input, other, *, out=None) -> Tensor:
    """zeta(input, other, *, out=None): the Hurwitz zeta function sum_k (k + other) ** -input
    (not differentiable, as in torch)."""
    a, b = _binary_tensors(input, other, "zeta")
    with np.errstate(all="ignore"):
        return _with_out(Zeta.apply(a, b), out, "zeta")
