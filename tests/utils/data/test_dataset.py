"""Datasets, random_split and the samplers."""
import collections

import pytest

import dpt
from dpt.utils.data import (BatchSampler, ChainDataset, ConcatDataset, Dataset, IterableDataset,
                            RandomSampler, SequentialSampler, StackDataset, Subset,
                            SubsetRandomSampler, TensorDataset, WeightedRandomSampler,
                            random_split)

pytestmark = pytest.mark.timeout(30)


class Squares(Dataset):
    def __init__(self, n):
        self.n = n

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(i)
        return i * i

    def __len__(self):
        return self.n


class Count(IterableDataset):
    def __init__(self, start, stop):
        self.start, self.stop = start, stop

    def __iter__(self):
        return iter(range(self.start, self.stop))

    def __len__(self):
        return self.stop - self.start


# -- datasets -----------------------------------------------------------------------------

def test_base_dataset_requires_getitem():
    with pytest.raises(NotImplementedError, match="should implement __getitem__"):
        Dataset()[0]


def test_tensor_dataset():
    x = dpt.arange(12).reshape(4, 3)
    y = dpt.tensor([0, 1, 0, 1])
    ds = TensorDataset(x, y)
    assert len(ds) == 4
    xi, yi = ds[2]
    assert xi.tolist() == [6, 7, 8] and yi.item() == 0
    with pytest.raises(AssertionError, match="Size mismatch between tensors"):
        TensorDataset(x, dpt.tensor([1, 2]))


def test_concat_dataset_and_add():
    ds = Squares(3) + Squares(2)
    assert isinstance(ds, ConcatDataset)
    assert len(ds) == 5 and ds.cumulative_sizes == [3, 5]
    assert [ds[i] for i in range(5)] == [0, 1, 4, 0, 1]
    assert ds[-1] == 1 and ds[-5] == 0
    with pytest.raises(ValueError, match="absolute value of index"):
        ds[-6]
    with pytest.raises(AssertionError, match="empty iterable"):
        ConcatDataset([])
    with pytest.raises(AssertionError, match="does not support IterableDataset"):
        ConcatDataset([Squares(2), Count(0, 2)])


def test_chain_dataset_and_add():
    ds = Count(0, 3) + Count(10, 12)
    assert isinstance(ds, ChainDataset)
    assert list(ds) == [0, 1, 2, 10, 11] and len(ds) == 5
    with pytest.raises(AssertionError, match="only supports IterableDataset"):
        list(ChainDataset([Squares(2)]))


def test_subset():
    sub = Subset(Squares(10), [9, 2, 5])
    assert len(sub) == 3 and [sub[i] for i in range(3)] == [81, 4, 25]
    assert sub.__getitems__([0, 2]) == [81, 25]


def test_stack_dataset_tuple_and_dict():
    ds = StackDataset(Squares(3), dpt.arange(3))
    a, b = ds[2]
    assert a == 4 and b.item() == 2 and len(ds) == 3
    d = StackDataset(sq=Squares(3), ident=Subset(Squares(5), [0, 1, 2]))
    assert d[1] == {"sq": 1, "ident": 1}
    assert d.__getitems__([0, 2]) == [{"sq": 0, "ident": 0}, {"sq": 4, "ident": 4}]
    with pytest.raises(ValueError, match="Size mismatch between datasets"):
        StackDataset(Squares(3), Squares(4))
    with pytest.raises(ValueError, match="both types are given"):
        StackDataset(Squares(3), b=Squares(3))


# -- random_split -----------------------------------------------------------------------------

def test_random_split_lengths_is_a_partition():
    parts = random_split(range(10), [3, 7], generator=dpt.Generator().manual_seed(1))
    assert [len(p) for p in parts] == [3, 7]
    assert sorted(parts[0].indices + parts[1].indices) == list(range(10))
    with pytest.raises(ValueError, match="Sum of input lengths does not equal"):
        random_split(range(10), [3, 3])


def test_random_split_fractions_round_robin_remainder():
    # floor(0.3*11)=3, floor(0.3*11)=3, floor(0.4*11)=4 -> 1 left over, to the first split
    parts = random_split(range(11), [0.3, 0.3, 0.4], generator=dpt.Generator().manual_seed(0))
    assert [len(p) for p in parts] == [4, 3, 4]
    parts = random_split(range(5), [0.5, 0.5])
    assert [len(p) for p in parts] == [3, 2]
    with pytest.raises(ValueError, match="Fraction at index 2 is not between 0 and 1"):
        random_split(range(5), [0.6, 0.6, -0.2])
    with pytest.warns(UserWarning, match="Length of split at index 1 is 0"):
        random_split(range(2), [1.0, 0.0])


