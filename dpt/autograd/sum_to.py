"""sum_to: the one place broadcast gradients are reduced to their input's shape.

Two small Functions, each the other's backward, so ``create_graph=True`` works through
them without reaching up to the op library.
"""
from __future__ import annotations

from .._device import xp_of
from .function import Function


class SumTo(Function):
    """Sum a broadcast gradient back down to shape (leading dims and size-1 dims)."""

    def forward(self, x, shape):
        self.in_shape = x.shape
        lead = x.ndim - len(shape)
        axes = tuple(range(lead)) + tuple(
            lead + i for i, s in enumerate(shape) if s == 1 and x.shape[lead + i] != 1)
        out = x.sum(axis=axes, keepdims=True) if axes else x
        return out.reshape(shape)

    def backward(self, gz):
        return ExpandTo.apply(gz, self.in_shape)


class ExpandTo(Function):
    """Broadcast x to shape (a read-only view; only gradients flow through it)."""

    def forward(self, x, shape):
        self.in_shape = x.shape
        return xp_of(x).broadcast_to(x, shape)

    def backward(self, gz):
        return sum_to(gz, self.in_shape)


def sum_to(x, shape: tuple):
    """Reduce x to shape by summing the dimensions broadcasting added or stretched."""
    if tuple(x.shape) == tuple(shape):
        return x
    return SumTo.apply(x, tuple(shape))
