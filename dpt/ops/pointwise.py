"""Element-wise math: exp/log family, powers and roots, trigonometry, activations, sinc, signs
and heaviside, rounding, clamp, binary math functions (atan2, hypot, xlogy, logaddexp, ...)
and nan_to_num. erf, lgamma and the other special functions are in special_functions.py,
conj/real/imag/angle in complex.py.

Integer and bool inputs of float-valued functions compute in the default dtype, as in
torch. Backward formulas of complex-capable ops use the conjugate derivative (torch's
convention for holomorphic functions).
"""
from __future__ import annotations

import math

import numpy as np

from .. import _dtype
from .._device import xp_of
from .._tensor import Tensor
from ..autograd.function import Function
from ..autograd.grad_mode import is_grad_enabled
from ._promote import as_operand, binary, check_same_device
from .arithmetic import _conj, _NoGrad, _Stepwise, _type_word, _with_out, _xp, pow

__all__ = ["exp", "exp2", "expm1", "log", "log1p", "log2", "log10", "sqrt", "rsqrt", "square",
           "reciprocal", "sin", "cos", "tan", "asin", "acos", "atan", "arcsin", "arccos", "arctan",
           "atan2", "arctan2", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "arcsinh",
           "arccosh", "arctanh", "sigmoid", "logit", "relu", "sinc", "abs", "absolute", "sign",
           "sgn", "signbit", "heaviside", "floor", "ceil", "round", "trunc", "fix", "frac", "clamp",
           "clip", "clamp_min", "clamp_max", "hypot", "copysign", "xlogy", "logaddexp",
           "logaddexp2", "deg2rad", "rad2deg", "nan_to_num"]


# ---- plumbing --------------------------------------------------------------------------
def _check_tensor(x, op: str) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(x).__name__}")


def _float_input(x: Tensor) -> Tensor:
    """Integer and bool inputs of float-valued functions compute in the default dtype."""
    return x if x.dtype.category >= 2 else x.to(_dtype.get_default_dtype())


def _unary(cls, name: str, doc: str, quiet: bool = True):
    """The public function of a one-input Function: type check, int -> float, out=.

    quiet: silence numpy's floating-point warnings (log(0), exp overflow...), which torch
    never prints; left off for ops that cannot produce them on finite input (saves ~1 us).
    """

    def op(input, *, out=None):
        _check_tensor(input, name)
        if input.dtype.category < 2:
            input = input.to(_dtype.get_default_dtype())
        if quiet:
            with np.errstate(all="ignore"):
                r = cls.apply(input)
        else:
            r = cls.apply(input)
        return r if out is None else _with_out(r, out, name)

    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    op.__module__ = __name__
    return op


def _recompute(ctx, fn):
    """The op's output for backward: saved when no graph is built, else recomputed so that
    double backward differentiates through it."""
    return ctx.saved_output(recompute=lambda: fn(ctx.inputs[0]))


def _mask(arr) -> Tensor:
    """A constant (non-differentiable) tensor from a forward-time array, e.g. a bool mask."""
    return Tensor._make(arr)


# ---- exp and log ---------------------------------------------------------------------
class Exp(Function):
    def forward(self, x):
        y = xp_of(x).exp(x)
        self.save_output(y)
        return y

    def backward(self, gz):
        return gz * _conj(_recompute(self, exp))


class Exp2(Function):
    def forward(self, x):
        y = xp_of(x).exp2(x)
        self.save_output(y)
        return y

    def backward(self, gz):
        return gz * _conj(_recompute(self, exp2) * math.log(2.0))


class Expm1(Function):
    def forward(self, x):
        y = xp_of(x).expm1(x)
        self.save_output(y)
        return y

    def backward(self, gz):
        return gz * _conj(_recompute(self, expm1) + 1)


class Log(Function):
    def forward(self, x):
        return xp_of(x).log(x)

    def backward(self, gz):
        return gz / _conj(self.inputs[0])


class Log1p(Function):
    def forward(self, x):
        return xp_of(x).log1p(x)

    def backward(self, gz):
        return gz / _conj(self.inputs[0] + 1)


