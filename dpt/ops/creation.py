"""Tensor creation: tensor, as_tensor, from_numpy, from_dlpack, frombuffer, zeros/ones/empty/full
and _like, empty_strided, ranges, eye, tril/triu_indices, complex/polar, and the in-place fills
fill_/zero_/copy_."""
from __future__ import annotations

import builtins
import collections.abc
import functools
import operator
import warnings

import ml_dtypes
import numpy as np

from .. import _device, _dtype, _memory_format, _mt19937
from .._tensor import Tensor
from ..autograd.function import Function
from ..autograd.grad_mode import is_grad_enabled

__all__ = ["tensor", "as_tensor", "asarray", "from_numpy", "from_dlpack", "zeros", "ones", "empty",
           "full", "zeros_like", "ones_like", "empty_like", "full_like", "arange", "range",
           "linspace", "logspace", "eye", "scalar_tensor", "complex", "polar", "fill", "fill_",
           "zero_", "copy_", "frombuffer", "empty_strided", "empty_permuted", "tril_indices",
           "triu_indices"]

_PY_TYPES = (bool, int, float, complex)  # bool first: it is an int too
_PY = frozenset(_PY_TYPES)


def _py_dtype(t) -> _dtype.dtype:
    if t is bool:
        return _dtype.bool
    if t is int:
        return _dtype.int64
    if t is float:
        return _dtype.get_default_dtype()
    return _dtype.default_complex()


def _scan(data, found: set, nested: bool = False):
    """Nested sequences as numpy takes them, noting the dtype each element asks for.

    torch's inference: python bools -> bool, ints -> int64, floats -> the default dtype,
    complex -> the default complex dtype; tensors and numpy values keep their dtype;
    the result is all of them promoted together. Any sequence counts (list, tuple, range,
    deque, array.array, memoryview, ...); a tensor inside one is a scalar, so it must have
    one element, as in torch.
    """
    if isinstance(data, Tensor):
        return _tensor_scalar(data, found)
    if isinstance(data, (np.ndarray, np.generic)):
        if data.dtype.kind not in "biufc" and data.dtype.name != "bfloat16":
            raise TypeError(f"can't convert np.ndarray of type {data.dtype}; dpt supports bool, "
                            f"integer, floating and complex arrays")
        found.add(_dtype.as_dtype(data.dtype.newbyteorder("=")))
        return data
    if not isinstance(data, (list, tuple)):
        for t in _PY_TYPES:
            if isinstance(data, t):
                found.add(_py_dtype(t))
                return t(data)
        if isinstance(data, str):  # torch: a sequence's first leaf, or a stray string
            if nested and not found:
                raise ValueError(f"too many dimensions '{type(data).__name__}'")
            raise TypeError(f"tensor(): invalid data type '{type(data).__name__}'")
        if isinstance(data, (bytes, bytearray)):
            raise TypeError(f"tensor(): invalid data type '{type(data).__name__}'")
        if hasattr(data, "__array__"):
            return _scan(np.asarray(data), found)
        if not _is_sequence(data):
            raise RuntimeError(f"Could not infer dtype of {type(data).__name__}")
        data = list(data)
    types = set(map(type, data))
    if types <= _PY:
        found.update(_py_dtype(t) for t in types)
        return data
    return [_scan(x, found, True) for x in data]


def _is_sequence(obj) -> bool:
    """Python's sequence protocol (what torch walks): indexable with a length, not a mapping."""
    cls = type(obj)
    return hasattr(cls, "__getitem__") and hasattr(cls, "__len__") and \
        not isinstance(obj, (dict, collections.abc.Mapping, collections.abc.Set))


def _tensor_scalar(t: Tensor, found: set):
    if t.numel() != 1:
        if t.dtype.category < 2:  # torch tries integers as an index first
            raise TypeError("only integer tensors of a single element can be converted to an "
                            "index")
        raise ValueError("only one element tensors can be converted to Python scalars")
    found.add(t.dtype)
    return _device.to_numpy(t._data).reshape(())


