"""Process groups: the default (world) group, sub-groups, and their lifecycle.

Every group owns two MPI communicators cloned from COMM_WORLD (user mpi4py code
on COMM_WORLD can never match dpt's messages): ``comm`` for the data and
``ctl`` for the checks that every rank makes the same call, and for monitored
barriers, plus one transport per device type (found by name in
dpt.distributed.backends), made on first use.
"""
from __future__ import annotations

import atexit
import os
from datetime import timedelta

from .._device import array_module, as_device
from . import fingerprint, hierarchical, monitor, topology
from .backends import is_mpi_available, parse_backend, transport_class

default_pg_timeout = timedelta(minutes=30)


class ProcessGroup:
    """A set of ranks that run collectives together (torch.distributed.ProcessGroup)."""

    def __init__(self, comm, ranks, name: str, timeout: timedelta, transports: dict,
                 backend_name: str, global_rank: int, pg_options=None):
        self.comm = comm
        self.ctl = comm.Dup()
        self.ranks = list(ranks)          # world rank of each group rank
        self.group_name = name
        self.timeout = timeout
        self.transports = transports      # device type -> transport name ('mpi', 'nccl', ...)
        self.backend_name = backend_name
        self.global_rank = global_rank
        self._rank, self._size = comm.Get_rank(), comm.Get_size()
        self._seq = 0
        self.check_state = None           # fingerprint.py's per-group state, made on first use
        self._transports = {}             # transport name -> Transport, made on first use
        # Topology-aware all-reduce over MPI (dpt.distributed.hierarchical), used by the MPI
        # transport: made here, collectively, when pg_options or DPT_HIERARCHICAL_ALLREDUCE
        # ask for it; else None.
        self.pg_options = pg_options
        self.hierarchical = None
        if hierarchical.enabled(pg_options):
            self.hierarchical = hierarchical.HierarchicalComms(comm)

    def rank(self) -> int:
        return self._rank

    def size(self) -> int:
        return self._size

    def name(self) -> str:
        return self.backend_name

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def renew_data_comm(self) -> None:
        """Move the group's data traffic to a fresh communicator (collective, on ctl): after a
        mismatched collective the old one may hold an operation that never completes, so it is
        abandoned, not freed."""
        self.comm = self.ctl.Dup()

    def transport_for(self, device_type: str):
        """The Transport moving this group's tensors on device_type ('cpu' or 'cuda')."""
        name = self.transports.get(device_type, "mpi")
        transport = self._transports.get(name)
        if transport is None:
            transport = self._transports[name] = transport_class(name)(self)
        return transport

    def _free(self):
        from mpi4py import MPI

        for transport in self._transports.values():
            transport.close()
        self._transports = {}
        if self.check_state is not None:
            self.check_state.free()
            self.check_state = None
        if self.hierarchical is not None:
            self.hierarchical.free()
            self.hierarchical = None
        for c in (self.ctl, self.comm):
            if c != MPI.COMM_NULL:
                c.Free()

    def __repr__(self) -> str:
        return f"<ProcessGroup '{self.group_name}' ranks={self.ranks} backend={self.backend_name}>"


class _WorldMeta(type):
    @property
    def WORLD(cls):
        return _state.world


class GroupMember(metaclass=_WorldMeta):
    """``GroupMember.WORLD`` is the default group; NON_GROUP_MEMBER marks a group we are not in."""

    NON_GROUP_MEMBER = -100


class group(metaclass=_WorldMeta):
    """``dist.group.WORLD``: the default process group (None before init_process_group)."""


class _State:
    def __init__(self):
        self.world = None
        self.groups = []
        self.counter = 0


_state = _State()


def is_available() -> bool:
    """True: dpt.distributed needs only mpi4py, a dependency of dpt."""
    return is_mpi_available()


def is_initialized() -> bool:
    return _state.world is not None


def _require_init() -> ProcessGroup:
    if _state.world is None:
        raise ValueError("Default process group has not been initialized, please make sure to "
                         "call init_process_group.")
    return _state.world


def _as_timedelta(timeout) -> timedelta:
    if timeout is None:
        return default_pg_timeout
    if isinstance(timeout, timedelta):
        return timeout
    if isinstance(timeout, (int, float)):
        return timedelta(seconds=timeout)
    raise TypeError(f"timeout must be a datetime.timedelta, got {type(timeout).__name__}")


