"""Work: the handle of one launched collective or point-to-point operation.

A blocking collective is an ``async_op=True`` collective that is waited on at
once, so both share one path: MPI's nonblocking calls, polled until they
finish or the process group's timeout expires. Polling is also what moves an
MPI operation forward (MPICH has no progress thread), so code that overlaps a
collective with computation, like DDP overlapping a bucket's all-reduce with
the rest of backward, calls ``is_completed()`` now and then. A rank still
waiting ``DPT_DISTRIBUTED_STALL_WARNING`` seconds (default 60) after the launch
gets a StalledRankWarning naming the ranks that have not arrived, and one
waiting for a rank that has left the job raises at once (monitor.py).
"""
from __future__ import annotations

import os
import time
from datetime import timedelta

from ..futures import Future
from . import monitor

# Waiting strategy: spin while the operation is probably about to finish, then
# yield the core (several ranks may share one), then sleep with a growing delay
# so a rank waiting for a straggler does not starve it of CPU.
_SPIN_S = 50e-6
_YIELD_S = 0.25
_MAX_SLEEP_S = 1e-3
_QUICK_TESTS = 64  # tests before the timed wait starts (~20-40 us of spinning)


class Work:
    """Returned by collectives called with ``async_op=True`` (torch.distributed.Work)."""

    __slots__ = ("_pg", "_op", "_seq", "_describe", "_outputs", "_requests", "_tests",
                 "_finalizers", "_keep", "_started", "_done", "_exception", "_statuses",
                 "source_rank", "_on_timeout", "agreed", "gate", "call", "_group_ranks")

    def __init__(self, pg, op: str, seq: int | None, desc="", outputs=()):
        self._pg = pg
        self._op = op
        self._seq = seq
        self._describe = desc  # a string, or a callable making one (only needed on errors)
        self._outputs = list(outputs)
        self._requests = []   # MPI requests
        self._tests = []      # callables returning True once a non-MPI part is done (NCCL)
        self._finalizers = []  # run once, in order, after everything completed
        self._keep = []       # buffers that must outlive the operation
        self._started = time.monotonic()
        self._done = False
        self._exception = None
        self._statuses = None
        self.source_rank = None
        self._on_timeout = None  # e.g. abort the NCCL communicator
        self.agreed = False      # the collective is checked (its check also acts as a barrier)
        self.gate = None         # the check in flight (fingerprint.py), tested before the data
        self.call = None         # (dtype, count, reduce op, root) of a checked call, for errors

    # -- assembly (used by the backends) --------------------------------------------
    def add_request(self, request, status=None):
        self._requests.append(request)
        if status is not None:
            self._statuses = (self._statuses or []) + [(request, status)]
        return request

    def add_test(self, test):
        self._tests.append(test)

    def then(self, fn, first: bool = False):
        """Run fn() once the operation has completed (write-backs, AVG scaling)."""
        if first:  # arithmetic on a stand-in buffer must precede copying it back
            self._finalizers.insert(0, fn)
        else:
            self._finalizers.append(fn)

    def keep(self, *objs):
        self._keep.extend(objs)

    # -- torch API --------------------------------------------------------------------
    def is_completed(self) -> bool:
        """True once finished; each call also drives MPI progress."""
        if self._done:
            return True
        if not self._test():
            return False
        self._finish()
        return True

    def is_success(self) -> bool:
        return self._done and self._exception is None

    def exception(self):
        return self._exception

    def wait(self, timeout: timedelta | None = None) -> bool:
        """Block until done; raise DistBackendError naming the missing ranks on timeout.

        The deadline counts from the launch of the operation, like torch's watchdog.
        """
        if self._done:
            if self._exception is not None:
                raise self._exception
            return True
        for _ in range(_QUICK_TESTS):  # a small collective finishes within a few tests:
            if self._test():           # then the waiting machinery below costs more
                self._finish()
                return True
        limit = _seconds(timeout) if timeout is not None else _seconds(self._pg.timeout)
        deadline = self._started + limit
        mon = monitor.current()
        stall = None
        if mon is not None:
            mon.waiting = (self._pg.group_name, self._seq, self._op)
            threshold = monitor.stall_threshold()
            if threshold is not None and threshold < limit and self._pg.size() > 1:
                stall = (self._started + threshold, self._warn_stalled)
        gone = self._check_departed if mon is not None and self._pg.size() > 1 else None
        try:
            _poll(self._test, deadline, mon, stall, gone)
        except (monitor.CollectiveTimeout, monitor.DistBackendError) as e:
            if self._on_timeout is not None:
                self._on_timeout()
            # a DistBackendError names the rank that left; on a timeout, ask who is missing
            err = e if isinstance(e, monitor.DistBackendError) else monitor.timeout_error(self, limit)
            self._exception = err
            self._done = True
            raise err from None
        finally:
            if mon is not None:
                mon.waiting = None
        self._finish()
        return True

    def synchronize(self) -> None:
        self.wait()

    def result(self):
        """The output tensors of the operation (torch's Work.result())."""
        return self._outputs

    def get_future(self):
        """A dpt.futures.Future of the output tensors, done when this operation is."""
        return Future.from_work(self, self._outputs)

    def __repr__(self) -> str:
        seq = f" #{self._seq}" if self._seq is not None else ""
        state = "completed" if self._done else "pending"
        return f"<Work {self._op}{seq} on group {self._pg.group_name}: {state}>"

    # -- internals ---------------------------------------------------------------------
    def _check_departed(self):
        monitor.check_departed(self._pg, self._seq, self._op, self._desc)

    def _warn_stalled(self):
        monitor.warn_stalled(self, time.monotonic() - self._started)

    @property
    def _desc(self) -> str:
        if self.call is not None:
            return describe_call(self._op, *self.call)
        d = self._describe
        return d() if callable(d) else d

    def _test(self) -> bool:
        gate = self.gate
        if gate is not None and not gate.test(self):  # raises DistError on a mismatch
            return False
        reqs = self._requests
        if reqs:
            if self._statuses:
                for req, status in self._statuses:
                    if req and not req.Test(status):
                        return False
            if len(reqs) == 1:
                if not reqs[0].Test():
                    return False
            elif not _testall(reqs):
                return False
        return all(t() for t in self._tests) if self._tests else True

    def _finish(self):
        self._done = True
        if self._statuses:
            self.source_rank = self._statuses[-1][1].Get_source()
        fins, self._finalizers = self._finalizers, []
        for fn in fins:
            fn()
        self._keep = []