def _ragged(data, dim: int = 0) -> str | None:
    """torch's message for the first irregular level of nested lists, if there is one."""
    subs = [x for x in data if isinstance(x, (list, np.ndarray))]
    if not subs:
        return None
    if len(subs) != len(data):
        return f"expected sequence of length {len(subs[0])} at dim {dim + 1} (got scalar)"
    want = len(subs[0])
    for x in subs:
        if len(x) != want:
            return f"expected sequence of length {want} at dim {dim + 1} (got {len(x)})"
    for x in subs:
        msg = _ragged(list(x), dim + 1) if isinstance(x, list) else None
        if msg:
            return msg
    return None


def _finish(arr, requires_grad: bool) -> Tensor:
    t = Tensor._make(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False) -> Tensor:
    """tensor(data, *, dtype=None, device=None, requires_grad=False): always copies data.

    data: a number, a numpy array, a tensor, or nested sequences (lists, tuples, ranges,
    deques, ...) of numbers, numpy scalars and one-element tensors.
    """
    if isinstance(data, Tensor):
        warnings.warn("To copy construct from a tensor, it is recommended to use "
                      "sourceTensor.clone().detach() or sourceTensor.clone().detach()"
                      ".requires_grad_(True), rather than dpt.tensor(sourceTensor).",
                      UserWarning, stacklevel=2)
        dev = _device.as_device(device if device is not None else data.device)
        dt = _dtype.as_dtype(dtype) if dtype is not None else data.dtype
        src = _device.move(data._data, dev)
    elif hasattr(data, "__cuda_array_interface__") and not isinstance(data, np.ndarray):
        dev = _device.as_device(device if device is not None else _device.device_of(data))
        dt = _dtype.as_dtype(dtype) if dtype is not None else _dtype.as_dtype(data.dtype)
        src = _device.move(data, dev)
    elif isinstance(data, (str, bytes, bytearray)):  # inside a sequence, a str is a ValueError
        raise TypeError(f"tensor(): invalid data type '{type(data).__name__}'")
    else:
        dev = _device.as_device(device)
        found: set = set()
        src = _scan(data, found)
        if dtype is not None:
            dt = _dtype.as_dtype(dtype)
        elif found:
            dt = functools.reduce(_dtype.promote_types, found)
        else:
            dt = _dtype.get_default_dtype()  # tensor([]) is float
        try:
            src = np.asarray(src, dtype=dt.np)
        except OverflowError as e:
            raise ValueError(f"Overflow when unpacking long long: {e}") from None
        except ValueError as e:
            msg = _ragged(src) if isinstance(src, list) else None
            raise ValueError(msg or f"tensor(): nested sequences must be regular (equal lengths "
                             f"at each level) and hold numbers: {e}") from None
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
        return data.to(device=device, dtype=dtype) if (dtype is not None or device is not None) \
            else data
    if isinstance(data, np.ndarray) and _device.as_device(device).type == "cpu" and \
            data.dtype in _FROM_NUMPY and (dtype is None or _dtype.as_dtype(dtype).np == data.dtype):
        return from_numpy(data)
    return tensor(data, dtype=dtype, device=device)


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=False) -> Tensor:
    """asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=False).

    copy=None shares memory when possible, copy=True always copies, copy=False raises when
    a copy would be needed.
    """
    if copy:
        out = tensor(obj.detach() if isinstance(obj, Tensor) else obj, dtype=dtype, device=device) \
            if not isinstance(obj, Tensor) else obj.detach().to(device=device, dtype=dtype, copy=True)
    else:
        if hasattr(obj, "__dlpack__") and not isinstance(obj, (Tensor, np.ndarray)):
            obj = from_dlpack(obj)
        out = as_tensor(obj, dtype=dtype, device=device)
        shared = out is obj or (isinstance(obj, np.ndarray) and out._data is obj)
        if copy is False and not shared:
            raise ValueError("asarray(): copy=False but the input cannot be used without a copy")
        if out is obj and requires_grad:
            out = out.detach()
    if requires_grad:
        out.requires_grad_(True)
    return out


_FROM_NUMPY = frozenset(np.dtype(d) for d in (np.float64, np.float32, np.float16, np.complex64,
                                              np.complex128, np.int64, np.int32, np.int16,
                                              np.int8, np.uint8, np.uint16, np.uint32,
                                              np.uint64, np.bool_)) | {_dtype.bfloat16.np}