class Log2(Function):
    def forward(self, x):
        return xp_of(x).log2(x)

    def backward(self, gz):
        return gz / _conj(self.inputs[0] * math.log(2.0))


class Log10(Function):
    def forward(self, x):
        return xp_of(x).log10(x)

    def backward(self, gz):
        return gz / _conj(self.inputs[0] * math.log(10.0))


exp = _unary(Exp, "exp", "exp(input, *, out=None): e ** input.")
exp2 = _unary(Exp2, "exp2", "exp2(input, *, out=None): 2 ** input.")
expm1 = _unary(Expm1, "expm1", "expm1(input, *, out=None): exp(input) - 1, accurate near 0.")
log = _unary(Log, "log", "log(input, *, out=None): natural logarithm.")
log1p = _unary(Log1p, "log1p", "log1p(input, *, out=None): log(1 + input), accurate near 0.")
log2 = _unary(Log2, "log2", "log2(input, *, out=None): base-2 logarithm.")
log10 = _unary(Log10, "log10", "log10(input, *, out=None): base-10 logarithm.")


# ---- powers and roots ------------------------------------------------------------------
class Sqrt(Function):
    def forward(self, x):
        y = xp_of(x).sqrt(x)
        self.save_output(y)
        return y

    def backward(self, gz):
        return gz / _conj(2 * _recompute(self, sqrt))


class Rsqrt(Function):
    def forward(self, x):
        y = 1 / xp_of(x).sqrt(x)
        self.save_output(y)
        return y

    def backward(self, gz):
        y = _recompute(self, rsqrt)
        return gz * _conj(-0.5 * y * y * y)


class Reciprocal(Function):
    def forward(self, x):
        y = 1 / x
        self.save_output(y)
        return y

    def backward(self, gz):
        y = _recompute(self, reciprocal)
        return -gz * _conj(y * y)


sqrt = _unary(Sqrt, "sqrt", "sqrt(input, *, out=None): square root.")
rsqrt = _unary(Rsqrt, "rsqrt", "rsqrt(input, *, out=None): 1 / sqrt(input).")
reciprocal = _unary(Reciprocal, "reciprocal", "reciprocal(input, *, out=None): 1 / input "
                                              "(integer inputs give the default float dtype).")


def square(input, *, out=None) -> Tensor:
    """square(input, *, out=None): input ** 2 (integer dtypes stay integer, bool gives int64)."""
    _check_tensor(input, "square")
    return _with_out(pow(input, 2), out, "square")


# ---- trigonometric and hyperbolic ------------------------------------------------------
class Sin(Function):
    def forward(self, x):
        return xp_of(x).sin(x)

    def backward(self, gz):
        return gz * _conj(cos(self.inputs[0]))


class Cos(Function):
    def forward(self, x):
        return xp_of(x).cos(x)

    def backward(self, gz):
        return gz * _conj(-sin(self.inputs[0]))


class Tan(Function):
    def forward(self, x):
        y = xp_of(x).tan(x)
        self.save_output(y)
        return y

    def backward(self, gz):
        y = _recompute(self, tan)
        return gz * _conj(1 + y * y)


class Asin(Function):
    def forward(self, x):
        return xp_of(x).arcsin(x)

    def backward(self, gz):
        x = self.inputs[0]
        return gz / _conj(sqrt(1 - x * x))


class Acos(Function):
    def forward(self, x):
        return xp_of(x).arccos(x)

    def backward(self, gz):
        x = self.inputs[0]
        return -gz / _conj(sqrt(1 - x * x))


class Atan(Function):
    def forward(self, x):
        return xp_of(x).arctan(x)

    def backward(self, gz):
        x = self.inputs[0]
        return gz / _conj(1 + x * x)


class Sinh(Function):
    def forward(self, x):
        return xp_of(x).sinh(x)

    def backward(self, gz):
        return gz * _conj(cosh(self.inputs[0]))


class Cosh(Function):
    def forward(self, x):
        return xp_of(x).cosh(x)

    def backward(self, gz):
        return gz * _conj(sinh(self.inputs[0]))


