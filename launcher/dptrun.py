"""dptrun: start a dpt job through mpiexec, torchrun style.

    dptrun --nproc-per-node 4 train.py --lr 0.1
    dptrun --nproc-per-node 4 --hosts node1:4,node2:4 train.py
    dptrun --nproc-per-node 2 --max-restarts 3 --log-dir logs -m mypkg.train
    dptrun --nnodes 2 --nproc-per-node 2 --hosts dpt-node0,dpt-node1 \
           --mpiexec-args="-iface dptbr0" train.py      (the local rig, cluster/local/)

dptrun builds one ``mpiexec`` command line (MPICH Hydra and Open MPI are told
apart by ``mpiexec --version`` and get their own flags, including Open MPI's
--allow-run-as-root and --oversubscribe), runs it, and restarts the whole job
after a failure at most --max-restarts times. Every rank runs under a small
wrapper (launcher/worker.py) that sets RANK, LOCAL_RANK, WORLD_SIZE,
LOCAL_WORLD_SIZE, NODE_RANK, picks GPUs and prefixes output lines with
``[rank]``. All nodes are started from node 0 through mpiexec, so unlike
torchrun there is nothing to run on the other nodes: a dptrun with
--node-rank > 0 (the same command line run everywhere, as with torchrun)
just exits 0.
"""
from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
import uuid

WORKER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "worker.py")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="dptrun", description="Run a dpt script on N processes per node through mpiexec.",
        epilog="Each rank sees RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, NODE_RANK, NNODES "
               "and DPT_RESTART_COUNT (also via dpt.distributed.get_local_rank() etc.). The exit "
               "code is the failing rank's. Scripts run unchanged under plain "
               "`mpiexec -n N python script.py` and `srun python script.py` too.")
    p.add_argument("--nproc-per-node", "--nproc_per_node", dest="nproc_per_node", type=int,
                   default=None, metavar="N",
                   help="processes per node (default 1; inside a Slurm allocation its tasks per node)")
    p.add_argument("--nnodes", type=int, default=None, metavar="M",
                   help="number of nodes (default: the number of hosts given, else 1)")
    p.add_argument("--node-rank", "--node_rank", dest="node_rank", type=int, default=0,
                   metavar="R", help="this node's index; only node 0 launches (others exit 0)")
    hosts = p.add_mutually_exclusive_group()
    hosts.add_argument("--hostfile", metavar="FILE",
                       help="file with one host per line (the first M are used)")
    hosts.add_argument("--hosts", metavar="a:4,b:4",
                       help="comma-separated hosts, optionally with slot counts")
    p.add_argument("--max-restarts", "--max_restarts", dest="max_restarts", type=int, default=0,
                   metavar="K", help="restart the whole job after a failure, K times at most")
    p.add_argument("--log-dir", "--log_dir", dest="log_dir", metavar="DIR",
                   help="write each rank's output to DIR/attempt_K/rank_R.log "
                        "(and not to the console unless --tee)")
    p.add_argument("--tee", action="store_true",
                   help="with --log-dir, also print the output on the console")
    p.add_argument("--no-prefix", action="store_true", help="do not prefix lines with [rank]")
    p.add_argument("--gpus-per-proc", type=int, default=0, metavar="G",
                   help="give each local rank its own G GPUs through CUDA_VISIBLE_DEVICES "
                        "(default 0: leave device selection to the script)")
    p.add_argument("--mpiexec", default=os.environ.get("DPT_MPIEXEC", "mpiexec"),
                   help="the mpiexec to run (default: $DPT_MPIEXEC or mpiexec on PATH)")
    p.add_argument("--mpi-flavor", choices=("mpich", "openmpi"), default=None,
                   help="skip detection: the flags to use (MPICH Hydra or Open MPI)")
    p.add_argument("--mpiexec-args", "--mpi-args", dest="mpi_args", default="", metavar="ARGS",
                   help="extra arguments for mpiexec, as one shell-quoted string, e.g. "
                        "--mpiexec-args=\"-iface dptbr0\" on the local rig "
                        "(cluster/local/rig.sh)")
    p.add_argument("--dry-run", action="store_true",
                   help="print the mpiexec command line and exit")
    p.add_argument("-m", "--module", dest="module", action="store_true",
                   help="run the target as a module (python -m)")
    p.add_argument("target", help="script.py (or module with -m)")
    p.add_argument("args", nargs=argparse.REMAINDER, help="arguments of the script")
    return p


