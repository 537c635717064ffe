"""ZeroRedundancyOptimizer under mpiexec -n 2: training equals the unsharded optimizer, each
rank holds its share of the state, the consolidated state dict loads into a plain optimizer."""
import copy

import numpy as np
import pytest

import dpt
import dpt.distributed as dist
import dpt.nn.functional as F
from dpt import nn
from dpt.distributed.optim import ZeroRedundancyOptimizer
from dpt.nn.parallel import DistributedDataParallel as DDP

pytestmark = [pytest.mark.mpi(min_size=2), pytest.mark.timeout(120)]


def _model():
    dpt.manual_seed(0)
    return nn.Sequential(nn.Linear(6, 32), nn.Tanh(), nn.Linear(32, 16), nn.ReLU(),
                         nn.Linear(16, 3)).double()


def _batches(steps, seed=7):
    rng = np.random.default_rng(seed)
    world, rank = dist.get_world_size(), dist.get_rank()
    for _ in range(steps):
        x = rng.standard_normal((4 * world, 6))
        y = rng.integers(0, 3, 4 * world)
        yield dpt.from_numpy(x[4 * rank:4 * rank + 4]), dpt.from_numpy(y[4 * rank:4 * rank + 4])


def _train(model, opt, steps, seed=7, sched=None):
    for x, y in _batches(steps, seed):
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
        if sched is not None:
            sched.step()


def _max_diff(a, b):
    return max(float((p - q).abs().max()) for p, q in zip(a.parameters(), b.parameters()))


@pytest.mark.parametrize("bucket_view", [False, True])
@pytest.mark.parametrize("opt_class,kw", [(dpt.optim.Adam, {"lr": 0.01}),
                                          (dpt.optim.SGD, {"lr": 0.1, "momentum": 0.9})])
def test_training_equals_ddp_with_the_plain_optimizer(pg, opt_class, kw, bucket_view):
    ref, zero = DDP(_model()), DDP(_model())
    _train(ref, opt_class(ref.parameters(), **kw), 5)
    _train(zero, ZeroRedundancyOptimizer(zero.parameters(), opt_class,
                                         parameters_as_bucket_view=bucket_view, **kw), 5)
    assert _max_diff(ref, zero) < 1e-10


def test_each_rank_holds_its_share_of_the_state(pg):
    model = DDP(_model())
    opt = ZeroRedundancyOptimizer(model.parameters(), dpt.optim.Adam, lr=0.01)
    _train(model, opt, 1)
    local = sum(v.numel() for st in opt.optim.state.values() for k, v in st.items()
                if k in ("exp_avg", "exp_avg_sq"))
    total = 2 * sum(p.numel() for p in model.parameters())
    shares = [None] * dist.get_world_size()
    dist.all_gather_object(shares, local)
    assert sum(shares) == total
    assert max(shares) <= total / dist.get_world_size() + 2 * 32 * 6  # the largest tensor


def test_consolidated_state_dict_loads_into_a_plain_optimizer(pg):
    zero_model = DDP(_model())
    zero = ZeroRedundancyOptimizer(zero_model.parameters(), dpt.optim.Adam, lr=0.01)
    _train(zero_model, zero, 3)
    with pytest.raises(RuntimeError, match="has not been consolidated"):
        zero.state_dict()
    zero.consolidate_state_dict(to=0)
    sd = [zero.state_dict() if dist.get_rank() == 0 else None]
    dist.broadcast_object_list(sd, src=0)
    plain_model = DDP(copy.deepcopy(zero_model.module))
    plain = dpt.optim.Adam(plain_model.parameters(), lr=0.01)
    plain.load_state_dict(sd[0])
    _train(zero_model, zero, 3, seed=8)
    _train(plain_model, plain, 3, seed=8)
    assert _max_diff(zero_model, plain_model) < 1e-10


