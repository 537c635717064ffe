"""All-reduce bandwidth: dpt.distributed.all_reduce against raw mpi4py Allreduce, same buffers,
same run; dpt both with its collective check (on by default) and without it.

    mpiexec -n 2 python benchmarks/allreduce_bandwidth.py            # 4 KB .. 64 MB, float32
    python benchmarks/allreduce_bandwidth.py                         # re-launches itself on 2 ranks

Bus bandwidth is size * 2(n-1)/n / time, the traffic each rank's link carries in a ring
all-reduce (NCCL-tests' definition), so numbers compare across world sizes. Each round of a
size runs 24 short blocks of each side in turn (dpt checked, dpt unchecked, raw; the order
rotates), so a change of the machine's speed within a round hits every side alike, and the
median round is reported; "chk/unchk" is the median of the per-round ratios, "best c/u" the
ratio of the fastest rounds (closest to an idle
machine when the machine is shared). "checked" is the default (DPT_COLLECTIVE_CHECK=1: one 64-byte
all-reduce per collective that verifies every rank makes the same call, see
dpt.distributed.fingerprint); "unchecked" is DPT_COLLECTIVE_CHECK=0. "mpi c/u" is what such a
second message costs in MPI alone: raw mpi4py with a persistent 64-byte all-reduce started
beside each call, over raw mpi4py (the floor of any check that is a message of its own). Targets: dpt (checked)
within 10% of raw from 256 KB up; the check costs at most 5% from 256 KB up and at most 1.5x
at 4 KB.
"""
import argparse
import os
import subprocess
import sys
import time

import numpy as np


def _relaunch(n: int) -> int:
    cmd = ["mpiexec", "-n", str(n), sys.executable, os.path.abspath(__file__), *sys.argv[1:]]
    return subprocess.call(cmd)


_BLOCKS = 24  # blocks per side and round


def _rounds(fn, iters: int) -> float:
    t0 = time.perf_counter()
    for _ in range(iters):
        fn()
    return (time.perf_counter() - t0) / iters


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--min-bytes", type=int, default=4 << 10)
    p.add_argument("--max-bytes", type=int, default=64 << 20)
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--ranks", type=int, default=2, help="ranks to re-launch with when run alone")
    a = p.parse_args()
    if not any(k in os.environ for k in ("PMI_RANK", "OMPI_COMM_WORLD_RANK", "PMIX_RANK")):
        return _relaunch(a.ranks)

    import dpt
    import dpt.distributed as dist
    from dpt.distributed import fingerprint
    from mpi4py import MPI

    dist.init_process_group()
    comm = MPI.COMM_WORLD
    check_comm = comm.Dup()
    agreed = np.zeros(8, np.int64)
    check_req = check_comm.Allreduce_init(MPI.IN_PLACE, agreed, MPI.MAX)
    n, rank = dist.get_world_size(), dist.get_rank()
    if rank == 0:
        print(f"# all_reduce SUM float32 on {n} ranks, {a.rounds} rounds per size "
              f"(median round); {MPI.Get_library_version().splitlines()[0]}")
        print(f"{'size':>8} {'checked us':>11} {'unchecked us':>13} {'mpi4py us':>10} "
              f"{'chk/unchk':>9} {'best c/u':>8} {'mpi c/u':>8} {'dpt/raw':>8} {'dpt GB/s':>9} "
              f"{'raw GB/s':>9}")
    size = a.min_bytes
    worst = worst_check = 0.0
    small_check = None
    while size <= a.max_bytes:
        t = dpt.ones(size // 4)
        buf = t._data  # the very same numpy array for both sides
        iters = max(2, min(500, (64 << 20) // size))

        def run_dpt():
            dist.all_reduce(t)

        def run_raw():
            comm.Allreduce(MPI.IN_PLACE, buf, op=MPI.SUM)

        def run_raw_checked():  # what any second message costs in MPI alone: a 64-byte check
            check_req.Start()
            comm.Allreduce(MPI.IN_PLACE, buf, op=MPI.SUM)
            check_req.Wait()

        sides = {"dpt": run_dpt, "unchecked": run_dpt, "raw": run_raw, "raw+check": run_raw_checked}

        def block(which: str, calls: int) -> float:
            fingerprint.set_enabled(which != "unchecked")  # every rank at the same call
            return _rounds(sides[which], calls) * calls

        run_dpt(), run_raw(), run_raw_checked()  # warm up (buffers registered, algorithms chosen)
        times = {which: [] for which in sides}
        calls = max(1, iters // _BLOCKS)
        order = list(sides)
        for k in range(a.rounds):
            comm.Barrier()
            spent = dict.fromkeys(order, 0.0)
            for b in range(_BLOCKS):  # short blocks, in turn: every side sees the same load
                for which in order[b % 4:] + order[:b % 4]:
                    spent[which] += block(which, calls)
            fingerprint.set_enabled(True)
            for which in sides:
                times[which].append(spent[which] / (_BLOCKS * calls))
        # Every rank must agree on the numbers: take the slowest rank's median.
        td, tu, tr = (comm.allreduce(float(np.median(times[w])), op=MPI.MAX)
                      for w in ("dpt", "unchecked", "raw"))
        check = comm.allreduce(float(np.median(np.divide(times["dpt"], times["unchecked"]))),
                               op=MPI.MAX)
        best = comm.allreduce(min(times["dpt"]) / min(times["unchecked"]), op=MPI.MAX)
        floor = comm.allreduce(float(np.median(np.divide(times["raw+check"], times["raw"]))),
                               op=MPI.MAX)
        bus = size * 2 * (n - 1) / n
        ratio = td / tr
        if size >= 256 << 10:
            worst, worst_check = max(worst, ratio), max(worst_check, check)
        if small_check is None:
            small_check = check
        if rank == 0:
            label = f"{size >> 20} MB" if size >= 1 << 20 else f"{size >> 10} KB"
            print(f"{label:>8} {td * 1e6:11.1f} {tu * 1e6:13.1f} {tr * 1e6:10.1f} {check:9.3f} "
                  f"{best:8.3f} {floor:8.3f} {ratio:8.3f} {bus / td / 1e9:9.2f} "
                  f"{bus / tr / 1e9:9.2f}", flush=True)
        size *= 4
    if rank == 0 and a.max_bytes >= 256 << 10:
        verdict = "meets" if worst <= 1.10 else "misses"
        print(f"# worst dpt/raw from 256 KB up: {worst:.3f} ({verdict} the 10% target)")
        verdict = "meets" if worst_check <= 1.05 else "misses"
        print(f"# worst checked/unchecked from 256 KB up: {worst_check:.3f} ({verdict} the 5% "
              "budget)")
    if rank == 0:
        verdict = "meets" if small_check <= 1.5 else "misses"
        print(f"# checked/unchecked at {a.min_bytes >> 10} KB: {small_check:.3f} ({verdict} the "
              "1.5x budget)")
    check_req.Free()
    check_comm.Free()
    dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    sys.exit(main())
