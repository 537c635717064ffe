"""The NCCL transport for cupy arrays (cupy.cuda.nccl).

The communicator is created lazily, on the device of the first tensor it sees,
with the unique id broadcast over the group's MPI communicator. Every operation
runs on a dedicated stream that first waits for the current stream (where the
data was produced); completion is an event recorded after it. A blocking
collective, and ``Work.wait()``, poll that event on the CPU with the group's
timeout (like torch's TORCH_NCCL_BLOCKING_WAIT=1), abort the NCCL communicator
on expiry, and then make the current stream wait for the event.
AVG is a SUM followed by a division on the NCCL stream; bool reduces as uint8
(SUM/MAX -> MAX, PRODUCT/MIN -> MIN); int16/bfloat16 are widened when the NCCL
build has no such type; bitwise reductions are not supported by NCCL.
Gather, scatter and all-to-all are grouped sends and receives.
"""
from __future__ import annotations

import numpy as np

from ..._device import gpu_module
from ..reduce_op import ReduceOp
from .base import Transport, average, register_transport


def _nccl():
    from cupy.cuda import nccl
    return nccl


def _nccl_dtype(dtype: np.dtype):
    """(NCCL type, numpy dtype to compute in) for dtype."""
    nccl = _nccl()
    table = {
        np.dtype(np.int8): "NCCL_INT8", np.dtype(np.uint8): "NCCL_UINT8",
        np.dtype(np.int32): "NCCL_INT32", np.dtype(np.uint32): "NCCL_UINT32",
        np.dtype(np.int64): "NCCL_INT64", np.dtype(np.uint64): "NCCL_UINT64",
        np.dtype(np.float16): "NCCL_FLOAT16", np.dtype(np.float32): "NCCL_FLOAT32",
        np.dtype(np.float64): "NCCL_FLOAT64",
    }
    if dtype.name == "bfloat16" and hasattr(nccl, "NCCL_BFLOAT16"):
        return nccl.NCCL_BFLOAT16, dtype
    if dtype in table:
        return getattr(nccl, table[dtype]), dtype
    if dtype == np.bool_:
        return nccl.NCCL_UINT8, np.dtype(np.uint8)
    if dtype == np.int16:
        return nccl.NCCL_INT32, np.dtype(np.int32)
    if dtype.name == "bfloat16":
        return nccl.NCCL_FLOAT32, np.dtype(np.float32)
    raise RuntimeError(f"the nccl backend cannot reduce dtype {dtype}")


def _nccl_op(op, dtype: np.dtype):
    nccl = _nccl()
    if dtype == np.bool_:
        op = ReduceOp.MAX if op in (ReduceOp.SUM, ReduceOp.MAX, ReduceOp.AVG) else ReduceOp.MIN
    return {ReduceOp.SUM: nccl.NCCL_SUM, ReduceOp.AVG: nccl.NCCL_SUM,
            ReduceOp.PRODUCT: nccl.NCCL_PROD, ReduceOp.MIN: nccl.NCCL_MIN,
            ReduceOp.MAX: nccl.NCCL_MAX}[op]


