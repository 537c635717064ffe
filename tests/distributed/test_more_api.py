"""torch.distributed names added late: object point-to-point, sub-group helpers, coalesced and
renamed collectives, backend queries, breakpoint. Run under `mpiexec -n 2` (pytest-mpi)."""
import os
import warnings

import numpy as np
import pytest

import dpt
import dpt.distributed as dist

pytestmark = [pytest.mark.mpi(min_size=2), pytest.mark.timeout(60)]


def test_send_recv_object_list(pg):
    r, n = dist.get_rank(), dist.get_world_size()
    if r == 0:
        for dst in range(1, n):
            dist.send_object_list([{"to": dst}, "x" * 1000, None], dst=dst)
    else:
        got = [0, 0, 0]
        assert dist.recv_object_list(got, src=0) == 0
        assert got == [{"to": r}, "x" * 1000, None]


def test_recv_object_list_any_source_and_group_rank(pg):
    r, n = dist.get_rank(), dist.get_world_size()
    if r == n - 1:
        dist.send_object_list([("from", r)], group_dst=0)
    elif r == 0:
        got = [None]
        assert dist.recv_object_list(got) == n - 1
        assert got == [("from", n - 1)]
    dist.barrier()


def test_send_object_list_bad_peer(pg):
    with pytest.raises(ValueError, match="this rank"):
        dist.send_object_list([1], dst=dist.get_rank())


def test_new_subgroups(pg):
    r, n = dist.get_rank(), dist.get_world_size()
    mine, groups = dist.new_subgroups(group_size=1)
    assert len(groups) == n
    assert dist.get_process_group_ranks(mine) == [r]
    assert dist.get_world_size(mine) == 1
    whole, groups = dist.new_subgroups(group_size=n)
    assert len(groups) == 1 and dist.get_world_size(whole) == n
    t = dpt.tensor([float(r + 1)])
    dist.all_reduce(t, group=whole)
    assert t.item() == n * (n + 1) / 2


def test_new_subgroups_errors(pg):
    n = dist.get_world_size()
    with pytest.raises(ValueError, match="must be positive"):
        dist.new_subgroups(group_size=0)
    with pytest.raises(ValueError, match="must not exceed"):
        dist.new_subgroups(group_size=n + 1)


def test_new_subgroups_by_enumeration(pg):
    r, n = dist.get_rank(), dist.get_world_size()
    lists = [[i] for i in range(n - 1, -1, -1)]
    mine, groups = dist.new_subgroups_by_enumeration(lists)
    assert len(groups) == n
    assert dist.get_process_group_ranks(mine) == [r]
    assert groups[n - 1 - r] is mine
    assert groups[0 if r != n - 1 else 1] == dist.GroupMember.NON_GROUP_MEMBER
    with pytest.raises(ValueError, match="cannot be empty"):
        dist.new_subgroups_by_enumeration([])
    with pytest.raises(ValueError, match="Rank 0 has appeared in both"):
        dist.new_subgroups_by_enumeration([[0, 1], [0]])


def test_split_group(pg):
    r, n = dist.get_rank(), dist.get_world_size()
    g = dist.split_group(split_ranks=[[0], list(range(1, n))])
    assert dist.get_process_group_ranks(g) == ([0] if r == 0 else list(range(1, n)))
    t = dpt.tensor([r], dtype=dpt.int64)
    dist.all_reduce(t, group=g)
    assert t.item() == (0 if r == 0 else sum(range(1, n)))
    none = dist.split_group(split_ranks=[[0]])
    assert (none is None) == (r != 0)
    with pytest.raises(ValueError, match="cannot be empty"):
        dist.split_group(split_ranks=[])
    with pytest.raises(ValueError, match="more than one split"):
        dist.split_group(split_ranks=[[0], [0]])


def test_all_gather_single_and_reduce_scatter_single(pg):
    r, n = dist.get_rank(), dist.get_world_size()
    out = dpt.zeros(n * 2)
    dist.all_gather_single(out, dpt.tensor([r, r + 0.5]))
    np.testing.assert_array_equal(out.numpy(), np.array([[i, i + 0.5] for i in range(n)]).ravel())
    inp = dpt.arange(n * 2, dtype=dpt.float64) * (r + 1)
    res = dpt.zeros(2, dtype=dpt.float64)
    dist.reduce_scatter_single(res, inp)
    total = sum(range(1, n + 1))
    np.testing.assert_array_equal(res.numpy(), np.arange(n * 2)[2 * r:2 * r + 2] * total)


