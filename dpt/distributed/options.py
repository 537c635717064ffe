"""torch.distributed's option records and small named types.

dpt's collectives take their options as keyword arguments, so these records are
only data: scripts that build them (for a custom ProcessGroup, or to read their
defaults) keep working. ``timeout`` defaults to "unset" (-1 ms) as in torch,
meaning the group's timeout.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import timedelta

from .backends import parse_backend
from .reduce_op import ReduceOp

__all__ = ["AllreduceOptions", "AllreduceCoalescedOptions", "BroadcastOptions", "ReduceOptions",
           "AllToAllOptions", "BarrierOptions", "GatherOptions", "ScatterOptions",
           "ReduceScatterOptions", "BackendConfig", "BuiltinCommHookType", "GroupName",
           "RankType"]

GroupName = str   # a process group's name (torch: GroupName)
RankType = int    # a rank (torch: int | SymInt)


def _unset() -> timedelta:
    return timedelta(milliseconds=-1)


@dataclass
class AllreduceOptions:
    reduceOp: ReduceOp = field(default_factory=ReduceOp)
    timeout: timedelta = field(default_factory=_unset)
    asyncOp: bool = True


@dataclass
class AllreduceCoalescedOptions(AllreduceOptions):
    pass


@dataclass
class BroadcastOptions:
    rootRank: int = 0
    rootTensor: int = 0
    timeout: timedelta = field(default_factory=_unset)
    asyncOp: bool = True


@dataclass
class ReduceOptions:
    reduceOp: ReduceOp = field(default_factory=ReduceOp)
    rootRank: int = 0
    rootTensor: int = 0
    timeout: timedelta = field(default_factory=_unset)
    asyncOp: bool = True


@dataclass
class AllToAllOptions:
    timeout: timedelta = field(default_factory=_unset)
    asyncOp: bool = True


@dataclass
class BarrierOptions:
    device_ids: list = field(default_factory=list)
    device: object = None
    timeout: timedelta = field(default_factory=_unset)
    asyncOp: bool = True


@dataclass
class GatherOptions:
    rootRank: int = 0
    timeout: timedelta = field(default_factory=_unset)
    asyncOp: bool = True


@dataclass
class ScatterOptions:
    rootRank: int = 0
    timeout: timedelta = field(default_factory=_unset)
    asyncOp: bool = True


@dataclass
class ReduceScatterOptions:
    reduceOp: ReduceOp = field(default_factory=ReduceOp)
    timeout: timedelta = field(default_factory=_unset)
    asyncOp: bool = True


class BackendConfig:
    """BackendConfig(backend): which transport moves each device type's tensors for a backend
    string ('mpi', 'nccl', 'cpu:mpi,cuda:nccl', ...). dpt always has a CPU transport (MPI),
    so every device type appears; a transport that cannot run here raises RuntimeError, as
    init_process_group does."""

    def __init__(self, backend):
        self._map = parse_backend(backend)

    def get_device_backend_map(self) -> dict:
        return dict(self._map)

    def __str__(self) -> str:
        return ",".join(f"{dev}:{name}" for dev, name in self._map.items())

    __repr__ = __str__


class BuiltinCommHookType(enum.IntEnum):
    """The comm hooks DDP's C++ side knows by name (DDP._register_builtin_comm_hook)."""

    ALLREDUCE = 1
    FP16_COMPRESS = 2
