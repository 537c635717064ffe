"""Dtype and device conversion, clone, contiguous: differentiable copies; and detach."""
from __future__ import annotations

from .. import _device, _dtype
from .._tensor import Tensor
from ..autograd.function import Function

__all__ = ["to", "clone", "contiguous", "detach"]


class ToCopy(Function):
    """Copy to another dtype and/or device; the gradient goes back the same way."""

    def forward(self, x, np_dtype, dev):
        self.src_dtype, self.src_dev = x.dtype, _device.device_of(x)
        y = _device.move(x, dev) if dev is not None else x
        if np_dtype is not None and y.dtype != np_dtype:
            if x.dtype.kind == "c" and np_dtype.kind != "c":
                y = y.real
            if np_dtype.kind in "iu" and np_dtype.itemsize < 8 and x.dtype.kind not in "iub":
                # floats reach small ints through int64 and wrap, as torch's casts do on the CPU
                # (a direct cast saturates or zeroes, depending on the float type)
                y = y.astype("int64")
            y = y.astype(np_dtype)
        elif y is x:
            y = x.copy()
        return y

    def backward(self, gz):
        dev = self.src_dev if gz.device != self.src_dev else None
        dt = self.src_dtype if gz._data.dtype != self.src_dtype else None
        if dt is None and dev is None:
            return gz
        return ToCopy.apply(gz, dt, dev)


def _parse_to_args(args, kwargs):
    dev = kwargs.pop("device", None)
    dt = kwargs.pop("dtype", None)
    copy = kwargs.pop("copy", False)
    kwargs.pop("non_blocking", None)
    kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
    for a in args:
        if isinstance(a, bool):  # positional non_blocking / copy flags (torch order)
            copy = copy or (a is args[-1] and len(args) > 1 and isinstance(args[-2], bool))
        elif isinstance(a, Tensor):
            dev, dt = a.device, a.dtype
        elif isinstance(a, _dtype.dtype) or a in (float, int, complex):
            dt = a
        elif isinstance(a, (str, int, _device.device)):
            dev = a
        elif a is not None:
            dt = a
    return (None if dev is None else _device.as_device(dev),
            None if dt is None else _dtype.as_dtype(dt), copy)


def to(input: Tensor, *args, **kwargs) -> Tensor:
    """to(dtype) / to(device=None, dtype=None, copy=False) / to(other).

    Returns input itself when nothing changes, as torch does.
    """
    dev, dt, copy = _parse_to_args(args, dict(kwargs))
    if dev is not None and dev == input.device:
        dev = None
    if dt is not None and dt.np == input._data.dtype:
        dt = None
    if dev is None and dt is None and not copy:
        return input
    if (dev or input.device).type == "cuda" and (dt or input.dtype) is _dtype.bfloat16:
        raise RuntimeError("to(): dpt does not support bfloat16 on CUDA devices (CuPy has no "
                           "bfloat16 dtype); use float16 there")
    return ToCopy.apply(input, None if dt is None else dt.np, dev)


class Clone(Function):
    def forward(self, x):
        return x.copy()

    def backward(self, gz):
        return gz


def clone(input: Tensor, *, memory_format=None) -> Tensor:
    """clone(input): a copy that stays in the graph."""
    return Clone.apply(input)


def contiguous(input: Tensor, memory_format=None) -> Tensor:
    """contiguous(): self if already C-contiguous, else a contiguous copy."""
    if input._data.flags.c_contiguous:
        return input
    return Clone.apply(input)


def detach(input: Tensor) -> Tensor:
    return input.detach()
