"""Tensor creation: tensor, as_tensor, from_numpy, zeros/ones/empty/full and _like, ranges."""
from __future__ import annotations

import numpy as np

from .. import _device, _dtype
from .._tensor import Tensor, _as_array_data

__all__ = ["tensor", "as_tensor", "asarray", "from_numpy", "zeros", "ones", "empty", "full",
           "zeros_like", "ones_like", "empty_like", "full_like", "arange", "range", "linspace",
           "logspace", "eye", "scalar_tensor", "fill_", "zero_", "copy_"]


def _infer_dtype(arr: np.ndarray, data) -> _dtype.dtype:
    """torch's inference: python floats -> default dtype, ints -> int64, bools -> bool."""
    if isinstance(data, np.ndarray) or isinstance(data, np.generic):
        return _dtype.from_numpy_dtype(arr.dtype)
    k = arr.dtype.kind
    if k == "f":
        return _dtype.get_default_dtype()
    if k == "c":
        return _dtype.default_complex()
    if k in "iu":
        return _dtype.int64
    if k == "b":
        return _dtype.bool
    if arr.size == 0:
        return _dtype.get_default_dtype()
    return _dtype.from_numpy_dtype(arr.dtype)


def _finish(arr, requires_grad: bool) -> Tensor:
    t = Tensor._make(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False) -> Tensor:
    """tensor(data, *, dtype=None, device=None, requires_grad=False): always copies data."""
    dev = _device.as_device(device if device is not None else
                            (data.device if isinstance(data, Tensor) else None))
    if isinstance(data, Tensor):
        arr = data._data
        src = _device.to_numpy(arr) if dev.type == "cpu" else arr
    else:
        src = _as_array_data(data)
        try:
            src = np.asarray(src) if not hasattr(src, "__cuda_array_interface__") else src
        except ValueError as e:
            raise ValueError(f"tensor(): could not build a tensor from {type(data).__name__}: {e}") from None
        if src.dtype == object:
            raise TypeError(f"tensor(): could not infer dtype of {type(data).__name__} "
                            f"(nested sequences must be regular and hold numbers)")
    dt = _dtype.as_dtype(dtype) if dtype is not None else (
        data.dtype if isinstance(data, Tensor) else _infer_dtype(src, data))
    xp = _device.array_module(dev)
    with _device.device_context(dev):
        arr = xp.array(src, dtype=dt.np, copy=True)
    return _finish(arr, requires_grad)


def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    return tensor(s, dtype=dtype or _dtype.get_default_dtype(), device=device,
                  requires_grad=requires_grad)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """as_tensor(data, dtype=None, device=None): shares memory when it can (tensor, ndarray)."""
    if isinstance(data, Tensor):
        return data.to(device=device, dtype=dtype) if (dtype or device) else data
    if isinstance(data, np.ndarray) and device in (None, "cpu") and (
            dtype is None or _dtype.as_dtype(dtype).np == data.dtype):
        return from_numpy(data)
    return tensor(data, dtype=dtype, device=device)


asarray = as_tensor


