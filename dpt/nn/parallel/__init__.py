"""Data parallelism: DistributedDataParallel (one process per device) and DataParallel."""
from .data_parallel import DataParallel, gather, parallel_apply, replicate, scatter
from .distributed import DDP, DistributedDataParallel, GradBucket

__all__ = ["DataParallel", "DistributedDataParallel", "DDP", "GradBucket", "gather",
           "parallel_apply", "replicate", "scatter"]
