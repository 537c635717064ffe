"""Peak memory of a training step: dpt vs PyTorch, and a DDP step vs a local step on 2 ranks.

    python benchmarks/memory.py [--repeat 3] [--which mlp,cnn] [--no-ddp]

The steps are those of train_step.py (MLP 784-512-512-10 batch 128; the small CNN batch 64;
cross-entropy, SGD momentum 0.9, one BLAS/torch thread). Every case runs in a fresh
subprocess, so neither library sees the other's heap:

1. build the model, the optimizer and the batch, and run 2 warm-up steps;
2. give freed heap pages back to the kernel (glibc ``malloc_trim(0)``), so pages that the
   allocator caches do not hide the step's peak; reset the kernel's peak-RSS counter
   (``/proc/self/clear_refs`` <- 5 resets VmHWM) and read VmRSS;
3. run one step (zero_grad, forward, loss, backward, optimizer step) and read VmHWM.

"step peak" is VmHWM - VmRSS before the step: the memory a step needs on top of what is held
between steps. "held" is VmRSS before the step minus VmRSS before the model was built
(parameters, gradients, optimizer state, DDP buckets, the batch). Both in MB (10^6 bytes),
the median over ``--repeat`` fresh processes. For dpt the step peak is cross-checked with
tracemalloc (numpy reports its array allocations to it): tracing starts before the warm-up
steps, so the arrays held between steps are traced too, and the figure is the traced peak
during the step minus the traced total before it. Target (issue 14): dpt's step peak at most
1.2x torch's.

glibc keeps freed heap pages for reuse, and what a step reuses from them never shows in VmHWM,
so the figures move between runs by as much as the allocator happened to cache; with
``MALLOC_MMAP_THRESHOLD_=65536`` in the environment (the children inherit it) every array is
its own mapping, returned on free, and the step peak becomes the live-array peak.

The DDP cases run under ``mpiexec -n 2``: a local step (no wrapper) and a DDP step of the same
MLP on each rank; each rank measures itself and the larger of the two is reported. DDP should
add its gradient buckets (one flat buffer per bucket, as large as the parameters) to "held"
and nothing to the step peak.
"""
from __future__ import annotations

import argparse
import ctypes
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
MB = 1e6


