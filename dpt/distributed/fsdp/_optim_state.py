"""Optimizer state dicts of an FSDP model, keyed by the original parameters' names.

The optimizer steps the flat shards, so its state tensors (Adam's moments, momentum
buffers) are flat shards too. ``optim_state_dict`` cuts them, like the parameters, into
one entry per original parameter: the whole tensor (FULL_STATE_DICT; all-gathered) or
this rank's slice (SHARDED_STATE_DICT, a ShardedTensor). Scalar state ('step') is the
same for every original parameter of a flat shard. ``optim_state_dict_to_load`` turns
such a dict back into the local optimizer's own state dict, at any world size for a
full dict.
"""
from __future__ import annotations

import numpy as np

from ..._device import to_numpy
from ..._tensor import Tensor
from ..collectives import all_gather_into_tensor
from .api import ShardingStrategy, StateDictType
from ._sharded import ShardedTensor, _np_dtype, _Reader


def _is_flat_state(value, handle) -> bool:
    """Per-element state (a tensor shaped like the shard), as opposed to scalars like 'step'."""
    return isinstance(value, Tensor) and value.dim() == 1 and value.numel() == handle.shard_numel


def _handles_by_param(model) -> dict:
    """{id(flat shard): handle}, each info given fqn_clean, its name in the unwrapped model."""
    for prefix, m in model._walk():
        for attr, _, info in model._param_entries().get(id(m), ()):
            info.fqn_clean = prefix + attr
    return {id(h.flat_param): h for h in model._flat_handles}


def optim_state_dict(model, optim) -> dict:
    """{'state': {name: {key: value}}, 'param_groups': [{..., 'params': [names]}]}."""
    state = model._state
    full = state.state_dict_type == StateDictType.FULL_STATE_DICT
    cfg = state.state_dict_config
    offload = getattr(cfg, "offload_to_cpu", False)
    skip = full and getattr(cfg, "rank0_only", False) and model.rank != 0
    handles = _handles_by_param(model)
    out_state, groups = {}, []
    for group in optim.param_groups:
        names = []
        for p in group["params"]:
            h = handles.get(id(p))
            if h is None:
                raise ValueError("optim_state_dict: the optimizer holds a parameter that is not a "
                                 "flat parameter of this FSDP model")
            names += [i.fqn_clean for i in h.infos]
            st = optim.state.get(p, {})
            gathered = {}
            for key, value in st.items():
                if _is_flat_state(value, h) and full:
                    gathered[key] = _gather(h, value._data)
            for info in h.infos:
                entry = {}
                for key, value in st.items():
                    if not _is_flat_state(value, h):
                        entry[key] = value.clone() if isinstance(value, Tensor) else value
                    elif full:
                        arr = gathered[key][info.offset:info.offset + info.numel]
                        arr = arr.reshape(info.shape).copy()
                        entry[key] = Tensor._make(to_numpy(arr) if offload else arr)
                    else:
                        lo, hi = h.local_range(info)
                        start = info.offset - h.shard_offset
                        entry[key] = ShardedTensor(
                            Tensor._make(value._data[start + lo:start + hi].copy()),
                            info.shape, lo)
                if entry:
                    out_state[info.fqn_clean] = entry
        groups.append({**{k: v for k, v in group.items() if k != "params"}, "params": names})
    if skip:
        return {}
    return {"state": out_state, "param_groups": groups}


def _gather(h, arr):
    if h.strategy == ShardingStrategy.NO_SHARD:
        return arr
    out = h.xp.empty(h.padded, dtype=arr.dtype)
    all_gather_into_tensor(Tensor._make(out), Tensor._make(arr), group=h.group)
    return out


