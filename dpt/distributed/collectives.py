"""Collectives and point-to-point on dpt Tensors (torch.distributed's functions).

Each call checks its arguments where they enter, takes the next sequence number
of its group, checks that every rank makes the same call (fingerprint.py), hands
raw arrays (``t._data``) to the transport of the tensors' device (found through
the group; this file names no transport) and either returns the Work
(``async_op=True``) or waits on it with the group's timeout: ``_launch`` is that
path, written once. Results
are written into the given tensors in place. Ranks outside ``group`` get None,
as in torch. ``src``/``dst``/``peer`` are global ranks; ``group_src`` etc. are
ranks within ``group``.
"""
from __future__ import annotations

import time
from datetime import timedelta

import numpy as np

from .._device import xp_of
from .._tensor import Tensor
from . import fingerprint, monitor
from .process_group import resolve
from .reduce_op import ReduceOp, as_red_op
from .work import Work, _poll, _seconds

__all__ = [
    "all_reduce", "broadcast", "reduce", "all_gather", "all_gather_into_tensor", "reduce_scatter",
    "reduce_scatter_tensor", "gather", "scatter", "all_to_all", "all_to_all_single", "barrier",
    "monitored_barrier", "send", "recv", "isend", "irecv", "P2POp", "batch_isend_irecv",
    "all_gather_single", "reduce_scatter_single",
]


# -- argument checks -----------------------------------------------------------------------------
def _tensor(t, name: str, op: str) -> Tensor:
    if not isinstance(t, Tensor):
        raise TypeError(f"{op}: invalid function argument. Expected parameter `{name}` of type "
                        f"dpt.Tensor but got {type(t).__name__} instead.")
    return t


def _tensor_list(ts, name: str, op: str, n: int | None = None) -> list:
    if not isinstance(ts, (list, tuple)) or not all(isinstance(t, Tensor) for t in ts):
        raise TypeError(f"{op}: invalid function argument. Expected parameter `{name}` of type "
                        "List[dpt.Tensor].")
    if n is not None and len(ts) != n:
        raise ValueError(f"{op}: `{name}` has {len(ts)} tensors but the group has {n} ranks")
    return list(ts)


def _same_device(op: str, *tensors) -> str:
    devs = {t.device.type for t in tensors}
    if len(devs) > 1:
        raise RuntimeError(f"{op}: all tensors must be on the same device type, got "
                           f"{sorted(devs)}")
    return devs.pop() if devs else "cpu"


def _same(op: str, ref: Tensor, others, what: str):
    for t in others:
        if t.shape != ref.shape or t.dtype != ref.dtype:
            raise RuntimeError(f"{op}: every tensor in {what} must have shape {list(ref.shape)} "
                               f"and dtype {ref.dtype.name}, got {list(t.shape)} {t.dtype.name}")


def _same_dtype(op: str, output: Tensor, input: Tensor) -> None:
    if output.dtype != input.dtype:
        raise RuntimeError(f"{op}: output and input must have the same dtype, got "
                           f"{output.dtype.name} and {input.dtype.name}")


def _group_rank(pg, op: str, rank, group_rank, name: str) -> int:
    if rank is not None and group_rank is not None:
        raise ValueError(f"{op}: pass `{name}` or `group_{name}`, not both")
    if group_rank is None:
        if rank is None:
            raise ValueError(f"{op}: `{name}` is required")
        if rank not in pg.ranks:
            raise ValueError(f"{op}: global rank {rank} is not part of process group "
                             f"'{pg.group_name}' (ranks {pg.ranks})")
        return pg.ranks.index(rank)
    if not 0 <= group_rank < pg.size():
        raise ValueError(f"{op}: group rank {group_rank} is out of range for a group of "
                         f"{pg.size()} ranks")
    return group_rank


def _desc(tensors) -> str:
    return ", ".join(f"{t.dtype.name}{list(t.shape)}" for t in tensors)


def _bump(*tensors):
    for t in tensors:
        t._vc[0] += 1


# -- launch ----------------------------------------------------------------------------------------
def _enter(op: str, group, **tensors):
    """The argument check and group lookup every collective starts with: each keyword must be
    a Tensor; returns the ProcessGroup, or None when this rank is not a member."""
    for name, t in tensors.items():
        _tensor(t, name, op)
    return resolve(group)


