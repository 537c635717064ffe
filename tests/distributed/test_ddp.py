"""DistributedDataParallel under mpiexec -n 2 (pytest-mpi) and -n 4 (spawned jobs)."""
import numpy as np
import pytest

import dpt
import dpt.distributed as dist
import dpt.nn.functional as F
from dpt import nn
from dpt.distributed.algorithms.ddp_comm_hooks import default_hooks
from dpt.nn.parallel import DistributedDataParallel as DDP

from .ddp_cases import max_param_diff, train_pair

pytestmark = [pytest.mark.mpi(min_size=2), pytest.mark.timeout(120)]


def test_mlp_matches_single_process_on_the_global_batch(pg):
    ddp, ref = train_pair("mlp", bucket_cap_mb=0.001)  # tiny cap: several buckets
    assert len(ddp._buckets) > 1
    assert max_param_diff(ddp, ref) < 1e-5


def test_no_sync_accumulation_matches(pg):
    ddp, ref = train_pair("mlp", steps=4, accumulate=3)
    assert max_param_diff(ddp, ref) < 1e-5


def test_cnn_with_sync_batchnorm_matches_full_batch_batchnorm(pg):
    ddp, ref = train_pair("cnn", steps=5, sync_bn=True)
    assert max_param_diff(ddp, ref) < 1e-4  # includes running_mean / running_var


def test_gradient_as_bucket_view(pg):
    ddp, ref = train_pair("mlp", steps=3, gradient_as_bucket_view=True)
    assert max_param_diff(ddp, ref) < 1e-5
    views = {id(b.buffer._data) for b in ddp._buckets}
    for p in ddp.module.parameters():
        base = p.grad._data.base
        while base is not None and id(base) not in views:
            base = base.base
        assert base is not None, "grad is not a view into a bucket"


@pytest.mark.parametrize("hook,tol", [(default_hooks.allreduce_hook, 1e-5),
                                      (default_hooks.fp16_compress_hook, 2e-3),
                                      (default_hooks.bf16_compress_hook, 2e-2)])
def test_comm_hooks(pg, hook, tol):
    dpt.manual_seed(1)
    model = nn.Linear(4, 3)
    ddp = DDP(model)
    ddp.register_comm_hook(None, hook)
    rank = dist.get_rank()
    x = dpt.ones(2, 4) * (rank + 1)
    ddp(x).sum().backward()
    # d/dW of sum(W x + b) averaged over ranks: mean over ranks of 2 * (rank + 1)
    world = dist.get_world_size()
    expected = np.full((3, 4), 2 * sum(r + 1 for r in range(world)) / world)
    np.testing.assert_allclose(model.weight.grad.numpy(), expected, rtol=tol)
    with pytest.raises(RuntimeError, match="can only be called once"):
        ddp.register_comm_hook(None, hook)


