"""DataLoader: arguments, batching, reproducible shuffling, worker processes."""
import os
import pickle
import time
import types

import numpy as np
import pytest

import dpt
from dpt.utils.data import (DataLoader, Dataset, IterableDataset, StackDataset, TensorDataset,
                            get_worker_info)
from dpt.utils.data import _worker

pytestmark = pytest.mark.timeout(60)


# Datasets live at module level so 'spawn' workers can unpickle them.
class Range(Dataset):
    def __init__(self, n):
        self.n = n

    def __getitem__(self, i):
        return dpt.tensor([float(i)]), i

    def __len__(self):
        return self.n


class WhoAmI(Dataset):
    """Each sample says which worker made it, with that worker's seed and a random draw."""

    def __getitem__(self, i):
        info = get_worker_info()
        return {"index": i, "id": info.id, "num_workers": info.num_workers, "seed": info.seed,
                "same_dataset": info.dataset is self, "pid": os.getpid(),
                "marker": getattr(self, "marker", ""), "draw": np.random.randint(1 << 30)}

    def __len__(self):
        return 6


class FailAt(Dataset):
    def __init__(self, bad, exc=ValueError):
        self.bad, self.exc = bad, exc

    def __getitem__(self, i):
        if i == self.bad:
            raise self.exc(f"sample {i} is broken")
        return i

    def __len__(self):
        return 6


class Sleepy(Dataset):
    def __getitem__(self, i):
        time.sleep(0.5)
        return i

    def __len__(self):
        return 2


class Dies(Dataset):
    def __getitem__(self, i):
        os._exit(3)

    def __len__(self):
        return 2


