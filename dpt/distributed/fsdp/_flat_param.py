"""One FSDP unit's flat parameter: its original parameters packed into one padded 1-D
array, each rank keeping a contiguous 1/N shard, gathered whole only while needed.

Freeing a gathered parameter (torch resizes its storage to zero) must work while the
autograd graph still holds views of it: ops save the parameters they read. On the CPU the
gathered array therefore lives in an anonymous memory map; freeing it is
``madvise(MADV_DONTNEED)``, which returns the pages to the system (the views then read
zeros), and gathering again writes into the same pages, so every saved view sees the
parameters again in backward. GPU arrays have no such call; there the parameter tensors
handed to the modules are re-pointed instead (torch frees their storage the same way):
freeing gives each a zero-size stand-in of its shape and drops the gathered array, and
gathering again points them at the new one. Memory held by other arrays derived from the
parameters (an op that saved a raw view, a transposed copy) stays until backward frees it.
"""
from __future__ import annotations

import mmap

import numpy as np

from ..._device import xp_of
from ..._tensor import Tensor
from ...autograd.function import Function
from ...nn.parameter import Parameter
from ..collectives import all_gather_into_tensor, all_reduce, reduce_scatter_tensor
from .api import ShardingStrategy


class _ParamInfo:
    """Where one original parameter lived (module, attribute, name) and sits in the flat array."""

    def __init__(self, module, attr: str, fqn: str, shape: tuple, offset: int, numel: int,
                 alias_of: int | None = None):
        self.module, self.attr, self.fqn = module, attr, fqn
        self.shape, self.offset, self.numel = shape, offset, numel
        self.alias_of = alias_of  # index of the first occurrence of a shared (tied) parameter


