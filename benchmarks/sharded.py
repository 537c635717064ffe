"""Sharded data parallelism: per-rank memory and step time of DDP, ZeRO and FSDP.

    python benchmarks/sharded.py [--ranks 1,2,4] [--steps 10] [--width 256] [--blocks 6]

A residual MLP (``--blocks`` blocks of two ``--width`` x ``--width`` layers), Adam, global
batch 64 split over the ranks. For each world size the same job runs under ``mpiexec -n N``
(one BLAS thread per rank) and trains the model three ways in turn: DDP with Adam, DDP with
ZeroRedundancyOptimizer(Adam), and FSDP (FULL_SHARD, one unit per block). It prints, per
rank: the bytes of parameters + gradients + optimizer state held between steps, FSDP's
transient peak (gathered parameters and unsharded gradients in flight), and the median
step time. On a 2-core machine more than 2 ranks oversubscribe: read the memory columns
there, not the times.
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


def _held_bytes(model, opt) -> int:
    import dpt

    params = sum(p.numel() * p.element_size() for p in model.parameters())
    grads = sum(p.grad.numel() * p.grad.element_size() for p in model.parameters()
                if p.grad is not None)
    inner = getattr(opt, "optim", opt)  # ZeRO's local optimizer holds its shard's state
    state = sum(v.numel() * v.element_size() for st in inner.state.values()
                for v in st.values() if isinstance(v, dpt.Tensor) and v.dim() > 0)
    return params + grads + state


def worker(steps: int, width: int, blocks: int) -> None:
    import numpy as np

    import dpt
    import dpt.distributed as dist
    import dpt.nn.functional as F
    from dpt import nn
    from dpt.distributed.fsdp import FullyShardedDataParallel as FSDP
    from dpt.distributed.fsdp.wrap import ModuleWrapPolicy
    from dpt.distributed.optim import ZeroRedundancyOptimizer
    from dpt.nn.parallel import DistributedDataParallel as DDP

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b = nn.Linear(width, width), nn.Linear(width, width)

        def forward(self, x):
            return x + self.b(F.relu(self.a(x)))

    def model():
        dpt.manual_seed(0)
        return nn.Sequential(nn.Linear(64, width), *[Block() for _ in range(blocks)],
                             nn.Linear(width, 10))

    dist.init_process_group()
    world, rank = dist.get_world_size(), dist.get_rank()
    per_rank = 64 // world
    rng = np.random.default_rng(0)
    x = dpt.from_numpy(rng.standard_normal((per_rank, 64)).astype(np.float32))
    y = dpt.from_numpy(rng.integers(0, 10, per_rank))

    setups = {
        "DDP + Adam": lambda: (lambda m: (m, dpt.optim.Adam(m.parameters(), lr=1e-3)))(
            DDP(model())),
        "DDP + ZeRO(Adam)": lambda: (lambda m: (m, ZeroRedundancyOptimizer(
            m.parameters(), dpt.optim.Adam, lr=1e-3)))(DDP(model())),
        "FSDP FULL_SHARD": lambda: (lambda m: (m, dpt.optim.Adam(m.parameters(), lr=1e-3)))(
            FSDP(model(), auto_wrap_policy=ModuleWrapPolicy({Block}))),
    }
    rows = []
    for name, make in setups.items():
        net, opt = make()
        times, peak = [], 0
        for i in range(steps + 2):
            memory = getattr(getattr(net, "_state", None), "memory", None)
            if memory is not None:
                memory.reset_peak()
            dist.barrier()
            t0 = time.perf_counter()
            opt.zero_grad(set_to_none=False)
            F.cross_entropy(net(x), y).backward()
            opt.step()
            if i >= 2:
                times.append(time.perf_counter() - t0)
            if memory is not None:
                peak = max(peak, memory.peak)
        rows.append({"setup": name, "held": _held_bytes(net, opt), "transient": peak,
                     "ms": 1e3 * sorted(times)[len(times) // 2]})
    if rank == 0:
        print("RESULT " + json.dumps({"world": world, "rows": rows}), flush=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ranks", default="1,2,4")
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--width", type=int, default=256)
    ap.add_argument("--blocks", type=int, default=6)
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        worker(args.steps, args.width, args.blocks)
        return 0
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
               PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    print(f"{'ranks':>5}  {'setup':<18} {'held KB/rank':>13} {'FSDP peak KB':>13} "
          f"{'vs DDP':>7} {'ms/step':>8}")
    for n in (int(r) for r in args.ranks.split(",")):
        cmd = ["mpiexec", "-n", str(n), sys.executable, os.path.abspath(__file__), "--worker",
               "--steps", str(args.steps), "--width", str(args.width),
               "--blocks", str(args.blocks)]
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
        line = next((l for l in out.stdout.splitlines() if l.startswith("RESULT ")), None)
        if line is None:
            print(out.stdout[-2000:], out.stderr[-2000:], file=sys.stderr)
            return 1
        res = json.loads(line[len("RESULT "):])
        ddp = res["rows"][0]["held"]
        for row in res["rows"]:
            total = row["held"] + row["transient"]
            print(f"{n:>5}  {row['setup']:<18} {row['held'] / 1024:>13.0f} "
                  f"{row['transient'] / 1024:>13.0f} {total / ddp:>7.2f} {row['ms']:>8.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
