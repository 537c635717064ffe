"""The enums and configuration records of FullyShardedDataParallel (torch's names and fields)."""
from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

__all__ = ["BackwardPrefetch", "CPUOffload", "FullStateDictConfig", "MixedPrecision",
           "ShardedStateDictConfig", "ShardingStrategy", "StateDictConfig", "StateDictType"]


class ShardingStrategy(enum.Enum):
    """FULL_SHARD: parameters, gradients and optimizer state sharded, parameters gathered
    for forward and again for backward. SHARD_GRAD_OP: gathered parameters kept from
    forward through backward. NO_SHARD: every rank holds everything (DDP-like all-reduce).
    HYBRID_SHARD and _HYBRID_SHARD_ZERO2 are not supported by dpt."""
    FULL_SHARD = enum.auto()
    SHARD_GRAD_OP = enum.auto()
    NO_SHARD = enum.auto()
    HYBRID_SHARD = enum.auto()
    _HYBRID_SHARD_ZERO2 = enum.auto()


class BackwardPrefetch(enum.Enum):
    """When to start the all-gather of the next unit in backward: BACKWARD_PRE, as the
    current unit's backward starts (most overlap, one more unit in memory); BACKWARD_POST,
    once the current unit's gradients are complete. None: no prefetch."""
    BACKWARD_PRE = enum.auto()
    BACKWARD_POST = enum.auto()


class StateDictType(enum.Enum):
    FULL_STATE_DICT = enum.auto()
    LOCAL_STATE_DICT = enum.auto()
    SHARDED_STATE_DICT = enum.auto()


@dataclass
class MixedPrecision:
    """MixedPrecision(param_dtype=None, reduce_dtype=None, buffer_dtype=None, ...):
    forward and backward compute with the gathered parameters in ``param_dtype``,
    gradients are reduced in ``reduce_dtype`` (``param_dtype`` when None), buffers are kept
    in ``buffer_dtype``; the sharded parameter stays in its own (full) precision."""
    param_dtype: Any = None
    reduce_dtype: Any = None
    buffer_dtype: Any = None
    keep_low_precision_grads: bool = False
    cast_forward_inputs: bool = False
    cast_root_forward_inputs: bool = True


@dataclass
class CPUOffload:
    """Accepted for torch compatibility; on CPU arrays it changes nothing, and dpt does not
    move GPU shards to host memory (``offload_params=True`` raises)."""
    offload_params: bool = False


@dataclass
class StateDictConfig:
    offload_to_cpu: bool = False


@dataclass
class FullStateDictConfig(StateDictConfig):
    """offload_to_cpu: return CPU tensors; rank0_only: only rank 0 gets the dict (the other
    ranks get an empty one), as in torch."""
    rank0_only: bool = False


@dataclass
class ShardedStateDictConfig(StateDictConfig):
    _use_dtensor: bool = False


@dataclass
class LocalStateDictConfig(StateDictConfig):
    pass
