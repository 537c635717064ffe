"""Whole MPI jobs started from a plain pytest process: timeouts, crashes, the debug check across a
real job, other world sizes (3 and 4 ranks, oversubscribed on small machines) and the world of one
without mpiexec. Each job has its own timeout."""
import subprocess
import sys
import time

import pytest

from .conftest import spawn_env

pytestmark = pytest.mark.timeout(90)


def test_timeout_names_the_missing_rank_and_aborts(mpirun):
    start = time.monotonic()
    res = mpirun(2, """
        import datetime, time, dpt, dpt.distributed as dist
        dist.init_process_group(timeout=datetime.timedelta(seconds=1))
        t = dpt.ones(4)
        dist.all_reduce(t)
        if dist.get_rank() == 1:
            time.sleep(60)          # never joins the next collective
        dist.all_reduce(t)
        print("unreachable")
    """)
    assert res.returncode != 0
    assert time.monotonic() - start < 30
    err = res.stderr
    assert "all_reduce #2" in err and "timed out after 1 s" in err
    assert "ranks [1] of the group never joined it" in err
    assert "rank 1: last joined all_reduce #1, not waiting in any collective" in err
    assert "[rank 0]: " in err and "unreachable" not in res.stdout


def test_caught_timeout_still_ends_the_job(mpirun):
    res = mpirun(2, """
        import datetime, time, dpt, dpt.distributed as dist
        dist.init_process_group(timeout=datetime.timedelta(seconds=0.5))
        if dist.get_rank() == 1:
            time.sleep(60)
        try:
            dist.barrier()
        except dist.DistBackendError as e:
            print("caught", type(e).__mro__[2].__name__, flush=True)
        try:
            dist.barrier()
        except RuntimeError as e:
            print("refused:", "can no longer be used" in str(e), flush=True)
        time.sleep(60)
    """, env={"DPT_DISTRIBUTED_ABORT_GRACE": "1"})
    assert res.returncode != 0
    assert "caught RuntimeError" in res.stdout and "refused: True" in res.stdout
    assert "aborting the job" in res.stderr


def test_rank_crash_aborts_the_job_quickly(mpirun):
    start = time.monotonic()
    res = mpirun(3, """
        import time, dpt, dpt.distributed as dist
        dist.init_process_group()
        if dist.get_rank() == 2:
            raise ValueError("boom on rank two")
        dist.barrier()          # the other ranks would wait here forever
    """)
    assert res.returncode != 0
    assert time.monotonic() - start < 30
    lines = [ln for ln in res.stderr.splitlines() if "ValueError: boom on rank two" in ln]
    assert lines == ["[rank 2]: ValueError: boom on rank two"]
    assert "[rank 2]: Traceback (most recent call last):" in res.stderr


def test_debug_mode_mismatch_raises_on_every_rank(mpirun, tmp_path):
    res = mpirun(2, """
        import dpt, dpt.distributed as dist
        dist.init_process_group()
        r = dist.get_rank()
        try:
            dist.all_reduce(dpt.zeros(4 if r == 0 else 5, dtype=dpt.float64 if r else dpt.float32))
        except RuntimeError as e:
            with open(f"rank{r}.txt", "w") as f:
                f.write(f"{r} mismatch: " + str(e).splitlines()[0])
        dist.destroy_process_group()
    """, env={"DPT_DISTRIBUTED_DEBUG": "DETAIL"})
    assert res.returncode == 0, res.stderr
    out = "\n".join((tmp_path / f"rank{r}.txt").read_text() for r in (0, 1))
    for r in (0, 1):
        assert f"{r} mismatch: Detected mismatch between collectives on ranks. Rank {r}" in out
    assert "TensorShapes=[[4]], TensorDtypes=['float32']" in out
    assert "TensorShapes=[[5]], TensorDtypes=['float64']" in out


def test_check_can_be_turned_off_by_env(mpirun):
    res = mpirun(2, """
        import sys, dpt, dpt.distributed as dist
        from dpt.distributed import fingerprint
        dist.init_process_group()
        t = dpt.ones(3)
        dist.all_reduce(t)
        sys.stdout.write(f"{fingerprint.enabled()} {t.tolist()}\\n")
    """, env={"DPT_COLLECTIVE_CHECK": "0"}, timeout=60)
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines() == ["False [2.0, 2.0, 2.0]"] * 2


