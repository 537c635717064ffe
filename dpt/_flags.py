"""torch's process-wide switches at the top level: warn-always, denormal flushing, the
deterministic debug mode, anomaly detection and autocast's getters and setters.

Each reads or writes the state its subsystem already keeps (dpt.ops.settings for
determinism, dpt.autograd.anomaly_mode, dpt.amp's per-thread autocast stacks), so the old
spellings and the context managers always agree.
"""
from __future__ import annotations

import builtins

from . import _dtype, amp
from .autograd.anomaly_mode import (is_anomaly_check_nan_enabled, is_anomaly_enabled,
                                    set_anomaly_enabled)
from .ops import settings as _settings

__all__ = ["set_warn_always", "is_warn_always_enabled", "set_flush_denormal",
           "get_deterministic_debug_mode", "set_deterministic_debug_mode",
           "is_anomaly_enabled", "set_anomaly_enabled", "is_anomaly_check_nan_enabled",
           "set_autocast_enabled", "set_autocast_dtype", "is_autocast_cpu_enabled",
           "set_autocast_cpu_enabled", "get_autocast_cpu_dtype", "set_autocast_cpu_dtype",
           "get_autocast_gpu_dtype", "set_autocast_gpu_dtype", "is_autocast_cache_enabled",
           "set_autocast_cache_enabled", "clear_autocast_cache", "autocast_increment_nesting",
           "autocast_decrement_nesting"]

_state = {"always": False, "cache": True, "nesting": 0}


def set_warn_always(b: bool) -> None:
    """set_warn_always(b): ask warnings that torch gives once per process to warn every time.
    dpt records the flag for scripts that read it back; its own warnings go through Python's
    warnings filters, which decide repetition."""
    _state["always"] = builtins.bool(b)


def is_warn_always_enabled() -> bool:
    return _state["always"]


def set_flush_denormal(mode: bool) -> bool:
    """set_flush_denormal(mode) -> bool: whether flushing denormals to zero was switched.
    numpy offers no control over the CPU's denormal mode, so dpt answers False (unsupported,
    as torch does on CPUs without it) and arithmetic keeps denormals."""
    return False


_DEBUG_MODES = {"default": 0, "warn": 1, "error": 2}


def set_deterministic_debug_mode(debug_mode) -> None:
    """set_deterministic_debug_mode(debug_mode): 'default'/0 turns deterministic algorithms
    off, 'warn'/1 on with warnings only, 'error'/2 on (use_deterministic_algorithms)."""
    if isinstance(debug_mode, str):
        if debug_mode not in _DEBUG_MODES:
            raise RuntimeError("invalid value of debug_mode, expected one of `default`, `warn`, "
                               f"`error`, but got {debug_mode}")
        debug_mode = _DEBUG_MODES[debug_mode]
    elif not isinstance(debug_mode, builtins.int) or isinstance(debug_mode, builtins.bool):
        raise TypeError(f"debug_mode must be str or int, but got {type(debug_mode)}")
    if debug_mode not in (0, 1, 2):
        raise RuntimeError(f"invalid value of debug_mode, expected 0, 1, or 2, but got "
                           f"{debug_mode}")
    _settings.use_deterministic_algorithms(debug_mode > 0, warn_only=debug_mode == 1)


def get_deterministic_debug_mode() -> int:
    """0 (default), 1 (warn) or 2 (error): see set_deterministic_debug_mode."""
    if not _settings.are_deterministic_algorithms_enabled():
        return 0
    return 1 if _settings.is_deterministic_algorithms_warn_only_enabled() else 2


# -- autocast's state, as functions (dpt.amp keeps a stack of regions per device type) -----
def _set_top(device_type: str, enabled=None, dtype=None) -> None:
    """Change the innermost autocast state of device_type (a base one outside any region)."""
    if not amp.is_autocast_available(device_type):
        raise RuntimeError(f"unsupported autocast device_type '{device_type}'")
    stack = getattr(amp._state, device_type, None)
    if stack is None:
        stack = []
        setattr(amp._state, device_type, stack)
    cur_enabled, cur_dtype = amp._current(device_type)
    entry = (cur_enabled if enabled is None else builtins.bool(enabled),
             cur_dtype if dtype is None else _dtype.as_dtype(dtype))
    if stack:
        stack[-1] = entry
    else:
        stack.append(entry)
    amp._publish()


def set_autocast_enabled(device_type, enabled=None) -> None:
    """set_autocast_enabled(device_type, enabled) / set_autocast_enabled(enabled) (cuda)."""
    if enabled is None:
        device_type, enabled = "cuda", device_type
    _set_top(device_type, enabled=enabled)


def set_autocast_dtype(device_type: str, dtype) -> None:
    """set_autocast_dtype(device_type, dtype): the dtype autocast(device_type) uses."""
    _set_top(device_type, dtype=dtype)


def is_autocast_cpu_enabled() -> bool:
    return amp.is_autocast_enabled("cpu")


def set_autocast_cpu_enabled(enabled: bool) -> None:
    _set_top("cpu", enabled=enabled)


def get_autocast_cpu_dtype():
    return amp.get_autocast_dtype("cpu")


def set_autocast_cpu_dtype(dtype) -> None:
    _set_top("cpu", dtype=dtype)


def get_autocast_gpu_dtype():
    return amp.get_autocast_dtype("cuda")


def set_autocast_gpu_dtype(dtype) -> None:
    _set_top("cuda", dtype=dtype)


def is_autocast_cache_enabled() -> bool:
    """dpt does not cache autocast's casts; the flag is kept for scripts that set it."""
    return _state["cache"]


def set_autocast_cache_enabled(enabled: bool) -> None:
    _state["cache"] = builtins.bool(enabled)


def clear_autocast_cache() -> None:
    """Nothing to clear: dpt casts afresh on each use."""


def autocast_increment_nesting() -> int:
    _state["nesting"] += 1
    return _state["nesting"]


def autocast_decrement_nesting() -> int:
    _state["nesting"] -= 1
    return _state["nesting"]
