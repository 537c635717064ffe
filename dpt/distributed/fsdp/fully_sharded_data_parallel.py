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
  arrays the parameter tensors autograd saved are re-pointed (a zero-size stand-in until the
  next gather), so a unit's gathered memory is released unless an op kept a raw view or a
  copy of a parameter (then that memory lives until backward frees the op).
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

import numpy as np

from ... import _device
from ..._tensor import Tensor
from ...autograd import engine
from ...autograd.function import Function
from ...autograd.grad_mode import is_grad_enabled, no_grad
from ...nn.modules.module import Module
from ..collectives import all_reduce, broadcast
from ..process_group import get_rank, get_world_size, group as _group, is_initialized
from ..reduce_op import ReduceOp
from ._flat_param import FlatParamHandle, MemoryMeter
from .api import (BackwardPrefetch, FullStateDictConfig, MixedPrecision,
                  ShardingStrategy, StateDictType)
from ._state_dict import _StateDictMixin
from .wrap import _recursive_wrap

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


class FullyShardedDataParallel(_StateDictMixin, Module):
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
                    h._handed = []
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
            h._handed = []

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
