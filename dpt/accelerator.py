"""dpt.accelerator: torch.accelerator's device-agnostic API, over dpt.cuda (dpt's one
accelerator type).

On a machine without a GPU: ``current_accelerator()`` is None, ``is_available()`` False,
``device_count()`` 0, and everything that needs a device raises RuntimeError, as in torch.
"""
from __future__ import annotations

import warnings

from . import _device, cuda

__all__ = ["current_accelerator", "is_available", "device_count", "set_device_index",
           "set_device_idx", "current_device_index", "current_device_idx", "synchronize",
           "device_index", "current_stream", "empty_cache", "memory_allocated",
           "memory_reserved"]

_NONE = "Cannot access accelerator device when none is available."


def current_accelerator(check_available: bool = False) -> _device.device | None:
    """current_accelerator(check_available=False): dpt.device('cuda') when dpt can drive a
    GPU here, else None (check_available is then moot: dpt only knows installed GPUs)."""
    return _device.device("cuda") if cuda.is_available() else None


def is_available() -> bool:
    return cuda.is_available()


def device_count() -> int:
    return cuda.device_count()


def _require() -> None:
    if not cuda.is_available():
        raise RuntimeError(_NONE)


def _index(device) -> int | None:
    if device is None or isinstance(device, int):
        return device
    dev = _device.device(device)
    if dev.type != "cuda":
        raise ValueError(f"{dev.type} doesn't match the current accelerator cuda.")
    return dev.index


def set_device_index(device, /) -> None:
    """set_device_index(device): make device (int, 'cuda:N', dpt.device) the current one."""
    _require()
    idx = _index(device)
    if idx is not None:
        cuda.set_device(idx)


def set_device_idx(device, /) -> None:
    warnings.warn("Use `set_device_index` instead.", FutureWarning, stacklevel=2)
    set_device_index(device)


def current_device_index() -> int:
    _require()
    return cuda.current_device()


def current_device_idx() -> int:
    warnings.warn("Use `current_device_index` instead.", FutureWarning, stacklevel=2)
    return current_device_index()


def synchronize(device=None, /) -> None:
    """Wait for the work queued on device (default: the current one)."""
    _require()
    cuda.synchronize(_index(device))


def current_stream(device=None, /):
    _require()
    return cuda.current_stream(device)


def empty_cache() -> None:
    _require()
    cuda.empty_cache()


def memory_allocated(device_index=None, /) -> int:
    _require()
    return cuda.memory_allocated(device_index)


def memory_reserved(device_index=None, /) -> int:
    _require()
    return cuda.memory_reserved(device_index)


class device_index:
    """with device_index(i): ... makes accelerator i current inside the block; None is a
    no-op (and works without an accelerator)."""

    def __init__(self, device: int | None, /):
        self.idx = device
        self._ctx = None

    def __enter__(self):
        if self.idx is not None:
            _require()
            self._ctx = cuda.device(self.idx)
            self._ctx.__enter__()
        return self

    def __exit__(self, *exc):
        if self._ctx is not None:
            return self._ctx.__exit__(*exc)
        return False
