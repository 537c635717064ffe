"""FullyShardedDataParallel: parameters, gradients and optimizer state sharded over the ranks.

How a step works (FULL_SHARD):

* Construction. ``auto_wrap_policy`` first wraps chosen submodules in FSDP units of their
  own (bottom-up); explicitly wrapped submodules are units already. Each unit then packs
  the parameters it owns (those of its module not inside a nested unit) into one flat
  1-D array, padded to a multiple of the world size, and keeps only this rank's
  contiguous shard, as its single Parameter ``_flat_param``. The original parameters
  are removed from their modules; ``fsdp.parameters()`` yields the local shards, so an
  optimizer built on it updates, and keeps state for, 1/N of the model.
* Forward. Before a unit's forward it all-gathers its flat parameter and points the
  original attributes (``linear.weight`` ...) at slices of it; the slices come out of one
  autograd node per unit, ``_Unshard``. After the forward the full array is freed (every
  unit but the root, whose parameters backward needs first anyway). The unit's outputs
  pass through an identity node whose backward is the unit's *pre-backward*.
* Backward. The pre-backward all-gathers the unit's parameters again, into the same
  memory the saved views of forward point at (see _flat_param.py), and, with
  ``backward_prefetch``, starts the all-gather of the unit that backward reaches next.
  ``_Unshard``'s backward runs when the unit's gradient is complete: it starts an
  asynchronous reduce-scatter of the flat gradient (the previous unit's, which overlapped
  this unit's backward, is finished first: one unsharded gradient in flight at a time)
  and frees the full parameters.
* The root unit queues an end-of-backward callback that waits for the last reductions,
  averages them into each shard's ``.grad`` and frees whatever is still gathered.

SHARD_GRAD_OP keeps the gathered parameters from forward until the unit's gradient is
reduced; NO_SHARD keeps the whole flat parameter on every rank and all-reduces its
gradient (DDP). ``MixedPrecision`` gathers a ``param_dtype`` copy of the shard, reduces in
``reduce_dtype`` and accumulates into the full-precision shard's ``.grad``.

The root unit is not freed after forward (torch does the same: backward needs it first).
``fsdp._state.memory`` meters the bytes of gathered parameters and unsharded gradients alive
(and their peak), which the tests use to check the per-rank memory.

Deviations from torch:

* ``use_orig_params=True``, ``HYBRID_SHARD``, ``CPUOffload(offload_params=True)``,
  ``LOCAL_STATE_DICT``, ``ignored_modules``, ``param_init_fn`` and ``device_mesh`` are not
  supported (they raise).
* Freeing a gathered parameter under live views uses ``madvise`` on CPU arrays; on GPU
  arrays the gathered memory of a unit is kept once allocated (about 1x the unsharded
  model in the param dtype per rank, on top of the sharded state).
* Sharded state dicts hold :class:`ShardedTensor` values (this rank's slice of each
  flattened parameter plus its global shape and offset) instead of DTensors; save and load
  them with :func:`save_sharded_state_dict` / :func:`load_sharded_state_dict` (the role of
  torch.distributed.checkpoint.save/load), which reshard across world sizes.
* Gradients are summed in ``reduce_dtype`` and then divided by the world size (torch divides
  part before and part after the reduction, against float16 overflow).
* ``no_sync`` keeps each unit's unsharded gradient (as torch does) in the shard's dtype.
* A unit's shard gets its ``.grad`` at the end of backward, not through the engine, so
  post-accumulate-grad hooks on ``_flat_param`` do not fire.
* ``optim_state_dict`` / ``optim_state_dict_to_load`` key the state by the original
  parameter names like torch's; a full one loads at any world size and wrapping, a sharded
  one (ShardedTensor slices) only where the slices match (same world size and wrapping).
  The older ``full_optim_state_dict``/``shard_full_optim_state_dict`` are not provided.
* ``MixedPrecision.keep_low_precision_grads`` and ``limit_all_gathers`` are ignored;
  ``summon_full_params(with_grads=True)`` raises.
* Original parameters are removed from their modules; outside a unit's forward/backward
  (and outside ``summon_full_params``) each attribute is an empty tensor.
"""
from __future__ import annotations

import contextlib
import math
from collections import OrderedDict

import numpy as np

