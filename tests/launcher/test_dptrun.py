"""dptrun: command lines for MPICH and Open MPI, worker variables, rank prefixes, logs, restarts
and exit codes. Jobs run through the real mpiexec, each with a timeout."""
import os
import select
import subprocess
import sys
import textwrap
import time

import pytest

from launcher import dptrun
from launcher.worker import worker_env

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
pytestmark = pytest.mark.timeout(90)


def run_dptrun(tmp_path, source, *flags, timeout=60, script_args=()):
    script = tmp_path / "job.py"
    script.write_text(textwrap.dedent(source))
    env = {k: v for k, v in os.environ.items()
           if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "DPT_RUN_ID", "DPT_RANK_PREFIXED")}
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    cmd = [sys.executable, "-m", "launcher.dptrun", *flags, str(script), *script_args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env,
                          cwd=tmp_path)


def command(*argv, flavor="mpich"):
    a = dptrun.build_parser().parse_args(list(argv))
    return dptrun.build_command(a, flavor)


def test_mpich_command_line():
    cmd = command("--nproc-per-node", "4", "--hosts", "a:8,b", "train.py", "--lr", "0.1")
    assert cmd[:7] == ["mpiexec", "-n", "8", "-ppn", "4", "-hosts", "a:4,b:4"]
    assert cmd[7:9] == [sys.executable, dptrun.WORKER]
    assert cmd[-3:] == ["train.py", "--lr", "0.1"]
    assert "--allow-run-as-root" not in cmd


def test_openmpi_command_line(tmp_path):
    hostfile = tmp_path / "hosts"
    hostfile.write_text("# nodes\nn1 slots=2\nn2\nn3\n")
    cmd = command("--nproc-per-node", "2", "--nnodes", "2", "--hostfile", str(hostfile),
                  "-m", "pkg.train", flavor="openmpi")
    assert cmd[:6] == ["mpiexec", "-n", "4", "--map-by", "ppr:2:node", "--oversubscribe"]
    assert ("--allow-run-as-root" in cmd) == (os.geteuid() == 0)
    assert cmd[cmd.index("--host") + 1] == "n1:2,n2:2"
    assert cmd[-2:] == ["-m", "pkg.train"]