class Stream(IterableDataset):
    """range(start, stop), split between workers by get_worker_info() when shard=True."""

    def __init__(self, start, stop, shard=True):
        self.start, self.stop, self.shard = start, stop, shard

    def __iter__(self):
        info = get_worker_info()
        if info is None or not self.shard:
            return iter(range(self.start, self.stop))
        per = -(-(self.stop - self.start) // info.num_workers)
        lo = self.start + info.id * per
        return iter(range(lo, min(lo + per, self.stop)))

    def __len__(self):
        return self.stop - self.start


def mark_worker(worker_id):
    get_worker_info().dataset.marker = f"init{worker_id}"


def unpicklable_collate(batch):
    return lambda: batch


def flat(loader):
    return [int(v) for _, idx in loader for v in idx.tolist()]


# -- the tutorial examples -------------------------------------------------------------------

def test_tutorial_shuffled_loader():
    a = dpt.rand(10, 3, 128, 128)
    b = dpt.randint(0, 5, (10,))

    class data(dpt.utils.data.Dataset):
        def __init__(self):
            self.a = a
            self.b = b

        def __getitem__(self, ind):
            return self.a[ind], self.b[ind]

        def __len__(self):
            return len(self.a)

    data_train = dpt.utils.data.DataLoader(data(), 2, shuffle=True)
    assert len(data_train) == 5
    rows = []
    for i in data_train:
        assert i[0].shape == dpt.Size([2, 3, 128, 128])
        assert i[1].shape == dpt.Size([2]) and i[1].dtype == dpt.int64
        rows.extend(zip(i[0].numpy(), i[1].tolist()))
    # every sample exactly once, images still paired with their labels
    seen = sorted(int(np.flatnonzero((a.numpy() == x).all(axis=(1, 2, 3)))[0]) for x, _ in rows)
    assert seen == list(range(10))
    for x, y in rows:
        k = int(np.flatnonzero((a.numpy() == x).all(axis=(1, 2, 3)))[0])
        assert b[k].item() == y


def test_tutorial_dataloader_subclass_as_dataset():
    a = dpt.rand(4, 3)
    b = dpt.randint(0, 2, (4,))

    class test1(dpt.utils.data.DataLoader):
        def __init__(self):  # never calls DataLoader.__init__: attributes stay settable
            self.a = a
            self.b = b

        def __getitem__(self, ind):
            return self.a[ind], self.b[ind]

        def __len__(self):
            return len(self.a)

    batches = list(DataLoader(test1(), batch_size=2, shuffle=False))
    assert len(batches) == 2
    assert np.array_equal(batches[1][0].numpy(), a.numpy()[2:])
    assert batches[0][1].tolist() == b.tolist()[:2]


# -- batching ------------------------------------------------------------------------------------

def test_sequential_batches_and_len():
    loader = DataLoader(Range(7), batch_size=3)
    batches = list(loader)
    assert len(loader) == 3 and len(batches) == 3
    assert batches[0][0].shape == (3, 1) and batches[2][1].tolist() == [6]
    loader = DataLoader(Range(7), batch_size=3, drop_last=True)
    assert len(loader) == 2 and flat(loader) == list(range(6))


def test_batch_size_none_disables_batching():
    ds = TensorDataset(dpt.arange(3))
    out = list(DataLoader(ds, batch_size=None))
    assert [t[0].item() for t in out] == [0, 1, 2] and out[0][0].ndim == 0

    class Np(Dataset):
        def __getitem__(self, i):
            return np.full(2, i, np.int32)

        def __len__(self):
            return 2

    out = list(DataLoader(Np(), batch_size=None))
    assert isinstance(out[0], dpt.Tensor) and out[1].tolist() == [1, 1]
    assert out[0].dtype == dpt.int32


def test_collate_fn_sampler_and_batch_sampler():
    loader = DataLoader(Range(5), batch_size=2, collate_fn=lambda b: [i for _, i in b])
    assert list(loader) == [[0, 1], [2, 3], [4]]
    loader = DataLoader(Range(5), sampler=[4, 0, 2], batch_size=2)
    assert flat(loader) == [4, 0, 2]
    loader = DataLoader(Range(5), batch_sampler=[[3, 1], [0]])
    assert flat(loader) == [3, 1, 0] and len(loader) == 2


def test_getitems_is_used_for_batches():
    class Batched(Range):
        def __getitems__(self, indices):
            return [(dpt.tensor([-1.0]), i) for i in indices]

    batch = next(iter(DataLoader(Batched(4), batch_size=2)))
    assert batch[0].tolist() == [[-1.0], [-1.0]] and batch[1].tolist() == [0, 1]


def test_iterable_dataset_single_process():
    loader = DataLoader(Stream(0, 5), batch_size=2)
    assert [b.tolist() for b in loader] == [[0, 1], [2, 3], [4]] and len(loader) == 3
    loader = DataLoader(Stream(0, 5), batch_size=2, drop_last=True)
    assert [b.tolist() for b in loader] == [[0, 1], [2, 3]] and len(loader) == 2
    assert [int(v) for v in DataLoader(Stream(0, 3), batch_size=None)] == [0, 1, 2]


def test_pin_memory_accepted_on_cpu():
    loader = DataLoader(Range(3), batch_size=2, pin_memory=True)
    if not dpt._device.gpu_available():
        # as torch, the warning comes when an iterator is made, not at construction
        with pytest.warns(UserWarning, match="'pin_memory' argument is set as true"):
            assert flat(loader) == [0, 1, 2]
    else:
        assert flat(loader) == [0, 1, 2]


def test_pin_memory_stages_batches_through_pinned_buffers(monkeypatch):
    # stand-in for the GPU module's pinned allocator, to check which parts of a batch get staged
    allocated = []

    def alloc_pinned_memory(nbytes):
        allocated.append(nbytes)
        return bytearray(nbytes)

    fake = types.SimpleNamespace(cuda=types.SimpleNamespace(alloc_pinned_memory=alloc_pinned_memory))
    monkeypatch.setattr(dpt._device, "gpu_module", lambda: fake)
    loader = DataLoader(StackDataset(x=Range(3), n=Range(3)), batch_size=2, pin_memory=True)
    batch = next(iter(loader))
    assert batch["x"][0].tolist() == [[0.0], [1.0]] and batch["n"][1].tolist() == [0, 1]
    assert allocated == [8, 16, 8, 16]  # the four tensors of the batch, nothing else


# -- argument checks --------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, match", [
    (dict(sampler=[0, 1], shuffle=True), "sampler option is mutually exclusive with shuffle"),
    (dict(batch_sampler=[[0]], batch_size=2), "batch_sampler option is mutually exclusive with "
                                              "batch_size, shuffle, sampler, and drop_last"),
    (dict(batch_sampler=[[0]], shuffle=True), "batch_sampler option is mutually exclusive"),
    (dict(batch_sampler=[[0]], sampler=[0]), "batch_sampler option is mutually exclusive"),
    (dict(batch_sampler=[[0]], drop_last=True), "batch_sampler option is mutually exclusive"),
    (dict(batch_size=None, drop_last=True), "batch_size=None option disables auto-batching and is "
                                            "mutually exclusive with drop_last"),
    (dict(num_workers=-1), "num_workers option should be non-negative"),
    (dict(timeout=-1), "timeout option should be non-negative"),
    (dict(prefetch_factor=2), "prefetch_factor option could only be specified in multiprocessing"),
    (dict(num_workers=1, prefetch_factor=-1), "prefetch_factor option should be non-negative"),
    (dict(persistent_workers=True), "persistent_workers option needs num_workers > 0"),
    (dict(multiprocessing_context="spawn"), "multiprocessing_context can only be used with "
                                            "multi-process loading"),
    (dict(num_workers=1, multiprocessing_context="nope"),
     "multiprocessing_context option should specify a valid start method"),
])
def test_argument_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        DataLoader(Range(3), **kwargs)


