"""What runs inside a DataLoader worker process, and what it sends back.

A worker takes ``(task_idx, indices)`` from its own index pipe, fetches and collates
that batch, and puts ``(task_idx, batch)`` on the shared result queue. Batches travel
pickled by the worker itself: a dpt Tensor pickles as its numpy array (see
``Tensor.__reduce_ex__``).
A failure is sent back as an ExceptionWrapper and re-raised in the main process with
the worker's traceback in its message.
"""
from __future__ import annotations

import os
import pickle
import random
import sys
import traceback
from dataclasses import dataclass

import numpy as np

from ...random import manual_seed as _dpt_manual_seed

__all__ = ["WorkerInfo", "get_worker_info"]

# How often a blocked worker or main process looks up from its queue to check that
# the other side is still alive (seconds).
STATUS_CHECK_INTERVAL = 5.0


class WorkerInfo:
    """What get_worker_info() returns inside a worker: id, num_workers, seed, dataset.

    Read-only, like torch's.
    """

    __initialized = False

    def __init__(self, **kwargs):
        for k, v in kwargs.items():
            setattr(self, k, v)
        self.__keys = tuple(kwargs)
        self.__initialized = True

    def __setattr__(self, key, val):
        if self.__initialized:
            raise RuntimeError(f"Cannot assign attributes to {self.__class__.__name__} objects")
        return super().__setattr__(key, val)

    def __repr__(self):
        items = ", ".join(f"{k}={getattr(self, k)}" for k in self.__keys)
        return f"{self.__class__.__name__}({items})"


_worker_info: WorkerInfo | None = None


def get_worker_info() -> WorkerInfo | None:
    """The WorkerInfo of the current DataLoader worker process; None in the main process.

    ``dataset`` is this worker's own copy of the dataset; an IterableDataset uses
    ``id`` and ``num_workers`` to read its share of the data.
    """
    return _worker_info


class ExceptionWrapper:
    """An exception caught in a worker, carried to the main process as text."""

    def __init__(self, exc_info=None, where: str = "in background"):
        if exc_info is None:
            exc_info = sys.exc_info()
        self.exc_type = exc_info[0]
        self.exc_msg = "".join(traceback.format_exception(*exc_info))
        self.where = where

    def reraise(self):
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            msg = _KeyErrorMessage(msg)  # KeyError would otherwise repr() the text
        try:
            exc = self.exc_type(msg)
        except Exception:  # exception types whose constructor needs other arguments
            raise RuntimeError(msg) from None
        raise exc


class _KeyErrorMessage(str):
    def __repr__(self):
        return self


@dataclass(frozen=True)
class IterableStop:
    """Sent by a worker whose copy of an IterableDataset is exhausted."""
    worker_id: int


@dataclass(frozen=True)
class ResumeIteration:
    """Sent to persistent workers at the start of a new epoch; echoed back when reached."""
    seed: int | None = None


# -- fetchers: one batch of indices in, one collated batch out ------------------------------

class MapFetcher:
    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        self.dataset, self.auto_collation = dataset, auto_collation
        self.collate_fn, self.drop_last = collate_fn, drop_last

    def fetch(self, index):
        if self.auto_collation:
            if callable(getattr(self.dataset, "__getitems__", None)):
                data = self.dataset.__getitems__(index)
            else:
                data = [self.dataset[i] for i in index]
        else:
            data = self.dataset[index]
        return self.collate_fn(data)


class IterableFetcher:
    def __init__(self, dataset, auto_collation, collate_fn, drop_last):
        self.auto_collation, self.collate_fn, self.drop_last = auto_collation, collate_fn, drop_last
        self.dataset_iter = iter(dataset)
        self.ended = False

    def fetch(self, index):
        if self.ended:
            raise StopIteration
        if self.auto_collation:
            data = []
            for _ in index:
                try:
                    data.append(next(self.dataset_iter))
                except StopIteration:
                    self.ended = True
                    break
            if not data or (self.drop_last and len(data) < len(index)):
                raise StopIteration
        else:
            data = next(self.dataset_iter)
        return self.collate_fn(data)


def make_fetcher(kind: str, dataset, auto_collation, collate_fn, drop_last):
    cls = IterableFetcher if kind == "iterable" else MapFetcher
    return cls(dataset, auto_collation, collate_fn, drop_last)


def seed_everything(seed: int) -> None:
    """Seed python's, numpy's and dpt's global generators in a worker."""
    random.seed(seed)
    np.random.seed(seed % 2 ** 32)
    _dpt_manual_seed(seed)


def _dumps(idx, data, worker_id) -> bytes:
    """Pickle a result here, so that an unpicklable batch becomes an error the main
    process sees (a queue would fail silently in its feeder thread)."""
    try:
        return pickle.dumps((idx, data), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:
        err = ExceptionWrapper(where=f"in DataLoader worker process {worker_id}")
        return pickle.dumps((idx, err), protocol=pickle.HIGHEST_PROTOCOL)


def worker_loop(kind, dataset, index_pipe, result_queue, done_event, auto_collation, collate_fn,
                drop_last, base_seed, init_fn, worker_id, num_workers):
    """The body of one worker process; returns when it receives None or done_event is set.

    index_pipe is the reading end of a one-way pipe: unlike a Queue it has no feeder
    thread in the main process, so the main process can still reach the worker while
    it is being garbage collected or shutting down.
    """
    global _worker_info
    # our parent: the main process, or the forkserver, which exits when the main process does
    parent_pid = os.getppid()
    try:
        seed = base_seed + worker_id
        seed_everything(seed)
        _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed,
                                  dataset=dataset)
        init_error = None
        try:
            if init_fn is not None:
                init_fn(worker_id)
            fetcher = make_fetcher(kind, dataset, auto_collation, collate_fn, drop_last)
        except Exception:
            init_error = ExceptionWrapper(where=f"in DataLoader worker process {worker_id}")
        iteration_end = False
        while True:
            ready = index_pipe.poll(STATUS_CHECK_INTERVAL)
            if done_event.is_set() or os.getppid() != parent_pid:
                # shut down (queued tasks are not wanted), or the main process died
                result_queue.cancel_join_thread()
                return
            if not ready:
                continue
            try:
                task = index_pipe.recv()
            except EOFError:  # the main process closed its end
                return
            if task is None:
                # shutting down: results still buffered for the main process are not needed
                result_queue.cancel_join_thread()
                return
            if isinstance(task, ResumeIteration):
                # a new epoch: a fresh iterator over an iterable dataset
                result_queue.put(_dumps(task, None, worker_id))
                iteration_end = False
                if init_error is None:
                    try:
                        fetcher = make_fetcher(kind, dataset, auto_collation, collate_fn,
                                               drop_last)
                    except Exception:
                        init_error = ExceptionWrapper(
                            where=f"in DataLoader worker process {worker_id}")
                continue
            if iteration_end:  # exhausted iterable dataset: ignore until resumed or told to stop
                continue
            idx, index = task
            if init_error is not None:  # every batch fails the way start-up failed
                data = init_error
            else:
                try:
                    data = fetcher.fetch(index)
                except StopIteration:
                    if kind == "iterable":
                        data, iteration_end = IterableStop(worker_id), True
                    else:
                        data = ExceptionWrapper(
                            where=f"in DataLoader worker process {worker_id}")
                except Exception:
                    data = ExceptionWrapper(where=f"in DataLoader worker process {worker_id}")
            result_queue.put(_dumps(idx, data, worker_id))
            del data
    except KeyboardInterrupt:
        pass  # the main process handles Ctrl-C and shuts the workers down
