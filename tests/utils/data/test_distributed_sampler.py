"""DistributedSampler and shard(): disjoint, covering, equal-length shards across epochs."""
import pytest

import dpt
from dpt.utils.data import DataLoader, DistributedSampler, IterableDataset, TensorDataset
from dpt.utils.data.distributed import ShardedIterableDataset, evaluate_accuracy, shard


@pytest.mark.parametrize("n,world", [(10, 3), (12, 4), (5, 8), (7, 2)])
@pytest.mark.parametrize("shuffle", [False, True])
def test_shards_cover_the_dataset_with_equal_lengths(n, world, shuffle):
    data = list(range(n))
    shards = [list(DistributedSampler(data, world, r, shuffle=shuffle, seed=3)) for r in range(world)]
    assert len({len(s) for s in shards}) == 1
    assert len(shards[0]) == -(-n // world)
    flat = [i for s in shards for i in s]
    assert set(flat) == set(range(n))
    assert len(flat) - n == len(flat) - len(set(flat))  # only padding repeats


@pytest.mark.parametrize("n,world", [(10, 3), (7, 2), (12, 4)])
def test_drop_last_gives_disjoint_shards(n, world):
    shards = [list(DistributedSampler(list(range(n)), world, r, shuffle=True, drop_last=True))
              for r in range(world)]
    flat = [i for s in shards for i in s]
    assert len(flat) == len(set(flat)) == (n // world) * world


def test_epochs_reshuffle_identically_on_every_rank():
    data = list(range(20))
    samplers = [DistributedSampler(data, 2, r, seed=7) for r in range(2)]
    orders = []
    for epoch in range(3):
        for s in samplers:
            s.set_epoch(epoch)
        orders.append([list(s) for s in samplers])
        assert sorted(orders[-1][0] + orders[-1][1]) == data
    assert orders[0] != orders[1]
    again = DistributedSampler(data, 2, 0, seed=7)
    again.set_epoch(1)
    assert list(again) == orders[1][0]


def test_invalid_rank_and_missing_group():
    with pytest.raises(ValueError, match="Invalid rank 3"):
        DistributedSampler(list(range(4)), num_replicas=2, rank=3)


def test_num_real_samples_counts_padding_out():
    s = [DistributedSampler(list(range(7)), 3, r, shuffle=False) for r in range(3)]
    assert [len(x) for x in s] == [3, 3, 3]
    assert [x.num_real_samples() for x in s] == [3, 2, 2]


def test_shard_map_and_iterable_datasets():
    parts = [shard(list(range(9)), 2, r) for r in range(2)]
    assert [len(p) for p in parts] == [5, 5]

    class Stream(IterableDataset):
        def __iter__(self):
            return iter(range(9))

        def __len__(self):
            return 9

    outs = [list(ShardedIterableDataset(Stream(), 2, r)) for r in range(2)]
    assert [len(o) for o in outs] == [5, 5]
    assert set(outs[0] + outs[1]) == set(range(9))
    dropped = [list(ShardedIterableDataset(Stream(), 2, r, drop_last=True)) for r in range(2)]
    assert dropped == [[0, 2, 4, 6], [1, 3, 5, 7]]


def test_iterable_shards_also_split_across_loader_workers():
    class Stream(IterableDataset):
        def __iter__(self):
            return iter(range(16))

    ds = ShardedIterableDataset(Stream(), 2, 1, drop_last=True)
    got = sorted(int(b) for b in DataLoader(ds, batch_size=None, num_workers=2, timeout=30))
    assert got == [2, 3, 6, 7, 10, 11, 14, 15]


def test_evaluate_accuracy_ignores_padding_on_one_rank_world():
    class Oracle(dpt.nn.Module):
        def forward(self, x):
            return dpt.nn.functional.one_hot(x[:, 0].long(), 3).float()

    x = dpt.tensor([[0.], [1.], [2.], [1.], [0.]])
    y = dpt.tensor([0, 1, 2, 0, 0])
    loader = DataLoader(TensorDataset(x, y), batch_size=2,
                        sampler=DistributedSampler(TensorDataset(x, y), 1, 0, shuffle=False))
    assert evaluate_accuracy(Oracle(), loader) == pytest.approx(4 / 5)
