"""Many groups at once: new_subgroups (equal blocks of ranks), new_subgroups_by_enumeration
(listed rank sets) and split_group (a partition of one group's ranks, made by splitting that
group's communicator, so only its members call it)."""
from __future__ import annotations

from . import process_group as _pg
from .process_group import ProcessGroup, _as_timedelta, new_group, resolve
from .topology import get_local_world_size

__all__ = ["new_subgroups", "new_subgroups_by_enumeration", "split_group"]


def new_subgroups(group_size=None, group=None, timeout=None, backend=None, pg_options=None,
                  group_desc=None):
    """new_subgroups(group_size=None, group=None, timeout=None, backend=None, pg_options=None,
    group_desc=None) -> (this rank's subgroup, every subgroup).

    Splits ``group``'s ranks (default: the world) into consecutive blocks of ``group_size``
    ranks; the default size is the number of processes on this node. Every rank of the world
    calls it (it calls new_group once per block)."""
    ranks = _pg.get_process_group_ranks(group)
    if group_size is None:
        group_size = get_local_world_size()
    if group_size <= 0:
        raise ValueError(f"The arg 'group_size' ({group_size}) must be positive")
    if group_size > len(ranks):
        raise ValueError(f"The arg 'group_size' ({group_size}) must not exceed the world size "
                         f"({len(ranks)})")
    if len(ranks) % group_size:
        raise ValueError(f"The world size ({len(ranks)}) must be divisible by 'group_size' "
                         f"({group_size})")
    blocks = [ranks[i:i + group_size] for i in range(0, len(ranks), group_size)]
    return _make(blocks, timeout, backend, pg_options, group_desc or "new_subgroups")


def new_subgroups_by_enumeration(ranks_per_subgroup_list, timeout=None, backend=None,
                                 pg_options=None, group_desc=None):
    """new_subgroups_by_enumeration(ranks_per_subgroup_list, timeout=None, backend=None,
    pg_options=None, group_desc=None) -> (this rank's subgroup or None, every subgroup).

    One group per listed rank set; a rank may appear in at most one set. Every rank of the
    world calls it."""
    if not ranks_per_subgroup_list:
        raise ValueError("The arg 'ranks_per_subgroup_list' cannot be empty")
    seen = {}
    for i, ranks in enumerate(ranks_per_subgroup_list):
        for r in ranks:
            if r in seen:
                raise ValueError(f"Rank {r} has appeared in both subgroup {seen[r]} and {i}")
            seen[r] = i
    return _make(ranks_per_subgroup_list, timeout, backend, pg_options,
                 group_desc or "new_subgroups_by_enumeration")


def _make(blocks, timeout, backend, pg_options, desc):
    me = _pg._require_init().global_rank
    mine, groups = None, []
    for i, ranks in enumerate(blocks):
        g = new_group(ranks, timeout=timeout, backend=backend, pg_options=pg_options,
                      group_desc=f"{desc}:{_pg._state.counter + 1}")
        groups.append(g)
        if me in ranks:
            mine = g
    return mine, groups


def split_group(parent_pg=None, split_ranks=None, timeout=None, pg_options=None,
                group_desc=None, backend=None):
    """split_group(parent_pg=None, split_ranks=None, timeout=None, pg_options=None,
    group_desc=None, backend=None) -> the new group holding this rank, or None.

    ``split_ranks`` is a list of disjoint lists of global ranks of ``parent_pg`` (default: the
    world). Only the parent's members call it; a rank in no list gets None."""
    parent = resolve(parent_pg)
    if parent is None:
        raise ValueError("split_group: this rank is not a member of parent_pg")
    if not split_ranks:
        raise ValueError("split_ranks cannot be empty")
    color, seen = None, set()
    for i, ranks in enumerate(split_ranks):
        for r in ranks:
            if r in seen:
                raise ValueError(f"split_group: rank {r} appears in more than one split")
            if r not in parent.ranks:
                raise ValueError(f"split_group: rank {r} is not part of the parent group "
                                 f"(ranks {parent.ranks})")
            seen.add(r)
        if parent.global_rank in ranks:
            color = i
    from mpi4py import MPI

    parent._splits = getattr(parent, "_splits", 0) + 1
    ordered = sorted(split_ranks[color]) if color is not None else []
    key = ordered.index(parent.global_rank) if color is not None else 0
    comm = parent.comm.Split(MPI.UNDEFINED if color is None else color, key)
    if color is None:
        return None
    name = group_desc or f"{parent.group_name}/split{parent._splits}.{color}"
    transports = dict(parent.transports)
    label = parent.backend_name
    if backend is not None:
        from .backends import parse_backend
        transports, label = parse_backend(backend), str(backend).lower()
    pg = ProcessGroup(comm, ordered, name, _as_timedelta(timeout) if timeout is not None
                      else parent.timeout, transports, label, parent.global_rank, pg_options)
    _pg._state.groups.append(pg)
    return pg
