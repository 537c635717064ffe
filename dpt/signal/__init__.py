"""dpt.signal: torch.signal, signal-processing helpers (so far its window functions)."""
from . import windows

__all__ = ["windows"]
