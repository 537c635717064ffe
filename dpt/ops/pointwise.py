"""Element-wise math: exp/log family, trigonometry, activations, rounding, logic."""
from __future__ import annotations

from .. import _dtype
from .._device import xp_of
from .._tensor import Tensor
from ..autograd.function import Function
from ..autograd.grad_mode import is_grad_enabled

__all__ = ["exp", "log", "sqrt", "abs", "absolute", "tanh", "sigmoid", "relu", "sign",
           "floor_divide", "trunc", "conj", "real", "imag"]


def _float_input(x: Tensor) -> Tensor:
    """Integer and bool inputs of float-valued functions compute in the default dtype."""
    return x if x.dtype.category >= 2 else x.to(_dtype.get_default_dtype())


class Exp(Function):
    def forward(self, x):
        y = xp_of(x).exp(x)
        self.save_output(y)
        return y

    def backward(self, gz):
        if is_grad_enabled():  # building a graph of the gradient: stay differentiable
            return gz * exp(self.inputs[0])
        return gz * self.saved_output()


def exp(input, *, out=None) -> Tensor:
    """exp(input): e ** input."""
    return Exp.apply(_float_input(input))


class Log(Function):
    def forward(self, x):
        return xp_of(x).log(x)

    def backward(self, gz):
        return gz / self.inputs[0]


def log(input, *, out=None) -> Tensor:
    """log(input): natural logarithm."""
    return Log.apply(_float_input(input))


class Sqrt(Function):
    def forward(self, x):
        y = xp_of(x).sqrt(x)
        self.save_output(y)
        return y

    def backward(self, gz):
        if is_grad_enabled():
            return gz / (2 * sqrt(self.inputs[0]))
        return gz / (2 * self.saved_output())


def sqrt(input, *, out=None) -> Tensor:
    """sqrt(input)."""
    return Sqrt.apply(_float_input(input))


class Abs(Function):
    def forward(self, x):
        return xp_of(x).abs(x)

    def backward(self, gz):
        return gz * sign(self.inputs[0])


def abs(input, *, out=None) -> Tensor:
    """abs(input): |input|."""
    return Abs.apply(input)


absolute = abs


class Sign(Function):
    def forward(self, x):
        return xp_of(x).sign(x)

    def backward(self, gz):
        return gz * 0


def sign(input, *, out=None) -> Tensor:
    """sign(input): -1, 0 or 1."""
    if input.dtype is _dtype.bool:
        return input.clone()
    return Sign.apply(input)


class Tanh(Function):
    def forward(self, x):
        y = xp_of(x).tanh(x)
        self.save_output(y)
        return y

    def backward(self, gz):
        y = tanh(self.inputs[0]) if is_grad_enabled() else self.saved_output()
        return gz * (1 - y * y)


def tanh(input, *, out=None) -> Tensor:
    """tanh(input)."""
    return Tanh.apply(_float_input(input))


class Sigmoid(Function):
    def forward(self, x):
        xp = xp_of(x)
        # Split by sign so exp never overflows.
        e = xp.exp(-xp.abs(x))
        y = xp.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)
        self.save_output(y)
        return y

    def backward(self, gz):
        y = sigmoid(self.inputs[0]) if is_grad_enabled() else self.saved_output()
        return gz * y * (1 - y)


def sigmoid(input, *, out=None) -> Tensor:
    """sigmoid(input): 1 / (1 + exp(-input))."""
    return Sigmoid.apply(_float_input(input))


class Relu(Function):
    def forward(self, x):
        self.mask = x > 0
        return x * self.mask

    def backward(self, gz):
        return gz * Tensor._make(self.mask.astype(gz._data.dtype))


def relu(input) -> Tensor:
    """relu(input): max(input, 0)."""
    return Relu.apply(input)


def floor_divide(input, other, *, out=None) -> Tensor:
    """floor_divide(input, other): floor(input / other), like python's //."""
    from ._promote import binary

    a, b, _ = binary(input, other, "floor_divide")
    aa = a._data if isinstance(a, Tensor) else a
    bb = b._data if isinstance(b, Tensor) else b
    return Tensor._make(xp_of(aa if isinstance(a, Tensor) else bb).floor_divide(aa, bb))


def trunc(input, *, out=None) -> Tensor:
    """trunc(input): round towards zero (zero gradient)."""
    return Tensor._make(xp_of(input._data).trunc(input._data))


class Conj(Function):
    def forward(self, x):
        return x.conj()

    def backward(self, gz):
        return gz.conj()


def conj(input) -> Tensor:
    """conj(input): complex conjugate (self for real tensors)."""
    return Conj.apply(input) if input.dtype.is_complex else input


def real(input) -> Tensor:
    return Tensor._make(input._data.real, base=input) if input.dtype.is_complex else input


def imag(input) -> Tensor:
    if not input.dtype.is_complex:
        raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
    return Tensor._make(input._data.imag, base=input)
