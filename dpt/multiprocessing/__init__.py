"""dpt.multiprocessing: Python's multiprocessing, with dpt tensors shared, not copied
(torch.multiprocessing).

Everything in the standard module is re-exported (Process, Queue, Pool, get_context,
set_start_method, ...). ``import dpt`` imports this package, which registers how
multiprocessing pickles dpt Tensors and Parameters (as torch does): a CPU tensor sent
through a Queue, a Pipe, a Pool or a spawned Process's arguments is first moved into
shared memory, in place, and the receiver maps the same memory, so in-place writes on
either side are seen by the other (see ``_shared_memory`` for the two sharing
strategies). GPU tensors are sent as copies: dpt has no CUDA IPC. A non-leaf tensor that
requires grad is refused, as in torch.

The sending process must still be alive when a receiver unpickles a tensor (it hands
over the memory), as with torch's default strategy. Plain ``pickle`` (dpt.save, the
DataLoader's worker results) still copies tensor data.
"""
from __future__ import annotations

import multiprocessing
from multiprocessing import *  # noqa: F401,F403

from . import _shared_memory
from .spawn import (ProcessContext, ProcessException, ProcessExitedException,  # noqa: F401
                    ProcessRaisedException, SpawnContext, spawn, start_processes)

__all__ = ["set_sharing_strategy", "get_sharing_strategy", "get_all_sharing_strategies",
           "spawn", "start_processes", "ProcessContext", "ProcessException",
           "ProcessExitedException", "ProcessRaisedException", "SpawnContext"]
__all__ += multiprocessing.__all__


def set_sharing_strategy(new_strategy: str) -> None:
    """set_sharing_strategy(new_strategy): 'file_descriptor' (Linux's default) or
    'file_system'; applies to tensors shared from now on."""
    if new_strategy not in _shared_memory.STRATEGIES:
        raise AssertionError(f"invalid sharing strategy {new_strategy!r}, expected one of "
                             f"{_shared_memory.STRATEGIES}")
    _shared_memory.strategy = new_strategy


def get_sharing_strategy() -> str:
    return _shared_memory.strategy


def get_all_sharing_strategies() -> set:
    return set(_shared_memory.STRATEGIES)


_shared_memory.register_reductions()
