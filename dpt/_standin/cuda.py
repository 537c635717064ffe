"""The stand-in's ``cupy.cuda``: checked Device, Stream and Event objects, memory pointers
and pools, ``runtime`` and ``curand``. Two devices; work is synchronous, so streams and
events only check how they are used (device, timing flag, recording before waiting)."""
from __future__ import annotations

import itertools
import time
import weakref

import numpy as np

from . import NAMES, StandinModule, _modules, build_module
from ._core import (N_DEVICES, CUDARuntimeError, check_device_id, current_device_id,
                    current_stream_of, ndarray, set_current_device_id, set_current_stream_of)

_ptrs = itertools.count(0x7F0000001000, 0x100)  # stream/event handles: opaque, unique
live_streams = weakref.WeakValueDictionary()  # stream.ptr -> Stream
_live_pointers: dict = {}  # data.ptr -> {id: weakref to array}: what the NCCL stand-in may touch


def _remember(ptr, arr):
    if len(_live_pointers) > 4096:
        for k in [k for k, v in _live_pointers.items() if all(w() is None for w in v.values())]:
            del _live_pointers[k]
    _live_pointers.setdefault(ptr, {})[id(arr)] = weakref.ref(arr)


def device_array_at(ptr: int, nbytes: int, device_id: int):
    """The live device array whose memory [ptr, ptr + nbytes) is, on device_id, or None."""
    for w in list(_live_pointers.get(ptr, {}).values()):
        arr = w()
        if arr is not None and arr._dev == device_id and arr._a.flags.c_contiguous \
                and arr.nbytes >= nbytes:
            return arr
    return None


class Device:
    """cupy.cuda.Device(id=None): the current device when id is None."""

    def __init__(self, device=None):
        self.id = current_device_id() if device is None else check_device_id(device)
        self._prev = []

    def use(self):
        set_current_device_id(self.id)

    def __enter__(self):
        self._prev.append(current_device_id())
        set_current_device_id(self.id)
        return self

    def __exit__(self, *exc):
        set_current_device_id(self._prev.pop())
        return False

    def synchronize(self):
        pass

    @property
    def compute_capability(self):
        return "80"

    @property
    def pci_bus_id(self):
        return f"0000:{self.id:02x}:00.0"

    def __eq__(self, other):
        return isinstance(other, Device) and other.id == self.id

    def __hash__(self):
        return hash(("cupy.cuda.Device", self.id))

    def __int__(self):
        return self.id

    def __repr__(self):
        return f"<CUDA Device {self.id}>"


def get_device_id() -> int:
    return current_device_id()


class MemoryPointer:
    """The ``.data`` of an array: ``ptr`` is the host address of its first element."""

    def __init__(self, arr: ndarray):
        self._arr = arr
        self.ptr = int(arr._a.__array_interface__["data"][0])
        self.device_id = arr._dev
        self.mem = arr
        _remember(self.ptr, arr)

    @property
    def device(self):
        return Device(self.device_id)

    def __int__(self):
        return self.ptr


class Event:
    """cupy.cuda.Event(block=False, disable_timing=False, interprocess=False)."""

    def __init__(self, block=False, disable_timing=False, interprocess=False):
        self.device_id = current_device_id()
        self.disable_timing = disable_timing
        self.ptr = next(_ptrs)
        self._t = None

    def record(self, stream=None):
        stream = stream if stream is not None else get_current_stream()
        if stream.device_id != self.device_id:
            raise CUDARuntimeError(400, "cudaErrorInvalidResourceHandle",
                                   "invalid resource handle (event and stream on different devices)")
        self._t = time.perf_counter()

    @property
    def done(self):
        return True

    def synchronize(self):
        pass


def get_elapsed_time(start_event: Event, end_event: Event) -> float:
    if start_event.disable_timing or end_event.disable_timing:
        raise CUDARuntimeError(400, "cudaErrorInvalidResourceHandle", "invalid resource handle")
    if start_event._t is None or end_event._t is None:
        raise CUDARuntimeError(600, "cudaErrorNotReady", "device not ready")
    return (end_event._t - start_event._t) * 1e3