class Tanh(Function):
    def forward(self, x):
        y = xp_of(x).tanh(x)
        self.save_output(y)
        return y

    def backward(self, gz):
        y = _recompute(self, tanh)
        return gz * _conj(1 - y * y)


class Asinh(Function):
    def forward(self, x):
        return xp_of(x).arcsinh(x)

    def backward(self, gz):
        x = self.inputs[0]
        return gz / _conj(sqrt(x * x + 1))


class Acosh(Function):
    def forward(self, x):
        return xp_of(x).arccosh(x)

    def backward(self, gz):
        x = self.inputs[0]
        return gz / _conj(sqrt(x - 1) * sqrt(x + 1))


class Atanh(Function):
    def forward(self, x):
        return xp_of(x).arctanh(x)

    def backward(self, gz):
        x = self.inputs[0]
        return gz / _conj(1 - x * x)


sin = _unary(Sin, "sin", "sin(input, *, out=None): sine (radians).", quiet=False)
cos = _unary(Cos, "cos", "cos(input, *, out=None): cosine (radians).", quiet=False)
tan = _unary(Tan, "tan", "tan(input, *, out=None): tangent (radians).")
asin = arcsin = _unary(Asin, "asin", "asin(input, *, out=None): inverse sine (alias arcsin).")
acos = arccos = _unary(Acos, "acos", "acos(input, *, out=None): inverse cosine (alias arccos).")
atan = arctan = _unary(Atan, "atan",
                       "atan(input, *, out=None): inverse tangent (alias arctan).", quiet=False)
sinh = _unary(Sinh, "sinh", "sinh(input, *, out=None): hyperbolic sine.")
cosh = _unary(Cosh, "cosh", "cosh(input, *, out=None): hyperbolic cosine.")
tanh = _unary(Tanh, "tanh", "tanh(input, *, out=None): hyperbolic tangent.", quiet=False)
asinh = arcsinh = _unary(Asinh, "asinh", "asinh(input, *, out=None): inverse hyperbolic sine.")
acosh = arccosh = _unary(Acosh, "acosh", "acosh(input, *, out=None): inverse hyperbolic cosine.")
atanh = arctanh = _unary(Atanh, "atanh", "atanh(input, *, out=None): inverse hyperbolic tangent.")


# ---- activations -----------------------------------------------------------------------
class Sigmoid(Function):
    def forward(self, x):
        xp = xp_of(x)
        if x.dtype.kind == "c":
            y = 1 / (1 + xp.exp(-x))
        else:  # split by sign so exp never overflows
            e = xp.exp(-xp.abs(x))
            y = xp.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)
        self.save_output(y)
        return y

    def backward(self, gz):
        y = _recompute(self, sigmoid)
        return gz * _conj(y * (1 - y))


sigmoid = _unary(Sigmoid, "sigmoid",
                 "sigmoid(input, *, out=None): 1 / (1 + exp(-input)).", quiet=False)


def logit(input, eps=None, *, out=None) -> Tensor:
    """logit(input, eps=None, *, out=None): log(p / (1 - p)), with p clamped to [eps, 1 - eps]
    when eps is given (the gradient is then zero outside that range)."""
    _check_tensor(input, "logit")
    p = _float_input(input)
    if eps is not None:
        p = clamp(p, eps, 1 - eps)
    with np.errstate(all="ignore"):
        return _with_out(log(p / (1 - p)), out, "logit")


class Relu(Function):
    keeps_inputs = saves_input_values = False  # backward needs only the mask (as torch's
    # saved result): the input activation is not kept alive by the graph

    def forward(self, x):
        self.mask = x > 0
        return xp_of(x).maximum(0, x)  # keeps NaN and -0.0 (as torch), at half x * mask's cost

    def backward(self, gz):
        if not is_grad_enabled():  # no graph of the gradient: one multiply on raw arrays
            g = gz._data
            return Tensor._make(xp_of(g).multiply(g, self.mask, dtype=g.dtype))
        return gz * _mask(self.mask.astype(gz._data.dtype))


