"""DDP with each rank's model on cuda:rank while cuda:0 stays the current device (as a torch
script that never calls set_device): buckets, hooks and the final copies must run on the
parameters' device. mpiexec -n 2 ... -m "mpi and cuda"; the CuPy/NCCL stand-ins refuse a
kernel on an array of another device, like CuPy without peer access."""
import numpy as np
import pytest

import dpt
import dpt.distributed as dist
import dpt.nn.functional as F
from dpt import nn
from dpt.distributed.algorithms.ddp_comm_hooks import default_hooks
from dpt.nn.parallel import DistributedDataParallel as DDP

from .ddp_cases import batches

pytestmark = [pytest.mark.mpi(min_size=2), pytest.mark.cuda, pytest.mark.timeout(120)]


class _WithUnused(nn.Module):
    def __init__(self):
        super().__init__()
        self.a, self.b, self.unused = nn.Linear(5, 8), nn.Linear(8, 3), nn.Linear(3, 3)

    def forward(self, x):
        return self.b(self.a(x).tanh())


def _run(device, hook=None, steps=3, **ddp_kwargs):
    dpt.manual_seed(0)
    ddp = DDP(_WithUnused().double().to(device), bucket_cap_mb=0.0005, **ddp_kwargs)
    if hook is not None:
        ddp.register_comm_hook(None, hook)
    opt = dpt.optim.SGD(ddp.parameters(), lr=0.1)
    n, r = dist.get_world_size(), dist.get_rank()
    for x, y in batches(steps, (5,)):
        per = x.shape[0] // n
        xs, ys = x[r * per:(r + 1) * per].double().to(device), y[r * per:(r + 1) * per].to(device)
        opt.zero_grad()
        F.cross_entropy(ddp(xs), ys).backward()
        opt.step()
    assert all(p.device == dpt.device(device) for p in ddp.parameters())
    return {k: v.detach().cpu().numpy() for k, v in ddp.module.state_dict().items()}


@pytest.mark.parametrize("case", [
    dict(find_unused_parameters=True),
    dict(find_unused_parameters=True, gradient_as_bucket_view=True),
    dict(find_unused_parameters=True, hook=default_hooks.allreduce_hook),
    dict(find_unused_parameters=True, hook=default_hooks.fp16_compress_hook),
], ids=["plain", "bucket_view", "allreduce_hook", "fp16_hook"])
def test_ddp_on_a_device_that_is_not_current(pg, case):
    dev = f"cuda:{dist.get_rank() % dpt.cuda.device_count()}"
    assert dpt.cuda.current_device() == 0
    gpu, cpu = _run(dev, **case), _run("cpu", **case)
    atol = 1e-3 if case.get("hook") is default_hooks.fp16_compress_hook else 1e-9
    for k in gpu:
        np.testing.assert_allclose(gpu[k], cpu[k], rtol=0, atol=atol, err_msg=k)
