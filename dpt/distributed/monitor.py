"""Failure handling: no silent hangs.

* Timeouts. A collective that does not finish within the process group's
  timeout raises DistBackendError on the waiting rank, naming the collective,
  its sequence number and the ranks that never joined. To find those ranks the
  waiting rank asks every other rank, on a communicator of its own, where it
  is; each rank answers from a small background thread (or, where MPI was
  initialised without thread support, from its own wait loop), so a rank busy
  computing still answers and only a hung-in-C or dead rank stays silent. The
  job is then aborted (MPI Abort): at once by the excepthook when the error is
  not caught, else ``DPT_DISTRIBUTED_ABORT_GRACE`` seconds (default 10) later.
* Stalled ranks. A rank that has waited in a collective for longer than
  ``DPT_DISTRIBUTED_STALL_WARNING`` seconds (default 60; 0 or a negative value
  turns it off) asks the others where they are, as above, and issues a
  ``StalledRankWarning`` (warnings.warn, also logged on the ``dpt.distributed``
  logger) naming the ranks that have not arrived, once per collective, long
  before the hard timeout.
* Mismatched calls. Every collective first checks that every rank makes the
  same call (fingerprint.py): kind, reduce op, dtype, element count, root; with
  ``DPT_DISTRIBUTED_DEBUG=DETAIL`` (or torch's ``TORCH_DISTRIBUTED_DEBUG``) the
  full fingerprint, shapes included. Every rank raises the same error when
  they differ.
* Crashes. init_process_group installs an excepthook that prints the
  traceback once, each line prefixed with the rank, and aborts the job.
* Exits. A rank that ends with a non-zero ``sys.exit(code)`` (or, from Python
  3.12, ``raise SystemExit(code)``) while the process group is initialized
  (world size > 1) aborts the job with that code, so
  mpiexec and ``dptrun --max-restarts`` see the failure at once. A rank that
  leaves normally (interpreter exit, or destroy_process_group) first tells
  every other rank; a rank waiting in a collective of a group that the leaver
  never joined then raises DistBackendError naming it within about a second,
  instead of waiting for the timeout. Ranks that finish together exit cleanly.
"""
from __future__ import annotations

import enum
import os
import sys
import threading
import time
import traceback

_QUERY, _REPLY, _LEAVING = 1, 2, 3
_LEAVE_SEND_S = 1.0
_REPLY_WINDOW_S = 1.0
_SERVE_INTERVAL_S = 0.05


class DistError(RuntimeError):
    """Base of dpt.distributed's errors (torch.distributed.DistError)."""


class DistBackendError(DistError):
    """A collective failed or timed out (torch.distributed.DistBackendError)."""


class DistNetworkError(DistError):
    pass


class DistStoreError(DistError):
    pass


class StalledRankWarning(RuntimeWarning):
    """Some ranks have not joined a collective that this rank has waited in for a while."""


class CollectiveTimeout(Exception):
    """Internal: a wait loop reached its deadline."""


# -- debug level ------------------------------------------------------------------------
class DebugLevel(enum.Enum):
    OFF = 0
    INFO = 1
    DETAIL = 2


def _level_from_env() -> DebugLevel:
    raw = os.environ.get("DPT_DISTRIBUTED_DEBUG") or os.environ.get("TORCH_DISTRIBUTED_DEBUG")
    if not raw:
        return DebugLevel.OFF
    try:
        return DebugLevel[raw.strip().upper()]
    except KeyError:
        raise ValueError(f"DPT_DISTRIBUTED_DEBUG must be OFF, INFO or DETAIL, got {raw!r}") from None


_debug_level = _level_from_env()


def get_debug_level() -> DebugLevel:
    return _debug_level


def set_debug_level(level: DebugLevel) -> None:
    global _debug_level
    _debug_level = level if isinstance(level, DebugLevel) else DebugLevel[str(level).upper()]


def set_debug_level_from_env() -> None:
    global _debug_level
    _debug_level = _level_from_env()