def from_numpy(ndarray: np.ndarray) -> Tensor:
    """from_numpy(ndarray): a CPU tensor sharing memory with the array, both ways."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    if not ndarray.dtype.isnative:
        raise ValueError("given numpy array has byte order different from the native byte order. "
                         "Conversion between byte orders is currently not supported.")
    if ndarray.dtype not in _FROM_NUMPY:
        raise TypeError(f"can't convert np.ndarray of type {ndarray.dtype}. The only supported types "
                        f"are: float64, float32, float16, bfloat16, complex64, complex128, int64, "
                        f"int32, int16, int8, uint64, uint32, uint16, uint8, and bool.")
    if not ndarray.flags.writeable:
        warnings.warn("The given NumPy array is not writable; dpt does not support non-writable "
                      "tensors, writing to this tensor will fail.", UserWarning, stacklevel=2)
    return Tensor._make(ndarray)


class _Capsule:
    """Lets numpy consume a bare DLPack capsule (the legacy to_dlpack protocol)."""

    def __init__(self, capsule):
        self.capsule = capsule

    def __dlpack__(self, **kwargs):
        return self.capsule

    def __dlpack_device__(self):
        return (1, 0)


def from_dlpack(ext_tensor) -> Tensor:
    """from_dlpack(ext_tensor): a tensor sharing memory with any DLPack producer (zero copy).

    CPU producers (numpy arrays, ...) become CPU tensors, CUDA producers CUDA ones.
    """
    if isinstance(ext_tensor, Tensor):
        return ext_tensor
    if not hasattr(ext_tensor, "__dlpack__"):
        if type(ext_tensor).__name__ == "PyCapsule":
            cp = _device.gpu_module()
            try:
                return Tensor._make(np.from_dlpack(_Capsule(ext_tensor)))
            except (RuntimeError, BufferError):
                if cp is None:
                    raise
                return Tensor._make(cp.from_dlpack(ext_tensor))
        raise TypeError(f"from_dlpack: expected an object with __dlpack__ or a DLPack capsule, "
                        f"got {type(ext_tensor).__name__}")
    dev_type, _ = ext_tensor.__dlpack_device__()
    if int(dev_type) == 1:  # kDLCPU
        arr = np.from_dlpack(ext_tensor)
    elif int(dev_type) in (2, 3):  # kDLCUDA, kDLCUDAHost
        cp = _device.gpu_module()
        if cp is None:
            raise RuntimeError("from_dlpack: a CUDA DLPack tensor needs a GPU array module and a "
                               "GPU")
        arr = cp.from_dlpack(ext_tensor)
    else:
        raise RuntimeError(f"from_dlpack: unsupported DLPack device type {dev_type}")
    return from_numpy(arr) if isinstance(arr, np.ndarray) else Tensor._make(arr)


def _size(size) -> tuple:
    """Sizes as given to zeros(2, 3), zeros((2, 3)), zeros([2, 3]) or zeros(dpt.Size(...))."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    try:
        out = tuple(operator.index(s) for s in size)
    except TypeError:
        raise TypeError(f"size must be a sequence of ints, got {tuple(size)!r}") from None
    if any(s < 0 for s in out):
        raise RuntimeError(f"Trying to create tensor with negative dimension {min(out)}: {list(out)}")
    return out


def _sizes(sizes, size) -> tuple:
    """zeros(2, 3) or zeros(size=(2, 3)), never both."""
    if size is not None:
        if sizes:
            raise TypeError("got multiple values for argument 'size'")
        return _size((size,))
    return _size(sizes)


def _make_filled(fill, size, dtype, device, requires_grad, lay=None):
    """A filled array; lay(arr) -> arr gives it the strides a memory_format asks for."""
    dt = _dtype.as_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()
    dev = _device.as_device(device)
    xp = _device.array_module(dev)
    if isinstance(fill, Tensor):
        fill = fill.item()
    with _device.device_context(dev):
        try:
            arr = xp.zeros(size, dt.np) if fill == 0 else xp.full(size, fill, dt.np)
        except OverflowError:
            raise RuntimeError(f"value cannot be converted to type {dt.name} without overflow") from None
        if lay is not None:
            arr = lay(arr)
    return _finish(arr, requires_grad)


