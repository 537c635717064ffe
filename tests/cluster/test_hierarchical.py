"""The hierarchical (node-aware) all-reduce: in process under `mpiexec -n 2 pytest --with-mpi`
(pytest-mpi), and in spawned 4-rank jobs whose "nodes" are faked with
DPT_HIERARCHICAL_RANKS_PER_NODE (even and uneven node sizes) on one host."""
import os
import re
import sys

import numpy as np
import pytest

import dpt
import dpt.distributed as dist
from dpt.distributed import hierarchical
from dpt.distributed.hierarchical import Options

from .conftest import HERE, run
from .hier_checks import check_all, check_op


# -- option parsing (no MPI job needed) ------------------------------------------------------
def test_enabled_reads_options_and_env(monkeypatch):
    monkeypatch.delenv("DPT_HIERARCHICAL_ALLREDUCE", raising=False)
    assert not hierarchical.enabled(None)
    assert hierarchical.enabled(Options(hierarchical_allreduce=True))
    assert hierarchical.enabled({"hierarchical_allreduce": True})
    assert not hierarchical.enabled(Options())
    monkeypatch.setenv("DPT_HIERARCHICAL_ALLREDUCE", "1")
    assert hierarchical.enabled(None)
    assert hierarchical.enabled(object())  # options without the field: the env decides
    assert not hierarchical.enabled({"hierarchical_allreduce": False})  # explicit beats env


# -- in process, 2 ranks ------------------------------------------------------------------------
def _group(monkeypatch, ranks_per_node):
    if ranks_per_node is None:
        monkeypatch.delenv("DPT_HIERARCHICAL_RANKS_PER_NODE", raising=False)
    else:
        monkeypatch.setenv("DPT_HIERARCHICAL_RANKS_PER_NODE", str(ranks_per_node))
    if not dist.is_initialized():
        dist.init_process_group()
    return dist.new_group(pg_options=Options(hierarchical_allreduce=True))


@pytest.mark.mpi(min_size=2)
@pytest.mark.timeout(60)
@pytest.mark.parametrize("ranks_per_node", [None, 1], ids=["one-node", "one-rank-per-node"])
def test_hierarchical_all_ops(monkeypatch, ranks_per_node):
    group = _group(monkeypatch, ranks_per_node)
    try:
        h = group.hierarchical
        n = dist.get_world_size()
        if ranks_per_node == 1:
            assert (h.local_size, h.num_nodes) == (1, n)
        else:  # one host: one shared-memory node
            assert (h.local_size, h.num_nodes) == (n, 1)
        assert h.is_leader == (h.local_rank == 0)
        check_all(group)
    finally:
        dist.destroy_process_group(group)


@pytest.mark.mpi(min_size=2)
@pytest.mark.timeout(60)
def test_hierarchical_matches_flat(monkeypatch):
    group = _group(monkeypatch, 1)
    try:
        rng = np.random.default_rng(dist.get_rank())
        x = rng.standard_normal((1000,))
        a, b = dpt.tensor(x.copy()), dpt.tensor(x.copy())
        dist.all_reduce(a, op=dist.ReduceOp.AVG, group=group)
        dist.all_reduce(b, op=dist.ReduceOp.AVG)
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12, atol=1e-15)
        check_op(group, dist.ReduceOp.MAX, dpt.float64)
        with pytest.raises(RuntimeError, match="Cannot use ReduceOp.BAND with non-integral"):
            dist.all_reduce(dpt.ones(2), op=dist.ReduceOp.BAND, group=group)
    finally:
        dist.destroy_process_group(group)


# -- spawned 4-rank jobs ---------------------------------------------------------------------
@pytest.mark.timeout(120)
@pytest.mark.parametrize("ranks_per_node", ["2", "3"], ids=["2x2", "3+1"])
def test_hierarchical_four_ranks_fake_nodes(ranks_per_node):
    p = run(["mpiexec", "-n", "4", sys.executable, os.path.join(HERE, "hier_job.py")],
            env={"DPT_HIERARCHICAL_RANKS_PER_NODE": ranks_per_node}, timeout=90)
    assert p.returncode == 0, p.stdout + p.stderr
    lines = sorted(re.findall(r"HIER OK rank=\d+ [^\n]*?topo=\([\d,]+\)", p.stdout))
    assert len(lines) == 4, p.stdout + p.stderr
    k = int(ranks_per_node)
    for r, line in enumerate(lines):
        assert f"rank={r} local_rank={r % k} local_size={min(k, 4 - (r // k) * k)} nodes=2" \
            in line


@pytest.mark.timeout(120)
def test_hierarchical_env_var_selects_it_for_the_world():
    p = run(["mpiexec", "-n", "4", sys.executable, os.path.join(HERE, "hier_job.py")],
            env={"DPT_HIERARCHICAL_ALLREDUCE": "1", "DPT_HIERARCHICAL_RANKS_PER_NODE": "2"},
            timeout=90)
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stdout.count("HIER OK") == 4


@pytest.mark.timeout(120)
def test_hierarchical_times_out_naming_the_missing_rank(tmp_path):
    script = tmp_path / "job.py"
    script.write_text(
        "import time, dpt, dpt.distributed as dist\n"
        "dist.init_process_group(timeout=2, pg_options={'hierarchical_allreduce': True})\n"
        "if dist.get_rank() == 3:\n"
        "    time.sleep(8)\n"
        "else:\n"
        "    try:\n"
        "        dist.all_reduce(dpt.ones(4))\n"
        "    except dist.DistBackendError as e:\n"
        "        print('CAUGHT', dist.get_rank(), e, flush=True)\n"
        "        raise\n")
    p = run(["mpiexec", "-n", "4", sys.executable, str(script)],
            env={"DPT_HIERARCHICAL_RANKS_PER_NODE": "2"}, timeout=60)
    assert p.returncode != 0
    caught = [ln for ln in p.stdout.splitlines() if ln.startswith("CAUGHT")]
    assert caught, p.stdout + p.stderr
    assert any("ranks [3] of the group never joined it" in ln for ln in caught), p.stdout
