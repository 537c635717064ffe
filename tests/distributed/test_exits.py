"""Ranks that leave while others wait, as whole 2-rank jobs (mpiexec, and dptrun with restarts).
The group timeout stays at its 30-minute default, so only the subprocess timeout bounds a job
that would hang."""
import os
import signal
import subprocess
import sys
import textwrap

import pytest

from .conftest import ROOT, spawn_env

pytestmark = pytest.mark.timeout(120)

EXIT_7 = """
    import os, sys, time, dpt, dpt.distributed as dist
    dist.init_process_group()
    t = dpt.ones(4)
    dist.all_reduce(t)
    if dist.get_rank() == 1 and os.environ.get("DPT_RESTART_COUNT", "0") == "0":
        time.sleep(0.5)     # rank 0 is waiting in the next all_reduce by now
        sys.exit(7)
    dist.all_reduce(t)
    sys.stdout.write(f"finished {dist.get_rank()} {t.tolist()}\\n")  # one write: ranks share stdout
"""


def test_nonzero_sys_exit_aborts_the_job_with_its_code(mpirun):
    res = mpirun(2, EXIT_7, timeout=60)
    assert res.returncode == 7, res.stderr
    assert "SystemExit(7) with the process group initialized: aborting the job" in res.stderr
    assert "finished" not in res.stdout


RAISE_7 = """
    import contextlib, time, dpt, dpt.distributed as dist
    dist.init_process_group()
    t = dpt.ones(4)
    dist.all_reduce(t)

    def step():
        try:
            if dist.get_rank() == 1:
                time.sleep(0.5)
                raise SystemExit(7)   # not sys.exit: no wrapper sees it
            dist.all_reduce(t)
        finally:
            pass

    with contextlib.suppress(KeyError):
        step()
"""


@pytest.mark.skipif(sys.version_info < (3, 12), reason="needs sys.monitoring (Python 3.12+)")
def test_bare_raise_systemexit_through_finally_and_with_aborts_with_its_code(mpirun):
    res = mpirun(2, RAISE_7, timeout=60)
    assert res.returncode == 7, res.stderr
    assert "SystemExit(7) with the process group initialized: aborting the job" in res.stderr


def test_dptrun_restarts_after_sys_exit(tmp_path):
    script = tmp_path / "job.py"
    script.write_text(textwrap.dedent(EXIT_7))
    env = spawn_env()
    # its own session, so that a hang can be cleaned up with dptrun's mpiexec and ranks
    proc = subprocess.Popen([sys.executable, "-m", "launcher.dptrun", "--nproc-per-node", "2",
                             "--max-restarts", "1", str(script)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=100)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 0, err
    assert "dptrun: the job failed with exit code 7; restarting (1/1)" in err
    assert sorted(ln for ln in out.splitlines() if "finished" in ln) == \
        ["[0] finished 0 [4.0, 4.0, 4.0, 4.0]", "[1] finished 1 [4.0, 4.0, 4.0, 4.0]"]


def test_rank_returning_while_peer_waits_is_named(mpirun):
    res = mpirun(2, """
        import dpt, dpt.distributed as dist
        dist.init_process_group()
        t = dpt.ones(4)
        dist.all_reduce(t)
        if dist.get_rank() == 0:
            dist.all_reduce(t)        # rank 1 has returned: it will never join
            print("unreachable", flush=True)
    """, timeout=60)
    assert res.returncode != 0
    assert ("[rank 0]: dpt.distributed.monitor.DistBackendError: [rank 0] dpt.distributed: "
            "all_reduce #2 on process group 'default_pg' (all_reduce(float32[4], SUM)) can never "
            "complete: rank 1 (global rank 1) exited after it last joined all_reduce #1") \
        in res.stderr
    assert "unreachable" not in res.stdout


def test_destroy_while_peer_waits_is_named(mpirun):
    res = mpirun(2, """
        import time, dpt, dpt.distributed as dist
        dist.init_process_group()
        if dist.get_rank() == 1:
            dist.destroy_process_group()
            time.sleep(30)            # alive, but out of the group
        else:
            try:
                dist.barrier()
            except dist.DistBackendError as e:
                print("raised:", str(e).split(": ", 1)[1], flush=True)
    """, timeout=60)
    assert res.returncode != 0  # the caught error still ends the job
    assert ("raised: barrier #1 on process group 'default_pg' (barrier()) can never complete: "
            "rank 1 (global rank 1) called destroy_process_group after it joined no collective") \
        in res.stdout


def test_ranks_finishing_together_exit_cleanly(mpirun):
    res = mpirun(2, """
        import sys, time, dpt, dpt.distributed as dist
        dist.init_process_group()
        t = dpt.ones(4)
        for i in range(3):
            dist.all_reduce(t)
            if dist.get_rank() == 0:
                time.sleep(0.3)       # rank 1 leaves first, rank 0 is still busy
        sub = dist.new_group([0, 1])
        dist.all_reduce(t, group=sub)
        sys.stdout.write(f"done {dist.get_rank()} {t.tolist()}\\n")
    """, timeout=60)
    assert res.returncode == 0, res.stderr
    assert sorted(res.stdout.splitlines()) == ["done 0 [16.0, 16.0, 16.0, 16.0]",
                                               "done 1 [16.0, 16.0, 16.0, 16.0]"]
    assert "dpt.distributed" not in res.stderr


def test_init_destroy_init_in_one_job(mpirun):
    res = mpirun(2, """
        import sys, time, dpt, dpt.distributed as dist
        for k in range(3):
            dist.init_process_group()
            t = dpt.ones(2)
            dist.all_reduce(t)
            if dist.get_rank() == 1:
                time.sleep(0.2)       # rank 0 re-initializes first; rank 1's notice is stale
            dist.destroy_process_group()
        sys.stdout.write(f"ok {dist.is_initialized()}\\n")
    """, timeout=60)
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines() == ["ok False", "ok False"]
