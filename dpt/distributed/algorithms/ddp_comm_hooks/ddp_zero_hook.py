"""DDP communication hooks that run ZeroRedundancyOptimizer's step inside DDP's backward
(``overlap_with_ddp=True``): each bucket's owner updates its parameters as soon as the
bucket's averaged gradient is waited for, and broadcasts them, instead of one step after
backward.

    zero = ZeroRedundancyOptimizer(ddp.parameters(), dpt.optim.SGD, overlap_with_ddp=True,
                                   lr=0.1)
    ddp.register_comm_hook(None, hook_with_zero_step(allreduce_hook, ddp, zero))
    for _ in range(2):          # two warm-up iterations: gradients, no update (as torch)
        ddp(x).sum().backward()
    for x, y in data:
        zero.zero_grad()
        loss_fn(ddp(x), y).backward()   # the optimizer step happens in here: no zero.step()

DDP waits for its buckets in index order at the end of backward, on every rank, so the
steps and broadcasts of all ranks line up. ``hook_with_zero_step_interleaved`` is the same
hook: dpt launches every bucket's all-reduce during backward and steps bucket by bucket
as they are waited for, which is already interleaved.
"""
from __future__ import annotations

__all__ = ["hook_with_zero_step", "hook_with_zero_step_interleaved"]


def hook_with_zero_step(hook, ddp, zero, shard_buckets: bool = False):
    """hook_with_zero_step(hook, ddp, zero, shard_buckets=False): ``hook`` (e.g.
    allreduce_hook) followed by ``zero``'s step on the bucket's parameters. Each bucket is
    owned by one rank, or with ``shard_buckets=True`` its parameters are spread over all
    ranks."""
    zero._attach_ddp(ddp, shard_buckets)

    def zero_step_hook(state, bucket):
        return hook(state, bucket).then(lambda fut: zero._bucket_step(bucket, fut.value()))
    return zero_step_hook


def hook_with_zero_step_interleaved(hook, ddp, zero, shard_buckets: bool = False):
    """The same as hook_with_zero_step in dpt (see the module docstring)."""
    return hook_with_zero_step(hook, ddp, zero, shard_buckets)