# -- the per-process monitor ------------------------------------------------------------------
_monitor = None


def current():
    return _monitor


class Monitor:
    """Tracks where this rank is and answers other ranks asking about it."""

    def __init__(self, world, epoch: int = 0):
        from mpi4py import MPI

        self.comm = world.Dup()
        self.epoch = epoch    # which init_process_group of this job (notices of others are stale)
        self.departed = {}    # world rank -> its leaving notice
        self.rank = world.Get_rank()
        self.size = world.Get_size()
        self.waiting = None   # (group name, seq, op) this rank is blocked in
        self.entered = {}     # group name -> (seq, op) of the last collective started
        self.failed = None    # the error of a timed-out collective, once there is one
        self._replies = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.threaded = self.size > 1 and MPI.Query_thread() == MPI.THREAD_MULTIPLE
        self._thread = None
        if self.threaded:
            self._thread = threading.Thread(target=self._serve_forever, daemon=True,
                                            name="dpt-distributed-monitor")
            self._thread.start()

    def enter(self, group_name: str, seq: int, op: str) -> None:
        self.entered[group_name] = (seq, op)

    def _serve_forever(self):
        while not self._stop.wait(_SERVE_INTERVAL_S):
            self.serve()

    def serve(self) -> None:
        """Answer every pending 'where are you?' query."""
        from mpi4py import MPI

        with self._lock:
            if self.comm == MPI.COMM_NULL:
                return
            status = MPI.Status()
            while self.comm.iprobe(MPI.ANY_SOURCE, _QUERY, status):
                src = status.Get_source()
                self.comm.recv(source=src, tag=_QUERY)
                answer = {"waiting": self.waiting, "entered": dict(self.entered)}
                self._replies.append(self.comm.isend(answer, dest=src, tag=_REPLY))
            self._replies = [r for r in self._replies if not r.Test()]
            while self.comm.iprobe(MPI.ANY_SOURCE, _LEAVING, status):
                src = status.Get_source()
                notice = self.comm.recv(source=src, tag=_LEAVING)
                if notice["epoch"] == self.epoch:
                    self.departed[src] = notice

    def leave(self, how: str) -> None:
        """Tell every other rank that this one is leaving, and what it joined last."""
        from mpi4py import MPI

        notice = {"epoch": self.epoch, "how": how, "entered": dict(self.entered)}
        with self._lock:
            sends = [self.comm.isend(notice, dest=r, tag=_LEAVING) for r in range(self.size)
                     if r != self.rank and r not in self.departed]
        deadline = time.monotonic() + _LEAVE_SEND_S
        while sends and not MPI.Request.Testall(sends) and time.monotonic() < deadline:
            time.sleep(1e-3)
        for req in sends:
            if not req.Test():
                req.Cancel()

    def locate(self, world_ranks, window: float = _REPLY_WINDOW_S) -> dict:
        """Ask world_ranks where they are; {world rank: answer} for those that reply in time."""
        from mpi4py import MPI

        peers = [r for r in world_ranks if r != self.rank]
        with self._lock:
            sends = [self.comm.isend(None, dest=r, tag=_QUERY) for r in peers]
        answers, deadline = {}, time.monotonic() + window
        status = MPI.Status()
        while len(answers) < len(peers) and time.monotonic() < deadline:
            self.serve()  # peers that time out too are asking us at the same moment
            with self._lock:
                while self.comm.iprobe(MPI.ANY_SOURCE, _REPLY, status):
                    src = status.Get_source()
                    answers[src] = self.comm.recv(source=src, tag=_REPLY)
            time.sleep(1e-3)
        for req in sends:
            if not req.Test():
                req.Cancel()
        return answers

    def close(self):
        from mpi4py import MPI

        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        with self._lock:
            for req in self._replies:
                req.Cancel()
            self._replies = []
            if self.comm != MPI.COMM_NULL:
                self.comm.Free()


_epoch = 0


def start(world) -> Monitor:
    global _monitor, _epoch
    _epoch += 1
    _monitor = Monitor(world, _epoch)
    return _monitor


