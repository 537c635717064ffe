"""Multi-node on the local rig (cluster/local/rig.sh: 2 network namespaces with their own
hostnames, addresses and sshd; ranks talk TCP between them). Brought up and down by the
``rig`` fixture; skipped with the reason where that is impossible (not root, no namespaces).
"""
import os
import re
import sys

import pytest

from .conftest import HERE, ROOT, run
from .test_fault import check_resumed, fault_run

MPIEXEC_ARGS = "-iface dptbr0"
DIGITS = os.path.join(ROOT, "examples", "ddp_digits.py")


def rig_mpiexec(hosts, n, *cmd):
    return ["mpiexec", "-iface", "dptbr0", "-hosts", hosts, "-n", str(n), *cmd]


def dptrun_rig():
    return ["--nnodes", "2", "--nproc-per-node", "2", "--hosts", "dpt-node0,dpt-node1",
            f"--mpiexec-args={MPIEXEC_ARGS}"]


@pytest.mark.timeout(120)
def test_topology_and_hierarchical_all_reduce_on_rig(rig):
    p = run(rig_mpiexec(rig, 4, sys.executable, os.path.join(HERE, "hier_job.py")), timeout=90)
    assert p.returncode == 0, p.stdout + p.stderr
    lines = sorted(re.findall(r"HIER OK rank=\d+ [^\n]*?topo=\([\d,]+\)", p.stdout))
    assert len(lines) == 4, p.stdout + p.stderr
    for r, line in enumerate(lines):
        # (local rank, local size, node rank, nodes) from MPI, and the hierarchical split
        assert f"rank={r} local_rank={r % 2} local_size=2 nodes=2" in line, line
        assert f"topo=({r % 2},2,{r // 2},2)" in line, line


@pytest.mark.timeout(120)
def test_ddp_digits_on_rig_matches_single_host(rig):
    args = ["--epochs", "2", "--no-progress"]
    single = run(["mpiexec", "-n", "4", sys.executable, DIGITS, *args], timeout=90)
    assert single.returncode == 0, single.stdout + single.stderr
    hostfile = os.path.join(ROOT, "cluster", "local", "hostfile")
    via_dptrun = run([sys.executable, os.path.join(ROOT, "launcher", "dptrun.py"), "--nnodes",
                      "2", "--nproc-per-node", "2", "--hostfile", hostfile,
                      f"--mpiexec-args={MPIEXEC_ARGS}", DIGITS, *args], timeout=90)
    assert via_dptrun.returncode == 0, via_dptrun.stdout + via_dptrun.stderr
    plain = run(rig_mpiexec(rig, 4, sys.executable, DIGITS, *args), timeout=90)
    assert plain.returncode == 0, plain.stdout + plain.stderr

    def accuracy(out):
        m = re.search(r"final test accuracy: ([0-9.]+) \(4 ranks", out)
        assert m, out
        return m.group(1)

    assert accuracy(via_dptrun.stdout) == accuracy(plain.stdout) == accuracy(single.stdout)


@pytest.mark.timeout(150)
def test_sigkill_restart_on_rig(rig, tmp_path):
    clean, faulty, took, _ = fault_run(tmp_path, dptrun_rig(), timeout=90)
    check_resumed(clean, faulty, 4)
    nodes = {ln.split()[-1] for ln in (faulty / "starts.txt").read_text().splitlines()}
    assert nodes == {"0", "1"}  # ranks really ran on both nodes
    assert took < 60
