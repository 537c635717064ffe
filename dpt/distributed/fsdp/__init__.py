"""dpt.distributed.fsdp: FullyShardedDataParallel with torch's names (see
fully_sharded_data_parallel.py for how a step works and what deviates from torch)."""
from ._optim_state import load_sharded_optimizer_state_dict
from ._sharded import ShardedTensor, load_sharded_state_dict, save_sharded_state_dict
from .api import (BackwardPrefetch, CPUOffload, FullStateDictConfig, LocalStateDictConfig,
                  MixedPrecision, ShardedStateDictConfig, ShardingStrategy, StateDictConfig,
                  StateDictType)
from .fully_sharded_data_parallel import FullyShardedDataParallel

__all__ = ["BackwardPrefetch", "CPUOffload", "FullStateDictConfig", "FullyShardedDataParallel",
           "LocalStateDictConfig", "MixedPrecision", "ShardedStateDictConfig", "ShardedTensor",
           "ShardingStrategy", "StateDictConfig", "StateDictType", "load_sharded_optimizer_state_dict", "load_sharded_state_dict",
           "save_sharded_state_dict"]