JOB = """
    import numpy as np, dpt, dpt.distributed as dist
    dist.init_process_group()
    n, r = dist.get_world_size(), dist.get_rank()
    t = dpt.tensor(np.arange(6.).reshape(2, 3) + r)
    dist.all_reduce(t)
    assert np.allclose(t.numpy(), n * np.arange(6.).reshape(2, 3) + n * (n - 1) / 2)
    m = dpt.tensor([float(r)]); dist.all_reduce(m, op=dist.ReduceOp.MAX); assert m.item() == n - 1
    b = dpt.tensor([r]); dist.broadcast(b, src=n - 1); assert b.item() == n - 1
    outs = [dpt.zeros(2) for _ in range(n)]; dist.all_gather(outs, dpt.tensor([r, -r], dtype=dpt.float32))
    assert [o.tolist() for o in outs] == [[k, -k] for k in range(n)]
    rs = dpt.zeros(1); dist.reduce_scatter_tensor(rs, dpt.arange(n, dtype=dpt.float32))
    assert rs.item() == n * r
    a2a = dpt.zeros(n); dist.all_to_all_single(a2a, dpt.arange(n, dtype=dpt.float32) + 10 * r)
    assert a2a.tolist() == [10 * q + r for q in range(n)]
    firsts = dist.new_group(sorted({0, n - 1}))
    if r in (0, n - 1):
        x = dpt.ones(1); dist.all_reduce(x, group=firsts); assert x.item() == min(n, 2)
    else:
        assert firsts == dist.GroupMember.NON_GROUP_MEMBER
    objs = [None] * n; dist.all_gather_object(objs, {"r": r}); assert objs == [{"r": k} for k in range(n)]
    dist.barrier()
    done = [None] * n; dist.gather_object(("ok", r), done if r == 0 else None, dst=0)
    if r == 0:
        print(done, flush=True)
    dist.destroy_process_group()
"""


@pytest.mark.parametrize("n", [3, 4])
def test_other_world_sizes(mpirun, n):
    res = mpirun(n, JOB, timeout=80)
    assert res.returncode == 0, res.stderr
    assert res.stdout == str([("ok", r) for r in range(n)]) + "\n"


def test_world_of_one_without_mpiexec(tmp_path):
    script = tmp_path / "single.py"
    script.write_text(JOB.replace("\n    ", "\n"))
    res = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         timeout=60, env=spawn_env())
    assert res.returncode == 0, res.stderr
    assert res.stdout == "[('ok', 0)]\n"


def test_topology_helpers_before_and_after_init(mpirun):
    res = mpirun(2, """
        import dpt.distributed as dist
        before = (dist.get_local_rank(), dist.get_local_world_size())
        dist.init_process_group()
        after = (dist.get_local_rank(), dist.get_local_world_size(), dist.get_node_rank(),
                 dist.get_num_nodes())
        every = [None, None]
        dist.all_gather_object(every, (before, after))
        if dist.get_rank() == 0:
            print(every, flush=True)
    """)
    assert res.returncode == 0, res.stderr
    assert res.stdout == str([((0, 2), (0, 2, 0, 1)), ((1, 2), (1, 2, 0, 1))]) + "\n"


def test_world_size_env_must_match_mpi(tmp_path):
    script = tmp_path / "bad.py"
    script.write_text("import dpt.distributed as dist\ndist.init_process_group()\n")
    res = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         timeout=60, env=spawn_env({"WORLD_SIZE": "4"}))
    assert res.returncode != 0
    assert "WORLD_SIZE=4 in the environment but MPI sees 1 process" in res.stderr


def test_without_cupy_nccl_is_refused_cleanly():
    from dpt._device import gpu_module
    import dpt.distributed as dist
    from dpt.distributed.backends import parse_backend

    if gpu_module() is not None:
        pytest.skip("cupy sees a GPU here")
    assert not dist.is_nccl_available()
    assert parse_backend(None) == {"cpu": "mpi", "cuda": "mpi"}
    with pytest.raises(RuntimeError, match="doesn't have NCCL built in"):
        parse_backend("nccl")


