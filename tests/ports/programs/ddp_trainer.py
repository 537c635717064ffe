"""A torchrun-style DDP trainer: reads LOCAL_RANK/RANK/WORLD_SIZE from the environment,
initialises the process group from it, shards the data with DistributedSampler (set_epoch
each epoch), wraps the model in DistributedDataParallel, and saves a checkpoint on rank 0
only, guarded by barriers, as the public DDP tutorials do."""
import argparse
import json
import os

import torch
import torch.distributed as dist
import torch.multiprocessing as mp  # noqa: F401  (imported at the top of most DDP programs)
import torch.nn as nn
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.data.distributed import DistributedSampler


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--out", required=True)
    args = p.parse_args()
    local_rank = int(os.environ["LOCAL_RANK"])
    rank, world_size = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    dist.init_process_group(backend="gloo", rank=rank, world_size=world_size)
    torch.manual_seed(0)
    x = torch.randn(256, 10)
    y = (x[:, :3].sum(dim=1, keepdim=True) > 0).float()
    dataset = TensorDataset(x, y)
    sampler = DistributedSampler(dataset, num_replicas=world_size, rank=rank, shuffle=True,
                                 seed=0)
    loader = DataLoader(dataset, batch_size=32, sampler=sampler)
    model = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 1))
    ddp_model = DDP(model, device_ids=None)
    loss_fn = nn.BCEWithLogitsLoss()
    optimizer = torch.optim.SGD(ddp_model.parameters(), lr=0.1, momentum=0.9)
    losses = []
    for epoch in range(3):
        sampler.set_epoch(epoch)
        for xb, yb in loader:
            optimizer.zero_grad()
            loss = loss_fn(ddp_model(xb), yb)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    ckpt = os.path.join(args.out, "ddp.pt")
    if rank == 0:
        torch.save(ddp_model.module.state_dict(), ckpt)
    dist.barrier()
    state = torch.load(ckpt, map_location={"cuda:%d" % 0: "cuda:%d" % local_rank})
    model.load_state_dict(state)
    with torch.no_grad():
        acc = ((model(x) > 0).float() == y).float().mean().item()
    dist.destroy_process_group()
    print("RESULT " + json.dumps({"rank": rank, "losses": losses, "accuracy": acc}))


if __name__ == "__main__":
    main()
