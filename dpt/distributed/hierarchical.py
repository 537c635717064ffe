"""Topology-aware (hierarchical) all-reduce for the MPI transport.

A flat all-reduce treats every rank alike; on a cluster most ranks share a node
with others, and the links between nodes are much slower than shared memory.
The hierarchical all-reduce sends each element across the network once per
node instead of once per rank:

1. reduce within each node to the node's leader (local rank 0), over a
   shared-memory communicator;
2. all-reduce among the node leaders (one rank per node), across the network;
3. broadcast the result from the leader within each node.

Selecting it, per process group (default: off):

* ``dist.init_process_group(..., pg_options=Options(hierarchical_allreduce=True))``
  or ``dist.new_group(ranks, pg_options=Options(hierarchical_allreduce=True))``;
  a dict ``{"hierarchical_allreduce": True}`` works too;
* the environment variable ``DPT_HIERARCHICAL_ALLREDUCE=1`` turns it on for every
  group whose ``pg_options`` do not say otherwise.

Only ``all_reduce`` of tensors moved by MPI (CPU tensors, and CUDA tensors when
the group does not use NCCL) takes this path; every ReduceOp MPI supports gives
the same result as the flat all-reduce (AVG sums, then divides by the group
size). It runs under the group's timeout like any collective: every stage is a
nonblocking MPI call, advanced whenever the Work is polled.

Nodes are the groups of a shared-memory split of the group's communicator,
refined by MPI processor name (so two ranks count as one node only if they share
memory *and* report the same host). For tests on one machine,
``DPT_HIERARCHICAL_RANKS_PER_NODE=k`` pretends that every k consecutive ranks of
the group form a node.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

__all__ = ["Options", "HierarchicalComms", "enabled"]

_TRUE = ("1", "true", "yes", "on")


@dataclass
class Options:
    """Process-group options of the MPI transport (pass as ``pg_options``)."""

    hierarchical_allreduce: bool = False


def enabled(pg_options) -> bool:
    """Does a group made with these pg_options use the hierarchical all-reduce?"""
    if pg_options is not None:
        if isinstance(pg_options, dict):
            value = pg_options.get("hierarchical_allreduce")
        else:
            value = getattr(pg_options, "hierarchical_allreduce", None)
        if value is not None:
            return bool(value)
    return os.environ.get("DPT_HIERARCHICAL_ALLREDUCE", "0").strip().lower() in _TRUE


def node_color(comm) -> int:
    """The same small integer on every rank of comm that shares this rank's node."""
    from mpi4py import MPI

    rank = comm.Get_rank()
    fake = os.environ.get("DPT_HIERARCHICAL_RANKS_PER_NODE", "").strip()
    if fake:
        if not fake.isdigit() or int(fake) < 1:
            raise ValueError("DPT_HIERARCHICAL_RANKS_PER_NODE must be a positive integer, got "
                             f"{fake!r}")
        return rank // int(fake)
    shared = comm.Split_type(MPI.COMM_TYPE_SHARED, key=rank)
    shm_leader = shared.allreduce(rank, op=MPI.MIN)
    shared.Free()
    names = comm.allgather((shm_leader, MPI.Get_processor_name()))
    keys = sorted(set(names))
    return keys.index(names[rank])


def _chunk_bytes() -> int:
    raw = os.environ.get("DPT_HIERARCHICAL_CHUNK_BYTES", "").strip()
    return int(raw) if raw.isdigit() and int(raw) > 0 else 1 << 20


class _Op:
    """One hierarchical all-reduce in flight: its stages are posted in order."""

    __slots__ = ("buf", "mop", "stage", "req", "done")

    def __init__(self, buf, mop):
        self.buf, self.mop = buf, mop
        self.stage = 0        # stages posted so far
        self.req = None       # the request of the last stage posted
        self.done = False


class HierarchicalComms:
    """The node and leader communicators of one process group, and the queue of all-reduces.

    Stage k of an all-reduce is posted only once every earlier all-reduce of this group
    has posted its stage k, so all ranks issue the operations of each communicator in the
    same order however their Works are polled (DDP polls buckets out of order).
    """

    def __init__(self, comm):
        from mpi4py import MPI

        rank = comm.Get_rank()
        color = node_color(comm)
        self.node_reduce = comm.Split(color, key=rank)
        self.node_bcast = self.node_reduce.Dup()
        self.local_rank = self.node_reduce.Get_rank()
        self.local_size = self.node_reduce.Get_size()
        self.is_leader = self.local_rank == 0
        self.leaders = comm.Split(0 if self.is_leader else MPI.UNDEFINED, key=rank)
        self.num_nodes = len(set(comm.allgather(color)))
        self._queue = []

    @property
    def stages(self) -> int:
        return 3 if self.is_leader else 2

    def all_reduce(self, work, buf, mop):
        """Start reducing buf (contiguous, MPI-ready) in place; progress rides on work's polls.

        Big buffers go in chunks of DPT_HIERARCHICAL_CHUNK_BYTES (default 1 MiB), each its
        own three-stage operation, so the node reduce of one chunk overlaps the leaders'
        all-reduce of the one before and the broadcast of the one before that.
        """
        flat = buf.reshape(-1)
        step = max(1, _chunk_bytes() // max(1, flat.itemsize))
        ops = [_Op(flat[i:i + step], mop) for i in range(0, max(1, flat.size), step)]
        for op in ops:
            self._queue.append(op)
            self._post(op)  # the first stage goes out at once (launch order is program order)
        work.add_test(lambda: self.progress() or all(op.done for op in ops))
        work.keep(buf)

    def progress(self) -> bool:
        """Advance every queued all-reduce as far as MPI allows; never blocks."""
        floor = None  # the fewest stages posted by an earlier, unfinished operation
        for op in self._queue:
            while True:
                if op.req is not None and not op.req.Test():
                    break
                op.req = None
                if op.stage == self.stages:
                    op.done = True
                    break
                if floor is not None and op.stage >= floor:
                    break  # an earlier all-reduce must post this stage first
                self._post(op)
            floor = op.stage if floor is None else min(floor, op.stage)
        self._queue = [op for op in self._queue if not op.done]
        return False

    def _post(self, op: _Op) -> None:
        from mpi4py import MPI

        buf, stage = op.buf, op.stage
        if stage == 0:
            if self.is_leader:
                op.req = self.node_reduce.Ireduce(MPI.IN_PLACE, buf, op=op.mop, root=0)
            else:
                op.req = self.node_reduce.Ireduce(buf, None, op=op.mop, root=0)
        elif stage == 1 and self.is_leader:
            op.req = self.leaders.Iallreduce(MPI.IN_PLACE, buf, op=op.mop)
        else:
            raw = buf.reshape(-1).view(np.uint8) if isinstance(buf, np.ndarray) \
                else buf.reshape(-1).view("uint8")
            op.req = self.node_bcast.Ibcast([raw, MPI.BYTE], root=0)
        op.stage += 1

    def free(self) -> None:
        from mpi4py import MPI

        self._queue = []
        for c in (self.leaders, self.node_bcast, self.node_reduce):
            if c != MPI.COMM_NULL:
                c.Free()