def stop() -> None:
    """destroy_process_group: tell the other ranks, then stop answering them."""
    global _monitor
    if _monitor is not None:
        if _monitor.failed is None:
            _monitor.leave("called destroy_process_group")
        _monitor.close()
        _monitor = None


# -- stalled ranks ----------------------------------------------------------------------------
def stall_threshold() -> float | None:
    """Seconds of waiting in a collective after which a StalledRankWarning is issued."""
    raw = os.environ.get("DPT_DISTRIBUTED_STALL_WARNING", "60").strip()
    try:
        value = float(raw)
    except ValueError:
        raise ValueError("DPT_DISTRIBUTED_STALL_WARNING must be a number of seconds, got "
                         f"{raw!r}") from None
    return value if value > 0 else None


def warn_stalled(work, waited: float) -> None:
    """Warn, naming the ranks of work's group that have not reached it yet."""
    import logging
    import warnings

    pg, seq, op = work._pg, work._seq, work._op
    mon = _monitor
    if mon is None or pg.size() == 1:
        return
    missing, notes = _missing_ranks(pg, seq, mon.locate(pg.ranks), mon)
    what = f"{op} #{seq}" if seq is not None else op
    head = (f"[rank {pg.global_rank}] dpt.distributed: waiting for {waited:.3g} s in {what} on "
            f"process group '{pg.group_name}'")
    if missing:
        msg = (f"{head}; ranks {missing} have not arrived ({'; '.join(notes)}). The hard timeout "
               f"is {pg.timeout.total_seconds():g} s.")
    else:
        msg = f"{head}; every rank has arrived, it is still in progress."
    logging.getLogger("dpt.distributed").warning(msg)
    warnings.warn(msg, StalledRankWarning, stacklevel=4)


def _missing_ranks(pg, seq, answers: dict, mon):
    """(group ranks that have not entered collective seq, a note about each peer)."""
    missing, notes = [], []
    for group_rank, world_rank in enumerate(pg.ranks):
        if world_rank == mon.rank:
            continue
        ans = answers.get(world_rank)
        if ans is None:
            missing.append(group_rank)
            notes.append(f"rank {group_rank}: no answer (hung outside Python, or dead)")
            continue
        last = ans["entered"].get(pg.group_name)
        if seq is not None and (last is None or last[0] < seq):
            missing.append(group_rank)
            where = f"last joined {last[1]} #{last[0]}" if last else "joined no collective yet"
            if ans["waiting"]:
                g, s, o = ans["waiting"]
                where += f", now waiting in {o} #{s} on group '{g}'"
            else:
                where += ", not waiting in any collective"
            notes.append(f"rank {group_rank}: {where}")
        elif seq is None:
            notes.append(f"rank {group_rank}: " + (f"waiting in {ans['waiting'][2]}" if
                                                    ans["waiting"] else "not in a collective"))
    return missing, notes


def whereabouts(pg, seq: int, op: str, group_ranks) -> list:
    """A note on each of group_ranks that did not reach collective seq of pg as op: where it
    is, and whether it made another call at that place (a mismatch)."""
    mon = _monitor
    if mon is None:
        return []
    answers = mon.locate([pg.ranks[r] for r in group_ranks])
    notes = []
    for r in group_ranks:
        ans = answers.get(pg.ranks[r])
        if ans is None:
            notes.append(f"rank {r}: no answer (hung outside Python, or dead)")
            continue
        last = ans["entered"].get(pg.group_name)
        if last is not None and last[0] == seq and last[1] != op:
            notes.append(f"rank {r} called {last[1]} as collective #{seq} of group "
                         f"'{pg.group_name}' where this rank called {op}: a mismatch")
        elif last is not None:
            notes.append(f"rank {r}: last joined {last[1]} #{last[0]}")
        else:
            notes.append(f"rank {r}: joined no collective of group '{pg.group_name}' yet")
    return notes


