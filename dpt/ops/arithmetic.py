"""Arithmetic and logic: add, sub, rsub, mul, div and the division family, pow, addcmul/addcdiv,
lerp, logical_* and bitwise_* ops, gcd/lcm, and the ``out=`` helper shared by every op family."""
from __future__ import annotations

import cmath
import math

import numpy as np

from .. import _dtype
from .._device import device_context, runs_on, xp_of
from .._tensor import Tensor
from ..autograd.function import Function
from ..autograd.grad_mode import _state as _grad_state
from ..autograd.grad_mode import is_grad_enabled
from ._promote import as_operand, binary, check_same_device

_BOOL = _dtype.bool
_ndarray = np.ndarray
_make = Tensor._make

__all__ = ["add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide",
           "floor_divide", "remainder", "fmod", "neg", "negative", "positive", "pow",
           "float_power", "addcmul", "addcdiv", "lerp", "logical_and", "logical_or",
           "logical_xor", "logical_not", "bitwise_and", "bitwise_or", "bitwise_xor",
           "bitwise_not", "bitwise_left_shift", "bitwise_right_shift", "gcd", "lcm", "rsub"]


# ---- the operators' fast path ------------------------------------------------------------
def _plain_arrays(input, other):
    """The arrays of two plain CPU tensors of one numeric dtype that autograd does not
    record, the common case the operators compute directly (no promotion, no node); else
    None. A broadcast failure there falls back to the general path, which names the op."""
    if type(input) is Tensor and type(other) is Tensor:
        a, b = input._data, other._data
        if type(a) is _ndarray and type(b) is _ndarray and a.dtype is b.dtype and \
                a.dtype.kind in "iufc" and not (
                    (input._requires_grad or other._requires_grad) and _grad_state.enabled):
            return a, b
    return None


# ---- add / sub ------------------------------------------------------------------------
class Add(Function):
    """z = x + alpha * y"""

    def forward(self, x, y, alpha=1):
        self.alpha = alpha
        return x + y if alpha == 1 else x + alpha * y

    def backward(self, gz):
        return gz, (gz if self.alpha == 1 else gz * _conj(self.alpha))


class Sub(Function):
    """z = x - alpha * y"""

    def forward(self, x, y, alpha=1):
        self.alpha = alpha
        return x - y if alpha == 1 else x - alpha * y

    def backward(self, gz):
        return gz, (-gz if self.alpha == 1 else gz * -_conj(self.alpha))


def _check_alpha(alpha, rt, name="alpha"):
    if isinstance(alpha, bool) and rt is not _dtype.bool:
        raise RuntimeError(f"Boolean {name} only supported for Boolean results.")
    if isinstance(alpha, float) and rt.category <= 1:
        raise RuntimeError(f"For integral input tensors, argument {name} must not be a floating "
                           f"point number.")
    if isinstance(alpha, complex) and rt.category < 3:
        raise RuntimeError(f"For non-complex input tensors, argument {name} must not be a complex "
                           f"number.")


def add(input, other, *, alpha=1, out=None) -> Tensor:
    """add(input, other, *, alpha=1, out=None): input + alpha * other, broadcasting."""
    if out is None and type(alpha) is int and alpha == 1:
        pair = _plain_arrays(input, other)
        if pair is not None:
            try:
                return _make(pair[0] + pair[1])
            except ValueError:
                pass
    a, b, rt = binary(input, other, "add")
    if alpha != 1 or alpha is True:
        _check_alpha(alpha, rt)
    elif rt is not _BOOL:
        r = Add.apply(a, b)  # alpha == 1: forward and backward treat it as the default
        return r if out is None else _with_out(r, out, "add")
    if rt is _BOOL and alpha == 1:
        r = _raw_binary(a, b, "logical_or")
    else:
        r = Add.apply(a, b, alpha=alpha)
    return r if out is None else _with_out(r, out, "add")


