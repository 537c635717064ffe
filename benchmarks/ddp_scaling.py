"""DDP weak scaling on this machine: the MLP 784-512-512-10 step, batch 128 per rank.

    python benchmarks/ddp_scaling.py [--steps 30] [--ranks 1,2]
    python benchmarks/ddp_scaling.py --alternate [--blocks 15] [--steps 10]

Default: runs the training step under `mpiexec -n N` for each N (one BLAS thread per rank),
with gradient all-reduce overlapped with backward (dpt's default) and without (all buckets
reduced at the end of backward), and with PyTorch DDP over gloo when torch is installed.
Prints ms per step and the weak-scaling efficiency time(1 rank) / time(N ranks). On a shared
2-core machine separate runs swing 70-110%, too much to see a 5% change, hence:

--alternate: ONE job of 2 ranks alternates blocks of DDP steps with blocks of local steps of
an identical model (same weights, same batch, no communication), with a barrier before each
block, so both phases see the same CPU contention. Prints the median per-step time of each
phase and the median over block pairs of DDP/local: the cost DDP adds to a step (target
<= 1.10 with the default collective check on).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def worker(impl: str, steps: int) -> None:
    """One rank's loop; rank 0 prints the median step time as JSON."""
    import numpy as np

    rng = np.random.default_rng(0)
    x_np = rng.standard_normal((128, 784)).astype(np.float32)
    y_np = rng.integers(0, 10, 128)
    lib, ddp_cls, rank, _ = _init("torch" if impl == "torch" else "dpt")
    nn, F = lib.nn, lib.nn.functional
    lib.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
                          nn.Linear(512, 10))
    ddp = ddp_cls(model)
    if impl == "dpt-no-overlap":
        ddp._overlap = False
    opt = lib.optim.SGD(ddp.parameters(), lr=0.01, momentum=0.9)
    x, y = lib.from_numpy(x_np), lib.from_numpy(y_np)
    times = []
    for i in range(steps + 5):
        t0 = time.perf_counter()
        opt.zero_grad()
        F.cross_entropy(ddp(x), y).backward()
        opt.step()
        if i >= 5:
            times.append(time.perf_counter() - t0)
    if rank == 0:
        print(json.dumps({"ms": float(np.median(times)) * 1e3}), flush=True)


def _init(impl: str):
    """(library, DDP class, rank, barrier) for impl 'dpt' or 'torch' under mpiexec."""
    if impl == "torch":
        import torch
        import torch.distributed as tdist

        torch.set_num_threads(1)
        rank = int(os.environ.get("PMI_RANK", os.environ.get("OMPI_COMM_WORLD_RANK", 0)))
        world = int(os.environ.get("PMI_SIZE", os.environ.get("OMPI_COMM_WORLD_SIZE", 1)))
        os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
        os.environ.setdefault("MASTER_PORT", "29534")
        tdist.init_process_group("gloo", rank=rank, world_size=world)
        return torch, torch.nn.parallel.DistributedDataParallel, rank, tdist.barrier
    import dpt
    import dpt.distributed as dist

    dist.init_process_group()
    return dpt, dpt.nn.parallel.DistributedDataParallel, dist.get_rank(), dist.barrier


def alternate_worker(impl: str, blocks: int, steps: int) -> None:
    """Blocks of DDP steps and of local steps, alternating, in one job; rank 0 prints JSON."""
    import numpy as np

    lib, ddp_cls, rank, barrier = _init(impl)
    rng = np.random.default_rng(rank)
    x, y = lib.from_numpy(rng.standard_normal((128, 784)).astype(np.float32)), \
        lib.from_numpy(rng.integers(0, 10, 128))
    nn, F = lib.nn, lib.nn.functional

    def mlp():
        lib.manual_seed(0)
        return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
                             nn.Linear(512, 10))

    local, ddp = mlp(), ddp_cls(mlp())
    phases = {"ddp": (ddp, lib.optim.SGD(ddp.parameters(), lr=0.01, momentum=0.9)),
              "local": (local, lib.optim.SGD(local.parameters(), lr=0.01, momentum=0.9))}
    per_step = {"ddp": [], "local": []}
    for block in range(blocks + 1):  # block 0 warms both up
        order = ("ddp", "local") if block % 2 else ("local", "ddp")
        for name in order:
            model, opt = phases[name]
            barrier()
            t0 = time.perf_counter()
            for _ in range(steps):
                opt.zero_grad()
                F.cross_entropy(model(x), y).backward()
                opt.step()
            if block:
                per_step[name].append((time.perf_counter() - t0) / steps)
    if rank == 0:
        ratios = [d / l for d, l in zip(per_step["ddp"], per_step["local"])]
        print(json.dumps({"ddp_ms": float(np.median(per_step["ddp"])) * 1e3,
                          "local_ms": float(np.median(per_step["local"])) * 1e3,
                          "ratio": float(np.median(ratios))}), flush=True)


def alternate(blocks: int, steps: int) -> None:
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
               PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    impls = ["dpt"]
    try:
        import torch  # noqa: F401
        impls.append("torch")
    except ImportError:
        pass
    print(f"# 2 ranks, {blocks} block pairs of {steps} steps, alternating DDP and local")
    print(f"{'impl':8} {'DDP ms':>8} {'local ms':>9} {'DDP/local':>10}")
    for impl in impls:
        cmd = ["mpiexec", "-n", "2", sys.executable, __file__, "--alternate-worker", impl,
               "--blocks", str(blocks), "--steps", str(steps)]
        out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)
        rows = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
        if not rows:
            print(f"{impl:8} failed:\n{out.stderr[-2000:]}", file=sys.stderr)
            continue
        r = rows[0]
        print(f"{impl:8} {r['ddp_ms']:8.2f} {r['local_ms']:9.2f} {r['ratio']:10.3f}", flush=True)


def measure(impl: str, n: int, steps: int) -> float | None:
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
               PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    cmd = ["mpiexec", "-n", str(n), sys.executable, __file__, "--worker", impl, "--steps", str(steps)]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
    for line in out.stdout.splitlines():
        if line.startswith("{"):
            return json.loads(line)["ms"]
    print(f"  {impl} on {n} ranks failed:\n{out.stderr[-2000:]}", file=sys.stderr)
    return None


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--ranks", default="1,2")
    ap.add_argument("--alternate", action="store_true",
                    help="one 2-rank job alternating DDP and local blocks (see above)")
    ap.add_argument("--blocks", type=int, default=15)
    ap.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--alternate-worker", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        return worker(args.worker, args.steps)
    if args.alternate_worker:
        return alternate_worker(args.alternate_worker, args.blocks, args.steps)
    if args.alternate:
        return alternate(args.blocks, 10 if args.steps == 30 else args.steps)
    ranks = [int(r) for r in args.ranks.split(",")]
    impls = ["dpt", "dpt-no-overlap"]
    try:
        import torch  # noqa: F401
        impls.append("torch")
    except ImportError:
        pass
    print(f"{'impl':16} " + " ".join(f"{f'{n} rank(s) ms':>14}" for n in ranks) + "   efficiency")
    for impl in impls:
        ms = [measure(impl, n, args.steps) for n in ranks]
        eff = ", ".join(f"{n}: {ms[0] / m:.0%}" for n, m in zip(ranks[1:], ms[1:]) if m and ms[0])
        print(f"{impl:16} " + " ".join(f"{m if m is None else round(m, 2):>14}" for m in ms)
              + f"   {eff}", flush=True)


if __name__ == "__main__":
    main()