def from_numpy(ndarray: np.ndarray) -> Tensor:
    """from_numpy(ndarray): a CPU tensor sharing memory with the array, both ways."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    _dtype.from_numpy_dtype(ndarray.dtype)
    return Tensor._make(ndarray)


def _size(size) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    out = tuple(int(s) for s in size)
    if any(s < 0 for s in out):
        raise RuntimeError(f"Trying to create tensor with negative dimension: {list(out)}")
    return out


def _make_filled(fill, size, dtype, device, requires_grad):
    dt = _dtype.as_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()
    dev = _device.as_device(device)
    xp = _device.array_module(dev)
    with _device.device_context(dev):
        arr = xp.zeros(size, dt.np) if fill == 0 else xp.full(size, fill, dt.np)
    return _finish(arr, requires_grad)


def zeros(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False) -> Tensor:
    """zeros(*size, dtype=None, device=None, requires_grad=False)."""
    return _make_filled(0, _size(size), dtype, device, requires_grad)


def ones(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False) -> Tensor:
    """ones(*size, dtype=None, device=None, requires_grad=False)."""
    return _make_filled(1, _size(size), dtype, device, requires_grad)


def empty(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False, memory_format=None) -> Tensor:
    """empty(*size, ...): dpt fills with zeros (deterministic), torch leaves memory uninitialised."""
    return _make_filled(0, _size(size), dtype, device, requires_grad)


def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None,
         requires_grad=False) -> Tensor:
    """full(size, fill_value, *, dtype=None): dtype inferred from fill_value like torch."""
    if dtype is None:
        dtype = _dtype.result_type(fill_value)
    return _make_filled(fill_value, _size((size,)), dtype, device, requires_grad)


def _like(input, dtype, device):
    return (dtype if dtype is not None else input.dtype,
            device if device is not None else input.device)


def zeros_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None) -> Tensor:
    dt, dev = _like(input, dtype, device)
    return _make_filled(0, tuple(input.shape), dt, dev, requires_grad)


def ones_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None) -> Tensor:
    dt, dev = _like(input, dtype, device)
    return _make_filled(1, tuple(input.shape), dt, dev, requires_grad)


def empty_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None) -> Tensor:
    dt, dev = _like(input, dtype, device)
    return _make_filled(0, tuple(input.shape), dt, dev, requires_grad)


def full_like(input, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None) -> Tensor:
    dt, dev = _like(input, dtype, device)
    return _make_filled(fill_value, tuple(input.shape), dt, dev, requires_grad)


def arange(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,
           requires_grad=False) -> Tensor:
    """arange(start=0, end, step=1): int64 when all arguments are integers, else default float."""
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    if vals[2] == 0:
        raise RuntimeError("arange: step must be nonzero")
    if (vals[1] - vals[0]) * vals[2] < 0:
        raise RuntimeError("arange: upper bound and larger bound inconsistent with step sign")
    if dtype is None:
        dtype = _dtype.int64 if all(isinstance(v, (int, np.integer)) for v in vals) \
            else _dtype.get_default_dtype()
    dt, dev = _dtype.as_dtype(dtype), _device.as_device(device)
    xp = _device.array_module(dev)
    n = max(0, int(np.ceil((vals[1] - vals[0]) / vals[2])))
    with _device.device_context(dev):
        arr = (vals[0] + xp.arange(n, dtype=np.float64 if dt.category >= 2 else np.int64) * vals[2])
        arr = arr.astype(dt.np)
    return _finish(arr, requires_grad)


def range(start=0, end=None, step=1, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """range(start, end, step): deprecated in torch; includes end. Default float dtype."""
    if end is None:
        start, end = 0, start
    n = int(np.floor((end - start) / step)) + 1
    dt = _dtype.as_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()
    xp = _device.array_module(_device.as_device(device))
    return _finish((start + xp.arange(n) * step).astype(dt.np), requires_grad)


def linspace(start, end, steps, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False) -> Tensor:
    """linspace(start, end, steps): steps evenly spaced values, both ends included."""
    if steps < 0:
        raise RuntimeError("linspace: number of steps must be non-negative")
    dt = _dtype.as_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()
    xp = _device.array_module(_device.as_device(device))
    return _finish(xp.linspace(float(start), float(end), int(steps)).astype(dt.np), requires_grad)


def logspace(start, end, steps, base=10.0, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False) -> Tensor:
    """logspace(start, end, steps, base=10.0): base ** linspace(start, end, steps)."""
    dt = _dtype.as_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()
    xp = _device.array_module(_device.as_device(device))
    return _finish(xp.logspace(float(start), float(end), int(steps), base=base).astype(dt.np),
                   requires_grad)


def eye(n, m=None, *, out=None, dtype=None, layout=None, device=None, requires_grad=False) -> Tensor:
    """eye(n, m=None): identity matrix."""
    dt = _dtype.as_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()
    xp = _device.array_module(_device.as_device(device))
    return _finish(xp.eye(n, m, dtype=dt.np), requires_grad)


# ---- in-place fills (not recorded by autograd: they replace values outright) ----------
def fill_(input: Tensor, value) -> Tensor:
    """fill_(value): set every element to value."""
    input._check_inplace("fill_")
    input._data[...] = value.item() if isinstance(value, Tensor) else value
    input._vc[0] += 1
    return input


def zero_(input: Tensor) -> Tensor:
    return fill_(input, 0)


def copy_(input: Tensor, src) -> Tensor:
    """copy_(src): copy src (broadcast, cast, moved across devices) into input."""
    from ..autograd.grad_mode import is_grad_enabled

    if isinstance(src, Tensor):
        if src.requires_grad and is_grad_enabled():
            value = src.to(input.device).to(input.dtype)
            if tuple(value.shape) != tuple(input.shape):
                value = value.expand(tuple(input.shape))
            return input._inplace(value.clone(), "copy_")
        arr = _device.move(src._data, input.device)
    else:
        arr = src
    input._check_inplace("copy_")
    try:
        input._data[...] = arr
    except ValueError:
        raise RuntimeError(f"copy_: the size of src {list(getattr(src, 'shape', ()))} must be "
                           f"broadcastable to {list(input.shape)}") from None
    input._vc[0] += 1
    return input