def sub(input, other, *, alpha=1, out=None) -> Tensor:
    """sub(input, other, *, alpha=1, out=None): input - alpha * other, broadcasting."""
    if out is None and type(alpha) is int and alpha == 1:
        pair = _plain_arrays(input, other)
        if pair is not None:
            try:
                return _make(pair[0] - pair[1])
            except ValueError:
                pass
    a, b, rt = binary(input, other, "sub")
    if rt is _dtype.bool:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. "
                           "Use the `^` or `logical_xor()` operator instead.")
    if any(x.dtype is _dtype.bool if isinstance(x, Tensor) else isinstance(x, bool) for x in (input, other)):
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. If you "
                           "are trying to invert a mask, use the `~` or `logical_not()` operator instead.")
    if alpha != 1:
        _check_alpha(alpha, rt)
    r = Sub.apply(a, b, alpha=alpha)
    return r if out is None else _with_out(r, out, "sub")


subtract = sub


# ---- mul / div ------------------------------------------------------------------------
class Mul(Function):
    """z = x * y"""

    def forward(self, x, y):
        return x * y

    def backward(self, gz):
        x, y = self.inputs
        need_x, need_y = self.needs_input_grad
        return (gz * _conj(y) if need_x else None), (gz * _conj(x) if need_y else None)


class Div(Function):
    """z = x / y"""

    def forward(self, x, y):
        with np.errstate(divide="ignore", invalid="ignore"):  # x/0 is inf or nan, silently
            return x / y

    def backward(self, gz):
        x, y = self.inputs
        need_x, need_y = self.needs_input_grad
        gx = gz / _conj(y) if need_x else None
        gy = -gz * _conj(x) / _conj(y * y) if need_y else None
        return gx, gy


def _conj(x):
    """Complex conjugate of a tensor or python number (identity for real ones)."""
    if isinstance(x, Tensor):
        return x.conj() if x.dtype.is_complex else x
    return x.conjugate() if isinstance(x, complex) else x


def mul(input, other, *, out=None) -> Tensor:
    """mul(input, other, *, out=None): element-wise product, broadcasting."""
    if out is None:
        pair = _plain_arrays(input, other)
        if pair is not None:
            try:
                return _make(pair[0] * pair[1])
            except ValueError:
                pass
    a, b, rt = binary(input, other, "mul")
    r = _raw_binary(a, b, "logical_and") if rt is _BOOL else Mul.apply(a, b)
    return r if out is None else _with_out(r, out, "mul")


multiply = mul


def div(input, other, *, rounding_mode=None, out=None) -> Tensor:
    """div(input, other, *, rounding_mode=None, out=None): true division by default.

    Integer inputs give a default-dtype float result unless rounding_mode is 'trunc' or
    'floor', which round the quotient (keeping integer dtypes) and have zero gradient.
    Unlike torch, a float division by zero may print numpy's RuntimeWarning (kept off
    this hot path on purpose); the values are torch's (inf / nan).
    """
    if rounding_mode is None:
        a, b, rt = binary(input, other, "div")
        if rt.category <= 1:
            a, b, rt = binary(a, b, "div", dtype=_dtype.get_default_dtype())
        r = Div.apply(a, b)
        return r if out is None else _with_out(r, out, "div")
    if rounding_mode == "floor":
        return floor_divide(input, other, out=out)
    if rounding_mode == "trunc":
        a, b, rt = binary(input, other, "div")
        if rt.category <= 1:
            _check_int_divisor(b, "div")
        return _with_out(DivTrunc.apply(a, b), out, "div")
    raise ValueError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but "
                     f"found '{rounding_mode}'")


divide = div


def true_divide(dividend, divisor, *, out=None) -> Tensor:
    """true_divide(dividend, divisor, *, out=None): div with rounding_mode=None."""
    return div(dividend, divisor, out=out)


class _NoGrad(Function):
    """Ops torch does not differentiate: the output may require grad, backward says so."""

    def backward(self, *grads):
        raise RuntimeError(f"the derivative for '{self.op}' is not implemented.")


# ---- rounding divisions and remainders ---------------------------------------------------
class _Stepwise(Function):
    """Base of piecewise-constant ops (floor division, rounding): zero gradient everywhere.

    torch still records them, so their results require grad and backprop zeros.
    """

    def backward(self, gz):
        return tuple(gz * 0 if need else None for need in self.needs_input_grad)