from ... import _device
from ..._tensor import Tensor
from ...autograd import engine
from ...autograd.function import Function
from ...autograd.grad_mode import is_grad_enabled, no_grad
from ...nn.modules.module import Module
from ..collectives import all_reduce, broadcast
from ..process_group import get_rank, get_world_size, group as _group
from ..reduce_op import ReduceOp
from ._flat_param import FlatParamHandle, MemoryMeter
from .api import (BackwardPrefetch, FullStateDictConfig, MixedPrecision, ShardedStateDictConfig,
                  ShardingStrategy, StateDictType)
from ._sharded import ShardedTensor

__all__ = ["FullyShardedDataParallel"]

FSDP_WRAPPED_MODULE = "_fsdp_wrapped_module"
FLAT_PARAM = "_flat_param"


def _clean(name: str) -> str:
    """A name as the unwrapped model spells it: FSDP's own levels removed."""
    return name.replace(FSDP_WRAPPED_MODULE + ".", "").replace("." + FSDP_WRAPPED_MODULE, "")


class _PreBackward(Function):
    """Identity on a unit's outputs; its backward is the unit's pre-backward."""

    def forward(self, *arrays, unit=None):
        self.unit = unit
        return tuple(arrays)

    def backward(self, *grads):
        self.unit._pre_backward()
        return grads


class _RootState:
    """What the units of one FSDP tree share: the backward pass in progress, the order in
    which units ran forward (backward prefetch walks it in reverse), pending reductions."""

    def __init__(self, root):
        self.root = root              # the unit that orchestrates backward
        self.memory = MemoryMeter()
        self.exec_order: list = []    # units in the order the last forward ran them
        self.recording: list = []     # ... and the forward running now
        self.pass_open = False
        self.sync_gradients = True
        self.pending: list = []       # (handle, work, output, input) reductions in flight
        self.state_dict_type = StateDictType.FULL_STATE_DICT
        self.state_dict_config = FullStateDictConfig()

    def open_pass(self, root) -> None:
        if not self.pass_open:
            self.pass_open = True
            engine.queue_callback(root._finish_backward)

    def on_unit_gradient(self, handle: FlatParamHandle) -> None:
        """Post-backward of one unit: reduce (or keep, under no_sync) its gradient, free it."""
        grad = handle.take_gradient()
        if grad is not None:
            if not self.sync_gradients:
                if handle.unsharded_grad is None:
                    handle.unsharded_grad = grad.astype(handle.flat_param._data.dtype)
                else:
                    handle.unsharded_grad += grad
            else:
                if handle.unsharded_grad is not None:
                    grad = grad + handle.unsharded_grad.astype(grad.dtype)
                    handle.unsharded_grad = None
                # One reduction in flight: the previous unit's, overlapped with this unit's
                # backward, is finished before this one starts.
                self.finish_reductions()
                self.memory.add(handle.full_bytes)  # the input of the reduction, until done
                work, out, inp = handle.start_reduce(grad)
                self.pending.append((handle, work, out, inp))
        if handle.strategy != ShardingStrategy.NO_SHARD:
            handle.reshard()
        unit = handle.unit
        if unit.backward_prefetch == BackwardPrefetch.BACKWARD_POST:
            unit._prefetch_next_in_backward()

    def finish_reductions(self, keep: int = 0) -> None:
        """Wait for all but the newest ``keep`` reductions; add them into the shards' .grad."""
        while len(self.pending) > keep:
            handle, work, out, inp = self.pending.pop(0)
            work.wait()
            handle.accumulate_shard_grad(out)
            self.memory.add(-handle.full_bytes)


