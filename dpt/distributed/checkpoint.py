"""Checkpoint/restart: the supported way for a distributed job to survive a failure.

A job that loses a rank (a crash, SIGKILL, a node going away) is ended on every
rank by dpt.distributed's timeouts and aborts; ``dptrun --max-restarts K`` (or
the cluster's scheduler) starts it again, and the new attempt continues from the
newest complete checkpoint::

    import dpt.distributed as dist
    from dpt.distributed.checkpoint import Checkpointer

    dist.init_process_group()
    model = DistributedDataParallel(net)
    ckpt = Checkpointer("ckpt/", model, optimizer, scheduler=scheduler, sampler=sampler,
                        every=50, keep=2)
    start = ckpt.restore()                    # 0 on a fresh start
    for step in range(start, total_steps):
        epoch, i = divmod(step, steps_per_epoch)
        ...                                   # the batch of (epoch, i), forward, backward,
        optimizer.step()                      # optimizer and scheduler steps
        ckpt.step(step)                       # step `step` is complete

What is saved, every ``every`` completed steps, by rank 0 only: the model's,
optimizer's and scheduler's state_dicts, the sampler's epoch, the number of
completed steps, and the random-number state of every rank (dpt's CPU
generator, numpy's global generator and Python's ``random``; gathered to rank
0, restored on each rank to its own). ``dpt.save`` writes through a temporary
file and a rename, so a checkpoint file is either complete or absent; the
newest ``keep`` are kept.

``restore()`` (call it on every rank, after building the model, optimizer, ...)
has rank 0 pick the newest checkpoint that loads, tells every rank which one,
and every rank loads it: parameters, optimizer and scheduler states, the
sampler's epoch, its RNG state. Checkpoints are plain data and are loaded with
``weights_only=True``: a damaged file is skipped with a warning, and a file
holding pickled objects (never written by the Checkpointer, so planted or
foreign) raises :class:`~dpt.serialization.CheckpointError` on every rank
instead of being run. It returns the number of completed steps, which
is the index of the next step to run: no completed step is repeated or lost
(steps after the last checkpoint are recomputed exactly, from the same state).
Mid-epoch restarts must skip the batches of the epoch already done, e.g.
``itertools.islice(loader, i, None)`` after ``sampler.set_epoch(epoch)``.

The directory must be visible to every rank (a shared filesystem on a cluster;
any directory on one machine or on the local rig). ``restart_count()`` is
DPT_RESTART_COUNT, set by dptrun (0 on the first attempt).
"""
from __future__ import annotations

import os
import pickle
import random
import re
import warnings

import numpy as np

from ..random import get_rng_state, set_rng_state
from ..serialization import CheckpointError, load, save
from .. import distributed as _distributed  # the package: checkpoint is not imported by it

__all__ = ["Checkpointer", "restart_count"]

_NAME = "ckpt_{:09d}.pt"
_PATTERN = re.compile(r"^ckpt_(\d{9})\.pt$")


def restart_count() -> int:
    """How many times dptrun has restarted this job (DPT_RESTART_COUNT; 0 without dptrun)."""
    raw = os.environ.get("DPT_RESTART_COUNT", os.environ.get("TORCHELASTIC_RESTART_COUNT", "0"))
    return int(raw) if raw.strip().isdigit() else 0


def _rng_state() -> dict:
    return {"dpt": get_rng_state(), "numpy": np.random.get_state(),
            "python": random.getstate()}


def _set_rng_state(state: dict) -> None:
    set_rng_state(state["dpt"])
    kind, keys, pos, has_gauss, gauss = state["numpy"]
    np.random.set_state((str(kind), np.asarray(keys, dtype=np.uint32), int(pos), int(has_gauss),
                         float(gauss)))
    version, internal, gauss_next = state["python"]
    random.setstate((int(version), tuple(int(v) for v in internal), gauss_next))


