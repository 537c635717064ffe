"""dpt.distributed.checkpoint.Checkpointer in one process (a world of one, no MPI job)."""
import os
import random

import numpy as np
import pytest

import dpt
from dpt import nn
from dpt.distributed.checkpoint import Checkpointer, restart_count


def setup(tmp_path, every=2, keep=2):
    dpt.manual_seed(0)
    model = nn.Linear(3, 2)
    opt = dpt.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    sched = dpt.optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
    sampler = dpt.utils.data.DistributedSampler(list(range(8)), num_replicas=1, rank=0)
    ckpt = Checkpointer(tmp_path / "ck", model, opt, scheduler=sched, sampler=sampler,
                        every=every, keep=keep)
    return model, opt, sched, sampler, ckpt


def train(model, opt, sched, ckpt, start, stop):
    for step in range(start, stop):
        x = dpt.from_numpy(np.random.randn(4, 3).astype(np.float32)) + dpt.randn(4, 3) * 0.1
        x = x * (1 + random.random())
        opt.zero_grad()
        model(x).pow(2).mean().backward()
        opt.step()
        sched.step()
        ckpt.step(step)


def params(model):
    return {k: v.numpy().copy() for k, v in model.state_dict().items()}


def test_saves_every_n_keeps_last_k(tmp_path):
    model, opt, sched, sampler, ckpt = setup(tmp_path, every=2, keep=2)
    assert ckpt.restore() == 0  # nothing there yet
    saved = []
    for step in range(7):
        saved.append(ckpt.step(step))
    assert saved == [False, True, False, True, False, True, False]
    assert [c for c, _ in ckpt.checkpoints()] == [4, 6]
    assert sorted(os.listdir(tmp_path / "ck")) == ["ckpt_000000004.pt", "ckpt_000000006.pt"]


def test_resume_is_exact(tmp_path):
    """Interrupted after 7 steps (checkpoint at 6), resumed: same result as 10 straight steps."""
    np.random.seed(1), random.seed(2)
    model, opt, sched, _, ckpt = setup(tmp_path / "a", every=3)
    dpt.manual_seed(3)
    train(model, opt, sched, ckpt, 0, 10)
    reference = params(model)

    np.random.seed(1), random.seed(2)
    model, opt, sched, sampler, ckpt = setup(tmp_path / "b", every=3)
    dpt.manual_seed(3)
    sampler.set_epoch(5)
    train(model, opt, sched, ckpt, 0, 7)  # dies after step 6 completed; last checkpoint: 6
    # a new process: fresh objects, different RNG states
    np.random.seed(99), random.seed(99)
    model, opt, sched, sampler, ckpt = setup(tmp_path / "b", every=3)
    dpt.manual_seed(99)
    start = ckpt.restore()
    assert start == 6 and ckpt.completed == 6
    assert sampler.epoch == 5
    assert sched.last_epoch == 6
    train(model, opt, sched, ckpt, start, 10)
    for k, v in params(model).items():
        np.testing.assert_array_equal(v, reference[k], err_msg=k)


def test_damaged_newest_falls_back(tmp_path):
    model, opt, sched, _, ckpt = setup(tmp_path, every=1, keep=3)
    train(model, opt, sched, ckpt, 0, 3)
    with open(ckpt.path_for(3), "wb") as f:
        f.write(b"not a checkpoint")
    # a temporary file left by a save that died is never picked
    open(tmp_path / "ck" / ".ckpt_000000004.pt.abc.tmp", "wb").close()
    model2, opt2, sched2, _, ckpt2 = setup(tmp_path, every=1, keep=3)
    assert ckpt2.restore() == 2


def test_argument_checks_and_restart_count(tmp_path, monkeypatch):
    model = nn.Linear(2, 2)
    with pytest.raises(ValueError, match="every must be at least 1"):
        Checkpointer(tmp_path, model, every=0)
    with pytest.raises(ValueError, match="keep must be at least 1"):
        Checkpointer(tmp_path, model, keep=0)
    monkeypatch.delenv("DPT_RESTART_COUNT", raising=False)
    monkeypatch.delenv("TORCHELASTIC_RESTART_COUNT", raising=False)
    assert restart_count() == 0
    monkeypatch.setenv("DPT_RESTART_COUNT", "2")
    assert restart_count() == 2