def relu(input) -> Tensor:
    """relu(input): max(input, 0); the gradient at 0 is 0."""
    _check_tensor(input, "relu")
    if input.dtype is _dtype.bool:
        raise RuntimeError("Boolean inputs not supported for relu")
    return Relu.apply(input)


# ---- sinc ------------------------------------------------------------------------------
class Sinc(Function):
    def forward(self, x):
        return xp_of(x).sinc(x)

    def backward(self, gz):
        # d/dx sin(pi x) / (pi x) = (cos(pi x) - sinc(x)) / x, and 0 at x = 0
        x = self.inputs[0]
        zero = _mask(x._data == 0)
        safe = x.masked_fill(zero, 1.0)
        d = ((cos(safe * math.pi) - sinc(safe)) / safe).masked_fill(zero, 0.0)
        return gz * _conj(d)


sinc = _unary(Sinc, "sinc",
              "sinc(input, *, out=None): sin(pi x) / (pi x), 1 at x = 0.", quiet=False)


# ---- signs and absolute values ---------------------------------------------------------------
class Abs(Function):
    def forward(self, x):
        return xp_of(x).abs(x)

    def backward(self, gz):
        x = self.inputs[0]
        return gz * (sgn(x) if x.dtype.is_complex else sign(x))


def abs(input, *, out=None) -> Tensor:
    """abs(input, *, out=None): |input| (real for complex input); abs'(0) = 0."""
    _check_tensor(input, "abs")
    if input.dtype is _dtype.bool:
        return _with_out(Tensor._make(input._data.copy()), out, "abs")
    return _with_out(Abs.apply(input), out, "abs")


absolute = abs


class Sign(_Stepwise):
    def forward(self, x):
        return xp_of(x).sign(x)


def sign(input, *, out=None) -> Tensor:
    """sign(input, *, out=None): -1, 0 or 1 (zero gradient); complex input is an error."""
    _check_tensor(input, "sign")
    if input.dtype.is_complex:
        raise RuntimeError("Unlike NumPy, torch.sign is not intended to support complex numbers. "
                           "Please use torch.sgn instead.")
    if input.dtype is _dtype.bool:
        return _with_out(Tensor._make(input._data.copy()), out, "sign")
    return _with_out(Sign.apply(input), out, "sign")


def sgn(input, *, out=None) -> Tensor:
    """sgn(input, *, out=None): input / |input| for complex input (0 at 0), sign otherwise."""
    _check_tensor(input, "sgn")
    if not input.dtype.is_complex:
        return sign(input, out=out)
    mag = abs(input)
    zero = _mask(mag._data == 0)
    return _with_out(input / mag.masked_fill(zero, 1.0), out, "sgn")


def signbit(input, *, out=None) -> Tensor:
    """signbit(input, *, out=None): True where the sign bit is set (-0.0 included)."""
    _check_tensor(input, "signbit")
    x = input._data
    if input.dtype.is_complex:
        raise RuntimeError("signbit is not implemented for complex tensors.")
    xp = xp_of(x)
    r = xp.signbit(x) if input.dtype.is_floating_point else x < 0
    return _with_out(Tensor._make(xp.asarray(r)), out, "signbit")


class Heaviside(_NoGrad):
    op = "heaviside"

    def forward(self, x, v):
        xp = xp_of(x)
        return xp.where(x == 0, v, x > 0).astype(x.dtype)


def heaviside(input: Tensor, values: Tensor, *, out=None) -> Tensor:
    """heaviside(input, values, *, out=None): 0 where input < 0, 1 where > 0, values where 0
    (NaN counts as 0 < NaN false, giving 0, as in torch's kernel)."""
    if not isinstance(values, Tensor):
        raise TypeError(f"heaviside(): argument 'values' must be Tensor, not "
                        f"{type(values).__name__}")
    if input.is_complex() or values.is_complex():
        raise RuntimeError("heaviside is not yet implemented for complex tensors.")
    if input.dtype is not values.dtype:
        raise RuntimeError("heaviside is not yet implemented for tensors with different dtypes.")
    return _with_out(Heaviside.apply(input, values), out, "heaviside")


