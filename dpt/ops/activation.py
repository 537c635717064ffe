"""The activations torch has at top level besides relu/sigmoid/tanh (pointwise.py): softmax,
log_softmax, threshold, selu, celu, hardshrink and prelu; nn.functional re-exports them and
builds its other activations on the _Pointwise base here.

softmax and log_softmax are one stable Function each (max-shifted, never overflows); their
backward is written with dpt ops on the recomputed output when a graph of the gradient is
being built, so double backward works; otherwise it reuses the saved output.
"""
from __future__ import annotations

import numpy as np

from .._device import xp_of
from .._tensor import Tensor, _wrap_dim
from ..autograd.function import Function
from .indexing import where
from .pointwise import clamp_max, exp

__all__ = ["softmax", "log_softmax", "threshold", "threshold_", "selu", "selu_", "celu", "celu_",
           "hardshrink", "prelu"]


def _shifted(x, dim):
    """x minus its max along dim (finite maxima only, so rows of -inf stay -inf, not nan)."""
    xp = xp_of(x)
    if x.size == 0:
        return x
    m = x.max(axis=dim, keepdims=True)
    m = xp.where(xp.isfinite(m), m, 0)
    return x - m


class Softmax(Function):
    """y = exp(x - max) / sum(exp(x - max)) along dim."""
    autocast = "fp32_cuda"  # torch's autocast list


    def forward(self, x, dim):
        self.dim = dim
        xp = xp_of(x)
        with np.errstate(invalid="ignore", over="ignore"):
            e = xp.exp(_shifted(x, dim))
            y = e / e.sum(axis=dim, keepdims=True)
        if not y.flags.c_contiguous:  # torch's softmax output is contiguous (x.t().softmax(1).view(-1))
            y = xp.ascontiguousarray(y)
        self.save_output(y)
        return y

    def backward(self, gy):
        d = self.dim
        y = self.saved_output(recompute=lambda: Softmax.apply(self.inputs[0], d))
        return y * (gy - (gy * y).sum(d, keepdim=True))


class LogSoftmax(Function):
    """y = x - max - log(sum(exp(x - max))) along dim."""
    autocast = "fp32_cuda"  # torch's autocast list


    def forward(self, x, dim):
        self.dim = dim
        xp = xp_of(x)
        with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
            s = _shifted(x, dim)
            y = s - xp.log(xp.exp(s).sum(axis=dim, keepdims=True))
        if not y.flags.c_contiguous:  # contiguous like torch's
            y = xp.ascontiguousarray(y)
        self.save_output(y)
        return y

    def backward(self, gy):
        d = self.dim
        p = self.saved_output(recompute=lambda: LogSoftmax.apply(self.inputs[0], d)).exp()
        return gy - p * gy.sum(d, keepdim=True)


def _prepare(input, dim, dtype, op: str):
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    if dim is None:
        raise TypeError(f"{op}() missing required argument 'dim'")
    if dtype is not None:
        input = input.to(dtype)
    if input.dtype.category < 2:
        raise RuntimeError(f"\"{op}_lastdim_kernel_impl\" not implemented for "
                           f"'{_dtype_word(input.dtype)}'")
    d = _wrap_dim(dim, input.ndim, op)
    return input, d


def _dtype_word(dt) -> str:
    return {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
            "bool": "Bool"}.get(dt.name, dt.name)


def _apply(cls, input, d):
    if input.ndim == 0:  # a 0-d tensor is one row of one element
        return cls.apply(input.reshape(1), 0).reshape(())
    return cls.apply(input, d)


def softmax(input: Tensor, dim: int, dtype=None) -> Tensor:
    """softmax(input, dim, dtype=None): exp(x_i) / sum_j exp(x_j) along dim, computed stably.

    dtype: cast the input to it first (e.g. to avoid overflow in half precision).
    """
    input, d = _prepare(input, dim, dtype, "softmax")
    return _apply(Softmax, input, d)


def log_softmax(input: Tensor, dim: int, dtype=None) -> Tensor:
    """log_softmax(input, dim, dtype=None): x_i - log(sum_j exp(x_j)) along dim, stably."""
    input, d = _prepare(input, dim, dtype, "log_softmax")
    return _apply(LogSoftmax, input, d)


# ---- piecewise activations ---------------------------------------------------------------
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _const(arr) -> Tensor:
    return Tensor._make(arr)


