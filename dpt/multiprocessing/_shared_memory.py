"""Tensor data in shared memory: the mappings behind Tensor.share_memory_() and the
pickling of CPU tensors through dpt.multiprocessing.

A ``_Block`` owns one shared mapping and is the numpy ``base`` of every array built on it,
so the mapping lives exactly as long as some array uses it. Two ways to name a block to
another process, as torch's sharing strategies:

- ``file_descriptor`` (Linux): an anonymous ``memfd``; the receiver gets a duplicate of its
  file descriptor through multiprocessing's fd passing, so nothing is ever left on disk.
  The block keeps its descriptor open (one per shared tensor, as in torch).
- ``file_system``: a named ``multiprocessing.shared_memory`` segment that the receiver
  opens by name. The process that created it unlinks the name when its own arrays on it
  are gone, so the sender must keep the tensor alive until receivers have it (torch keeps
  a separate manager process for this; dpt does not).
"""
from __future__ import annotations

import atexit
import ctypes
import mmap
import os
import sys
import weakref
from multiprocessing import reduction, shared_memory

import numpy as np

__all__ = ["STRATEGIES", "share_", "is_shared", "reduce_tensor", "register_reductions"]

STRATEGIES = {"file_descriptor", "file_system"} if hasattr(os, "memfd_create") and \
    sys.platform.startswith("linux") else {"file_system"}
DEFAULT_STRATEGY = "file_descriptor" if "file_descriptor" in STRATEGIES else "file_system"
strategy = DEFAULT_STRATEGY  # what new blocks use; set by dpt.multiprocessing.set_sharing_strategy


def _address(buffer) -> int:
    probe = ctypes.c_char.from_buffer(buffer)  # a momentary export, released just below
    try:
        return ctypes.addressof(probe)
    finally:
        del probe


class _Block:
    """One shared mapping of ``nbytes`` bytes; numpy arrays on it hold it as their base."""

    def __init__(self, nbytes: int, *, mm=None, fd: int | None = None, shm=None,
                 owner: bool = False):
        self.nbytes, self._mm, self.fd, self._shm, self._owner = nbytes, mm, fd, shm, owner
        buf = shm.buf if shm is not None else mm
        self.address = _address(buf)
        self.__array_interface__ = {"shape": (nbytes,), "typestr": "|u1", "version": 3,
                                    "data": (self.address, False)}

    @property
    def strategy(self) -> str:
        return "file_system" if self._shm is not None else "file_descriptor"

    @property
    def name(self) -> str | None:
        return None if self._shm is None else self._shm.name

    def bytes(self) -> np.ndarray:
        return np.asarray(self)

    def unlink(self) -> None:
        """Remove the segment's name (created blocks only); mappings stay valid."""
        if self._shm is not None and self._owner:
            self._owner = False
            try:
                self._shm.unlink()
            except FileNotFoundError:
                pass

    def __del__(self, _close=os.close):  # bound now: at interpreter exit os may be gone
        # no array uses the mapping any more (each holds this block as its base)
        self.unlink()
        if self.fd is not None:
            _close(self.fd)
            self.fd = None
        if self._shm is not None:
            self._shm.close()
            self._shm = None


# named segments this process created and still uses: unlinked at exit (a block alive
# then may never be collected, and the resource tracker would warn about a leak)
_owned: weakref.WeakSet = weakref.WeakSet()


@atexit.register
def _unlink_owned() -> None:
    for block in list(_owned):
        block.unlink()


def allocate(nbytes: int, strategy: str) -> _Block:
    """A new zero-filled block of at least one byte (mmap refuses empty mappings)."""
    size = max(int(nbytes), 1)
    if strategy == "file_descriptor":
        fd = os.memfd_create("dpt-shared-tensor", os.MFD_CLOEXEC)
        try:
            os.ftruncate(fd, size)
            mm = mmap.mmap(fd, size)
        except BaseException:
            os.close(fd)
            raise
        return _Block(size, mm=mm, fd=fd)
    block = _Block(size, shm=shared_memory.SharedMemory(create=True, size=size), owner=True)
    _owned.add(block)
    return block


def _attach_fd(fd: int, size: int) -> _Block:
    return _Block(size, mm=mmap.mmap(fd, size), fd=fd)


def _attach_name(name: str, size: int) -> _Block:
    # Opening registers the name with the resource tracker again, which is harmless: the
    # tracker (shared by a parent and its children) keeps a set of names, and the creator's
    # unlink removes it.
    return _Block(size, shm=shared_memory.SharedMemory(name=name))


def block_of(arr) -> _Block | None:
    """The block an array lives on, or None when it is ordinary memory."""
    while arr is not None:
        if isinstance(arr, _Block):
            return arr
        arr = getattr(arr, "base", None)
    return None


