"""Training loops shared by the DDP tests (run under pytest-mpi and in mpiexec -n 4 jobs).

Every case trains a DDP model on this rank's slice of a global batch and the same model
without DDP on the whole global batch, on every rank, and returns both so the caller can
check they are equal.
"""
import copy

import numpy as np

import dpt
import dpt.distributed as dist
import dpt.nn.functional as F
from dpt import nn
from dpt.nn.parallel import DistributedDataParallel as DDP

LOCAL_BATCH = 6


def mlp():
    return nn.Sequential(nn.Linear(5, 16), nn.Tanh(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 3))


def cnn():
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(4 * 4 * 4, 3))


def batches(steps, shape, seed=123):
    """The same global batches on every rank."""
    world = dist.get_world_size()
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        x = rng.standard_normal((LOCAL_BATCH * world,) + shape).astype(np.float32)
        y = rng.integers(0, 3, LOCAL_BATCH * world)
        yield dpt.from_numpy(x), dpt.from_numpy(y)


def local(t):
    r = dist.get_rank()
    return t[r * LOCAL_BATCH:(r + 1) * LOCAL_BATCH]


def train_pair(kind="mlp", steps=10, sync_bn=False, accumulate=1, **ddp_kwargs):
    """(ddp model, reference model) after `steps` optimizer steps.

    With accumulate=k, each step runs k micro-batches (the first k-1 under no_sync) and the
    reference sees all k global batches' mean loss at once.
    """
    dpt.manual_seed(0)
    model = mlp() if kind == "mlp" else cnn()
    ref = copy.deepcopy(model)
    if sync_bn:
        model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    ddp = DDP(model, **ddp_kwargs)
    opt = dpt.optim.SGD(ddp.parameters(), lr=0.1, momentum=0.9)
    ref_opt = dpt.optim.SGD(ref.parameters(), lr=0.1, momentum=0.9)
    shape = (5,) if kind == "mlp" else (1, 8, 8)
    data = list(batches(steps * accumulate, shape))
    for s in range(steps):
        micro = data[s * accumulate:(s + 1) * accumulate]
        opt.zero_grad()
        for i, (x, y) in enumerate(micro):
            if i < accumulate - 1:
                with ddp.no_sync():
                    (F.cross_entropy(ddp(local(x)), local(y)) / accumulate).backward()
            else:
                (F.cross_entropy(ddp(local(x)), local(y)) / accumulate).backward()
        opt.step()
        ref_opt.zero_grad()
        for x, y in micro:
            (F.cross_entropy(ref(x), y) / accumulate).backward()
        ref_opt.step()
    return ddp, ref


def max_param_diff(ddp, ref) -> float:
    a = list(ddp.module.state_dict().values())
    b = list(ref.state_dict().values())
    return max(float(np.abs(p.numpy().astype(np.float64) - q.numpy().astype(np.float64)).max())
               for p, q in zip(a, b))