@register_transport("nccl")
class NCCLTransport(Transport):
    """cupy arrays only; no bitwise reductions (NCCL has none)."""

    devices = frozenset({"cuda"})
    reduce_ops = frozenset({ReduceOp.SUM, ReduceOp.AVG, ReduceOp.PRODUCT, ReduceOp.MIN,
                            ReduceOp.MAX})
    requires = "the nccl backend needs cupy with NCCL and a CUDA device"

    def __init__(self, pg):
        super().__init__(pg)
        self.comm = None
        self.stream = None
        self.device = None

    @classmethod
    def is_available(cls) -> bool:
        """True when cupy sees a GPU and was built with NCCL."""
        if gpu_module() is None:
            return False
        try:
            nccl = _nccl()
        except Exception:
            return False
        return getattr(nccl, "available", True)

    def check_reduce(self, op, dtype: np.dtype):
        _nccl_dtype(dtype)  # raises for dtypes NCCL cannot reduce, before anything is sent
        return super().check_reduce(op, dtype)

    def close(self):
        if self.comm is not None:
            self.comm.destroy()
            self.comm = None

    def _setup(self, arr):
        cp = gpu_module()
        dev = arr.device.id
        if self.comm is None:
            nccl = _nccl()
            uid = nccl.get_unique_id() if self.pg.rank() == 0 else None
            uid = self.pg.comm.bcast(uid, root=0)
            with cp.cuda.Device(dev):
                self.comm = nccl.NcclCommunicator(self.pg.size(), uid, self.pg.rank())
                self.stream = cp.cuda.Stream(non_blocking=True)
            self.device = dev
        elif dev != self.device:
            raise RuntimeError(f"nccl backend: the communicator of group '{self.pg.group_name}' "
                               f"lives on cuda:{self.device}, got a tensor on cuda:{dev}")
        return cp

    def _launch(self, work, arr, body):
        """Run body(stream) on the NCCL stream after the current stream's pending work."""
        cp = self._setup(arr)
        with cp.cuda.Device(self.device):
            ready = cp.cuda.Event()
            ready.record(cp.cuda.get_current_stream())
            self.stream.wait_event(ready)
            with self.stream:
                body(cp, self.stream)
            done = cp.cuda.Event()
            done.record(self.stream)
        work.add_test(lambda: done.done)
        work.then(lambda: cp.cuda.get_current_stream().wait_event(done))
        work._on_timeout = self.comm.abort

    def _typed(self, cp, work, arr, dtype, copy_in=True, write_back=True):
        """A contiguous stand-in of arr in dtype, copied back on the NCCL stream."""
        if arr.flags.c_contiguous and arr.dtype == dtype:
            return arr
        buf = cp.array(arr, dtype=dtype, order="C") if copy_in else cp.empty(arr.shape, dtype)
        if write_back:
            work.keep(("writeback", arr, buf))
        return buf

    @staticmethod
    def _flush(work, cp):
        """Issue the write-backs queued by _typed (still on the NCCL stream)."""
        for item in list(work._keep):
            if isinstance(item, tuple) and item and item[0] == "writeback":
                _, dst, src = item
                dst[...] = src.astype(dst.dtype, copy=False)

    # -- collectives ------------------------------------------------------------------------
    def all_reduce(self, work, arr, op):
        def body(cp, s):
            ntype, ctype = _nccl_dtype(arr.dtype)
            buf = self._typed(cp, work, arr, ctype)
            self.comm.allReduce(buf.data.ptr, buf.data.ptr, buf.size, ntype,
                                _nccl_op(op, arr.dtype), s.ptr)
            if op == ReduceOp.AVG:
                average(buf, self.pg.size())
            self._flush(work, cp)
            work.keep(buf)
        self._launch(work, arr, body)

    def broadcast(self, work, arr, root):
        def body(cp, s):
            buf = self._typed(cp, work, arr, arr.dtype)
            view = buf.reshape(-1).view(cp.uint8)
            self.comm.broadcast(view.data.ptr, view.data.ptr, view.size, _nccl().NCCL_UINT8,
                                root, s.ptr)
            self._flush(work, cp)
            work.keep(buf)
        self._launch(work, arr, body)

    def reduce(self, work, arr, op, root):
        def body(cp, s):
            ntype, ctype = _nccl_dtype(arr.dtype)
            is_root = self.pg.rank() == root
            buf = self._typed(cp, work, arr, ctype, write_back=is_root)
            out = buf if is_root else cp.empty_like(buf)
            self.comm.reduce(buf.data.ptr, out.data.ptr, buf.size, ntype,
                             _nccl_op(op, arr.dtype), root, s.ptr)
            if is_root and op == ReduceOp.AVG:
                average(buf, self.pg.size())
            self._flush(work, cp)
            work.keep(buf, out)
        self._launch(work, arr, body)

    def all_gather(self, work, out, inp):
        def body(cp, s):
            src = cp.array(inp, order="C").reshape(-1).view(cp.uint8)
            dst = self._typed(cp, work, out, out.dtype, copy_in=False)
            self.comm.allGather(src.data.ptr, dst.data.ptr, src.size, _nccl().NCCL_UINT8, s.ptr)
            self._flush(work, cp)
            work.keep(src, dst)
        self._launch(work, out, body)

    def reduce_scatter(self, work, out, inp, op):
        def body(cp, s):
            ntype, ctype = _nccl_dtype(inp.dtype)
            src = cp.array(inp, dtype=ctype, order="C")
            dst = self._typed(cp, work, out, ctype, copy_in=False)
            self.comm.reduceScatter(src.data.ptr, dst.data.ptr, dst.size, ntype,
                                    _nccl_op(op, inp.dtype), s.ptr)
            if op == ReduceOp.AVG:
                average(dst, self.pg.size())
            self._flush(work, cp)
            work.keep(src, dst)
        self._launch(work, out, body)

    def _grouped(self, work, anchor, sends, recvs):
        """sends/recvs: lists of (peer, contiguous array); one NCCL group of p2p calls."""
        nccl = _nccl()

        def body(cp, s):
            nccl.groupStart()
            try:
                for peer, a in sends:
                    v = a.reshape(-1).view(cp.uint8)
                    self.comm.send(v.data.ptr, v.size, nccl.NCCL_UINT8, peer, s.ptr)
                for peer, a in recvs:
                    v = a.reshape(-1).view(cp.uint8)
                    self.comm.recv(v.data.ptr, v.size, nccl.NCCL_UINT8, peer, s.ptr)
            finally:
                nccl.groupEnd()
            self._flush(work, cp)
        self._launch(work, anchor, body)

    def gather(self, work, out, inp, root):
        cp = gpu_module()
        me, n = self.pg.rank(), self.pg.size()
        src = cp.array(inp, order="C")
        work.keep(src)
        if me != root:
            return self._grouped(work, inp, [(root, src)], [])
        dst = self._typed(cp, work, out, out.dtype, copy_in=False)
        work.keep(dst)
        dst[me] = src
        self._grouped(work, inp, [], [(r, dst[r]) for r in range(n) if r != me])

    def scatter(self, work, out, inp, root):
        cp = gpu_module()
        me, n = self.pg.rank(), self.pg.size()
        dst = self._typed(cp, work, out, out.dtype, copy_in=False)
        work.keep(dst)
        if me != root:
            return self._grouped(work, out, [], [(root, dst)])
        src = cp.array(inp, order="C")
        work.keep(src)
        dst[...] = src[me]
        self._grouped(work, out, [(r, src[r]) for r in range(n) if r != me], [])

    def all_to_all(self, work, out, inp, out_rows, in_rows):
        cp = gpu_module()
        n = self.pg.size()
        in_rows = in_rows or [inp.shape[0] // n] * n
        out_rows = out_rows or [out.shape[0] // n] * n
        src = cp.array(inp, order="C")
        dst = self._typed(cp, work, out, out.dtype, copy_in=False)
        work.keep(src, dst)
        si = np.concatenate([[0], np.cumsum(in_rows)]).astype(int)
        ri = np.concatenate([[0], np.cumsum(out_rows)]).astype(int)
        sends = [(r, src[si[r]:si[r + 1]]) for r in range(n) if in_rows[r]]
        recvs = [(r, dst[ri[r]:ri[r + 1]]) for r in range(n) if out_rows[r]]
        self._grouped(work, out, sends, recvs)

    def barrier(self, work):
        raise RuntimeError("the nccl backend has no barrier: dpt.distributed.barrier runs over "
                           "MPI")

    def send(self, work, arr, peer, tag):
        cp = gpu_module()
        self._grouped(work, arr, [(peer, cp.array(arr, order="C"))], [])

    def recv(self, work, arr, peer, tag):
        cp = gpu_module()
        if peer is None:
            raise RuntimeError("the nccl backend cannot receive from any source: pass src")
        dst = self._typed(cp, work, arr, arr.dtype, copy_in=False)
        work.keep(dst)
        self._grouped(work, arr, [], [(peer, dst)])
        work.source_rank = peer
