"""The check that every rank of a group makes the same collective call.

Ranks that disagree on a collective's kind, reduce op, dtype, element count or
root would otherwise read each other's bytes, reduce part of a buffer, or match
a barrier with an all-reduce: a silent wrong result. So before each collective
every rank encodes its call and the group's sequence number into four int64
words, and one small non-blocking all-reduce on the group's control
communicator (the MAX of the words and of their negations, 64 bytes) tells
every rank whether all agree. Nothing of the collective itself is sent before
that. Only when they disagree do the ranks exchange descriptions, and then
every rank raises the same DistError, naming each rank's call::

    all_reduce mismatch in group 'default_pg' at collective #12: rank 0 called
    all_reduce(float32[4], SUM), rank 1 called all_reduce(float64[4], SUM)

The group stays usable afterwards (no rank launched anything). Point-to-point
operations are not checked (their sides differ by design); all_to_all compares
the dtype and the row width only, since split sizes legitimately differ.

The check is synchronous: an ``async_op=True`` collective returns once every
rank of the group has reached it (its data then moves in the background as
before). So a program that posts an async collective and then blocks in a
receive whose sender joins that collective only after sending now waits there
(under the group timeout) where it used to proceed.

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
import zlib
from array import array

import numpy as np

from .monitor import DistError
from .work import Work

__all__ = ["enabled", "set_enabled", "configure", "check", "check_detail"]

# Kinds of collective, as they go into the fingerprint; the order never changes.
_KINDS = {name: code for code, name in enumerate((
    "barrier", "all_reduce", "broadcast", "reduce", "all_gather_into_tensor", "all_gather",
    "reduce_scatter_tensor", "reduce_scatter", "gather", "scatter", "all_to_all_single",
    "all_to_all"), start=1)}
_dtype_codes: dict = {}
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
    code = _dtype_codes.get(dtype)
    if code is None:
        code = _dtype_codes[dtype] = zlib.crc32(dtype.name.encode()) + 1
    return code


def _describe(op: str, dtype, count: int, red, root) -> str:
    args = [] if dtype is None else [f"{dtype.name}[{count}]"]
    if red is not None:
        args.append(red.name)
    if root is not None:
        args.append(f"root={root}")
    return f"{op}({', '.join(args)})"


class _Agreement:
    """One group's check: the buffer the all-reduce fills and, where MPI has persistent
    collectives (MPI 4), an all-reduce request bound to it, so that each check only starts it."""

    __slots__ = ("agreed", "request")

    def __init__(self, comm):
        MPI = _mpi()
        self.agreed = array("q", bytes(64))
        try:
            self.request = comm.Allreduce_init(MPI.IN_PLACE, [self.agreed, MPI.INT64_T], MPI.MAX)
        except (AttributeError, NotImplementedError, MPI.Exception):  # before MPI 4
            self.request = None

    def start(self, comm, mine):
        self.agreed[:] = mine
        if self.request is None:
            return comm.Iallreduce(_MPI.IN_PLACE, [self.agreed, _MPI.INT64_T], _MPI.MAX)
        self.request.Start()
        return self.request

    def free(self) -> None:
        if self.request is not None:
            self.request.Free()
            self.request = None


def check(pg, seq: int, op: str, dtype, count: int, red, root) -> None:
    """Raise DistError on every rank unless every rank of pg calls the same collective now."""
    state = pg.check_state
    if state is None:
        state = pg.check_state = _Agreement(pg.ctl)
    kind = _KINDS[op] | (0 if red is None else int(red) + 1) << 8 \
        | (0 if root is None else root + 1) << 16
    code = 0 if dtype is None else _dtype_code(dtype)
    mine = array("q", (seq, kind, code, count, -seq, -kind, -code, -count))
    req = state.start(pg.ctl, mine)
    if not req.Test():  # wait under the group's timeout, like any collective
        work = Work(pg, op, seq, lambda: _describe(op, dtype, count, red, root))
        work.add_request(req)
        work.wait()
    if state.agreed != mine:
        _mismatch(pg, seq, op, _describe(op, dtype, count, red, root))


def _mismatch(pg, seq: int, op: str, call: str) -> None:
    # Every rank got here (all saw the same disagreement), so a blocking exchange is safe.
    calls = pg.ctl.allgather((seq, call))
    same_seq = all(s == seq for s, _ in calls)
    named = ", ".join(f"rank {r} called {c}" + ("" if same_seq else f" as collective #{s}")
                      for r, (s, c) in enumerate(calls))
    raise DistError(f"{op} mismatch in group '{pg.group_name}' at collective #{seq}: {named}. "
                    "Every rank of a group must make the same collective calls in the same "
                    "order.")


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
