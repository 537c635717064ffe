"""FullyShardedDataParallel's state: full and sharded state dicts, optimizer state dicts
and summon_full_params, mixed into the FSDP class. Names in these dicts are the unwrapped
model's (FSDP's own levels removed), so a full state dict loads into the plain model.
"""
from __future__ import annotations

import contextlib
from collections import OrderedDict

import numpy as np

from ... import _device
from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad
from ...nn.modules.module import Module, _IncompatibleKeys
from ._optim_state import optim_state_dict as build, optim_state_dict_to_load as convert
from ._sharded import ShardedTensor
from .api import FullStateDictConfig, ShardedStateDictConfig, StateDictType


class _StateDictMixin:
    """The state-dict half of FullyShardedDataParallel (see fully_sharded_data_parallel.py)."""

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
        units = _fsdp().fsdp_modules(module)
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
        states = {id(u._state): u._state for u in _fsdp().fsdp_modules(module)}
        old = {k: (s.state_dict_type, s.state_dict_config) for k, s in states.items()}
        for s in states.values():
            s.state_dict_type, s.state_dict_config = state_dict_type, state_dict_config
        try:
            yield
        finally:
            for k, s in states.items():
                s.state_dict_type, s.state_dict_config = old[k]

    @staticmethod
    def optim_state_dict(model, optim, optim_state_dict=None,
                         group=None) -> dict:
        """The optimizer's state keyed by the original parameter names, whole tensors under
        FULL_STATE_DICT (rank0_only and offload_to_cpu honoured) or ShardedTensor slices under
        SHARDED_STATE_DICT (call on every rank, inside model's state_dict_type)."""
        model._state.finish_reductions()
        return build(model, optim)

    @staticmethod
    def optim_state_dict_to_load(model, optim, optim_state_dict: dict,
                                 is_named_optimizer: bool = False, load_directly: bool = False,
                                 group=None) -> dict:
        """What optim.load_state_dict() takes on this rank, from an optim_state_dict result: a
        full one (every rank passes the whole dict; any world size) or this rank's slices."""
        local = convert(model, optim, optim_state_dict)
        if load_directly:
            optim.load_state_dict(local)
        return local

    def _walk(self):
        """(clean prefix, module) for every module of the unwrapped model, in state-dict order."""
        stack = [("", self._fsdp_wrapped_module)]
        while stack:
            prefix, m = stack.pop()
            if isinstance(m, _fsdp()):
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


def _fsdp():
    # the FSDP class imports this module (its state-dict mixin): reach it at call time
    from .fully_sharded_data_parallel import FullyShardedDataParallel

    return FullyShardedDataParallel


def _finish_value(arr, offload: bool) -> Tensor:
    return Tensor._make(_device.to_numpy(arr) if offload else arr)


def _as_array(value, xp):
    arr = value._data if isinstance(value, Tensor) else value
    if xp is np:
        return _device.to_numpy(arr) if not isinstance(arr, np.ndarray) else arr
    return xp.asarray(arr)
