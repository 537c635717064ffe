"""A small character-level GPT trained with FullyShardedDataParallel, with a checkpoint that
resumes onto a different number of ranks.

    python examples/fsdp_gpt.py --steps 60
    mpiexec -n 2 python examples/fsdp_gpt.py --steps 40 --checkpoint ckpt/
    mpiexec -n 4 python examples/fsdp_gpt.py --steps 60 --checkpoint ckpt/   (resumes at 40)
    dptrun --nproc-per-node 2 examples/fsdp_gpt.py

Each transformer block is an FSDP unit of its own (ModuleWrapPolicy); the embeddings,
final norm and the tied output head form the root unit. Every rank holds 1/N of every
unit's parameters, gradients and Adam state and gathers a unit only while it runs.

The global batch (--batch-size, split evenly over the ranks) is drawn from a generator
seeded by the step number, so any world size trains on the same data and, up to float
rounding, to the same weights. The checkpoint directory holds the model as a sharded
state dict (one file per rank, resharded on load), the optimizer state as one full state
dict (written by rank 0) and the number of completed steps; it is written every
--save-every steps and at the end.
"""
from __future__ import annotations

import argparse
import math
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import dpt  # noqa: E402
import dpt.distributed as dist  # noqa: E402
import dpt.nn.functional as F  # noqa: E402
from dpt import nn  # noqa: E402
from dpt.distributed.fsdp import FullyShardedDataParallel as FSDP  # noqa: E402
from dpt.distributed.fsdp import (FullStateDictConfig, StateDictType,  # noqa: E402
                                  load_sharded_state_dict, save_sharded_state_dict)
from dpt.distributed.fsdp.wrap import ModuleWrapPolicy  # noqa: E402

TEXT = ("the quick brown fox jumps over the lazy dog. a lazy dog sleeps in the sun while the "
        "quick fox runs through the brown field. the sun sets over the field and the fox "
        "returns to the dog, who is still asleep. ") * 8
VOCAB = sorted(set(TEXT))


class Block(nn.Module):
    """Pre-norm transformer block: causal self-attention, then a GELU MLP."""

    def __init__(self, d: int, heads: int):
        super().__init__()
        self.heads = heads
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.qkv, self.proj = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.fc, self.out = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)

    def forward(self, x):
        b, t, d = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(d, dim=-1)
        q, k, v = (z.reshape(b, t, self.heads, d // self.heads).transpose(1, 2) for z in (q, k, v))
        att = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.proj(att.transpose(1, 2).reshape(b, t, d))
        return x + self.out(F.gelu(self.fc(self.ln2(x))))


class GPT(nn.Module):
    def __init__(self, vocab: int, context: int, d: int = 48, heads: int = 4, layers: int = 3):
        super().__init__()
        self.tok, self.pos = nn.Embedding(vocab, d), nn.Embedding(context, d)
        self.blocks = nn.Sequential(*[Block(d, heads) for _ in range(layers)])
        self.ln = nn.LayerNorm(d)
        self.head = nn.Linear(d, vocab, bias=False)
        self.head.weight = self.tok.weight  # tied, as in GPT-2 (both in the root unit)
        for emb in (self.tok, self.pos):
            nn.init.normal_(emb.weight, std=0.02)

    def forward(self, idx):
        pos = dpt.arange(idx.shape[1])
        return self.head(self.ln(self.blocks(self.tok(idx) + self.pos(pos))))


def batch(step: int, size: int, context: int, data: np.ndarray, rank: int, world: int):
    """This rank's share of the global batch of `step` (the same for every world size)."""
    rng = np.random.default_rng(step)
    starts = rng.integers(0, len(data) - context - 1, size)
    x = np.stack([data[s:s + context] for s in starts])
    y = np.stack([data[s + 1:s + context + 1] for s in starts])
    per = size // world
    sl = slice(rank * per, rank * per + per)
    return dpt.from_numpy(x[sl]), dpt.from_numpy(y[sl])


def save(model, opt, step: int, directory: str) -> None:
    with FSDP.state_dict_type(model, StateDictType.SHARDED_STATE_DICT):
        save_sharded_state_dict(model.state_dict(), os.path.join(directory, "model"))
    with FSDP.state_dict_type(model, StateDictType.FULL_STATE_DICT,
                              FullStateDictConfig(offload_to_cpu=True, rank0_only=True)):
        osd = FSDP.optim_state_dict(model, opt)
    if dist.get_rank() == 0:
        dpt.save({"optim": osd, "step": step}, os.path.join(directory, "train.pt"))
    dist.barrier()


def resume(model, opt, directory: str) -> int:
    """Load the checkpoint if there is one; returns the number of completed steps."""
    path = os.path.join(directory, "train.pt")
    if not os.path.exists(path):
        return 0
    with FSDP.state_dict_type(model, StateDictType.SHARDED_STATE_DICT):
        sd = model.state_dict()
        load_sharded_state_dict(sd, os.path.join(directory, "model"))
        model.load_state_dict(sd)
    saved = dpt.load(path, weights_only=True)
    opt.load_state_dict(FSDP.optim_state_dict_to_load(model, opt, saved["optim"]))
    return int(saved["step"])


def main(argv=None) -> float:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--batch-size", type=int, default=16, help="global batch, split over ranks")
    ap.add_argument("--context", type=int, default=32)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--checkpoint", default=None, help="directory: resume from it, save to it")
    ap.add_argument("--save-every", type=int, default=20)
    args = ap.parse_args(argv)

    dist.init_process_group()
    rank, world = dist.get_rank(), dist.get_world_size()
    if args.batch_size % world:
        raise SystemExit(f"--batch-size {args.batch_size} must be divisible by {world} ranks")
    data = np.array([VOCAB.index(c) for c in TEXT], dtype=np.int64)
    dpt.manual_seed(0)
    model = FSDP(GPT(len(VOCAB), args.context), auto_wrap_policy=ModuleWrapPolicy({Block}))
    opt = dpt.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    start = resume(model, opt, args.checkpoint) if args.checkpoint else 0
    if rank == 0:
        local = sum(p.numel() for p in model.parameters())
        print(f"{world} rank(s), {len(FSDP.fsdp_modules(model))} FSDP units, {local} parameters "
              f"on rank 0; starting at step {start}", flush=True)
    loss = math.nan
    t0 = time.perf_counter()
    for step in range(start, args.steps):
        x, y = batch(step, args.batch_size, args.context, data, rank, world)
        opt.zero_grad()
        logits = model(x)
        loss_t = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        loss_t.backward()
        model.clip_grad_norm_(1.0)
        opt.step()
        avg = loss_t.detach().clone()
        dist.all_reduce(avg)
        loss = float(avg) / world
        if rank == 0 and (step % 10 == 0 or step == args.steps - 1):
            print(f"step {step:4d}  loss {loss:.4f}", flush=True)
        if args.checkpoint and ((step + 1) % args.save_every == 0 or step + 1 == args.steps):
            save(model, opt, step + 1, args.checkpoint)
    if rank == 0:
        print(f"final loss: {loss:.4f} ({time.perf_counter() - t0:.1f} s)", flush=True)
    return loss


if __name__ == "__main__":
    main()
