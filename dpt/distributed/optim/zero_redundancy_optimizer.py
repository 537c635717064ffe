"""ZeroRedundancyOptimizer: optimizer state sharded over the ranks (ZeRO stage 1).

Every rank keeps the whole model and, under DDP, the whole averaged gradient, but only
the parameters it *owns* have optimizer state here (Adam's two moments, momentum
buffers, ...): each rank runs a local optimizer of ``optimizer_class`` on its shard, then
every rank broadcasts its freshly updated parameters to the others. With N ranks each
holds about 1/N of the state, and training equals the unsharded optimizer.

Parameters are assigned greedily, as in torch: within each parameter group, largest
first, each to the rank that owns the fewest elements so far (counted over all groups),
so adding a group never moves parameters already placed.

With ``overlap_with_ddp=True`` the step runs inside DDP's backward instead, through the
hooks of dpt.distributed.algorithms.ddp_comm_hooks.ddp_zero_hook: parameters are then
assigned to ranks by DDP bucket (each bucket to the rank owning the fewest elements so far),
the first two backward passes are warm-up (no update, as in torch), and ``step()`` must
not be called (it warns and does nothing).
"""
from __future__ import annotations

import warnings
from typing import Any

from ... import distributed as _distributed
from ..._device import xp_of
from ..._tensor import Tensor
from ...nn.parallel.join import _broadcast_flat
from ...optim.optimizer import Optimizer
from ..collectives import broadcast
from ..object_collectives import gather_object
from ..process_group import get_global_rank, get_rank, get_world_size, group as _group

__all__ = ["ZeroRedundancyOptimizer"]


