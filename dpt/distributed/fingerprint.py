"""The check that every rank of a group makes the same collective call.

Ranks that disagree on a collective's kind, reduce op, dtype, element count or
root would otherwise read each other's bytes, reduce part of a buffer, or match
a barrier with an all-reduce: a silent wrong result. So with each collective
every rank encodes its call and the group's sequence number into four int64
words, and one small non-blocking all-reduce on the group's control
communicator (the MAX of the words and of their negations, 64 bytes) tells
every rank whether all agree. Only when they disagree do the ranks exchange descriptions, and then
every rank raises the same DistError, naming each rank's call::

    all_reduce mismatch in group 'default_pg' at collective #12: rank 0 called
    all_reduce(float32[4], SUM), rank 1 called all_reduce(float64[4], SUM)

Where the transport allows it (MPI), the collective's data moves while its check
is in flight: one round trip instead of two. The Work then verifies the check
before it reports completion, so a mismatch still raises on every rank, from
``wait()`` (or from the group's next collective, for an async Work not waited
on); the mismatched call may have written unspecified values into its tensors
(never past them: MPI bounds every receive by its buffer), and the group moves
its data to a fresh communicator, so it stays usable. Transports that cannot
launch a mismatched call safely (NCCL would hang the GPU) wait for the check
first. An ``async_op=True`` collective returns without waiting for its peers.
Point-to-point operations are not checked (their sides differ by design);
all_to_all compares the dtype and the row width only, since split sizes
legitimately differ.

Settings:

* ``DPT_COLLECTIVE_CHECK=0`` turns the check off: each collective then costs
  one message less, and a mismatched call is undefined behaviour, as in raw
  MPI. It is read by init_process_group, which makes the ranks agree (if any
  rank turns it off, all do). ``set_enabled(False)`` does the same at run time;
  call it on every rank at the same point of the program.
* ``DPT_DISTRIBUTED_DEBUG=DETAIL`` (or ``TORCH_DISTRIBUTED_DEBUG=DETAIL``)
  replaces it by the full check: a fingerprint string with every tensor's
  shape, dtype and device type, all-gathered before each collective (slower).
"""
from __future__ import annotations

import hashlib
import os
import struct
import zlib

import numpy as np

from .monitor import DistError
from .work import Work

__all__ = ["enabled", "set_enabled", "configure", "start", "settle", "check_detail"]

# Kinds of collective, as they go into the fingerprint; the order never changes.
_KINDS = {name: code for code, name in enumerate((
    "barrier", "all_reduce", "broadcast", "reduce", "all_gather_into_tensor", "all_gather",
    "reduce_scatter_tensor", "reduce_scatter", "gather", "scatter", "all_to_all_single",
    "all_to_all"), start=1)}
_dtype_codes: dict = {None: 0}  # dtype -> its code in the check (None: no tensor)
_enabled = True
_MPI = None  # mpi4py.MPI, imported on first use (importing it initialises MPI)


def _mpi():
    global _MPI
    if _MPI is None:
        from mpi4py import MPI
        _MPI = MPI
    return _MPI


def enabled() -> bool:
    return _enabled


def set_enabled(flag: bool) -> None:
    """Turn the check on or off for this process (do it on every rank at the same point)."""
    global _enabled
    _enabled = bool(flag)


def _from_env() -> bool:
    raw = os.environ.get("DPT_COLLECTIVE_CHECK", "1").strip().lower()
    if raw in ("0", "false", "no", "off"):
        return False
    if raw in ("1", "true", "yes", "on", ""):
        return True
    raise ValueError(f"DPT_COLLECTIVE_CHECK must be 0 or 1, got {raw!r}")


def configure(world) -> None:
    """At init_process_group: read DPT_COLLECTIVE_CHECK on every rank; if any rank turns the
    check off, all do, so that no rank waits in a check its peers skip."""
    flag = _from_env()
    set_enabled(world.allreduce(int(flag), op=_mpi().MIN) if world.Get_size() > 1 else flag)


def _dtype_code(dtype) -> int:
    # A hash of the name: numpy's type numbers differ across processes for ml_dtypes types.
    code = _dtype_codes[dtype] = zlib.crc32(dtype.name.encode()) + 1
    return code


class _Agreement:
    """One group's check: ``sent`` holds this rank's encoded call, ``agreed`` receives the MAX
    over the group, through an all-reduce request bound to both buffers where MPI has
    persistent collectives (MPI 4), so that each check only starts it. One check of the group
    is in flight at a time on the persistent request (``pending``, the Work it gates); starting
    the next one first settles it (only async collectives leave one in flight). Before MPI 4,
    each check makes an _Agreement of its own (``once``)."""

    __slots__ = ("sent", "agreed", "request", "pending")

    def __init__(self, comm, once: bool = False):
        MPI = _mpi()
        self.sent, self.agreed = bytearray(_WORDS.size), bytearray(_WORDS.size)
        self.pending = self.request = None
        if not once:
            try:
                self.request = comm.Allreduce_init([self.sent, MPI.INT64_T],
                                                   [self.agreed, MPI.INT64_T], MPI.MAX)
            except (AttributeError, NotImplementedError, MPI.Exception):  # before MPI 4
                pass

    def test(self, work) -> bool:
        """True once every rank has reached work's collective; raises DistError on every rank
        (and fails work) unless all made the same call. Work._test calls it as ``work.gate``."""
        if not self.request.Test():
            return False
        work.gate = self.pending = None
        if self.agreed != self.sent:  # compared before the group's next check reuses them
            try:
                _mismatch(work._pg, work._seq, work._op, work._desc)
            except DistError as e:
                work._exception, work._done = e, True
                raise
        return True

    def free(self) -> None:
        if self.request is not None:
            self.request.Free()
            self.request = None


