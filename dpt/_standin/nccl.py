"""The stand-in's ``cupy.cuda.nccl``: NcclCommunicator over MPI with host copies.

A unique id names the rank that made it (its MPI world rank) and a random token; the
members of a communicator find each other with point-to-point messages to that rank and
build an MPI communicator of just themselves (MPI_Comm_create_group, collective over the
members only, as ncclCommInitRank is). Every call checks what real NCCL needs: buffers
that are live device arrays of the communicator's device (``.data.ptr`` of a stand-in
array), a count that fits them, a known datatype and op, a stream of that device.
Reductions gather every rank's buffer and reduce in rank order with numpy. Calls between
groupStart() and groupEnd() run at groupEnd(), point-to-point ones without blocking, so
that grouped sends and receives do not deadlock.
"""
from __future__ import annotations

import ctypes
import os
import struct

import numpy as np

from . import NAMES, build_module
from ._core import current_device_id

_C = {k: v["value"] for k, v in NAMES["modules"]["cupy.cuda.nccl"].items() if isinstance(v, dict)
      and isinstance(v["value"], int) and not isinstance(v["value"], bool)}
_DTYPES = {_C["NCCL_INT8"]: np.int8, _C["NCCL_UINT8"]: np.uint8, _C["NCCL_INT32"]: np.int32,
           _C["NCCL_UINT32"]: np.uint32, _C["NCCL_INT64"]: np.int64, _C["NCCL_UINT64"]: np.uint64,
           _C["NCCL_FLOAT16"]: np.float16, _C["NCCL_FLOAT32"]: np.float32,
           _C["NCCL_FLOAT64"]: np.float64}
_OPS = {_C["NCCL_SUM"]: np.add, _C["NCCL_PROD"]: np.multiply, _C["NCCL_MIN"]: np.minimum,
        _C["NCCL_MAX"]: np.maximum}
_TAG = 0x5CC1  # the rendezvous messages' tag on MPI_COMM_WORLD


class NcclError(RuntimeError):
    """cupy_backends.cuda.libs.nccl.NcclError."""

    def __init__(self, status, msg="invalid argument"):
        self.status = status
        super().__init__(f"NCCL_ERROR_INVALID_ARGUMENT: {msg}" if status == 4 else msg)


def _bytes(a: np.ndarray) -> np.ndarray:
    """A contiguous array as bytes: MPI moves bytes, numpy does the arithmetic."""
    return np.ascontiguousarray(a).reshape(-1).view(np.uint8)


def _mpi():
    from mpi4py import MPI
    return MPI


def get_unique_id():
    world = _mpi().COMM_WORLD.Get_rank()
    token = int.from_bytes(os.urandom(8), "little")
    raw = struct.pack("<qQ", world, token) + bytes(112)
    return tuple(b - 256 if b > 127 else b for b in raw)  # 128 signed chars, as CuPy returns


def get_version():
    return 22703


def get_build_version():
    return 22703


_group: list | None = None


def groupStart():
    global _group
    if _group is not None:
        _group.append(None)  # nested groups flatten, as in NCCL
        return
    _group = []


def groupEnd():
    global _group
    if _group is None:
        raise NcclError(4, "groupEnd without groupStart")
    if _group and _group[-1] is None:
        _group.pop()
        return
    calls, _group = _group, None
    MPI = _mpi()
    reqs = []
    for comm, kind, arr, peer in calls:
        if kind == "coll":
            arr()  # a queued collective
        elif kind == "send":
            reqs.append(comm._mpi.Isend(_bytes(arr), dest=peer, tag=_TAG + 1))
        else:
            reqs.append(comm._mpi.Irecv(_bytes(arr), source=peer, tag=_TAG + 1))
    MPI.Request.Waitall(reqs)