def zeros(*sizes, size=None, out=None, dtype=None, layout=None, device=None,
          requires_grad=False) -> Tensor:
    """zeros(*size, dtype=None, device=None, requires_grad=False); size may also be a keyword."""
    _memory_format.check_layout(layout, "zeros")
    return _make_filled(0, _sizes(sizes, size), dtype, device, requires_grad)


def ones(*sizes, size=None, out=None, dtype=None, layout=None, device=None,
         requires_grad=False) -> Tensor:
    """ones(*size, dtype=None, device=None, requires_grad=False); size may also be a keyword."""
    _memory_format.check_layout(layout, "ones")
    return _make_filled(1, _sizes(sizes, size), dtype, device, requires_grad)


def empty(*sizes, size=None, out=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False, memory_format=None) -> Tensor:
    """empty(*size, ..., memory_format=dpt.contiguous_format): dpt fills with zeros
    (deterministic), torch leaves memory uninitialised. channels_last gives torch's strides."""
    _memory_format.check_layout(layout, "empty")
    lay = None if memory_format is None else (
        lambda arr: _memory_format.for_new(arr, memory_format, "empty"))
    return _make_filled(0, _sizes(sizes, size), dtype, device, requires_grad, lay)


def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None,
         requires_grad=False) -> Tensor:
    """full(size, fill_value, *, dtype=None): the dtype follows fill_value like torch
    (bool -> bool, int -> int64, float -> default dtype, complex -> default complex)."""
    _memory_format.check_layout(layout, "full")
    if dtype is None:
        dtype = _dtype.result_type(fill_value)
    return _make_filled(fill_value, _size((size,)), dtype, device, requires_grad)


def _like(input, dtype, device):
    return (dtype if dtype is not None else input.dtype,
            device if device is not None else input.device)


def _filled_like(fill, input, dtype, layout, device, requires_grad, memory_format, op):
    """*_like: input's shape, dtype and device unless given, and (memory_format=
    preserve_format) its strides when it is dense, as torch's *_like functions."""
    _memory_format.check_layout(layout, op)
    _memory_format.check_format(memory_format, op)
    dt, dev = _like(input, dtype, device)
    return _make_filled(fill, tuple(input.shape), dt, dev, requires_grad,
                        lambda arr: _memory_format.like(input._data, arr, memory_format, op))


def zeros_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None) -> Tensor:
    return _filled_like(0, input, dtype, layout, device, requires_grad, memory_format,
                        "zeros_like")


def ones_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None) -> Tensor:
    return _filled_like(1, input, dtype, layout, device, requires_grad, memory_format,
                        "ones_like")


def empty_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None) -> Tensor:
    return _filled_like(0, input, dtype, layout, device, requires_grad, memory_format,
                        "empty_like")


def full_like(input, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None) -> Tensor:
    return _filled_like(fill_value, input, dtype, layout, device, requires_grad, memory_format,
                        "full_like")


def _number(v, op: str):
    v = v.item() if isinstance(v, Tensor) else v
    if isinstance(v, np.generic):
        v = v.item()
    if not isinstance(v, (int, float)):
        raise TypeError(f"{op}(): expected a real number, got {type(v).__name__}")
    return v


