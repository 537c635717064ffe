"""Algorithms on top of the collectives (torch.distributed.algorithms)."""
from . import ddp_comm_hooks  # noqa: F401
