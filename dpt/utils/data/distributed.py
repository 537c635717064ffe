"""Sharding data across ranks: DistributedSampler, shard(), and a global-accuracy helper.

Every rank must see the same number of batches, or the gradient all-reduces stop matching;
these helpers pad (or drop) so shards have equal lengths, and the evaluation helper
discounts the padding so a global metric counts each sample exactly once.
"""
from __future__ import annotations

import math
from typing import Iterator

import numpy as np

from ... import distributed as dist
from ..._tensor import Tensor
from ...autograd.grad_mode import no_grad
from ...ops.random import randperm
from ...random import Generator
from ._worker import get_worker_info
from .dataset import IterableDataset, Subset
from .sampler import Sampler


def _world(num_replicas, rank):
    if num_replicas is None or rank is None:
        if not dist.is_initialized():
            raise RuntimeError("Requires distributed package to be available: call "
                               "dpt.distributed.init_process_group() or pass num_replicas and rank")
        num_replicas = dist.get_world_size() if num_replicas is None else num_replicas
        rank = dist.get_rank() if rank is None else rank
    if rank >= num_replicas or rank < 0:
        raise ValueError(f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]")
    return num_replicas, rank


class DistributedSampler(Sampler[int]):
    """DistributedSampler(dataset, num_replicas=None, rank=None, shuffle=True, seed=0,
    drop_last=False).

    Rank r takes every num_replicas-th index starting at r of one permutation that is the
    same on every rank (seeded by ``seed + epoch``: call ``set_epoch`` each epoch). Without
    drop_last the list is padded with its own first indices to a multiple of num_replicas;
    with it, the tail is dropped. Shards are disjoint apart from that padding and together
    cover the dataset. The permutation is torch's CPU randperm, so the shards equal
    torch's for the same seed and epoch.
    """

    def __init__(self, dataset, num_replicas: int | None = None, rank: int | None = None,
                 shuffle: bool = True, seed: int = 0, drop_last: bool = False):
        self.num_replicas, self.rank = _world(num_replicas, rank)
        self.dataset = dataset
        self.epoch = 0
        self.drop_last = drop_last
        n = len(dataset)
        if drop_last and n % self.num_replicas:
            self.num_samples = math.ceil((n - self.num_replicas) / self.num_replicas)
        else:
            self.num_samples = math.ceil(n / self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas
        self.shuffle = shuffle
        self.seed = seed

    def _global_indices(self) -> list:
        n = len(self.dataset)
        if self.shuffle:
            g = Generator()
            g.manual_seed(self.seed + self.epoch)
            indices = randperm(n, generator=g).tolist()
        else:
            indices = list(range(n))
        if not self.drop_last:
            pad = self.total_size - len(indices)
            if pad:
                reps = math.ceil(pad / max(len(indices), 1))
                indices += (indices * reps)[:pad]
        else:
            indices = indices[:self.total_size]
        return indices

    def __iter__(self) -> Iterator[int]:
        return iter(self._global_indices()[self.rank:self.total_size:self.num_replicas])

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Use a different shuffle each epoch (the same on every rank)."""
        self.epoch = epoch

    def num_real_samples(self) -> int:
        """How many of this rank's samples are real (not padding); padding sits at the end."""
        n = len(self.dataset)
        if self.drop_last:
            return self.num_samples
        return sum(1 for k in range(self.num_samples) if self.rank + k * self.num_replicas < n)


def shard(dataset, num_replicas: int | None = None, rank: int | None = None,
          drop_last: bool = False):
    """This rank's share of any dataset, every share of equal length.

    Map-style datasets become a ``Subset`` over the (unshuffled) DistributedSampler indices.
    IterableDatasets become a ``ShardedIterableDataset`` that also splits across the
    DataLoader workers of this rank.
    """
    num_replicas, rank = _world(num_replicas, rank)
    if isinstance(dataset, IterableDataset):
        return ShardedIterableDataset(dataset, num_replicas, rank, drop_last)
    sampler = DistributedSampler(dataset, num_replicas, rank, shuffle=False, drop_last=drop_last)
    return Subset(dataset, list(sampler))


class ShardedIterableDataset(IterableDataset):
    """Deal a stream round-robin to (rank, worker) consumers in groups of num_replicas*workers.

    Each consumer takes one item of every complete group, so all get the same count. The last
    incomplete group is dropped (drop_last=True) or completed with items from the start of
    the stream (drop_last=False, like DistributedSampler's padding).
    """

    def __init__(self, dataset, num_replicas: int, rank: int, drop_last: bool = False):
        self.dataset, self.num_replicas, self.rank, self.drop_last = \
            dataset, num_replicas, rank, drop_last

    def __iter__(self):
        info = get_worker_info()
        workers, wid = (info.num_workers, info.id) if info is not None else (1, 0)
        group = self.num_replicas * workers
        mine = self.rank * workers + wid
        head, buf = [], []
        for item in self.dataset:
            if len(head) < group:
                head.append(item)
            buf.append(item)
            if len(buf) == group:
                yield buf[mine]
                buf = []
        if buf and not self.drop_last:
            filled = buf + (head * math.ceil(group / max(len(head), 1)))[:group - len(buf)]
            yield filled[mine]

    def __len__(self):
        n = len(self.dataset)
        return n // self.num_replicas if self.drop_last else math.ceil(n / self.num_replicas)


def evaluate_accuracy(model, loader, device=None, group=None) -> float:
    """Global accuracy of model over a loader whose sampler is a DistributedSampler.

    Counts of correct predictions and of samples are summed over ranks with all_reduce;
    samples that the sampler added as padding are left out, so each sample counts once.
    The loader must not shuffle (DistributedSampler(shuffle=False)) for the padding to be
    the trailing samples.
    """
    sampler = getattr(loader, "sampler", None)
    real = sampler.num_real_samples() if isinstance(sampler, DistributedSampler) else None
    correct = seen = 0
    was_training = model.training
    model.eval()
    with no_grad():
        for x, y in loader:
            if device is not None:
                x, y = x.to(device), y.to(device)
            pred = model(x).argmax(dim=1)
            hits = pred == y  # tensor ops run on its device (raw arrays would not)
            if real is not None:
                keep = max(0, min(len(hits), real - seen))
                hits = hits[:keep]
            correct += int(hits.sum())
            seen += len(y)
    total = min(seen, real) if real is not None else seen
    model.train(was_training)
    counts = Tensor._make(np.array([correct, total], dtype=np.int64))
    if dist.is_initialized():
        dist.all_reduce(counts, group=group)
    return float(counts._data[0]) / max(int(counts._data[1]), 1)