def optim_state_dict_to_load(model, optim, optim_state_dict: dict) -> dict:
    # 'step' and other non-per-element entries are taken from the unit's first parameter.
    """The local optimizer's state dict for optim.load_state_dict, built from a dict that
    optim_state_dict returned (full tensors, at any world size, or this rank's slices)."""
    handles = _handles_by_param(model)
    saved_state = optim_state_dict["state"]
    saved_groups = optim_state_dict["param_groups"]
    if len(saved_groups) != len(optim.param_groups):
        raise ValueError(f"optim_state_dict_to_load: {len(saved_groups)} parameter groups saved, "
                         f"the optimizer has {len(optim.param_groups)}")
    state, groups, index = {}, [], 0
    for group, saved in zip(optim.param_groups, saved_groups):
        ids = []
        for p in group["params"]:
            h = handles[id(p)]
            entries = [(info, saved_state.get(info.fqn_clean)) for info in h.infos
                       if info.alias_of is None]
            present = [(i, e) for i, e in entries if e]
            if present:
                local = {}
                for key, value in present[0][1].items():
                    if isinstance(value, ShardedTensor) or (
                            isinstance(value, Tensor) and key != "step"
                            and tuple(value.shape) == present[0][0].shape):
                        local[key] = Tensor._make(_assemble(h, key, present, p))
                    else:
                        local[key] = value
                state[index] = local
            ids.append(index)
            index += 1
        groups.append({**{k: v for k, v in saved.items() if k != "params"}, "params": ids})
    return {"state": state, "param_groups": groups}


def _assemble(h, key, present, p):
    """This rank's flat shard of state ``key`` from per-parameter entries."""
    xp = h.xp
    first = present[0][1][key]
    dtype = (first.local_tensor() if isinstance(first, ShardedTensor) else first)._data.dtype
    shard = xp.zeros(h.shard_numel, dtype=dtype)
    for info, entry in present:
        value = entry[key]
        lo, hi = h.local_range(info)
        start = info.offset - h.shard_offset
        if isinstance(value, ShardedTensor):
            if value.offset != lo or value.local_tensor().numel() != hi - lo:
                raise RuntimeError(f"optim_state_dict_to_load: the slice of {info.fqn_clean}."
                                   f"{key} does not match this rank's shard; load sharded "
                                   f"optimizer state at the world size it was saved with")
            src = value.local_tensor()._data
        else:
            src = value._data.reshape(-1)[lo:hi]
        shard[start + lo:start + hi] = xp.asarray(src) if xp is not np else np.asarray(src)
    return shard


def load_sharded_optimizer_state_dict(model, checkpoint_id, optimizer_key: str = "optim",
                                      process_group=None) -> dict:
    """The optimizer state saved under ``optimizer_key`` (by save_sharded_state_dict, from
    ``FSDP.optim_state_dict`` under SHARDED_STATE_DICT), cut for this rank of ``model`` at
    the current world size and wrapping: pass it to ``FSDP.optim_state_dict_to_load`` (the
    role of torch.distributed.checkpoint.optimizer.load_sharded_optimizer_state_dict)."""
    reader = _Reader(checkpoint_id)
    infos = {info.fqn_clean: (h, info) for h in _handles_by_param(model).values()
             for info in h.infos}
    prefix = f"{optimizer_key}/state/"
    state: dict = {}
    keys = set(reader.meta["params"]) | set(reader.rank_file(0))
    for path in sorted(k for k in keys if k.startswith(prefix)):
        fqn, key = path[len(prefix):].rsplit("/", 1)
        if fqn not in infos:
            raise RuntimeError(f"load_sharded_optimizer_state_dict: {fqn} has optimizer state "
                               f"in the checkpoint but is not a parameter of the model")
        h, info = infos[fqn]
        if path in reader.meta["params"]:
            lo, hi = h.local_range(info)
            dtype = reader.meta["params"][path]["dtype"]
            local = Tensor._make(h.xp.zeros(hi - lo, dtype=_np_dtype(dtype)))
            value = ShardedTensor(local, info.shape, lo)
            reader.fill(path, value)
        else:
            value = reader.plain(path)
        state.setdefault(fqn, {})[key] = value
    groups = reader.plain(f"{optimizer_key}/param_groups")
    return {"state": state, "param_groups": groups}
