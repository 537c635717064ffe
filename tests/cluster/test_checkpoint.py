"""dpt.distributed.checkpoint.Checkpointer in one process (a world of one, no MPI job), and
one 2-rank job that must refuse a planted checkpoint on every rank."""
import os
import pickle
import random
import shlex
import sys

import numpy as np
import pytest

import dpt
from dpt import nn
from dpt.distributed.checkpoint import Checkpointer, restart_count
from dpt.serialization import CheckpointError

from .conftest import HERE, ROOT, run


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
    with pytest.warns(UserWarning, match="skipping .*ckpt_000000003.pt.*wrong magic"):
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


class _Payload:
    """Unpickling it runs a shell command: what an attacker would plant."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {shlex.quote(str(self.marker))}",)


def test_planted_pickle_is_never_run(tmp_path):
    model, opt, sched, _, ckpt = setup(tmp_path, every=1, keep=3)
    train(model, opt, sched, ckpt, 0, 2)
    marker = tmp_path / "pwned"
    # newest name, in dpt's format, with the payload in its pickle member
    dpt.save({"completed_steps": 9, "model": _Payload(marker)}, ckpt.path_for(9))
    model2, opt2, sched2, _, ckpt2 = setup(tmp_path, every=1, keep=3)
    with pytest.raises(CheckpointError, match="ckpt_000000009.pt.*pickle"):
        ckpt2.restore()
    assert not marker.exists()


@pytest.mark.timeout(120)
def test_planted_pickle_fails_every_rank_of_a_job(tmp_path):
    marker = tmp_path / "pwned"
    (tmp_path / "ckpt").mkdir()
    dpt.save({"completed_steps": 9, "model": _Payload(marker), "rng": []},
             tmp_path / "ckpt" / "ckpt_000000009.pt")
    p = run([sys.executable, os.path.join(ROOT, "launcher", "dptrun.py"), "--nproc-per-node", "2",
             os.path.join(HERE, "train_job.py"), tmp_path, "--timeout", "10"], timeout=100)
    out = p.stdout + p.stderr
    assert p.returncode != 0, out
    for rank in (0, 1):
        assert f"[{rank}] dpt.serialization.CheckpointError: Checkpointer: " in out, out
    assert "ckpt_000000009.pt holds pickled objects" in out
    assert not marker.exists()


def test_planted_raw_pickle_is_never_run(tmp_path):
    model, opt, sched, _, ckpt = setup(tmp_path, every=1, keep=3)
    train(model, opt, sched, ckpt, 0, 2)
    marker = tmp_path / "pwned"
    with open(ckpt.path_for(9), "wb") as f:
        pickle.dump(_Payload(marker), f)
    model2, opt2, sched2, _, ckpt2 = setup(tmp_path, every=1, keep=3)
    with pytest.warns(UserWarning, match="skipping .*ckpt_000000009.pt"):
        assert ckpt2.restore() == 2  # not a dpt checkpoint: skipped like a damaged file
    assert not marker.exists()


L = dpt.optim.lr_scheduler
SCHEDULERS = {  # every scheduler dpt has
    "StepLR": lambda o: L.StepLR(o, step_size=2),
    "MultiStepLR": lambda o: L.MultiStepLR(o, milestones=[1, 3], gamma=0.5),  # a Counter
    "ConstantLR": lambda o: L.ConstantLR(o),
    "LinearLR": lambda o: L.LinearLR(o),
    "ExponentialLR": lambda o: L.ExponentialLR(o, 0.9),
    "PolynomialLR": lambda o: L.PolynomialLR(o),
    "CosineAnnealingLR": lambda o: L.CosineAnnealingLR(o, 5),
    "CosineAnnealingWarmRestarts": lambda o: L.CosineAnnealingWarmRestarts(o, 3),
    "ReduceLROnPlateau": lambda o: L.ReduceLROnPlateau(o),
    "CyclicLR": lambda o: L.CyclicLR(o, 0.01, 0.1, cycle_momentum=False),
    "OneCycleLR": lambda o: L.OneCycleLR(o, max_lr=0.1, total_steps=20),
    "LambdaLR": lambda o: L.LambdaLR(o, lambda e: 0.9 ** e),
    "MultiplicativeLR": lambda o: L.MultiplicativeLR(o, lambda e: 0.9),
    "SequentialLR": lambda o: L.SequentialLR(o, [L.ConstantLR(o), L.ExponentialLR(o, 0.9)],
                                             milestones=[2]),
    "ChainedScheduler": lambda o: L.ChainedScheduler([L.ConstantLR(o), L.ExponentialLR(o, 0.9)]),
}


@pytest.mark.parametrize("make_sched", SCHEDULERS.values(), ids=SCHEDULERS.keys())
def test_checkpoints_are_plain_data(tmp_path, make_sched):
    """What the Checkpointer writes loads with weights_only=True and round-trips."""
    dpt.manual_seed(0)
    model = nn.Linear(3, 2)
    opt = dpt.optim.Adam(model.parameters(), lr=0.1)
    sched = make_sched(opt)
    ckpt = Checkpointer(tmp_path, model, opt, scheduler=sched, every=1)
    for step in range(3):
        opt.zero_grad()
        model(dpt.randn(4, 3)).pow(2).mean().backward()
        opt.step()
        sched.step(1.0) if isinstance(sched, L.ReduceLROnPlateau) \
            else sched.step()
        ckpt.step(step)
    state = dpt.load(ckpt.checkpoints()[-1][1])  # weights_only=True
    assert state["scheduler"] == sched.state_dict()
    opt2 = dpt.optim.Adam(nn.Linear(3, 2).parameters(), lr=0.1)
    sched2 = make_sched(opt2)
    assert Checkpointer(tmp_path, nn.Linear(3, 2), opt2, scheduler=sched2).restore() == 3
    assert sched2.state_dict() == sched.state_dict()