class ZeroRedundancyOptimizer(Optimizer):
    """ZeroRedundancyOptimizer(params, optimizer_class, process_group=None,
    parameters_as_bucket_view=False, overlap_with_ddp=False, **defaults).

    ``self.param_groups`` are the global groups (learning-rate schedulers act on them);
    ``self.optim`` is this rank's local optimizer over its shard. ``state_dict()`` needs
    ``consolidate_state_dict(to=...)`` on every rank first and then returns, on ``to``, the
    state dict of an ordinary ``optimizer_class`` over all parameters (it loads into one).
    With ``parameters_as_bucket_view=True`` each rank's parameters of one dtype and device
    live in one flat buffer that is broadcast whole, saving the packing copies.
    """

    def __init__(self, params, optimizer_class: type, process_group=None,
                 parameters_as_bucket_view: bool = False, overlap_with_ddp: bool = False,
                 **defaults: Any):
        self._ready = False
        super().__init__(params, defaults)
        self.process_group = process_group if process_group is not None else _group.WORLD
        self.world_size = get_world_size(self.process_group)
        self.rank = get_rank(self.process_group)
        self._optimizer_class = optimizer_class
        self._defaults = defaults
        self.parameters_as_bucket_view = parameters_as_bucket_view
        self._consolidated = None
        self._overlap_with_ddp = overlap_with_ddp
        self._warmup_passes = 0  # backward passes seen by the DDP hook (the first two warm up)
        self._buckets = None
        self.optim = None
        if overlap_with_ddp:  # partitioned by DDP bucket when the hook is made
            return
        self._partition()
        self.optim = optimizer_class(self._local_groups(), **defaults)
        self._buckets = self._make_buckets() if parameters_as_bucket_view else None
        self._ready = True

    # -- partition ----------------------------------------------------------------------------
    def _partition(self) -> None:
        """self._owner[id(p)] and self._per_rank[r][g]: rank r's parameters of group g."""
        sizes = [0] * self.world_size
        self._owner: dict[int, int] = {}
        self._per_rank: list[list[list[Tensor]]] = [[] for _ in range(self.world_size)]
        for group in self.param_groups:
            shards = [[] for _ in range(self.world_size)]
            for p in sorted(group["params"], key=lambda t: t.numel(), reverse=True):
                r = sizes.index(min(sizes))
                shards[r].append(p)
                sizes[r] += p.numel()
                self._owner[id(p)] = r
            for r in range(self.world_size):
                self._per_rank[r].append(shards[r])

    def _attach_ddp(self, ddp, shard_buckets: bool) -> None:
        """overlap_with_ddp: own parameters by DDP bucket (or, with shard_buckets, spread each
        bucket's parameters over the ranks), then build the local optimizer."""
        if not self._overlap_with_ddp:
            raise ValueError("hook_with_zero_step needs ZeroRedundancyOptimizer("
                             "overlap_with_ddp=True)")
        mine = {id(p) for g in self.param_groups for p in g["params"]}
        sizes = [0] * self.world_size
        self._owner = {}
        for bucket in ddp._buckets:
            params = [p for p in bucket.params if id(p) in mine]
            if not shard_buckets:
                r = sizes.index(min(sizes))
                sizes[r] += sum(p.numel() for p in params)
            for p in sorted(params, key=lambda t: t.numel(), reverse=True) if shard_buckets \
                    else params:
                if shard_buckets:
                    r = sizes.index(min(sizes))
                    sizes[r] += p.numel()
                self._owner[id(p)] = r
        missing = [p for g in self.param_groups for p in g["params"] if id(p) not in self._owner]
        if missing:
            raise ValueError(f"hook_with_zero_step: {len(missing)} of the optimizer's parameters "
                             f"are not parameters of the DDP model")
        self._per_rank = [[[p for p in g["params"] if self._owner[id(p)] == r]
                           for g in self.param_groups] for r in range(self.world_size)]
        self.optim = self._optimizer_class(self._local_groups(), **self._defaults)
        self._ready = True

    def _bucket_step(self, bucket, reduced: Tensor) -> Tensor:
        """The DDP hook's continuation once a bucket is averaged (``reduced``, flat, in the
        bucket's layout): after the warm-up, this rank updates its parameters of the bucket
        and every owner broadcasts its own."""
        if bucket.index() == 0:  # DDP waits for bucket 0 first in every backward pass
            self._warmup_passes += 1
        if self._warmup_passes <= 2:
            return reduced
        params, offsets, flat = bucket.parameters(), bucket._bucket.offsets, reduced._data
        in_bucket = {id(p): flat[o:o + p.numel()].reshape(p._data.shape)
                     for p, o in zip(params, offsets)}
        owned = [p for g in self.optim.param_groups for p in g["params"]]
        saved = [(p, p._grad) for p in owned]
        try:  # step only this bucket's parameters: the optimizer skips those without a grad
            for p in owned:
                g = in_bucket.get(id(p))
                p._grad = None if g is None else Tensor._make(g)
            self._copy_hyper(self.param_groups, self.optim.param_groups)
            self.optim.step()
            self._copy_hyper(self.optim.param_groups, self.param_groups)
        finally:
            for p, g in saved:
                p._grad = g
        if self.world_size > 1:
            for r in range(self.world_size):
                theirs = [p for p in params if self._owner.get(id(p)) == r]
                if theirs:
                    _broadcast_flat(_distributed, theirs, self.process_group, src=r)
        return reduced

    def _local_groups(self, start: int = 0) -> list[dict]:
        return [{**_hyper(g), "params": self._per_rank[self.rank][i]}
                for i, g in enumerate(self.param_groups) if i >= start]

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group on every rank (call it on all of them); its parameters are sharded
        like the others and the ones placed here join the local optimizer."""
        if self._ready and self._overlap_with_ddp:
            raise NotImplementedError("ZeroRedundancyOptimizer(overlap_with_ddp=True): parameter "
                                      "groups cannot be added once the DDP hook is made")
        super().add_param_group(param_group)
        if self._ready:
            self._partition()
            self.optim.add_param_group(self._local_groups(start=len(self.param_groups) - 1)[0])
            if self._buckets is not None:
                self._buckets = self._make_buckets()

    # -- step and parameter exchange ----------------------------------------------------------
    def step(self, closure=None, **kwargs):
        """Update this rank's shard with the local optimizer, then broadcast every shard."""
        if self._overlap_with_ddp:
            warnings.warn("`step()` should not be included in the training loop when "
                          "`overlap_with_ddp=True`: the step runs inside DDP's backward "
                          "(hook_with_zero_step)", stacklevel=2)
            return None
        self._copy_hyper(self.param_groups, self.optim.param_groups)
        loss = self.optim.step(closure=closure, **kwargs)
        self._copy_hyper(self.optim.param_groups, self.param_groups)
        self._exchange()
        return loss

    def _exchange(self) -> None:
        if self.world_size == 1:
            return
        if self._buckets is not None:
            for r, buf, views in self._buckets:
                for p, view in views:  # an optimizer that rebinds p._data leaves the bucket
                    if p._data is not view:
                        view[...] = p._data
                        p._data = view
                broadcast(buf, src=get_global_rank(self.process_group, r),
                          group=self.process_group)
                if r != self.rank:
                    for p, _ in views:
                        p._vc[0] += 1
            return
        for r in range(self.world_size):  # one broadcast per dtype/device of rank r's shard
            params = [p for g in self._per_rank[r] for p in g]
            if params:
                _broadcast_flat(_distributed, params, self.process_group, src=r)

    def _make_buckets(self) -> list:
        """(owner rank, flat Tensor, [(param, its view)]) per rank and dtype/device; each
        parameter's data becomes its view into the flat buffer."""
        buckets = []
        for r in range(self.world_size):
            for params in _by_kind([p for g in self._per_rank[r] for p in g]):
                xp = xp_of(params[0]._data)
                flat = xp.concatenate([p._data.reshape(-1) for p in params])
                views, off = [], 0
                for p in params:
                    n = p._data.size
                    view = flat[off:off + n].reshape(p._data.shape)
                    p._data = view
                    views.append((p, view))
                    off += n
                buckets.append((r, Tensor._make(flat), views))
        return buckets

    # -- state ----------------------------------------------------------------------------------
    def _global_index(self) -> dict[int, int]:
        index: dict[int, int] = {}
        for g in self.param_groups:
            for p in g["params"]:
                index.setdefault(id(p), len(index))
        return index

    def consolidate_state_dict(self, to: int = 0) -> None:
        """Gather every shard's optimizer state on global rank ``to`` (call on all ranks)."""
        self._require_optim()
        self._copy_hyper(self.param_groups, self.optim.param_groups)
        index = self._global_index()
        local = self.optim.state_dict()
        order = [p for g in self.optim.param_groups for p in g["params"]]
        mine = {index[id(order[i])]: v for i, v in local["state"].items()
                if isinstance(i, int) and i < len(order)}
        shards = [None] * self.world_size if get_global_rank(
            self.process_group, self.rank) == to else None
        gather_object(mine, shards, dst=to, group=self.process_group)
        self._consolidated = None
        if shards is not None:
            state = {}
            for shard in shards:
                state.update(shard)
            groups = [{**_hyper(g), "params": [index[id(p)] for p in g["params"]]}
                      for g in self.param_groups]
            self._consolidated = {"state": dict(sorted(state.items())), "param_groups": groups}

    def state_dict(self) -> dict[str, Any]:
        """The global state dict gathered by the last consolidate_state_dict on this rank."""
        if self._consolidated is None:
            raise RuntimeError("Optimizer state has not been consolidated on this rank. Please "
                               "call `consolidate_state_dict(to=0)` on all ranks beforehand if "
                               "you meant to save the global state.")
        return self._consolidated

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a global state dict (from state_dict() or from an ordinary optimizer over the
        same parameters); each rank keeps the state of its own shard."""
        self._require_optim()
        saved = state_dict["param_groups"]
        if len(saved) != len(self.param_groups) or any(
                len(s["params"]) != len(g["params"]) for s, g in zip(saved, self.param_groups)):
            raise ValueError("loaded state dict does not match the optimizer's parameter groups")
        for group, s in zip(self.param_groups, saved):
            group.update(_hyper(s))
        by_saved = {}
        for s, g in zip(saved, self.param_groups):
            by_saved.update(zip(s["params"], g["params"]))
        local_index = {id(p): i for i, p in
                       enumerate(p for g in self.optim.param_groups for p in g["params"])}
        local_state = {local_index[id(by_saved[k])]: v for k, v in state_dict["state"].items()
                       if k in by_saved and id(by_saved[k]) in local_index}
        local_groups = [{**_hyper(g), "params": [local_index[id(p)] for p in lg["params"]]}
                        for g, lg in zip(self.param_groups, self.optim.param_groups)]
        self.optim.load_state_dict({"state": local_state, "param_groups": local_groups})
        self._consolidated = None

    def _require_optim(self) -> None:
        if self.optim is None:
            raise RuntimeError("ZeroRedundancyOptimizer(overlap_with_ddp=True) has no local "
                               "optimizer until DDP's hook is made with hook_with_zero_step")

    @staticmethod
    def _copy_hyper(src: list[dict], dst: list[dict]) -> None:
        for s, d in zip(src, dst):
            d.update(_hyper(s))


def _hyper(group: dict) -> dict:
    return {k: v for k, v in group.items() if k != "params"}


def _by_kind(params: list[Tensor]) -> list[list[Tensor]]:
    """params split by (device, dtype), in order: each list packs into one flat buffer."""
    kinds: dict = {}
    for p in params:
        kinds.setdefault((str(p.device), p._data.dtype), []).append(p)
    return list(kinds.values())
