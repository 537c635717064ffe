"""Every collective and ReduceOp against a numpy reference, run under `mpiexec -n 2` (pytest-mpi).

Rank r contributes data(r) = arange(shape) + 3r + 1, so every rank can compute the expected
result of every other rank locally.
"""
import numpy as np
import pytest

import dpt
import dpt.distributed as dist

pytestmark = [pytest.mark.mpi(min_size=2), pytest.mark.timeout(60)]

DTYPES = [dpt.float32, dpt.float64, dpt.int64]
SHAPES = [(), (5,), (2, 3)]


def data(r, shape, dtype):
    n = int(np.prod(shape)) if shape else 1
    return (np.arange(n).reshape(shape) % 4 + 3 * r + 1).astype(dtype.np)


def every(shape, dtype):
    return np.stack([data(r, shape, dtype) for r in range(dist.get_world_size())])


def make(arr, contiguous=True):
    """A tensor holding arr: contiguous, or a strided view into a bigger buffer."""
    if contiguous or arr.ndim == 0:
        return dpt.tensor(arr.copy())
    big = np.zeros(arr.shape[:-1] + (2 * arr.shape[-1],), arr.dtype)
    t = dpt.tensor(big)[..., ::2]
    t._data[...] = arr
    assert not t.is_contiguous()
    return t