def arange(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,
           requires_grad=False) -> Tensor:
    """arange(start=0, end, step=1): [start, end) by step; int64 when every argument is an
    integer, the default dtype otherwise."""
    _memory_format.check_layout(layout, "arange")
    if end is None:
        start, end = 0, start
    lo, hi, st = (_number(v, "arange") for v in (start, end, step))
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise RuntimeError(f"unsupported range: {lo} -> {hi}")
    if st == 0:
        raise RuntimeError("arange: step must be nonzero")
    if (hi - lo) * st < 0:
        raise RuntimeError("arange: upper bound and larger bound inconsistent with step sign")
    if dtype is None:
        dtype = _dtype.int64 if all(isinstance(v, int) for v in (lo, hi, st)) \
            else _dtype.get_default_dtype()
    dt, dev = _dtype.as_dtype(dtype), _device.as_device(device)
    xp = _device.array_module(dev)
    ints = all(isinstance(v, int) for v in (lo, hi, st))
    n = -((lo - hi) // st) if ints else int(np.ceil((hi - lo) / st))
    with _device.device_context(dev):
        if ints and dt.category < 2:
            arr = (lo + xp.arange(n, dtype=np.int64) * st).astype(dt.np)
        else:
            arr = (lo + xp.arange(n, dtype=np.float64) * st).astype(dt.np)
    return _finish(arr, requires_grad)


def range(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,
          requires_grad=False) -> Tensor:
    """range(start=0, end, step=1): deprecated in torch, like arange but end included;
    always the default dtype unless dtype is given."""
    _memory_format.check_layout(layout, "range")
    warnings.warn("dpt.range is deprecated and will be removed in a future release because its "
                  "behavior is inconsistent with Python's range builtin. Instead, use dpt.arange, "
                  "which produces values in [start, end).", UserWarning, stacklevel=2)
    if end is None:
        start, end = 0, start
    lo, hi, st = (_number(v, "range") for v in (start, end, step))
    if st == 0:
        raise RuntimeError("range: step must be nonzero")
    n = max(0, int(np.floor((hi - lo) / st)) + 1)
    dt = _dtype.as_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()
    dev = _device.as_device(device)
    xp = _device.array_module(dev)
    with _device.device_context(dev):
        arr = (lo + xp.arange(n, dtype=np.float64) * st).astype(dt.np)
    return _finish(arr, requires_grad)


def _fused_multiply_add(a, b, c, work):
    """a * b + c rounded once, as the fused multiply-add torch's compiled CPU kernels use."""
    return (_mt19937.fma32 if work == np.float32 else _mt19937.fma64)(a, b, c).astype(work)


def _linspace_values(start, end, steps: int, out) -> np.ndarray:
    """torch's CPU kernel, in out's arithmetic, on the host: the first half counts up from
    start, the second half down from end. float32/float64 (and each part of a complex number)
    take one fused multiply-add per value, as torch's compiled kernel does; integers go through
    float64 from start and end truncated (and wrapped) to the dtype; half types round after
    every operation."""
    if steps <= 1:
        return np.array([start] * steps).astype(out)
    i = np.arange(steps)
    half = steps // 2
    up_k, down_k = i[:half], steps - 1 - i[half:]
    if out in (np.float16, ml_dtypes.bfloat16):
        h = lambda v: np.asarray(v, np.float32).astype(out).astype(np.float32)  # noqa: E731
        lo, hi = h(start), h(end)
        step = h(h(hi - lo) / h(steps - 1))
        return np.concatenate([h(lo + h(step * h(up_k))), h(hi - h(step * h(down_k)))])
    if np.issubdtype(out, np.complexfloating):
        real = np.float32 if out == np.complex64 else np.float64
        lo, hi = out(start), out(end)
        values = np.empty(steps, out)
        for part in ("real", "imag"):  # torch divides each part by a real (no reciprocal)
            a, b = getattr(lo, part), getattr(hi, part)
            step = (b - a) / real(steps - 1)
            setattr(values, part, np.concatenate([
                _fused_multiply_add(step, up_k.astype(real), a, real),
                _fused_multiply_add(-step, down_k.astype(real), b, real)]))
        return values
    if np.issubdtype(out, np.integer) or out == np.bool_:
        lo, hi = np.array([int(start), int(end)]).astype(out).astype(np.float64)
        work = np.float64
    else:
        work = out
        lo, hi = work(start), work(end)
    step = (hi - lo) / work(steps - 1)
    return np.concatenate([_fused_multiply_add(step, up_k.astype(work), lo, work),
                           _fused_multiply_add(-step, down_k.astype(work), hi, work)])


def _logspace_exponents(start, end, steps: int, out) -> np.ndarray:
    """torch's CPU kernel, on the host: start and end rounded to the output dtype, their
    difference taken there, the exponents in float64 (plain, not fused), the first half from
    start, the second half from end."""
    if steps <= 1:
        return np.full((steps,), start, dtype=np.float64)
    if np.issubdtype(out, np.complexfloating):
        return _linspace_values(start, end, steps, np.complex128)
    lo, hi = np.array([start, end]).astype(out)
    step = np.float64(hi - lo) / (steps - 1)
    i = np.arange(steps, dtype=np.float64)
    half = steps // 2
    return np.concatenate([np.float64(lo) + step * i[:half],
                           np.float64(hi) - step * (steps - 1 - i[half:])])


def _on_device(values: np.ndarray, dt, device, requires_grad: bool) -> Tensor:
    dev = _device.as_device(device)
    with _device.device_context(dev):
        arr = _device.array_module(dev).asarray(values.astype(dt.np, copy=False))
    return _finish(arr, requires_grad)


def linspace(start, end, steps, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False) -> Tensor:
    """linspace(start, end, steps): steps evenly spaced values from start to end, both included."""
    _memory_format.check_layout(layout, "linspace")
    start, end = (v.item() if isinstance(v, Tensor) else v for v in (start, end))
    steps = operator.index(steps)
    if steps < 0:
        raise RuntimeError("linspace: number of steps must be non-negative")
    cplx = isinstance(start, builtins.complex) or isinstance(end, builtins.complex)
    default = _dtype.default_complex() if cplx else _dtype.get_default_dtype()
    dt = _dtype.as_dtype(dtype) if dtype is not None else default
    return _on_device(_linspace_values(start, end, steps, dt.np.type), dt, device, requires_grad)


def logspace(start, end, steps, base=10.0, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False) -> Tensor:
    """logspace(start, end, steps, base=10.0): base ** linspace(start, end, steps)."""
    _memory_format.check_layout(layout, "logspace")
    start, end = (v.item() if isinstance(v, Tensor) else v for v in (start, end))
    steps = operator.index(steps)
    if steps < 0:
        raise RuntimeError("logspace: number of steps must be non-negative")
    dt = _dtype.as_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()
    values = float(base) ** _logspace_exponents(start, end, steps, dt.np.type)
    return _on_device(values, dt, device, requires_grad)


def eye(n, m=None, *, out=None, dtype=None, layout=None, device=None, requires_grad=False) -> Tensor:
    """eye(n, m=None): an n x m (n x n) matrix with ones on the diagonal."""
    _memory_format.check_layout(layout, "eye")
    n = operator.index(n)
    m = n if m is None else operator.index(m)
    if n < 0:
        raise RuntimeError(f"n must be greater or equal to 0, got {n}")
    if m < 0:
        raise RuntimeError(f"m must be greater or equal to 0, got {m}")
    dt = _dtype.as_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()
    dev = _device.as_device(device)
    xp = _device.array_module(dev)
    with _device.device_context(dev):
        arr = xp.eye(n, m, dtype=dt.np)
    return _finish(arr, requires_grad)


# ---- complex tensors from real parts -------------------------------------------------------
class Complex(Function):
    """real + i * imag."""

    def forward(self, re, im):
        xp = _device.xp_of(re)
        out = xp.empty(xp.broadcast_shapes(re.shape, im.shape) if hasattr(xp, "broadcast_shapes")
                       else np.broadcast_shapes(re.shape, im.shape),
                       dtype=np.complex128 if re.dtype == np.float64 else np.complex64)
        out.real, out.imag = re, im
        return out

    def backward(self, gz):
        return (gz.real if self.needs_input_grad[0] else None,
                gz.imag if self.needs_input_grad[1] else None)


def _check_parts(a, b, op):
    if not isinstance(a, Tensor) or not isinstance(b, Tensor):
        raise TypeError(f"{op}(): expected two Tensors, got {type(a).__name__} and {type(b).__name__}")
    if a.dtype is not b.dtype or a.dtype not in (_dtype.float32, _dtype.float64):
        raise RuntimeError(f"{op}: expected both inputs to be float or double tensors of the same "
                           f"dtype, got {a.dtype} and {b.dtype}")


def complex(real: Tensor, imag: Tensor, *, out=None) -> Tensor:
    """complex(real, imag): real + i * imag (float32 -> complex64, float64 -> complex128)."""
    _check_parts(real, imag, "complex")
    return Complex.apply(real, imag)


def polar(abs: Tensor, angle: Tensor, *, out=None) -> Tensor:
    """polar(abs, angle): abs * (cos(angle) + i * sin(angle))."""
    _check_parts(abs, angle, "polar")
    return complex(abs * angle.cos(), abs * angle.sin())


# ---- in-place fills (not recorded by autograd: they replace values outright) ----------
class Overwrite(Function):
    """out = value broadcast to x's shape: an in-place fill that cuts the gradient to x."""

    def forward(self, x, value):
        out = _device.xp_of(x).empty_like(x)
        out[...] = value
        return out

    def backward(self, gz):
        need_x, need_v = self.needs_input_grad
        return (gz * 0 if need_x else None), (gz if need_v else None)

    def name(self):
        return "FillBackward0"


@_device.runs_on(0)
def _overwrite(input: Tensor, value, op: str) -> Tensor:
    """Write value into input, recording it in the graph when input or value needs that."""
    tracked = is_grad_enabled() and (input.requires_grad or
                                     (isinstance(value, Tensor) and value.requires_grad))
    if tracked:
        if isinstance(value, Tensor):
            value = value.to(input.device).to(input.dtype)
        return input._inplace(Overwrite.apply(input, value), op)
    input._check_inplace(op)
    arr = _device.move(value._data, input.device) if isinstance(value, Tensor) else value
    try:
        input._data[...] = arr
    except ValueError:
        raise RuntimeError(f"{op}: the size of src {list(getattr(value, 'shape', ()))} must be "
                           f"broadcastable to {list(input.shape)}") from None
    input._vc[0] += 1
    return input


def fill(input: Tensor, value) -> Tensor:
    """fill(input, value): a new tensor of input's shape and dtype holding value (a number or
    a 0-d tensor); differentiable in value (the gradient's sum), zero gradient to input."""
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError(f"fill only supports 0-dimension value tensor but got tensor with "
                               f"{value.ndim} dimensions.")
        value = value.to(input.device).to(input.dtype)
    return Overwrite.apply(input, value)


def fill_(input: Tensor, value) -> Tensor:
    """fill_(value): set every element to value (a number or a 0-d tensor)."""
    if isinstance(value, Tensor) and value.ndim != 0:
        raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with "
                           f"{value.ndim} dimensions.")
    return _overwrite(input, value, "fill_")