def test_context_type_error():
    with pytest.raises(TypeError, match="multiprocessing_context option should be a valid context"):
        DataLoader(Range(3), num_workers=1, multiprocessing_context=3)


@pytest.mark.parametrize("kwargs, what", [
    (dict(shuffle=True), "shuffle option, but got shuffle=True"),
    (dict(sampler=[0]), "sampler option, but got sampler=[0]"),
    (dict(batch_sampler=[[0]]), "batch_sampler option, but got batch_sampler=[[0]]"),
])
def test_iterable_dataset_argument_errors(kwargs, what):
    with pytest.raises(ValueError, match=r"DataLoader with IterableDataset: expected unspecified " +
                                         what.replace("[", r"\[").replace("]", r"\]")):
        DataLoader(Stream(0, 3), **kwargs)


@pytest.mark.parametrize("attr", ["batch_size", "batch_sampler", "sampler", "drop_last", "dataset",
                                  "persistent_workers"])
def test_attributes_frozen_after_init(attr):
    loader = DataLoader(Range(3))
    with pytest.raises(ValueError, match=f"{attr} attribute should not be set after DataLoader is "
                                         "initialized"):
        setattr(loader, attr, None)
    loader.num_workers = 0  # others stay settable, as in torch


# -- reproducible shuffling -------------------------------------------------------------------------

def test_manual_seed_gives_same_batches():
    def epoch():
        return flat(DataLoader(Range(20), batch_size=4, shuffle=True))

    dpt.manual_seed(123)
    a, a2 = epoch(), epoch()
    dpt.manual_seed(123)
    b, b2 = epoch(), epoch()
    assert a == b and a2 == b2
    assert a != a2 and sorted(a) == list(range(20))


def test_generator_gives_same_batches():
    def epoch(seed):
        return flat(DataLoader(Range(20), batch_size=4, shuffle=True,
                               generator=dpt.Generator().manual_seed(seed)))

    dpt.manual_seed(0)
    a = epoch(9)
    dpt.manual_seed(1)  # the default generator plays no part
    assert epoch(9) == a and epoch(10) != a


def test_loader_len_follows_sampler():
    assert len(DataLoader(Range(10), batch_size=3, shuffle=True)) == 4
    assert len(DataLoader(Range(10), batch_size=3, shuffle=True, drop_last=True)) == 3
    with pytest.raises(TypeError):
        class NoLen(IterableDataset):
            def __iter__(self):
                return iter([])
        len(DataLoader(NoLen()))


def test_pickle_roundtrip_of_tensors():
    for t in [dpt.arange(6).reshape(2, 3), dpt.rand(3, dtype=dpt.float64).requires_grad_(),
              dpt.tensor([1.5, -2.0], dtype=dpt.bfloat16), dpt.tensor(True)]:
        u = pickle.loads(pickle.dumps(t))
        assert u.dtype == t.dtype and u.shape == t.shape
        assert u.requires_grad == t.requires_grad
        assert np.array_equal(u.detach().numpy().astype(np.float64),
                              t.detach().numpy().astype(np.float64))


# -- worker processes -------------------------------------------------------------------------------

def test_workers_match_single_process_in_order():
    kw = dict(batch_size=2, shuffle=True)
    single = flat(DataLoader(Range(11), generator=dpt.Generator().manual_seed(4), **kw))
    multi = flat(DataLoader(Range(11), generator=dpt.Generator().manual_seed(4), num_workers=2,
                            **kw))
    assert multi == single
    batches = list(DataLoader(Range(5), batch_size=2, num_workers=2))
    assert isinstance(batches[0][0], dpt.Tensor) and batches[0][0].tolist() == [[0.0], [1.0]]


def test_worker_info_seed_and_init_fn():
    assert get_worker_info() is None
    dpt.manual_seed(5)
    loader = DataLoader(WhoAmI(), batch_size=None, num_workers=2, worker_init_fn=mark_worker)
    out = list(loader)
    assert [o["index"] for o in out] == list(range(6))
    assert [o["id"] for o in out] == [0, 1, 0, 1, 0, 1]  # round-robin, one batch per task
    assert all(o["num_workers"] == 2 and o["same_dataset"] for o in out)
    assert {o["marker"] for o in out} == {"init0", "init1"}
    seeds = {o["id"]: o["seed"] for o in out}
    assert seeds[1] == seeds[0] + 1
    assert len({o["pid"] for o in out}) == 2 and os.getpid() not in {o["pid"] for o in out}
    dpt.manual_seed(5)
    again = list(DataLoader(WhoAmI(), batch_size=None, num_workers=2))
    assert [o["seed"] for o in again] == [o["seed"] for o in out]
    assert [o["draw"] for o in again] == [o["draw"] for o in out]  # numpy seeded per worker