# -- timeouts ---------------------------------------------------------------------------------
def timeout_error(work, limit: float) -> DistBackendError:
    """Build the error of a timed-out Work, naming the ranks that never joined it."""
    pg, seq, op = work._pg, work._seq, work._op
    mon = _monitor
    what = f"{op} #{seq}" if seq is not None else op
    head = (f"[rank {pg.global_rank}] dpt.distributed: {what} on process group "
            f"'{pg.group_name}'{(' (' + work._desc + ')') if work._desc else ''} timed out "
            f"after {limit:g} s")
    if mon is None or pg.size() == 1:
        return _fail(DistBackendError(head + "."))
    missing, notes = _missing_ranks(pg, seq, mon.locate(pg.ranks), mon)
    if seq is None:
        body = "; ".join(notes)
        msg = f"{head}. Peers: {body}." if body else head + "."
    elif missing:
        msg = (f"{head}: ranks {missing} of the group never joined it ({'; '.join(notes)}). "
               "The job is being aborted.")
    else:
        msg = f"{head}: every rank joined it, but it did not complete. The job is being aborted."
    return _fail(DistBackendError(msg))


def _fail(err: DistBackendError) -> DistBackendError:
    """Remember the failure and make sure the job ends even if the error is caught."""
    mon = _monitor
    if mon is not None and mon.failed is None:
        mon.failed = err
        grace = float(os.environ.get("DPT_DISTRIBUTED_ABORT_GRACE", "10"))
        if mon.threaded:
            timer = threading.Timer(grace, _abort_after_failure)
            timer.daemon = True
            timer.start()
    return err


def _abort_after_failure():
    mon = _monitor
    if mon is not None and mon.failed is not None:
        _print_prefixed(f"{mon.failed}\n(aborting the job)\n", mon.rank)
        abort(1)


def check_usable(pg) -> None:
    """Refuse new collectives once one has timed out: the ranks are out of step."""
    mon = _monitor
    if mon is not None and mon.failed is not None:
        raise DistBackendError(f"dpt.distributed: the process group can no longer be used after "
                               f"an earlier failure: {mon.failed}")


# -- ranks that left ---------------------------------------------------------------------------
def check_departed(pg, seq, op: str, desc: str = "") -> None:
    """Raise DistBackendError if a rank of pg has left without joining collective seq of pg
    (point-to-point operations, seq None, are not checked)."""
    mon = _monitor
    if mon is None or not mon.departed or seq is None:
        return
    gone = []
    for group_rank, world_rank in enumerate(pg.ranks):
        notice = mon.departed.get(world_rank)
        if notice is None:
            continue
        last = notice["entered"].get(pg.group_name)
        if last is None or last[0] < seq:
            joined = f"last joined {last[1]} #{last[0]}" if last else "joined no collective"
            gone.append(f"rank {group_rank} (global rank {world_rank}) {notice['how']} after "
                        f"it {joined}")
    if gone:
        raise _fail(DistBackendError(
            f"[rank {pg.global_rank}] dpt.distributed: {op} #{seq} on process group "
            f"'{pg.group_name}'{(' (' + desc + ')') if desc else ''} can never complete: "
            f"{'; '.join(gone)}. The job is being aborted."))


# -- crashes ----------------------------------------------------------------------------------
_saved_excepthook = None


def _print_prefixed(text: str, rank: int) -> None:
    # dptrun's wrapper already puts "[rank] " before every line.
    prefix = "" if os.environ.get("DPT_RANK_PREFIXED") == "1" else f"[rank {rank}]: "
    out = "".join(prefix + line + "\n" for line in text.rstrip("\n").split("\n"))
    try:
        sys.stderr.write(out)
        sys.stderr.flush()
    except Exception:
        pass


def _excepthook(etype, value, tb):
    from mpi4py import MPI

    _print_prefixed("".join(traceback.format_exception(etype, value, tb)),
                    MPI.COMM_WORLD.Get_rank())
    try:
        sys.stdout.flush()
    except Exception:
        pass
    abort(1)