def zero_(input: Tensor) -> Tensor:
    """zero_(): fill with zeros."""
    return _overwrite(input, 0, "zero_")


def copy_(input: Tensor, src, non_blocking: bool = False) -> Tensor:
    """copy_(src, non_blocking=False): copy src (broadcast, cast, moved across devices) into
    input. Copies are synchronous: non_blocking is accepted and ignored."""
    return _overwrite(input, src, "copy_")


# ---- buffers, strided memory, triangle indices ------------------------------------------
def frombuffer(buffer, *, dtype, count: int = -1, offset: int = 0,
               requires_grad: bool = False) -> Tensor:
    """frombuffer(buffer, *, dtype, count=-1, offset=0, requires_grad=False): a 1-D CPU tensor
    sharing the memory of an object that exposes the buffer protocol.

    A read-only buffer (bytes) gives a read-only tensor: writing to it raises.
    """
    dt = _dtype.as_dtype(dtype)
    mv = memoryview(buffer)
    nbytes = mv.nbytes
    if count == 0 or count < -1:
        raise ValueError(f"both buffer length ({nbytes}) and count ({count}) must not be 0")
    if not 0 <= offset < builtins.max(nbytes, 1) or nbytes == 0:
        raise ValueError(f"both buffer length ({nbytes}) and offset ({offset}) must not be 0, "
                         f"and offset must be in [0, {nbytes - 1}]")
    if count == -1:
        if (nbytes - offset) % dt.itemsize:
            raise ValueError(f"buffer length ({nbytes - offset} bytes) after offset ({offset} "
                             f"bytes) must be a multiple of element size ({dt.itemsize})")
        count = (nbytes - offset) // dt.itemsize
    elif offset + count * dt.itemsize > nbytes:
        raise ValueError(f"requested buffer length ({count} * {dt.itemsize} bytes) after offset "
                         f"({offset} bytes) must not be greater than actual buffer length "
                         f"({nbytes} bytes)")
    if mv.readonly:
        warnings.warn("The given buffer is not writable: the tensor shares its memory and is "
                      "read-only.", UserWarning, stacklevel=2)
    arr = np.frombuffer(buffer, dtype=dt.np, count=count, offset=offset)
    t = Tensor._make(arr)
    return t.requires_grad_(True) if requires_grad else t