# A call as the check encodes it: (seq, kind, dtype, count) and their negations, so that one
# MAX all-reduce gives both the largest and the smallest value of each word.
_WORDS = struct.Struct("8q")
_pack_into = _WORDS.pack_into


def start(work, dtype, count: int, red, root) -> None:
    """Start the check that every rank of work's group makes the same call now (work's op and
    sequence number, ``count`` elements of ``dtype``, reduce op, root): work tests it before
    its data (work.gate)."""
    seq = work._seq
    kind = _KINDS[work._op]
    if red is not None:
        kind |= (red + 1) << 8
    if root is not None:
        kind |= (root + 1) << 16
    code = _dtype_codes.get(dtype)
    if code is None:
        code = _dtype_code(dtype)
    work.call = (dtype, count, red, root)
    state = work._pg.check_state
    if state is None or state.pending is not None or state.request is None:
        state = _ready(work._pg)
    _pack_into(state.sent, 0, seq, kind, code, count, -seq, -kind, -code, -count)
    if state.request is None:  # MPI 3
        MPI = _MPI
        state.request = work._pg.ctl.Iallreduce([state.sent, MPI.INT64_T],
                                                [state.agreed, MPI.INT64_T], MPI.MAX)
    else:
        state.request.Start()
        state.pending = work
    work.gate = state


def _ready(pg) -> _Agreement:
    """The group's agreement, made on first use and free to start (the check in flight, if
    any, settled first); a fresh one per check before MPI 4."""
    state = pg.check_state
    if state is None:
        state = pg.check_state = _Agreement(pg.ctl)
    if state.request is None:
        return _Agreement(pg.ctl, once=True)
    if state.pending is not None:
        settle(state.pending)
    return state


def settle(work) -> None:
    """Wait (under the group's timeout) until every rank has reached work's collective, and
    raise DistError unless all made the same call: called before the group's next check reuses
    the persistent request, so that a mismatch is raised before any later traffic on the
    control communicator."""
    gate = work.gate
    if gate is not None and not gate.test(work):
        waiter = Work(work._pg, work._op, work._seq, lambda: work._desc)
        waiter.add_test(lambda: work.gate is None or gate.test(work))
        waiter.wait()


def _mismatch(pg, seq: int, op: str, call: str) -> None:
    # Every rank got here (all saw the same disagreement), so a blocking exchange is safe.
    calls = pg.ctl.allgather((seq, call, pg._seq))
    same_seq = all(s == seq for s, _, _ in calls)
    named = ", ".join(f"rank {r} called {c}" + ("" if same_seq else f" as collective #{s}")
                      for r, (s, c, _) in enumerate(calls))
    # A collective launched before its check completed (collectives.py) may still be pending
    # on the data communicator: every rank moves to a fresh one, so the group stays usable;
    # a rank that found the mismatch while launching its next call has numbered one more
    # collective than a rank that found it waiting: all continue from the highest number.
    pg.renew_data_comm()
    pg._seq = max(n for _, _, n in calls)
    raise DistError(f"{op} mismatch in group '{pg.group_name}' at collective #{seq}: {named}. "
                    "Every rank of a group must make the same collective calls in the same "
                    "order. The tensors of the mismatched call hold unspecified values.")


# -- DETAIL: the full fingerprint -----------------------------------------------------------
_FP_BYTES = 512


def check_detail(pg, seq: int, op: str, tensors, shapes: bool, red, root) -> None:
    """All-gather each rank's full fingerprint (shapes included); every rank raises if they
    differ."""
    from mpi4py import MPI

    parts = [f"SequenceNumber={seq}", f"OpType={op.upper()}"]
    if tensors:
        if shapes:
            parts.append("TensorShapes=" + str([list(t.shape) for t in tensors]))
        parts.append("TensorDtypes=" + str([t.dtype.name for t in tensors]))
        parts.append("TensorDeviceTypes=" + str(sorted({t.device.type for t in tensors})))
    if root is not None:
        parts.append(f"Root={root}")
    if red is not None:
        parts.append(f"ReduceOp={red.name}")
    raw = f"CollectiveFingerPrint({', '.join(parts)})".encode()
    if len(raw) > _FP_BYTES:  # keep the start readable, make the tail exact with a hash
        digest = hashlib.sha1(raw).hexdigest().encode()
        raw = raw[:_FP_BYTES - len(digest) - 5] + b" sha1=" + digest
    mine = np.zeros(_FP_BYTES, np.uint8)
    mine[:len(raw)] = np.frombuffer(raw, np.uint8)
    every = np.empty((pg.size(), _FP_BYTES), np.uint8)
    work = Work(pg, "debug check of collective", seq)
    work.add_request(pg.ctl.Iallgather([mine, MPI.BYTE], [every, MPI.BYTE]))
    work.wait()
    prints = [bytes(row).rstrip(b"\0").decode(errors="replace") for row in every]
    if all(p == prints[0] for p in prints):
        return
    me = pg.rank()
    other = next(r for r, p in enumerate(prints) if p != prints[me]) if \
        any(p != prints[me] for p in prints) else 0
    lines = "\n".join(f"  rank {r}: {p}" for r, p in enumerate(prints))
    raise RuntimeError(
        f"Detected mismatch between collectives on ranks. Rank {me} is running collective: "
        f"{prints[me]}, but Rank {other} is running collective: {prints[other]}.\n"
        f"All ranks of process group '{pg.group_name}':\n{lines}")
