"""DDP equivalence on 4 ranks (oversubscribed) and on a world of one, as spawned jobs."""
import subprocess
import sys

import pytest

from .conftest import ROOT, spawn_env

JOB = """
import sys
sys.path.insert(0, {root!r})
import dpt.distributed as dist
from tests.distributed.ddp_cases import max_param_diff, train_pair
dist.init_process_group()
for kind, kwargs in [("mlp", dict(bucket_cap_mb=0.001)), ("mlp", dict(accumulate=2, steps=3)),
                     ("cnn", dict(sync_bn=True, steps=4))]:
    ddp, ref = train_pair(kind, **kwargs)
    diff = max_param_diff(ddp, ref)
    assert diff < 1e-4, (kind, kwargs, diff)
print("ok", dist.get_rank(), flush=True)
"""


@pytest.mark.timeout(240)
@pytest.mark.parametrize("n", [1, 4])
def test_ddp_equivalence_job(tmp_path, n):
    script = tmp_path / "ddp_job.py"
    script.write_text(JOB.format(root=ROOT))
    cmd = [sys.executable, str(script)] if n == 1 else ["mpiexec", "-n", str(n), sys.executable, str(script)]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=220, env=spawn_env(), cwd=tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.count("ok") == n
