"""The binary form of floats: frexp (mantissa and exponent), ldexp, and nextafter."""
from __future__ import annotations

import numpy as np

from .._device import xp_of
from .._tensor import Tensor
from ..autograd.function import Function
from ._promote import binary
from .arithmetic import _with_out
from .counting import _result_type
from .pointwise import exp2

__all__ = ["frexp", "ldexp", "nextafter"]

frexp_result = _result_type("frexp", ("mantissa", "exponent"))


class Nextafter(Function):
    """torch's derivative: 1 with respect to input (a step of one ulp is treated as the
    identity), 0 with respect to other."""

    def forward(self, x, y):
        self.other_shape = getattr(y, "shape", ())
        return xp_of(x).nextafter(x, y)

    def backward(self, gz):
        need_x, need_y = self.needs_input_grad
        gy = gz.new_zeros(self.other_shape) if need_y else None
        return (gz if need_x else None), gy


def nextafter(input: Tensor, other: Tensor, *, out=None) -> Tensor:
    """nextafter(input, other, *, out=None): the next float after input towards other."""
    input, other, rt = binary(input, other, "nextafter")
    if rt.category != 2:
        raise NotImplementedError(f"\"nextafter_cpu\" not implemented for '{rt.name}'")
    return _with_out(Nextafter.apply(input, other), out, "nextafter")


class Frexp(Function):
    def forward(self, x):
        xp = xp_of(x)
        m, e = xp.frexp(x)
        m, e = xp.asarray(m), xp.asarray(e)  # a 0-d input gives scalars
        self.exponent = e
        return m, e.astype(np.int32, copy=False)

    def backward(self, gm, ge):
        # d mantissa / dx = 2 ** -exponent; the exponent is piecewise constant
        return gm * Tensor._make(xp_of(self.exponent).ldexp(
            np.ones((), gm._data.dtype), -self.exponent))


def frexp(input: Tensor, *, out=None):
    """frexp(input) -> (mantissa, exponent): input = mantissa * 2 ** exponent with
    0.5 <= |mantissa| < 1; exponent is int32."""
    if input.dtype.category != 2:
        raise RuntimeError("torch.frexp() only supports floating-point dtypes")
    m, e = Frexp.apply(input)
    if out is not None:
        _with_out(m, out[0], "frexp")
        _with_out(e, out[1], "frexp")
        return frexp_result(out[0], out[1])
    return frexp_result(m, e)


def ldexp(input: Tensor, other: Tensor, *, out=None) -> Tensor:
    """ldexp(input, other, *, out=None): input * 2 ** other (integers give the default float)."""
    scale = exp2(other) if isinstance(other, Tensor) else 2.0 ** other
    return _with_out(input * scale, out, "ldexp")
