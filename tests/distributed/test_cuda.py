"""CUDA tensors across ranks (mpiexec -n 2 ... -m "mpi and cuda"): the nccl backend's
collectives, DDP on 'cuda' against DDP on the CPU, SyncBatchNorm on 'cuda'. Each rank uses
GPU rank % device_count; with DPT_CUDA_STANDIN=1 these run on the CuPy/NCCL stand-ins."""
import copy

import numpy as np
import pytest

import dpt
import dpt.distributed as dist
import dpt.nn.functional as F
from dpt import nn
from dpt.nn.parallel import DistributedDataParallel as DDP

from .ddp_cases import batches

pytestmark = [pytest.mark.mpi(min_size=2), pytest.mark.cuda, pytest.mark.timeout(120)]


@pytest.fixture
def dev(pg):
    i = dist.get_rank() % dpt.cuda.device_count()
    dpt.cuda.set_device(i)
    yield f"cuda:{i}"
    dpt.cuda.set_device(0)


def _np(t):
    return t.detach().cpu().numpy()


@pytest.mark.parametrize("dtype", [dpt.float32, dpt.float64, dpt.float16, dpt.int64, dpt.bool])
def test_all_reduce_ops(dev, dtype):
    n, r = dist.get_world_size(), dist.get_rank()
    base = np.arange(6).reshape(2, 3) % 2 if dtype is dpt.bool else np.arange(6).reshape(2, 3)
    for op, ref in [(dist.ReduceOp.SUM, lambda a: sum(a)), (dist.ReduceOp.MAX, np.maximum.reduce),
                    (dist.ReduceOp.MIN, np.minimum.reduce)]:
        vals = [(base + k).astype(bool) if dtype is dpt.bool else base + k for k in range(n)]
        t = dpt.tensor(vals[r], dtype=dtype, device=dev)
        dist.all_reduce(t, op=op)
        want = np.asarray(ref(vals))
        assert t.device == dpt.device(dev)
        assert np.array_equal(_np(t), want.astype(_np(t).dtype)), (op, dtype)


def test_all_reduce_avg_of_a_non_contiguous_view(dev):
    n, r = dist.get_world_size(), dist.get_rank()
    v = dpt.zeros(2, 6, device=dev)[:, ::2]
    v.fill_(r + 1)
    dist.all_reduce(v, op=dist.ReduceOp.AVG)
    assert np.allclose(_np(v), (n + 1) / 2)


def test_broadcast_gather_scatter_all_to_all(dev):
    n, r = dist.get_world_size(), dist.get_rank()
    b = dpt.tensor([r, r + 1.0], device=dev)
    dist.broadcast(b, src=n - 1)
    assert _np(b).tolist() == [n - 1, n]
    outs = [dpt.zeros(2, device=dev) for _ in range(n)]
    dist.all_gather(outs, dpt.tensor([r, 2.0 * r], device=dev))
    assert [_np(o).tolist() for o in outs] == [[k, 2 * k] for k in range(n)]
    o = dpt.zeros(1, device=dev)
    dist.reduce_scatter_tensor(o, dpt.arange(n, dtype=dpt.float32, device=dev) + r)
    assert _np(o).tolist() == [n * r + n * (n - 1) / 2]  # element r of sum_k (arange(n) + k)
    got = [dpt.zeros(1, device=dev) for _ in range(n)] if r == 0 else None
    dist.gather(dpt.tensor([float(r)], device=dev), got, dst=0)
    if r == 0:
        assert [_np(g).tolist() for g in got] == [[float(k)] for k in range(n)]
    s = dpt.zeros(2, device=dev)
    dist.scatter(s, [dpt.full((2,), float(k), device=dev) for k in range(n)] if r == 0 else None,
                 src=0)
    assert _np(s).tolist() == [float(r), float(r)]
    a2a = dpt.zeros(n, device=dev)
    dist.all_to_all_single(a2a, dpt.arange(n, dtype=dpt.float32, device=dev) + 10 * r)
    assert _np(a2a).tolist() == [10.0 * k + r for k in range(n)]


def test_send_recv(dev):
    n, r = dist.get_world_size(), dist.get_rank()
    if r == 0:
        dist.send(dpt.tensor([1.0, 2.0, 3.0], device=dev), dst=1)
    elif r == 1:
        t = dpt.zeros(3, device=dev)
        dist.recv(t, src=0)
        assert _np(t).tolist() == [1.0, 2.0, 3.0]