class NcclCommunicator:
    """NcclCommunicator(ndev, commId, rank) on the current device, over MPI."""

    def __init__(self, ndev, commId, rank):
        MPI = _mpi()
        if not 0 <= rank < ndev:
            raise NcclError(4, f"rank {rank} out of range for {ndev} ranks")
        raw = bytes(b & 0xFF for b in commId)
        root_world, token = struct.unpack("<qQ", raw[:16])
        world = MPI.COMM_WORLD
        tag = _TAG + 2 + token % 10000
        if rank == 0:
            members = [world.Get_rank()] + [None] * (ndev - 1)
            for _ in range(ndev - 1):
                r, w = world.recv(source=MPI.ANY_SOURCE, tag=tag)
                members[r] = w
            for w in members[1:]:
                world.send(members, dest=w, tag=tag)
        else:
            world.send((rank, world.Get_rank()), dest=root_world, tag=tag)
            members = world.recv(source=root_world, tag=tag)
        self._mpi = world.Create_group(world.Get_group().Incl(members), tag=tag)
        self._rank, self._size, self._dev = rank, ndev, current_device_id()
        self._alive = True

    # -- the checks real NCCL would make (by failing or by corrupting memory) -------------------
    def _buf(self, ptr, count, datatype, what):
        from .cuda import device_array_at
        if not self._alive:
            raise NcclError(4, "communicator was destroyed or aborted")
        if datatype not in _DTYPES:
            raise NcclError(4, f"unknown datatype {datatype}")
        dt = np.dtype(_DTYPES[datatype])
        nbytes = int(count) * dt.itemsize
        if nbytes == 0:
            return np.empty(0, dt)
        if device_array_at(int(ptr), nbytes, self._dev) is None:
            raise NcclError(4, f"{what}: pointer {int(ptr):#x} is not device memory of "
                            f"cuda:{self._dev} holding {count} x {dt} (a host pointer, another "
                            "device's memory, a freed or non-contiguous array, or too small)")
        return np.ctypeslib.as_array((ctypes.c_uint8 * nbytes).from_address(int(ptr))).view(dt)

    def _stream(self, stream):
        from .cuda import live_streams
        s = int(stream)
        if s != 0 and (s not in live_streams or live_streams[s].device_id != self._dev):
            raise NcclError(4, f"stream {s:#x} is not a stream of cuda:{self._dev}")

    def _op(self, op):
        if op not in _OPS and op != _C["NCCL_AVG"]:
            raise NcclError(4, f"unknown reduction op {op}")
        return op

    def _run(self, fn):
        if _group is not None:
            _group.append((self, "coll", fn, None))
        else:
            fn()

    def _reduce_all(self, send, op):
        parts = np.empty((self._size,) + send.shape, send.dtype)
        self._mpi.Allgather(_bytes(send), _bytes(parts))
        if op == _C["NCCL_AVG"]:
            acc = parts[0].copy()
            for p in parts[1:]:
                acc += p
            return (acc / self._size).astype(send.dtype)
        acc = parts[0].copy()
        for p in parts[1:]:
            _OPS[op](acc, p, out=acc)
        return acc

    # -- collectives ----------------------------------------------------------------------------
    def allReduce(self, sendbuf, recvbuf, count, datatype, op, stream):
        send = self._buf(sendbuf, count, datatype, "allReduce sendbuf")
        recv = self._buf(recvbuf, count, datatype, "allReduce recvbuf")
        self._op(op), self._stream(stream)

        def fn():
            recv[...] = self._reduce_all(send.copy(), op)
        self._run(fn)

    def reduce(self, sendbuf, recvbuf, count, datatype, op, root, stream):
        send = self._buf(sendbuf, count, datatype, "reduce sendbuf")
        recv = self._buf(recvbuf, count, datatype, "reduce recvbuf") if self._rank == root else None
        self._op(op), self._stream(stream)

        def fn():
            r = self._reduce_all(send.copy(), op)
            if recv is not None:
                recv[...] = r
        self._run(fn)

    def broadcast(self, sendbuf, recvbuf, count, datatype, root, stream):
        recv = self._buf(recvbuf, count, datatype, "broadcast recvbuf")
        send = self._buf(sendbuf, count, datatype, "broadcast sendbuf") if self._rank == root \
            else None
        self._stream(stream)

        def fn():
            tmp = send.copy() if send is not None else np.empty_like(recv)
            self._mpi.Bcast(_bytes(tmp), root=root)
            recv[...] = tmp
        self._run(fn)

    def bcast(self, buff, count, datatype, root, stream):
        self.broadcast(buff, buff, count, datatype, root, stream)

    def allGather(self, sendbuf, recvbuf, count, datatype, stream):
        send = self._buf(sendbuf, count, datatype, "allGather sendbuf")
        recv = self._buf(recvbuf, count * self._size, datatype, "allGather recvbuf")
        self._stream(stream)

        def fn():
            tmp = np.empty_like(recv)
            self._mpi.Allgather(_bytes(send.copy()), _bytes(tmp))
            recv[...] = tmp
        self._run(fn)

    def reduceScatter(self, sendbuf, recvbuf, recvcount, datatype, op, stream):
        send = self._buf(sendbuf, recvcount * self._size, datatype, "reduceScatter sendbuf")
        recv = self._buf(recvbuf, recvcount, datatype, "reduceScatter recvbuf")
        self._op(op), self._stream(stream)

        def fn():
            r = self._reduce_all(send.copy(), op)
            recv[...] = r[self._rank * recvcount:(self._rank + 1) * recvcount]
        self._run(fn)

    def send(self, sendbuf, count, datatype, peer, stream):
        buf = self._buf(sendbuf, count, datatype, "send sendbuf")
        self._stream(stream)
        if _group is not None:
            _group.append((self, "send", buf.copy(), peer))
        else:
            self._mpi.Send(_bytes(buf.copy()), dest=peer, tag=_TAG + 1)

    def recv(self, recvbuf, count, datatype, peer, stream):
        buf = self._buf(recvbuf, count, datatype, "recv recvbuf")
        self._stream(stream)
        if _group is not None:
            _group.append((self, "recv", buf, peer))
        else:
            self._mpi.Recv(_bytes(buf), source=peer, tag=_TAG + 1)

    # -- management -----------------------------------------------------------------------------
    def device_id(self):
        return self._dev

    def rank_id(self):
        return self._rank

    def size(self):
        return self._size

    def check_async_error(self):
        pass

    def abort(self):
        if self._alive:
            self._alive = False
            self._mpi.Free()

    def destroy(self):
        self.abort()

    @property
    def comm(self):
        return id(self)


def build():
    hand = {"NcclCommunicator": NcclCommunicator, "NcclError": NcclError,
            "get_unique_id": get_unique_id, "get_version": get_version,
            "get_build_version": get_build_version, "groupStart": groupStart,
            "groupEnd": groupEnd}
    return build_module("cupy.cuda.nccl", None, hand)