def array_on(block: _Block, dtype, shape, strides, offset: int) -> np.ndarray:
    return np.ndarray(shape, dtype=dtype, buffer=block.bytes(), offset=offset, strides=strides)


def handle(block: _Block):
    """What to pickle so that another process can open the block."""
    if block.strategy == "file_descriptor":
        return ("file_descriptor", reduction.DupFd(block.fd), block.nbytes)
    return ("file_system", block.name, block.nbytes)


def open_handle(h) -> _Block:
    kind, ref, size = h
    if kind == "file_descriptor":
        return _attach_fd(ref.detach(), size)
    if kind == "file_system":
        return _attach_name(ref, size)
    raise ValueError(f"unknown shared-memory handle kind {kind!r}")


def rebuild_array(h, dtype, shape, strides, offset) -> np.ndarray:
    return array_on(open_handle(h), np.dtype(dtype), shape, strides, offset)


# -- tensors ----------------------------------------------------------------------------------

def _pointer(arr: np.ndarray) -> int:
    return arr.__array_interface__["data"][0]


_byte_bounds = getattr(getattr(np.lib, "array_utils", None), "byte_bounds", None) or \
    getattr(np, "byte_bounds", None)  # numpy 2 moved it


def _dense(arr: np.ndarray) -> bool:
    return arr.flags.c_contiguous or arr.flags.f_contiguous


def _move_to_block(arr: np.ndarray) -> np.ndarray:
    """A copy of arr in a new block, with arr's strides when it is dense (so that views
    computed from arr's layout stay valid), else C-ordered."""
    block = allocate(arr.nbytes, strategy)
    strides = arr.strides if _dense(arr) else None
    out = array_on(block, arr.dtype, arr.shape, strides, 0)
    out[...] = arr
    return out


def is_shared(t) -> bool:
    """Tensor.is_shared(): its data is in shared memory (always true for GPU tensors, as in
    torch, where CUDA memory is shared through IPC)."""
    return not isinstance(t._data, np.ndarray) or block_of(t._data) is not None


def share_(t):
    """Tensor.share_memory_(): move a CPU tensor's data into shared memory, in place.

    A view moves its base tensor with it and stays a view of it. Deviation from torch: other
    views of the same data taken before the call, other than the base, keep the old memory,
    so share a tensor before taking views of it (Module.share_memory() shares parameters,
    which are not views)."""
    if is_shared(t):
        return t
    base = t._base
    if base is not None and isinstance(base._data, np.ndarray) and _dense(base._data):
        old = base._data
        (lo, hi), (tlo, thi) = _byte_bounds(old), _byte_bounds(t._data)
        if lo <= tlo and thi <= hi:
            share_(base)
            block = block_of(base._data)
            offset = _pointer(t._data) - _pointer(old) + _pointer(base._data) - block.address
            t._data = array_on(block, t._data.dtype, t._data.shape, t._data.strides, offset)
            return t
    t._data = _move_to_block(t._data)
    return t


_NON_LEAF = ("Cowardly refusing to serialize non-leaf tensor which requires_grad, since "
             "autograd does not support crossing process boundaries. If you just want to "
             "transfer the data, call detach() on the tensor before serializing (e.g., putting "
             "it on the queue).")


def reduce_tensor(t):
    """How multiprocessing pickles a Tensor or Parameter once dpt.multiprocessing is imported:
    a CPU tensor is moved into shared memory (in place, as torch does) and sent as a handle
    to it; a GPU tensor is sent by value (dpt has no CUDA IPC)."""
    if t.requires_grad and t.grad_fn is not None:
        raise RuntimeError(_NON_LEAF)
    rebuild, args = t.__reduce_ex__(2)[:2]
    if not isinstance(t._data, np.ndarray):
        return rebuild, args
    share_(t)
    arr = t._data
    block = block_of(arr)
    return (_rebuild_shared, (handle(block), t.dtype.name, arr.shape, arr.strides,
                              _pointer(arr) - block.address, rebuild, args[1:]))


def _rebuild_shared(h, dtype_name, shape, strides, offset, rebuild, rest):
    from .. import _dtype
    arr = array_on(open_handle(h), _dtype.as_dtype(dtype_name).np, shape, strides, offset)
    return rebuild(arr, *rest)


def register_reductions() -> None:
    """Send dpt Tensors and Parameters through multiprocessing by shared memory."""
    from .._tensor import Tensor
    from ..nn.parameter import Parameter
    for cls in (Tensor, Parameter):
        reduction.ForkingPickler.register(cls, reduce_tensor)
