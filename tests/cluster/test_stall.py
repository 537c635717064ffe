"""The stalled-rank warning: a rank waiting in a collective longer than
DPT_DISTRIBUTED_STALL_WARNING seconds is told which ranks have not arrived, before the hard
timeout, and the collective still completes once they do."""
import sys

import pytest

from dpt.distributed import monitor

from .conftest import run

JOB = """
import time, warnings
import dpt, dpt.distributed as dist
dist.init_process_group(timeout=30)
r = dist.get_rank()
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    if r == 2:
        time.sleep(2.5)             # the straggler
    t = dpt.ones(3)
    t0 = time.monotonic()
    dist.all_reduce(t)
    waited = time.monotonic() - t0
assert t.tolist() == [3.0, 3.0, 3.0]
for w in caught:
    if issubclass(w.category, dist.monitor.StalledRankWarning):
        print(f"WARNED {r} after {waited:.2f}: {w.message}", flush=True)
print(f"DONE {r} stalled_warnings={sum(issubclass(w.category, dist.monitor.StalledRankWarning) for w in caught)}", flush=True)
dist.destroy_process_group()
"""


def test_threshold_from_env(monkeypatch):
    monkeypatch.delenv("DPT_DISTRIBUTED_STALL_WARNING", raising=False)
    assert monitor.stall_threshold() == 60.0
    monkeypatch.setenv("DPT_DISTRIBUTED_STALL_WARNING", "0.25")
    assert monitor.stall_threshold() == 0.25
    monkeypatch.setenv("DPT_DISTRIBUTED_STALL_WARNING", "0")
    assert monitor.stall_threshold() is None
    monkeypatch.setenv("DPT_DISTRIBUTED_STALL_WARNING", "soon")
    with pytest.raises(ValueError, match="DPT_DISTRIBUTED_STALL_WARNING"):
        monitor.stall_threshold()


@pytest.mark.timeout(90)
def test_stalled_rank_is_named_before_the_timeout(tmp_path):
    script = tmp_path / "job.py"
    script.write_text(JOB)
    p = run(["mpiexec", "-n", "3", sys.executable, str(script)],
            env={"DPT_DISTRIBUTED_STALL_WARNING": "0.5"}, timeout=60)
    out = p.stdout + p.stderr
    assert p.returncode == 0, out
    # two ranks' prints may share a line of mpiexec's merged output: split on the marker
    warned = ["WARNED " + part for part in p.stdout.split("WARNED ")[1:]]
    assert {ln.split()[1] for ln in warned} == {"0", "1"}, out
    for ln in warned:
        assert "ranks [2] have not arrived" in ln and "all_reduce #1" in ln, ln
        assert "The hard timeout is 30 s" in ln
    assert "DONE 2 stalled_warnings=0" in p.stdout  # the straggler found everyone waiting
    # one warning per collective, not one per poll
    assert "DONE 0 stalled_warnings=1" in p.stdout and "DONE 1 stalled_warnings=1" in p.stdout


@pytest.mark.timeout(90)
def test_no_warning_when_disabled(tmp_path):
    script = tmp_path / "job.py"
    script.write_text(JOB)
    p = run(["mpiexec", "-n", "3", sys.executable, str(script)],
            env={"DPT_DISTRIBUTED_STALL_WARNING": "0"}, timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "WARNED" not in p.stdout
    assert p.stdout.count("stalled_warnings=0") == 3
