"""Fixtures for the distributed tests.

Tests marked ``mpi`` run inside ``mpiexec -n 2 python -m pytest --with-mpi -m mpi`` (pytest-mpi
skips them in the plain pass). Tests that need crashes, timeouts, other world sizes or the
launcher are ordinary tests that start their own ``mpiexec`` with a timeout.
"""
import os
import subprocess
import sys
import textwrap

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def pg():
    """The default process group (made once per pytest process, kept for the next tests)."""
    import dpt.distributed as dist

    if not dist.is_initialized():
        dist.init_process_group()
    return dist.group.WORLD


def spawn_env(extra=None) -> dict:
    env = dict(os.environ)
    for k in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "NODE_RANK", "DPT_RUN_ID",
              "DPT_RANK_PREFIXED", "DPT_DISTRIBUTED_DEBUG", "TORCH_DISTRIBUTED_DEBUG"):
        env.pop(k, None)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    env.update(extra or {})
    return env


@pytest.fixture
def mpirun(tmp_path):
    """mpirun(n, source, env=None, timeout=60) -> CompletedProcess of `mpiexec -n n python script`."""

    def run(n, source, env=None, timeout=60, args=()):
        script = tmp_path / "job.py"
        script.write_text(textwrap.dedent(source))
        cmd = ["mpiexec", "-n", str(n), sys.executable, str(script), *args]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              env=spawn_env(env), cwd=tmp_path)

    return run
