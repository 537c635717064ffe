"""Where a rank sits: local rank, local world size, node rank, number of nodes.

After init_process_group the answers come from MPI itself (a shared-memory
split of COMM_WORLD). Before it, from the process manager's environment:
dptrun/torchrun (LOCAL_RANK, LOCAL_WORLD_SIZE, NODE_RANK), MPICH Hydra
(MPI_LOCALRANKID, MPI_LOCALNRANKS), Open MPI (OMPI_COMM_WORLD_LOCAL_RANK, ...)
and Slurm (SLURM_LOCALID, SLURM_NODEID); a process started without any launcher
is rank 0 of a world of one. This is what picks a GPU before init (e.g.
``dpt.cuda.set_device(dist.get_local_rank())``).
"""
from __future__ import annotations

import os
from dataclasses import dataclass

_ENV = {
    "local_rank": ("LOCAL_RANK", "MPI_LOCALRANKID", "OMPI_COMM_WORLD_LOCAL_RANK", "SLURM_LOCALID",
                   "PALS_LOCAL_RANKID", "MV2_COMM_WORLD_LOCAL_RANK"),
    "local_world_size": ("LOCAL_WORLD_SIZE", "MPI_LOCALNRANKS", "OMPI_COMM_WORLD_LOCAL_SIZE",
                         "MV2_COMM_WORLD_LOCAL_SIZE"),
    "node_rank": ("NODE_RANK", "GROUP_RANK", "SLURM_NODEID"),
    "num_nodes": ("NNODES", "SLURM_NNODES", "SLURM_JOB_NUM_NODES"),
}
# Set by every MPI launcher: their absence means a plain `python script.py`.
_LAUNCHED = ("PMI_RANK", "PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "SLURM_PROCID",
             "WORLD_SIZE", "MPI_LOCALNRANKS")


@dataclass(frozen=True)
class Topology:
    local_rank: int
    local_world_size: int
    node_rank: int
    num_nodes: int


_computed: Topology | None = None


def compute(world) -> Topology:
    """Collective over world: a node is a shared-memory split refined by processor name
    (ranks that share memory and report the same host); nodes are numbered in the order of
    their first rank."""
    global _computed
    from mpi4py import MPI

    me = world.Get_rank()
    shared = world.Split_type(MPI.COMM_TYPE_SHARED, key=me)
    shm_leader = shared.allreduce(me, op=MPI.MIN)
    shared.Free()
    keys = world.allgather((shm_leader, MPI.Get_processor_name()))
    first = {}
    for r, k in enumerate(keys):
        first.setdefault(k, r)
    node = world.Split(first[keys[me]], key=me)
    local_rank, local_size = node.Get_rank(), node.Get_size()
    node.Free()
    leaders = sorted(first.values())
    _computed = Topology(local_rank, local_size, leaders.index(first[keys[me]]), len(leaders))
    return _computed


def reset() -> None:
    global _computed
    _computed = None


def _from_env(key: str):
    for name in _ENV[key]:
        value = os.environ.get(name)
        if value is not None and value.strip().isdigit():
            return int(value)
    return None


def _lookup(key: str) -> int:
    if _computed is not None:
        return getattr(_computed, key)
    value = _from_env(key)
    if value is not None:
        return value
    if not any(v in os.environ for v in _LAUNCHED):
        return 1 if key in ("local_world_size", "num_nodes") else 0
    raise RuntimeError(f"dpt.distributed: the {key.replace('_', ' ')} is not in this launcher's "
                       "environment; call init_process_group() first (it asks MPI)")


def get_local_rank() -> int:
    """This process's rank among the processes on its node."""
    return _lookup("local_rank")


def get_local_world_size() -> int:
    """How many processes of the job run on this node."""
    return _lookup("local_world_size")


def get_node_rank() -> int:
    """The index of this node (0 .. num_nodes-1)."""
    return _lookup("node_rank")


def get_num_nodes() -> int:
    return _lookup("num_nodes")


def get_node_local_rank(fallback_rank: int | None = None) -> int:
    """get_node_local_rank(fallback_rank=None) -> int: LOCAL_RANK from the environment, else
    fallback_rank, else RuntimeError (as torch; get_local_rank() also asks MPI)."""
    if "LOCAL_RANK" in os.environ:
        return int(os.environ["LOCAL_RANK"])
    if fallback_rank is not None:
        return int(fallback_rank)
    raise RuntimeError("LOCAL_RANK is not in the environment: pass fallback_rank to "
                       "get_node_local_rank to run outside a multi-process launch")
