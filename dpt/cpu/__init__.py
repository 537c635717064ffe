"""dpt.cpu: torch.cpu's device-module surface for the CPU (always present, one device)."""
from __future__ import annotations

from . import amp  # noqa: F401

__all__ = ["is_available", "device_count", "current_device", "set_device", "synchronize", "amp"]


def is_available() -> bool:
    return True


def device_count() -> int:
    return 1


def current_device() -> str:
    return "cpu"


def set_device(device) -> None:
    """Accepted and ignored: there is one CPU device."""


def synchronize(device=None) -> None:
    """Nothing to wait for: numpy's CPU work is synchronous."""
