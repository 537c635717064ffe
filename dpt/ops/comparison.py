"""Comparisons: eq/ne/lt/le/gt/ge (bool results), equal/allclose/isclose, the element-wise
maximum/minimum family, and the classification tests isfinite/isnan/isinf/... .

Grouped as torch's documentation groups its "Comparison Ops".
"""
from __future__ import annotations

import numpy as np

from .. import _dtype
from .._device import runs_on, xp_of
from .._tensor import Tensor
from ..autograd.function import Function
from ._promote import binary, check_same_device
from .arithmetic import _type_word, _with_out, _xp

__all__ = ["eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less", "less_equal",
           "not_equal", "equal", "allclose", "isclose", "maximum", "minimum", "fmax", "fmin",
           "isfinite", "isnan", "isinf", "isposinf", "isneginf", "isreal"]


# ---- element-wise comparisons ----------------------------------------------------------
_NP_NAME = {"eq": "equal", "ne": "not_equal", "lt": "less", "le": "less_equal", "gt": "greater",
            "ge": "greater_equal"}


@runs_on(1)
def _compare(name, input, other, out):
    a, b, rt = binary(input, other, name)
    if rt.is_complex and name not in ("eq", "ne"):
        dev = "cpu" if (a if isinstance(a, Tensor) else b).is_cpu else "cuda"
        raise RuntimeError(f"\"{name}_{dev}\" not implemented for '{_type_word(rt)}'")
    aa = a._data if isinstance(a, Tensor) else a
    bb = b._data if isinstance(b, Tensor) else b
    r = Tensor._make(getattr(_xp(aa, bb), _NP_NAME[name])(aa, bb))
    return r if out is None else _with_out(r, out, name)


def eq(input, other, *, out=None) -> Tensor:
    """eq(input, other, *, out=None): element-wise ==, as a bool tensor (other may be a number)."""
    return _compare("eq", input, other, out)


def ne(input, other, *, out=None) -> Tensor:
    """ne(input, other, *, out=None): element-wise != (alias not_equal)."""
    return _compare("ne", input, other, out)


def lt(input, other, *, out=None) -> Tensor:
    """lt(input, other, *, out=None): element-wise < (alias less)."""
    return _compare("lt", input, other, out)


def le(input, other, *, out=None) -> Tensor:
    """le(input, other, *, out=None): element-wise <= (alias less_equal)."""
    return _compare("le", input, other, out)


def gt(input, other, *, out=None) -> Tensor:
    """gt(input, other, *, out=None): element-wise > (alias greater)."""
    return _compare("gt", input, other, out)


def ge(input, other, *, out=None) -> Tensor:
    """ge(input, other, *, out=None): element-wise >= (alias greater_equal)."""
    return _compare("ge", input, other, out)


greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


# ---- whole-tensor comparisons -----------------------------------------------------------
@runs_on(0)
def equal(input, other) -> bool:
    """equal(input, other): True when both have the same shape and the same values (nan != nan)."""
    if not isinstance(input, Tensor) or not isinstance(other, Tensor):
        raise TypeError(f"equal(): arguments must be Tensors, got {type(input).__name__} and "
                        f"{type(other).__name__}")
    if tuple(input.shape) != tuple(other.shape):
        return False
    r = _compare("eq", input, other, None)._data
    return bool(xp_of(r).all(r))


@runs_on(0)
def isclose(input, other, rtol: float = 1e-05, atol: float = 1e-08,
            equal_nan: bool = False) -> Tensor:
    """isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False): bool tensor of
    |input - other| <= atol + rtol * |other|; equal values (infinities too) are close.

    input and other must have the same dtype, as in torch.
    """
    if not isinstance(other, Tensor):
        raise TypeError(f"isclose(): argument 'other' (position 2) must be Tensor, not "
                        f"{type(other).__name__}")
    if input.dtype is not other.dtype:
        raise RuntimeError(f"{_type_word(input.dtype)} did not match {_type_word(other.dtype)}")
    if rtol < 0:
        raise RuntimeError(f"rtol must be greater than or equal to zero, but got {rtol}")
    if atol < 0:
        raise RuntimeError(f"atol must be greater than or equal to zero, but got {atol}")
    check_same_device("isclose", input, other)
    a, b = input._data, other._data
    xp = xp_of(a)
    if input.dtype.category <= 1:  # exact types: compare in float64 (bool: close means equal)
        a, b = a.astype(np.float64), b.astype(np.float64)
    elif input.dtype.np.itemsize < 4 and not input.dtype.is_complex:
        a, b = a.astype(np.float32), b.astype(np.float32)
    with np.errstate(all="ignore"):
        close = a == b
        finite = xp.isfinite(a) & xp.isfinite(b)
        close = close | (finite & (xp.abs(a - b) <= atol + rtol * xp.abs(b)))
        if equal_nan:
            close = close | (xp.isnan(a) & xp.isnan(b))
    return Tensor._make(xp.asarray(close))


@runs_on(0)
def allclose(input, other, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: bool = False) -> bool:
    """allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False): isclose(...).all()."""
    r = isclose(input, other, rtol, atol, equal_nan)._data
    return bool(xp_of(r).all(r))