class TwoHeads(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Linear(4, 4)
        self.used = nn.Linear(4, 2)
        self.unused = nn.Linear(4, 2)

    def forward(self, x):
        return self.used(self.body(x))


def test_unused_parameters_need_find_unused(pg):
    dpt.manual_seed(0)
    ddp = DDP(TwoHeads())
    with pytest.raises(RuntimeError, match=r"received no gradient.*unused\.weight"):
        ddp(dpt.ones(2, 4)).sum().backward()


def test_find_unused_parameters(pg):
    dpt.manual_seed(0)
    model = TwoHeads()
    ddp = DDP(model, find_unused_parameters=True)
    for _ in range(2):
        ddp(dpt.ones(2, 4) * (dist.get_rank() + 1)).sum().backward()
    assert model.unused.weight.grad is None
    g = model.used.weight.grad.numpy()
    gathered = [None] * dist.get_world_size()
    dist.all_gather_object(gathered, g)
    assert all(np.array_equal(gathered[0], o) for o in gathered)


def test_parameters_used_on_some_ranks_only(pg):
    """A parameter unused on one rank still gets the other ranks' gradient, without a hang."""
    dpt.manual_seed(0)
    model = TwoHeads()
    ddp = DDP(model, find_unused_parameters=True)
    loss = ddp(dpt.ones(2, 4)).sum()
    if dist.get_rank() == 0:
        loss = loss + model.unused(dpt.ones(2, 4)).sum()
    loss.backward()
    grad = model.unused.weight.grad
    assert grad is not None and np.allclose(grad.numpy(), 2.0 / dist.get_world_size())


def test_buffers_are_broadcast_from_rank_0_at_forward(pg):
    class WithBuffer(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(2, 2)
            self.register_buffer("scale", dpt.ones(1))

        def forward(self, x):
            return self.lin(x) * self.scale

    model = WithBuffer()
    ddp = DDP(model)
    model.scale.fill_(float(dist.get_rank() + 5))
    ddp(dpt.ones(1, 2))
    assert model.scale.item() == 5.0


def test_construction_syncs_parameters_from_rank_0(pg):
    dpt.manual_seed(dist.get_rank())  # different init on every rank
    model = nn.Linear(3, 3)
    DDP(model)
    gathered = [None] * dist.get_world_size()
    dist.all_gather_object(gathered, model.weight.detach().numpy())
    assert all(np.array_equal(gathered[0], g) for g in gathered)


def test_model_mismatch_is_a_clear_error(pg):
    model = nn.Linear(3, 3 + dist.get_rank())
    with pytest.raises(RuntimeError, match="differs from rank 0"):
        DDP(model)


def test_uneven_inputs_with_join(pg):
    dpt.manual_seed(0)
    model = nn.Linear(3, 1)
    ddp = DDP(model)
    opt = dpt.optim.SGD(ddp.parameters(), lr=0.01)
    rank = dist.get_rank()
    with ddp.join():
        for _ in range(2 + 3 * rank):  # ranks run out of data at different steps
            opt.zero_grad()
            ddp(dpt.ones(4, 3)).sum().backward()
            opt.step()
    gathered = [None] * dist.get_world_size()
    dist.all_gather_object(gathered, model.weight.detach().numpy())
    assert all(np.allclose(gathered[0], g) for g in gathered)


def test_state_dict_has_module_prefix_and_loads_into_plain_model(pg):
    model = nn.Linear(2, 2)
    ddp = DDP(model)
    assert list(ddp.state_dict()) == ["module.weight", "module.bias"]
    plain = nn.Linear(2, 2)
    assert str(plain.load_state_dict(ddp.module.state_dict())) == "<All keys matched successfully>"


def test_global_accuracy_counts_each_sample_once(pg):
    from dpt.utils.data import DataLoader, DistributedSampler, TensorDataset
    from dpt.utils.data.distributed import evaluate_accuracy

    class Oracle(nn.Module):
        def forward(self, x):
            return F.one_hot(x[:, 0].long(), 3).float()

    x = dpt.tensor([[0.], [1.], [2.], [1.], [0.], [2.], [1.]])
    y = dpt.tensor([0, 1, 2, 0, 0, 1, 1])  # 5 of 7 right; 2 ranks pad to 8
    ds = TensorDataset(x, y)
    loader = DataLoader(ds, batch_size=2, sampler=DistributedSampler(ds, shuffle=False))
    assert evaluate_accuracy(Oracle(), loader) == pytest.approx(5 / 7)


def test_work_get_future(pg):
    t = dpt.ones(3) * (dist.get_rank() + 1)
    fut = dist.all_reduce(t, async_op=True).get_future()
    chained = fut.then(lambda f: f.value()[0] * 2)
    (out,) = fut.wait()
    total = sum(r + 1 for r in range(dist.get_world_size()))
    assert out is t and np.allclose(t.numpy(), total)
    assert np.allclose(chained.wait().numpy(), 2 * total)
