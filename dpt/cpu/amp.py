"""dpt.cpu.amp: torch.cpu.amp's deprecated spellings of dpt.amp for the 'cpu' device type.

Each name warns (FutureWarning, as torch does) and behaves as its dpt.amp counterpart.
"""
from __future__ import annotations

import warnings

from .. import _dtype, amp as _amp

__all__ = ["autocast", "GradScaler"]


def _deprecated(old: str, new: str) -> None:
    warnings.warn(f"`dpt.cpu.amp.{old}(args...)` is deprecated. Please use `{new}` instead.",
                  FutureWarning, stacklevel=3)


class autocast(_amp.autocast):
    """autocast(enabled=True, dtype=dpt.bfloat16, cache_enabled=True): dpt.amp.autocast('cpu')."""

    def __init__(self, enabled: bool = True, dtype=_dtype.bfloat16, cache_enabled: bool = True):
        _deprecated("autocast", "dpt.amp.autocast('cpu', args...)")
        super().__init__("cpu", dtype=dtype, enabled=enabled, cache_enabled=cache_enabled)


class GradScaler(_amp.GradScaler):
    """GradScaler(init_scale=2.**16, growth_factor=2.0, backoff_factor=0.5,
    growth_interval=2000, enabled=True): dpt.amp.GradScaler('cpu', ...)."""

    def __init__(self, init_scale: float = 2.0 ** 16, growth_factor: float = 2.0,
                 backoff_factor: float = 0.5, growth_interval: int = 2000, enabled: bool = True):
        _deprecated("GradScaler", "dpt.amp.GradScaler('cpu', args...)")
        super().__init__("cpu", init_scale=init_scale, growth_factor=growth_factor,
                         backoff_factor=backoff_factor, growth_interval=growth_interval,
                         enabled=enabled)
