"""Surviving a failure: rank 1 SIGKILLs itself mid-training on the first attempt; the job
ends on every rank, dptrun --max-restarts 1 starts it again, it resumes from the newest
checkpoint (dpt.distributed.checkpoint) and ends at exactly the parameters of an
uninterrupted run with the same seed. On one host here; test_rig.py runs it across the rig."""
import os
import sys
import time

import numpy as np
import pytest

from .conftest import HERE, ROOT, run

JOB = os.path.join(HERE, "train_job.py")
DPTRUN = os.path.join(ROOT, "launcher", "dptrun.py")


def fault_run(tmp_path, launch, timeout=60):
    """(uninterrupted out dir, interrupted-and-restarted out dir, seconds of the faulty job)."""
    clean, faulty = tmp_path / "clean", tmp_path / "faulty"
    clean.mkdir(), faulty.mkdir()
    p = run([sys.executable, DPTRUN, *launch, JOB, clean], timeout=timeout)
    assert p.returncode == 0, p.stdout + p.stderr
    t0 = time.monotonic()
    p = run([sys.executable, DPTRUN, *launch, "--max-restarts", "1", JOB, faulty,
             "--kill-step", "7", "--timeout", "10"], timeout=timeout)
    took = time.monotonic() - t0
    out = p.stdout + p.stderr
    assert p.returncode == 0, out
    assert "restarting (1/1)" in out, out  # attempt 0 ended (on every rank: mpiexec returned)
    return clean, faulty, took, out


def check_resumed(clean, faulty, nranks):
    starts = (faulty / "starts.txt").read_text().split("\n")
    first = [s for s in starts if " attempt 0 " in s]
    second = [s for s in starts if " attempt 1 " in s]
    assert len(first) == nranks and all(" start 0 " in s for s in first), starts
    # killed at the start of step 7: 7 steps done, newest checkpoint after 6 (every=3)
    assert len(second) == nranks and all(" start 6 " in s for s in second), starts
    a, b = np.load(clean / "final.npz"), np.load(faulty / "final.npz")
    assert sorted(a.files) == sorted(b.files)
    for k in a.files:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)


@pytest.mark.timeout(120)
def test_sigkill_restart_matches_uninterrupted_run_one_host(tmp_path):
    clean, faulty, took, _ = fault_run(tmp_path, ["--nproc-per-node", "2"])
    check_resumed(clean, faulty, 2)
    assert took < 45
