"""A small DDP training job that checkpoints with dpt.distributed.checkpoint (used by the
cluster tests; run under mpiexec or dptrun).

    train_job.py OUT_DIR [--steps N] [--every K] [--kill-step S] [--kill-rank R] [--hier]

Every rank draws its batch from numpy's global generator and adds noise from dpt's, both
seeded per rank, so the result depends on the RNG states being checkpointed and restored.
With --kill-step S, rank R (default 1) sends itself SIGKILL at the start of step S, on the
first attempt only (DPT_RESTART_COUNT=0). Rank 0 writes OUT_DIR/final.npz (the parameters)
and every rank appends "rank R attempt A start S" to OUT_DIR/starts.txt.
"""
import argparse
import os
import random
import signal
import sys

import numpy as np

import dpt
import dpt.distributed as dist
import dpt.nn.functional as F
from dpt import nn
from dpt.distributed.checkpoint import Checkpointer, restart_count
from dpt.nn.parallel import DistributedDataParallel as DDP


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--steps", type=int, default=12)
    ap.add_argument("--every", type=int, default=3)
    ap.add_argument("--kill-step", type=int, default=None)
    ap.add_argument("--kill-rank", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=20.0)
    ap.add_argument("--hier", action="store_true", help="hierarchical all-reduce")
    a = ap.parse_args()

    opts = {"hierarchical_allreduce": True} if a.hier else None
    dist.init_process_group(timeout=a.timeout, pg_options=opts)
    rank = dist.get_rank()
    dpt.manual_seed(100)  # same initial weights everywhere (DDP also broadcasts them)
    model = DDP(nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 3)))
    opt = dpt.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    sched = dpt.optim.lr_scheduler.StepLR(opt, step_size=4, gamma=0.5)
    # per-rank streams, restored from the checkpoint on a restart
    np.random.seed(1000 + rank)
    random.seed(2000 + rank)
    dpt.manual_seed(3000 + rank)

    ckpt = Checkpointer(os.path.join(a.out, "ckpt"), model.module, opt, scheduler=sched,
                        every=a.every, keep=2)
    start = ckpt.restore()
    attempt = restart_count()
    with open(os.path.join(a.out, "starts.txt"), "a") as f:
        f.write(f"rank {rank} attempt {attempt} start {start} node {dist.get_node_rank()}\n")
    w_true = np.linspace(-1, 1, 18).reshape(6, 3)
    for step in range(start, a.steps):
        if step == a.kill_step and rank == a.kill_rank and attempt == 0:
            sys.stdout.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        x = np.random.randn(8, 6).astype(np.float32)
        noise = dpt.randn(8, 3) * 0.01
        y = dpt.from_numpy((x @ w_true).astype(np.float32)) + noise
        x = dpt.from_numpy(x) + 0.001 * random.random()
        opt.zero_grad()
        loss = F.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        sched.step()
        ckpt.step(step)
    if rank == 0:
        np.savez(os.path.join(a.out, "final.npz"),
                 **{k: v.numpy() for k, v in model.module.state_dict().items()})
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
