"""DDP over a model whose blocks are checkpointed (dpt.utils.checkpoint), under mpiexec -n 2."""
import copy

import numpy as np
import pytest

import dpt
import dpt.distributed as dist
import dpt.nn.functional as F
from dpt import nn
from dpt.nn.parallel import DistributedDataParallel as DDP
from dpt.utils.checkpoint import checkpoint

from .ddp_cases import batches, local

pytestmark = [pytest.mark.mpi(min_size=2), pytest.mark.timeout(120)]


class Blocks(nn.Module):
    """Residual MLP blocks with dropout; ``ckpt`` None runs them plainly, else checkpointed
    with that use_reentrant. ``head_in_ckpt`` puts the output layer inside a checkpoint too."""

    def __init__(self, ckpt=None, head_in_ckpt=False):
        super().__init__()
        self.inp = nn.Linear(5, 16)
        self.blocks = nn.ModuleList(
            nn.Sequential(nn.Linear(16, 16), nn.Tanh(), nn.Dropout(0.2)) for _ in range(3))
        self.head = nn.Linear(16, 3)
        self.ckpt, self.head_in_ckpt = ckpt, head_in_ckpt

    def _run(self, fn, h):
        return h if fn is None else (
            fn(h) if self.ckpt is None else checkpoint(fn, h, use_reentrant=self.ckpt))

    def forward(self, x):
        h = self.inp(x)
        for block in self.blocks:
            h = h + self._run(block, h)
        return self._run(self.head, h) if self.head_in_ckpt else self.head(h)


def _step_grads(ckpt, head_in_ckpt=False):
    """The averaged gradients after one DDP step on this rank's half of a global batch."""
    dpt.manual_seed(0)
    model = Blocks(ckpt, head_in_ckpt).double()
    ddp = DDP(model)
    x, y = next(batches(1, (5,)))
    dpt.manual_seed(10 + dist.get_rank())  # each rank its own dropout masks
    F.cross_entropy(ddp(local(x).double()), local(y)).backward()
    return [p.grad.numpy().copy() for p in model.parameters()]


@pytest.mark.parametrize("reentrant", [False, True], ids=["non_reentrant", "reentrant"])
def test_checkpointed_blocks_give_the_same_ddp_gradients(pg, reentrant):
    plain = _step_grads(None)
    got = _step_grads(reentrant)
    assert len(got) == len(plain)
    for a, b in zip(got, plain):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)


@pytest.mark.parametrize("reentrant", [False, True], ids=["non_reentrant", "reentrant"])
def test_checkpointed_head(pg, reentrant):
    """The output layer's gradient arrives first, inside a reentrant checkpoint's own backward:
    DDP still waits for the end of the outer backward."""
    plain = _step_grads(None)
    for a, b in zip(_step_grads(reentrant, head_in_ckpt=True), plain):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)


def test_checkpointed_ddp_matches_one_process_on_the_global_batch(pg):
    dpt.manual_seed(0)
    model = Blocks(ckpt=False)
    for block in model.blocks:
        block[2].p = 0.0  # no dropout: one process on the global batch must agree exactly
    ref = copy.deepcopy(model)
    ref.ckpt = None
    ddp = DDP(model)
    opt = dpt.optim.SGD(ddp.parameters(), lr=0.1)
    ref_opt = dpt.optim.SGD(ref.parameters(), lr=0.1)
    for x, y in batches(3, (5,)):
        opt.zero_grad()
        F.cross_entropy(ddp(local(x)), local(y)).backward()
        opt.step()
        ref_opt.zero_grad()
        F.cross_entropy(ref(x), y).backward()
        ref_opt.step()
    for p, q in zip(model.parameters(), ref.parameters()):
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=0, atol=1e-5)