# ---- maximum / minimum -----------------------------------------------------------------
class Maximum(Function):
    """z = max(x, y), nan-propagating; a tie sends half the gradient to each side (as torch)."""

    def forward(self, x, y):
        self.x_wins = (x > y) + 0.5 * (x == y)
        return xp_of(x).maximum(x, y)

    def backward(self, gz):
        return _split(gz, self.x_wins, self.needs_input_grad)


class Minimum(Function):
    """z = min(x, y), nan-propagating; ties split the gradient half-half."""

    def forward(self, x, y):
        self.x_wins = (x < y) + 0.5 * (x == y)
        return xp_of(x).minimum(x, y)

    def backward(self, gz):
        return _split(gz, self.x_wins, self.needs_input_grad)


class Fmax(Function):
    """z = max(x, y) ignoring nan; x takes the whole gradient on ties (as torch)."""

    def forward(self, x, y):
        xp = xp_of(x)
        self.x_wins = ((x >= y) | xp.isnan(y)) + 0.0
        return xp.fmax(x, y)

    def backward(self, gz):
        return _split(gz, self.x_wins, self.needs_input_grad)


class Fmin(Function):
    """z = min(x, y) ignoring nan; x takes the whole gradient on ties."""

    def forward(self, x, y):
        xp = xp_of(x)
        self.x_wins = ((x <= y) | xp.isnan(y)) + 0.0
        return xp.fmin(x, y)

    def backward(self, gz):
        return _split(gz, self.x_wins, self.needs_input_grad)


def _split(gz, x_share, needs):
    """Gradients of a selection: x gets gz * x_share, y gets the rest."""
    share = Tensor._make(x_share.astype(gz._data.dtype, copy=False))
    return (gz * share if needs[0] else None), (gz * (1 - share) if needs[1] else None)


def _minmax(cls, name, input, other, out):
    if not isinstance(input, Tensor) or not isinstance(other, Tensor):
        bad, pos, which = ((input, 1, "input") if not isinstance(input, Tensor)
                           else (other, 2, "other"))
        raise TypeError(f"{name}(): argument '{which}' (position {pos}) must be Tensor, not "
                        f"{type(bad).__name__}")
    a, b, rt = binary(input, other, name)
    if rt.is_complex:
        raise RuntimeError(f"{name}() not implemented for complex tensors.")
    if rt is _dtype.bool:  # no gradient and no 0.5 shares: plain logic
        op = "logical_or" if name in ("maximum", "fmax") else "logical_and"
        r = Tensor._make(getattr(xp_of(a._data), op)(a._data, b._data))
    else:
        r = cls.apply(a, b)
    return _with_out(r, out, name)


def maximum(input, other, *, out=None) -> Tensor:
    """maximum(input, other, *, out=None): element-wise max of two tensors, propagating nan."""
    return _minmax(Maximum, "maximum", input, other, out)


def minimum(input, other, *, out=None) -> Tensor:
    """minimum(input, other, *, out=None): element-wise min of two tensors, propagating nan."""
    return _minmax(Minimum, "minimum", input, other, out)


def fmax(input, other, *, out=None) -> Tensor:
    """fmax(input, other, *, out=None): element-wise max, taking the number where one is nan."""
    return _minmax(Fmax, "fmax", input, other, out)


def fmin(input, other, *, out=None) -> Tensor:
    """fmin(input, other, *, out=None): element-wise min, taking the number where one is nan."""
    return _minmax(Fmin, "fmin", input, other, out)


# ---- classification (bool results) -----------------------------------------------------------
def _classify(input, name, float_fn, exact_value, out=None):
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    x = input._data
    xp = xp_of(x)
    if input.dtype.category <= 1:  # integers are finite, never nan nor inf
        r = xp.full(x.shape, exact_value, dtype=bool)
    else:
        r = xp.asarray(float_fn(xp, x))
    return _with_out(Tensor._make(r), out, name)


def isfinite(input) -> Tensor:
    """isfinite(input): True where input is neither inf, -inf nor nan."""
    return _classify(input, "isfinite", lambda xp, x: xp.isfinite(x), True)


def isnan(input) -> Tensor:
    """isnan(input): True where input is nan."""
    return _classify(input, "isnan", lambda xp, x: xp.isnan(x), False)


def isinf(input) -> Tensor:
    """isinf(input): True where input is +inf or -inf."""
    return _classify(input, "isinf", lambda xp, x: xp.isinf(x), False)


def isposinf(input, *, out=None) -> Tensor:
    """isposinf(input, *, out=None): True where input is +inf."""
    if isinstance(input, Tensor) and input.dtype.is_complex:
        raise RuntimeError("isposinf does not support complex inputs.")
    return _classify(input, "isposinf", lambda xp, x: xp.isposinf(x), False, out)


def isneginf(input, *, out=None) -> Tensor:
    """isneginf(input, *, out=None): True where input is -inf."""
    if isinstance(input, Tensor) and input.dtype.is_complex:
        raise RuntimeError("isneginf does not support complex inputs.")
    return _classify(input, "isneginf", lambda xp, x: xp.isneginf(x), False, out)


def isreal(input) -> Tensor:
    """isreal(input): True where the imaginary part is 0 (everywhere for real dtypes)."""
    if isinstance(input, Tensor) and not input.dtype.is_complex:
        return _classify(input, "isreal", lambda xp, x: xp.ones(x.shape, dtype=bool), True)
    return _classify(input, "isreal", lambda xp, x: x.imag == 0, True)
