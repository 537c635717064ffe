"""Slurm: the batch recipes in cluster/slurm/ and dptrun inside an allocation, on a single-host
Slurm (cluster/local/slurm.sh, brought up and down by the ``slurm`` fixture; skipped with the
reason where that is impossible: not root, no Slurm and no apt-get). The jobs are submitted from
a directory outside the checkout, with DPT_VENV naming this test run's virtual environment.
"""
import os
import re
import subprocess
import sys
import uuid

import pytest

from launcher import dptrun

from .conftest import ROOT, SLURM_SH, run, slurm_sh, spawn_env

CPU = os.path.join(ROOT, "cluster", "slurm", "cpu_multinode.sbatch")
GPU = os.path.join(ROOT, "cluster", "slurm", "gpu_multinode.sbatch")
DIGITS = os.path.join(ROOT, "examples", "ddp_digits.py")


def sbatch_wait(env, cwd, *args, timeout=240):
    """sbatch --wait; the job is cancelled if it outlives the timeout."""
    name = f"dpt-test-{uuid.uuid4().hex[:8]}"
    try:
        return subprocess.run(["sbatch", "--wait", f"--job-name={name}", *map(str, args)],
                              capture_output=True, text=True, timeout=timeout,
                              env=spawn_env(env), cwd=cwd)
    except subprocess.TimeoutExpired:
        subprocess.run(["scancel", f"--name={name}"], env=spawn_env(env), timeout=30)
        raise


def final_accuracy(out, world):
    m = re.search(rf"final test accuracy: ([0-9.]+) \({world} ranks", out)
    assert m, out
    return m.group(1)


def recipe_epochs():
    return re.search(r"ddp_digits\.py\" --epochs (\d+)", open(CPU).read()).group(1)