def test_all_reduce_coalesced(pg):
    r, n = dist.get_rank(), dist.get_world_size()
    a, b = dpt.ones(2, 3) * (r + 1), dpt.arange(4.0)[::2] + r
    with pytest.warns(FutureWarning, match="all_reduce_coalesced"):
        assert dist.all_reduce_coalesced([a, b]) is None
    total = sum(range(1, n + 1))
    np.testing.assert_array_equal(a.numpy(), np.full((2, 3), total))
    np.testing.assert_array_equal(b.numpy(), np.array([0.0, 2.0]) * n + sum(range(n)))
    c = dpt.tensor([r + 1.0])
    with pytest.warns(FutureWarning):
        fut = dist.all_reduce_coalesced(c, op=dist.ReduceOp.MAX, async_op=True)
    fut.wait()
    assert c.item() == n


def test_all_reduce_coalesced_errors(pg):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        with pytest.raises(ValueError, match="same dtype"):
            dist.all_reduce_coalesced([dpt.ones(1), dpt.ones(1, dtype=dpt.float64)])
        with pytest.raises(TypeError, match="List"):
            dist.all_reduce_coalesced([np.ones(1)])


def test_all_gather_coalesced(pg):
    r, n = dist.get_rank(), dist.get_world_size()
    ins = [dpt.full((2, 2), float(r)), dpt.tensor([r + 10.0])]
    outs = [[dpt.zeros(2, 2), dpt.zeros(1)] for _ in range(n)]
    with pytest.warns(FutureWarning, match="all_gather_coalesced"):
        dist.all_gather_coalesced(outs, ins)
    for s in range(n):
        np.testing.assert_array_equal(outs[s][0].numpy(), np.full((2, 2), s))
        np.testing.assert_array_equal(outs[s][1].numpy(), [s + 10.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        with pytest.raises(RuntimeError, match="must match"):
            dist.all_gather_coalesced([[dpt.zeros(3)] for _ in range(n)], [dpt.zeros(2)])
        with pytest.raises(TypeError, match="should be a list"):
            dist.all_gather_coalesced((), [dpt.zeros(2)])


def test_backend_queries(pg):
    assert dist.is_backend_available("mpi") and dist.is_backend_available("gloo")
    assert not dist.is_backend_available("ucc")
    assert dist.is_backend_available("nccl") == dist.is_nccl_available()
    assert not dist.is_ucc_available() and not dist.is_xccl_available()
    assert dist.get_default_backend_for_device("cpu") == "mpi"
    assert dist.get_default_backend_for_device(dpt.device("cpu")) == "mpi"
    with pytest.raises(RuntimeError, match="device type"):  # dpt knows only cpu and cuda
        dist.get_default_backend_for_device("meta")
    cfg = dist.get_backend_config()
    assert cfg.startswith("cpu:mpi,cuda:")
    assert dist.get_backend_config(dist.new_group(backend="mpi")) == "cpu:mpi,cuda:mpi"


def test_supports_complex():
    assert dist.supports_complex(dist.ReduceOp.SUM) and dist.supports_complex(dist.ReduceOp.AVG)
    for op in (dist.ReduceOp.MAX, dist.ReduceOp.MIN, dist.ReduceOp.PRODUCT, dist.ReduceOp.BAND,
               dist.ReduceOp.BOR, dist.ReduceOp.BXOR):
        assert not dist.supports_complex(op)


def test_get_node_local_rank(monkeypatch):
    monkeypatch.setenv("LOCAL_RANK", "3")
    assert dist.get_node_local_rank() == 3
    monkeypatch.delenv("LOCAL_RANK")
    assert dist.get_node_local_rank(fallback_rank=5) == 5
    with pytest.raises(RuntimeError, match="LOCAL_RANK"):
        dist.get_node_local_rank()


def test_breakpoint_stops_only_the_chosen_rank(pg, monkeypatch):
    from dpt.distributed import debugger

    stops = []
    monkeypatch.setattr(debugger._RankPdb, "set_trace", lambda self, *a: stops.append(1))
    before = pg.timeout
    dist.breakpoint(rank=1, timeout_s=None)
    assert stops == ([1] if dist.get_rank() == 1 else [])
    assert pg.timeout == before
    for _ in range(3):
        dist.breakpoint(rank=0, skip=2, timeout_s=None)  # one call site: the first two skip
    assert stops == ([1] if dist.get_rank() in (0, 1) else [])


# -- options records, GradBucket --------------------------------------------------------------
def test_option_records():
    from datetime import timedelta

    o = dist.AllreduceOptions()
    assert o.reduceOp == dist.ReduceOp.SUM and o.asyncOp is True
    assert o.timeout == timedelta(milliseconds=-1)
    o.reduceOp = dist.ReduceOp.MAX
    assert dist.AllreduceOptions().reduceOp == dist.ReduceOp.SUM  # defaults are not shared
    assert isinstance(dist.AllreduceCoalescedOptions(), dist.AllreduceOptions)
    b = dist.BroadcastOptions()
    assert (b.rootRank, b.rootTensor) == (0, 0)
    r = dist.ReduceOptions(rootRank=1)
    assert r.rootRank == 1 and r.reduceOp == dist.ReduceOp.SUM
    bar = dist.BarrierOptions()
    assert bar.device_ids == [] and bar.device is None
    bar.device_ids.append(0)
    assert dist.BarrierOptions().device_ids == []
    for cls in (dist.GatherOptions, dist.ScatterOptions):
        assert cls().rootRank == 0 and cls().asyncOp
    assert dist.ReduceScatterOptions().reduceOp == dist.ReduceOp.SUM
    assert dist.AllToAllOptions().timeout == timedelta(milliseconds=-1)


def test_backend_config_and_hook_types():
    cfg = dist.BackendConfig("mpi")
    assert cfg.get_device_backend_map() == {"cpu": "mpi", "cuda": "mpi"}
    assert str(cfg) == "cpu:mpi,cuda:mpi"
    assert dist.BackendConfig("gloo").get_device_backend_map()["cpu"] == "mpi"
    with pytest.raises(ValueError, match="Invalid backend"):
        dist.BackendConfig("nope")
    assert int(dist.BuiltinCommHookType.ALLREDUCE) == 1
    assert dist.BuiltinCommHookType.FP16_COMPRESS.name == "FP16_COMPRESS"
    assert dist.GroupName is str and dist.RankType is int


def test_grad_bucket_is_ddps(pg):
    from dpt.nn.parallel.distributed import GradBucket

    assert dist.GradBucket is GradBucket
    seen = []

    def hook(state, bucket):
        seen.append(isinstance(bucket, dist.GradBucket))
        fut = dist.all_reduce(bucket.buffer(), async_op=True).get_future()
        return fut.then(lambda f: f.value()[0] / dist.get_world_size())

    model = dpt.nn.parallel.DistributedDataParallel(dpt.nn.Linear(3, 2))
    model.register_comm_hook(None, hook)
    model(dpt.ones(4, 3)).sum().backward()
    assert seen and all(seen)


# -- DeviceMesh -------------------------------------------------------------------------------
def test_device_mesh_1d(pg):
    r, n = dist.get_rank(), dist.get_world_size()
    mesh = dist.init_device_mesh("cpu", (n,))
    assert mesh.ndim == 1 and mesh.shape == (n,) and mesh.size() == n
    assert mesh.mesh.tolist() == list(range(n)) and mesh.mesh.dtype == dpt.int32
    assert mesh.get_rank() == r and mesh.get_local_rank() == r
    assert mesh.get_coordinate() == (r,) and mesh.device_type == "cpu"
    g = mesh.get_group()
    assert dist.get_process_group_ranks(g) == list(range(n)) and mesh.get_all_groups() == [g]
    t = dpt.tensor([1.0])
    dist.all_reduce(t, group=g)
    assert t.item() == n
    with pytest.raises(RuntimeError, match="without mesh_dim_names"):
        mesh["dp"]


def test_device_mesh_2d(pg):
    from dpt.distributed.device_mesh import DeviceMesh, init_device_mesh

    r, n = dist.get_rank(), dist.get_world_size()
    for shape in [(1, n), (n, 1)]:
        mesh = init_device_mesh("cpu", shape, mesh_dim_names=("dp", "tp"))
        assert isinstance(mesh, DeviceMesh) and mesh.mesh_dim_names == ("dp", "tp")
        assert mesh.shape == shape and mesh.size(0) == shape[0] and mesh.size() == n
        assert mesh.get_coordinate() == ((0, r) if shape[0] == 1 else (r, 0))
        tp, dp = mesh["tp"], mesh["dp"]
        assert tp.mesh.tolist() == (list(range(n)) if shape[0] == 1 else [r])
        assert dp.mesh.tolist() == ([r] if shape[0] == 1 else list(range(n)))
        assert tp.get_group() is mesh.get_group("tp") is mesh.get_group(1)
        assert dist.get_world_size(mesh.get_group("tp")) == shape[1]
        assert mesh.get_local_rank("tp") == (r if shape[0] == 1 else 0)
        assert mesh.get_local_rank(0) == (0 if shape[0] == 1 else r)
        assert mesh["dp", "tp"] is mesh
        t = dpt.tensor([r + 1])
        dist.all_reduce(t, group=mesh.get_group("tp"))
        assert t.item() == (n * (n + 1) // 2 if shape[0] == 1 else r + 1)
        with pytest.raises(RuntimeError, match="mesh_dim"):
            mesh.get_group()
        with pytest.raises(RuntimeError, match="mesh_dim"):
            mesh.get_local_rank()
        with pytest.raises(KeyError, match="does not exist"):
            mesh.get_group("pp")
        with pytest.raises(KeyError, match="Invalid mesh_dim_names"):
            mesh["pp"]
        with pytest.raises(KeyError, match="ascending order"):
            mesh["tp", "dp"]
    assert repr(mesh).startswith("DeviceMesh('cpu', ")
    again = init_device_mesh("cpu", (n, 1), mesh_dim_names=("dp", "tp"))
    assert again == mesh and hash(again) == hash(mesh)


def test_device_mesh_explicit_and_partial(pg):
    from dpt.distributed.device_mesh import DeviceMesh

    r, n = dist.get_rank(), dist.get_world_size()
    mesh = DeviceMesh("cpu", list(range(n - 1, -1, -1)))
    assert mesh.get_coordinate() == (n - 1 - r,)
    assert mesh.get_local_rank() == r  # the group's ranks are sorted, as new_group sorts them
    part = DeviceMesh("cpu", [0])
    assert part.get_coordinate() == ((0,) if r == 0 else None)
    assert dist.get_world_size(part.get_group()) == (1 if r == 0 else -1)


def test_device_mesh_errors(pg):
    n = dist.get_world_size()
    with pytest.raises(RuntimeError, match="must be unique"):
        dist.init_device_mesh("cpu", (1, n), mesh_dim_names=("a", "a"))
    with pytest.raises(RuntimeError, match="same length"):
        dist.init_device_mesh("cpu", (n,), mesh_dim_names=("a", "b"))
    with pytest.raises(RuntimeError, match="with index is not supported"):
        dist.init_device_mesh("cuda:0", (n,))
    with pytest.raises(RuntimeError, match="bigger than default world size"):
        dist.init_device_mesh("cpu", (n + 1,))
    with pytest.raises(ValueError, match="repeats a rank"):
        dist.DeviceMesh("cpu", [0, 0])
    with pytest.raises(RuntimeError, match="invalid key"):
        dist.init_device_mesh("cpu", (n,), mesh_dim_names=("x",), backend_override={"y": "mpi"})
    mesh = dist.init_device_mesh("cpu", (n,), mesh_dim_names=("x",), backend_override={"x": "mpi"})
    assert dist.get_backend(mesh.get_group()) == "mpi"


@pytest.mark.mpi(min_size=4)
def test_device_mesh_2x2(pg):
    if dist.get_world_size() != 4:
        pytest.skip("needs exactly 4 ranks")
    r = dist.get_rank()
    mesh = dist.init_device_mesh("cpu", (2, 2), mesh_dim_names=("dp", "tp"))
    row, col = divmod(r, 2)
    assert mesh.get_coordinate() == (row, col)
    assert mesh["tp"].mesh.tolist() == [2 * row, 2 * row + 1]
    assert mesh["dp"].mesh.tolist() == [col, col + 2]
    assert mesh.get_local_rank("tp") == col and mesh.get_local_rank("dp") == row
    t = dpt.tensor([r])
    dist.all_reduce(t, group=mesh.get_group("dp"))
    assert t.item() == 2 * col + 2
    mesh3 = dist.init_device_mesh("cpu", (2, 1, 2), mesh_dim_names=("a", "b", "c"))
    sub = mesh3["a", "c"]
    assert sub.shape == (2, 2) and sub.mesh.tolist() == [[0, 1], [2, 3]]
    assert sub.get_group("c") is mesh3.get_group("c")
