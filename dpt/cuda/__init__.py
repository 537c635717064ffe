"""dpt.cuda: GPU queries and control (torch.cuda), through the GPU array module that
dpt._device picks (CuPy).

Everything here imports without a GPU and then behaves like torch's CPU-only build: queries
answer defaults (``is_available()`` False, ``device_count()`` 0, memory counters 0), and calls
that need a GPU raise an AssertionError that is also a RuntimeError, saying why.

Modules: memory (pool statistics, limits, OOM), streams (Stream, Event, StreamContext),
random (the GPU generators), graphs (CUDA graphs: unsupported), nvml (utilization & co),
tensors (the legacy FloatTensor & co), errors (OutOfMemoryError, CudaError).

Not provided, on purpose: the Storage classes (dpt has no storages), torch's allocator
plumbing (CUDAPluggableAllocator, MemPool, use_mem_pool, change_current_allocator,
get_allocator_backend, host memory stats: CuPy's pool has no counterpart), GreenContext,
cuBLAS/cuSOLVER handles and the torch._C bindings (cudart, cudaStatus).
"""
from __future__ import annotations

from .. import _device
from . import amp  # noqa: F401  (torch.cuda.amp's deprecated names)
from . import graphs, memory, nvml, random, streams, tensors  # noqa: F401
from ._lazy import gpu as _gpu, index as _index
from .errors import CudaError, OutOfMemoryError, check_error  # noqa: F401
from .graphs import (CUDAGraph, graph, graph_pool_handle,  # noqa: F401
                     is_current_stream_capturing, make_graphed_callables)
from .memory import (caching_allocator_alloc, caching_allocator_delete,  # noqa: F401
                     caching_allocator_disabled, caching_allocator_enable, empty_cache,
                     get_per_process_memory_fraction, ipc_collect, max_memory_allocated,
                     max_memory_cached, max_memory_reserved, mem_get_info, memory_allocated,
                     memory_cached, memory_reserved, memory_snapshot, memory_stats,
                     memory_stats_as_nested_dict, memory_summary, reset_accumulated_memory_stats,
                     reset_max_memory_allocated, reset_max_memory_cached,
                     reset_peak_memory_stats, set_per_process_memory_fraction)
from .nvml import (clock_rate, device_memory_used, list_gpu_processes,  # noqa: F401
                   memory_usage, power_draw, temperature, utilization)
from .random import (get_rng_state, get_rng_state_all, initial_seed,  # noqa: F401
                     manual_seed, manual_seed_all, seed, seed_all, set_rng_state,
                     set_rng_state_all)
from .streams import (Event, ExternalStream, Stream, StreamContext,  # noqa: F401
                      current_stream, default_stream, get_stream_from_external, set_stream,
                      stream)
from .tensors import (BFloat16Tensor, BoolTensor, ByteTensor, CharTensor,  # noqa: F401
                      DoubleTensor, FloatTensor, HalfTensor, IntTensor, LongTensor,
                      ShortTensor)

has_half = True  # float16 works on every GPU CuPy supports
has_magma = False  # dpt's linear algebra goes through cuSOLVER (CuPy), never MAGMA


def __getattr__(name):
    if name == "default_generators":  # depends on how many GPUs there are: computed on access
        return random.default_generators()
    raise AttributeError(f"module 'dpt.cuda' has no attribute '{name}'")


def is_available() -> bool:
    """True when the GPU array module imports and sees at least one GPU."""
    return _device.gpu_module() is not None


def device_count() -> int:
    return 0 if _device.gpu_module() is None else _device.gpu_count()


def init() -> None:
    """Initialise CUDA now: dpt has nothing lazy to do, but raises without a GPU, as torch."""
    _gpu()


def is_initialized() -> bool:
    """True when a GPU is usable: dpt has no lazy CUDA initialisation to wait for."""
    return is_available()


def current_device() -> int:
    return _gpu().cuda.Device().id


def set_device(device) -> None:
    """set_device(device): make device (int, 'cuda:N' or dpt.device) the current GPU;
    a negative index does nothing, as in torch."""
    if isinstance(device, int) and device < 0:
        return
    _gpu().cuda.Device(_index(device, optional=False)).use()