def _start(pg, op: str, tensors=(), *, shapes=True, root=None, red=None, outputs=(),
           count=None, speculate=False) -> Work:
    """Number the collective, mark this rank as having entered it, check that every rank
    makes the same call (fingerprint.py): at once, or, with ``speculate``, in flight beside
    the data as the Work's gate."""
    monitor.check_usable(pg)
    seq = pg.next_seq()
    mon = monitor.current()
    if mon is not None:
        mon.enter(pg.group_name, seq, op)
        if mon.departed:
            monitor.check_departed(pg, seq, op)
    work = Work(pg, op, seq, lambda: _desc(tensors), outputs)
    if pg.size() > 1:
        if monitor.get_debug_level() == monitor.DebugLevel.DETAIL:
            fingerprint.check_detail(pg, seq, op, tensors, shapes, red, root)
            work.agreed = True
        elif fingerprint.enabled():
            if tensors:
                dtype = tensors[0].dtype
                if count is None:
                    count = tensors[0]._data.size
            else:
                dtype, count = None, 0
            fingerprint.start(work, dtype, count, red, root)
            if not speculate:
                fingerprint.settle(work)
            work.agreed = True
    return work


def _launch(pg, op: str, async_op: bool, run, tensors=(), *, outputs=(), modified=None,
            device=None, red=None, root=None, shapes=True, count=None):
    """What every collective does once its arguments are checked, written once: pick the
    transport of the tensors' device, check the reduce op, number the call and check that
    every rank makes the same one (``count`` elements of ``tensors[0]``'s dtype, by default
    its numel), launch it with ``run(transport, work, red)``, mark the tensors it writes
    (``modified``, default ``outputs``) as changed, then wait or return the Work.

    Where the transport allows it, the data moves while the check is in flight (one round
    trip instead of two); the Work then verifies the check before it reports completion."""
    transport = pg.transport_for(device or (tensors[0].device.type if tensors else "cpu"))
    if red is not None:
        red = transport.check_reduce(as_red_op(red), tensors[0].dtype.np)
    work = _start(pg, op, tensors, shapes=shapes, root=root, red=red, outputs=outputs,
                  count=count, speculate=transport.speculative_check and pg.hierarchical is None)
    run(transport, work, red)
    _bump(*(outputs if modified is None else modified))
    if async_op:
        return work
    work.wait()
    return None


# -- collectives -------------------------------------------------------------------------------------
def all_reduce(tensor: Tensor, op=ReduceOp.SUM, group=None, async_op: bool = False):
    """all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False): reduce over all ranks in
    place. float16/bfloat16 are reduced in float32 over MPI (MPI has no half arithmetic)."""
    pg = _enter("all_reduce", group, tensor=tensor)
    if pg is None:
        return None
    return _launch(pg, "all_reduce", async_op,
                   lambda tr, work, red: tr.all_reduce(work, tensor._data, red),
                   [tensor], outputs=[tensor], red=op)


def broadcast(tensor: Tensor, src: int | None = None, group=None, async_op: bool = False,
              group_src: int | None = None):
    """broadcast(tensor, src, group=None, async_op=False): copy src's tensor to every rank."""
    pg = _enter("broadcast", group, tensor=tensor)
    if pg is None:
        return None
    root = _group_rank(pg, "broadcast", src, group_src, "src")
    return _launch(pg, "broadcast", async_op,
                   lambda tr, work, _: tr.broadcast(work, tensor._data, root),
                   [tensor], outputs=[tensor], root=root)


def reduce(tensor: Tensor, dst: int | None = None, op=ReduceOp.SUM, group=None,
           async_op: bool = False, group_dst: int | None = None):
    """reduce(tensor, dst, op=ReduceOp.SUM, group=None, async_op=False): only dst gets the
    result; the other ranks' tensors are left unchanged."""
    pg = _enter("reduce", group, tensor=tensor)
    if pg is None:
        return None
    root = _group_rank(pg, "reduce", dst, group_dst, "dst")
    return _launch(pg, "reduce", async_op,
                   lambda tr, work, red: tr.reduce(work, tensor._data, red, root),
                   [tensor], outputs=[tensor], modified=[tensor] if pg.rank() == root else [],
                   red=op, root=root)


