"""Special functions of one variable that torch has at top level or needs for their
derivatives: erf, erfc, erfinv, lgamma, digamma, polygamma, mvlgamma, the incomplete gamma
functions igamma/igammac, and the modified Bessel functions i0, i0e, i1, i1e (i0e, i1 and
i1e are public in dpt.special only, as in torch).

Values come from the device's special-function module (scipy.special or its GPU twin,
chosen by dpt._device); derivatives are written with dpt ops.
"""
from __future__ import annotations

import builtins
import math
import operator

import numpy as np

from .. import _device, _dtype
from .._tensor import Tensor
from ..autograd.function import Function
from .arithmetic import _with_out
from .creation import tensor
from .pointwise import (_check_tensor, _float_binary, _float_input, _mask, _recompute, _unary,
                        exp, sign, xlogy)

__all__ = ["erf", "erfc", "erfinv", "lgamma", "digamma", "polygamma", "mvlgamma", "igamma",
           "igammac", "i0"]


def _special(x, name: str, *args):
    """The device's special function name applied to x, keeping x's dtype."""
    mod = _device.special_module(_device.xp_of(x))
    low = x.dtype in (np.float16, _dtype.bfloat16.np)
    y = getattr(mod, name)(*args, x.astype(np.float32) if low else x)
    return y.astype(x.dtype, copy=False)


def _zero_safe(x: Tensor):
    """(mask of x == 0, x with zeros replaced by 1) for formulas with a removable 1/x."""
    zero = _mask(x._data == 0)
    return zero, x.masked_fill(zero, 1.0)


class Erf(Function):
    def forward(self, x):
        return _special(x, "erf")

    def backward(self, gz):
        x = self.inputs[0]
        return gz * (2 / math.sqrt(math.pi)) * exp(-x * x)


class Erfc(Function):
    def forward(self, x):
        return _special(x, "erfc")

    def backward(self, gz):
        x = self.inputs[0]
        return gz * (-2 / math.sqrt(math.pi)) * exp(-x * x)


class Erfinv(Function):
    def forward(self, x):
        y = _special(x, "erfinv")
        self.save_output(y)
        return y

    def backward(self, gz):
        y = _recompute(self, erfinv)
        return gz * (math.sqrt(math.pi) / 2) * exp(y * y)


class Lgamma(Function):
    def forward(self, x):
        return _special(x, "gammaln")

    def backward(self, gz):
        return gz * digamma(self.inputs[0])


class Polygamma(Function):
    """The n-th derivative of digamma (n = 0 is digamma itself)."""

    def forward(self, x, n):
        self.n = n
        return _special(x, "psi") if n == 0 else _special(x, "polygamma", n)

    def backward(self, gz):
        return gz * polygamma(self.n + 1, self.inputs[0]), None


erf = _unary(Erf, "erf", "erf(input, *, out=None): the error function.", quiet=False)
erfc = _unary(Erfc, "erfc",
              "erfc(input, *, out=None): 1 - erf(input), accurate for large input.", quiet=False)
erfinv = _unary(Erfinv, "erfinv",
                "erfinv(input, *, out=None): inverse of erf on (-1, 1).", quiet=False)
lgamma = _unary(Lgamma, "lgamma", "lgamma(input, *, out=None): log |gamma(input)|.", quiet=False)


def polygamma(n: int, input, *, out=None) -> Tensor:
    """polygamma(n, input, *, out=None): the n-th derivative of digamma."""
    _check_tensor(input, "polygamma")
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    with np.errstate(all="ignore"):
        return _with_out(Polygamma.apply(_float_input(input), int(n)), out, "polygamma")


def digamma(input, *, out=None) -> Tensor:
    """digamma(input, *, out=None): d/dx lgamma(x); -inf at 0, nan at negative integers."""
    _check_tensor(input, "digamma")
    with np.errstate(all="ignore"):
        return _with_out(Polygamma.apply(_float_input(input), 0), out, "digamma")