def detect_flavor(mpiexec: str) -> str:
    """'mpich' for MPICH Hydra (and MPICH derivatives), 'openmpi' for Open MPI."""
    try:
        out = subprocess.run([mpiexec, "--version"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise SystemExit(f"dptrun: cannot run {mpiexec!r} ({e}); install an MPI "
                         "(pip install 'dpt[mpich]') or pass --mpiexec") from None
    text = (out.stdout + out.stderr).lower()
    if "open mpi" in text or "openrte" in text or "open-mpi" in text:
        return "openmpi"
    return "mpich"


def _host_list(a) -> list:
    if a.hosts:
        return [h.strip() for h in a.hosts.split(",") if h.strip()]
    if a.hostfile:
        with open(a.hostfile) as f:
            # "host", "host:4" or "host slots=4": the host name is the first word
            return [ln.split("#")[0].split()[0] for ln in f if ln.split("#")[0].strip()]
    return []


def _slurm_hostnames(nodelist: str) -> list:
    try:
        out = subprocess.run(["scontrol", "show", "hostnames", nodelist], capture_output=True,
                             text=True, timeout=20)
        if out.returncode == 0 and out.stdout.split():
            return out.stdout.split()
    except (OSError, subprocess.TimeoutExpired):
        pass
    if "[" in nodelist:
        raise SystemExit(f"dptrun: cannot expand the Slurm node list {nodelist!r} (no scontrol); "
                         "pass --hosts")
    return [h for h in nodelist.split(",") if h]


def slurm_allocation(a, environ=None) -> None:
    """Inside a Slurm allocation (sbatch script, salloc shell) with no --hosts/--hostfile: run on
    the allocation's nodes, its tasks per node by default (mpiexec then starts the ranks through
    srun). dptrun started by srun itself, once per task, would start the job once per task: it
    refuses and says what to do instead."""
    env = os.environ if environ is None else environ
    nodelist = env.get("SLURM_JOB_NODELIST") or env.get("SLURM_NODELIST")
    if not env.get("SLURM_JOB_ID") or not nodelist or a.hosts or a.hostfile:
        return
    if env.get("SLURM_STEP_ID") is not None and int(env.get("SLURM_STEP_NUM_TASKS", "1")) > 1:
        raise SystemExit("dptrun: started by srun as one of several tasks; run dptrun once, from "
                         "the batch script or the salloc shell (it uses the allocation's nodes), "
                         "or skip it: srun python script.py")
    hosts = _slurm_hostnames(nodelist)
    if a.nnodes and a.nnodes > len(hosts):
        raise SystemExit(f"dptrun: --nnodes {a.nnodes} but the Slurm allocation has "
                         f"{len(hosts)} node(s): {','.join(hosts)}")
    if a.nproc_per_node is None:
        per_node = env.get("SLURM_NTASKS_PER_NODE") or env.get("SLURM_TASKS_PER_NODE", "1")
        a.nproc_per_node = int(per_node.split("(")[0].split(",")[0] or 1)  # "2(x3),1" -> 2
    a.hosts = ",".join(hosts[:a.nnodes or len(hosts)])
    print(f"dptrun: in Slurm job {env['SLURM_JOB_ID']}: {a.nproc_per_node} rank(s) on each of "
          f"{a.hosts}", file=sys.stderr, flush=True)


def build_command(a, flavor: str, restart: int = 0, run_id: str = "dry-run") -> list:
    hosts = _host_list(a)
    if a.nproc_per_node is None:
        a.nproc_per_node = 1
    nnodes = a.nnodes or max(1, len(hosts))
    if hosts and len(hosts) < nnodes:
        raise SystemExit(f"dptrun: --nnodes {nnodes} but only {len(hosts)} host(s) given")
    if a.nproc_per_node < 1:
        raise SystemExit("dptrun: --nproc-per-node must be at least 1")
    n, np_total = a.nproc_per_node, a.nproc_per_node * nnodes
    # Each host gets exactly N slots so ranks fill node after node, N per node.
    slots = ",".join(f"{h.split(':')[0]}:{n}" for h in hosts[:nnodes])
    cmd = [a.mpiexec]
    if flavor == "openmpi":
        cmd += ["-n", str(np_total), "--map-by", f"ppr:{n}:node", "--oversubscribe"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.append("--allow-run-as-root")
        if hosts:
            cmd += ["--host", slots]
    else:  # MPICH Hydra: oversubscription and root are fine by default
        cmd += ["-n", str(np_total), "-ppn", str(n)]
        if hosts:
            cmd += ["-hosts", slots]
    cmd += shlex.split(a.mpi_args)
    cmd += [sys.executable, WORKER, "--nproc-per-node", str(n), "--nnodes", str(nnodes),
            "--restart", str(restart), "--run-id", run_id, "--gpus-per-proc",
            str(a.gpus_per_proc)]
    if a.log_dir:
        cmd += ["--log-dir", os.path.abspath(a.log_dir)]
    if a.tee:
        cmd.append("--tee")
    if a.no_prefix:
        cmd.append("--no-prefix")
    if a.module:
        cmd.append("-m")
    return cmd + [a.target] + list(a.args)


def main(argv=None) -> int:
    a = build_parser().parse_args(argv)
    if a.node_rank > 0:
        print(f"dptrun: node rank {a.node_rank}: nothing to do here, node 0 starts every node "
              "through mpiexec", file=sys.stderr)
        return 0
    slurm_allocation(a)
    flavor = a.mpi_flavor or ("mpich" if a.dry_run and not shutil.which(a.mpiexec)
                              else detect_flavor(a.mpiexec))
    if a.dry_run:
        print(shlex.join(build_command(a, flavor)))
        return 0
    run_id = uuid.uuid4().hex[:12]
    rc = 0
    for attempt in range(a.max_restarts + 1):
        cmd = build_command(a, flavor, attempt, run_id)
        try:
            rc = subprocess.run(cmd).returncode
        except KeyboardInterrupt:
            return 130
        if rc == 0:
            return 0
        rc = rc if rc > 0 else 128 - rc
        if attempt < a.max_restarts:
            # The new attempt sees DPT_RESTART_COUNT=attempt+1 and resumes from its newest
            # checkpoint (dpt.distributed.checkpoint.Checkpointer.restore).
            print(f"dptrun: the job failed with exit code {rc}; restarting "
                  f"({attempt + 1}/{a.max_restarts})", file=sys.stderr, flush=True)
    if a.max_restarts:
        print(f"dptrun: the job failed with exit code {rc} after {a.max_restarts} restart(s)",
              file=sys.stderr, flush=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