class FloorDivide(_Stepwise):
    def forward(self, x, y):
        with np.errstate(all="ignore"):
            return _xp(x, y).floor_divide(x, y)


class DivTrunc(_Stepwise):
    def forward(self, x, y):
        xp = _xp(x, y)
        with np.errstate(all="ignore"):
            if xp.asarray(x).dtype.kind in "fc" or xp.asarray(y).dtype.kind in "fc":
                return xp.trunc(x / y)
            q = xp.floor_divide(x, y)
            # floor rounded a negative inexact quotient down: move it back towards zero
            inexact = (xp.remainder(x, y) != 0) & ((xp.asarray(x) < 0) != (xp.asarray(y) < 0))
            return q + inexact.astype(q.dtype)


def floor_divide(input, other, *, out=None) -> Tensor:
    """floor_divide(input, other, *, out=None): floor(input / other), like python's //."""
    a, b, rt = binary(input, other, "floor_divide")
    if rt.category <= 1:
        _check_int_divisor(b, "floor_divide")
    r = FloorDivide.apply(a, b)
    return r if out is None else _with_out(r, out, "floor_divide")


class Remainder(Function):
    """z = x - floor(x / y) * y: the sign of the divisor, like python's %."""

    def forward(self, x, y):
        with np.errstate(all="ignore"):
            return _xp(x, y).remainder(x, y)

    def backward(self, gz):
        x, y = self.inputs
        need_x, need_y = self.needs_input_grad
        gy = -gz * div(x, y, rounding_mode="floor") if need_y else None
        return (gz if need_x else None), gy


class Fmod(Function):
    """z = x - trunc(x / y) * y: the sign of the dividend, like C's fmod."""

    def forward(self, x, y):
        with np.errstate(all="ignore"):
            return _xp(x, y).fmod(x, y)

    def backward(self, gz):
        x, y = self.inputs
        need_x, need_y = self.needs_input_grad
        gy = -gz * div(x, y, rounding_mode="trunc") if need_y else None
        return (gz if need_x else None), gy


def remainder(input, other, *, out=None) -> Tensor:
    """remainder(input, other, *, out=None): python-style modulus (result has other's sign)."""
    a, b, rt = binary(input, other, "remainder")
    if rt.category <= 1:
        _check_int_divisor(b, "remainder")
    return _with_out(Remainder.apply(a, b), out, "remainder")


def fmod(input, other, *, out=None) -> Tensor:
    """fmod(input, other, *, out=None): C-style remainder (result has input's sign)."""
    a, b, rt = binary(input, other, "fmod")
    if rt.category <= 1:
        _check_int_divisor(b, "fmod")
    return _with_out(Fmod.apply(a, b), out, "fmod")


def _check_int_divisor(b, op):
    """Integer division by zero is an error in torch (checked where it costs no device sync)."""
    bb = b._data if isinstance(b, Tensor) else b
    if isinstance(bb, np.ndarray) and not bb.all() or isinstance(bb, (int, float)) and bb == 0:
        raise RuntimeError(f"ZeroDivisionError ({op}: integer division by zero)")


# ---- neg / positive / pow -----------------------------------------------------------------
class Neg(Function):
    def forward(self, x):
        return -x

    def backward(self, gz):
        return -gz


def neg(input, *, out=None) -> Tensor:
    """neg(input, *, out=None): -input."""
    if input.dtype is _dtype.bool:
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If you "
                           "are trying to invert a mask, use the `~` or `logical_not()` operator "
                           "instead.")
    return _with_out(Neg.apply(input), out, "neg")


negative = neg


def positive(input) -> Tensor:
    """positive(input): input itself (an error for bool tensors, as in torch)."""
    if input.dtype is _dtype.bool:
        raise RuntimeError("The `+` operator, on a bool tensor is not supported.")
    return input


