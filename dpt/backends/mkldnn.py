"""torch.backends.mkldnn stand-in: dpt does not use oneDNN; the flags are accepted and ignored."""
from __future__ import annotations

import contextlib

enabled = True
deterministic = False
allow_tf32 = False


def is_available() -> bool:
    return False


def set_flags(_enabled=None, _deterministic=None, _allow_tf32=None, _fp32_precision="none"):
    """Set the given flags; returns the previous (enabled, deterministic, allow_tf32)."""
    global enabled, deterministic, allow_tf32
    previous = (enabled, deterministic, allow_tf32)
    if _enabled is not None:
        enabled = bool(_enabled)
    if _deterministic is not None:
        deterministic = bool(_deterministic)
    if _allow_tf32 is not None:
        allow_tf32 = bool(_allow_tf32)
    return previous


@contextlib.contextmanager
def flags(enabled=False, deterministic=False, allow_tf32=True, fp32_precision="none"):
    """with flags(enabled=..., ...): the flags inside the block, restored after."""
    previous = set_flags(enabled, deterministic, allow_tf32)
    try:
        yield
    finally:
        set_flags(*previous)
