"""What the examples write when run as the READMEs say (plots, checkpoints, dptrun logs) is
ignored by git, so a run leaves `git status` clean."""
import os
import shutil
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUTPUTS = ["activations.png", "sin_derivative.png", "digits.png", "run.ckpt",
           "logs/attempt_0/rank_0.log", "runs/dig/events.out.tfevents.0.host.1.0"]


@pytest.mark.timeout(60)
@pytest.mark.skipif(shutil.which("git") is None or not os.path.exists(os.path.join(ROOT, ".git")),
                    reason="needs git and a checkout")
@pytest.mark.parametrize("path", OUTPUTS)
def test_run_outputs_are_ignored(path):
    res = subprocess.run(["git", "check-ignore", "-q", "--no-index", path], cwd=ROOT, timeout=30)
    assert res.returncode == 0, f"{path} is not in .gitignore"
