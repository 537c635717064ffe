"""Binary arithmetic: add, sub, mul, div, pow, neg and their operator forms."""
from __future__ import annotations

from .. import _dtype
from .._tensor import Tensor
from ..autograd.function import Function
from ._promote import binary

__all__ = ["add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "neg",
           "negative", "pow"]


# ---- add / sub ------------------------------------------------------------------------
class Add(Function):
    """z = x + alpha * y"""

    def forward(self, x, y, alpha=1):
        self.alpha = alpha
        return x + y if alpha == 1 else x + alpha * y

    def backward(self, gz):
        return gz, (gz if self.alpha == 1 else gz * self.alpha)


class Sub(Function):
    """z = x - alpha * y"""

    def forward(self, x, y, alpha=1):
        self.alpha = alpha
        return x - y if alpha == 1 else x - alpha * y

    def backward(self, gz):
        return gz, (-gz if self.alpha == 1 else gz * -self.alpha)


def add(input, other, *, alpha=1, out=None) -> Tensor:
    """add(input, other, *, alpha=1): input + alpha * other, broadcasting."""
    a, b, rt = binary(input, other, "add")
    if rt is _dtype.bool and alpha == 1:
        return _with_out(_bool_op(a, b, "logical_or"), out)
    return _with_out(Add.apply(a, b, alpha=alpha), out)


def sub(input, other, *, alpha=1, out=None) -> Tensor:
    """sub(input, other, *, alpha=1): input - alpha * other, broadcasting."""
    a, b, rt = binary(input, other, "sub")
    if rt is _dtype.bool:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. "
                           "Use the `^` or `logical_xor()` operator instead.")
    return _with_out(Sub.apply(a, b, alpha=alpha), out)


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
        return x / y

    def backward(self, gz):
        x, y = self.inputs
        need_x, need_y = self.needs_input_grad
        gx = gz / _conj(y) if need_x else None
        gy = -gz * _conj(x) / _conj(y * y) if need_y else None
        return gx, gy


def _conj(x):
    return x.conj() if isinstance(x, Tensor) and x.dtype.is_complex else x


def mul(input, other, *, out=None) -> Tensor:
    """mul(input, other): element-wise product, broadcasting."""
    a, b, rt = binary(input, other, "mul")
    if rt is _dtype.bool:
        return _with_out(_bool_op(a, b, "logical_and"), out)
    return _with_out(Mul.apply(a, b), out)


multiply = mul


def div(input, other, *, rounding_mode=None, out=None) -> Tensor:
    """div(input, other, *, rounding_mode=None|'trunc'|'floor'): true division by default.

    Integer inputs give a default-dtype float result unless a rounding mode is given.
    """
    if rounding_mode is not None:
        from .pointwise import floor_divide, trunc

        if rounding_mode == "floor":
            return _with_out(floor_divide(input, other), out)
        if rounding_mode == "trunc":
            a, b, rt = binary(input, other, "div")
            if rt.category <= 1:
                return _with_out(_int_trunc_div(a, b), out)
            return _with_out(trunc(Div.apply(a, b)), out)
        raise ValueError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but "
                         f"found '{rounding_mode}'")
    a, b, rt = binary(input, other, "div")
    if rt.category <= 1:
        a, b, rt = binary(a, b, "div", dtype=_dtype.get_default_dtype())
    return _with_out(Div.apply(a, b), out)


divide = true_divide = div


def _int_trunc_div(a, b):
    from .._device import xp_of

    aa = a._data if isinstance(a, Tensor) else a
    bb = b._data if isinstance(b, Tensor) else b
    ref = aa if isinstance(a, Tensor) else bb
    xp = xp_of(ref)
    q = xp.floor_divide(aa, bb)
    fix = (xp.remainder(aa, bb) != 0) & ((xp.asarray(aa) < 0) != (xp.asarray(bb) < 0))
    return Tensor._make((q + fix).astype(ref.dtype))


# ---- neg / pow ------------------------------------------------------------------------
class Neg(Function):
    def forward(self, x):
        return -x

    def backward(self, gz):
        return -gz


def neg(input, *, out=None) -> Tensor:
    """neg(input): -input."""
    if input.dtype is _dtype.bool:
        raise RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. If you "
                           "are trying to invert a mask, use the `~` or `logical_not()` operator instead.")
    return _with_out(Neg.apply(input), out)


negative = neg


class Pow(Function):
    """z = x ** y (tensor or scalar exponent, tensor or scalar base)."""

    def forward(self, x, y):
        return x ** y

    def backward(self, gz):
        x, y = self.inputs
        need_x, need_y = self.needs_input_grad
        gx = gy = None
        if need_x:
            if isinstance(y, Tensor):
                gx = gz * y * x ** (y - 1)
            else:
                gx = gz * y * x ** (y - 1) if y != 2 else gz * 2 * x
        if need_y:
            from .pointwise import log

            z = x ** y
            logx = log(x) if isinstance(x, Tensor) else _log_scalar(x, y)
            gy = gz * z * logx
            if isinstance(x, Tensor):  # 0 ** y has derivative 0 in y for y >= 0, not nan
                zero_base = (x._data == 0) & (y._data >= 0)
                gy = gy.masked_fill(Tensor._make(zero_base), 0.0)
        return gx, gy


def _log_scalar(x, like):
    import math

    return math.log(x) if x > 0 else float("nan") if x < 0 else float("-inf")


def pow(input, exponent, *, out=None) -> Tensor:
    """pow(input, exponent): input ** exponent; either may be a scalar."""
    a, b, rt = binary(input, exponent, "pow")
    if rt.category == 1 and (isinstance(b, Tensor) and bool((b._data < 0).any()) or
                             isinstance(b, int) and b < 0):
        raise RuntimeError("Integers to negative integer powers are not allowed.")
    return _with_out(Pow.apply(a, b), out)


# ---- shared helpers -------------------------------------------------------------------
def _bool_op(a, b, name):
    from .._device import xp_of

    aa = a._data if isinstance(a, Tensor) else a
    bb = b._data if isinstance(b, Tensor) else b
    xp = xp_of(aa if isinstance(a, Tensor) else bb)
    return Tensor._make(getattr(xp, name)(aa, bb))


def _with_out(result: Tensor, out: Tensor | None) -> Tensor:
    """Honour torch's ``out=`` argument: copy into out (resizing it) and return it."""
    if out is None:
        return result
    if out.shape != result.shape:  # torch resizes a mis-shaped out
        out._data = result._data.astype(out._data.dtype, copy=True)
        out._vc[0] += 1
        return out
    out._check_inplace("out=")
    out._data[...] = result._data
    out._vc[0] += 1
    return out