class _HostBuffer:
    """A 1-D numpy array whose memory can be handed back to the system and reused in place."""

    def __init__(self, n: int, dtype):
        dtype = np.dtype(dtype)
        # Private: MADV_DONTNEED on a shared anonymous map would keep the contents.
        self._map = mmap.mmap(-1, max(n * dtype.itemsize, 1),
                              flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
        self.array = np.frombuffer(self._map, dtype=dtype, count=n)

    def release(self) -> None:
        self._map.madvise(mmap.MADV_DONTNEED)


class _Unshard(Function):
    """shard -> the unit's original parameters (views into the gathered flat array).

    Its backward runs once every op that read those parameters has handed back their
    gradients: the moment the unit's gradient is complete (FSDP's post-backward)."""

    def forward(self, shard, handle=None):
        self.handle = handle
        return tuple(handle.views())

    def backward(self, *grads):
        self.handle.post_backward(grads)
        return None


class FlatParamHandle:
    """The flat parameter of one FSDP unit and its gather / free / reduce steps."""

    def __init__(self, named: list, state, strategy: ShardingStrategy, mixed_precision,
                 process_group, world_size: int, rank: int):
        """named: [(module, attr, fqn, Parameter)] in registration order."""
        self.state = state
        self.strategy = strategy
        self.group = process_group
        self.world = world_size
        self.rank = rank
        self.infos: list[_ParamInfo] = []
        unique: dict[int, int] = {}
        arrays, offset = [], 0
        dtypes = {p._data.dtype for *_, p in named}
        if len(dtypes) > 1:
            raise ValueError(f"FullyShardedDataParallel: a unit's parameters must share one dtype "
                             f"to be flattened, got {sorted(str(d) for d in dtypes)} for "
                             f"{[fqn for _, _, fqn, _ in named]}")
        for module, attr, fqn, p in named:
            if id(p) in unique:
                first = self.infos[unique[id(p)]]
                self.infos.append(_ParamInfo(module, attr, fqn, first.shape, first.offset,
                                             first.numel, alias_of=unique[id(p)]))
                continue
            unique[id(p)] = len(self.infos)
            n = p.numel()
            self.infos.append(_ParamInfo(module, attr, fqn, tuple(p.shape), offset, n))
            arrays.append(p._data.reshape(-1))
            offset += n
        self.numel = offset
        shards = 1 if strategy == ShardingStrategy.NO_SHARD else world_size
        self.padded = -(-max(offset, 1) // shards) * shards
        self.shard_numel = self.padded // shards
        ref = named[0][3]._data
        xp = xp_of(ref)
        flat = xp.zeros(self.padded, dtype=ref.dtype)
        if arrays:
            flat[:offset] = xp.concatenate(arrays)
        self.shard_offset = 0 if shards == 1 else rank * self.shard_numel
        local = flat[self.shard_offset:self.shard_offset + self.shard_numel].copy()
        self.flat_param = Parameter(Tensor._make(local), requires_grad=any(
            p.requires_grad for *_, p in named))
        self.flat_param._fsdp_handle = self
        self.xp = xp
        self.param_dtype = mixed_precision.param_dtype.np if (
            mixed_precision is not None and mixed_precision.param_dtype is not None) else ref.dtype
        rd = None if mixed_precision is None else (mixed_precision.reduce_dtype or
                                                   mixed_precision.param_dtype)
        self.reduce_dtype = rd.np if rd is not None else ref.dtype
        self._buffer = None     # the gathered array's home (CPU: reused every gather)
        self._handed = []       # GPU: (parameter tensor, info) handed out, re-pointed on gather
        self.full = None        # the gathered flat array while it is materialised
        self.gathered = False
        self._work = None       # an all-gather in flight (prefetch)
        self._cast = None       # the cast shard an all-gather in flight reads
        self._users = 0         # _Unshard nodes recorded and not yet run in backward
        self._grad = None       # the unit's flat gradient being summed in this backward
        self.unsharded_grad = None  # gradients summed under no_sync, reduced on the next sync
        self.prefetches = 0         # all-gathers started ahead of need (backward/forward prefetch)

    # -- gathering and freeing -------------------------------------------------------------
    @property
    def uses_shard_directly(self) -> bool:
        """NO_SHARD in full precision computes straight from the (unsharded) flat parameter."""
        return (self.strategy == ShardingStrategy.NO_SHARD
                and self.param_dtype == self.flat_param._data.dtype)

    @property
    def full_bytes(self) -> int:
        return self.padded * np.dtype(self.param_dtype).itemsize

    def _target(self):
        if self._buffer is None:
            if self.xp is np:
                self._buffer = _HostBuffer(self.padded, self.param_dtype)
            else:
                self._buffer = _DeviceBuffer(self.xp.empty(self.padded, dtype=self.param_dtype))
        return self._buffer.array

    def unshard(self, async_op: bool = False) -> None:
        """Materialise the full flat parameter (async_op: start the all-gather, return)."""
        if self.gathered:
            return
        if self._work is not None:
            if not async_op:
                self._finish_gather()
            return
        shard = self.flat_param._data
        if self.uses_shard_directly:
            self.full = shard
            self.gathered = True
            return
        out = self._target()
        src = shard if shard.dtype == self.param_dtype else shard.astype(self.param_dtype)
        self.state.memory.add(self.full_bytes)
        if self.strategy == ShardingStrategy.NO_SHARD:
            out[...] = src
            self.full, self.gathered = out, True
            self._repoint()
            return
        self._cast = src
        self._work = all_gather_into_tensor(Tensor._make(out), Tensor._make(src),
                                            group=self.group, async_op=True)
        self.prefetches += bool(async_op)
        if not async_op:
            self._finish_gather()

    def _finish_gather(self) -> None:
        self._work.wait()
        self._work = self._cast = None
        self.full, self.gathered = self._buffer.array, True
        self._repoint()

    def _repoint(self) -> None:
        """GPU: point the parameter tensors handed out before the last free at the new array."""
        full = self.full
        for t, info in self._handed:
            t._data = full[info.offset:info.offset + info.numel].reshape(info.shape)

    def poll(self) -> None:
        """Move an in-flight prefetch forward (MPICH progresses only inside MPI calls)."""
        if self._work is not None:
            self._work.is_completed()

    def reshard(self) -> None:
        """Drop the full flat parameter (its memory goes back to the system)."""
        if self._work is not None:
            self._finish_gather()
        if not self.gathered:
            return
        self.gathered, self.full = False, None
        self.set_placeholders()
        if not self.uses_shard_directly:
            if self.xp is np:
                self._buffer.release()
            else:
                for t, info in self._handed:  # keeps shape and dtype, holds no memory
                    t._data = self.xp.broadcast_to(self.xp.zeros((), self.param_dtype), info.shape)
                self._buffer = None
            self.state.memory.add(-self.full_bytes)

    def set_placeholders(self) -> None:
        """Sharded state: each original attribute is an empty tensor (as torch's size-0
        storage), so the parameters cannot be read by mistake until the next gather."""
        empty = Tensor._make(self.xp.empty(0, dtype=self.param_dtype))
        for info in self.infos:
            info.module.__dict__[info.attr] = empty

    def views(self) -> list:
        full = self.full
        return [full[i.offset:i.offset + i.numel].reshape(i.shape)
                for i in self.infos if i.alias_of is None]

    def set_module_params(self, track_grad: bool) -> None:
        """Point every original attribute at its slice of the gathered parameter; with
        track_grad the slices come out of one _Unshard node (the post-backward trigger)."""
        if track_grad and self.flat_param.requires_grad:
            outs = _Unshard.apply(self.flat_param, handle=self)
            self._users += 1
        else:
            outs = tuple(Tensor._make(v) for v in self.views())
        unique = [i for i in self.infos if i.alias_of is None]
        if self.xp is not np and track_grad and not self.uses_shard_directly:
            self._handed.extend(zip(outs, unique))
        by_index, k = {}, 0
        for n, info in enumerate(self.infos):
            if info.alias_of is None:
                by_index[n] = outs[k]
                k += 1
            t = by_index[n if info.alias_of is None else info.alias_of]
            info.module.__dict__[info.attr] = t
        assert k == len(unique)

    # -- gradients ---------------------------------------------------------------------------
    def post_backward(self, grads) -> None:
        """One _Unshard node finished: sum its gradients; the last one reduces them."""
        self._users -= 1
        last = self._users <= 0
        if last and self.strategy != ShardingStrategy.NO_SHARD:
            self.reshard()  # nothing reads the parameters any more: free them first
        if self._grad is None:
            self._grad = self.xp.zeros(self.padded, dtype=self.param_dtype)
            self.state.memory.add(self.full_bytes)
        unique = [i for i in self.infos if i.alias_of is None]
        for info, g in zip(unique, grads):
            if g is not None:
                self._grad[info.offset:info.offset + info.numel] += g._data.reshape(-1)
        if last:
            self._users = 0
            self._handed = []  # every node that read them has run
            self.state.on_unit_gradient(self)

    def take_gradient(self):
        """The unit's summed flat gradient of this backward (None if none arrived)."""
        g, self._grad = self._grad, None
        if g is not None:
            self.state.memory.add(-self.full_bytes)
        return g

    def start_reduce(self, flat_grad):
        """Launch the average of flat_grad over the ranks; returns (work, output, input)."""
        g = flat_grad
        if g.dtype != self.reduce_dtype:
            g = g.astype(self.reduce_dtype)
        if self.strategy == ShardingStrategy.NO_SHARD:
            work = all_reduce(Tensor._make(g), group=self.group, async_op=True)
            return work, g, g
        out = self.xp.empty(self.shard_numel, dtype=self.reduce_dtype)
        work = reduce_scatter_tensor(Tensor._make(out), Tensor._make(g), group=self.group,
                                     async_op=True)
        return work, out, g

    def accumulate_shard_grad(self, reduced) -> None:
        """.grad of the local shard += the averaged gradient (in the shard's dtype)."""
        shard = self.flat_param
        g = reduced / self.world
        if g.dtype != shard._data.dtype:
            g = g.astype(shard._data.dtype)
        if shard._grad is None:
            shard._grad = Tensor._make(g)
        else:
            shard._grad._data[...] += g

    # -- the full (unsharded) values for state dicts ---------------------------------------
    def gather_full_precision(self):
        """The whole flat parameter in the shard's dtype, on every rank (a new array)."""
        shard = self.flat_param._data
        if self.strategy == ShardingStrategy.NO_SHARD:
            return shard.copy()
        out = self.xp.empty(self.padded, dtype=shard.dtype)
        all_gather_into_tensor(Tensor._make(out), Tensor._make(shard), group=self.group)
        return out

    def local_range(self, info: _ParamInfo) -> tuple[int, int]:
        """[start, stop) of this rank's shard inside info's flattened parameter."""
        lo = max(info.offset, self.shard_offset)
        hi = min(info.offset + info.numel, self.shard_offset + self.shard_numel)
        return (lo - info.offset, max(hi, lo) - info.offset)


class _DeviceBuffer:
    """The GPU twin of _HostBuffer: a fresh array per gather, dropped when freed."""

    def __init__(self, array):
        self.array = array


class MemoryMeter:
    """Bytes of gathered parameters and unsharded gradients alive now, and their peak."""

    def __init__(self):
        self.current = 0
        self.peak = 0

    def add(self, n: int) -> None:
        self.current += n
        self.peak = max(self.peak, self.current)

    def reset_peak(self) -> None:
        self.peak = self.current