class FullyShardedDataParallel(Module):
    """FullyShardedDataParallel(module, process_group=None, sharding_strategy=None,
    cpu_offload=None, auto_wrap_policy=None, backward_prefetch=BackwardPrefetch.BACKWARD_PRE,
    mixed_precision=None, ignored_modules=None, param_init_fn=None, device_id=None,
    sync_module_states=False, forward_prefetch=False, limit_all_gathers=True,
    use_orig_params=False)

    Wrap the model on every rank after ``dist.init_process_group()`` and build the
    optimizer on the wrapper's parameters (the local shards). See the module docstring.
    """

    def __init__(self, module: Module, process_group=None, sharding_strategy=None,
                 cpu_offload=None, auto_wrap_policy=None,
                 backward_prefetch=BackwardPrefetch.BACKWARD_PRE, mixed_precision=None,
                 ignored_modules=None, param_init_fn=None, device_id=None,
                 sync_module_states: bool = False, forward_prefetch: bool = False,
                 limit_all_gathers: bool = True, use_orig_params: bool = False,
                 ignored_states=None, device_mesh=None):
        super().__init__()
        from .. import is_initialized

        if not is_initialized():
            raise RuntimeError("Default process group has not been initialized, please make sure "
                               "to call init_process_group.")
        strategy = sharding_strategy or ShardingStrategy.FULL_SHARD
        unsupported = {"use_orig_params=True": use_orig_params,
                       "HYBRID_SHARD": strategy in (ShardingStrategy.HYBRID_SHARD,
                                                    ShardingStrategy._HYBRID_SHARD_ZERO2),
                       "CPUOffload(offload_params=True)": bool(cpu_offload is not None
                                                               and cpu_offload.offload_params),
                       "ignored_modules": bool(ignored_modules) or bool(ignored_states),
                       "param_init_fn": param_init_fn is not None,
                       "device_mesh": device_mesh is not None}
        for what, used in unsupported.items():
            if used:
                raise NotImplementedError(f"FullyShardedDataParallel({what}) is not supported "
                                          f"by dpt")
        if mixed_precision is not None and not isinstance(mixed_precision, MixedPrecision):
            raise TypeError(f"mixed_precision must be a MixedPrecision, got "
                            f"{type(mixed_precision).__name__}")
        self.process_group = process_group if process_group is not None else _group.WORLD
        self.sharding_strategy = strategy
        self.backward_prefetch = backward_prefetch
        self.forward_prefetch = forward_prefetch
        self.mixed_precision = mixed_precision
        self.cpu_offload = cpu_offload
        self.limit_all_gathers = limit_all_gathers
        self.world_size = get_world_size(self.process_group)
        self.rank = get_rank(self.process_group)
        if device_id is not None:
            module.to(_device.as_device(device_id) if not isinstance(device_id, int)
                      else _device.as_device(f"cuda:{device_id}"))
        if auto_wrap_policy is not None:
            from .wrap import _recursive_wrap
            kwargs = dict(process_group=process_group, sharding_strategy=strategy,
                          backward_prefetch=backward_prefetch, mixed_precision=mixed_precision,
                          forward_prefetch=forward_prefetch, cpu_offload=cpu_offload,
                          limit_all_gathers=limit_all_gathers)
            _recursive_wrap(module, auto_wrap_policy, kwargs, only_wrap_children=True)
        if sync_module_states:
            _broadcast_module_states(module, self.process_group)
        self._fsdp_wrapped_module = module
        self._is_root = True
        self._state = _RootState(self)
        if mixed_precision is not None and mixed_precision.buffer_dtype is not None:
            for m in _own_modules(module):
                for name, b in m._buffers.items():
                    if b is not None and b.is_floating_point():
                        m._buffers[name] = b.to(mixed_precision.buffer_dtype)
        named = [(m, attr, fqn, p) for m, attr, fqn, p in _own_params(module)]
        self._handle = None
        if named:
            self._handle = FlatParamHandle(named, self._state, strategy, mixed_precision,
                                           self.process_group, self.world_size, self.rank)
            self._handle.unit = self
            for m, attr, _, _ in named:
                m._parameters.pop(attr, None)
            self.register_parameter(FLAT_PARAM, self._handle.flat_param)
            self._handle.set_placeholders()
        # Nested units join this tree: one root orchestrates the backward pass.
        for m in module.modules():
            if isinstance(m, FullyShardedDataParallel):
                m._adopt(self._state)

    def _adopt(self, state: _RootState) -> None:
        self._is_root = False
        self._state = state
        if self._handle is not None:
            self._handle.state = state

    # -- torch's accessors -----------------------------------------------------------------
    @property
    def module(self) -> Module:
        return self._fsdp_wrapped_module

    def __getattr__(self, name: str):
        try:
            return super().__getattr__(name)
        except AttributeError:
            inner = self.__dict__.get("_modules", {}).get(FSDP_WRAPPED_MODULE)
            if inner is None:
                raise
            return getattr(inner, name)

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True):
        for name, p in super().named_parameters(prefix, recurse, remove_duplicate):
            yield _clean(name), p

    @staticmethod
    def fsdp_modules(module: Module, root_only: bool = False) -> list:
        units = [m for m in module.modules() if isinstance(m, FullyShardedDataParallel)]
        return [m for m in units if m._is_root] if root_only else units

    def _units(self) -> list:
        return self.fsdp_modules(self)

    @property
    def _flat_handles(self) -> list:
        return [u._handle for u in self._units() if u._handle is not None]

    # -- forward -----------------------------------------------------------------------------
    def forward(self, *args, **kwargs):
        state = self._state
        grad = is_grad_enabled()
        if self._is_root:
            if state.pass_open:  # the last backward raised before its end: tidy up
                state.pass_open = False
                state.finish_reductions()
                for h in self._flat_handles:
                    h._users = 0
                    h.take_gradient()
                    if h.strategy != ShardingStrategy.NO_SHARD:
                        h.reshard()
            state.recording = []
        mp = self.mixed_precision
        if mp is not None and mp.param_dtype is not None and (
                mp.cast_root_forward_inputs if self._is_root else mp.cast_forward_inputs):
            args = tuple(_cast(a, mp.param_dtype) for a in args)
            kwargs = {k: _cast(v, mp.param_dtype) for k, v in kwargs.items()}
        if self not in state.recording:
            state.recording.append(self)
        handle = self._handle
        if handle is not None:
            handle.unshard()
            handle.set_module_params(track_grad=grad)
            if self.forward_prefetch:
                self._prefetch_next_in_forward()
        out = self._fsdp_wrapped_module(*args, **kwargs)
        if self._is_root:
            state.exec_order = state.recording  # forward prefetch uses it next iteration
        if handle is not None and not self._is_root and \
                self.sharding_strategy == ShardingStrategy.FULL_SHARD:
            handle.reshard()
        if not grad:
            if self._is_root and self.sharding_strategy != ShardingStrategy.NO_SHARD:
                for h in self._flat_handles:  # nothing will run backward: free everything
                    h.reshard()
            return out
        return self._register_pre_backward(out)

    def _register_pre_backward(self, out):
        if isinstance(out, Tensor):
            if not out.requires_grad:
                return out
            return _PreBackward.apply(out, unit=self)[0]
        if isinstance(out, (tuple, list)):
            pos = [i for i, o in enumerate(out) if isinstance(o, Tensor) and o.requires_grad]
            if not pos:
                return out
            wrapped = _PreBackward.apply(*(out[i] for i in pos), unit=self)
            items = list(out)
            for i, t in zip(pos, wrapped):
                items[i] = t
            if hasattr(out, "_fields"):  # a namedtuple
                return type(out)(*items)
            return tuple(items) if isinstance(out, tuple) else items
        if isinstance(out, dict):
            keys = [k for k, v in out.items() if isinstance(v, Tensor) and v.requires_grad]
            if not keys:
                return out
            wrapped = _PreBackward.apply(*(out[k] for k in keys), unit=self)
            new = dict(out)
            new.update(zip(keys, wrapped))
            return new
        return out

    def _prefetch_next_in_forward(self) -> None:
        order = self._state.exec_order
        if self in order:
            i = order.index(self)
            if i + 1 < len(order) and order[i + 1]._handle is not None:
                order[i + 1]._handle.unshard(async_op=True)

    # -- backward ----------------------------------------------------------------------------
    def _pre_backward(self) -> None:
        state = self._state
        state.open_pass(state.root)
        if self._handle is not None:
            self._handle.unshard()
        if self.backward_prefetch == BackwardPrefetch.BACKWARD_PRE:
            self._prefetch_next_in_backward()

    def _prefetch_next_in_backward(self) -> None:
        order = self._state.exec_order
        if self in order:
            i = order.index(self)
            for prev in reversed(order[:i]):
                h = prev._handle
                if h is not None and h._users > 0:  # only units backward will still reach
                    h.unshard(async_op=True)
                    break
        for _, work, _, _ in self._state.pending:  # MPICH progresses only inside MPI calls
            work.is_completed()

    def _finish_backward(self) -> None:
        """End of backward (queued by the first pre-backward): finish every reduction."""
        state = self._state
        state.pass_open = False
        for h in self._flat_handles:
            if h._users > 0 or h._grad is not None:  # some _Unshard nodes never ran
                h._users = 0
                state.on_unit_gradient(h)
        state.finish_reductions()
        for h in self._flat_handles:
            if h.strategy != ShardingStrategy.NO_SHARD:
                h.reshard()

    @contextlib.contextmanager
    def no_sync(self):
        """Backward passes inside accumulate each unit's unsharded gradient locally, without
        communication; the first backward after the context reduces the sum."""
        if not self._is_root:
            raise RuntimeError("`no_sync()` on inner FSDP instances is not supported. Please "
                               "call `no_sync()` on root FSDP module.")
        old = self._state.sync_gradients
        self._state.sync_gradients = False
        try:
            yield
        finally:
            self._state.sync_gradients = old

    @no_grad()
    def clip_grad_norm_(self, max_norm: float, norm_type: float = 2.0) -> Tensor:
        """Clip the gradients of all shards together by their global norm; returns that norm."""
        if not self._is_root:
            raise RuntimeError("`clip_grad_norm_()` should only be called on the root FSDP "
                               "instance")
        norm_type = float(norm_type)
        grads = [p.grad for p in self.parameters() if p.grad is not None]
        sharded = self.sharding_strategy != ShardingStrategy.NO_SHARD
        local = 0.0
        for g in grads:
            a = np.abs(_device.to_numpy(g._data).astype(np.float64))
            if norm_type == math.inf:
                local = max(local, float(a.max()) if a.size else 0.0)
            else:
                local += float((a ** norm_type).sum())
        total = Tensor._make(np.array(local, dtype=np.float64))
        if sharded:
            all_reduce(total, op=ReduceOp.MAX if norm_type == math.inf else ReduceOp.SUM,
                       group=self.process_group)
        value = float(total._data)
        if norm_type != math.inf:
            value = value ** (1.0 / norm_type)
        coef = float(max_norm) / (value + 1e-6)
        if coef < 1.0:
            for g in grads:
                g._data *= g._data.dtype.type(coef)
                g._vc[0] += 1
        dt = grads[0]._data.dtype if grads else np.float32
        return Tensor._make(np.asarray(value, dtype=dt))

    @staticmethod
    @contextlib.contextmanager
    def summon_full_params(module: Module, recurse: bool = True, writeback: bool = True,
                           rank0_only: bool = False, offload_to_cpu: bool = False,
                           with_grads: bool = False):
        """Within the context the original parameters of every unit under module (only the
        outermost units' with recurse=False) are ordinary tensors holding the full values
        (call it on every rank); with writeback, changes to them are written back into the
        shards on exit. Deviation: with_grads=True is not supported."""
        if with_grads:
            raise NotImplementedError("summon_full_params(with_grads=True) is not supported by dpt")
        units = FullyShardedDataParallel.fsdp_modules(module)
        if not recurse:
            inner = {id(v) for u in units for v in u._units() if v is not u}
            units = [u for u in units if id(u) not in inner]
        handles = [u._handle for u in units if u._handle is not None]
        for h in handles:
            if h.state.pass_open:
                raise RuntimeError("summon_full_params cannot be used inside backward")
            h.reshard()  # a copy gathered by a forward that no backward followed
        fulls = [h.gather_full_precision() for h in handles]
        rank = handles[0].rank if handles else 0
        try:
            for h, full in zip(handles, fulls):
                if rank0_only and rank != 0:
                    continue
                for info in h.infos:
                    arr = full[info.offset:info.offset + info.numel].reshape(info.shape)
                    info.module.__dict__[info.attr] = Tensor._make(
                        _device.to_numpy(arr) if offload_to_cpu else arr)
            yield
        finally:
            for h, full in zip(handles, fulls):
                if writeback and not (rank0_only and rank != 0) and not offload_to_cpu:
                    h.flat_param._data[...] = full[h.shard_offset:h.shard_offset + h.shard_numel]
                    h.flat_param._vc[0] += 1
                h.set_placeholders()

    # -- state dicts -------------------------------------------------------------------------
    @staticmethod
    @contextlib.contextmanager
    def state_dict_type(module: Module, state_dict_type: StateDictType, state_dict_config=None,
                        optim_state_dict_config=None):
        """Within the context, state_dict()/load_state_dict() of the FSDP units under module
        use state_dict_type (FULL_STATE_DICT or SHARDED_STATE_DICT)."""
        if state_dict_type == StateDictType.LOCAL_STATE_DICT:
            raise NotImplementedError("StateDictType.LOCAL_STATE_DICT is not supported by dpt")
        if state_dict_config is None:
            state_dict_config = (FullStateDictConfig() if state_dict_type ==
                                 StateDictType.FULL_STATE_DICT else ShardedStateDictConfig())
        states = {id(u._state): u._state for u in FullyShardedDataParallel.fsdp_modules(module)}
        old = {k: (s.state_dict_type, s.state_dict_config) for k, s in states.items()}
        for s in states.values():
            s.state_dict_type, s.state_dict_config = state_dict_type, state_dict_config
        try:
            yield
        finally:
            for k, s in states.items():
                s.state_dict_type, s.state_dict_config = old[k]

    @staticmethod
    def optim_state_dict(model: "FullyShardedDataParallel", optim, optim_state_dict=None,
                         group=None) -> dict:
        """The optimizer's state keyed by the original parameter names, whole tensors under
        FULL_STATE_DICT (rank0_only and offload_to_cpu honoured) or ShardedTensor slices under
        SHARDED_STATE_DICT (call on every rank, inside model's state_dict_type)."""
        from ._optim_state import optim_state_dict as build

        model._state.finish_reductions()
        return build(model, optim)

    @staticmethod
    def optim_state_dict_to_load(model: "FullyShardedDataParallel", optim, optim_state_dict: dict,
                                 is_named_optimizer: bool = False, load_directly: bool = False,
                                 group=None) -> dict:
        """What optim.load_state_dict() takes on this rank, from an optim_state_dict result: a
        full one (every rank passes the whole dict; any world size) or this rank's slices."""
        from ._optim_state import optim_state_dict_to_load as convert

        local = convert(model, optim, optim_state_dict)
        if load_directly:
            optim.load_state_dict(local)
        return local

    def _walk(self):
        """(clean prefix, module) for every module of the unwrapped model, in state-dict order."""
        stack = [("", self._fsdp_wrapped_module)]
        while stack:
            prefix, m = stack.pop()
            if isinstance(m, FullyShardedDataParallel):
                stack.append((prefix, m._fsdp_wrapped_module))
                continue
            yield prefix, m
            children = [(prefix + name + ".", c) for name, c in m._modules.items() if c is not None]
            stack.extend(reversed(children))

    def _param_entries(self):
        """{id(module): [(attr, handle, info)]} of every original parameter, in order."""
        entries: dict = {}
        for h in self._flat_handles:
            for info in h.infos:
                entries.setdefault(id(info.module), []).append((info.attr, h, info))
        return entries

    def state_dict(self, *args, destination=None, prefix: str = "", keep_vars: bool = False):
        if not self._is_root:
            raise RuntimeError("FullyShardedDataParallel: call state_dict() on the root unit")
        kind, cfg = self._state.state_dict_type, self._state.state_dict_config
        full = kind == StateDictType.FULL_STATE_DICT
        self._state.finish_reductions()
        gathered = {id(h): h.gather_full_precision() for h in self._flat_handles} if full else {}
        skip = full and getattr(cfg, "rank0_only", False) and self.rank != 0
        out = OrderedDict() if destination is None else destination
        if skip:
            return out
        offload = getattr(cfg, "offload_to_cpu", False)
        entries = self._param_entries()
        for mod_prefix, m in self._walk():
            for attr, h, info in entries.get(id(m), ()):
                key = prefix + mod_prefix + attr
                if full:
                    arr = gathered[id(h)][info.offset:info.offset + info.numel].reshape(info.shape)
                    out[key] = _finish_value(arr.copy(), offload)
                else:
                    lo, hi = h.local_range(info)
                    start = info.offset - h.shard_offset
                    local = h.flat_param._data[start + lo:start + hi].copy()
                    out[key] = ShardedTensor(_finish_value(local, offload), info.shape, lo)
            for name, b in m._buffers.items():
                if b is not None and name not in m._non_persistent_buffers_set:
                    out[prefix + mod_prefix + name] = _finish_value(b._data.copy(), offload)
        return out

    @no_grad()
    def load_state_dict(self, state_dict, strict: bool = True, assign: bool = False):
        """Load a FULL_STATE_DICT (an ordinary state dict of the unwrapped model, on every rank)
        or a SHARDED_STATE_DICT (values ShardedTensor, after load_sharded_state_dict)."""
        from ...nn.modules.module import _IncompatibleKeys

        if not self._is_root:
            raise RuntimeError("FullyShardedDataParallel: call load_state_dict() on the root unit")
        self._state.finish_reductions()
        for h in self._flat_handles:  # a gathered copy would not see the new values
            h.reshard()
        entries = self._param_entries()
        expected, missing = set(), []
        flats = {}
        for mod_prefix, m in self._walk():
            for attr, h, info in entries.get(id(m), ()):
                key = mod_prefix + attr
                expected.add(key)
                if key not in state_dict:
                    missing.append(key)
                    continue
                value = state_dict[key]
                flat = h.flat_param._data
                start = info.offset - h.shard_offset
                lo, hi = h.local_range(info)
                if isinstance(value, ShardedTensor):
                    n = value.local_tensor().numel()
                    if tuple(value.shape) != info.shape or value.offset != lo or n != hi - lo:
                        raise RuntimeError(f"FullyShardedDataParallel.load_state_dict: {key} "
                                           f"holds the slice [{value.offset}, {value.offset + n}) "
                                           f"of shape {list(value.shape)}, this rank needs "
                                           f"[{lo}, {hi}) of {list(info.shape)}")
                    src = _as_array(value.local_tensor(), h.xp)
                else:
                    arr = _as_array(value, h.xp)
                    if tuple(arr.shape) != info.shape:
                        raise RuntimeError(f"Error(s) in loading state_dict for "
                                           f"FullyShardedDataParallel: size mismatch for {key}: "
                                           f"copying a param with shape {list(arr.shape)}, the "
                                           f"shape in current model is {list(info.shape)}.")
                    src = arr.reshape(-1)[lo:hi]
                flat[start + lo:start + hi] = src
                flats[id(h)] = h
            for name, b in m._buffers.items():
                if b is None or name in m._non_persistent_buffers_set:
                    continue
                key = mod_prefix + name
                expected.add(key)
                if key not in state_dict:
                    missing.append(key)
                    continue
                b._data[...] = _as_array(state_dict[key], _device.xp_of(b._data))
                b._vc[0] += 1
        for h in flats.values():
            h.flat_param._vc[0] += 1
        unexpected = [k for k in state_dict if k not in expected]
        if strict and (missing or unexpected):
            raise RuntimeError(f"Error(s) in loading state_dict for FullyShardedDataParallel: "
                               f"missing keys {missing}, unexpected keys {unexpected}")
        return _IncompatibleKeys(missing, unexpected)