def test_async_all_reduce_waits(dev):
    w = dist.all_reduce(dpt.ones(1 << 12, device=dev), async_op=True)
    w.wait()


def _ddp_run(device, kind="mlp", steps=4, sync_bn=False):
    dpt.manual_seed(0)
    if kind == "mlp":
        model = nn.Sequential(nn.Linear(5, 16), nn.Tanh(), nn.Linear(16, 3))
        shape = (5,)
    else:
        model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                              nn.Flatten(), nn.Linear(4 * 8 * 8, 3))
        shape = (1, 8, 8)
    if sync_bn:
        model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    model = model.double().to(device)
    ddp = DDP(model, bucket_cap_mb=0.001)
    opt = dpt.optim.SGD(ddp.parameters(), lr=0.1, momentum=0.9)
    n, r = dist.get_world_size(), dist.get_rank()
    for x, y in list(batches(steps, shape)):
        x, y = x.double(), y
        per = x.shape[0] // n
        xs, ys = x[r * per:(r + 1) * per].to(device), y[r * per:(r + 1) * per].to(device)
        opt.zero_grad()
        F.cross_entropy(ddp(xs), ys).backward()
        opt.step()
    return {k: v.detach().cpu().numpy() for k, v in ddp.module.state_dict().items()}


def test_ddp_on_cuda_equals_ddp_on_cpu(dev):
    gpu, cpu = _ddp_run(dev), _ddp_run("cpu")
    assert gpu.keys() == cpu.keys()
    for k in gpu:
        np.testing.assert_allclose(gpu[k], cpu[k], rtol=0, atol=1e-6, err_msg=k)


def test_sync_batchnorm_on_cuda_runs_and_matches_cpu(dev):
    gpu = _ddp_run(dev, kind="cnn", steps=3, sync_bn=True)
    cpu = _ddp_run("cpu", kind="cnn", steps=3, sync_bn=True)
    for k in gpu:
        np.testing.assert_allclose(gpu[k].astype(np.float64), cpu[k].astype(np.float64),
                                   rtol=0, atol=1e-6, err_msg=k)


def test_fsdp_on_cuda_frees_gathered_parameters_and_equals_ddp(dev):
    """FULL_SHARD on a GPU: after a unit's forward its gathered flat parameter is dropped
    (the parameter tensors autograd saved are re-pointed at the next gather), and training
    equals DDP on the CPU."""
    import gc
    import weakref

    from dpt.distributed.fsdp import FullyShardedDataParallel as FSDP
    from dpt.distributed.fsdp.wrap import ModuleWrapPolicy

    def model():
        dpt.manual_seed(0)
        return nn.Sequential(nn.Linear(6, 16), nn.Sequential(nn.Linear(16, 16), nn.Tanh()),
                             nn.Sequential(nn.Linear(16, 16), nn.Tanh()),
                             nn.Linear(16, 3)).double()

    ref = DDP(model())
    fsdp = FSDP(model().to(dev), auto_wrap_policy=ModuleWrapPolicy({nn.Sequential}),
                device_id=dpt.cuda.current_device())
    units = FSDP.fsdp_modules(fsdp)[1:]
    gathered = []
    for unit in units:
        unit.module.register_forward_hook(
            lambda m, a, o, u=unit: gathered.append(weakref.ref(u._handle.full)))
    o1, o2 = (dpt.optim.SGD(m.parameters(), lr=0.1) for m in (ref, fsdp))
    n, r = dist.get_world_size(), dist.get_rank()
    for step, (x, y) in enumerate(batches(3, (6,))):
        x = x.double()
        per = x.shape[0] // n
        xs, ys = x[r * per:(r + 1) * per], y[r * per:(r + 1) * per]
        for m, o, dv in ((ref, o1, "cpu"), (fsdp, o2, dev)):
            o.zero_grad()
            loss = F.cross_entropy(m(xs.to(dv)), ys.to(dv))
            if m is fsdp and step == 0:
                gc.collect()
                assert len(gathered) == 2 and all(w() is None for w in gathered)
            loss.backward()
            o.step()
    from dpt.distributed.fsdp import StateDictType
    with FSDP.state_dict_type(fsdp, StateDictType.FULL_STATE_DICT):
        got = {k: v.cpu().numpy() for k, v in fsdp.state_dict().items()}
    for k, v in ref.module.state_dict().items():
        np.testing.assert_allclose(got[k], v.numpy(), rtol=0, atol=1e-10, err_msg=k)