def test_load_state_dict_of_a_plain_optimizer_and_schedulers(pg):
    plain_model = DDP(_model())
    plain = dpt.optim.SGD(plain_model.parameters(), lr=0.1, momentum=0.9)
    _train(plain_model, plain, 2)
    zero_model = DDP(copy.deepcopy(plain_model.module))
    zero = ZeroRedundancyOptimizer(zero_model.parameters(), dpt.optim.SGD, lr=0.1, momentum=0.9)
    zero.load_state_dict(plain.state_dict())
    s1 = dpt.optim.lr_scheduler.StepLR(plain, 1, gamma=0.5)
    s2 = dpt.optim.lr_scheduler.StepLR(zero, 1, gamma=0.5)
    _train(plain_model, plain, 3, seed=9, sched=s1)
    _train(zero_model, zero, 3, seed=9, sched=s2)
    assert zero.param_groups[0]["lr"] == plain.param_groups[0]["lr"] == 0.1 * 0.5 ** 3
    assert _max_diff(zero_model, plain_model) < 1e-10


def test_add_param_group(pg):
    model = _model()
    first, last = list(model[0].parameters()), list(model[2].parameters()) + list(
        model[4].parameters())
    ref_model = copy.deepcopy(model)
    zero = ZeroRedundancyOptimizer(first, dpt.optim.SGD, lr=0.1)
    zero.add_param_group({"params": last, "lr": 0.05})
    ref = dpt.optim.SGD(list(ref_model[0].parameters()), lr=0.1)
    ref.add_param_group({"params": list(ref_model[2].parameters()) +
                         list(ref_model[4].parameters()), "lr": 0.05})
    ddp, ref_ddp = DDP(model), DDP(ref_model)
    _train(ddp, zero, 3)
    _train(ref_ddp, ref, 3)
    assert _max_diff(ddp, ref_ddp) < 1e-10
    owned = {id(p) for g in zero.optim.param_groups for p in g["params"]}
    counts = [None] * dist.get_world_size()
    dist.all_gather_object(counts, len(owned))
    assert sum(counts) == len(first) + len(last)


@pytest.mark.parametrize("shard_buckets", [False, True])
@pytest.mark.parametrize("opt_class,kw", [(dpt.optim.Adam, {"lr": 0.01}),
                                          (dpt.optim.SGD, {"lr": 0.1, "momentum": 0.9})])
def test_overlap_with_ddp_equals_ddp_after_two_warmup_passes(pg, opt_class, kw, shard_buckets):
    from dpt.distributed.algorithms.ddp_comm_hooks.ddp_zero_hook import hook_with_zero_step
    from dpt.distributed.algorithms.ddp_comm_hooks.default_hooks import allreduce_hook

    ref = DDP(_model(), bucket_cap_mb=0.001)  # several buckets
    zero_ddp = DDP(_model(), bucket_cap_mb=0.001)
    assert len(zero_ddp._buckets) > 2
    zero = ZeroRedundancyOptimizer(zero_ddp.parameters(), opt_class, overlap_with_ddp=True, **kw)
    zero_ddp.register_comm_hook(None, hook_with_zero_step(allreduce_hook, zero_ddp, zero,
                                                          shard_buckets=shard_buckets))
    before = copy.deepcopy(zero_ddp.module)
    for x, _ in _batches(2, seed=3):  # warm-up: gradients, no update
        zero_ddp(x).sum().backward()
    assert _max_diff(zero_ddp.module, before) == 0
    for x, y in _batches(4):
        zero.zero_grad()
        F.cross_entropy(zero_ddp(x), y).backward()  # the step runs inside backward
    _train(ref, opt_class(ref.parameters(), **kw), 4)
    assert _max_diff(ref, zero_ddp) < 1e-10
    owned = len([p for g in zero.optim.param_groups for p in g["params"]])
    counts = [None] * dist.get_world_size()
    dist.all_gather_object(counts, owned)
    assert sum(counts) == len(list(ref.parameters())) and min(counts) > 0
    with pytest.warns(UserWarning, match="should not be included in the training loop"):
        assert zero.step() is None
    zero.consolidate_state_dict(to=0)
    if dist.get_rank() == 0:
        plain = opt_class(_model().parameters(), **kw)
        plain.load_state_dict(zero.state_dict())