def all_gather_into_tensor(output_tensor: Tensor, input_tensor: Tensor, group=None,
                           async_op: bool = False):
    """Gather every rank's input into output, concatenated along dim 0 (or stacked: output may
    have shape (world_size, *input.shape))."""
    op = "all_gather_into_tensor"
    pg = _enter(op, group, output_tensor=output_tensor, input_tensor=input_tensor)
    if pg is None:
        return None
    dev = _same_device(op, output_tensor, input_tensor)
    if output_tensor.numel() != pg.size() * input_tensor.numel():
        raise RuntimeError(f"{op}: output tensor size must be equal to world_size times input "
                           f"tensor size (output {list(output_tensor.shape)}, input "
                           f"{list(input_tensor.shape)}, world_size {pg.size()})")
    _same_dtype(op, output_tensor, input_tensor)
    return _launch(pg, op, async_op,
                   lambda tr, work, _: tr.all_gather(work, output_tensor._data,
                                                     input_tensor._data),
                   [output_tensor, input_tensor], outputs=[output_tensor], device=dev,
                   count=input_tensor.numel())


def all_gather_single(output_tensor: Tensor, input_tensor: Tensor, group=None,
                      async_op: bool = False):
    """all_gather_single(output_tensor, input_tensor, group=None, async_op=False): torch 2.13's
    new name of all_gather_into_tensor."""
    return all_gather_into_tensor(output_tensor, input_tensor, group, async_op)


def _stack_buffer(ref: Tensor, n: int):
    return xp_of(ref._data).empty((n,) + tuple(ref.shape), dtype=ref._data.dtype)


def _unstack_into(work: Work, buf, tensors):
    def copy_out():
        for i, t in enumerate(tensors):
            t._data[...] = buf[i]
    work.then(copy_out)


def all_gather(tensor_list, tensor: Tensor, group=None, async_op: bool = False):
    """all_gather(tensor_list, tensor, group=None, async_op=False): tensor_list[r] = rank r's
    tensor (every entry must have the input's shape and dtype)."""
    op = "all_gather"
    pg = _enter(op, group, tensor=tensor)
    if pg is None:
        return None
    outs = _tensor_list(tensor_list, "tensor_list", op, pg.size())
    _same(op, tensor, outs, "tensor_list")
    dev = _same_device(op, tensor, *outs)

    def run(tr, work, _):
        buf = _stack_buffer(tensor, pg.size())
        tr.all_gather(work, buf, tensor._data)
        _unstack_into(work, buf, outs)
    return _launch(pg, op, async_op, run, [tensor], outputs=outs, device=dev)


def reduce_scatter_tensor(output: Tensor, input: Tensor, op=ReduceOp.SUM, group=None,
                          async_op: bool = False):
    """Reduce input over ranks; rank r keeps block r of dim 0 (input has world_size * output
    elements)."""
    name = "reduce_scatter_tensor"
    pg = _enter(name, group, output=output, input=input)
    if pg is None:
        return None
    dev = _same_device(name, output, input)
    if input.numel() != pg.size() * output.numel():
        raise RuntimeError(f"{name}: input tensor must be the same size as output size times "
                           f"world size (input {list(input.shape)}, output {list(output.shape)}, "
                           f"world_size {pg.size()})")
    _same_dtype(name, output, input)
    return _launch(pg, name, async_op,
                   lambda tr, work, red: tr.reduce_scatter(work, output._data, input._data, red),
                   [output, input], outputs=[output], device=dev, red=op)


def reduce_scatter_single(output: Tensor, input: Tensor, op=ReduceOp.SUM, group=None,
                          async_op: bool = False):
    """reduce_scatter_single(output, input, op=ReduceOp.SUM, group=None, async_op=False): torch
    2.13's new name of reduce_scatter_tensor."""
    return reduce_scatter_tensor(output, input, op, group, async_op)


def reduce_scatter(output: Tensor, input_list, op=ReduceOp.SUM, group=None,
                   async_op: bool = False):
    """reduce_scatter(output, input_list, op=SUM, ...): output = reduction of input_list[rank]
    over ranks."""
    name = "reduce_scatter"
    pg = _enter(name, group, output=output)
    if pg is None:
        return None
    ins = _tensor_list(input_list, "input_list", name, pg.size())
    _same(name, output, ins, "input_list")
    dev = _same_device(name, output, *ins)

    def run(tr, work, red):
        xp = xp_of(output._data)
        packed = xp.stack([t._data for t in ins]) if ins else _stack_buffer(output, 0)
        tr.reduce_scatter(work, output._data, packed, red)
    return _launch(pg, name, async_op, run, [output], outputs=[output], device=dev, red=op)


