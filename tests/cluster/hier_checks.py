"""Checks of the hierarchical all-reduce against a numpy reference, shared by the pytest-mpi
tests (in process) and hier_job.py (under mpiexec with 4 ranks, on one host or the rig).

Rank r contributes data(r) = (arange % 4) + 3r + 1 (small, so PRODUCT stays exact), so every
rank computes the expected result of the whole group locally.
"""
import numpy as np

import dpt
import dpt.distributed as dist

ARITH = [dist.ReduceOp.SUM, dist.ReduceOp.AVG, dist.ReduceOp.MIN, dist.ReduceOp.MAX,
         dist.ReduceOp.PRODUCT]
DTYPES = [dpt.float32, dpt.float64, dpt.int64, dpt.int32]


def data(r, shape, dtype):
    n = int(np.prod(shape)) if shape else 1
    return (np.arange(n).reshape(shape) % 4 + 3 * r + 1).astype(dtype.np)


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
        return (s / n).astype(stack.dtype) if stack.dtype.kind == "f" else \
            np.sign(s) * (np.abs(s) // n)
    ufunc = {dist.ReduceOp.BAND: np.bitwise_and, dist.ReduceOp.BOR: np.bitwise_or,
             dist.ReduceOp.BXOR: np.bitwise_xor}[op]
    return ufunc.reduce(stack, axis=0)


def check_op(group, op, dtype, shape=(3, 5), contiguous=True):
    r, n = dist.get_rank(group), dist.get_world_size(group)
    mine = data(r, shape, dtype)
    if contiguous:
        t = dpt.tensor(mine.copy())
    else:
        big = np.zeros(shape[:-1] + (2 * shape[-1],), mine.dtype)
        t = dpt.tensor(big)[..., ::2]
        t._data[...] = mine
        assert not t.is_contiguous()
    dist.all_reduce(t, op=op, group=group)
    expected = reference(np.stack([data(q, shape, dtype) for q in range(n)]), op)
    assert t.dtype == dtype and tuple(t.shape) == shape
    np.testing.assert_allclose(t.numpy(), expected, rtol=1e-6,
                               err_msg=f"{op.name} {dtype.name} on rank {r}")


def check_all(group):
    """Every arithmetic op and dtype, bitwise ops, bool, half, 0-d, strided, async in flight."""
    n, r = dist.get_world_size(group), dist.get_rank(group)
    for op in ARITH:
        for dtype in DTYPES:
            check_op(group, op, dtype)
        check_op(group, op, dpt.float64, shape=(4, 3), contiguous=False)
        check_op(group, op, dpt.float32, shape=())
    for op in (dist.ReduceOp.BAND, dist.ReduceOp.BOR, dist.ReduceOp.BXOR):
        check_op(group, op, dpt.int64)
    flags = dpt.tensor([r == 0, False, True])
    dist.all_reduce(flags, group=group)
    assert flags.tolist() == [True, False, True]
    for dtype in (dpt.float16, dpt.bfloat16):
        h = dpt.tensor(np.full(4, 0.5), dtype=dtype)
        dist.all_reduce(h, group=group)
        assert h.dtype == dtype
        np.testing.assert_allclose(h.float().numpy(), 0.5 * n)
    # several in flight, waited on in reverse order (as DDP's buckets may be)
    ts = [dpt.full((257 * (i + 1),), float(i + r)) for i in range(6)]
    works = [dist.all_reduce(t, group=group, async_op=True) for t in ts]
    for w in reversed(works):
        assert w.wait() is True
    for i, t in enumerate(ts):
        np.testing.assert_allclose(t.numpy(), n * i + n * (n - 1) / 2)
