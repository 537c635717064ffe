"""The stand-in's ``cupy.cuda``: checked Device, Stream and Event objects, memory pointers
and pools, ``runtime`` and ``curand``. Two devices; work is synchronous, so streams and
events only check how they are used (device, timing flag, recording before waiting)."""
from __future__ import annotations

import itertools
import time
import weakref

import numpy as np

from . import NAMES, build_module
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


_null_streams = {}


def _null(dev):
    if dev not in _null_streams:
        _null_streams[dev] = Stream(null=True, device_id=dev)
    return _null_streams[dev]


def get_current_stream(device_id=None):
    dev = current_device_id() if device_id is None else check_device_id(device_id)
    return current_stream_of(dev) or _null(dev)


class MemoryPool:
    """Counts nothing: the stand-in's arrays live in numpy's heap."""

    def used_bytes(self):
        return 0

    def total_bytes(self):
        return 0

    def free_bytes(self):
        return 0

    def free_all_blocks(self, stream=None):
        pass

    def n_free_blocks(self):
        return 0

    def set_limit(self, size=None, fraction=None):
        pass

    def get_limit(self):
        return 0


class PinnedMemoryPool(MemoryPool):
    pass


_pool, _pinned_pool = MemoryPool(), PinnedMemoryPool()


def get_default_memory_pool():
    return _pool


def get_default_pinned_memory_pool():
    return _pinned_pool


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
        return {"name": b"dpt CuPy stand-in (no GPU)", "totalGlobalMem": 16 << 30,
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
        "memGetInfo": lambda: (16 << 30, 16 << 30), "CUDARuntimeError": CUDARuntimeError,
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
        "Device": Device, "Stream": Stream, "ExternalStream": Stream, "Event": Event,
        "MemoryPointer": MemoryPointer, "MemoryPool": MemoryPool,
        "PinnedMemoryPool": PinnedMemoryPool, "PinnedMemoryPointer": PinnedMemoryPointer,
        "get_current_stream": get_current_stream, "get_elapsed_time": get_elapsed_time,
        "get_device_id": get_device_id, "alloc_pinned_memory": alloc_pinned_memory,
        "is_available": lambda: True, "runtime": runtime,
    }
    mod = build_module("cupy.cuda", None, hand, {"runtime": runtime})
    # real CuPy resolves these lazily in cupy.cuda.__getattr__ (not in its dir())
    mod.nccl, mod.curand = nccl_mod, curand
    Stream.null = _null(0)
    return mod


assert set(NAMES["modules"]["cupy.cuda"]) >= {"Device", "Stream", "Event", "runtime"}
