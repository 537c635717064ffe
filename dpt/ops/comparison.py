"""Comparisons: eq, ne, lt, le, gt, ge (bool results, no gradient) and equal/allclose."""
from __future__ import annotations

from .._device import xp_of
from .._tensor import Tensor
from ._promote import binary

__all__ = ["eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less", "less_equal",
           "not_equal", "equal"]


def _compare(name, a, b):
    a, b, _ = binary(a, b, name)
    aa = a._data if isinstance(a, Tensor) else a
    bb = b._data if isinstance(b, Tensor) else b
    xp = xp_of(aa if isinstance(a, Tensor) else bb)
    return Tensor._make(getattr(xp, _NP_NAME[name])(aa, bb))


_NP_NAME = {"eq": "equal", "ne": "not_equal", "lt": "less", "le": "less_equal", "gt": "greater",
            "ge": "greater_equal"}


def eq(input, other, *, out=None) -> Tensor:
    """eq(input, other): element-wise ==, as a bool tensor."""
    return _compare("eq", input, other)


def ne(input, other, *, out=None) -> Tensor:
    return _compare("ne", input, other)


def lt(input, other, *, out=None) -> Tensor:
    return _compare("lt", input, other)


def le(input, other, *, out=None) -> Tensor:
    return _compare("le", input, other)


def gt(input, other, *, out=None) -> Tensor:
    return _compare("gt", input, other)


def ge(input, other, *, out=None) -> Tensor:
    return _compare("ge", input, other)


greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


def equal(input, other) -> bool:
    """equal(input, other): True when shapes and all values agree."""
    return tuple(input.shape) == tuple(other.shape) and bool((input == other).all())
