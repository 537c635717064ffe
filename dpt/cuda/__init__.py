"""dpt.cuda: GPU queries and control (torch.cuda), through the GPU array module that
dpt._device picks.

Everything here works without one: ``is_available()`` is then False, ``device_count()``
is 0, and calls that need a GPU raise a RuntimeError saying so.
"""
from __future__ import annotations

from .. import _device
from ..random import default_generator_for
from . import amp  # noqa: E402,F401  (torch.cuda.amp's deprecated names)


def _gpu():
    cp = _device.gpu_module()
    if cp is None:
        raise RuntimeError("dpt.cuda: no CUDA device is available (no GPU array module, or it "
                           "sees no GPU); "
                           "install dpt[cuda12] or dpt[cuda13] on a machine with a GPU")
    return cp


def is_available() -> bool:
    """True when the GPU array module imports and sees at least one GPU."""
    return _device.gpu_module() is not None


def device_count() -> int:
    cp = _device.gpu_module()
    return 0 if cp is None else cp.cuda.runtime.getDeviceCount()


def current_device() -> int:
    return _gpu().cuda.Device().id


def set_device(device) -> None:
    """set_device(device): make device (int, 'cuda:N' or dpt.device) the current GPU."""
    idx = device if isinstance(device, int) else _device.device(device).index or 0
    _gpu().cuda.Device(idx).use()


def synchronize(device=None) -> None:
    """Wait for every kernel queued on device (default: the current one) to finish."""
    cp = _gpu()
    idx = current_device() if device is None else (
        device if isinstance(device, int) else _device.device(device).index or 0)
    with cp.cuda.Device(idx):
        cp.cuda.runtime.deviceSynchronize()


def get_device_name(device=None) -> str:
    cp = _gpu()
    idx = current_device() if device is None else (
        device if isinstance(device, int) else _device.device(device).index or 0)
    name = cp.cuda.runtime.getDeviceProperties(idx)["name"]
    return name.decode() if isinstance(name, bytes) else name


def get_device_properties(device=None) -> dict:
    cp = _gpu()
    idx = current_device() if device is None else int(device)
    return cp.cuda.runtime.getDeviceProperties(idx)


def manual_seed(seed: int) -> None:
    """Seed the generator of the current GPU (dpt.manual_seed seeds all devices).

    Without a GPU this does nothing, as in torch, so CPU runs of GPU scripts go on."""
    seed = int(seed)
    if is_available():
        default_generator_for(_device.device("cuda", current_device())).manual_seed(seed)


def manual_seed_all(seed: int) -> None:
    """Seed every GPU's generator (nothing to seed without a GPU)."""
    seed = int(seed)
    for i in range(device_count()):
        default_generator_for(_device.device("cuda", i)).manual_seed(seed)


def seed() -> None:
    """Seed the current GPU's generator from the OS's entropy (a no-op without a GPU)."""
    if is_available():
        default_generator_for(_device.device("cuda", current_device())).seed()


def seed_all() -> None:
    """Seed every GPU's generator from one draw of the OS's entropy (no-op without a GPU)."""
    if is_available():
        s = default_generator_for(_device.device("cuda", 0)).seed()
        manual_seed_all(s)


def get_rng_state_all() -> list:
    """Every GPU generator's state, one uint8 tensor per GPU ([] without a GPU)."""
    return [default_generator_for(_device.device("cuda", i)).get_state()
            for i in range(device_count())]


def set_rng_state_all(new_states) -> None:
    """Restore the states get_rng_state_all() returned, GPU by GPU."""
    for i, state in enumerate(new_states):
        default_generator_for(_device.device("cuda", i)).set_state(state)


def is_bf16_supported(including_emulation: bool = True) -> bool:
    """Always False: CuPy has no bfloat16 dtype, so dpt keeps bfloat16 on the CPU
    (scripts that pick float16 when this is False then run)."""
    return False


def is_initialized() -> bool:
    """True when a GPU is usable: dpt has no lazy CUDA initialisation to wait for."""
    return is_available()


def initial_seed() -> int:
    """The current GPU generator's seed; a RuntimeError without a GPU (torch raises too)."""
    return default_generator_for(_device.device("cuda", current_device())).initial_seed()


def memory_allocated(device=None) -> int:
    """Bytes held by the GPU memory pool for arrays."""
    return _gpu().get_default_memory_pool().used_bytes()


def memory_reserved(device=None) -> int:
    return _gpu().get_default_memory_pool().total_bytes()


def empty_cache() -> None:
    """Return cached, unused GPU memory to the driver (no-op without a GPU)."""
    cp = _device.gpu_module()
    if cp is not None:
        cp.get_default_memory_pool().free_all_blocks()
        cp.get_default_pinned_memory_pool().free_all_blocks()


class device:
    """with dpt.cuda.device(1): ... makes GPU 1 current inside the block."""

    def __init__(self, device):
        self.idx = device if isinstance(device, int) else _device.device(device).index or 0

    def __enter__(self):
        self._ctx = _gpu().cuda.Device(self.idx)
        self._ctx.__enter__()
        return self

    def __exit__(self, *exc):
        return self._ctx.__exit__(*exc)


class Stream:
    """Stream(device=None): a CUDA stream; use as a context manager."""

    def __init__(self, device=None, priority: int = 0):
        cp = _gpu()
        self._stream = cp.cuda.Stream(non_blocking=True)

    def synchronize(self) -> None:
        self._stream.synchronize()

    def query(self) -> bool:
        return self._stream.done

    def __enter__(self):
        self._stream.__enter__()
        return self

    def __exit__(self, *exc):
        return self._stream.__exit__(*exc)


class Event:
    """Event(enable_timing=False): a CUDA event."""

    def __init__(self, enable_timing: bool = False, blocking: bool = False):
        self._event = _gpu().cuda.Event(disable_timing=not enable_timing, block=blocking)

    def record(self, stream=None) -> None:
        self._event.record(None if stream is None else stream._stream)

    def synchronize(self) -> None:
        self._event.synchronize()

    def elapsed_time(self, end: "Event") -> float:
        """Milliseconds between this event and end."""
        return _gpu().cuda.get_elapsed_time(self._event, end._event)


def current_stream(device=None):
    s = Stream.__new__(Stream)
    s._stream = _gpu().cuda.get_current_stream()
    return s


def stream(s: Stream | None):
    """with dpt.cuda.stream(s): ... queues work on s."""
    import contextlib

    return s if s is not None else contextlib.nullcontext()