class Pow(Function):
    """z = x ** y (tensor or scalar exponent, tensor or scalar base)."""
    autocast = "fp32_cuda"  # torch's autocast list


    def forward(self, x, y):
        with np.errstate(all="ignore"):
            return x ** y

    def backward(self, gz):
        x, y = self.inputs
        need_x, need_y = self.needs_input_grad
        gx = gy = None
        if need_x:
            if isinstance(y, Tensor):  # d/dx is 0 where the exponent is 0 (not 0 * inf at x=0)
                gx = (gz * _conj(y * x ** (y - 1))).masked_fill(Tensor._make(y._data == 0), 0)
            elif y == 0:
                gx = gz * 0
            elif y == 2:
                gx = gz * _conj(2 * x)
            else:
                gx = gz * _conj(y * x ** (y - 1))
        if need_y:
            with np.errstate(all="ignore"):  # 0 * log(0) below is masked out
                # x.log() is pointwise.log, reached through Tensor: pointwise imports this file
                logx = x.log() if isinstance(x, Tensor) else _log_scalar(x)
                gy = gz * _conj(x ** y * logx)
            if isinstance(x, Tensor):  # 0 ** y has derivative 0 in y for y >= 0, not nan
                zero_base = (x._data == 0) & (y._data.real >= 0)
                gy = gy.masked_fill(Tensor._make(zero_base), 0.0)
        return gx, gy


def _log_scalar(x):
    if isinstance(x, complex):
        return cmath.log(x)
    return math.log(x) if x > 0 else float("nan") if x < 0 else float("-inf")


def pow(input, exponent, *, out=None) -> Tensor:
    """pow(input, exponent, *, out=None): input ** exponent; either may be a python scalar."""
    a, b, rt = binary(input, exponent, "pow")
    if rt.category <= 1:
        if isinstance(b, Tensor) and b.is_cpu and bool((b._data < 0).any()) or \
                type(exponent) is int and exponent < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        if type(exponent) is int and b != exponent:  # binary() wrapped it: torch refuses here
            raise RuntimeError(f"value cannot be converted to type {rt.name} without overflow")
        if rt is _dtype.bool:  # numpy has no bool power: compute in int64, return bool as torch
            a, b, _ = binary(a, b, "pow", dtype=_dtype.int64)
            return _with_out(Pow.apply(a, b).to(_dtype.bool), out, "pow")
    return _with_out(Pow.apply(a, b), out, "pow")


def float_power(input, exponent, *, out=None) -> Tensor:
    """float_power(input, exponent, *, out=None): pow computed (and returned) in float64.

    complex128 when either operand is complex.
    """
    cplx = any(isinstance(v, complex) or isinstance(v, Tensor) and v.dtype.is_complex
               for v in (input, exponent))
    a, b, _ = binary(input, exponent, "float_power",
                     dtype=_dtype.complex128 if cplx else _dtype.float64)
    if not isinstance(b, Tensor):
        b = complex(b) if cplx else float(b)
    if not isinstance(a, Tensor):
        a = complex(a) if cplx else float(a)
    return _with_out(Pow.apply(a, b), out, "float_power")


# ---- fused multiply-adds and lerp ----------------------------------------------------------
def addcmul(input, tensor1, tensor2, *, value=1, out=None) -> Tensor:
    """addcmul(input, tensor1, tensor2, *, value=1, out=None): input + value * tensor1 * tensor2."""
    prod = tensor1 * tensor2
    return _with_out(input + (prod if value == 1 else value * prod), out, "addcmul")


def addcdiv(input, tensor1, tensor2, *deprecated, value=1, out=None) -> Tensor:
    """addcdiv(input, tensor1, tensor2, *, value=1, out=None): input + value * tensor1 / tensor2.

    The deprecated order addcdiv(input, value, tensor1, tensor2) of old tutorials also works.
    """
    if deprecated:
        if len(deprecated) != 1 or isinstance(tensor1, Tensor):
            raise TypeError("addcdiv() takes input, tensor1, tensor2 and the keyword value=")
        value, tensor1, tensor2 = tensor1, tensor2, deprecated[0]
    if tensor1.dtype.category <= 1 and tensor2.dtype.category <= 1:
        raise RuntimeError("Integer division with addcdiv is no longer supported, and in a future "
                           "release addcdiv will perform a true division of tensor1 and tensor2. "
                           "Use (input + value * tensor1 / tensor2) instead.")
    quot = tensor1 / tensor2
    return _with_out(input + (quot if value == 1 else value * quot), out, "addcdiv")