def test_random_split_is_reproducible():
    a = random_split(range(20), [0.5, 0.5], generator=dpt.Generator().manual_seed(42))
    b = random_split(range(20), [0.5, 0.5], generator=dpt.Generator().manual_seed(42))
    assert a[0].indices == b[0].indices
    dpt.manual_seed(3)
    c = random_split(range(20), [10, 10])
    dpt.manual_seed(3)
    d = random_split(range(20), [10, 10])
    assert c[1].indices == d[1].indices


# -- samplers -----------------------------------------------------------------------------------

def test_sequential_sampler():
    s = SequentialSampler(range(4))
    assert list(s) == [0, 1, 2, 3] and len(s) == 4


def test_random_sampler_permutation_and_generator():
    s = RandomSampler(range(10), generator=dpt.Generator().manual_seed(5))
    first = list(s)
    assert sorted(first) == list(range(10)) and len(s) == 10
    second = list(s)  # the generator moves on: a new epoch, a new order
    assert sorted(second) == list(range(10))
    again = list(RandomSampler(range(10), generator=dpt.Generator().manual_seed(5)))
    assert again == first


def test_random_sampler_manual_seed_reproducible():
    dpt.manual_seed(7)
    a = list(RandomSampler(range(50)))
    dpt.manual_seed(7)
    b = list(RandomSampler(range(50)))
    assert a == b and a != list(range(50))


def test_random_sampler_num_samples_without_replacement():
    s = RandomSampler(range(4), num_samples=10, generator=dpt.Generator().manual_seed(0))
    out = list(s)
    assert len(out) == 10 == len(s)
    assert sorted(out[:4]) == sorted(out[4:8]) == [0, 1, 2, 3]  # whole permutations first
    assert len(set(out[8:])) == 2


def test_random_sampler_with_replacement():
    s = RandomSampler(range(3), replacement=True, num_samples=70,
                      generator=dpt.Generator().manual_seed(0))
    out = list(s)
    assert len(out) == 70 and set(out) == {0, 1, 2}


def test_random_sampler_errors():
    with pytest.raises(TypeError, match="replacement should be a boolean value"):
        RandomSampler(range(3), replacement=1)
    with pytest.raises(ValueError, match="num_samples should be a positive integer value"):
        RandomSampler(range(3), num_samples=0)
    with pytest.raises(ValueError, match="num_samples should be a positive integer value"):
        RandomSampler([])


def test_subset_random_sampler():
    s = SubsetRandomSampler([3, 5, 8], generator=dpt.Generator().manual_seed(0))
    assert sorted(s) == [3, 5, 8] and len(s) == 3


def test_weighted_random_sampler():
    s = WeightedRandomSampler([0.0, 1.0, 3.0], 2000, generator=dpt.Generator().manual_seed(0))
    counts = collections.Counter(s)
    assert counts[0] == 0 and len(s) == 2000
    assert abs(counts[2] / 2000 - 0.75) < 0.05
    no_rep = list(WeightedRandomSampler([1, 1, 1, 1], 4, replacement=False,
                                        generator=dpt.Generator().manual_seed(0)))
    assert sorted(no_rep) == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="num_samples should be a positive integer"):
        WeightedRandomSampler([1.0], True)
    with pytest.raises(ValueError, match="replacement should be a boolean"):
        WeightedRandomSampler([1.0], 1, replacement=0)
    with pytest.raises(ValueError, match=r"weights should be a 1d sequence but given weights have "
                                         r"shape \(1, 2\)"):
        WeightedRandomSampler([[1.0, 2.0]], 1)


def test_batch_sampler():
    assert list(BatchSampler(range(7), 3, False)) == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(BatchSampler(range(7), 3, True)) == [[0, 1, 2], [3, 4, 5]]
    assert len(BatchSampler(range(7), 3, False)) == 3
    assert len(BatchSampler(range(7), 3, True)) == 2
    with pytest.raises(ValueError, match="batch_size should be a positive integer value"):
        BatchSampler(range(3), 0, False)
    with pytest.raises(ValueError, match="batch_size should be a positive integer value"):
        BatchSampler(range(3), True, False)
    with pytest.raises(ValueError, match="drop_last should be a boolean value"):
        BatchSampler(range(3), 2, 1)