def _root_and_list(pg, name: str, tensor: Tensor, tensors, list_name: str, rank, group_rank,
                   kind: str):
    """Resolve gather's dst / scatter's src (global rank 0 by default, as in torch) and check
    the tensor list that only that rank may pass; returns (root, the list, or [] off the root)."""
    if rank is None and group_rank is None:
        rank = 0
    root = _group_rank(pg, name, rank, group_rank, kind)
    if pg.rank() == root:
        tensors = _tensor_list(tensors, list_name, name, pg.size())
        _same(name, tensor, tensors, list_name)
        return root, tensors
    if tensors:
        role = "destination" if kind == "dst" else "source"
        raise ValueError(f"{name}: Argument ``{list_name}`` must NOT be specified on non-{role} "
                         "ranks.")
    return root, []


def gather(tensor: Tensor, gather_list=None, dst: int | None = None, group=None,
           async_op: bool = False, group_dst: int | None = None):
    """gather(tensor, gather_list=None, dst=None, ...): gather_list (on dst only) gets every
    rank's tensor. dst defaults to global rank 0, as in torch."""
    name = "gather"
    pg = _enter(name, group, tensor=tensor)
    if pg is None:
        return None
    root, outs = _root_and_list(pg, name, tensor, gather_list, "gather_list", dst, group_dst,
                                "dst")
    dev = _same_device(name, tensor, *outs)

    def run(tr, work, _):
        buf = _stack_buffer(tensor, pg.size()) if outs else None
        tr.gather(work, buf, tensor._data, root)
        if outs:
            _unstack_into(work, buf, outs)
    return _launch(pg, name, async_op, run, [tensor], outputs=outs, device=dev, root=root)


def scatter(tensor: Tensor, scatter_list=None, src: int | None = None, group=None,
            async_op: bool = False, group_src: int | None = None):
    """scatter(tensor, scatter_list=None, src=None, ...): rank r's tensor = scatter_list[r] from
    src (global rank 0 by default, as in torch)."""
    name = "scatter"
    pg = _enter(name, group, tensor=tensor)
    if pg is None:
        return None
    root, ins = _root_and_list(pg, name, tensor, scatter_list, "scatter_list", src, group_src,
                               "src")
    dev = _same_device(name, tensor, *ins)

    def run(tr, work, _):
        packed = xp_of(tensor._data).stack([t._data for t in ins]) if ins else None
        tr.scatter(work, tensor._data, packed, root)
    return _launch(pg, name, async_op, run, [tensor], outputs=[tensor], device=dev, root=root)


def _row_width(t: Tensor) -> int:
    return int(np.prod(t.shape[1:])) if t.ndim else 1


def all_to_all_single(output: Tensor, input: Tensor, output_split_sizes=None,
                      input_split_sizes=None, group=None, async_op: bool = False):
    """Split input along dim 0 (equally, or by input_split_sizes), send block r to rank r and
    concatenate what arrives into output (equally, or by output_split_sizes)."""
    name = "all_to_all_single"
    pg = _enter(name, group, output=output, input=input)
    if pg is None:
        return None
    n = pg.size()
    dev = _same_device(name, output, input)
    _same_dtype(name, output, input)
    for t, splits, what in ((input, input_split_sizes, "input"),
                            (output, output_split_sizes, "output")):
        if splits is None or len(splits) == 0:
            if t.ndim == 0 or t.shape[0] % n:
                raise RuntimeError(f"{name}: {what} dim 0 ({list(t.shape)}) must divide equally "
                                   f"among {n} ranks when no split sizes are given")
        else:
            if len(splits) != n or sum(splits) != t.shape[0] or min(splits) < 0:
                raise RuntimeError(f"{name}: {what}_split_sizes {list(splits)} must have {n} "
                                   f"non-negative entries summing to dim 0 of {what} "
                                   f"({list(t.shape)})")
    if tuple(output.shape[1:]) != tuple(input.shape[1:]):
        raise RuntimeError(f"{name}: output and input must agree beyond dim 0, got "
                           f"{list(output.shape)} and {list(input.shape)}")
    out_rows = list(output_split_sizes) if output_split_sizes else None
    in_rows = list(input_split_sizes) if input_split_sizes else None
    # Split sizes legitimately differ across ranks: the check compares dtypes and row widths.
    return _launch(pg, name, async_op,
                   lambda tr, work, _: tr.all_to_all(work, output._data, input._data, out_rows,
                                                     in_rows),
                   [output, input], outputs=[output], device=dev, shapes=False,
                   count=_row_width(input))


