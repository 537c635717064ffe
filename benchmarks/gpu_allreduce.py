"""NCCL all-reduce bus bandwidth of dpt (backend 'nccl', cupy arrays), one GPU per rank.

    mpiexec -n <gpus> python benchmarks/gpu_allreduce.py [--max-mb 256]

Bus bandwidth = bytes * 2(n-1)/n / time (NCCL-tests' definition), float32 SUM, median of
rounds. With torch (CUDA + NCCL) installed, torch.distributed's all_reduce is timed on the
same GPUs in the same run (rendezvous over localhost, rank and size from MPI). Prints
``RESULT allreduce-<size>-<impl> <GB/s>`` lines for benchmarks/gpu_check.sh. Target (issue 11):
dpt at least 90% of torch.distributed with NCCL. On one GPU there is nothing to measure.
"""
import argparse
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def sweep(label, allreduce, make, sync, sizes, n, rounds):
    for size in sizes:
        buf = make(size // 4)
        for _ in range(3):
            allreduce(buf)
        sync()
        times = []
        for _ in range(rounds):
            t0 = time.perf_counter()
            allreduce(buf)
            sync()
            times.append(time.perf_counter() - t0)
        bw = size * 2 * (n - 1) / n / statistics.median(times) / 1e9
        yield size, label, bw


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--max-mb", type=int, default=256)
    ap.add_argument("--rounds", type=int, default=10)
    a = ap.parse_args()
    import dpt
    import dpt.distributed as dist

    dist.init_process_group("nccl")
    n, r = dist.get_world_size(), dist.get_rank()
    gpu = dist.get_local_rank() % dpt.cuda.device_count()
    dpt.cuda.set_device(gpu)
    sizes = [1 << k for k in range(12, 21 + (a.max_mb.bit_length() - 1) + 1, 2)]
    out = list(sweep("dpt", dist.all_reduce,
                     lambda k: dpt.ones(k, device=f"cuda:{gpu}"), dpt.cuda.synchronize,
                     sizes, n, a.rounds))
    try:
        import torch
        import torch.distributed as tdist
        if torch.cuda.is_available() and tdist.is_nccl_available():
            os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
            os.environ.setdefault("MASTER_PORT", "29531")
            torch.cuda.set_device(gpu)
            tdist.init_process_group("nccl", rank=r, world_size=n)
            out += list(sweep("torch", tdist.all_reduce,
                              lambda k: torch.ones(k, device=f"cuda:{gpu}"),
                              torch.cuda.synchronize, sizes, n, a.rounds))
            tdist.destroy_process_group()
    except ImportError:
        pass
    if r == 0:
        for size, label, bw in out:
            print(f"RESULT allreduce-{size >> 10}KB-{label} {bw:.2f}", flush=True)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