class Stream:
    """cupy.cuda.Stream(null=False, non_blocking=False, ptds=False), bound to the current device."""

    def __init__(self, null=False, non_blocking=False, ptds=False, priority=None, device_id=None):
        self.device_id = current_device_id() if device_id is None else device_id
        self.ptr = 0 if null else next(_ptrs)
        self._prev = []
        if not null:
            live_streams[self.ptr] = self

    def _check(self, what):
        if self.device_id != current_device_id():
            raise CUDARuntimeError(400, "cudaErrorInvalidResourceHandle",
                                   f"invalid resource handle ({what} a stream of device "
                                   f"{self.device_id} while device {current_device_id()} is current)")

    def __enter__(self):
        self._check("entering")
        self._prev.append(current_stream_of(self.device_id))
        set_current_stream_of(self.device_id, self)
        return self

    def __exit__(self, *exc):
        set_current_stream_of(self.device_id, self._prev.pop())
        return False

    def use(self):
        self._check("using")
        set_current_stream_of(self.device_id, self)
        return self

    def synchronize(self):
        pass

    @property
    def done(self):
        return True

    def record(self, event=None):
        event = Event() if event is None else event
        event.record(self)
        return event

    def wait_event(self, event):
        if not isinstance(event, Event):
            raise TypeError(f"wait_event expects a cupy.cuda.Event, got {type(event).__name__}")
        if event._t is None:
            pass  # waiting on an event never recorded is a no-op in CUDA too

    def __eq__(self, other):
        return isinstance(other, Stream) and (other.ptr, other.device_id) == (self.ptr, self.device_id)

    def __hash__(self):
        return hash((self.ptr, self.device_id))


class ExternalStream(Stream):
    """cupy.cuda.ExternalStream(ptr, device_id=-1): a stream made elsewhere, by its handle."""

    def __init__(self, ptr, device_id=-1):
        self.device_id = current_device_id() if device_id < 0 else check_device_id(device_id)
        self.ptr = int(ptr)
        self._prev = []


_null_streams = {}


def _null(dev):
    if dev not in _null_streams:
        _null_streams[dev] = Stream(null=True, device_id=dev)
    return _null_streams[dev]


def get_current_stream(device_id=None):
    dev = current_device_id() if device_id is None else check_device_id(device_id)
    return current_stream_of(dev) or _null(dev)


class OutOfMemoryError(MemoryError):
    """cupy.cuda.memory.OutOfMemoryError(size, total, limit=0)."""

    def __init__(self, size, total, limit=0):
        limit_msg = f", limit set to: {limit:,} bytes" if limit else ""
        super().__init__(f"Out of memory allocating {size:,} bytes "
                         f"(allocated so far: {total:,} bytes{limit_msg}).")


class _PoolMemory:
    """A block handed out by the pool: ``ptr`` is opaque; dropping it returns the block."""

    def __init__(self, pool, dev, size):
        self._pool, self.device_id, self.size = pool, dev, size
        self.ptr = next(_ptrs)

    def __del__(self):
        if self._pool is not None:
            self._pool._release(self.device_id, self.size)


