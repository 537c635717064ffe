"""Collectives on picklable Python objects, built on the tensor collectives (so they keep the
timeouts and debug checks). Objects always travel over MPI as CPU byte tensors; the ``device``
argument torch accepts is ignored. Unpickling runs arbitrary code: use them only between ranks
of your own job, as torch warns too."""
from __future__ import annotations

import pickle

import numpy as np

from .._tensor import Tensor
from .collectives import all_gather_into_tensor, broadcast, gather, recv, scatter, send
from .process_group import resolve

__all__ = ["broadcast_object_list", "all_gather_object", "gather_object", "scatter_object_list",
           "send_object_list", "recv_object_list"]


def _encode(obj) -> np.ndarray:
    return np.frombuffer(pickle.dumps(obj), dtype=np.uint8)


def _decode(buf: np.ndarray, size: int):
    return pickle.loads(buf[:size].tobytes())


def _t(arr) -> Tensor:
    return Tensor._make(arr)


def _padded(data: np.ndarray, length: int) -> np.ndarray:
    out = np.zeros(length, np.uint8)
    out[:data.size] = data
    return out


def broadcast_object_list(object_list: list, src: int | None = None, group=None, device=None,
                          group_src: int | None = None) -> None:
    """Replace object_list's entries on every rank with src's (every rank passes a list of the
    same length)."""
    pg = resolve(group)
    if pg is None:
        return
    if src is None and group_src is None:
        src = 0
    root = pg.ranks.index(src) if group_src is None and src in pg.ranks else group_src
    is_root = root == pg.rank()
    sizes = np.zeros(len(object_list), np.int64)
    if is_root:
        blobs = [_encode(o) for o in object_list]
        sizes[:] = [b.size for b in blobs]
    broadcast(_t(sizes), src, group, group_src=group_src)
    payload = np.concatenate(blobs) if is_root and blobs else np.zeros(int(sizes.sum()), np.uint8)
    broadcast(_t(payload), src, group, group_src=group_src)
    if not is_root:
        offsets = np.concatenate([[0], np.cumsum(sizes)])
        for i in range(len(object_list)):
            object_list[i] = _decode(payload[offsets[i]:offsets[i + 1]], int(sizes[i]))


def _gather_sizes(pg, group, blob) -> np.ndarray:
    sizes = np.zeros(pg.size(), np.int64)
    all_gather_into_tensor(_t(sizes), _t(np.array([blob.size], np.int64)), group)
    return sizes


def all_gather_object(object_list: list, obj, group=None) -> None:
    """object_list[r] = rank r's obj (object_list has world_size entries)."""
    pg = resolve(group)
    if pg is None:
        return
    if len(object_list) != pg.size():
        raise ValueError(f"all_gather_object: object_list has {len(object_list)} entries but the "
                         f"group has {pg.size()} ranks")
    blob = _encode(obj)
    sizes = _gather_sizes(pg, group, blob)
    width = int(sizes.max())
    every = np.zeros((pg.size(), width), np.uint8)
    all_gather_into_tensor(_t(every), _t(_padded(blob, width)), group)
    for r in range(pg.size()):
        object_list[r] = _decode(every[r], int(sizes[r]))


def gather_object(obj, object_gather_list: list | None = None, dst: int | None = None,
                  group=None, group_dst: int | None = None) -> None:
    """On dst, object_gather_list[r] = rank r's obj; other ranks pass None."""
    pg = resolve(group)
    if pg is None:
        return
    if dst is None and group_dst is None:
        dst = 0
    root = pg.ranks.index(dst) if group_dst is None and dst in pg.ranks else group_dst
    is_root = root == pg.rank()
    if is_root and (object_gather_list is None or len(object_gather_list) != pg.size()):
        raise ValueError(f"gather_object: object_gather_list on the destination rank must have "
                         f"{pg.size()} entries")
    blob = _encode(obj)
    sizes = _gather_sizes(pg, group, blob)
    width = int(sizes.max())
    rows = [_t(np.zeros(width, np.uint8)) for _ in range(pg.size())] if is_root else None
    gather(_t(_padded(blob, width)), rows, dst, group, group_dst=group_dst)
    if is_root:
        for r in range(pg.size()):
            object_gather_list[r] = _decode(rows[r]._data, int(sizes[r]))


def scatter_object_list(scatter_object_output_list: list, scatter_object_input_list=None,
                        src: int | None = None, group=None, group_src: int | None = None) -> None:
    """scatter_object_output_list[0] = src's scatter_object_input_list[my rank]."""
    pg = resolve(group)
    if pg is None:
        return
    if not isinstance(scatter_object_output_list, list) or len(scatter_object_output_list) < 1:
        raise ValueError("Expected argument scatter_object_output_list to be a list of size at "
                         "least 1.")
    if src is None and group_src is None:
        src = 0
    root = pg.ranks.index(src) if group_src is None and src in pg.ranks else group_src
    is_root = root == pg.rank()
    header = np.zeros(1 + pg.size(), np.int64)  # max width, then each rank's size
    if is_root:
        if scatter_object_input_list is None or len(scatter_object_input_list) != pg.size():
            raise ValueError(f"scatter_object_list: the source rank needs {pg.size()} objects")
        blobs = [_encode(o) for o in scatter_object_input_list]
        header[1:] = [b.size for b in blobs]
        header[0] = header[1:].max()
    broadcast(_t(header), src, group, group_src=group_src)
    width = int(header[0])
    mine = _t(np.zeros(width, np.uint8))
    rows = [_t(_padded(b, width)) for b in blobs] if is_root else None
    scatter(mine, rows, src, group, group_src=group_src)
    scatter_object_output_list[0] = _decode(mine._data, int(header[1 + pg.rank()]))


def send_object_list(object_list: list, dst: int | None = None, group=None, device=None,
                     group_dst: int | None = None, use_batch: bool = False) -> None:
    """send_object_list(object_list, dst=None, group=None, device=None, group_dst=None,
    use_batch=False): send picklable objects to dst, which calls recv_object_list with a list
    of the same length. ``use_batch`` changes nothing here."""
    if resolve(group) is None:
        return
    blobs = [_encode(o) for o in object_list]
    sizes = np.array([b.size for b in blobs], np.int64)
    payload = np.concatenate(blobs) if blobs else np.zeros(0, np.uint8)
    send(_t(sizes), dst, group, group_dst=group_dst)
    send(_t(payload), dst, group, group_dst=group_dst)


def recv_object_list(object_list: list, src: int | None = None, group=None, device=None,
                     group_src: int | None = None, use_batch: bool = False) -> int:
    """recv_object_list(object_list, src=None, group=None, device=None, group_src=None,
    use_batch=False) -> the sender's global rank (-1 when this rank is not in group).

    Fills object_list with the objects send_object_list sent (from any rank when src and
    group_src are None)."""
    pg = resolve(group)
    if pg is None:
        return -1
    sizes = np.zeros(len(object_list), np.int64)
    sender = recv(_t(sizes), src, group, group_src=group_src)
    payload = np.zeros(int(sizes.sum()), np.uint8)
    # The payload must come from the rank whose sizes arrived, even when src was "any".
    recv(_t(payload), sender, group)
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    for i in range(len(object_list)):
        object_list[i] = _decode(payload[offsets[i]:offsets[i + 1]], int(sizes[i]))
    return sender