def _backend_label(transports: dict, backend) -> str:
    if backend is not None and ":" not in str(backend):
        return str(backend).lower()
    if transports["cuda"] == transports["cpu"]:
        return transports["cpu"]
    return f"cpu:{transports['cpu']},cuda:{transports['cuda']}"


def init_process_group(backend=None, init_method=None, timeout=None, world_size: int = -1,
                       rank: int = -1, store=None, group_name: str = "", pg_options=None,
                       device_id=None) -> None:
    """init_process_group(backend=None, init_method=None, timeout=None, world_size=-1, rank=-1, ...)

    Ranks come from the MPI process manager (mpiexec, srun, dptrun); a plain
    ``python script.py`` is a world of one. ``world_size``/``rank`` and the
    RANK/WORLD_SIZE environment variables are only checked against MPI.
    ``init_method`` may be None, ``'env://'`` or ``'mpi://'``; there is no
    TCP/file rendezvous. A ``store`` (with ``rank`` and ``world_size``, as torch
    requires) is only a check-in: every rank registers in it and waits for the
    others, so a store not shared by the job's ranks raises DistStoreError. ``backend``: None (MPI for CPU tensors,
    NCCL for CUDA tensors where the GPU library has NCCL), ``'mpi'``, ``'nccl'`` (CPU
    tensors still use MPI; without a GPU and NCCL it raises RuntimeError "Distributed
    package doesn't have NCCL built in", as torch does), ``'gloo'`` (a synonym of
    ``'mpi'``) or a ``'cpu:mpi,cuda:nccl'`` table. The default timeout is 30 minutes.
    ``pg_options=dist.hierarchical.Options(hierarchical_allreduce=True)`` (or the
    environment variable ``DPT_HIERARCHICAL_ALLREDUCE=1``) makes the group's MPI
    all-reduce topology-aware (see dpt.distributed.hierarchical); new_group takes
    the same option.
    """
    if _state.world is not None:
        raise ValueError("trying to initialize the default process group twice!")
    if init_method not in (None, "env://", "mpi://"):
        raise ValueError(f"init_method {init_method!r} is not supported: dpt.distributed takes "
                         "its ranks from the MPI process manager; launch with mpiexec, srun or "
                         "dptrun and use init_method=None or 'env://'")
    if store is not None:
        if init_method is not None:
            raise AssertionError("Cannot specify both init_method and store.")
        if world_size is None or world_size <= 0:
            raise AssertionError("world_size must be positive if using store")
        if rank is None or rank < 0:
            raise AssertionError("rank must be non-negative if using store")
    timeout = _as_timedelta(timeout)
    transports = parse_backend(backend)
    from mpi4py import MPI

    world = MPI.COMM_WORLD
    size, me = world.Get_size(), world.Get_rank()
    if world_size not in (-1, None) and world_size != size:
        raise ValueError(f"init_process_group: world_size={world_size} but MPI started {size} "
                         "processes; launch with `mpiexec -n N` or `dptrun --nproc-per-node N`")
    if rank not in (-1, None) and rank != me:
        raise ValueError(f"init_process_group: rank={rank} but MPI says this process is rank {me}")
    env_size = os.environ.get("WORLD_SIZE")
    if env_size is not None and env_size.isdigit() and int(env_size) != size:
        raise RuntimeError(f"init_process_group: WORLD_SIZE={env_size} in the environment but MPI "
                           f"sees {size} process(es): the processes were not started by one MPI "
                           "launcher (use mpiexec, srun or dptrun, not torchrun)")
    if store is not None:
        _check_in(store, me, size, timeout)
    if device_id is not None:
        dev = as_device(device_id)
        if dev.type == "cuda":
            array_module(dev).cuda.Device(dev.index).use()
    comm = world.Clone()
    pg = ProcessGroup(comm, range(size), group_name or "default_pg", timeout, transports,
                      _backend_label(transports, backend), me, pg_options)
    topology.compute(world)
    fingerprint.configure(world)
    monitor.start(world)
    if size > 1:
        monitor.install_excepthook()
    _state.world = pg
    _state.groups = [pg]
    _state.counter = 0


