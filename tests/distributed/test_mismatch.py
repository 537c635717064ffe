"""Mismatched collectives on default settings: every rank raises naming each rank's call, nothing
is sent, and the group stays usable. Run under `mpiexec -n 2` (pytest-mpi)."""
import numpy as np
import pytest

import dpt
import dpt.distributed as dist
from dpt.distributed import fingerprint

pytestmark = [pytest.mark.mpi(min_size=2), pytest.mark.timeout(60)]


def calls(*per_rank) -> str:
    """'rank 0 called X, rank 1 called Y, ...' (ranks past the last given repeat it)."""
    n = dist.get_world_size()
    return ", ".join(f"rank {r} called {per_rank[min(r, len(per_rank) - 1)]}" for r in range(n))


def expect_mismatch(pg, fn, op, *per_rank):
    before = dpt.tensor(np.arange(4.0, dtype=np.float32))
    with pytest.raises(dist.DistError) as e:
        fn(dist.get_rank())
    assert str(e.value).startswith(f"{op} mismatch in group '{pg.group_name}' at collective #")
    assert calls(*per_rank) in str(e.value)
    # nothing was launched, so the group still works
    t = before.clone()
    dist.all_reduce(t)
    np.testing.assert_allclose(t.numpy(), dist.get_world_size() * before.numpy())


def test_dtype_mismatch(pg):
    expect_mismatch(pg, lambda r: dist.all_reduce(dpt.zeros(4, dtype=dpt.float64 if r else
                                                            dpt.float32)),
                    "all_reduce", "all_reduce(float32[4], SUM)", "all_reduce(float64[4], SUM)")


def test_length_mismatch(pg):
    expect_mismatch(pg, lambda r: dist.all_reduce(dpt.zeros(4 + min(r, 1))),
                    "all_reduce", "all_reduce(float32[4], SUM)", "all_reduce(float32[5], SUM)")


def test_barrier_against_all_reduce(pg):
    def fn(r):
        if r == 0:
            dist.barrier()
        else:
            dist.all_reduce(dpt.zeros(4))
    with pytest.raises(dist.DistError, match="(barrier|all_reduce) mismatch") as e:
        fn(dist.get_rank())
    assert calls("barrier()", "all_reduce(float32[4], SUM)") in str(e.value)
    dist.barrier()


def test_all_reduce_against_broadcast(pg):
    def fn(r):
        if r == 0:
            dist.all_reduce(dpt.zeros(4))
        else:
            dist.broadcast(dpt.zeros(4), src=0)
    with pytest.raises(dist.DistError) as e:
        fn(dist.get_rank())
    assert calls("all_reduce(float32[4], SUM)", "broadcast(float32[4], root=0)") in str(e.value)


def test_reduce_op_mismatch(pg):
    expect_mismatch(pg, lambda r: dist.all_reduce(dpt.zeros(4), op=dist.ReduceOp.MAX if r else
                                                  dist.ReduceOp.SUM),
                    "all_reduce", "all_reduce(float32[4], SUM)", "all_reduce(float32[4], MAX)")


def test_root_mismatch_in_broadcast(pg):
    n = dist.get_world_size()
    expect_mismatch(pg, lambda r: dist.broadcast(dpt.zeros(3), src=r),
                    "broadcast", *[f"broadcast(float32[3], root={r})" for r in range(n)])


def test_gather_size_mismatch(pg):
    def fn(r):
        n = 2 + min(r, 1)
        outs = [dpt.zeros(n) for _ in range(dist.get_world_size())] if r == 0 else None
        dist.gather(dpt.zeros(n), outs, dst=0)
    expect_mismatch(pg, fn, "gather", "gather(float32[2], root=0)", "gather(float32[3], root=0)")


def test_subgroup_mismatch_names_its_group(pg):
    sub = dist.new_group(list(range(dist.get_world_size())))
    try:
        with pytest.raises(dist.DistError, match=f"in group '{sub.group_name}' at collective #1:"):
            dist.all_reduce(dpt.zeros(2 + dist.get_rank()), group=sub)
    finally:
        dist.destroy_process_group(sub)


def test_matching_calls_with_the_check_off(pg):
    assert fingerprint.enabled()
    fingerprint.set_enabled(False)
    try:
        n = dist.get_world_size()
        t = dpt.ones(5)
        dist.all_reduce(t)
        assert t.tolist() == [float(n)] * 5
        b = dpt.tensor([dist.get_rank()])
        dist.broadcast(b, src=n - 1)
        assert b.item() == n - 1
        dist.barrier()
        dist.all_reduce(t, async_op=True).wait()
        assert t.tolist() == [float(n * n)] * 5
    finally:
        fingerprint.set_enabled(True)


def test_async_mismatch_raises_at_wait_and_the_group_recovers(pg):
    work = dist.all_reduce(dpt.zeros(4 + min(dist.get_rank(), 1)), async_op=True)
    with pytest.raises(dist.DistError, match="all_reduce mismatch"):
        work.wait()
    with pytest.raises(dist.DistError, match="all_reduce mismatch"):  # and again, not success
        work.wait()
    t = dpt.ones(3)
    dist.all_reduce(t)
    assert t.tolist() == [float(dist.get_world_size())] * 3


def test_mismatch_of_an_unwaited_async_call_raises_at_the_next_collective(pg):
    work = dist.all_reduce(dpt.zeros(2, dtype=dpt.float64 if dist.get_rank() else dpt.float32),
                           async_op=True)
    with pytest.raises(dist.DistError, match="all_reduce mismatch"):
        dist.all_reduce(dpt.ones(2))  # the next check on this group settles the pending one
    with pytest.raises(dist.DistError, match="all_reduce mismatch"):
        work.wait()
    dist.barrier()


def test_async_collective_returns_before_its_peers_arrive(pg):
    """The check travels beside the data: posting an async all_reduce does not wait for the
    other ranks, so a rank may post it and then serve a peer that joins only afterwards."""
    rank, n = dist.get_rank(), dist.get_world_size()
    t = dpt.ones(4)
    if rank == 1:
        work = dist.all_reduce(t, async_op=True)
        dist.send(dpt.tensor([7.0]), dst=0)
        work.wait()
    else:
        got = dpt.zeros(1)
        if rank == 0:
            dist.recv(got, src=1)
            assert got.item() == 7.0
        dist.all_reduce(t)
    assert t.tolist() == [float(n)] * 4


def test_mismatch_found_at_wait_on_one_rank_and_at_the_next_launch_on_another(pg):
    """Rank 0 waits on the mismatched async call, the others launch their next collective
    first: every rank raises, and the group's numbering is aligned again afterwards."""
    rank = dist.get_rank()
    work = dist.all_reduce(dpt.zeros(3 + min(rank, 1)), async_op=True)
    with pytest.raises(dist.DistError, match="all_reduce mismatch"):
        if rank == 0:
            work.wait()
        else:
            dist.all_reduce(dpt.ones(2))
    t = dpt.ones(2)
    dist.all_reduce(t)
    assert t.tolist() == [float(dist.get_world_size())] * 2


def test_without_persistent_collectives(pg):
    """Before MPI 4 (no Allreduce_init) each check makes a request of its own: same results,
    same errors."""
    saved, pg.check_state = pg.check_state, fingerprint._Agreement(pg.ctl, once=True)
    try:
        assert pg.check_state.request is None
        t = dpt.ones(3)
        dist.all_reduce(t)
        assert t.tolist() == [float(dist.get_world_size())] * 3
        test_dtype_mismatch(pg)
        test_barrier_against_all_reduce(pg)
    finally:
        pg.check_state = saved