# ---- rounding ---------------------------------------------------------------------------
class Floor(_Stepwise):
    def forward(self, x):
        return xp_of(x).floor(x)


class Ceil(_Stepwise):
    def forward(self, x):
        return xp_of(x).ceil(x)


class Trunc(_Stepwise):
    def forward(self, x):
        return xp_of(x).trunc(x)


class Round(_Stepwise):
    def forward(self, x, decimals):
        return xp_of(x).round(x, decimals)


def _rounding(cls, name, input, out, *args):
    _check_tensor(input, name)
    if input.dtype.is_complex:
        raise RuntimeError(f"{name} is not supported for complex inputs")
    if input.dtype.category <= 1:  # integers are already rounded: a copy, as in torch
        return _with_out(Tensor._make(input._data.copy()), out, name)
    return _with_out(cls.apply(input, *args), out, name)


def floor(input, *, out=None) -> Tensor:
    """floor(input, *, out=None): largest integer <= input (zero gradient)."""
    return _rounding(Floor, "floor", input, out)


def ceil(input, *, out=None) -> Tensor:
    """ceil(input, *, out=None): smallest integer >= input (zero gradient)."""
    return _rounding(Ceil, "ceil", input, out)


def trunc(input, *, out=None) -> Tensor:
    """trunc(input, *, out=None): round towards zero (zero gradient)."""
    return _rounding(Trunc, "trunc", input, out)


fix = trunc


def round(input, *, decimals: int = 0, out=None) -> Tensor:
    """round(input, *, decimals=0, out=None): round half to even (zero gradient)."""
    return _rounding(Round, "round", input, out, int(decimals))


def frac(input, *, out=None) -> Tensor:
    """frac(input, *, out=None): input - trunc(input), keeping input's sign."""
    _check_tensor(input, "frac")
    if input.dtype.category <= 1:
        raise RuntimeError(f"\"frac_cpu\" not implemented for '{_type_word(input.dtype)}'")
    return _with_out(input - trunc(input), out, "frac")


# ---- clamp -------------------------------------------------------------------------------
class Clamp(Function):
    """z = min(max(x, lo), hi); lo and hi are tensors, scalars or None.

    The gradient reaches x where lo <= x <= hi (bounds inclusive, as in torch), lo where
    x < lo and hi where the value was cut at hi.
    """

    def forward(self, x, lo, hi):
        xp = xp_of(x)
        y = x
        self.ge_lo = self.le_hi = None
        if lo is not None:
            self.ge_lo = x >= lo
            y = xp.maximum(y, lo)
        if hi is not None:
            self.le_hi = y <= hi
            y = xp.minimum(y, hi)
        return y if y is not x else x.copy()

    def backward(self, gz):
        need_x, need_lo, need_hi = self.needs_input_grad
        ge, le = self.ge_lo, self.le_hi
        xp = xp_of(gz._data)
        gx = glo = ghi = None
        if need_x:
            keep = ge if le is None else le if ge is None else ge & le
            gx = gz * _mask(keep)
        if need_lo:
            glo = gz * _mask(~ge if le is None else xp.logical_and(~ge, le))
        if need_hi:
            ghi = gz * _mask(~le)
        return gx, glo, ghi


def clamp(input, min=None, max=None, *, out=None) -> Tensor:
    """clamp(input, min=None, max=None, *, out=None): bound input to [min, max].

    min and max are numbers or tensors (broadcasting); the result dtype promotes over all
    three. Where min > max every element becomes max, as in torch.
    """
    _check_tensor(input, "clamp")
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    min, max = (as_operand(b, input) if b is not None else None for b in (min, max))
    rt = _dtype.result_type(input, *(b for b in (min, max) if b is not None))
    if rt.is_complex:
        raise RuntimeError("clamp is not supported for complex types")
    args = []
    for b in (input, min, max):
        if isinstance(b, Tensor):
            if b is not input:
                check_same_device("clamp", input, b)
            b = b.to(rt) if b.dtype is not rt else b
        args.append(b)
    return _with_out(Clamp.apply(*args), out, "clamp")