def _status(key: str) -> int:
    """A VmXXX line of /proc/self/status, in bytes."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"{key} not in /proc/self/status (Linux only)")


def _trim() -> None:
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _reset_peak() -> None:
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def run_case(lib_name: str, kind: str, ddp: bool | None, trace: bool) -> dict:
    """One measurement in this process; ddp is None outside mpiexec, else local/DDP step."""
    import tracemalloc

    import numpy as np

    sys.path.insert(0, HERE)
    import train_step

    if lib_name == "torch":
        import torch as lib
        lib.set_num_threads(1)
    else:
        import dpt as lib
    try:
        from threadpoolctl import threadpool_limits
        threadpool_limits(1)
    except ImportError:
        pass
    wrap = None
    if ddp is not None:
        wrap = _init_dist(lib_name)
    if trace:
        tracemalloc.start()
    _trim()
    rss0 = _status("VmRSS")
    step = train_step.framework_step(lib, kind, wrap=wrap if ddp else None)
    for _ in range(2):
        step()
    _trim()
    traced0 = tracemalloc.get_traced_memory()[0] if trace else 0
    if trace:
        tracemalloc.reset_peak()
    _reset_peak()
    rss1 = _status("VmRSS")
    step()
    hwm = _status("VmHWM")
    out = {"held": (rss1 - rss0) / MB, "peak": (hwm - rss1) / MB}
    if trace:
        out["traced"] = (tracemalloc.get_traced_memory()[1] - traced0) / MB
        tracemalloc.stop()
    del np
    return out


def _init_dist(lib_name: str):
    """Initialise the process group under mpiexec; returns the DDP wrapper class."""
    if lib_name == "torch":
        import torch
        import torch.distributed as tdist
        rank = int(os.environ.get("PMI_RANK", os.environ.get("OMPI_COMM_WORLD_RANK", 0)))
        world = int(os.environ.get("PMI_SIZE", os.environ.get("OMPI_COMM_WORLD_SIZE", 1)))
        os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
        os.environ.setdefault("MASTER_PORT", "29537")
        tdist.init_process_group("gloo", rank=rank, world_size=world)
        return torch.nn.parallel.DistributedDataParallel
    import dpt
    import dpt.distributed as dist
    dist.init_process_group()
    return dpt.nn.parallel.DistributedDataParallel


def _child_env():
    return dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
                PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))


def _spawn(args: list, mpi: bool = False) -> list:
    cmd = [sys.executable, __file__] + args
    if mpi:
        cmd = ["mpiexec", "-n", "2"] + cmd
    out = subprocess.run(cmd, capture_output=True, text=True, env=_child_env(), timeout=900)
    rows, decoder = [], json.JSONDecoder()
    for line in out.stdout.splitlines():  # two ranks' lines may share one line of output
        pos = line.find("{")
        while pos >= 0:
            row, end = decoder.raw_decode(line, pos)
            rows.append(row)
            pos = line.find("{", end)
    if not rows:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{out.stderr[-3000:]}")
    return rows


def _median(rows: list) -> dict:
    return {k: statistics.median(r[k] for r in rows) for k in rows[0]}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--which", default="mlp,cnn")
    ap.add_argument("--no-ddp", action="store_true", help="skip the 2-rank DDP cases")
    ap.add_argument("--case", default=None, help=argparse.SUPPRESS)  # lib:kind[:local|:ddp]
    ap.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.case:
        lib_name, kind, *mode = args.case.split(":")
        ddp = None if not mode else mode[0] == "ddp"
        print(json.dumps(run_case(lib_name, kind, ddp, args.trace)), flush=True)
        return

    try:
        import torch  # noqa: F401
        libs = ["dpt", "torch"]
    except ImportError:
        libs = ["dpt"]
    print(f"{'step':5} {'impl':6} {'held MB':>8} {'step peak MB':>13} {'traced MB':>10}   "
          f"dpt/torch (step peak)")
    for kind in args.which.split(","):
        res = {}
        for lib_name in libs:
            rows = [_spawn(["--case", f"{lib_name}:{kind}"])[0] for _ in range(args.repeat)]
            res[lib_name] = _median(rows)
            if lib_name == "dpt":  # tracing slows the step: its own processes
                traced = [_spawn(["--case", f"dpt:{kind}", "--trace"])[0]["traced"]
                          for _ in range(args.repeat)]
                res[lib_name]["traced"] = statistics.median(traced)
        for lib_name, r in res.items():
            ratio = f"   {res['dpt']['peak'] / r['peak']:.2f}x" if lib_name == "torch" else ""
            traced = f"{r['traced']:10.1f}" if "traced" in r else f"{'-':>10}"
            print(f"{kind:5} {lib_name:6} {r['held']:8.1f} {r['peak']:13.1f} {traced}{ratio}",
                  flush=True)
    if args.no_ddp:
        return
    print(f"\n2 ranks (mpiexec), MLP step, larger rank; median of {args.repeat} jobs")
    print(f"{'impl':6} {'mode':6} {'held MB':>8} {'step peak MB':>13}")
    for lib_name in libs:
        for mode in ("local", "ddp"):
            rows = []
            for _ in range(args.repeat):
                ranks = _spawn(["--case", f"{lib_name}:mlp:{mode}"], mpi=True)
                rows.append({k: max(r[k] for r in ranks) for k in ranks[0]})
            r = _median(rows)
            print(f"{lib_name:6} {mode:6} {r['held']:8.1f} {r['peak']:13.1f}", flush=True)


if __name__ == "__main__":
    main()