class Checkpointer:
    """Checkpointer(directory, model, optimizer=None, scheduler=None, sampler=None, every=100,
    keep=2, group=None)

    Saves every ``every`` completed steps from rank 0 (atomically, keeping the newest
    ``keep``), and restores the newest complete checkpoint on every rank. See the module
    docstring for the training-loop pattern.
    """

    def __init__(self, directory, model, optimizer=None, scheduler=None, sampler=None,
                 every: int = 100, keep: int = 2, group=None):
        if int(every) < 1:
            raise ValueError(f"Checkpointer: every must be at least 1, got {every}")
        if int(keep) < 1:
            raise ValueError(f"Checkpointer: keep must be at least 1, got {keep}")
        self.directory = os.path.abspath(os.fspath(directory))
        self.model, self.optimizer, self.scheduler = model, optimizer, scheduler
        self.sampler = sampler
        self.every, self.keep = int(every), int(keep)
        self.group = group
        self.completed = 0          # completed steps known to this Checkpointer
        self.last_saved = None      # completed-step count of the newest checkpoint
        if self._rank() == 0:
            os.makedirs(self.directory, exist_ok=True)

    # -- ranks ---------------------------------------------------------------------------
    def _dist(self):
        return _distributed if _distributed.is_initialized() else None

    def _rank(self) -> int:
        dist = self._dist()
        return dist.get_rank(self.group) if dist else 0

    def _size(self) -> int:
        dist = self._dist()
        return dist.get_world_size(self.group) if dist else 1

    # -- files ---------------------------------------------------------------------------
    def checkpoints(self) -> list:
        """(completed steps, path) of the checkpoint files present, oldest first."""
        try:
            names = os.listdir(self.directory)
        except FileNotFoundError:
            return []
        found = [(int(m.group(1)), os.path.join(self.directory, n))
                 for n in names for m in [_PATTERN.match(n)] if m]
        return sorted(found)

    def path_for(self, completed: int) -> str:
        return os.path.join(self.directory, _NAME.format(completed))

    # -- save ----------------------------------------------------------------------------
    def step(self, step: int) -> bool:
        """Record that step number ``step`` (0-based) has completed; saves a checkpoint when
        step + 1 is a multiple of ``every``. Call it on every rank. True when it saved."""
        self.completed = int(step) + 1
        if self.completed % self.every:
            return False
        self.save()
        return True

    def state(self, rng_states) -> dict:
        state = {"completed_steps": self.completed, "world_size": self._size(),
                 "model": self.model.state_dict(), "rng": rng_states}
        if self.optimizer is not None:
            state["optimizer"] = self.optimizer.state_dict()
        if self.scheduler is not None:
            state["scheduler"] = self.scheduler.state_dict()
        if self.sampler is not None:
            state["sampler_epoch"] = int(getattr(self.sampler, "epoch", 0))
        return state

    def save(self) -> str | None:
        """Save now (collective: every rank sends its RNG state to rank 0, which writes)."""
        dist = self._dist()
        mine = _rng_state()
        if dist is not None and self._size() > 1:
            every = [None] * self._size() if self._rank() == 0 else None
            dist.gather_object(mine, every, dst=self._global(0), group=self.group)
        else:
            every = [mine]
        path = None
        if self._rank() == 0:
            path = self.path_for(self.completed)
            save(self.state(every), path)
            for _, old in self.checkpoints()[:-self.keep]:
                try:
                    os.unlink(old)
                except FileNotFoundError:
                    pass
        self.last_saved = self.completed
        return path

    def _global(self, group_rank: int) -> int:
        dist = self._dist()
        return dist.get_global_rank(self.group, group_rank) if self.group is not None \
            else group_rank

    # -- restore -------------------------------------------------------------------------
    def _newest_loadable(self):
        for completed, path in reversed(self.checkpoints()):
            try:
                state = load(path)
            except CheckpointError as e:  # damaged on disk, or from another program
                warnings.warn(f"Checkpointer: skipping a checkpoint that does not load: {e}",
                              stacklevel=3)
                continue
            except pickle.UnpicklingError:
                # not skipped: a planted file would otherwise outlive the real checkpoints,
                # which the pruning of old files deletes
                raise CheckpointError(
                    f"Checkpointer: {path} holds pickled objects, which the Checkpointer never "
                    "writes; refusing to load it (it may run code). Remove it if it is not "
                    "yours.") from None
            if not (isinstance(state, dict) and "model" in state and "rng" in state
                    and isinstance(state.get("completed_steps"), int)):
                warnings.warn(f"Checkpointer: skipping {path}: not a Checkpointer checkpoint",
                              stacklevel=3)
                continue
            return completed, path, state
        return None

    def restore(self) -> int:
        """Load the newest complete checkpoint on every rank; return the number of completed
        steps (the index of the next step to run), 0 when there is none."""
        dist = self._dist()
        found = error = None
        if self._rank() == 0:
            try:
                found = self._newest_loadable()
            except Exception as e:  # the other ranks must hear of it, not wait in the broadcast
                error = e
        choice = found[:2] if found is not None else None
        if dist is not None and self._size() > 1:
            box = [choice, None if error is None else str(error)]
            dist.broadcast_object_list(box, src=self._global(0), group=self.group)
            choice, message = box
            if message is not None and error is None:
                raise CheckpointError(f"Checkpointer: rank 0 could not restore: {message}")
        if error is not None:
            raise error
        if choice is None:
            self.completed = 0
            return 0
        path = choice[1]
        if found is not None:
            state = found[2]
        elif not os.path.exists(path):
            raise RuntimeError(f"Checkpointer: rank {self._rank()} cannot see {path}, which rank "
                               "0 chose to restore: the checkpoint directory must be on a "
                               "filesystem shared by every rank")
        else:
            state = load(path)
        self.model.load_state_dict(state["model"])
        if self.optimizer is not None and "optimizer" in state:
            self.optimizer.load_state_dict(state["optimizer"])
        if self.scheduler is not None and "scheduler" in state:
            self.scheduler.load_state_dict(state["scheduler"])
        if self.sampler is not None and "sampler_epoch" in state:
            self.sampler.set_epoch(state["sampler_epoch"])
        rngs = state["rng"]
        me = self._rank()
        _set_rng_state(rngs[me] if me < len(rngs) else rngs[0])
        self.completed = self.last_saved = int(state["completed_steps"])
        return self.completed