clip = clamp


def clamp_min(input, min) -> Tensor:
    """clamp_min(input, min): clamp(input, min=min)."""
    return clamp(input, min, None)


def clamp_max(input, max) -> Tensor:
    """clamp_max(input, max): clamp(input, max=max)."""
    return clamp(input, None, max)


# ---- binary math functions ------------------------------------------------------------------
def _float_binary(input, other, op):
    """binary() with integer/bool results computed in the default float dtype."""
    a, b, rt = binary(input, other, op)
    if rt.category <= 1:
        a, b, rt = binary(a, b, op, dtype=_dtype.get_default_dtype())
        a = float(a) if not isinstance(a, Tensor) else a
        b = float(b) if not isinstance(b, Tensor) else b
    return a, b, rt


class Atan2(Function):
    """z = atan2(x, y): the angle of the point (y, x)."""

    def forward(self, x, y):
        return _xp(x, y).arctan2(x, y)

    def backward(self, gz):
        x, y = self.inputs
        need_x, need_y = self.needs_input_grad
        r2 = x * x + y * y
        return (gz * y / r2 if need_x else None), (-gz * x / r2 if need_y else None)


class Hypot(Function):
    def forward(self, x, y):
        z = _xp(x, y).hypot(x, y)
        self.save_output(z)
        return z

    def backward(self, gz):
        x, y = self.inputs
        need_x, need_y = self.needs_input_grad
        z = self.saved_output(recompute=lambda: hypot(x, y))
        return (gz * x / z if need_x else None), (gz * y / z if need_y else None)


class Copysign(Function):
    def forward(self, x, y):
        xp = xp_of(x)
        z = xp.copysign(x, y)
        nonzero = x != 0  # d/dx copysign(x, y) = +-1, and 0 at x = 0 (torch's choice)
        self.ratio = xp.where(nonzero, z / xp.where(nonzero, x, 1), 0).astype(z.dtype, copy=False)
        return z

    def backward(self, gz):
        need_x, need_y = self.needs_input_grad
        return (gz * _mask(self.ratio) if need_x else None), (gz * 0 if need_y else None)


class Xlogy(Function):
    def forward(self, x, y):
        xp = _xp(x, y)
        z = x * xp.log(y)
        return xp.where((xp.asarray(x) == 0) & ~xp.isnan(y), 0, z).astype(z.dtype, copy=False)

    def backward(self, gz):
        x, y = self.inputs
        need_x, need_y = self.needs_input_grad
        gx = gy = None
        if need_x:
            yy = y._data if isinstance(y, Tensor) else y
            gx = xlogy(gz, y).masked_fill(_mask((x._data == 0) & (yy <= 0)), 0.0)
        if need_y:
            gy = gz * x / y
        return gx, gy


class Logaddexp(Function):
    def forward(self, x, y):
        return _xp(x, y).logaddexp(x, y)

    def backward(self, gz):
        x, y = self.inputs
        need_x, need_y = self.needs_input_grad
        return (gz * sigmoid(x - y) if need_x else None), (gz * sigmoid(y - x) if need_y else None)


def atan2(input, other, *, out=None) -> Tensor:
    """atan2(input, other, *, out=None): the quadrant-aware atan(input / other) (alias arctan2)."""
    a, b, _ = _float_binary(input, other, "atan2")
    with np.errstate(all="ignore"):
        return _with_out(Atan2.apply(a, b), out, "atan2")


arctan2 = atan2


def hypot(input, other, *, out=None) -> Tensor:
    """hypot(input, other, *, out=None): sqrt(input ** 2 + other ** 2) without overflow."""
    a, b, _ = _float_binary(input, other, "hypot")
    with np.errstate(all="ignore"):
        return _with_out(Hypot.apply(a, b), out, "hypot")


def copysign(input, other, *, out=None) -> Tensor:
    """copysign(input, other, *, out=None): |input| with the sign of other (a tensor or number)."""
    _check_tensor(input, "copysign")
    a, b, _ = _float_binary(input, other, "copysign")
    with np.errstate(all="ignore"):
        return _with_out(Copysign.apply(a, b), out, "copysign")


