"""dpt.cuda.amp: torch.cuda.amp's deprecated spellings of dpt.amp for the 'cuda' device type.

Each name warns (FutureWarning, as torch does) and behaves as its dpt.amp counterpart.
"""
from __future__ import annotations

import functools
import warnings

from .. import _dtype, amp as _amp

__all__ = ["autocast", "GradScaler", "custom_fwd", "custom_bwd"]


def _deprecated(old: str, new: str) -> None:
    warnings.warn(f"`dpt.cuda.amp.{old}(args...)` is deprecated. Please use `{new}` instead.",
                  FutureWarning, stacklevel=3)


class autocast(_amp.autocast):
    """autocast(enabled=True, dtype=dpt.float16, cache_enabled=True): dpt.amp.autocast('cuda')."""

    def __init__(self, enabled: bool = True, dtype=_dtype.float16, cache_enabled: bool = True):
        _deprecated("autocast", "dpt.amp.autocast('cuda', args...)")
        super().__init__("cuda", dtype=dtype, enabled=enabled, cache_enabled=cache_enabled)


class GradScaler(_amp.GradScaler):
    """GradScaler(init_scale=2.**16, growth_factor=2.0, backoff_factor=0.5,
    growth_interval=2000, enabled=True): dpt.amp.GradScaler('cuda', ...)."""

    def __init__(self, init_scale: float = 2.0 ** 16, growth_factor: float = 2.0,
                 backoff_factor: float = 0.5, growth_interval: int = 2000, enabled: bool = True):
        _deprecated("GradScaler", "dpt.amp.GradScaler('cuda', args...)")
        super().__init__("cuda", init_scale=init_scale, growth_factor=growth_factor,
                         backoff_factor=backoff_factor, growth_interval=growth_interval,
                         enabled=enabled)


def custom_fwd(fwd=None, *, cast_inputs=None):
    """custom_fwd(fwd=None, *, cast_inputs=None): dpt.amp.custom_fwd(device_type='cuda')."""
    _deprecated("custom_fwd", "dpt.amp.custom_fwd(args..., device_type='cuda')")
    if fwd is None:
        return functools.partial(_amp.custom_fwd, device_type="cuda", cast_inputs=cast_inputs)
    return _amp.custom_fwd(fwd, device_type="cuda", cast_inputs=cast_inputs)


def custom_bwd(bwd):
    """custom_bwd(bwd): dpt.amp.custom_bwd(device_type='cuda')."""
    _deprecated("custom_bwd", "dpt.amp.custom_bwd(args..., device_type='cuda')")
    return _amp.custom_bwd(bwd, device_type="cuda")
