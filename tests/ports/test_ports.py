"""Programs written in the idioms of public PyTorch examples (tests/ports/programs/) run under
torch and, with only their import lines changed (``import torch`` -> ``import dpt as torch``,
``from torch.x import y`` -> ``from dpt.x import y``), under dpt; both must agree. Skipped
without torch. Each program prints one ``RESULT {json}`` line."""
import json
import os
import re
import socket
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("torch")

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
pytestmark = pytest.mark.timeout(600)


def to_dpt(source: str) -> str:
    """The only edit a user makes: the import lines."""
    source = re.sub(r"^(\s*)import torch(\.[\w.]+)? as (\w+)", r"\1import dpt\2 as \3", source,
                    flags=re.M)
    source = re.sub(r"^(\s*)import torch\s*$", r"\1import dpt as torch", source, flags=re.M)
    return re.sub(r"^(\s*)from torch(\.[\w.]+)? import", r"\1from dpt\2 import", source,
                  flags=re.M)


def program(name: str, lib: str, tmp_path) -> str:
    with open(os.path.join(HERE, "programs", name)) as f:
        source = f.read()
    path = tmp_path / f"{lib}_{name}"
    path.write_text(source if lib == "torch" else to_dpt(source))
    return str(path)


def env(**extra):
    e = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
             PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    e.update(extra)
    return e


def results(out: str) -> list:
    """The RESULT lines' values (dptrun prefixes each rank's lines with '[rank] ')."""
    found = (re.match(r"(?:\[\d+\] )?RESULT (.*)$", line) for line in out.splitlines())
    return [json.loads(m.group(1)) for m in found if m]


def run(name: str, lib: str, tmp_path, *args, launcher=(), **extra_env):
    out_dir = tmp_path / f"out_{lib}"
    out_dir.mkdir(exist_ok=True)
    # a launcher (torchrun, dptrun) takes the script and starts the interpreter itself
    cmd = [*(launcher or (sys.executable,)), program(name, lib, tmp_path), *args]
    if name != "dcgan.py" and name != "reinforce.py":
        cmd += ["--out", str(out_dir)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env(**extra_env),
                          timeout=500, cwd=tmp_path)
    assert proc.returncode == 0, f"{lib} {name} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}"
    found = results(proc.stdout)
    assert found, proc.stdout
    return found


def close(a, b, rtol):
    np.testing.assert_allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float),
                               rtol=rtol, atol=rtol)


def test_import_rewrite():
    src = "import torch\nimport torch.nn as nn\nfrom torch.utils.data import DataLoader\n" \
          "from torch import nn\n    import torch\nx = torch.ones(1)  # import torch\n"
    assert to_dpt(src) == ("import dpt as torch\nimport dpt.nn as nn\n"
                           "from dpt.utils.data import DataLoader\nfrom dpt import nn\n"
                           "    import dpt as torch\nx = torch.ones(1)  # import torch\n")


def test_gpt_with_accumulation_scaler_cosine_lr_and_resume(tmp_path):
    full = {lib: run("gpt_accum.py", lib, tmp_path)[0] for lib in ("torch", "dpt")}
    close(full["dpt"]["losses"], full["torch"]["losses"], 2e-3)
    close(full["dpt"]["val"], full["torch"]["val"], 2e-3)
    assert full["dpt"]["losses"][-1] < full["dpt"]["losses"][0]
    resumed = run("gpt_accum.py", "dpt", tmp_path, "--resume")[0]  # from the mid-run checkpoint
    close(resumed["losses"], full["dpt"]["losses"][12:], 1e-6)
    close(resumed["val"], full["dpt"]["val"], 1e-6)


def test_rnn_language_model_saves_and_reloads_the_whole_model(tmp_path):
    got = {lib: run("rnn_lm.py", lib, tmp_path)[0] for lib in ("torch", "dpt")}
    close(got["dpt"]["losses"], got["torch"]["losses"], 2e-3)
    close(got["dpt"]["test_loss"], got["torch"]["test_loss"], 2e-3)


def test_dcgan_loop(tmp_path):
    got = {lib: run("dcgan.py", lib, tmp_path)[0] for lib in ("torch", "dpt")}
    for key in ("d", "g", "sample_mean", "sample_std"):
        close(got["dpt"][key], got["torch"][key], 2e-3)


def test_reinforce_over_a_deque_of_returns(tmp_path):
    got = {lib: run("reinforce.py", lib, tmp_path)[0] for lib in ("torch", "dpt")}
    close(got["dpt"]["history"], got["torch"]["history"], 2e-3)
    close(got["dpt"]["running_reward"], got["torch"]["running_reward"], 2e-3)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_torchrun_style_ddp_trainer_one_process(tmp_path):
    rank_env = dict(RANK="0", LOCAL_RANK="0", WORLD_SIZE="1", MASTER_ADDR="127.0.0.1",
                    MASTER_PORT=str(_free_port()))
    got = {lib: run("ddp_trainer.py", lib, tmp_path, **rank_env)[0] for lib in ("torch", "dpt")}
    close(got["dpt"]["losses"], got["torch"]["losses"], 1e-4)
    close(got["dpt"]["accuracy"], got["torch"]["accuracy"], 1e-6)


def test_torchrun_style_ddp_trainer_two_ranks(tmp_path):
    """torchrun on torch's side, dptrun on dpt's: the same per-rank losses."""
    torch_runs = run("ddp_trainer.py", "torch", tmp_path, launcher=(
        sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
        "--master_port", str(_free_port())))
    dpt_runs = run("ddp_trainer.py", "dpt", tmp_path, launcher=(
        os.path.join(os.path.dirname(sys.executable), "dptrun"), "--nproc-per-node", "2"))
    by_rank = {lib: {r["rank"]: r for r in runs} for lib, runs in
               (("torch", torch_runs), ("dpt", dpt_runs))}
    assert sorted(by_rank["dpt"]) == sorted(by_rank["torch"]) == [0, 1]
    for rank in (0, 1):
        close(by_rank["dpt"][rank]["losses"], by_rank["torch"][rank]["losses"], 1e-4)
