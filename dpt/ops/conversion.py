"""Dtype and device conversion, clone, contiguous: differentiable copies; and detach."""
from __future__ import annotations

from .. import _device, _dtype, _memory_format
from .._tensor import Tensor
from ..autograd.function import Function

__all__ = ["to", "clone", "contiguous", "detach"]


class ToCopy(Function):
    """Copy to another dtype and/or device; the gradient goes back the same way."""

    def forward(self, x, np_dtype, dev, fmt=None):
        self.src_dtype, self.src_dev = x.dtype, _device.device_of(x)
        # lay the source out first: astype and device moves keep the stride order
        src, x = x, _memory_format.convert(x, fmt, "to", False)
        y = _device.move(x, dev) if dev is not None else x
        if np_dtype is not None and y.dtype != np_dtype:
            if x.dtype.kind == "c" and np_dtype.kind != "c":
                y = y.real
            if np_dtype.kind in "iu" and np_dtype.itemsize < 8 and x.dtype.kind not in "iub":
                # floats reach small ints through int64 and wrap, as torch's casts do on the CPU
                # (a direct cast saturates or zeroes, depending on the float type)
                y = y.astype("int64")
            y = y.astype(np_dtype)
        elif y is src:
            y = x.copy(order="K")  # torch's copy=True preserves the strides
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
    _memory_format.check_format(kwargs.pop("memory_format", None), "to")  # to() reads it
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
    """to(dtype) / to(device=None, dtype=None, copy=False, memory_format=preserve_format) /
    to(other).

    Returns input itself when nothing changes, as torch does. A memory_format other than
    preserve_format that the strides do not already have makes a copy in that format.
    """
    fmt = _memory_format.check_format(kwargs.get("memory_format"), "to")
    dev, dt, copy = _parse_to_args(args, dict(kwargs))
    if fmt is not None and fmt is not _memory_format.preserve_format and \
            not _memory_format.is_contiguous(input._data, fmt):
        copy = True
    if dev is not None and dev == input.device:
        dev = None
    if dt is not None and dt.np == input._data.dtype:
        dt = None
    if dev is None and dt is None and not copy:
        return input
    if (dev or input.device).type == "cuda" and (dt or input.dtype) is _dtype.bfloat16:
        raise RuntimeError("to(): dpt does not support bfloat16 on CUDA devices (CuPy has no "
                           "bfloat16 dtype); use float16 there")
    return ToCopy.apply(input, None if dt is None else dt.np, dev, fmt)


class Clone(Function):
    def forward(self, x, fmt=None):
        return _memory_format.convert(x, fmt, "clone", True)

    def backward(self, gz):
        return gz


def clone(input: Tensor, *, memory_format=None) -> Tensor:
    """clone(input, *, memory_format=dpt.preserve_format): a copy that stays in the graph;
    it keeps input's strides when input is dense (torch's preserve rule, dpt/_memory_format)."""
    return Clone.apply(input, _memory_format.check_format(memory_format, "clone"))


def contiguous(input: Tensor, memory_format=None) -> Tensor:
    """contiguous(memory_format=dpt.contiguous_format): self if its strides are already in
    that format, else a copy in it."""
    fmt = _memory_format.check_format(memory_format, "contiguous")
    if fmt is None or fmt is _memory_format.preserve_format:
        fmt = _memory_format.contiguous_format
    if _memory_format.is_contiguous(input._data, fmt):
        return input
    return Clone.apply(input, fmt)


def detach(input: Tensor) -> Tensor:
    return input.detach()