def all_to_all(output_tensor_list, input_tensor_list, group=None, async_op: bool = False):
    """all_to_all(output_tensor_list, input_tensor_list, ...): output_tensor_list[r] gets rank r's
    input_tensor_list[my rank]. Tensors may differ in size along dim 0 (same trailing shape)."""
    name = "all_to_all"
    pg = _enter(name, group)
    if pg is None:
        return None
    outs = _tensor_list(output_tensor_list, "output_tensor_list", name, pg.size())
    ins = _tensor_list(input_tensor_list, "input_tensor_list", name, pg.size())
    dev = _same_device(name, *outs, *ins)
    ref = ins[0]
    for t in outs + ins:
        if t.dtype != ref.dtype or tuple(t.shape[1:]) != tuple(ref.shape[1:]) or t.ndim == 0:
            raise RuntimeError(f"{name}: every tensor must have dtype {ref.dtype.name} and shape "
                               f"[*, {', '.join(map(str, ref.shape[1:]))}], got "
                               f"{t.dtype.name} {list(t.shape)}")

    def run(tr, work, _):
        xp = xp_of(ref._data)
        packed = xp.concatenate([t._data for t in ins])
        out_rows = [t.shape[0] for t in outs]
        buf = xp.empty((sum(out_rows),) + tuple(ref.shape[1:]), dtype=ref._data.dtype)
        tr.all_to_all(work, buf, packed, out_rows, [t.shape[0] for t in ins])
        starts = np.concatenate([[0], np.cumsum(out_rows)]).astype(int)

        def copy_out():
            for i, t in enumerate(outs):
                t._data[...] = buf[starts[i]:starts[i + 1]]
        work.then(copy_out)
    return _launch(pg, name, async_op, run, ins, outputs=outs, device=dev, shapes=False,
                   count=_row_width(ref))


def barrier(group=None, async_op: bool = False, device_ids=None):
    """barrier(group=None, async_op=False, device_ids=None): wait for every rank of the group
    (over MPI, the control plane, whatever the group's backend)."""
    pg = _enter("barrier", group)
    if pg is None:
        return None
    # The check (done at once, or in flight as the Work's gate) waits for every rank: then it
    # is the barrier.
    return _launch(pg, "barrier", async_op,
                   lambda tr, work, _: None if work.agreed else tr.barrier(work), device="cpu")


def monitored_barrier(group=None, timeout: timedelta | None = None, wait_all_ranks: bool = False):
    """Rank 0 waits for every other rank with a timeout and names the ones that did not come.

    Raises RuntimeError on rank 0 ("Ranks 1, 3 failed to pass monitoredBarrier in 2000 ms"; with
    wait_all_ranks=False only the first missing rank), saying where each missing rank is, and
    naming the call it made instead where it made another collective call at this place (a
    mismatch); the others then time out waiting for rank 0's release.
    """
    from mpi4py import MPI

    pg = resolve(group)
    if pg is None:
        return None
    limit = _seconds(timeout) if timeout is not None else _seconds(pg.timeout)
    monitor.check_usable(pg)
    seq = pg.next_seq()
    mon = monitor.current()
    if mon is not None:
        mon.enter(pg.group_name, seq, "monitored_barrier")
    ctl, me, n = pg.ctl, pg.rank(), pg.size()
    token = np.zeros(1, np.int64)
    tag = 7
    if me == 0:
        recvs = {r: ctl.Irecv([np.zeros(1, np.int64), MPI.INT64_T], source=r, tag=tag)
                 for r in range(1, n)}
        deadline = time.monotonic() + limit
        try:
            _poll(lambda: all(q.Test() for q in recvs.values()), deadline, mon)
        except monitor.CollectiveTimeout:
            missing = [r for r, q in recvs.items() if not q.Test()]
            for q in recvs.values():
                if q:
                    q.Cancel()
            shown = missing if wait_all_ranks else missing[:1]
            who = ", ".join(map(str, shown))
            notes = monitor.whereabouts(pg, seq, "monitored_barrier", shown)
            raise RuntimeError(f"[Rank 0]: Rank{'s' if len(shown) > 1 else ''} {who} failed to "
                               f"pass monitoredBarrier in {int(limit * 1000)} ms"
                               + (f" ({'; '.join(notes)})" if notes else "")) from None
        sends = [ctl.Isend([token, MPI.INT64_T], dest=r, tag=tag + 1) for r in range(1, n)]
        MPI.Request.Waitall(sends)
    else:
        work = Work(pg, "monitored_barrier", seq)
        work.add_request(ctl.Isend([token, MPI.INT64_T], dest=0, tag=tag))
        work.add_request(ctl.Irecv([np.zeros(1, np.int64), MPI.INT64_T], source=0, tag=tag + 1))
        work.wait(timedelta(seconds=limit))
    return None