def reference(stack, op):
    if op == dist.ReduceOp.SUM:
        return stack.sum(0).astype(stack.dtype)
    if op == dist.ReduceOp.PRODUCT:
        return stack.prod(0).astype(stack.dtype)
    if op == dist.ReduceOp.MIN:
        return stack.min(0)
    if op == dist.ReduceOp.MAX:
        return stack.max(0)
    if op == dist.ReduceOp.AVG:
        s = stack.sum(0)
        n = stack.shape[0]
        return s / n if stack.dtype.kind == "f" else (np.sign(s) * (np.abs(s) // n))
    ufunc = {dist.ReduceOp.BAND: np.bitwise_and, dist.ReduceOp.BOR: np.bitwise_or,
             dist.ReduceOp.BXOR: np.bitwise_xor}[op]
    return ufunc.reduce(stack, axis=0)


def check(t, expected):
    got = t.numpy()
    assert got.dtype == np.asarray(expected).dtype or got.dtype.kind == "i"
    np.testing.assert_allclose(got, expected, rtol=1e-6)


ARITH = [dist.ReduceOp.SUM, dist.ReduceOp.PRODUCT, dist.ReduceOp.MIN, dist.ReduceOp.MAX,
         dist.ReduceOp.AVG]


@pytest.mark.parametrize("op", ARITH, ids=lambda o: o.name)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.name)
@pytest.mark.parametrize("shape, contiguous",
                         [(s, c) for s in SHAPES for c in (True, False) if s or c],
                         ids=lambda v: str(v) if isinstance(v, tuple) else
                         ("contig" if v else "strided"))
def test_all_reduce(pg, op, dtype, shape, contiguous):
    r = dist.get_rank()
    t = make(data(r, shape, dtype), contiguous)
    assert dist.all_reduce(t, op=op) is None
    check(t, reference(every(shape, dtype), op))
    assert t.dtype == dtype and tuple(t.shape) == shape


@pytest.mark.parametrize("op", [dist.ReduceOp.BAND, dist.ReduceOp.BOR, dist.ReduceOp.BXOR],
                         ids=lambda o: o.name)
def test_all_reduce_bitwise(pg, op):
    t = make(data(dist.get_rank(), (2, 3), dpt.int64))
    dist.all_reduce(t, op)
    check(t, reference(every((2, 3), dpt.int64), op))


def test_all_reduce_bitwise_rejects_floats(pg):
    with pytest.raises(RuntimeError, match="Cannot use ReduceOp.BAND with non-integral"):
        dist.all_reduce(dpt.ones(2), op=dist.ReduceOp.BAND)


@pytest.mark.parametrize("dtype", [dpt.float16, dpt.bfloat16], ids=lambda d: d.name)
def test_all_reduce_half_upcasts(pg, dtype):
    t = dpt.tensor(np.full(4, 0.5), dtype=dtype)
    dist.all_reduce(t)
    assert t.dtype == dtype
    np.testing.assert_allclose(t.float().numpy(), 0.5 * dist.get_world_size())


def test_all_reduce_bool_is_logical_or(pg):
    t = dpt.tensor([dist.get_rank() == 0, False])
    dist.all_reduce(t)
    assert t.tolist() == [True, False]


def test_all_reduce_async_and_version_counter(pg):
    t = dpt.ones(1000)
    v0 = t._vc[0]
    work = dist.all_reduce(t, async_op=True)
    assert isinstance(work, dist.Work)
    while not work.is_completed():  # polling drives MPI progress
        pass
    assert work.wait() is True and work.is_success()
    assert t._vc[0] > v0
    np.testing.assert_allclose(t.numpy(), dist.get_world_size())
    assert work.result()[0] is t


def test_many_async_in_flight(pg):
    ts = [dpt.full((64,), float(i)) for i in range(5)]
    works = [dist.all_reduce(t, async_op=True) for t in ts]
    for w in reversed(works):
        w.wait()
    for i, t in enumerate(ts):
        np.testing.assert_allclose(t.numpy(), i * dist.get_world_size())


@pytest.mark.parametrize("dtype", DTYPES + [dpt.bfloat16], ids=lambda d: d.name)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_broadcast(pg, dtype, shape):
    n, r = dist.get_world_size(), dist.get_rank()
    for src in range(n):
        t = make(data(r, shape, dtype), contiguous=len(shape) < 2)
        dist.broadcast(t, src)
        check(t.float() if dtype == dpt.bfloat16 else t,
              data(src, shape, dtype).astype(np.float32 if dtype == dpt.bfloat16 else dtype.np))


@pytest.mark.parametrize("op", ARITH, ids=lambda o: o.name)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.name)
def test_reduce(pg, op, dtype):
    n, r = dist.get_world_size(), dist.get_rank()
    dst = n - 1
    t = make(data(r, (2, 3), dtype), contiguous=False)
    dist.reduce(t, dst, op=op)
    check(t, reference(every((2, 3), dtype), op) if r == dst else data(r, (2, 3), dtype))


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.name)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_all_gather(pg, dtype, shape):
    n, r = dist.get_world_size(), dist.get_rank()
    outs = [make(np.zeros(shape, dtype.np), contiguous=False) for _ in range(n)]
    dist.all_gather(outs, make(data(r, shape, dtype), contiguous=False))
    for k in range(n):
        check(outs[k], data(k, shape, dtype))


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.name)
def test_all_gather_into_tensor(pg, dtype):
    n, r = dist.get_world_size(), dist.get_rank()
    out = dpt.zeros(2 * n, 3, dtype=dtype)
    dist.all_gather_into_tensor(out, make(data(r, (2, 3), dtype), contiguous=False))
    check(out, every((2, 3), dtype).reshape(2 * n, 3))
    stacked = dpt.zeros(n, 2, 3, dtype=dtype)
    dist.all_gather_into_tensor(stacked, make(data(r, (2, 3), dtype)))
    check(stacked, every((2, 3), dtype))


def test_all_gather_into_tensor_size_error(pg):
    with pytest.raises(RuntimeError, match="output tensor size must be equal to world_size"):
        dist.all_gather_into_tensor(dpt.zeros(3), dpt.zeros(2))