def test_dry_run_and_help(capsys):
    assert dptrun.main(["--dry-run", "--mpi-flavor", "mpich", "--nproc-per-node", "3",
                        "--log-dir", "logs", "--tee", "x.py", "y"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("mpiexec -n 3 -ppn 3 ") and out.rstrip().endswith("--tee x.py y")
    with pytest.raises(SystemExit) as e:
        dptrun.main(["--help"])
    assert e.value.code == 0
    text = capsys.readouterr().out
    for flag in ("--nproc-per-node", "--nnodes", "--node-rank", "--hostfile", "--hosts",
                 "--max-restarts", "--log-dir", "--tee", "--gpus-per-proc", "--dry-run", "-m"):
        assert flag in text


def test_too_few_hosts_is_an_error():
    with pytest.raises(SystemExit, match="only 1 host"):
        command("--nnodes", "2", "--hosts", "a", "x.py")


def test_other_node_ranks_do_nothing(capsys):
    assert dptrun.main(["--node-rank", "1", "--nnodes", "2", "x.py"]) == 0
    assert "node 0 starts every node" in capsys.readouterr().err


def test_worker_env_places_ranks_node_by_node():
    env = worker_env(2, 2, 1, "id", 1, {"PMI_RANK": "3", "PMI_SIZE": "4",
                                        "CUDA_VISIBLE_DEVICES": "4,5,6,7"})
    assert (env["RANK"], env["LOCAL_RANK"], env["NODE_RANK"], env["WORLD_SIZE"],
            env["LOCAL_WORLD_SIZE"], env["DPT_RESTART_COUNT"]) == ("3", "1", "1", "4", "2", "1")
    assert env["CUDA_VISIBLE_DEVICES"] == "5"
    env = worker_env(2, 1, 0, "id", 2, {"OMPI_COMM_WORLD_RANK": "0",
                                        "OMPI_COMM_WORLD_SIZE": "2"})
    assert env["CUDA_VISIBLE_DEVICES"] == "0,1"


def test_env_vars_and_rank_prefixes(tmp_path):
    res = run_dptrun(tmp_path, """
        import os, sys
        import dpt.distributed as dist
        keys = ("RANK", "LOCAL_RANK", "WORLD_SIZE", "LOCAL_WORLD_SIZE", "NODE_RANK")
        print(" ".join(os.environ[k] for k in keys), sys.argv[1:])
        dist.init_process_group()
        print("dist", dist.get_rank(), dist.get_world_size(), dist.get_local_rank(),
              dist.get_node_rank())
    """, "--nproc-per-node", "2", script_args=("--flag", "v"))
    assert res.returncode == 0, res.stderr
    lines = sorted(res.stdout.splitlines())
    assert lines == ["[0] 0 0 2 2 0 ['--flag', 'v']", "[0] dist 0 2 0 0",
                     "[1] 1 1 2 2 0 ['--flag', 'v']", "[1] dist 1 2 1 0"]


def test_exit_code_is_the_failing_ranks(tmp_path):
    res = run_dptrun(tmp_path, """
        import os, sys
        if os.environ["RANK"] == "1":
            sys.exit(3)
    """, "--nproc-per-node", "2")
    assert res.returncode == 3


def test_crash_traceback_once_with_prefix(tmp_path):
    res = run_dptrun(tmp_path, """
        import dpt.distributed as dist
        dist.init_process_group()
        if dist.get_rank() == 0:
            raise KeyError("lost")
        dist.barrier()
    """, "--nproc-per-node", "2")
    assert res.returncode == 1
    assert [ln for ln in res.stderr.splitlines() if "KeyError: 'lost'" in ln] == \
        ["[0] KeyError: 'lost'"]
    assert "[0] Traceback (most recent call last):" in res.stderr


def test_restarts_resume_and_logs(tmp_path):
    res = run_dptrun(tmp_path, """
        import os, dpt.distributed as dist
        dist.init_process_group()
        attempt = int(os.environ["DPT_RESTART_COUNT"])
        start = int(open("ckpt").read()) if os.path.exists("ckpt") else 0
        print("attempt", attempt, "resumes at", start, flush=True)
        dist.barrier()
        if dist.get_rank() == 0:
            with open("ckpt", "w") as f:
                f.write(str(start + 1))
        dist.barrier()
        if attempt < 2 and dist.get_rank() == 1:
            raise SystemExit(5)
    """, "--nproc-per-node", "2", "--max-restarts", "3", "--log-dir", "logs", "--tee")
    assert res.returncode == 0, res.stderr
    assert res.stderr.count("restarting") == 2
    assert "[1] attempt 2 resumes at 2" in res.stdout
    log = (tmp_path / "logs" / "attempt_1" / "rank_1.log").read_text()
    assert log == "[1] attempt 1 resumes at 1\n"


def test_restarts_exhausted_return_the_failure(tmp_path):
    res = run_dptrun(tmp_path, """
        import os, sys
        sys.exit(4 if os.environ["RANK"] == "0" else 0)
    """, "--nproc-per-node", "2", "--max-restarts", "1", "--log-dir", "logs")
    assert res.returncode == 4
    assert "after 1 restart(s)" in res.stderr
    assert res.stdout == ""  # --log-dir without --tee keeps the console quiet


@pytest.mark.parametrize("redraw, expected", [
    ("{}\r", b"[0] a\r[0] b\r[0] c\r[0] done\n"),       # text, then '\\r'
    ("\r{}", b"\r[0] a\r[0] b\r[0] c\n[0] done\n"),    # tqdm: '\\r', then the bar
])
def test_carriage_return_updates_are_forwarded_live(tmp_path, redraw, expected):
    """A progress-bar redraw reaches the console, prefixed, while the script is still running:
    the script waits for the test to see each one before it goes on, so a launcher that holds
    output until a newline (or until the next redraw) makes this test time out, not pass."""
    script = tmp_path / "bar.py"
    script.write_text(textwrap.dedent(f"""
        import os, sys, time
        for i, step in enumerate("abc"):
            sys.stdout.write({redraw!r}.format(step))
            sys.stdout.flush()
            deadline = time.monotonic() + 60
            while not os.path.exists(f"seen{{i}}") and time.monotonic() < deadline:
                time.sleep(0.02)
        if {redraw!r}.startswith("\\r"):
            sys.stdout.write("\\n")
        print("done")
    """))
    env = {k: v for k, v in os.environ.items()
           if k not in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "DPT_RUN_ID", "DPT_RANK_PREFIXED")}
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.Popen([sys.executable, "-m", "launcher.dptrun", str(script)],
                            stdout=subprocess.PIPE, env=env, cwd=tmp_path)
    got = b""

    def read_until(expected: bytes, timeout: float = 30.0) -> None:
        nonlocal got
        deadline = time.monotonic() + timeout
        while expected not in got:
            left = deadline - time.monotonic()
            ready, _, _ = select.select([proc.stdout], [], [], max(left, 0))
            assert ready, f"{expected!r} not forwarded within {timeout} s; got {got!r}"
            chunk = os.read(proc.stdout.fileno(), 4096)
            assert chunk, f"output ended before {expected!r}; got {got!r}"
            got += chunk

    try:
        for i, step in enumerate("abc"):
            read_until(f"[0] {step}".encode())
            assert b"done" not in got
            (tmp_path / f"seen{i}").touch()
        read_until(b"[0] done\n")
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
    assert got == expected


def test_output_pieces_split_at_newlines_and_carriage_returns():
    from launcher.worker import _pieces
    assert _pieces(b"a\rb\r\nc\n\nd") == ([b"a\r", b"b\r\n", b"c\n", b"\n"], b"d")
    assert _pieces(b"\rbar") == ([b"\r"], b"bar")
