"""dpt.distributed: torch.distributed over MPI (every array, and the control plane) and NCCL
(GPU arrays).

Processes are started by an MPI process manager: ``mpiexec -n N python train.py``,
``srun python train.py`` or ``dptrun --nproc-per-node N train.py``; a plain
``python train.py`` is a world of one. Then::

    import dpt.distributed as dist
    dist.init_process_group()              # backend=None: MPI for CPU, NCCL for CUDA tensors
    dist.all_reduce(t, op=dist.ReduceOp.SUM)
    work = dist.all_reduce(bucket, async_op=True)   # ... overlap ..., then work.wait()

Failures never hang silently and mismatches never give silent wrong results:
every blocking collective has the group's timeout (30 minutes by default) and
raises naming the ranks that never joined; an unhandled exception or a non-zero
``sys.exit`` on any rank aborts the job (with that exit code); a rank that
leaves while others wait for it makes them raise naming it (monitor.py); and
every collective first checks, with one small message, that every rank makes
the same call (kind, reduce op, dtype, element count, root), else every rank
raises naming each rank's call. ``DPT_COLLECTIVE_CHECK=0`` turns that check
off; ``DPT_DISTRIBUTED_DEBUG=DETAIL`` makes it compare shapes too
(fingerprint.py).
float16/bfloat16 reductions over MPI are computed in float32 (MPI has no half
arithmetic) and rounded back.
"""
from .backends import (Backend, get_default_backend_for_device, is_backend_available,
                       is_mpi_available, is_nccl_available, is_ucc_available, is_xccl_available)
from .coalesced import all_gather_coalesced, all_reduce_coalesced
from .collectives import (P2POp, all_gather, all_gather_into_tensor, all_gather_single, all_reduce,
                          all_to_all, all_to_all_single, barrier, batch_isend_irecv, broadcast,
                          gather, irecv, isend, monitored_barrier, recv, reduce, reduce_scatter,
                          reduce_scatter_single, reduce_scatter_tensor, scatter, send)
from .device_mesh import DeviceMesh, init_device_mesh
from .debugger import breakpoint  # noqa: A004 (torch's name)
from .grad_bucket import GradBucket
from .monitor import (DebugLevel, DistBackendError, DistError, DistNetworkError, DistStoreError,
                      get_debug_level, set_debug_level, set_debug_level_from_env)
from .object_collectives import (all_gather_object, broadcast_object_list, gather_object,
                                 recv_object_list, scatter_object_list, send_object_list)
from .process_group import (GroupMember, ProcessGroup, default_pg_timeout, destroy_process_group,
                            get_backend, get_backend_config, get_global_rank, get_group_rank, get_pg_count,
                            get_process_group_ranks, get_rank, get_world_size, group,
                            init_process_group, is_available, is_initialized, new_group)
from .options import (AllreduceCoalescedOptions, AllreduceOptions, AllToAllOptions, BackendConfig,
                      BarrierOptions, BroadcastOptions, BuiltinCommHookType, GatherOptions,
                      GroupName, RankType, ReduceOptions, ReduceScatterOptions, ScatterOptions)
from .reduce_op import ReduceOp, supports_complex
from .store import FileStore, HashStore, PrefixStore, QueueEmptyError, Store, TCPStore
from .subgroups import new_subgroups, new_subgroups_by_enumeration, split_group
from .topology import (get_local_rank, get_local_world_size, get_node_local_rank, get_node_rank,
                       get_num_nodes)
from .work import Work


def is_gloo_available() -> bool:
    """False: there is no gloo here ('gloo' is accepted as a synonym of 'mpi')."""
    return False


def is_torchelastic_launched() -> bool:
    """True when started by dptrun (which sets the torchrun-style variables)."""
    import os
    return "DPT_RUN_ID" in os.environ


__all__ = [
    "Backend", "DebugLevel", "DistBackendError", "DistError", "DistNetworkError",
    "DistStoreError", "GroupMember", "P2POp", "ProcessGroup", "ReduceOp", "Work",
    "all_gather", "all_gather_into_tensor", "all_gather_object", "all_reduce", "all_to_all",
    "all_to_all_single", "barrier", "batch_isend_irecv", "broadcast", "broadcast_object_list",
    "default_pg_timeout", "destroy_process_group", "gather", "gather_object", "get_backend",
    "get_debug_level", "get_global_rank", "get_group_rank", "get_local_rank",
    "get_local_world_size", "get_node_rank", "get_num_nodes", "get_pg_count",
    "get_process_group_ranks", "get_rank", "get_world_size", "group", "init_process_group",
    "irecv", "is_available", "is_gloo_available", "is_initialized", "is_mpi_available",
    "is_nccl_available", "is_torchelastic_launched", "isend", "monitored_barrier", "new_group",
    "recv", "reduce", "reduce_scatter", "reduce_scatter_tensor", "scatter",
    "scatter_object_list", "send", "set_debug_level", "set_debug_level_from_env",
    "all_gather_coalesced", "all_gather_single", "all_reduce_coalesced", "breakpoint",
    "get_backend_config", "get_default_backend_for_device", "get_node_local_rank",
    "is_backend_available", "is_ucc_available", "is_xccl_available", "new_subgroups",
    "new_subgroups_by_enumeration", "recv_object_list", "reduce_scatter_single",
    "send_object_list", "split_group", "supports_complex", "FileStore", "HashStore",
    "PrefixStore", "QueueEmptyError", "Store", "TCPStore", "AllToAllOptions",
    "AllreduceCoalescedOptions", "AllreduceOptions", "BackendConfig", "BarrierOptions",
    "BroadcastOptions", "BuiltinCommHookType", "GatherOptions", "GradBucket", "GroupName",
    "RankType", "ReduceOptions", "ReduceScatterOptions", "ScatterOptions", "DeviceMesh",
    "init_device_mesh",
]
