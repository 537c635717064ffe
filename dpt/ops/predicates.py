"""Questions about a tensor that torch answers at top level: is_nonzero, is_floating_point,
is_complex, is_signed, is_same_size, is_storage."""
from __future__ import annotations

import builtins

from .._tensor import Tensor

__all__ = ["is_storage", "is_nonzero", "is_floating_point", "is_complex", "is_signed",
           "is_same_size"]


def is_storage(obj) -> bool:
    """is_storage(obj): always False, dpt tensors own plain arrays and have no storages."""
    return False


def is_nonzero(input: Tensor) -> bool:
    """is_nonzero(input): bool of a one-element tensor (errors for 0 or several elements)."""
    n = input.numel()
    if n == 0:
        raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
    if n > 1:
        raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
    return builtins.bool(input.item())


def is_floating_point(input: Tensor) -> bool:
    return input.is_floating_point()


def is_complex(input: Tensor) -> bool:
    return input.is_complex()


def is_signed(input: Tensor) -> bool:
    return input.is_signed()


def is_same_size(input: Tensor, other: Tensor) -> bool:
    return input.shape == other.shape