def test_worker_exception_reraised_with_traceback():
    loader = DataLoader(FailAt(2), batch_size=1, num_workers=2)
    with pytest.raises(ValueError) as info:
        list(loader)
    msg = str(info.value)
    assert msg.startswith("Caught ValueError in DataLoader worker process 0.\n"
                          "Original Traceback (most recent call last):")
    assert "sample 2 is broken" in msg and "__getitem__" in msg
    with pytest.raises(KeyError, match="Caught KeyError in DataLoader worker process 1"):
        list(DataLoader(FailAt(3, KeyError), batch_size=None, num_workers=2))


def test_unpicklable_batch_is_an_error_not_a_hang():
    loader = DataLoader(Range(2), batch_size=1, num_workers=1, collate_fn=unpicklable_collate,
                        timeout=20)
    with pytest.raises(Exception, match="Caught .* in DataLoader worker process 0"):
        next(iter(loader))


def test_iterable_dataset_sharded_by_worker_info():
    loader = DataLoader(Stream(0, 10), batch_size=2, num_workers=2)
    out = sorted(v for b in loader for v in b.tolist())
    assert out == list(range(10))
    # without sharding every worker replays the whole stream, as in torch
    dup = sorted(int(v) for v in DataLoader(Stream(0, 3, shard=False), batch_size=None,
                                            num_workers=2))
    assert dup == [0, 0, 1, 1, 2, 2]


def test_iterable_drop_last_with_workers():
    # worker 0 has 0..4, worker 1 has 5..9: each ends with a short batch that is dropped
    loader = DataLoader(Stream(0, 10), batch_size=2, num_workers=2, drop_last=True)
    out = sorted(v for b in loader for v in b.tolist())
    assert out == [0, 1, 2, 3, 5, 6, 7, 8]


def test_persistent_workers_survive_epochs():
    loader = DataLoader(WhoAmI(), batch_size=2, num_workers=2, persistent_workers=True)
    first = list(loader)
    pids = {int(p) for b in first for p in b["pid"].tolist()}
    it = iter(loader)
    next(it)  # abandon an epoch half-way ...
    second = list(loader)  # ... and the next one still starts from the beginning
    assert [b["index"].tolist() for b in second] == [[0, 1], [2, 3], [4, 5]]
    assert {int(p) for b in second for p in b["pid"].tolist()} == pids
    stream = DataLoader(Stream(0, 6), batch_size=2, num_workers=2, persistent_workers=True)
    assert sorted(v for b in stream for v in b.tolist()) == list(range(6))
    assert sorted(v for b in stream for v in b.tolist()) == list(range(6))
    loader._iterator._shutdown_workers()
    stream._iterator._shutdown_workers()


def test_prefetch_factor_and_out_of_order():
    loader = DataLoader(Range(9), batch_size=2, num_workers=2, prefetch_factor=1, in_order=False)
    assert sorted(flat(loader)) == list(range(9))


def test_timeout():
    loader = DataLoader(Sleepy(), batch_size=1, num_workers=1, timeout=0.1)
    with pytest.raises(RuntimeError, match=r"DataLoader timed out after 0.1 seconds"):
        next(iter(loader))


def test_dead_worker_is_reported(monkeypatch):
    monkeypatch.setattr(_worker, "STATUS_CHECK_INTERVAL", 0.1)
    with pytest.raises(RuntimeError, match=r"DataLoader worker \(pid\(s\) \d+\) exited "
                                           "unexpectedly"):
        list(DataLoader(Dies(), batch_size=1, num_workers=1))


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_multiprocessing_context(method):
    loader = DataLoader(Range(4), batch_size=2, num_workers=2, multiprocessing_context=method)
    assert loader.multiprocessing_context.get_start_method() == method
    assert flat(loader) == [0, 1, 2, 3]


def failing_init(worker_id):
    raise ValueError(f"init of worker {worker_id} failed")


def test_worker_init_fn_error_is_reraised():
    loader = DataLoader(Range(4), batch_size=1, num_workers=2, worker_init_fn=failing_init)
    with pytest.raises(ValueError, match="(?s)Caught ValueError in DataLoader worker process 0.*"
                                         "init of worker 0 failed"):
        list(loader)
