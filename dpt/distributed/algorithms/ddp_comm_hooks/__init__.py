"""Communication hooks for DistributedDataParallel.register_comm_hook."""
from . import ddp_zero_hook, default_hooks, powerSGD_hook  # noqa: F401
from .default_hooks import allreduce_hook, bf16_compress_hook, fp16_compress_hook  # noqa: F401
from .powerSGD_hook import PowerSGDState, batched_powerSGD_hook  # noqa: F401