def abort(code: int = 1) -> None:
    from mpi4py import MPI

    # Give the process manager (and dptrun's wrapper) time to forward our last stderr lines
    # before MPI_Abort tears every process down.
    time.sleep(0.2)
    MPI.COMM_WORLD.Abort(code)


# SystemExit never reaches sys.excepthook, so sys.exit is wrapped to remember the exception,
# and from Python 3.12 on a sys.monitoring RAISE callback remembers a bare `raise SystemExit(n)`
# too (before 3.12 only its effect is seen: the peers raise, naming the rank that left).
# At exit it counts as uncaught if no except/with/finally ever handled it (Python then never
# attached its traceback) or if it was handled only in the outermost frame; one handled inside
# a function counts as caught (a rank leaving that way is reported by its peers instead).
_saved_exit = None
_exit_request = None
_raise_tool = None  # the sys.monitoring tool id watching for SystemExit (3.12+)


def _exit(status=None):
    global _exit_request
    _exit_request = SystemExit(status)
    raise _exit_request


def _on_raise(code, offset, exc):
    global _exit_request
    if isinstance(exc, SystemExit):
        _exit_request = exc


def _watch_raises() -> None:
    global _raise_tool
    monitoring = getattr(sys, "monitoring", None)
    if monitoring is None or _raise_tool is not None:
        return
    for tool in (3, 4):  # the ids sys.monitoring leaves unassigned
        try:
            monitoring.use_tool_id(tool, "dpt.distributed")
        except ValueError:  # taken by another tool
            continue
        monitoring.register_callback(tool, monitoring.events.RAISE, _on_raise)
        monitoring.set_events(tool, monitoring.events.RAISE)
        _raise_tool = tool
        return


def _unwatch_raises() -> None:
    global _raise_tool
    if _raise_tool is not None:
        sys.monitoring.set_events(_raise_tool, 0)
        sys.monitoring.register_callback(_raise_tool, sys.monitoring.events.RAISE, None)
        sys.monitoring.free_tool_id(_raise_tool)
        _raise_tool = None


def _uncaught_exit_code() -> int:
    """The exit code of an uncaught sys.exit(...) (0 if there is none)."""
    exc = _exit_request
    if exc is None or exc.code is None:
        return 0
    tb = exc.__traceback__
    if tb is not None and tb.tb_frame.f_back is not None:
        return 0
    return exc.code if isinstance(exc.code, int) else 1


def install_excepthook() -> None:
    """Abort the job on an uncaught exception or a non-zero sys.exit (world size > 1)."""
    global _saved_excepthook, _saved_exit
    if _saved_excepthook is None:
        _saved_excepthook = sys.excepthook
        sys.excepthook = _excepthook
    if _saved_exit is None:
        _saved_exit = sys.exit
        sys.exit = _exit
    _watch_raises()


def uninstall_excepthook() -> None:
    global _saved_excepthook, _saved_exit, _exit_request
    if _saved_excepthook is not None:
        if sys.excepthook is _excepthook:
            sys.excepthook = _saved_excepthook
        _saved_excepthook = None
    if _saved_exit is not None:
        if sys.exit is _exit:
            sys.exit = _saved_exit
        _saved_exit = None
    _unwatch_raises()
    _exit_request = None


def at_exit() -> None:
    """atexit: abort a job whose collective timed out (finalizing would hang) or that this rank
    leaves with a non-zero sys.exit; else tell the other ranks this one is leaving and stop the
    monitor thread before mpi4py finalizes MPI."""
    mon = _monitor
    if mon is None:
        return
    if mon.failed is not None:
        abort(1)
    code = _uncaught_exit_code() if mon.size > 1 else 0
    if code:
        _print_prefixed(f"dpt.distributed: SystemExit({code}) with the process group initialized: "
                        f"aborting the job with exit code {code}", mon.rank)
        abort(code)
    mon.leave("exited")
    mon._stop.set()
    if mon._thread is not None:
        mon._thread.join()