GPU_JOB = """
    import sys, numpy as np, dpt, dpt.distributed as dist
    cp = dpt._device.gpu_module()  # real cupy, or the stand-in under DPT_CUDA_STANDIN=1
    backend = sys.argv[1]
    cp.cuda.Device(dist.get_local_rank() % cp.cuda.runtime.getDeviceCount()).use()
    dist.init_process_group(backend)
    n, r = dist.get_world_size(), dist.get_rank()
    dev = f"cuda:{cp.cuda.Device().id}"
    for dtype in (dpt.float32, dpt.float64, dpt.int64):
        t = dpt.tensor(np.arange(6).reshape(2, 3) + r, dtype=dtype, device=dev)
        dist.all_reduce(t)
        assert np.array_equal(t.cpu().numpy(), n * np.arange(6).reshape(2, 3) + n * (n - 1) // 2)
        v = dpt.tensor(np.zeros((2, 6)), dtype=dtype, device=dev)[:, ::2]
        v._data[...] = r + 1
        dist.all_reduce(v, op=dist.ReduceOp.AVG if dtype != dpt.int64 else dist.ReduceOp.MAX)
        want = (n + 1) / 2 if dtype != dpt.int64 else n
        assert np.allclose(v.cpu().numpy(), want)
        b = dpt.tensor([r, r], dtype=dtype, device=dev); dist.broadcast(b, src=n - 1)
        assert b.cpu().tolist() == [n - 1, n - 1]
        outs = [dpt.zeros(2, dtype=dtype, device=dev) for _ in range(n)]
        dist.all_gather(outs, dpt.tensor([r, 2 * r], dtype=dtype, device=dev))
        assert [o.cpu().tolist() for o in outs] == [[k, 2 * k] for k in range(n)]
        o = dpt.zeros(2 * n, dtype=dtype, device=dev)
        dist.all_gather_into_tensor(o, dpt.tensor([r, r], dtype=dtype, device=dev))
        assert o.cpu().tolist() == [k for k in range(n) for _ in range(2)]
    w = dist.all_reduce(dpt.ones(1 << 20, device=dev), async_op=True)
    w.wait()
    h = dpt.tensor(np.full(8, 0.5), dtype=dpt.float16, device=dev); dist.all_reduce(h)
    assert np.allclose(h.cpu().float().numpy(), 0.5 * n)
    done = [None] * n; dist.all_gather_object(done, r)
    if r == 0:
        print("gpu ok", backend, done, flush=True)
    dist.destroy_process_group()
"""


@pytest.mark.cuda
@pytest.mark.parametrize("backend", ["mpi", "nccl"], ids=["backend-mpi", "backend-nccl"])  # not 'mpi': pytest-mpi reads it as its marker
def test_gpu_collectives(mpirun, backend):
    """cupy tensors over NCCL and over MPI (staged through the host); runs where a GPU exists."""
    import dpt.distributed as dist

    if backend == "nccl" and not dist.is_nccl_available():
        pytest.skip("cupy has no NCCL here")
    res = mpirun(2, GPU_JOB, args=(backend,), timeout=120)
    assert res.returncode == 0, res.stderr
    assert res.stdout == f"gpu ok {backend} [0, 1]\n"


def test_monitored_barrier_names_the_other_ranks_call(mpirun):
    res = mpirun(2, """
        import datetime, dpt, dpt.distributed as dist
        dist.init_process_group()
        dist.barrier()
        if dist.get_rank() == 0:
            dist.monitored_barrier(timeout=datetime.timedelta(seconds=2))
        else:
            dist.all_reduce(dpt.ones(3))
    """)
    assert res.returncode != 0
    assert ("Rank 1 failed to pass monitoredBarrier in 2000 ms (rank 1 called all_reduce as "
            "collective #2 of group 'default_pg' where this rank called monitored_barrier: a "
            "mismatch)") in res.stderr, res.stderr[-3000:]
