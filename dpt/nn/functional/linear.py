"""F.linear (one fused matmul + bias) and F.bilinear."""
from __future__ import annotations

import math

from ..._tensor import Tensor
from ...autograd.function import Function

__all__ = ["linear", "bilinear"]


class Linear(Function):
    """y = x @ W.T + b in one BLAS call plus an in-place bias add."""

    autocast = "lower"

    def forward(self, x, w, b=None):
        y = x @ w.T
        if y.dtype != x.dtype:  # numpy multiplies bfloat16 into float32: round back, as torch
            y = y.astype(x.dtype)
        if b is not None:
            y += b
        return y

    def backward(self, gy):
        need = self.needs_input_grad
        gy, x, w = self.operands(gy, *self.inputs[:2])  # raw arrays unless create_graph
        rows = math.prod(x.shape[:-1])  # not -1: reshape cannot infer it when a size is 0
        gy2 = gy.reshape(rows, w.shape[0])
        gx = gy @ w if need[0] else None
        gw = gy2.T @ x.reshape(rows, x.shape[-1]) if need[1] else None
        gb = gy2.sum(0) if len(need) > 2 and need[2] else None
        return (gx, gw) if len(need) == 2 else (gx, gw, gb)


def _shape_str(shape) -> str:
    rows = 1
    for s in shape[:-1]:
        rows *= s
    return f"{rows}x{shape[-1]}"


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """linear(input, weight, bias=None): input @ weight.T + bias.

    input (*, in_features), weight (out_features, in_features), bias (out_features).
    """
    try:  # the hot path: one look at the raw arrays
        x, w = input._data, weight._data
        ok = (x.ndim > 0 and w.ndim == 2 and x.shape[-1] == w.shape[1] and x.dtype == w.dtype
              and type(x) is type(w))
        if bias is not None:
            b = bias._data
            ok = ok and b.dtype == w.dtype and b.shape == (w.shape[0],) and type(b) is type(w)
    except AttributeError:
        ok = False
    if not ok:
        _check_linear_args(input, weight, bias)
    if bias is None:
        return Linear.apply(input, weight)
    return Linear.apply(input, weight, bias)


def _check_linear_args(input, weight, bias) -> None:
    """Raise the error torch would for arguments the fast path refused."""
    if not isinstance(input, Tensor) or not isinstance(weight, Tensor):
        raise TypeError(f"linear(): argument 'input' and 'weight' must be Tensors, got "
                        f"{type(input).__name__} and {type(weight).__name__}")
    if bias is not None and not isinstance(bias, Tensor):
        raise TypeError(f"linear(): argument 'bias' must be a Tensor or None, got "
                        f"{type(bias).__name__}")
    if input.ndim == 0:
        raise RuntimeError("both arguments to linear need to be at least 1D, but they are 0D "
                           f"and {weight.ndim}D")
    if weight.ndim != 2:
        raise RuntimeError(f"linear(): weight must be 2-D (out_features, in_features), got shape "
                           f"{list(weight.shape)}")
    if input.shape[-1] != weight.shape[1]:
        w_t = f"{weight.shape[1]}x{weight.shape[0]}"
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({_shape_str(input.shape)} "
                           f"and {w_t})")
    if input.dtype is not weight.dtype:
        raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got "
                           f"{input.dtype.name} and {weight.dtype.name}")
    devices = {str(t.device) for t in (input, weight, bias) if t is not None}
    if len(devices) > 1:
        raise RuntimeError(f"Expected all tensors to be on the same device, but found at least two "
                           f"devices, {' and '.join(sorted(devices))}!")
    if bias is not None:
        if tuple(bias.shape) != (weight.shape[0],):
            raise RuntimeError(f"linear(): bias of shape {list(bias.shape)} does not match "
                               f"out_features {weight.shape[0]}")
        if bias.dtype is not weight.dtype:
            raise RuntimeError(f"linear(): expected bias to have dtype {weight.dtype.name}, but "
                               f"got {bias.dtype.name}")


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """bilinear(input1, input2, weight, bias=None): y_k = x1^T W_k x2 + b_k.

    input1 (*, in1), input2 (*, in2), weight (out, in1, in2), bias (out).
    """
    if input1.ndim != input2.ndim:
        raise RuntimeError(f"bilinear(): input dimensions do not match: got {input1.ndim} and "
                           f"{input2.ndim}")
    if tuple(input1.shape[:-1]) != tuple(input2.shape[:-1]):
        raise RuntimeError(f"bilinear(): input batch dimensions do not match: got "
                           f"{list(input1.shape[:-1])} and {list(input2.shape[:-1])}")
    if weight.ndim != 3:
        raise RuntimeError(f"bilinear(): weight must be 3-D (out, in1, in2), got "
                           f"{list(weight.shape)}")
    out_f, in1, in2 = weight.shape
    if input1.shape[-1] != in1:
        raise RuntimeError(f"bilinear(): input1 size does not match weight size: got "
                           f"{input1.shape[-1]} but expected {in1}")
    if input2.shape[-1] != in2:
        raise RuntimeError(f"bilinear(): input2 size does not match weight size: got "
                           f"{input2.shape[-1]} but expected {in2}")
    if bias is not None and tuple(bias.shape) != (out_f,):
        raise RuntimeError(f"bilinear(): bias size does not match weight size: got "
                           f"{list(bias.shape)} but expected [{out_f}]")
    batch = tuple(input1.shape[:-1])
    x1 = input1.reshape(-1, in1)
    x2 = input2.reshape(-1, in2)
    # (N, in1) @ (in1, out*in2) -> (N, out, in2), then contract in2 with x2
    w = weight.permute(1, 0, 2).reshape(in1, out_f * in2)
    y = ((x1 @ w).reshape(-1, out_f, in2) * x2.unsqueeze(1)).sum(-1)
    if bias is not None:
        y = y + bias
    return y.reshape(batch + (out_f,))