def empty_strided(size, stride, *, dtype=None, layout=None, device=None, requires_grad=False,
                  pin_memory=False) -> Tensor:
    """empty_strided(size, stride, *, dtype=None, device=None, requires_grad=False):
    uninitialised memory laid out with the given element strides."""
    _memory_format.check_layout(layout, "empty_strided")
    size, stride = tuple(operator.index(s) for s in size), tuple(operator.index(s) for s in stride)
    if len(size) != len(stride):
        raise RuntimeError("mismatch in length of strides and shape")
    if any(s < 0 for s in size) or any(s < 0 for s in stride):
        raise RuntimeError("empty_strided: negative sizes or strides are not supported")
    dt = _dtype.as_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()
    dev = _device.as_device(device)
    xp = _device.array_module(dev)
    extent = 0 if 0 in size else 1 + builtins.sum((n - 1) * s for n, s in zip(size, stride))
    with _device.device_context(dev):
        buf = xp.empty(builtins.max(extent, 1), dt.np)
        arr = xp.lib.stride_tricks.as_strided(buf, size, tuple(s * dt.itemsize for s in stride))
    t = Tensor._make(arr)
    return t.requires_grad_(True) if requires_grad else t


def empty_permuted(size, physical_layout, *, dtype=None, layout=None, device=None,
                   requires_grad=False, pin_memory=False) -> Tensor:
    """empty_permuted(size, physical_layout, *, dtype=None, device=None, requires_grad=False):
    a dense tensor of shape size whose dims lie in memory in the order physical_layout
    (outermost first), so ``t.stride(physical_layout[i])`` is the i-th contiguous stride.
    Filled with zeros (torch leaves it uninitialised)."""
    _memory_format.check_layout(layout, "empty_permuted")
    size = tuple(operator.index(s) for s in size)
    order = tuple(operator.index(p) for p in physical_layout)
    if len(order) != len(size):
        raise RuntimeError("Number of dimensions in size does not match the length of the "
                           "physical_layout")
    if sorted(order) != list(builtins.range(len(size))):
        raise RuntimeError(f"empty_permuted: physical_layout {list(order)} is not a permutation "
                           f"of the dims 0..{len(size) - 1}")
    buf = _make_filled(0, tuple(size[p] for p in order), dtype, device, requires_grad=False)
    axes = [0] * len(order)
    for i, p in enumerate(order):
        axes[p] = i
    t = Tensor._make(buf._data.transpose(axes))
    return t.requires_grad_(True) if requires_grad else t