def describe_call(op: str, dtype, count: int, red, root) -> str:
    """A checked collective as errors name it, e.g. 'all_reduce(float32[4], SUM)'."""
    args = [] if dtype is None else [f"{dtype.name}[{count}]"]
    if red is not None:
        args.append(red.name)
    if root is not None:
        args.append(f"root={root}")
    return f"{op}({', '.join(args)})"


def _testall(reqs) -> bool:
    return type(reqs[0]).Testall(reqs)  # MPI.Request.Testall, without importing mpi4py here


def _seconds(t) -> float:
    return t.total_seconds() if isinstance(t, timedelta) else float(t)


def _poll(test, deadline: float, mon, stall=None, gone=None) -> None:
    """Call test() until it returns True; raise CollectiveTimeout at the deadline.

    stall: (time, callback) to call once if still waiting at that time (the stalled-rank
    warning). gone: called now and then once waiting has become slow; raises when a rank this
    operation needs has left the job.
    """
    if test():
        return
    start = time.monotonic()
    spin_until, yield_until = start + _SPIN_S, start + _YIELD_S
    delay = 10e-6
    while True:
        if test():
            return
        now = time.monotonic()
        if now < spin_until:
            continue
        if now > deadline:
            raise monitor.CollectiveTimeout
        if stall is not None and now > stall[0]:
            stall, (_, warn) = None, stall
            warn()
            continue
        if now < yield_until:
            os.sched_yield()
            continue
        if mon is not None and not mon.threaded:
            mon.serve()
        if gone is not None:
            gone()
        time.sleep(delay)
        delay = min(2 * delay, _MAX_SLEEP_S)
