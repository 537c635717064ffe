"""PowerSGD DDP hooks under mpiexec -n 2: warm-up equals all-reduce, a low-rank gradient is
rebuilt exactly, fewer numbers travel, and the digits model still learns."""
import copy

import numpy as np
import pytest

import dpt
import dpt.distributed as dist
import dpt.nn.functional as F
from dpt import nn
from dpt.distributed.algorithms.ddp_comm_hooks import powerSGD_hook as powerSGD
from dpt.nn.parallel import DistributedDataParallel as DDP

pytestmark = [pytest.mark.mpi(min_size=2), pytest.mark.timeout(180)]


def _pair(hook, **state_kw):
    dpt.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 8)).double()
    ref, ddp = DDP(copy.deepcopy(model)), DDP(model)
    state = powerSGD.PowerSGDState(None, **state_kw)
    ddp.register_comm_hook(state, hook)
    return ref, ddp, state


def _step(model, opt, seed, batch=1):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch * dist.get_world_size(), 64))
    y = rng.integers(0, 8, batch * dist.get_world_size())
    r = dist.get_rank()
    opt.zero_grad()
    F.cross_entropy(model(dpt.from_numpy(x[r * batch:(r + 1) * batch])),
                    dpt.from_numpy(y[r * batch:(r + 1) * batch])).backward()
    opt.step()


def _max_diff(a, b):
    return max(float((p - q).abs().max()) for p, q in zip(a.parameters(), b.parameters()))


@pytest.mark.parametrize("hook", [powerSGD.powerSGD_hook, powerSGD.batched_powerSGD_hook])
def test_warm_up_is_plain_all_reduce(pg, hook):
    ref, ddp, state = _pair(hook, start_powerSGD_iter=4)
    o1, o2 = dpt.optim.SGD(ref.parameters(), lr=0.1), dpt.optim.SGD(ddp.parameters(), lr=0.1)
    for i in range(3):
        _step(ref, o1, i)
        _step(ddp, o2, i)
    assert state.iter == 3
    assert _max_diff(ref, ddp) < 1e-12


def test_low_rank_gradients_are_rebuilt_exactly_and_compressed(pg):
    # one sample per rank: the first weight's summed gradient has rank = world size (exactly
    # the approximation rank, so the orthogonalised P spans it)
    rank = dist.get_world_size()
    ref, ddp, state = _pair(powerSGD.powerSGD_hook, matrix_approximation_rank=rank,
                            start_powerSGD_iter=2)
    o1, o2 = dpt.optim.SGD(ref.parameters(), lr=0.1), dpt.optim.SGD(ddp.parameters(), lr=0.1)
    for i in range(5):
        _step(ref, o1, i)
        _step(ddp, o2, i)
    assert state.iter == 5
    assert _max_diff(ref, ddp) < 1e-9
    rate, before, after = state.compression_stats()
    assert before > 0 and rate > 2
    for e in state.error_dict.values():  # each rank keeps local - average: they sum to the
        total = dpt.from_numpy(e.copy())  # approximation's error, zero here
        dist.all_reduce(total)
        assert float(total.abs().max()) < 1e-9


def _digits_accuracy(hook=None, rank=0):
    """Test accuracy of a small digits classifier (global batch 40, 6 epochs); with a hook,
    PowerSGD at this rank after 10 plain steps. (accuracy, compression rate)"""
    datasets = pytest.importorskip("sklearn.datasets")
    digits = datasets.load_digits()
    x = (digits.data / 16.0).astype(np.float32)
    y = digits.target.astype(np.int64)
    dpt.manual_seed(0)
    model = DDP(nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10)))
    state = None
    if hook is not None:
        state = powerSGD.PowerSGDState(None, matrix_approximation_rank=rank, start_powerSGD_iter=10)
        model.register_comm_hook(state, hook)
    opt = dpt.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    world, r = dist.get_world_size(), dist.get_rank()
    local = 40 // world
    rng = np.random.default_rng(0)
    for epoch in range(6):
        order = rng.permutation(1400)
        for s in range(0, 1400 - local * world + 1, local * world):
            idx = order[s + r * local:s + (r + 1) * local]
            opt.zero_grad()
            F.cross_entropy(model(dpt.from_numpy(x[idx])), dpt.from_numpy(y[idx])).backward()
            opt.step()
    with dpt.no_grad():
        pred = model(dpt.from_numpy(x[1400:])).argmax(1).numpy()
    return float((pred == y[1400:]).mean()), (state.compression_stats()[0] if state else 1.0)


def test_compressed_training_learns_as_well_as_plain(pg):
    plain, _ = _digits_accuracy()
    for hook, rank, min_rate in [(powerSGD.powerSGD_hook, 2, 10), (powerSGD.powerSGD_hook, 4, 5),
                                 (powerSGD.batched_powerSGD_hook, 8, 5)]:
        acc, rate = _digits_accuracy(hook, rank)
        assert acc > plain - 0.03, (hook.__name__, rank, acc, plain)
        assert rate > min_rate, (hook.__name__, rank, rate)


def test_state_refuses_error_feedback_without_warm_up():
    with pytest.raises(ValueError, match="start_powerSGD_iter"):
        powerSGD.PowerSGDState(None, start_powerSGD_iter=1)
