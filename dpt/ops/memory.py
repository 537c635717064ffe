"""Host-memory and stream bookkeeping methods: pin_memory, is_pinned, record_stream."""
from __future__ import annotations

import warnings

import numpy as np

from .. import _device
from .._tensor import Tensor
from ..autograd.function import Function

__all__ = ["pin_memory", "is_pinned", "record_stream"]


class _PinnedCopy(Function):
    """A copy in page-locked memory; the gradient passes through unchanged."""

    def forward(self, x):
        return _device.pinned_copy(x)

    def backward(self, g):
        return g


def _warn_device_arg(name: str, device) -> None:
    if device is not None:
        warnings.warn(f"The argument 'device' of Tensor.{name}() is deprecated. Please do not "
                      "pass this argument.", DeprecationWarning, stacklevel=3)


def _is_pinned_array(arr) -> bool:
    cp = _device.gpu_module()
    if cp is None or not isinstance(arr, np.ndarray):
        return False
    base = arr
    while isinstance(base, np.ndarray):  # views and reshapes chain back to the buffer
        base = base.base
    if isinstance(base, memoryview):  # np.frombuffer keeps the exporter behind a memoryview
        base = base.obj
    return isinstance(base, cp.cuda.PinnedMemoryPointer)


def is_pinned(self: Tensor, device=None) -> bool:
    """is_pinned(device=None): whether this CPU tensor lives in page-locked memory.

    Always False without a GPU (as torch without an accelerator) and for GPU tensors.
    """
    _warn_device_arg("is_pinned", device)
    return self.is_cpu and _is_pinned_array(self._data)


def pin_memory(self: Tensor, device=None) -> Tensor:
    """pin_memory(device=None): a copy of this CPU tensor in page-locked memory (self if
    already pinned). Raises torch's RuntimeError when no accelerator is available."""
    _warn_device_arg("pin_memory", device)
    if device is not None and _device.device(device).type == "cpu":
        raise RuntimeError("CPU device type not an accelerator.")
    if not _device.gpu_available():
        raise RuntimeError("Cannot access accelerator device when none is available.")
    if not self.is_cpu:
        raise RuntimeError(f"cannot pin '{self.type()}' only dense CPU tensors can be pinned")
    if _is_pinned_array(self._data):
        return self
    return _PinnedCopy.apply(self)


# Arrays handed to record_stream, kept alive until the work queued on their stream is done,
# so that the memory pool cannot give them to another stream's allocation early.
_recorded: list = []


def record_stream(self: Tensor, stream) -> None:
    """record_stream(stream): mark this GPU tensor as in use by stream, so its memory is not
    reused before the work queued there so far has finished.

    As torch, a CPU tensor raises NotImplementedError and a non-stream argument raises
    RuntimeError('unknown parameter type').
    """
    from ..cuda import Stream

    if not isinstance(stream, Stream):
        raise RuntimeError("unknown parameter type")
    if self.is_cpu:
        raise NotImplementedError("Could not run 'aten::record_stream' with arguments from the "
                                  "'CPU' backend.")
    _recorded[:] = [(event, arr) for event, arr in _recorded if not event.done]
    event = _device.gpu_module().cuda.Event(disable_timing=True)
    event.record(stream._stream)
    _recorded.append((event, self._data))