def _tri_indices(row, col, offset, dtype, device, upper):
    row, col, offset = operator.index(row), operator.index(col), operator.index(offset)
    if row < 0 or col < 0:
        raise RuntimeError(f"row must be non-negative, got {row}" if row < 0 else
                           f"col must be non-negative, got {col}")
    dt = _dtype.as_dtype(dtype)
    if dt not in (_dtype.int32, _dtype.int64):
        raise RuntimeError(f"\"{'triu' if upper else 'tril'}_indices\" not implemented for "
                           f"'{dt}'")
    fn = np.triu_indices if upper else np.tril_indices
    rows, cols = fn(row, offset, col)
    return tensor(np.stack([rows, cols]).astype(dt.np), device=device)


def tril_indices(row, col, offset=0, *, dtype=_dtype.int64, device=None, layout=None) -> Tensor:
    """tril_indices(row, col, offset=0): the 2 x N (row, col) coordinates of the lower triangle
    of a row x col matrix, row by row."""
    _memory_format.check_layout(layout, "tril_indices")
    return _tri_indices(row, col, offset, dtype, device, False)


def triu_indices(row, col, offset=0, *, dtype=_dtype.int64, device=None, layout=None) -> Tensor:
    """triu_indices(row, col, offset=0): the 2 x N coordinates of the upper triangle."""
    _memory_format.check_layout(layout, "triu_indices")
    return _tri_indices(row, col, offset, dtype, device, True)