def synchronize(device=None) -> None:
    """Wait for every kernel queued on device (default: the current one) to finish."""
    cp = _gpu()
    with cp.cuda.Device(_index(device)):
        cp.cuda.runtime.deviceSynchronize()


def get_device_name(device=None) -> str:
    name = _gpu().cuda.runtime.getDeviceProperties(_index(device))["name"]
    return name.decode() if isinstance(name, bytes) else name


def get_device_properties(device=None) -> dict:
    """The CUDA runtime's cudaDeviceProp of device, as the dict CuPy returns (torch gives an
    object with attributes: a documented difference)."""
    return _gpu().cuda.runtime.getDeviceProperties(_index(device))


def get_device_capability(device=None) -> tuple:
    """get_device_capability(device=None): the (major, minor) compute capability."""
    props = get_device_properties(device)
    return int(props["major"]), int(props["minor"])


def get_arch_list() -> list:
    """The GPU architectures dpt's kernels are built for: CuPy compiles each kernel at run
    time for the GPU it runs on, so these are the visible GPUs' own ('sm_80', ...); [] without
    a GPU, as torch's CPU build."""
    if not is_available():
        return []
    caps = {get_device_capability(i) for i in range(device_count())}
    return [f"sm_{major}{minor}" for major, minor in sorted(caps)]


def get_gencode_flags() -> str:
    """The nvcc -gencode flags for get_arch_list() ('' without a GPU)."""
    return " ".join(f"-gencode compute=compute_{a[3:]},code={a}" for a in get_arch_list())


def is_tf32_supported() -> bool:
    """True when the current GPU has TF32 tensor cores (compute capability 8.0 or newer)."""
    return is_available() and get_device_capability() >= (8, 0)


def is_bf16_supported(including_emulation: bool = True) -> bool:
    """Always False: CuPy has no bfloat16 dtype, so dpt keeps bfloat16 on the CPU
    (scripts that pick float16 when this is False then run)."""
    return False


def can_device_access_peer(device, peer_device) -> bool:
    """can_device_access_peer(device, peer_device): whether device can read peer_device's
    memory directly (False for a device and itself, as CUDA answers)."""
    cp = _gpu()
    a, b = _index(device, optional=False), _index(peer_device, optional=False)
    return a != b and bool(cp.cuda.runtime.deviceCanAccessPeer(a, b))


_SYNC_DEBUG_MODES = {"default": 0, "warn": 1, "error": 2}
_sync_debug_mode = 0


def set_sync_debug_mode(debug_mode) -> None:
    """set_sync_debug_mode(debug_mode): 'default'/0, 'warn'/1 or 'error'/2. dpt records the
    mode for get_sync_debug_mode but does not yet detect synchronising calls."""
    global _sync_debug_mode
    _gpu()
    if isinstance(debug_mode, str):
        if debug_mode not in _SYNC_DEBUG_MODES:
            raise RuntimeError("invalid value of debug_mode, expected one of `default`, "
                               "`warn`, `error`")
        debug_mode = _SYNC_DEBUG_MODES[debug_mode]
    _sync_debug_mode = min(max(int(debug_mode), 0), 2)


def get_sync_debug_mode() -> int:
    """get_sync_debug_mode(): the mode set by set_sync_debug_mode (0 by default)."""
    _gpu()
    return _sync_debug_mode


class device:
    """with dpt.cuda.device(1): ... makes GPU 1 current inside the block; a negative index or
    None does nothing (also without a GPU), as in torch."""

    def __init__(self, device):
        if device is None:
            self.idx = -1
        elif isinstance(device, int):
            self.idx = device
        else:
            d = _device.device(device)
            self.idx = -1 if d.type != "cuda" else (d.index if d.index is not None else -2)

    def __enter__(self):
        if self.idx == -1:
            self._ctx = None
            return self
        cp = _gpu()
        self._ctx = cp.cuda.Device(cp.cuda.Device().id if self.idx == -2 else self.idx)
        self._ctx.__enter__()
        return self

    def __exit__(self, *exc):
        return False if self._ctx is None else self._ctx.__exit__(*exc)


class device_of(device):
    """with dpt.cuda.device_of(t): ... makes t's GPU current (no-op for a CPU tensor)."""

    def __init__(self, obj):
        super().__init__(obj.get_device() if getattr(obj, "is_cuda", False) else -1)
