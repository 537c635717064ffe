"""DDP's join(): training with uneven inputs across ranks without hanging."""
from __future__ import annotations

import numpy as np

from ... import _device
from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad


class DDPJoin:
    """Context manager returned by ``DistributedDataParallel.join()``.

    Every forward of an active rank first all-reduces a 1 (counting the ranks still
    training). A rank that has run out of data leaves its training loop and, in
    ``__exit__``, all-reduces a 0 instead; while the count is non-zero it repeats one
    training step's collectives with zero gradients, so the active ranks' all-reduces
    complete. When every rank has joined, the count is 0 and all leave together.
    Gradients are divided by the initial world size (torch's default) or, with
    ``divide_by_initial_world_size=False``, by the number of ranks still active.
    """

    def __init__(self, ddp, divide_by_initial_world_size=True, enable=True,
                 throw_on_early_termination=False):
        self._ddp = ddp
        self._by_initial = divide_by_initial_world_size
        self._enable = enable
        self._throw = throw_on_early_termination
        self._active = ddp._world
        self._steps = 0

    def __enter__(self):
        if self._enable:
            self._ddp._join = self
        return self

    def _count(self, value: int, op=None) -> int:
        dist = self._ddp._dist
        t = Tensor._make(np.array([value], dtype=np.int64))
        dist.all_reduce(t, op=op or dist.ReduceOp.SUM, group=self._ddp.process_group)
        return int(t._data[0])

    def _sync_final_model(self) -> None:
        """The ranks that trained longest hold the final model: the lowest of them
        broadcasts its parameters and buffers to everyone (as torch's join does)."""
        dist, ddp = self._ddp._dist, self._ddp
        most = self._count(self._steps, dist.ReduceOp.MAX)
        src = self._count(ddp._rank if self._steps == most else ddp._world, dist.ReduceOp.MIN)
        _broadcast_flat(dist, ddp._module_states(), ddp.process_group, src=src)

    def notify_active(self) -> None:
        self._steps += 1
        self._active = self._count(1)
        if self._throw and self._active < self._ddp._world:
            raise RuntimeError("Detected at least one rank that exhausted inputs. Throwing across "
                               "all ranks.")

    def divisor(self) -> int:
        return self._ddp._world if self._by_initial else max(self._active, 1)

    def __exit__(self, exc_type, exc, tb):
        if not self._enable:
            return False
        try:
            if exc_type is None:
                while True:
                    active = self._count(0)
                    if active == 0:
                        break
                    if self._throw:
                        raise RuntimeError("Detected at least one rank that exhausted inputs. "
                                           "Throwing across all ranks.")
                    self._active = active
                    self._ddp._shadow_step()
                self._sync_final_model()
        finally:
            self._ddp._join = None
        return False


def _broadcast_flat(dist, tensors, group, src: int = 0) -> None:
    """Broadcast src's values of tensors in one collective per dtype (in place); DDP's
    start-up and buffer broadcasts use it too."""
    by_dtype = {}
    for t in tensors:
        by_dtype.setdefault((t._data.dtype, t.device), []).append(t)
    with no_grad():
        for (dt, dev), ts in by_dtype.items():
            with _device.device_context(dev):
                _broadcast_one(dist, ts, dt, group, src)


def _broadcast_one(dist, ts, dt, group, src: int) -> None:
    """One dtype's broadcast (with its device current)."""
    xp = _device.xp_of(ts[0]._data)
    flat = xp.concatenate([t._data.reshape(-1) for t in ts]) if ts else xp.zeros(0, dt)
    buf = Tensor._make(flat)
    dist.broadcast(buf, group=group, group_src=src)
    offset = 0
    for t in ts:
        n = t._data.size
        t._data[...] = flat[offset:offset + n].reshape(t._data.shape)
        t._vc[0] += 1
        offset += n
