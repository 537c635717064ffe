"""dpt.distributed.optim: optimizers that shard their work over the ranks (torch's names)."""
from .zero_redundancy_optimizer import ZeroRedundancyOptimizer

__all__ = ["ZeroRedundancyOptimizer"]