@pytest.fixture(scope="module")
def mpiexec_accuracy():
    """The reference: `mpiexec -n 2` of the recipe's training run."""
    p = run(["mpiexec", "-n", "2", sys.executable, DIGITS, "--epochs", recipe_epochs(),
             "--no-progress"], timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    return final_accuracy(p.stdout, 2)


@pytest.mark.timeout(600)
def test_cpu_recipe_trains_like_mpiexec(slurm, mpiexec_accuracy, tmp_path):
    # The recipe exactly as shipped (5 epochs), submitted from outside the checkout.
    p = sbatch_wait(slurm, tmp_path, "--nodes=1", "--ntasks-per-node=2",
                    f"--output={tmp_path}/job-%j.out", CPU)
    outs = list(tmp_path.glob("job-*.out"))
    log = outs[0].read_text() if outs else ""
    assert p.returncode == 0, p.stdout + p.stderr + log
    assert final_accuracy(log, 2) == mpiexec_accuracy, log
    jobid = outs[0].name[4:-4]
    assert (tmp_path / f"ckpt-{jobid}.dpt").exists()  # the checkpoint went to the submit dir


@pytest.mark.timeout(300)
def test_dptrun_in_allocation_and_rounded_batch(slurm, mpiexec_accuracy, tmp_path):
    script = tmp_path / "job.sh"
    dptrun_py = os.path.join(ROOT, "launcher", "dptrun.py")
    script.write_text(
        "#!/bin/bash\n"
        # a global batch of 41 does not divide over 2 ranks: rounded to 40, the reference's
        f"'{sys.executable}' '{dptrun_py}' '{DIGITS}' --epochs {recipe_epochs()} --no-progress "
        "--batch-size 41\n"
        "echo \"dptrun rc=$?\"\n"
        f"srun --mpi=pmi2 '{sys.executable}' '{dptrun_py}' --dry-run '{DIGITS}'\n"
        "echo \"srun dptrun rc=$?\"\n")
    p = sbatch_wait(slurm, tmp_path, "--nodes=1", "--ntasks-per-node=2",
                    f"--output={tmp_path}/job.out", script)
    log = (tmp_path / "job.out").read_text() if (tmp_path / "job.out").exists() else ""
    assert p.returncode == 0, p.stdout + p.stderr + log
    assert re.search(r"dptrun: in Slurm job \d+: 2 rank\(s\) on each of \S+", log), log
    assert "dptrun rc=0" in log, log
    assert "--batch-size 41 is not divisible by the world size 2: using 40 (20 per rank)" in log
    assert final_accuracy(log, 2) == mpiexec_accuracy, log
    assert "started by srun as one of several tasks" in log and "srun dptrun rc=1" in log, log


@pytest.mark.timeout(120)
def test_slurm_up_is_idempotent(slurm):
    pid = open("/run/dpt-slurm/slurmctld.pid").read()
    again = slurm_sh("up", timeout=100)
    assert again.returncode == 0, again.stdout + again.stderr
    assert open("/run/dpt-slurm/slurmctld.pid").read() == pid  # kept, not restarted
    st = slurm_sh("status")
    assert st.returncode == 0 and " idle " in st.stdout + " ", st.stdout + st.stderr
    # a daemon that died (its pid file left behind, its node now unresponsive) is restarted
    slurmd_pid = int(open(f"/run/dpt-slurm/slurmd-{os.uname().nodename.split('.')[0]}.pid").read())
    os.kill(slurmd_pid, 9)
    again = slurm_sh("up", timeout=100)
    assert again.returncode == 0, again.stdout + again.stderr
    st = slurm_sh("status")
    assert st.returncode == 0 and " idle " in st.stdout + " ", st.stdout + st.stderr


# --- without a Slurm -------------------------------------------------------------------------


@pytest.mark.timeout(60)
def test_slurm_sh_skips_when_not_root():
    # the script comes on stdin: the checkout may not be readable by nobody (e.g. under /root)
    as_user = [] if os.geteuid() != 0 else ["setpriv", "--reuid=65534", "--regid=65534",
                                             "--clear-groups"]
    with open(SLURM_SH) as script:
        p = subprocess.run([*as_user, "bash", "-s", "up"], stdin=script, capture_output=True,
                           text=True, timeout=30, cwd="/")
    assert p.returncode == 77, p.stdout + p.stderr
    assert "skipped: needs root" in p.stderr


def _where_block(path):
    text = open(path).read()
    start = text.index("# --- where things are")
    return text[start:text.index("esac\nfi\n", start)]


def test_gpu_recipe_requests_one_gpu_per_rank():
    text = open(GPU).read()
    assert subprocess.run(["bash", "-n", GPU]).returncode == 0
    assert re.search(r"^#SBATCH --gpus-per-task=1$", text, re.M)
    assert "srun --gpus-per-task=1 --gpu-bind=none" in text and "--device cuda" in text
    # the checkout, DPT_VENV and PMI logic is the CPU recipe's, tested above
    assert _where_block(GPU).replace("cpu_multinode", "X") == \
        _where_block(CPU).replace("gpu_multinode", "X")


def _dry(argv, environ, monkeypatch):
    for k in [k for k in os.environ if k.startswith("SLURM_")]:
        monkeypatch.delenv(k)
    for k, v in environ.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setattr(dptrun, "_slurm_hostnames", lambda nl: nl.split(","))
    a = dptrun.build_parser().parse_args([*argv, "train.py"])
    dptrun.slurm_allocation(a)
    return dptrun.build_command(a, "mpich")


def test_dptrun_uses_the_slurm_allocation(monkeypatch, capsys):
    env = {"SLURM_JOB_ID": "7", "SLURM_JOB_NODELIST": "n1,n2", "SLURM_TASKS_PER_NODE": "3(x2)"}
    cmd = _dry([], env, monkeypatch)
    assert cmd[1:7] == ["-n", "6", "-ppn", "3", "-hosts", "n1:3,n2:3"]
    assert "dptrun: in Slurm job 7: 3 rank(s) on each of n1,n2" in capsys.readouterr().err
    # explicit counts win; --nnodes takes the first nodes of the allocation
    cmd = _dry(["--nnodes", "1", "--nproc-per-node", "2"], env, monkeypatch)
    assert cmd[1:7] == ["-n", "2", "-ppn", "2", "-hosts", "n1:2"]
    with pytest.raises(SystemExit, match="allocation has 2 node"):
        _dry(["--nnodes", "3"], env, monkeypatch)
    # explicit hosts: the allocation is not consulted
    cmd = _dry(["--hosts", "x,y"], env, monkeypatch)
    assert cmd[1:7] == ["-n", "2", "-ppn", "1", "-hosts", "x:1,y:1"]
    # outside Slurm: as before
    assert _dry([], {}, monkeypatch)[1:5] == ["-n", "1", "-ppn", "1"]


def test_dptrun_refuses_to_run_once_per_srun_task(monkeypatch):
    env = {"SLURM_JOB_ID": "7", "SLURM_JOB_NODELIST": "n1", "SLURM_STEP_ID": "0",
           "SLURM_STEP_NUM_TASKS": "2"}
    with pytest.raises(SystemExit, match="started by srun as one of several tasks"):
        _dry([], env, monkeypatch)
    env["SLURM_STEP_NUM_TASKS"] = "1"  # `srun -n1 dptrun ...` is one launcher: fine
    assert _dry([], env, monkeypatch)[1:5] == ["-n", "1", "-ppn", "1"]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("vendor,pmi", [("MPICH", "pmi2"), ("Open MPI", "pmix")])
@pytest.mark.parametrize("recipe", [CPU, GPU])
def test_recipe_picks_pmi_from_the_mpi_in_use(tmp_path, vendor, pmi, recipe):
    """The recipe's own logic, run by bash with stand-ins for the venv's python and for srun:
    the PMI flavour follows mpi4py's MPI, the checkout comes from the script's location (no
    scontrol here, and the job is "submitted" from elsewhere), DPT_VENV is activated."""
    venv, bin_ = tmp_path / "venv", tmp_path / "venv" / "bin"
    bin_.mkdir(parents=True)
    (bin_ / "activate").write_text(f'export PATH="{bin_}:$PATH"\n')
    (bin_ / "python").write_text(f"#!/bin/sh\necho '{vendor}'\n")
    (bin_ / "srun").write_text('#!/bin/sh\necho "srun $* | $SLURM_MPI_TYPE $PMIX_MCA_gds '
                               '$PMIX_MCA_psec | $PYTHONPATH"\n')
    for f in ("python", "srun"):
        (bin_ / f).chmod(0o755)
    env = {k: v for k, v in spawn_env({"DPT_VENV": str(venv)}).items()
           if not k.startswith(("SLURM_", "PMIX_"))}
    env.update(SLURM_JOB_ID="1", SLURM_SUBMIT_DIR=str(tmp_path))
    p = subprocess.run(["bash", recipe, "--epochs", "1"], capture_output=True, text=True,
                       timeout=30, env=env, cwd=tmp_path)
    assert p.returncode == 0, p.stdout + p.stderr
    line = p.stdout.strip().splitlines()[-1]
    assert f"python {DIGITS} " in line and line.split(" | ")[0].endswith("--epochs 1"), line
    assert f"--checkpoint {tmp_path}/ckpt-1.dpt" in line, line
    expect = "pmix hash native" if pmi == "pmix" else "pmi2"
    assert line.split(" | ")[1].strip() == expect, line
    assert line.split(" | ")[2].split(":")[0] == ROOT, line