def _check_in(store, rank: int, size: int, timeout: timedelta) -> None:
    """What a store given to init_process_group is for here (MPI has already connected the
    ranks): every rank checks in, and each waits until all have, so a store that is not
    shared by exactly this job's ranks fails now, clearly, instead of confusing user code
    that relies on it later."""
    from .store import DistStoreError, PrefixStore

    arrivals = store.add("dpt/init_process_group/arrivals", 1)
    # Count the arrivals of each init in its own generation, so a store can be reused.
    gen = PrefixStore(f"dpt/init_process_group/{(arrivals - 1) // size}", store)
    gen.set(str(rank), "1")
    try:
        gen.wait([str(r) for r in range(size)], timeout)
    except DistStoreError:
        missing = [r for r in range(size) if not gen.check([str(r)])]
        raise DistStoreError(f"init_process_group: ranks {missing} did not check in to the store "
                             f"within {timeout}: is it shared by all {size} ranks?") from None


def destroy_process_group(group: ProcessGroup | None = None) -> None:
    """Free a sub-group, or (group=None / WORLD) every group and the default one."""
    if group is None or group is _state.world:
        _require_init()
        for g in reversed(_state.groups):
            g._free()
        _state.groups = []
        _state.world = None
        monitor.stop()
        monitor.uninstall_excepthook()
        topology.reset()
        return
    if group == GroupMember.NON_GROUP_MEMBER:
        return
    if group in _state.groups:
        _state.groups.remove(group)
        group._free()


def new_group(ranks=None, timeout=None, backend=None, pg_options=None,
              use_local_synchronization: bool = False, group_desc: str | None = None):
    """new_group(ranks=None, timeout=None, backend=None, ...): a sub-group of the world.

    Call it on every rank in the same order (as in torch); ranks outside the
    group get ``GroupMember.NON_GROUP_MEMBER``. Ranks are sorted.
    """
    world = _require_init()
    size = world.size()
    ranks = list(range(size)) if ranks is None else sorted(int(r) for r in ranks)
    if len(set(ranks)) != len(ranks):
        raise ValueError(f"new_group: duplicate ranks in {ranks}")
    for r in ranks:
        if not 0 <= r < size:
            raise ValueError(f"new_group: rank {r} is out of range for a world of {size} ranks")
    _state.counter += 1
    name = group_desc or str(_state.counter)
    transports = parse_backend(backend) if backend is not None else dict(world.transports)
    label = _backend_label(transports, backend) if backend is not None else world.backend_name
    if world.global_rank not in ranks:
        return GroupMember.NON_GROUP_MEMBER
    mpi_group = world.comm.Get_group()
    sub = mpi_group.Incl(ranks)
    comm = world.comm.Create_group(sub, tag=_state.counter)
    sub.Free()
    mpi_group.Free()
    pg = ProcessGroup(comm, ranks, name, _as_timedelta(timeout) if timeout is not None
                      else world.timeout, transports, label, world.global_rank, pg_options)
    _state.groups.append(pg)
    return pg


def resolve(group) -> ProcessGroup | None:
    """The ProcessGroup behind a group argument; None when this rank is not a member."""
    world = _require_init()
    if group is None:
        return world
    if group == GroupMember.NON_GROUP_MEMBER:
        return None
    if not isinstance(group, ProcessGroup):
        raise TypeError(f"expected a process group, got {type(group).__name__}")
    return group


def get_rank(group=None) -> int:
    pg = resolve(group)
    return -1 if pg is None else pg.rank()


def get_world_size(group=None) -> int:
    pg = resolve(group)
    return -1 if pg is None else pg.size()


def get_backend(group=None) -> str:
    pg = resolve(group)
    if pg is None:
        raise ValueError("Invalid process group specified")
    return pg.backend_name


def get_backend_config(group=None) -> str:
    """get_backend_config(group=None) -> str: the group's device-to-transport table, as
    'cpu:mpi,cuda:nccl'."""
    pg = resolve(group)
    if pg is None:
        raise ValueError("Invalid process group specified")
    return ",".join(f"{dev}:{name}" for dev, name in pg.transports.items())


def get_process_group_ranks(group) -> list:
    pg = resolve(group)
    return list(pg.ranks) if pg is not None else []


def get_group_rank(group, global_rank: int) -> int:
    pg = resolve(group)
    if pg is None or global_rank not in pg.ranks:
        raise ValueError(f"Global rank {global_rank} is not part of group {group}")
    return pg.ranks.index(global_rank)


def get_global_rank(group, group_rank: int) -> int:
    pg = resolve(group)
    if pg is None or not 0 <= group_rank < pg.size():
        raise ValueError(f"Group rank {group_rank} is not part of group {group}")
    return pg.ranks[group_rank]


def get_pg_count() -> int:
    return len(_state.groups)


atexit.register(monitor.at_exit)
