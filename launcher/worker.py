"""The per-rank wrapper dptrun starts under mpiexec (run by path, imports nothing from dpt).

It turns the MPI process manager's variables into torchrun-style ones (RANK,
LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, NODE_RANK, ...), picks this rank's
GPUs, then runs the user's script as its child with the MPI process-manager
connection inherited, prefixing each output line (and each carriage-return redraw of a
progress bar, forwarded as it comes) with ``[rank]`` and copying it
to a per-rank log file when asked. Its exit code is the script's.
"""
from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import threading

_RANK = ("PMI_RANK", "OMPI_COMM_WORLD_RANK", "PMIX_RANK", "SLURM_PROCID")
_SIZE = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "SLURM_NTASKS")


def _first(names, env):
    for n in names:
        v = env.get(n)
        if v is not None and v.isdigit():
            return int(v)
    return None


def worker_env(nproc_per_node: int, nnodes: int, restart: int, run_id: str,
               gpus_per_proc: int, environ=None) -> dict:
    """The environment of this rank's script (ranks are placed node by node, nproc_per_node each)."""
    env = dict(os.environ if environ is None else environ)
    rank, size = _first(_RANK, env), _first(_SIZE, env)
    if rank is None or size is None:
        raise SystemExit("dptrun worker: no MPI rank in the environment (run it through dptrun)")
    local_rank, node_rank = rank % nproc_per_node, rank // nproc_per_node
    env.update(RANK=str(rank), WORLD_SIZE=str(size), LOCAL_RANK=str(local_rank),
               LOCAL_WORLD_SIZE=str(nproc_per_node), NODE_RANK=str(node_rank),
               GROUP_RANK=str(node_rank), NNODES=str(nnodes), ROLE_RANK=str(rank),
               ROLE_WORLD_SIZE=str(size), DPT_RUN_ID=run_id, DPT_RESTART_COUNT=str(restart),
               TORCHELASTIC_RESTART_COUNT=str(restart), PYTHONUNBUFFERED="1")
    if gpus_per_proc > 0:
        visible = env.get("CUDA_VISIBLE_DEVICES")
        devices = visible.split(",") if visible else [str(i) for i in range(
            gpus_per_proc * nproc_per_node)]
        mine = devices[local_rank * gpus_per_proc:(local_rank + 1) * gpus_per_proc]
        if len(mine) < gpus_per_proc:
            raise SystemExit(f"dptrun worker: rank {rank} needs {gpus_per_proc} GPU(s) but only "
                             f"{len(devices)} are visible on this node")
        env["CUDA_VISIBLE_DEVICES"] = ",".join(mine)
    return env


def _die_with_parent():
    try:
        import ctypes
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:
        pass


_PIECE = re.compile(rb"[^\r\n]*(?:\r\n|\r|\n)")


def _pieces(buf: bytes):
    """Split buf after every newline or carriage return ('\r\n' stays one ending): the
    complete pieces and the unfinished rest."""
    pieces = _PIECE.findall(buf)
    return pieces, buf[sum(map(len, pieces)):]


def _pump(src, dst, prefix: str, log, lock):
    """Copy the child's output to dst (and log) piece by piece, each with the rank prefix.

    A piece ends at a newline or at a carriage return, so progress bars that redraw their line
    with '\r' (tqdm) move live instead of waiting for the next newline. A bare '\r' (the
    start of a redraw), or the '\n' of a '\r\n' split over two reads, gets no prefix. Text
    after a '\r' (tqdm writes '\r' + the bar, with no ending) is passed on at once, not held
    until the next redraw; what follows it on the same line then gets no prefix."""
    pre = prefix.encode()
    fd, rest, after_cr, continuing = src.fileno(), b"", False, False
    while True:
        chunk = os.read(fd, 65536)
        pieces, rest = _pieces(rest + chunk) if chunk else ([rest] if rest else [], b"")
        out = []
        for piece in pieces:
            bare = continuing or piece == b"\r" or (piece == b"\n" and after_cr)
            out.append(piece if bare else pre + piece)
            after_cr, continuing = piece.endswith(b"\r"), False
        if rest and after_cr:  # a redraw in progress: show it now
            out.append(rest if continuing else pre + rest)
            rest, continuing = b"", True
        if out:
            data = b"".join(out)
            with lock:
                if dst is not None:
                    dst.buffer.write(data)
                    dst.flush()
                if log is not None:
                    log.write(data)
                    log.flush()
        if not chunk:
            break
    src.close()


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="dptrun-worker")
    p.add_argument("--nproc-per-node", type=int, required=True)
    p.add_argument("--nnodes", type=int, default=1)
    p.add_argument("--restart", type=int, default=0)
    p.add_argument("--run-id", default="none")
    p.add_argument("--gpus-per-proc", type=int, default=0)
    p.add_argument("--log-dir")
    p.add_argument("--tee", action="store_true")
    p.add_argument("--no-prefix", action="store_true")
    p.add_argument("-m", dest="module", action="store_true")
    p.add_argument("target")
    p.add_argument("args", nargs=argparse.REMAINDER)
    a = p.parse_args(argv)
    env = worker_env(a.nproc_per_node, a.nnodes, a.restart, a.run_id, a.gpus_per_proc)
    rank = int(env["RANK"])
    cmd = [sys.executable] + (["-m", a.target] if a.module else [a.target]) + a.args
    fds = tuple(int(env[k]) for k in ("PMI_FD",) if env.get(k, "").isdigit())
    log = None
    if a.log_dir:
        d = os.path.join(a.log_dir, f"attempt_{a.restart}")
        os.makedirs(d, exist_ok=True)
        log = open(os.path.join(d, f"rank_{rank}.log"), "wb")
    console = a.tee or log is None
    prefix = "" if a.no_prefix else f"[{rank}] "
    if prefix:
        env["DPT_RANK_PREFIXED"] = "1"
    child = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             pass_fds=fds, preexec_fn=_die_with_parent)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda s, f: child.send_signal(s))
    lock = threading.Lock()
    pumps = [threading.Thread(target=_pump, args=(child.stdout, sys.stdout if console else None,
                                                  prefix, log, lock)),
             threading.Thread(target=_pump, args=(child.stderr, sys.stderr if console else None,
                                                  prefix, log, lock))]
    for t in pumps:
        t.start()
    rc = child.wait()
    for t in pumps:
        t.join()
    if log is not None:
        log.close()
    return rc if rc >= 0 else 128 - rc


if __name__ == "__main__":
    sys.exit(main())
