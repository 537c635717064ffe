"""examples/ddp_digits.py: same result and same log on 1 and 2 ranks, checkpoint/resume is
exact, and re-running a finished job reports the restored model's accuracy."""
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "examples", "ddp_digits.py")


def _env():
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
               PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    for k in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "DPT_RUN_ID"):
        env.pop(k, None)
    return env


def run(args, n=1, timeout=120):
    cmd = [sys.executable, SCRIPT, "--no-progress", *args]
    if n > 1:
        cmd = ["mpiexec", "-n", str(n), *cmd]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=_env())
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


def accuracy(stdout: str) -> float:
    return float(re.search(r"final test accuracy: ([0-9.]+)", stdout).group(1))


def epoch_log(stdout: str) -> list:
    """[(epoch, train loss, test accuracy), ...] from the per-epoch log lines."""
    return [(int(e), float(loss), float(acc)) for e, loss, acc in re.findall(
        r"^epoch (\d+): train loss ([0-9.]+), test accuracy ([0-9.]+)$", stdout, re.M)]


@pytest.mark.timeout(180)
def test_one_and_two_ranks_train_the_same_model():
    one = run(["--epochs", "3"])
    two = run(["--epochs", "3"], n=2)
    assert accuracy(one) > 0.9
    assert accuracy(one) == accuracy(two)
    assert two.count("final test accuracy") == 1  # only rank 0 logs
    # The logged loss is the global mean, not rank 0's share: the logs agree (up to the last
    # printed digit, for float rounding).
    log1, log2 = epoch_log(one), epoch_log(two)
    assert [e for e, _, _ in log1] == [e for e, _, _ in log2] == [0, 1, 2]
    for (_, loss1, acc1), (_, loss2, acc2) in zip(log1, log2):
        assert loss2 == pytest.approx(loss1, abs=1.5e-4)
        assert acc2 == acc1


@pytest.mark.timeout(180)
def test_resume_from_checkpoint_continues_where_it_stopped(tmp_path):
    ckpt = str(tmp_path / "digits.ckpt")
    run(["--epochs", "3", "--stop-after", "2", "--checkpoint", ckpt], n=2)
    resumed = run(["--epochs", "3", "--checkpoint", ckpt], n=2)
    assert "resumed from" in resumed and "at epoch 2" in resumed
    assert "epoch 0:" not in resumed
    straight = run(["--epochs", "3"], n=2)
    assert accuracy(resumed) == accuracy(straight)


@pytest.mark.timeout(180)
def test_rerunning_a_finished_job_reports_the_restored_accuracy(tmp_path):
    ckpt = str(tmp_path / "digits.ckpt")
    first = run(["--epochs", "2", "--checkpoint", ckpt])
    again = run(["--epochs", "2", "--checkpoint", ckpt], n=2)
    assert "holds a finished run (2 of 2 epochs)" in again
    assert "epoch 0:" not in again and "epoch 1:" not in again
    assert accuracy(first) > 0.8
    assert accuracy(again) == accuracy(first)