def _own_modules(module: Module):
    """module and its descendants, not entering nested FSDP units."""
    stack = [module]
    while stack:
        m = stack.pop()
        yield m
        stack.extend(c for c in reversed(list(m._modules.values()))
                     if c is not None and not isinstance(c, FullyShardedDataParallel))


def _own_params(module: Module):
    """(module, attr, clean name, Parameter) for the parameters a new unit owns, in order."""
    out = []

    def visit(m, prefix):
        for attr, p in m._parameters.items():
            if p is not None:
                out.append((m, attr, prefix + attr, p))
        for name, c in m._modules.items():
            if c is not None and not isinstance(c, FullyShardedDataParallel):
                visit(c, prefix + name + ".")

    visit(module, "")
    return out


def _broadcast_module_states(module: Module, group) -> None:
    """Rank 0's parameters and buffers everywhere (before they are flattened)."""
    for t in [p for _, _, _, p in _own_params(module)] + \
             [b for m in _own_modules(module) for b in m._buffers.values() if b is not None]:
        broadcast(t, src=0, group=group)


def _cast(x, dtype):
    if isinstance(x, Tensor) and x.is_floating_point() and x.dtype != dtype:
        return x.to(dtype)
    return x


def _finish_value(arr, offload: bool) -> Tensor:
    return Tensor._make(_device.to_numpy(arr) if offload else arr)


def _as_array(value, xp):
    arr = value._data if isinstance(value, Tensor) else value
    if xp is np:
        return _device.to_numpy(arr) if not isinstance(arr, np.ndarray) else arr
    return xp.asarray(arr)
