"""Fixtures of the cluster tests: spawned MPI jobs and the local multi-host rig.

The ``rig`` fixture brings up cluster/local/rig.sh with 2 nodes for the module's tests and
takes it down afterwards (unless it was already up when the module started: then it is left
as it was found, since someone else is using it). It skips, with the reason, when not root
or when rig.sh exits 77 (no network namespaces here).
"""
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RIG = os.path.join(ROOT, "cluster", "local", "rig.sh")
HERE = os.path.dirname(os.path.abspath(__file__))
RIG_HOSTS = "dpt-node0:2,dpt-node1:2"


def spawn_env(extra=None) -> dict:
    env = dict(os.environ)
    for k in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "NODE_RANK", "DPT_RUN_ID",
              "DPT_RANK_PREFIXED", "DPT_DISTRIBUTED_DEBUG", "TORCH_DISTRIBUTED_DEBUG",
              "DPT_RESTART_COUNT", "DPT_HIERARCHICAL_ALLREDUCE",
              "DPT_HIERARCHICAL_RANKS_PER_NODE", "DPT_DISTRIBUTED_STALL_WARNING"):
        env.pop(k, None)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    env.update(extra or {})
    return env


def run(cmd, env=None, timeout=60, cwd=None):
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True,
                          timeout=timeout, env=spawn_env(env), cwd=cwd or ROOT)


def _rig_is_up() -> bool:
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True)
    names = {line.split()[0] for line in out.stdout.splitlines() if line.strip()}
    return {"dpt-node0", "dpt-node1"} <= names


@pytest.fixture(scope="module")
def rig():
    """Hosts of a 2-node local rig, as mpiexec -hosts wants them ('dpt-node0:2,dpt-node1:2')."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        pytest.skip("the local rig needs root (network namespaces, veth pairs, sshd)")
    if sys.platform != "linux":
        pytest.skip("the local rig needs Linux network namespaces")
    was_up = _rig_is_up()
    up = subprocess.run(["bash", RIG, "up", "2"], capture_output=True, text=True, timeout=180)
    if up.returncode == 77:
        pytest.skip(f"local rig unavailable: {up.stderr.strip() or up.stdout.strip()}")
    if up.returncode != 0:
        subprocess.run(["bash", RIG, "down"], capture_output=True, timeout=60)
        pytest.fail(f"rig.sh up failed ({up.returncode}):\n{up.stdout}\n{up.stderr}")
    try:
        yield RIG_HOSTS
    finally:
        if not was_up:
            down = subprocess.run(["bash", RIG, "down"], capture_output=True, text=True,
                                  timeout=60)
            assert down.returncode == 0, down.stderr
            assert not _rig_is_up(), "rig.sh down left namespaces behind"


# --- the local Slurm (cluster/local/slurm.sh) ---------------------------------------------------
SLURM_SH = os.path.join(ROOT, "cluster", "local", "slurm.sh")
SLURM_CONF = "/run/dpt-slurm/slurm.conf"
SLURM_LOCK = "/run/dpt-slurm.lock"


def slurm_sh(*args, timeout=60):
    return subprocess.run(["bash", SLURM_SH, *args], capture_output=True, text=True,
                          timeout=timeout)


def _slurm_cluster(up_args):
    """Bring the local Slurm up with ``slurm.sh up *up_args`` (serialised between test runs on
    this machine by a lock file), yield the environment for its commands, and take it down
    afterwards unless it was already up before (then it is left as it was found)."""
    import fcntl
    import time

    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        pytest.skip("the local Slurm needs root (daemons, munge key)")
    if sys.platform != "linux":
        pytest.skip("the local Slurm needs Linux")
    lock = open(SLURM_LOCK, "a+")
    deadline = time.monotonic() + 300
    while True:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except OSError:
            if time.monotonic() > deadline:
                lock.close()
                pytest.skip("another test run has held the local Slurm for 5 minutes")
            time.sleep(1)
    try:
        was_up = slurm_sh("status").returncode == 0
        # a fresh machine installs slurm-wlm, munge and libpmix-dev first (about a minute)
        up = slurm_sh("up", *up_args, timeout=400)
        if up.returncode == 77:
            pytest.skip(f"local Slurm unavailable: {up.stderr.strip() or up.stdout.strip()}")
        if up.returncode != 0:
            slurm_sh("down")
            pytest.fail(f"slurm.sh up failed ({up.returncode}):\n{up.stdout}\n{up.stderr}")
        try:
            yield {"SLURM_CONF": SLURM_CONF, "DPT_VENV": sys.prefix}
        finally:
            if not was_up:
                down = slurm_sh("down")
                assert down.returncode == 0, down.stdout + down.stderr
                assert slurm_sh("status").returncode != 0, "slurm.sh down left daemons behind"
    finally:
        lock.close()


@pytest.fixture(scope="module")
def slurm():
    """A single-host Slurm (one node: this host); yields the environment for sbatch/srun."""
    yield from _slurm_cluster(())


@pytest.fixture(scope="module")
def slurm_rig(rig):
    """A Slurm over the 2-node local rig: slurmd in each namespace, slurmctld on the bridge."""
    yield from _slurm_cluster(("--rig", "2"))
