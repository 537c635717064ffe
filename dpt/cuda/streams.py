"""CUDA streams and events (torch.cuda.streams) over CuPy's Stream and Event."""
from __future__ import annotations

from .. import _device
from . import _lazy


class Stream:
    """Stream(device=None, priority=0): a CUDA stream on device (the current GPU by default);
    use as a context manager, or through dpt.cuda.stream(s) / StreamContext(s)."""

    def __init__(self, device=None, priority: int = 0, **kwargs):
        cp = _lazy.gpu()
        idx = _lazy.index(device)
        with cp.cuda.Device(idx):
            self._stream = cp.cuda.Stream(non_blocking=True)
        self.device = _device.device("cuda", idx)
        self.priority = int(priority)

    @classmethod
    def _wrap(cls, cupy_stream, idx: int) -> "Stream":
        s = cls.__new__(cls)
        s._stream, s.device, s.priority = cupy_stream, _device.device("cuda", idx), 0
        return s

    @property
    def cuda_stream(self) -> int:
        """The raw cudaStream_t handle, as an int."""
        return self._stream.ptr

    @property
    def device_index(self) -> int:
        return self.device.index

    def synchronize(self) -> None:
        self._stream.synchronize()

    def query(self) -> bool:
        """True when all work queued on the stream has finished."""
        return self._stream.done

    def wait_event(self, event: "Event") -> None:
        """Make future work on this stream wait for event."""
        self._stream.wait_event(event._event)

    def wait_stream(self, stream: "Stream") -> None:
        """Make future work on this stream wait for the work queued on stream so far."""
        self.wait_event(stream.record_event())

    def record_event(self, event: "Event | None" = None) -> "Event":
        """Record event (a new one by default) on this stream and return it."""
        event = Event() if event is None else event
        event.record(self)
        return event

    def __enter__(self):
        ctx = StreamContext(self)
        self.__dict__.setdefault("_contexts", []).append(ctx)  # re-entrant
        ctx.__enter__()
        return self

    def __exit__(self, *exc):
        return self._contexts.pop().__exit__(*exc)

    def __eq__(self, other):
        return isinstance(other, Stream) and (self._stream.ptr, self.device) == \
            (other._stream.ptr, other.device)

    def __hash__(self):
        return hash((self._stream.ptr, self.device))

    def __repr__(self):
        return f"<dpt.cuda.Stream device={self.device} cuda_stream={self.cuda_stream:#x}>"


class ExternalStream(Stream):
    """ExternalStream(stream_ptr, device=None): wrap a cudaStream_t made by other code (the
    caller keeps it alive)."""

    def __init__(self, stream_ptr, device=None, **kwargs):
        cp = _lazy.gpu()
        idx = _lazy.index(device)
        with cp.cuda.Device(idx):
            self._stream = cp.cuda.ExternalStream(int(stream_ptr), idx)
        self.device, self.priority = _device.device("cuda", idx), 0


def get_stream_from_external(data_ptr, device=None) -> Stream:
    """get_stream_from_external(data_ptr, device=None): an ExternalStream over a raw handle."""
    return ExternalStream(data_ptr, device)


class Event:
    """Event(enable_timing=False, blocking=False, interprocess=False): a CUDA event."""

    def __init__(self, enable_timing: bool = False, blocking: bool = False,
                 interprocess: bool = False):
        self._event = _lazy.gpu().cuda.Event(disable_timing=not enable_timing, block=blocking,
                                             interprocess=interprocess)

    def record(self, stream: Stream | None = None) -> None:
        """Record the event on stream (the current stream by default)."""
        self._event.record(None if stream is None else stream._stream)

    def wait(self, stream: Stream | None = None) -> None:
        """Make future work on stream (the current one by default) wait for this event."""
        (current_stream() if stream is None else stream).wait_event(self)

    def query(self) -> bool:
        return self._event.done

    def synchronize(self) -> None:
        self._event.synchronize()

    def elapsed_time(self, end: "Event") -> float:
        """Milliseconds between this event and end."""
        return _lazy.gpu().cuda.get_elapsed_time(self._event, end._event)


def current_stream(device=None) -> Stream:
    """current_stream(device=None): the stream work on device is queued on now."""
    cp = _lazy.gpu()
    idx = _lazy.index(device)
    return Stream._wrap(cp.cuda.get_current_stream(idx), idx)


def default_stream(device=None) -> Stream:
    """default_stream(device=None): the device's default (null) stream."""
    cp = _lazy.gpu()
    idx = _lazy.index(device)
    with cp.cuda.Device(idx):
        return Stream._wrap(cp.cuda.Stream(null=True), idx)


def set_stream(stream: Stream) -> None:
    """set_stream(stream): make stream current on its device (and that device current);
    None does nothing. Prefer ``with dpt.cuda.stream(s):``."""
    if stream is None:
        return
    cp = _lazy.gpu()
    cp.cuda.Device(stream.device.index).use()
    stream._stream.use()


class StreamContext:
    """StreamContext(stream): inside the block, stream's device is current and work is queued
    on stream; both are restored after it. None makes it a no-op (also without a GPU)."""

    def __init__(self, stream: Stream | None):
        self.stream = stream

    def __enter__(self):
        if self.stream is None:
            return None
        cp = _lazy.gpu()
        self._device = cp.cuda.Device(self.stream.device.index)
        self._device.__enter__()
        self.stream._stream.__enter__()
        return self.stream

    def __exit__(self, *exc):
        if self.stream is None:
            return False
        self.stream._stream.__exit__(*exc)
        self._device.__exit__(*exc)
        return False


def stream(stream: Stream | None) -> StreamContext:
    """with dpt.cuda.stream(s): ... queues work on s (None: no change)."""
    return StreamContext(stream)
