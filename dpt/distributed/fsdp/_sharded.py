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


def save_sharded_state_dict(state_dict: dict, checkpoint_id, process_group=None) -> None:
    """Write a SHARDED_STATE_DICT into the directory checkpoint_id (call on every rank; the
    directory must be visible to all of them)."""
    rank, world = _rank_and_world(process_group)
    os.makedirs(os.fspath(checkpoint_id), exist_ok=True)
    mine, index = {}, {}
    for key, value in state_dict.items():
        if isinstance(value, ShardedTensor):
            local = value.local_tensor()
            mine[key] = Tensor._make(to_numpy(local._data))
            index[key] = (list(value.shape), value.offset, local.numel(), str(local.dtype))
        elif rank == 0:
            mine[key] = Tensor._make(to_numpy(value._data)) if isinstance(value, Tensor) else value
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


def load_sharded_state_dict(state_dict: dict, checkpoint_id, process_group=None) -> None:
    """Fill state_dict (from ``model.state_dict()`` under SHARDED_STATE_DICT) in place from
    checkpoint_id, reading only the rank files that hold this rank's ranges; then call
    ``model.load_state_dict(state_dict)`` under the same state_dict_type."""
    meta = load(os.path.join(os.fspath(checkpoint_id), ".metadata"), weights_only=True)
    files: dict = {}

    def rank_file(r):
        if r not in files:
            files[r] = load(_file(checkpoint_id, r), weights_only=True)
        return files[r]

    for key, value in state_dict.items():
        if isinstance(value, ShardedTensor):
            entry = meta["params"].get(key)
            if entry is None:
                raise RuntimeError(f"load_sharded_state_dict: {key} is not in the checkpoint "
                                   f"{os.fspath(checkpoint_id)}")
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
                src = rank_file(r)[key]._data
                local._data[a - lo:b - lo] = _like(src[a - off:b - off], local._data)
                filled += b - a
            if filled != hi - lo:
                raise RuntimeError(f"load_sharded_state_dict: the checkpoint covers {filled} of "
                                   f"the {hi - lo} elements of {key} this rank needs")
            local._vc[0] += 1
        else:
            if key in meta["params"]:
                raise RuntimeError(f"load_sharded_state_dict: {key} is sharded in the checkpoint "
                                   f"but a full tensor in the state dict given; make that state "
                                   f"dict under StateDictType.SHARDED_STATE_DICT")
            saved = rank_file(0).get(key)
            if saved is None:
                raise RuntimeError(f"load_sharded_state_dict: {key} is not in the checkpoint")
            if isinstance(value, Tensor):
                value._data[...] = _like(saved._data, value._data)
                value._vc[0] += 1
            else:
                state_dict[key] = saved


def _like(src: np.ndarray, dst):
    xp = xp_of(dst)
    return src.astype(dst.dtype) if xp is np else xp.asarray(src, dtype=dst.dtype)