class _Pointwise(Function):
    """y = f(x; params); dy/dx = df(x; params) written with dpt ops (subclasses define both)."""

    def forward(self, x, *params):
        self.params = params
        with np.errstate(over="ignore", invalid="ignore"):
            return self.f(xp_of(x), x, *params).astype(x.dtype, copy=False)

    def backward(self, gz):
        return gz * self.df(self.inputs[0], *self.params)


class _Threshold(_Pointwise):
    @staticmethod
    def f(xp, x, th, value):
        return xp.where(x > th, x, value)

    @staticmethod
    def df(x, th, value):
        return _const((x._data > th).astype(x._data.dtype))


class _Elu(_Pointwise):
    """scale * (x if x > 0 else alpha * (exp(x / beta) - 1)); ELU, SELU (scale) and CELU (beta)."""

    @staticmethod
    def f(xp, x, alpha, scale, beta):
        return scale * xp.where(x > 0, x, alpha * xp.expm1(xp.minimum(x, 0) / beta))

    @staticmethod
    def df(x, alpha, scale, beta):
        pos = _const(x._data > 0)
        neg = exp(clamp_max(x, 0) / beta) * (alpha * scale / beta)
        return where(pos, scale, neg)


class _Shrink(_Pointwise):
    """softshrink (soft=True: x -/+ lambd outside [-lambd, lambd]) or hardshrink (x outside)."""

    @staticmethod
    def f(xp, x, lambd, soft):
        out = xp.where(xp.abs(x) > lambd, x, 0)
        if soft:
            out = out - xp.where(x > lambd, lambd, 0) + xp.where(x < -lambd, lambd, 0)
        return out

    @staticmethod
    def df(x, lambd, soft):
        a = x._data
        return _const((xp_of(a).abs(a) > lambd).astype(a.dtype))


def _check(input, name: str, floating: bool = True) -> None:
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    if floating and input.dtype.category != 2:
        raise RuntimeError(f"\"{name}\" not implemented for '{_dtype_word(input.dtype)}'")


def _maybe_inplace(input: Tensor, out: Tensor, inplace: bool, name: str) -> Tensor:
    return input._inplace(out, name + "_") if inplace else out


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """threshold(input, threshold, value, inplace=False): x if x > threshold else value."""
    _check(input, "threshold", floating=False)
    return _maybe_inplace(input, _Threshold.apply(input, threshold, value), inplace, "threshold")


def threshold_(input: Tensor, threshold: float, value: float) -> Tensor:
    return _threshold(input, threshold, value, inplace=True)


_threshold = threshold  # threshold_'s parameter shadows the function's name


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """selu(input, inplace=False): scale * elu(x, alpha) with the self-normalising constants."""
    _check(input, "selu")
    out = _Elu.apply(input, _SELU_ALPHA, _SELU_SCALE, 1.0)
    return _maybe_inplace(input, out, inplace, "selu")


def selu_(input: Tensor) -> Tensor:
    return selu(input, inplace=True)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """celu(input, alpha=1.0, inplace=False): max(0, x) + min(0, alpha * (exp(x / alpha) - 1))."""
    _check(input, "celu")
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError")
    return _maybe_inplace(input, _Elu.apply(input, alpha, 1.0, alpha), inplace, "celu")


def celu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return celu(input, alpha, inplace=True)


def hardshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """hardshrink(input, lambd=0.5): x where |x| > lambd, else 0."""
    _check(input, "hardshrink")
    return _Shrink.apply(input, lambd, False)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """prelu(input, weight): x if x > 0 else weight * x, weight per channel (dim 1) or shared."""
    _check(input, "prelu")
    n = weight.numel()
    if weight.ndim > 1:
        raise RuntimeError(f"prelu: Expected `weight` to be a scalar or 1D tensor, but got: "
                           f"ndim = {weight.ndim}")
    if input.ndim == 0:
        w = weight.reshape(())
    else:
        channels = input.shape[1] if input.ndim >= 2 else 1
        if n != 1 and n != channels:
            raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found "
                               f"parameter numbers = {n} and channel size = {channels}.")
        if n == 1:
            w = weight.reshape(())
        else:
            w = weight.reshape((n,) + (1,) * (input.ndim - 2))
    return where(_const(input._data > 0), input, w * input)
