"""dpt.utils: helpers around the core (torch.utils)."""
from . import data

__all__ = ["data"]
