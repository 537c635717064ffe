"""Activation functions and the softmax family (attention is in attention.py).

torch's top-level activations (relu, sigmoid, tanh, threshold, selu, celu, hardshrink, prelu,
softmax) live in dpt/ops and are re-exported here (F.relu and F.softmax wrap them to add
torch.nn.functional's extra arguments). Each piecewise or saturating activation is one
Function: forward on raw arrays, backward ``grad * f'(x)`` with f' written in dpt ops
(constant masks for the piecewise parts), so double backward works. Smooth compositions
(softsign, tanhshrink, glu) use dpt ops directly.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from ... import ops, random as _random
from ..._device import runs_on, xp_of
from ..._tensor import Tensor, _wrap_dim
from ...autograd.function import Function
from ...ops.activation import (_check, _const, _Elu, _maybe_inplace, _Pointwise, _Shrink, celu,
                               celu_, hardshrink, prelu, selu, selu_, threshold, threshold_)
from ...ops.pointwise import sigmoid, tanh
from ...ops.special_functions import _special

__all__ = ["threshold", "threshold_", "relu", "relu_", "relu6", "hardtanh", "hardtanh_",
           "leaky_relu", "leaky_relu_", "prelu", "elu", "elu_", "selu", "selu_", "celu", "celu_",
           "rrelu", "rrelu_", "gelu", "silu", "mish", "sigmoid", "tanh", "softplus", "softsign",
           "softshrink", "hardshrink", "tanhshrink", "hardsigmoid", "hardswish", "glu", "logsigmoid",
           "softmax", "log_softmax", "softmin"]

class _Hardtanh(_Pointwise):
    @staticmethod
    def f(xp, x, lo, hi):
        return xp.clip(x, lo, hi)

    @staticmethod
    def df(x, lo, hi):
        a = x._data
        return _const(((a > lo) & (a < hi)).astype(a.dtype))


class _LeakyRelu(_Pointwise):
    @staticmethod
    def f(xp, x, slope):
        return xp.where(x > 0, x, x * slope)

    @staticmethod
    def df(x, slope):
        a = x._data
        return _const(xp_of(a).where(a > 0, 1.0, slope).astype(a.dtype))


class _Gelu(_Pointwise):
    @staticmethod
    def f(xp, x, approximate):
        if approximate == "tanh":
            k = math.sqrt(2 / math.pi)
            return 0.5 * x * (1 + xp.tanh(k * (x + 0.044715 * x ** 3)))
        return 0.5 * x * (1 + _special(xp.asarray(x * (1 / math.sqrt(2))), "erf"))

    @staticmethod
    def df(x, approximate):
        if approximate == "tanh":
            k = math.sqrt(2 / math.pi)
            t = ops.tanh(k * (x + 0.044715 * x ** 3))
            return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * (k * (1 + 3 * 0.044715 * x * x))
        cdf = 0.5 * (1 + ops.erf(x * (1 / math.sqrt(2))))
        pdf = ops.exp(-0.5 * x * x) * (1 / math.sqrt(2 * math.pi))
        return cdf + x * pdf


class _Silu(_Pointwise):
    @staticmethod
    def f(xp, x):
        return x * _np_sigmoid(xp, x)

    @staticmethod
    def df(x):
        s = ops.sigmoid(x)
        return s * (1 + x * (1 - s))


class _Mish(_Pointwise):
    @staticmethod
    def f(xp, x):
        return x * xp.tanh(_np_softplus(xp, x))

    @staticmethod
    def df(x):
        t = ops.tanh(_softplus_t(x))
        return t + x * ops.sigmoid(x) * (1 - t * t)


class _Softplus(_Pointwise):
    @staticmethod
    def f(xp, x, beta, th):
        return xp.where(x * beta > th, x, _np_softplus(xp, x * beta) / beta)

    @staticmethod
    def df(x, beta, th):
        lin = _const(x._data * beta > th)
        return ops.where(lin, 1.0, ops.sigmoid(x * beta))


class _LogSigmoid(_Pointwise):
    @staticmethod
    def f(xp, x):
        return -_np_softplus(xp, -x)

    @staticmethod
    def df(x):
        return ops.sigmoid(-x)


class _Hardsigmoid(_Pointwise):
    @staticmethod
    def f(xp, x):
        return xp.clip(x / 6 + 0.5, 0, 1)

    @staticmethod
    def df(x):
        a = x._data
        return _const(((a > -3) & (a < 3)).astype(a.dtype) / 6)


class _Hardswish(_Pointwise):
    @staticmethod
    def f(xp, x):
        return x * xp.clip(x + 3, 0, 6) / 6

    @staticmethod
    def df(x):
        a = x._data
        mid = _const((a >= -3) & (a <= 3))
        hi = _const((a > 3).astype(a.dtype))
        return ops.where(mid, (2 * x + 3) / 6, hi)


class _RRelu(Function):
    """x where x > 0, else x * noise; the slopes are drawn once, in forward, and reused by
    backward (d/dx = noise, a constant)."""

    def forward(self, x, noise):
        self.noise = noise
        return x * noise

    def backward(self, gz):
        return gz * _const(self.noise)


def _np_sigmoid(xp, x):
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1 / (1 + e), e / (1 + e))


def _np_softplus(xp, x):
    """log(1 + exp(x)) without overflow."""
    return xp.maximum(x, 0) + xp.log1p(xp.exp(-xp.abs(x)))


def _softplus_t(x: Tensor) -> Tensor:
    return softplus(x)


# ---- public functions ------------------------------------------------------------------
def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """relu(input, inplace=False): max(x, 0)."""
    _check(input, "relu", floating=False)
    return input.relu_() if inplace else ops.relu(input)


def relu_(input: Tensor) -> Tensor:
    return relu(input, inplace=True)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    """hardtanh(input, min_val=-1., max_val=1., inplace=False): x clipped to [min_val, max_val]."""
    _check(input, "hardtanh", floating=False)
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _maybe_inplace(input, _Hardtanh.apply(input, min_val, max_val), inplace, "hardtanh")


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    return hardtanh(input, min_val, max_val, inplace=True)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """relu6(input, inplace=False): min(max(0, x), 6)."""
    return hardtanh(input, 0.0, 6.0, inplace)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """leaky_relu(input, negative_slope=0.01, inplace=False): x if x > 0 else negative_slope * x."""
    _check(input, "leaky_relu")
    return _maybe_inplace(input, _LeakyRelu.apply(input, negative_slope), inplace, "leaky_relu")


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    return leaky_relu(input, negative_slope, inplace=True)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """elu(input, alpha=1.0, inplace=False): x if x > 0 else alpha * (exp(x) - 1)."""
    _check(input, "elu")
    return _maybe_inplace(input, _Elu.apply(input, alpha, 1.0, 1.0), inplace, "elu")


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return elu(input, alpha, inplace=True)


@runs_on(0)
def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,
          inplace: bool = False) -> Tensor:
    """rrelu(input, lower=1/8, upper=1/3, training=False, inplace=False): x if x > 0 else a * x,
    with a drawn uniformly from [lower, upper] per element while training and
    a = (lower + upper) / 2 otherwise."""
    _check(input, "rrelu_with_noise")
    if lower > upper:
        raise RuntimeError("Lower bound should be less than or equal to the upper bound")
    if not training:
        return _maybe_inplace(input, _LeakyRelu.apply(input, (lower + upper) / 2), inplace,
                              "rrelu")
    a = input._data
    g = _random.default_generator_for(input.device)
    wd = np.float64 if a.dtype == np.float64 else np.float32
    slope = lower + (upper - lower) * g._uniform(tuple(a.shape), wd)
    noise = xp_of(a).where(a <= 0, slope, 1).astype(a.dtype)
    return _maybe_inplace(input, _RRelu.apply(input, noise), inplace, "rrelu")


def rrelu_(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
           training: bool = False) -> Tensor:
    return rrelu(input, lower, upper, training, inplace=True)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """gelu(input, approximate='none'): x * Phi(x); approximate='tanh' uses the tanh formula."""
    _check(input, "gelu")
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    return _Gelu.apply(input, approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """silu(input, inplace=False): x * sigmoid(x)."""
    _check(input, "silu")
    return _maybe_inplace(input, _Silu.apply(input), inplace, "silu")


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """mish(input, inplace=False): x * tanh(softplus(x))."""
    _check(input, "mish")
    return _maybe_inplace(input, _Mish.apply(input), inplace, "mish")


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """softplus(input, beta=1.0, threshold=20.0): log(1 + exp(beta * x)) / beta, and x itself
    where beta * x > threshold."""
    _check(input, "softplus")
    return _Softplus.apply(input, beta, threshold)


def softsign(input: Tensor) -> Tensor:
    """softsign(input): x / (1 + |x|)."""
    _check(input, "softsign")
    return input / (input.abs() + 1)


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """softshrink(input, lambd=0.5): x - lambd if x > lambd, x + lambd if x < -lambd, else 0."""
    _check(input, "softshrink")
    if lambd < 0:
        raise RuntimeError(f"softshrink: lambda must be greater or equal to 0, but found to be "
                           f"{float(lambd)}.")
    return _Shrink.apply(input, lambd, True)


def tanhshrink(input: Tensor) -> Tensor:
    """tanhshrink(input): x - tanh(x)."""
    _check(input, "tanhshrink")
    return input - ops.tanh(input)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """hardsigmoid(input, inplace=False): 0 if x <= -3, 1 if x >= 3, else x / 6 + 1 / 2."""
    _check(input, "hardsigmoid")
    return _maybe_inplace(input, _Hardsigmoid.apply(input), inplace, "hardsigmoid")


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """hardswish(input, inplace=False): x * relu6(x + 3) / 6."""
    _check(input, "hardswish")
    return _maybe_inplace(input, _Hardswish.apply(input), inplace, "hardswish")


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """glu(input, dim=-1): a * sigmoid(b) where a, b are the halves of input along dim."""
    _check(input, "glu")
    if input.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = _wrap_dim(dim, input.ndim, "glu")
    n = input.shape[d]
    if n % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size {n}")
    a, b = input.split(n // 2, d)
    return a * ops.sigmoid(b)


def logsigmoid(input: Tensor) -> Tensor:
    """logsigmoid(input): log(1 / (1 + exp(-x))), computed without overflow."""
    _check(input, "log_sigmoid_forward")
    return _LogSigmoid.apply(input)


# ---- softmax family ----------------------------------------------------------------------
def _get_softmax_dim(name: str, ndim: int, stacklevel: int) -> int:
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call "
                  f"to include dim=X as an argument.", UserWarning, stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """softmax(input, dim=None, _stacklevel=3, dtype=None): exp(x_i) / sum_j exp(x_j) along dim.

    dim=None picks a dimension as torch does (0 for 0-, 1- and 3-d input, else 1) and warns.
    """
    if dim is None:
        dim = _get_softmax_dim("softmax", input.ndim, _stacklevel)
    return ops.softmax(input, dim, dtype=dtype)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
                dtype=None) -> Tensor:
    """log_softmax(input, dim=None, _stacklevel=3, dtype=None): log(softmax(x)) along dim."""
    if dim is None:
        dim = _get_softmax_dim("log_softmax", input.ndim, _stacklevel)
    return ops.log_softmax(input, dim, dtype=dtype)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """softmin(input, dim=None, _stacklevel=3, dtype=None): softmax(-x) along dim."""
    if dim is None:
        dim = _get_softmax_dim("softmin", input.ndim, _stacklevel)
    if dtype is not None:
        input = input.to(dtype)
    return ops.softmax(-input, dim)
