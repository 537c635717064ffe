"""The MPI transport: every collective as a nonblocking mpi4py call on the group's
cloned communicator, on contiguous buffers, with MPI.IN_PLACE where MPI allows it.

Buffers. A contiguous numpy array is handed to MPI as is. Otherwise a
contiguous stand-in is made and copied back when the operation completes:
for non-contiguous arrays, for float16/bfloat16 reductions (MPI has no half
sum: they are computed in float32 and rounded back), and for GPU arrays,
which are staged through host memory unless ``DPT_MPI_CUDA_AWARE=1`` declares
a CUDA-aware MPI (then device buffers go to MPI directly, after the current
stream is synchronised). Data movement without arithmetic (broadcast, gather,
...) travels as bytes, so every dtype works.
"""
from __future__ import annotations

import os

import ml_dtypes
import numpy as np

from ..._device import xp_of
from ..reduce_op import ReduceOp
from .base import Transport, average, register_transport

_HALF = frozenset((np.dtype(np.float16), np.dtype(ml_dtypes.bfloat16)))
MPI = None  # mpi4py.MPI, bound when the first transport is made (importing it starts MPI)


def _cuda_aware() -> bool:
    return os.environ.get("DPT_MPI_CUDA_AWARE", "0").lower() in ("1", "true", "yes", "on")


def _is_numpy(arr) -> bool:
    return isinstance(arr, np.ndarray)


_OPS = {}


def _mpi_op(op, dtype: np.dtype):
    if not _OPS:
        _OPS["num"] = {ReduceOp.SUM: MPI.SUM, ReduceOp.AVG: MPI.SUM, ReduceOp.PRODUCT: MPI.PROD,
                       ReduceOp.MIN: MPI.MIN, ReduceOp.MAX: MPI.MAX, ReduceOp.BAND: MPI.BAND,
                       ReduceOp.BOR: MPI.BOR, ReduceOp.BXOR: MPI.BXOR}
        # MPI reduces C booleans only with the logical ops
        _OPS["bool"] = {ReduceOp.SUM: MPI.LOR, ReduceOp.MAX: MPI.LOR, ReduceOp.BOR: MPI.LOR,
                        ReduceOp.PRODUCT: MPI.LAND, ReduceOp.MIN: MPI.LAND,
                        ReduceOp.BAND: MPI.LAND, ReduceOp.BXOR: MPI.LXOR, ReduceOp.AVG: MPI.LOR}
    return _OPS["bool" if dtype == np.bool_ else "num"][op]