# ---- gamma family ----------------------------------------------------------------------
@_device.runs_on(0)
def mvlgamma(input: Tensor, p: int) -> Tensor:
    """mvlgamma(input, p): the log of the multivariate gamma function of dimension p,
    sum_i lgamma(input - i / 2) + p (p - 1) / 4 * log(pi); needs input > (p - 1) / 2."""
    p = operator.index(p)
    if p < 1:
        raise RuntimeError("p has to be greater than or equal to 1")
    x = input if input.dtype.category >= 2 else input.to(_dtype.get_default_dtype())
    if x.numel() and not builtins.bool((x._data > (p - 1) / 2).all()):
        raise RuntimeError("All elements must be greater than (p-1)/2")
    offsets = Tensor._make(_device.xp_of(x._data).arange(p, dtype=x.dtype.np) / 2)
    return lgamma(x.unsqueeze(-1) - offsets).sum(-1) + p * (p - 1) / 4 * math.log(math.pi)


class Igamma(Function):
    """Regularised lower (upper=False) or upper incomplete gamma P(a, x) / Q(a, x)."""

    def forward(self, a, x, upper):
        self.upper = upper
        with np.errstate(all="ignore"):
            return _special(x, "gammaincc" if upper else "gammainc", a)

    def backward(self, gz):
        a, x, _ = self.inputs
        if self.needs_input_grad[0]:
            raise RuntimeError(f"the derivative for '{'igammac' if self.upper else 'igamma'}' "
                               f"with respect to `self` (the shape parameter) is not implemented.")
        # d/dx P(a, x) = x^(a-1) e^-x / Gamma(a)
        g = gz * exp(xlogy(a - 1, x) - x - lgamma(a))
        return None, (-g if self.upper else g), None


def _igamma(input, other, upper, out, op):
    a, x, _ = _float_binary(input, other, op)
    like = a if isinstance(a, Tensor) else x
    a, x = (v if isinstance(v, Tensor) else tensor(v, dtype=like.dtype, device=like.device)
            for v in (a, x))
    return _with_out(Igamma.apply(a, x, upper), out, op)


def igamma(input: Tensor, other: Tensor, *, out=None) -> Tensor:
    """igamma(input, other, *, out=None): regularised lower incomplete gamma P(input, other)
    (scipy.special.gammainc). Differentiable in other only, as in torch."""
    return _igamma(input, other, False, out, "igamma")


def igammac(input: Tensor, other: Tensor, *, out=None) -> Tensor:
    """igammac(input, other, *, out=None): regularised upper incomplete gamma Q = 1 - P."""
    return _igamma(input, other, True, out, "igammac")


class I0(Function):
    def forward(self, x):
        return _special(x, "i0")

    def backward(self, gz):
        return gz * i1(self.inputs[0])


def i0(input: Tensor, *, out=None) -> Tensor:
    """i0(input, *, out=None): the modified Bessel function of the first kind, order 0."""
    x = input if input.dtype.category >= 2 else input.to(_dtype.get_default_dtype())
    with np.errstate(all="ignore"):
        return _with_out(I0.apply(x), out, "i0")


# ---- modified Bessel functions, scaled and order 1 -----------------------------------------
class I0e(Function):
    def forward(self, x):
        return _special(x, "i0e")

    def backward(self, gz):
        x = self.inputs[0]
        return gz * (i1e(x) - sign(x) * i0e(x))


class I1(Function):
    def forward(self, x):
        return _special(x, "i1")

    def backward(self, gz):
        x = self.inputs[0]  # i1' = i0 - i1 / x, 1/2 at 0
        zero, safe = _zero_safe(x)
        return gz * (i0(x) - i1(safe) / safe).masked_fill(zero, 0.5)


class I1e(Function):
    def forward(self, x):
        return _special(x, "i1e")

    def backward(self, gz):
        x = self.inputs[0]  # i1e' = i0e - i1e (sign(x) + 1/x), 1/2 at 0
        zero, safe = _zero_safe(x)
        return gz * (i0e(x) - i1e(safe) * (sign(safe) + 1 / safe)).masked_fill(zero, 0.5)


i0e = _unary(I0e, "i0e", "i0e(input, *, out=None): exp(-|x|) * i0(x), the scaled modified "
                         "Bessel function of order 0.")
i1 = _unary(I1, "i1", "i1(input, *, out=None): the modified Bessel function of the first kind, "
                      "order 1.")
i1e = _unary(I1e, "i1e", "i1e(input, *, out=None): exp(-|x|) * i1(x).")