def xlogy(input, other, *, out=None) -> Tensor:
    """xlogy(input, other, *, out=None): input * log(other), 0 where input == 0 (unless other
    is nan).

    Either argument may be a python number.
    """
    a, b, rt = _float_binary(input, other, "xlogy")
    like = a if isinstance(a, Tensor) else b
    # a python number becomes a 0-d constant: numpy would compute log(number) in float64
    a, b = (Tensor._make(xp_of(like._data).asarray(v, dtype=rt.np)) if not isinstance(v, Tensor)
            else v for v in (a, b))
    with np.errstate(all="ignore"):
        return _with_out(Xlogy.apply(a, b), out, "xlogy")


def logaddexp(input, other, *, out=None) -> Tensor:
    """logaddexp(input, other, *, out=None): log(exp(input) + exp(other)) without overflow."""
    a, b, _ = _float_binary(input, other, "logaddexp")
    with np.errstate(all="ignore"):
        return _with_out(Logaddexp.apply(a, b), out, "logaddexp")


def logaddexp2(input: Tensor, other: Tensor, *, out=None) -> Tensor:
    """logaddexp2(input, other, *, out=None): log2(2 ** input + 2 ** other) without overflow."""
    input, other, _ = binary(input, other, "logaddexp2")  # promote before scaling: no precision loss
    ln2 = math.log(2.0)
    return _with_out(logaddexp(input * ln2, other * ln2) / ln2, out, "logaddexp2")


def deg2rad(input, *, out=None) -> Tensor:
    """deg2rad(input, *, out=None): degrees to radians (integers give the default float dtype)."""
    _check_tensor(input, "deg2rad")
    if input.dtype.is_complex:
        raise RuntimeError("deg2rad is not supported for complex tensors.")
    return _with_out(_float_input(input) * (math.pi / 180.0), out, "deg2rad")


def rad2deg(input, *, out=None) -> Tensor:
    """rad2deg(input, *, out=None): radians to degrees (integers give the default float dtype)."""
    _check_tensor(input, "rad2deg")
    if input.dtype.is_complex:
        raise RuntimeError("rad2deg is not supported for complex tensors.")
    return _with_out(_float_input(input) * (180.0 / math.pi), out, "rad2deg")


# ---- nan_to_num ------------------------------------------------------------------------------
class NanToNum(Function):
    def forward(self, x, nan, posinf, neginf):
        xp = xp_of(x)
        self.finite = xp.isfinite(x)
        fill = xp.where(xp.isnan(x), xp.asarray(nan, x.dtype),
                        xp.where(x > 0, xp.asarray(posinf, x.dtype), xp.asarray(neginf, x.dtype)))
        return xp.where(self.finite, x, fill)

    def backward(self, gz):
        return gz * _mask(self.finite)


def nan_to_num(input, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None,
               *, out=None) -> Tensor:
    """nan_to_num(input, nan=0.0, posinf=None, neginf=None, *, out=None).

    Infinities become the dtype's largest / lowest finite values unless given.
    """
    _check_tensor(input, "nan_to_num")
    if input.dtype.category <= 1:
        return _with_out(Tensor._make(input._data.copy()), out, "nan_to_num")
    if input.dtype.is_complex:
        r, i = input.real, input.imag
        return _with_out(nan_to_num(r, nan, posinf, neginf) +
                         nan_to_num(i, nan, posinf, neginf) * 1j, out, "nan_to_num")
    info = _dtype.finfo(input.dtype)
    posinf = info.max if posinf is None else posinf
    neginf = info.min if neginf is None else neginf
    with np.errstate(all="ignore"):
        return _with_out(NanToNum.apply(input, nan, posinf, neginf), out, "nan_to_num")


# torch's autocast float32 list on CUDA (see Function.autocast); on the CPU these run as given
for _cls in (Exp, Expm1, Log, Log1p, Log2, Log10, Rsqrt, Reciprocal, Tan, Asin, Acos, Sinh, Cosh):
    _cls.autocast = "fp32_cuda"
del _cls