@pytest.mark.parametrize("op", ARITH, ids=lambda o: o.name)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.name)
def test_reduce_scatter(pg, op, dtype):
    n, r = dist.get_world_size(), dist.get_rank()
    full = [data(r + k, (3,), dtype) for k in range(n)]    # block k of rank r
    expect = reference(np.stack([data(q + r, (3,), dtype) for q in range(n)]), op)
    out = make(np.zeros(3, dtype.np))
    dist.reduce_scatter(out, [make(a) for a in full], op=op)
    check(out, expect)
    out2 = make(np.zeros((1, 3), dtype.np), contiguous=False)
    dist.reduce_scatter_tensor(out2, make(np.stack(full)), op=op)
    check(out2, expect[None])


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.name)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_gather_scatter(pg, dtype, shape):
    n, r = dist.get_world_size(), dist.get_rank()
    dst = n - 1
    outs = [make(np.zeros(shape, dtype.np)) for _ in range(n)] if r == dst else None
    dist.gather(make(data(r, shape, dtype)), outs, dst=dst)
    if r == dst:
        for k in range(n):
            check(outs[k], data(k, shape, dtype))
    mine = make(np.zeros(shape, dtype.np), contiguous=False)
    ins = [make(data(10 + k, shape, dtype)) for k in range(n)] if r == 0 else None
    dist.scatter(mine, ins, src=0)
    check(mine, data(10 + r, shape, dtype))


def test_gather_list_on_non_destination_is_an_error(pg):
    if dist.get_rank() == 0:
        dist.gather(dpt.zeros(1), [dpt.zeros(1)] * dist.get_world_size(), dst=0)
    else:
        with pytest.raises(ValueError, match="must NOT be specified"):
            dist.gather(dpt.zeros(1), [dpt.zeros(1)], dst=0)
        dist.gather(dpt.zeros(1), None, dst=0)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.name)
def test_all_to_all_single(pg, dtype):
    n, r = dist.get_world_size(), dist.get_rank()
    inp = make((np.arange(2 * n * 3).reshape(2 * n, 3) + 100 * r).astype(dtype.np))
    out = make(np.zeros((2 * n, 3), dtype.np))
    dist.all_to_all_single(out, inp)
    expect = np.concatenate([(np.arange(2 * n * 3).reshape(2 * n, 3) + 100 * q)[2 * r:2 * r + 2]
                             for q in range(n)]).astype(dtype.np)
    check(out, expect)


def test_all_to_all_single_uneven_and_list(pg):
    n, r = dist.get_world_size(), dist.get_rank()
    # rank r sends k+1 rows to rank k, each row filled with 10*r + k
    in_splits = [k + 1 for k in range(n)]
    inp = dpt.tensor(np.concatenate([np.full((k + 1, 2), 10 * r + k) for k in range(n)]))
    out_splits = [r + 1] * n
    out = dpt.zeros(sum(out_splits), 2, dtype=dpt.int64)
    dist.all_to_all_single(out, inp, out_splits, in_splits)
    expect = np.concatenate([np.full((r + 1, 2), 10 * q + r) for q in range(n)])
    check(out, expect)
    outs = [dpt.zeros(r + 1, 2, dtype=dpt.int64) for _ in range(n)]
    ins = [dpt.tensor(np.full((k + 1, 2), 10 * r + k)) for k in range(n)]
    dist.all_to_all(outs, ins)
    for q in range(n):
        check(outs[q], np.full((r + 1, 2), 10 * q + r))


def test_all_to_all_single_bad_splits(pg):
    n = dist.get_world_size()
    with pytest.raises(RuntimeError, match="output_split_sizes .* summing to dim 0"):
        dist.all_to_all_single(dpt.zeros(2 * n), dpt.zeros(2 * n), [1] * n, None)


def test_barrier_and_monitored_barrier(pg):
    assert dist.barrier() is None
    dist.barrier(async_op=True).wait()
    dist.monitored_barrier(wait_all_ranks=True)


def test_send_recv_and_p2p_ops(pg):
    n, r = dist.get_world_size(), dist.get_rank()
    right, left = (r + 1) % n, (r - 1) % n
    if r == 0:
        dist.send(dpt.tensor([7, 8]), dst=1, tag=3)
    elif r == 1:
        got = dpt.zeros(2, dtype=dpt.int64)
        assert dist.recv(got, src=None, tag=3) == 0
        assert got.tolist() == [7, 8]
    send_t = dpt.full((3,), float(r))
    recv_t = dpt.zeros(3)
    ops = [dist.P2POp(dist.isend, send_t, right), dist.P2POp(dist.irecv, recv_t, left)]
    for w in dist.batch_isend_irecv(ops):
        w.wait()
    assert recv_t.tolist() == [float(left)] * 3
    with pytest.raises(ValueError, match="it is this rank"):
        dist.send(dpt.zeros(1), dst=r)