def lerp(input, end, weight, *, out=None) -> Tensor:
    """lerp(input, end, weight, *, out=None): input + weight * (end - input).

    weight is a python number or a tensor; input and end must share a floating dtype.
    """
    if not isinstance(end, Tensor):
        raise TypeError(f"lerp(): argument 'end' (position 2) must be Tensor, not {type(end).__name__}")
    if end.dtype is not input.dtype:
        raise RuntimeError(f"expected dtype {input.dtype.name} for `end` but got dtype "
                           f"{end.dtype.name}")
    if input.dtype.category < 2:
        raise RuntimeError(f"\"lerp_kernel_scalar\" not implemented for "
                           f"'{_type_word(input.dtype)}'")
    if isinstance(weight, Tensor) and weight.dtype is not input.dtype:
        raise RuntimeError(f"expected dtype {input.dtype.name} for `weight` but got dtype "
                           f"{weight.dtype.name}")
    return _with_out(input + weight * (end - input), out, "lerp")


# ---- logical and bitwise ops (no gradients) ------------------------------------------------
def _logical(op, input, other, out):
    for pos, (name, x) in enumerate((("input", input), ("other", other)), 1):
        if not isinstance(x, Tensor):
            raise TypeError(f"{op}(): argument '{name}' (position {pos}) must be Tensor, not "
                            f"{type(x).__name__}")
    a = as_operand(input)
    b = as_operand(other, a if isinstance(a, Tensor) else None)
    if isinstance(a, Tensor) and isinstance(b, Tensor):
        check_same_device(op, a, b)
    return _with_out(_raw_binary(a, b, op), out, op)


def logical_and(input, other, *, out=None) -> Tensor:
    """logical_and(input, other, *, out=None): bool tensor, nonzero treated as True."""
    return _logical("logical_and", input, other, out)


def logical_or(input, other, *, out=None) -> Tensor:
    """logical_or(input, other, *, out=None)."""
    return _logical("logical_or", input, other, out)


def logical_xor(input, other, *, out=None) -> Tensor:
    """logical_xor(input, other, *, out=None)."""
    return _logical("logical_xor", input, other, out)


@runs_on(0)
def logical_not(input, *, out=None) -> Tensor:
    """logical_not(input, *, out=None): bool tensor, True where input is zero."""
    return _with_out(Tensor._make(xp_of(input._data).logical_not(input._data)), out, "logical_not")


_KERNEL = {"bitwise_and": "bitwise_and", "bitwise_or": "bitwise_or", "bitwise_xor": "bitwise_xor",
           "bitwise_not": "bitwise_not", "left_shift": "lshift", "right_shift": "rshift"}


def _bitwise(op, input, other, out):
    a, b, rt = binary(input, other, "bitwise_" + op.removeprefix("bitwise_"))
    shift = op.endswith("shift")
    if rt.category > 1 or shift and rt is _dtype.bool:
        dev = "cpu" if (a if isinstance(a, Tensor) else b).is_cpu else "cuda"
        raise RuntimeError(f"\"{_KERNEL[op]}_{dev}\" not implemented for '{_type_word(rt)}'")
    return _with_out(_raw_binary(a, b, op), out, op)


def bitwise_and(input, other, *, out=None) -> Tensor:
    """bitwise_and(input, other, *, out=None): integer and bool tensors only."""
    return _bitwise("bitwise_and", input, other, out)


def bitwise_or(input, other, *, out=None) -> Tensor:
    """bitwise_or(input, other, *, out=None): integer and bool tensors only."""
    return _bitwise("bitwise_or", input, other, out)


def bitwise_xor(input, other, *, out=None) -> Tensor:
    """bitwise_xor(input, other, *, out=None): integer and bool tensors only."""
    return _bitwise("bitwise_xor", input, other, out)


def bitwise_left_shift(input, other, *, out=None) -> Tensor:
    """bitwise_left_shift(input, other, *, out=None): input << other (integer tensors)."""
    return _bitwise("left_shift", input, other, out)


def bitwise_right_shift(input, other, *, out=None) -> Tensor:
    """bitwise_right_shift(input, other, *, out=None): arithmetic input >> other."""
    return _bitwise("right_shift", input, other, out)