# -- point to point ---------------------------------------------------------------------------------
def _p2p(kind: str, tensor, peer, group, tag, group_peer) -> Work | None:
    name = "send" if kind in ("send", "isend") else "recv"
    pg = _enter(kind, group, tensor=tensor)
    if pg is None:
        return None
    if kind == "recv" and peer is None and group_peer is None:
        prank = None  # any source
    else:
        prank = _group_rank(pg, kind, peer, group_peer, "dst" if name == "send" else "src")
        if prank == pg.rank():
            raise ValueError(f"{kind}: invalid {'destination' if name == 'send' else 'source'} "
                             f"rank {peer if peer is not None else group_peer}: it is this rank")
    monitor.check_usable(pg)
    work = Work(pg, kind, None, _desc([tensor]), [tensor])
    transport = pg.transport_for(tensor.device.type)
    if name == "send":
        transport.send(work, tensor._data, prank, int(tag))
    else:
        transport.recv(work, tensor._data, prank, int(tag))
        _bump(tensor)
    work._group_ranks = pg.ranks
    return work


def isend(tensor: Tensor, dst: int | None = None, group=None, tag: int = 0,
          group_dst: int | None = None):
    """isend(tensor, dst, group=None, tag=0): a Work for sending tensor to dst."""
    return _p2p("isend", tensor, dst, group, tag, group_dst)


def irecv(tensor: Tensor, src: int | None = None, group=None, tag: int = 0,
          group_src: int | None = None):
    """irecv(tensor, src=None, group=None, tag=0): a Work receiving into tensor (any source when
    src is None)."""
    return _p2p("irecv", tensor, src, group, tag, group_src)


def send(tensor: Tensor, dst: int | None = None, group=None, tag: int = 0,
         group_dst: int | None = None) -> None:
    work = _p2p("send", tensor, dst, group, tag, group_dst)
    if work is not None:
        work.wait()


def recv(tensor: Tensor, src: int | None = None, group=None, tag: int = 0,
         group_src: int | None = None) -> int:
    """recv(tensor, src=None, group=None, tag=0) -> the global rank of the sender (-1 when this
    rank is not in group)."""
    work = _p2p("recv", tensor, src, group, tag, group_src)
    if work is None:
        return -1
    work.wait()
    return work._group_ranks[work.source_rank]


class P2POp:
    """P2POp(op, tensor, peer=None, group=None, tag=0, group_peer=None) for batch_isend_irecv;
    op is dist.isend or dist.irecv."""

    def __init__(self, op, tensor: Tensor, peer: int | None = None, group=None, tag: int = 0,
                 group_peer: int | None = None):
        if op not in (isend, irecv):
            raise ValueError("Invalid ``op``. Expected ``op`` to be of type ``dpt.distributed.isend``"
                             " or ``dpt.distributed.irecv``.")
        _tensor(tensor, "tensor", "P2POp")
        self.op, self.tensor, self.peer, self.group = op, tensor, peer, group
        self.tag, self.group_peer = tag, group_peer

    def __repr__(self) -> str:
        return f"P2POp({self.op.__name__}, peer={self.peer}, tag={self.tag})"


def batch_isend_irecv(p2p_op_list) -> list:
    """Post every send/receive at once (so pairwise exchanges cannot deadlock); one Work each."""
    if not isinstance(p2p_op_list, (list, tuple)) or not all(isinstance(p, P2POp)
                                                             for p in p2p_op_list):
        raise ValueError("Invalid ``p2p_op_list``. Each op is expected to to be of type "
                         "``dpt.distributed.P2POp``.")
    works = []
    for p in p2p_op_list:
        if p.op is isend:
            w = isend(p.tensor, p.peer, p.group, p.tag, p.group_peer)
        else:
            w = irecv(p.tensor, p.peer, p.group, p.tag, p.group_peer)
        if w is not None:
            works.append(w)
    return works
