"""DistributedSampler shards, BatchSampler lengths and random_split sizes."""
import math
import warnings
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

import dpt
from dpt.utils.data import BatchSampler, DistributedSampler, SequentialSampler, random_split


class _Range:
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return i


@settings(max_examples=60)
@given(n=st.integers(0, 40), world=st.integers(1, 8), drop_last=st.booleans(),
       shuffle=st.booleans(), seed=st.integers(0, 2**16), epoch=st.integers(0, 5))
def test_distributed_sampler_shards(n, world, drop_last, shuffle, seed, epoch):
    shards = []
    for rank in range(world):
        s = DistributedSampler(_Range(n), num_replicas=world, rank=rank, shuffle=shuffle,
                               seed=seed, drop_last=drop_last)
        s.set_epoch(epoch)
        shard = list(s)
        assert len(shard) == len(s)
        assert list(s) == shard, "the same epoch gives the same order"
        shards.append(shard)
    lengths = {len(sh) for sh in shards}
    assert len(lengths) == 1, "every rank gets the same number of samples"
    per_rank = lengths.pop()
    flat = [i for sh in shards for i in sh]
    assert all(0 <= i < n for i in flat)
    counts = Counter(flat)
    if drop_last:
        assert per_rank == n // world
        assert len(counts) == len(flat), "shards are disjoint"
        assert n - len(flat) < world, "fewer than one sample per rank is dropped"
    else:
        assert per_rank == math.ceil(n / world)
        assert set(counts) == set(range(n)), "shards cover the dataset"
        assert len(flat) - n == sum(c - 1 for c in counts.values()), "only padding repeats"
        if n:
            assert max(counts.values()) <= math.ceil(per_rank * world / n)
    if not shuffle:
        order = [i % n for i in range(per_rank * world)] if not drop_last or n else []
        for rank, sh in enumerate(shards):
            assert sh == order[rank::world][:per_rank]


@settings(max_examples=30)
@given(n=st.integers(1, 40), world=st.integers(1, 4), seed=st.integers(0, 100),
       epoch=st.integers(0, 3))
def test_distributed_sampler_ranks_agree_on_the_permutation(n, world, seed, epoch):
    """Each rank builds its own sampler; together they must still partition one permutation."""
    def shard(rank):
        s = DistributedSampler(_Range(n), num_replicas=world, rank=rank, seed=seed,
                               drop_last=True)
        s.set_epoch(epoch)
        return list(s)

    flat = [i for r in range(world) for i in shard(r)]
    assert len(set(flat)) == len(flat) == (n // world) * world
    s0 = DistributedSampler(_Range(n), num_replicas=1, rank=0, seed=seed)
    order0 = list(s0)
    s0.set_epoch(epoch + 1)
    assert sorted(s0) == sorted(order0) == list(range(n))


@settings(max_examples=60)
@given(n=st.integers(0, 50), batch_size=st.integers(1, 12), drop_last=st.booleans())
def test_batch_sampler_lengths(n, batch_size, drop_last):
    sampler = SequentialSampler(range(n))
    bs = BatchSampler(sampler, batch_size, drop_last)
    batches = list(bs)
    assert len(batches) == len(bs)
    assert len(bs) == (n // batch_size if drop_last else math.ceil(n / batch_size))
    assert all(len(b) == batch_size for b in batches[:-1])
    if batches:
        assert 0 < len(batches[-1]) <= batch_size
    flat = [i for b in batches for i in b]
    assert flat == list(range(len(flat)))
    assert n - len(flat) == (n % batch_size if drop_last else 0)


@settings(max_examples=50)
@given(data=st.data(), n=st.integers(0, 60), seed=st.integers(0, 1000))
def test_random_split_sizes(data, n, seed):
    if data.draw(st.booleans()):
        cuts = sorted(data.draw(st.lists(st.integers(0, n), min_size=0, max_size=4)))
        lengths = [b - a for a, b in zip([0] + cuts, cuts + [n])]
        expected = lengths
    else:
        k = data.draw(st.integers(1, 4))
        weights = data.draw(st.lists(st.integers(1, 10), min_size=k, max_size=k))
        lengths = [w / sum(weights) for w in weights]
        if not math.isclose(sum(lengths), 1) or sum(lengths) > 1:
            return  # the float sum overshoots 1: not a valid fraction list
        expected = None
    g = dpt.Generator().manual_seed(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zero-length splits warn
        parts = random_split(_Range(n), lengths, generator=g)
    sizes = [len(p) for p in parts]
    assert sum(sizes) == n and len(parts) == len(lengths)
    if expected is not None:
        assert sizes == expected
    else:
        for size, frac in zip(sizes, lengths):
            assert math.floor(n * frac) <= size <= math.floor(n * frac) + 1
    items = [p[i] for p in parts for i in range(len(p))]
    assert sorted(items) == list(range(n)), "the splits partition the dataset"