def test_subgroups(pg):
    n, r = dist.get_world_size(), dist.get_rank()
    evens = dist.new_group([k for k in range(n) if k % 2 == 0])
    odds = dist.new_group([k for k in range(n) if k % 2 == 1])
    mine, other = (evens, odds) if r % 2 == 0 else (odds, evens)
    assert other == dist.GroupMember.NON_GROUP_MEMBER
    assert dist.get_rank(other) == -1 and dist.all_reduce(dpt.ones(1), group=other) is None
    members = dist.get_process_group_ranks(mine)
    assert r in members and dist.get_world_size(mine) == len(members)
    assert dist.get_rank(mine) == members.index(r)
    assert dist.get_global_rank(mine, 0) == members[0]
    t = dpt.tensor([float(r)])
    dist.all_reduce(t, group=mine)
    assert t.item() == sum(members)
    b = dpt.tensor([float(r)])
    dist.broadcast(b, src=members[-1], group=mine)
    assert b.item() == members[-1]
    with pytest.raises(ValueError, match="not part of process group"):
        dist.broadcast(b, src=other_rank(members, n), group=mine)
    dist.destroy_process_group(evens)
    dist.destroy_process_group(odds)


def other_rank(members, n):
    return next(k for k in range(n) if k not in members)


def test_object_collectives(pg):
    n, r = dist.get_world_size(), dist.get_rank()
    objs = [{"rank": r}, "x" * (r + 1), None]
    dist.broadcast_object_list(objs, src=n - 1)
    assert objs == [{"rank": n - 1}, "x" * n, None]
    gathered = [None] * n
    dist.all_gather_object(gathered, ("hello", r, list(range(r))))
    assert gathered == [("hello", k, list(range(k))) for k in range(n)]
    out = [None] * n if r == 0 else None
    dist.gather_object({"r": r}, out, dst=0)
    if r == 0:
        assert out == [{"r": k} for k in range(n)]
    got = [None]
    dist.scatter_object_list(got, [{"to": k} for k in range(n)] if r == 0 else None, src=0)
    assert got == [{"to": r}]


def test_mismatch_detected_in_debug_mode(pg):
    r = dist.get_rank()
    dist.set_debug_level(dist.DebugLevel.DETAIL)
    try:
        t = dpt.zeros(2 + (r == 1))  # rank 1 passes a different shape
        with pytest.raises(RuntimeError, match="Detected mismatch between collectives") as e:
            dist.all_reduce(t)
        assert "TensorShapes=[[2]]" in str(e.value) and "TensorShapes=[[3]]" in str(e.value)
        with pytest.raises(RuntimeError, match="OpType=(ALL_REDUCE|BROADCAST)"):
            if r == 0:
                dist.all_reduce(dpt.zeros(2))
            else:
                dist.broadcast(dpt.zeros(2), src=0)
        dist.all_reduce(dpt.ones(2))  # matching calls still work afterwards
    finally:
        dist.set_debug_level(dist.DebugLevel.OFF)


def test_api_surface(pg):
    assert dist.is_available() and dist.is_initialized()
    assert dist.get_backend() == "mpi" or "mpi" in dist.get_backend()
    assert dist.group.WORLD is pg and dist.GroupMember.WORLD is pg
    assert 0 <= dist.get_local_rank() < dist.get_local_world_size()
    assert dist.get_node_rank() == 0 and dist.get_num_nodes() == 1
    assert dist.ReduceOp.SUM == dist.ReduceOp(dist.ReduceOp.SUM)
    with pytest.raises(ValueError, match="twice"):
        dist.init_process_group()
    with pytest.raises(TypeError, match="Expected parameter `tensor` of type dpt.Tensor"):
        dist.all_reduce(np.zeros(2))
