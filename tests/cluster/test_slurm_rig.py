"""Two-node Slurm on the local rig: slurmd in each of the rig's network namespaces (dpt-node0 at
10.201.0.1, dpt-node1 at 10.201.0.2, each with its own hostname), slurmctld beside them on the
bridge (cluster/local/slurm.sh up --rig 2). Brought up and down by the ``rig`` and ``slurm_rig``
fixtures; skipped with the reason where that is impossible (not root, no network namespaces, no
Slurm and no apt-get).
"""
import os
import re
import sys

import pytest

from .conftest import run
from .test_slurm import CPU, DIGITS, final_accuracy, recipe_epochs, sbatch_wait


@pytest.mark.timeout(420)  # includes bringing the rig and Slurm up
def test_cpu_recipe_on_two_rig_nodes_matches_single_host(slurm_rig, tmp_path):
    # MPI really spans both namespaces, two ranks on each
    p = run(["srun", "--nodes=2", "--ntasks-per-node=2", "--mpi=pmi2", sys.executable, "-c",
             "from mpi4py import MPI; c = MPI.COMM_WORLD; "
             "print('RANK', c.rank, c.size, MPI.Get_processor_name(), flush=True)"],
            env=slurm_rig, timeout=120, cwd=tmp_path)
    assert p.returncode == 0, p.stdout + p.stderr
    ranks = sorted(re.findall(r"RANK (\d) 4 (\S+)", p.stdout))
    assert ranks == [("0", "dpt-node0"), ("1", "dpt-node0"), ("2", "dpt-node1"),
                     ("3", "dpt-node1")], p.stdout

    single = run(["mpiexec", "-n", "4", sys.executable, DIGITS, "--epochs", recipe_epochs(),
                  "--no-progress"], timeout=150)
    assert single.returncode == 0, single.stdout + single.stderr
    job = sbatch_wait(slurm_rig, tmp_path, "--nodes=2", "--ntasks-per-node=2",
                      f"--output={tmp_path}/job.out", CPU)
    log = (tmp_path / "job.out").read_text() if (tmp_path / "job.out").exists() else ""
    assert job.returncode == 0, job.stdout + job.stderr + log
    assert final_accuracy(log, 4) == final_accuracy(single.stdout, 4), log
