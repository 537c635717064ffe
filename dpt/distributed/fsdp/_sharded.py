"""Sharded state dicts: each rank's slices of the flattened parameters, saved one file per
rank and loaded back at any world size.

``save_sharded_state_dict(sd, checkpoint_id)`` plays torch.distributed.checkpoint.save's
part for a SHARDED_STATE_DICT: every rank writes ``__<rank>_0.distcp`` with dpt.save (its
slices, plus the buffers on rank 0) and rank 0 writes ``.metadata``, a dpt.save'd map of
which rank file holds which range of which parameter. ``load_sharded_state_dict(sd,
checkpoint_id)`` fills the ShardedTensors of ``sd`` (made by the model to load into, at
whatever world size) from the files whose ranges overlap this rank's, so a checkpoint
written by 2 ranks loads into 1 or 4.
"""
from __future__ import annotations

import os

import numpy as np

from ..._device import to_numpy, xp_of
from ..._tensor import Tensor
from ...serialization import load, save
from ..collectives import barrier
from ..object_collectives import gather_object
from ..process_group import get_rank, get_world_size

__all__ = ["ShardedTensor", "load_sharded_state_dict", "save_sharded_state_dict"]


class ShardedTensor:
    """One rank's contiguous slice of a parameter, flattened in row-major order.

    ``local_tensor()`` is the 1-D slice (possibly empty), ``shape``/``size()`` the whole
    parameter's shape, ``offset`` where the slice starts in the flattened parameter."""

    def __init__(self, local: Tensor, shape, offset: int):
        self._local = local
        self.shape = tuple(int(s) for s in shape)
        self.offset = int(offset)

    def local_tensor(self) -> Tensor:
        return self._local

    def size(self):
        return self.shape

    def numel(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    def __repr__(self):
        n = self._local.numel()
        return (f"ShardedTensor(shape={list(self.shape)}, local=[{self.offset}, "
                f"{self.offset + n}), dtype={self._local.dtype})")


def _rank_and_world(process_group):
    return get_rank(process_group), get_world_size(process_group)


def _file(checkpoint_id, rank: int) -> str:
    return os.path.join(os.fspath(checkpoint_id), f"__{rank}_0.distcp")


def _entries(state_dict: dict, prefix: str = ""):
    """(path, container, key, value) of every leaf of a nested dict; a nested dict's keys join
    its parent's with '/' (a model's flat state dict keeps its keys as they are)."""
    for key, value in state_dict.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value and all(isinstance(k, (str, int)) for k in value):
            yield from _entries(value, path + "/")
        else:
            yield path, state_dict, key, value


def save_sharded_state_dict(state_dict: dict, checkpoint_id, process_group=None) -> None:
    """Write a SHARDED_STATE_DICT into the directory checkpoint_id (call on every rank; the
    directory must be visible to all of them). Nested dicts are allowed, e.g.
    ``{"model": model.state_dict(), "optim": FSDP.optim_state_dict(model, opt)}`` under
    SHARDED_STATE_DICT: the optimizer's per-element state is sharded like the parameters."""
    rank, world = _rank_and_world(process_group)
    os.makedirs(os.fspath(checkpoint_id), exist_ok=True)
    mine, index = {}, {}
    for path, _, _, value in _entries(state_dict):
        if isinstance(value, ShardedTensor):
            local = value.local_tensor()
            mine[path] = Tensor._make(to_numpy(local._data))
            index[path] = (list(value.shape), value.offset, local.numel(), str(local.dtype))
        elif rank == 0:
            mine[path] = Tensor._make(to_numpy(value._data)) if isinstance(value, Tensor) \
                else value
    save(mine, _file(checkpoint_id, rank))
    indices = [None] * world if rank == 0 else None
    gather_object(index, indices, dst=0, group=process_group)
    if rank == 0:
        meta = {"world_size": world, "params": {}}
        for r, idx in enumerate(indices):
            for key, (shape, offset, numel, dtype) in idx.items():
                entry = meta["params"].setdefault(key, {"shape": shape, "dtype": dtype,
                                                        "chunks": []})
                if numel:
                    entry["chunks"].append([r, offset, numel])
        save(meta, os.path.join(os.fspath(checkpoint_id), ".metadata"))
    barrier(group=process_group)


class _Reader:
    """The checkpoint's metadata and its rank files, each read once, when first needed."""

    def __init__(self, checkpoint_id):
        self.id = checkpoint_id
        self.meta = load(os.path.join(os.fspath(checkpoint_id), ".metadata"), weights_only=True)
        self._files: dict = {}

    def rank_file(self, r: int) -> dict:
        if r not in self._files:
            self._files[r] = load(_file(self.id, r), weights_only=True)
        return self._files[r]

    def fill(self, key: str, value: ShardedTensor) -> None:
        """Copy the checkpoint's elements of value's range into value's local tensor."""
        entry = self.meta["params"].get(key)
        if entry is None:
            raise RuntimeError(f"load_sharded_state_dict: {key} is not in the checkpoint "
                               f"{os.fspath(self.id)}")
        if tuple(entry["shape"]) != value.shape:
            raise RuntimeError(f"load_sharded_state_dict: {key} has shape {entry['shape']} "
                               f"in the checkpoint, {list(value.shape)} in the model")
        local = value.local_tensor()
        lo, hi = value.offset, value.offset + local.numel()
        filled = 0
        for r, off, n in entry["chunks"]:
            a, b = max(lo, off), min(hi, off + n)
            if a >= b:
                continue
            src = self.rank_file(r)[key]._data
            local._data[a - lo:b - lo] = _like(src[a - off:b - off], local._data)
            filled += b - a
        if filled != hi - lo:
            raise RuntimeError(f"load_sharded_state_dict: the checkpoint covers {filled} of "
                               f"the {hi - lo} elements of {key} this rank needs")
        local._vc[0] += 1

    def plain(self, key: str):
        """A value saved whole (on rank 0)."""
        if key in self.meta["params"]:
            raise RuntimeError(f"load_sharded_state_dict: {key} is sharded in the checkpoint "
                               f"but a full tensor in the state dict given; make that state "
                               f"dict under StateDictType.SHARDED_STATE_DICT")
        saved = self.rank_file(0).get(key)
        if saved is None:
            raise RuntimeError(f"load_sharded_state_dict: {key} is not in the checkpoint")
        return saved


def load_sharded_state_dict(state_dict: dict, checkpoint_id, process_group=None) -> None:
    """Fill state_dict (from ``model.state_dict()`` under SHARDED_STATE_DICT, possibly nested
    as it was saved) in place from checkpoint_id, reading only the rank files that hold this
    rank's ranges; then call ``model.load_state_dict(state_dict)`` under the same
    state_dict_type. For the optimizer use load_sharded_optimizer_state_dict."""
    reader = _Reader(checkpoint_id)
    for path, container, key, value in _entries(state_dict):
        if isinstance(value, ShardedTensor):
            reader.fill(path, value)
            continue
        saved = reader.plain(path)
        if isinstance(value, Tensor):
            value._data[...] = _like(saved._data, value._data)
            value._vc[0] += 1
        else:
            container[key] = saved


def _np_dtype(name: str):
    from ... import _dtype
    return getattr(_dtype, name.replace("dpt.", "")).np


def _like(src: np.ndarray, dst):
    xp = xp_of(dst)
    return src.astype(dst.dtype) if xp is np else xp.asarray(src, dtype=dst.dtype)