class MemoryPool:
    """Counts the blocks allocated through it (cupy.cuda.alloc with the default allocator),
    per device, with CuPy's rounding to 512 bytes, caching of freed blocks and limit. The
    stand-in's arrays live in numpy's heap and do not go through it."""

    _UNIT = 512

    def __init__(self):
        self._used, self._cached, self._limit = {}, {}, {}

    def malloc(self, size):
        dev = current_device_id()
        size = -(-int(size) // self._UNIT) * self._UNIT
        cached = self._cached.setdefault(dev, [])
        if size in cached:
            cached.remove(size)
        else:
            limit = self.get_limit()
            if limit and self.total_bytes() + size > limit:
                cached.clear()  # CuPy frees the cache and retries before giving up
                if self.total_bytes() + size > limit:
                    raise OutOfMemoryError(size, self.total_bytes(), limit)
        self._used[dev] = self._used.get(dev, 0) + size
        return _PoolMemory(self, dev, size)

    def _release(self, dev, size):
        self._used[dev] -= size
        self._cached.setdefault(dev, []).append(size)

    def used_bytes(self):
        return self._used.get(current_device_id(), 0)

    def free_bytes(self):
        return sum(self._cached.get(current_device_id(), []))

    def total_bytes(self):
        return self.used_bytes() + self.free_bytes()

    def free_all_blocks(self, stream=None):
        self._cached.pop(current_device_id(), None)

    def n_free_blocks(self):
        return len(self._cached.get(current_device_id(), []))

    def set_limit(self, size=None, fraction=None):
        if size is not None and fraction is not None:
            raise ValueError("size and fraction cannot be specified at one time")
        if fraction is not None:
            if not 0 <= fraction <= 1:
                raise ValueError(f"memory limit fraction out of range: {fraction}")
            size = int(_TOTAL_MEM * fraction)
        self._limit[current_device_id()] = int(size or 0)

    def get_limit(self):
        return self._limit.get(current_device_id(), 0)


class PinnedMemoryPool:
    """Counts nothing: pinned buffers are plain host memory here."""

    def used_bytes(self):
        return 0

    def total_bytes(self):
        return 0

    def free_bytes(self):
        return 0

    def free_all_blocks(self):
        pass

    def n_free_blocks(self):
        return 0


_TOTAL_MEM = 16 << 30
_pool, _pinned_pool = MemoryPool(), PinnedMemoryPool()


def get_default_memory_pool():
    return _pool


def get_default_pinned_memory_pool():
    return _pinned_pool


def _raw_malloc(size):
    return _PoolMemory(None, current_device_id(), int(size))


_allocator = [_pool.malloc]


def set_allocator(allocator=None):
    """cupy.cuda.set_allocator(allocator=None): None disables the pool."""
    _allocator[0] = _raw_malloc if allocator is None else allocator


def get_allocator():
    return _allocator[0]


def alloc(size):
    return _allocator[0](size)


class PinnedMemoryPointer(bytearray):
    """Host memory with the buffer protocol (numpy.frombuffer works on it, as on CuPy's);
    a bytearray underneath because Python 3.11 classes cannot export buffers themselves."""

    def __init__(self, size):
        super().__init__(size)
        self.size = size
        self.ptr = int(np.frombuffer(self, np.uint8).__array_interface__["data"][0]) if size else 0


def alloc_pinned_memory(size):
    return PinnedMemoryPointer(int(size))


# -- runtime -----------------------------------------------------------------------------------
def _runtime():
    def getDeviceProperties(device):
        check_device_id(device)
        return {"name": b"dpt CuPy stand-in (no GPU)", "totalGlobalMem": _TOTAL_MEM,
                "major": 8, "minor": 0, "multiProcessorCount": 1, "pciBusID": int(device),
                "warpSize": 32, "maxThreadsPerBlock": 1024}

    def setDevice(device):
        set_current_device_id(device)

    def pointerGetAttributes(ptr):
        raise CUDARuntimeError(1, "cudaErrorInvalidValue", "pointer attributes are not tracked")

    hand = {
        "getDeviceCount": lambda: N_DEVICES, "getDevice": current_device_id,
        "setDevice": setDevice, "getDeviceProperties": getDeviceProperties,
        "deviceSynchronize": lambda: None, "streamSynchronize": lambda stream: None,
        "runtimeGetVersion": lambda: 12080, "driverGetVersion": lambda: 12080,
        "memGetInfo": lambda: (_TOTAL_MEM - _pool.used_bytes(), _TOTAL_MEM), "CUDARuntimeError": CUDARuntimeError,
        "is_hip": False, "pointerGetAttributes": pointerGetAttributes,
        "deviceCanAccessPeer": lambda a, b: 1,
    }
    return build_module("cupy.cuda.runtime", None, hand)


def build():
    from . import nccl
    runtime = _runtime()
    curand = build_module("cupy.cuda.curand", None, {})
    nccl_mod = nccl.build()
    hand = {
        "Device": Device, "Stream": Stream, "ExternalStream": ExternalStream, "Event": Event,
        "MemoryPointer": MemoryPointer, "MemoryPool": MemoryPool,
        "PinnedMemoryPool": PinnedMemoryPool, "PinnedMemoryPointer": PinnedMemoryPointer,
        "get_current_stream": get_current_stream, "get_elapsed_time": get_elapsed_time,
        "get_device_id": get_device_id, "alloc_pinned_memory": alloc_pinned_memory,
        "is_available": lambda: True, "runtime": runtime,
        "set_allocator": set_allocator, "get_allocator": get_allocator, "alloc": alloc,
    }
    memory = StandinModule("cupy.cuda.memory", "CuPy stand-in for cupy.cuda.memory (part)")
    memory.OutOfMemoryError, memory.MemoryPool, memory.alloc = OutOfMemoryError, MemoryPool, alloc
    memory.set_allocator, memory.get_allocator = set_allocator, get_allocator
    _modules["cupy.cuda.memory"] = memory
    mod = build_module("cupy.cuda", None, hand, {"runtime": runtime, "memory": memory})
    # real CuPy resolves these lazily in cupy.cuda.__getattr__ (not in its dir())
    mod.nccl, mod.curand = nccl_mod, curand
    Stream.null = _null(0)
    return mod


assert set(NAMES["modules"]["cupy.cuda"]) >= {"Device", "Stream", "Event", "runtime"}
