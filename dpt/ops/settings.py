"""torch's global switches: the default device, the legacy default tensor type, and the
deterministic-algorithms flags."""
from __future__ import annotations

import builtins
import warnings

from .. import _device, _dtype
from .._tensor import _LEGACY

__all__ = ["get_default_device", "set_default_device", "set_default_tensor_type",
           "use_deterministic_algorithms", "are_deterministic_algorithms_enabled",
           "is_deterministic_algorithms_warn_only_enabled"]

get_default_device = _device.get_default_device
set_default_device = _device.set_default_device

_deterministic = {"mode": False, "warn_only": False}


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """use_deterministic_algorithms(mode, *, warn_only=False): records the flag.

    dpt's CPU kernels are deterministic already. On the GPU, scatter-add style kernels use
    atomics; the flag is recorded for code that queries it but does not switch those kernels.
    """
    _deterministic["mode"], _deterministic["warn_only"] = builtins.bool(mode), builtins.bool(warn_only)


def are_deterministic_algorithms_enabled() -> bool:
    return _deterministic["mode"]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    return _deterministic["warn_only"]


def set_default_tensor_type(t) -> None:
    """set_default_tensor_type(t): legacy form of set_default_dtype (deprecated in torch).

    t is a legacy type (dpt.FloatTensor, dpt.DoubleTensor, ...) or its name ('torch.FloatTensor',
    'dpt.cuda.FloatTensor'); a cuda type also sets the default device.
    """
    warnings.warn("torch.set_default_tensor_type() is deprecated as of PyTorch 2.1, please use "
                  "torch.set_default_dtype() and torch.set_default_device() as alternatives.",
                  UserWarning, stacklevel=2)
    cuda = False
    if isinstance(t, str):
        parts = t.split(".")
        cuda = "cuda" in parts[:-1]
        if parts[-1] not in _LEGACY or parts[0] not in ("torch", "dpt"):
            raise TypeError(f"invalid type: '{t}'")
        dt = _LEGACY[parts[-1]]
    elif getattr(t, "dtype", None) is not None and isinstance(t, type):
        dt = t.dtype
    else:
        raise TypeError(f"invalid type: '{t!r}'")
    if dt.category != 2:
        raise TypeError("only floating-point types are supported as the default type")
    _dtype.set_default_dtype(dt)
    if cuda:
        _device.set_default_device("cuda")
