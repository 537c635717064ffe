"""Devices, and the one place that decides between numpy and cupy.

Every op asks a tensor for its array module (``xp``) through this file, and takes the
device's special functions (scipy.special or cupyx.scipy.special) and scatter-add kernels
from here; nothing else in dpt imports cupy or names it (the NCCL transport aside).
Importing dpt never requires cupy.
"""
from __future__ import annotations

import functools
import importlib
import inspect
import os

import numpy as np

_cupy = None
_cupy_checked = False
_on_gpu_module = []  # called with the GPU array module once it loads (dpt.cuda's allocator)


def on_gpu_module(hook) -> None:
    """Call hook(module) when the GPU array module loads (now, if it already has): how layers
    above the core (dpt.cuda) attach to it without the core importing them."""
    _on_gpu_module.append(hook)
    if _cupy is not None:
        hook(_cupy)


def gpu_module():
    """The GPU array module (cupy) if it imports and sees at least one GPU, else None
    (checked once). DPT_CUDA_STANDIN=1 gives dpt._standin's CuPy test double instead
    (2 devices, no GPU)."""
    global _cupy, _cupy_checked
    if not _cupy_checked:
        _cupy_checked = True
        if os.environ.get("DPT_CUDA_STANDIN") == "1":  # tests: the strict CuPy/NCCL test double
            from . import _standin
            _cupy = _standin.install()
        else:
            try:
                import cupy

                if cupy.cuda.runtime.getDeviceCount() > 0:
                    _cupy = cupy
            except Exception:  # no cupy, no driver, or no device: CPU only
                _cupy = None
        if _cupy is not None:
            for hook in _on_gpu_module:
                hook(_cupy)
    return _cupy


def gpu_available() -> bool:
    """True when the GPU array module imports and sees at least one GPU."""
    return gpu_module() is not None


def gpu_count() -> int:
    """The number of GPUs the GPU array module sees (0 without one)."""
    cp = gpu_module()
    return 0 if cp is None else cp.cuda.runtime.getDeviceCount()


def gpu_description() -> str:
    """The GPU array module's version, CUDA runtime and device count (for __config__.show)."""
    cp = gpu_module()
    if cp is None:
        return "not available (no cupy or no GPU)"
    try:
        runtime = cp.cuda.runtime.runtimeGetVersion()
        count = cp.cuda.runtime.getDeviceCount()
        return f"cupy {cp.__version__}, CUDA runtime {runtime}, {count} device(s)"
    except Exception as exc:
        return f"cupy {cp.__version__} ({type(exc).__name__}: {exc})"


class device:
    """device('cpu'), device('cuda'), device('cuda:1'), device('cuda', 1)."""

    __slots__ = ("type", "index")

    def __init__(self, type, index: int | None = None):
        if isinstance(type, device):
            self.type, self.index = type.type, type.index
            return
        if isinstance(type, int):
            type, index = "cuda", type
        if not isinstance(type, str):
            raise TypeError(f"device() expected a string or int, got {type!r}")
        if ":" in type:
            if index is not None:
                raise ValueError(f"device string {type!r} already has an index")
            type, idx = type.split(":", 1)
            try:
                index = int(idx)
            except ValueError:
                raise RuntimeError(f"Invalid device string: '{type}:{idx}'") from None
        if type not in ("cpu", "cuda"):
            raise RuntimeError(f"Expected one of cpu, cuda device type at start of device string: {type}")
        if index is not None and index < 0:
            raise RuntimeError(f"Device index must not be negative, got {index}")
        self.type, self.index = type, index

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        return isinstance(other, device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self):
        return hash((self.type, self.index))

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self):
        return f"device(type='{self.type}')" if self.index is None else \
            f"device(type='{self.type}', index={self.index})"

    def __reduce__(self):
        return (device, (self.type, self.index))


CPU = device("cpu")
_default = CPU  # where factory functions allocate when given device=None


def set_default_device(d) -> None:
    """set_default_device(device): where tensor factories (tensor, zeros, rand, ...) allocate
    when called without device=; None restores the CPU."""
    global _default
    _default = CPU if d is None else as_device(d)


def get_default_device() -> device:
    """get_default_device(): the device set by set_default_device (cpu unless changed)."""
    return _default


def as_device(d) -> device:
    if d is None:
        return _default
    if isinstance(d, device):
        if d.type == "cuda" and d.index is None:
            return device("cuda", current_cuda_index())
        return d
    return as_device(device(d))


def current_cuda_index() -> int:
    cp = gpu_module()
    return cp.cuda.Device().id if cp is not None else 0