@runs_on(0)
def bitwise_not(input, *, out=None) -> Tensor:
    """bitwise_not(input, *, out=None): ~input (logical not for bool tensors)."""
    if input.dtype.category > 1:
        dev = "cpu" if input.is_cpu else "cuda"
        raise RuntimeError(f"\"bitwise_not_{dev}\" not implemented for '{_type_word(input.dtype)}'")
    return _with_out(Tensor._make(xp_of(input._data).invert(input._data)), out, "bitwise_not")


# ---- shared helpers -------------------------------------------------------------------
_SCALAR_TYPES = (bool, int, float, complex)


def _xp(x, y):
    """The array module of a forward's operands (one of them may be a python scalar)."""
    return xp_of(y if isinstance(x, _SCALAR_TYPES) else x)


def _raw_binary(a, b, name):
    """A non-differentiable binary ufunc on tensors/scalars, as a new tensor."""
    aa = a._data if isinstance(a, Tensor) else a
    bb = b._data if isinstance(b, Tensor) else b
    with device_context((a if isinstance(a, Tensor) else b).device):
        return Tensor._make(getattr(_xp(aa, bb), name)(aa, bb))


# ---- integer gcd/lcm, rsub --------------------------------------------------------------
def _int_binary(input, other, op):
    a, b, rt = binary(input, other, op)
    if rt.category != 1:
        raise RuntimeError(f"\"{op}_cpu\" not implemented for '{rt.name}'")
    aa = a._data if isinstance(a, Tensor) else a
    bb = b._data if isinstance(b, Tensor) else b
    t = a if isinstance(a, Tensor) else b
    xp = xp_of(t._data)
    with device_context(t.device):
        return Tensor._make(xp.asarray(getattr(xp, op)(aa, bb)).astype(rt.np, copy=False))


def gcd(input: Tensor, other: Tensor, *, out=None) -> Tensor:
    """gcd(input, other, *, out=None): elementwise greatest common divisor (integers)."""
    return _with_out(_int_binary(input, other, "gcd"), out, "gcd")


def lcm(input: Tensor, other: Tensor, *, out=None) -> Tensor:
    """lcm(input, other, *, out=None): elementwise least common multiple (integers)."""
    return _with_out(_int_binary(input, other, "lcm"), out, "lcm")


def rsub(input: Tensor, other, *, alpha=1) -> Tensor:
    """rsub(input, other, *, alpha=1): other - alpha * input."""
    return other - (input if alpha == 1 else input * alpha)


_TYPE_WORDS = {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16",
               "int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
               "bool": "Bool", "complex64": "ComplexFloat", "complex128": "ComplexDouble"}


def _type_word(dt: _dtype.dtype) -> str:
    """torch's scalar-type name of a dtype, as its error messages spell it (Float, Long...)."""
    return _TYPE_WORDS[dt.name]


@runs_on(1)
def _with_out(result: Tensor, out: Tensor | None, op: str = "out=") -> Tensor:
    """Honour torch's ``out=`` argument: copy result into out (resizing it) and return out.

    As in torch, out= does not support autograd, and the result dtype must be castable to
    out's dtype (no float into an integer tensor).
    """
    if out is None:
        return result
    if not isinstance(out, Tensor):
        raise TypeError(f"{op}(): argument 'out' must be Tensor, not {type(out).__name__}")
    if is_grad_enabled() and (result.requires_grad or out.requires_grad):
        raise RuntimeError(f"{op}(): functions with out=... arguments don't support automatic "
                           f"differentiation, but one of the arguments requires grad.")
    if out.device != result.device:
        raise RuntimeError(f"Expected out tensor to have device {result.device}, but got "
                           f"{out.device} instead")
    if not _dtype.can_cast(result.dtype, out.dtype):
        raise RuntimeError(f"result type {_type_word(result.dtype)} can't be cast to the desired "
                           f"output type {_type_word(out.dtype)}")
    src = result._data
    if src.dtype.kind == "c" and out._data.dtype.kind != "c":
        src = src.real
    if out._data.shape != src.shape:  # torch resizes a mis-shaped out
        out._data = src.astype(out._data.dtype, copy=True)
    else:
        out._data[...] = src
    out._vc[0] += 1
    return out