@register_transport("mpi")
class MPITransport(Transport):
    """Every device (GPU arrays through host memory unless MPI is CUDA-aware), every ReduceOp
    but PREMUL_SUM."""

    devices = frozenset({"cpu", "cuda"})
    requires = "install mpi4py and an MPI library (pip install 'dpt[mpich]')"

    # A mismatched call is safe to launch before its check completes: MPI never writes past a
    # receive buffer, and the group moves to a fresh communicator after a mismatch.
    speculative_check = True

    def __init__(self, pg):
        global MPI
        super().__init__(pg)
        if MPI is None:
            from mpi4py import MPI

    @property
    def comm(self):
        return self.pg.comm  # renewed after a mismatched collective

    @classmethod
    def is_available(cls) -> bool:
        try:
            from mpi4py import MPI  # noqa: F401
        except ImportError:
            return False
        return True

    # -- buffers ------------------------------------------------------------------------
    def _buffer(self, work, arr, *, compute_dtype=None, copy_in=True, write_back=True):
        """A contiguous MPI-ready stand-in for arr; registers the copy back into arr."""
        dtype = compute_dtype or arr.dtype
        if _is_numpy(arr):
            if arr.flags.c_contiguous and arr.dtype == dtype:
                return arr
            buf = np.array(arr, dtype=dtype, order="C") if copy_in else np.empty(arr.shape, dtype)
            if write_back:
                work.then(lambda: arr.__setitem__(Ellipsis, buf))
            return buf
        # a GPU array
        cp = xp_of(arr)
        if _cuda_aware():
            if arr.flags.c_contiguous and arr.dtype == dtype:
                buf = arr
            else:
                buf = cp.array(arr, dtype=dtype, order="C") if copy_in \
                    else cp.empty(arr.shape, dtype)
                if write_back:
                    work.then(lambda: arr.__setitem__(Ellipsis, buf))
            cp.cuda.get_current_stream().synchronize()
            return buf
        host = np.array(cp.asnumpy(arr), dtype=dtype, order="C") if copy_in \
            else np.empty(arr.shape, dtype)
        if write_back:
            def back():
                with cp.cuda.Device(arr.device.id):
                    arr[...] = cp.asarray(host)
            work.then(back)
        return host

    @staticmethod
    def _bytes(buf):
        """MPI buffer spec moving buf's raw bytes (any dtype, even bfloat16)."""
        if _is_numpy(buf):
            return [buf.reshape(-1).view(np.uint8), MPI.BYTE]
        return [buf.reshape(-1).view("uint8"), MPI.BYTE]

    @staticmethod
    def _compute_dtype(dtype: np.dtype) -> np.dtype:
        return np.dtype(np.float32) if dtype in _HALF else dtype

    def _root_only(self, root: int):
        return self.comm.Get_rank() == root

    # -- collectives ----------------------------------------------------------------------
    def all_reduce(self, work, arr, op):
        if type(arr) is np.ndarray and arr.flags.c_contiguous and arr.dtype not in _HALF:
            buf = arr  # the common case, without the stand-in machinery
        else:
            buf = self._buffer(work, arr, compute_dtype=self._compute_dtype(arr.dtype))
        if op == ReduceOp.AVG:
            work.then(lambda: average(buf, self.comm.Get_size()), first=True)
        if self.pg.hierarchical is not None:  # node reduce -> leaders all-reduce -> node broadcast
            self.pg.hierarchical.all_reduce(work, buf, _mpi_op(op, buf.dtype))
            return
        work.add_request(self.comm.Iallreduce(MPI.IN_PLACE, buf, _mpi_op(op, buf.dtype)))
        work.keep(buf)

    def broadcast(self, work, arr, root: int):
        buf = self._buffer(work, arr, copy_in=self._root_only(root),
                           write_back=not self._root_only(root))
        work.add_request(self.comm.Ibcast(self._bytes(buf), root=root))
        work.keep(buf)

    def reduce(self, work, arr, op, root: int):
        is_root = self._root_only(root)
        buf = self._buffer(work, arr, compute_dtype=self._compute_dtype(arr.dtype),
                           write_back=is_root)
        if is_root and op == ReduceOp.AVG:
            work.then(lambda: average(buf, self.comm.Get_size()), first=True)
        mop = _mpi_op(op, buf.dtype)
        if is_root:
            req = self.comm.Ireduce(MPI.IN_PLACE, buf, op=mop, root=root)
        else:
            req = self.comm.Ireduce(buf, None, op=mop, root=root)
        work.add_request(req)
        work.keep(buf)

    def all_gather(self, work, out, inp):
        """out holds size * inp, rank-major."""
        src = self._buffer(work, inp, write_back=False)
        dst = self._buffer(work, out, copy_in=False)
        if _is_numpy(src) and np.shares_memory(src, dst):
            src = src.copy()
        work.add_request(self.comm.Iallgather(self._bytes(src), self._bytes(dst)))
        work.keep(src, dst)

    def reduce_scatter(self, work, out, inp, op):
        """inp holds size * out, rank-major; rank r gets the reduction of block r."""
        ctype = self._compute_dtype(inp.dtype)
        src = self._buffer(work, inp, compute_dtype=ctype, write_back=False)
        dst = self._buffer(work, out, compute_dtype=ctype, copy_in=False)
        if op == ReduceOp.AVG:
            work.then(lambda: average(dst, self.comm.Get_size()), first=True)
        if _is_numpy(src) and np.shares_memory(src, dst):
            src = src.copy()
        work.add_request(self.comm.Ireduce_scatter_block(src, dst, op=_mpi_op(op, dst.dtype)))
        work.keep(src, dst)

    def gather(self, work, out, inp, root: int):
        """out (root only) holds size * inp, rank-major."""
        src = self._buffer(work, inp, write_back=False)
        if self._root_only(root):
            dst = self._buffer(work, out, copy_in=False)
            if _is_numpy(src) and np.shares_memory(src, dst):
                src = src.copy()
            work.add_request(self.comm.Igather(self._bytes(src), self._bytes(dst), root=root))
            work.keep(dst)
        else:
            work.add_request(self.comm.Igather(self._bytes(src), None, root=root))
        work.keep(src)

    def scatter(self, work, out, inp, root: int):
        """inp (root only) holds size * out, rank-major."""
        dst = self._buffer(work, out, copy_in=False)
        if self._root_only(root):
            src = self._buffer(work, inp, write_back=False)
            if _is_numpy(src) and np.shares_memory(src, dst):
                src = src.copy()
            work.add_request(self.comm.Iscatter(self._bytes(src), self._bytes(dst), root=root))
            work.keep(src)
        else:
            work.add_request(self.comm.Iscatter(None, self._bytes(dst), root=root))
        work.keep(dst)

    def all_to_all(self, work, out, inp, out_rows, in_rows):
        """Rows along dim 0: block r of inp goes to rank r; None means equal blocks."""
        src = self._buffer(work, inp, write_back=False)
        dst = self._buffer(work, out, copy_in=False)
        if _is_numpy(src) and np.shares_memory(src, dst):
            src = src.copy()
        if out_rows is None and in_rows is None:
            req = self.comm.Ialltoall(self._bytes(src), self._bytes(dst))
        else:
            n = self.comm.Get_size()
            in_rows = in_rows or [inp.shape[0] // n] * n
            out_rows = out_rows or [out.shape[0] // n] * n
            in_row = inp.dtype.itemsize * (int(np.prod(inp.shape[1:])) if inp.ndim else 1)
            out_row = out.dtype.itemsize * (int(np.prod(out.shape[1:])) if out.ndim else 1)
            sc = [r * in_row for r in in_rows]
            rc = [r * out_row for r in out_rows]
            sd = np.concatenate([[0], np.cumsum(sc)[:-1]]).astype(int).tolist()
            rd = np.concatenate([[0], np.cumsum(rc)[:-1]]).astype(int).tolist()
            req = self.comm.Ialltoallv([self._bytes(src)[0], (sc, sd), MPI.BYTE],
                                       [self._bytes(dst)[0], (rc, rd), MPI.BYTE])
        work.add_request(req)
        work.keep(src, dst)

    def barrier(self, work):
        work.add_request(self.comm.Ibarrier())

    # -- point to point ---------------------------------------------------------------------
    def send(self, work, arr, peer: int, tag: int):
        buf = self._buffer(work, arr, write_back=False)
        work.add_request(self.comm.Isend(self._bytes(buf), dest=peer, tag=tag))
        work.keep(buf)

    def recv(self, work, arr, peer, tag: int):
        buf = self._buffer(work, arr, copy_in=False)
        src = MPI.ANY_SOURCE if peer is None else peer
        work.add_request(self.comm.Irecv(self._bytes(buf), source=src, tag=tag), MPI.Status())
        work.keep(buf)