def array_module(dev: device):
    """numpy for the CPU, cupy for a CUDA device (with a clear error if there is none)."""
    if dev.type == "cpu":
        return np
    cp = gpu_module()
    if cp is None:
        raise RuntimeError("CUDA device requested but cupy with a working GPU is not available; "
                           "install dpt[cuda12] or dpt[cuda13] on a machine with a GPU")
    return cp


def device_of(arr) -> device:
    """The device an array lives on."""
    if isinstance(arr, np.ndarray) or np.isscalar(arr):
        return CPU
    return device("cuda", arr.device.id)


def xp_of(arr):
    """The array module that owns arr: numpy, or cupy for GPU arrays."""
    return np if isinstance(arr, np.ndarray) else gpu_module()


def move(arr, dev: device):
    """Copy an array onto dev (no copy when it is already there)."""
    src = device_of(arr)
    if src == dev:
        return arr
    if dev.type == "cpu":
        return arr.get()
    cp = array_module(dev)
    with cp.cuda.Device(dev.index):
        return cp.asarray(arr)


def to_numpy(arr) -> np.ndarray:
    return arr if isinstance(arr, np.ndarray) else arr.get()


def device_context(dev: device):
    """A context manager that makes dev current for cupy allocations (no-op on the CPU)."""
    if dev.type == "cpu":
        return _NULL
    return array_module(dev).cuda.Device(dev.index)


def runs_on(position: int = 0):
    """Decorator: run the function with the device of its argument at ``position`` (a Tensor
    or a raw array) current, for raw GPU work done outside Function.apply (which does this
    itself). A host argument costs one attribute check."""
    def wrap(fn):
        params = list(inspect.signature(fn).parameters)
        name = params[position] if position < len(params) else None  # passed by keyword

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            arg = args[position] if len(args) > position else kwargs.get(name)
            data = getattr(arg, "_data", arg)
            if data is None or isinstance(data, np.ndarray) or not hasattr(data, "device"):
                return fn(*args, **kwargs)
            with data.device:
                return fn(*args, **kwargs)
        return wrapper
    return wrap


class _Null:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


_NULL = _Null()


def data_ptr(arr) -> int:
    """Address of an array's first element, on either device."""
    if isinstance(arr, np.ndarray):
        return arr.__array_interface__["data"][0]
    return arr.data.ptr


def root_array(arr):
    """The array that owns the memory arr views."""
    while getattr(arr, "base", None) is not None:
        base = arr.base
        if not hasattr(base, "shape"):  # numpy's as_strided keeps its source one level down
            base = getattr(base, "base", None)
            if not hasattr(base, "shape"):
                break
        arr = base
    return arr


def pinned_copy(arr: np.ndarray) -> np.ndarray:
    """A copy of a host array in page-locked memory (the GPU module's pinned allocator)."""
    mem = gpu_module().cuda.alloc_pinned_memory(max(arr.nbytes, 1))
    out = np.frombuffer(mem, arr.dtype, arr.size).reshape(arr.shape)
    out[...] = arr
    return out


# ---- per-device kernels ------------------------------------------------------------------
def philox_stream(dev: device, seed: int):
    """A fresh Philox bit stream on CUDA device dev (a cupy RandomState), seeded with seed."""
    cp = array_module(dev)
    with cp.cuda.Device(dev.index):
        return cp.random.RandomState(seed, method=cp.cuda.curand.CURAND_RNG_PSEUDO_PHILOX4_32_10)



_special_modules = {}


def special_module(xp):
    """scipy.special for numpy, cupyx.scipy.special for cupy (imported on first use)."""
    mod = _special_modules.get(xp)
    if mod is None:
        mod = importlib.import_module("scipy.special" if xp is np else "cupyx.scipy.special")
        _special_modules[xp] = mod
    return mod


def scatter_add(xp, target, index, values) -> None:
    """target[index] += values in place, repeated indices accumulating (numpy's add.at;
    cupyx.scatter_add on the GPU)."""
    if xp is np:
        np.add.at(target, index, values)
    else:
        importlib.import_module("cupyx").scatter_add(target, index, values)


def ufunc_at(xp, name: str, target, index, values) -> None:
    """numpy's ufunc.at for the ufunc called name (unbuffered: repeated indices accumulate),
    through the host where the GPU module lacks it."""
    try:
        getattr(xp, name).at(target, index, values)
        return
    except (AttributeError, NotImplementedError, TypeError):
        if xp is np:
            raise
    host = to_numpy(target)
    idx = tuple(to_numpy(i) if hasattr(i, "shape") else i for i in index) \
        if isinstance(index, tuple) else to_numpy(index)
    getattr(np, name).at(host, idx, to_numpy(values) if hasattr(values, "shape") else values)
    target[...] = xp.asarray(host)
