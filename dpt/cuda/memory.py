"""GPU memory accounting (torch.cuda.memory) on CuPy's default memory pool.

CuPy's pool knows what it holds now (used and total bytes) but keeps no peaks and no
counters, so dpt installs a thin allocator in front of it (``install_allocator``): every
allocation updates the device's peaks, and CuPy's OutOfMemoryError leaves as
dpt.cuda.OutOfMemoryError. Without a GPU the queries answer 0 / {} and the resets and
settings raise, as torch's CPU build does.

Not provided: torch's allocator internals that CuPy has no counterpart for
(CUDAPluggableAllocator, MemPool, use_mem_pool, change_current_allocator, host memory
stats); memory_snapshot raises NotImplementedError on a GPU because CuPy's pool does not
expose its segments.
"""
from __future__ import annotations

import collections
import contextlib
import warnings

from .. import _device
from . import _lazy
from .errors import OutOfMemoryError

_installed = None  # the array module whose allocator is dpt's
_enabled = True  # caching_allocator_enable
_peaks: dict = {}  # device index -> {"allocated": bytes, "reserved": bytes}
_counts: dict = {}  # device index -> {"num_ooms": n, "num_alloc_retries": n}
_raw: dict = {}  # caching_allocator_alloc pointers -> their CuPy memory, kept alive
_fractions: dict = {}  # device index -> set_per_process_memory_fraction's value


_ROUND = 512  # CuPy's pool rounds every request up to a multiple of this


def _note_peaks(pool, dev: int, size: int | None = None) -> None:
    """Update dev's peaks after an allocation of size bytes (None: measure now).

    CuPy's used_bytes() walks every block in use, too slow to call on each allocation. Usage
    only grows by what is allocated, so dpt keeps an upper bound (last measured usage plus
    the bytes allocated since) and measures only when the bound passes the recorded peak:
    the peak stays exact at a fraction of the cost."""
    p = _peaks.setdefault(dev, {"allocated": 0, "reserved": 0, "bound": 0})
    reserved = pool.total_bytes()  # O(1) in CuPy
    if reserved > p["reserved"]:
        p["reserved"] = reserved
    if size is not None:
        p["bound"] += -(-int(size) // _ROUND) * _ROUND
        if p["bound"] <= p["allocated"]:
            return
    p["bound"] = used = pool.used_bytes()
    if used > p["allocated"]:
        p["allocated"] = used


def install_allocator(cp) -> None:
    """Route CuPy's allocations through dpt (once per array module): peaks and OOM mapping."""
    global _installed
    if _installed is cp or not _enabled:
        return
    pool = cp.get_default_memory_pool()
    oom = cp.cuda.memory.OutOfMemoryError
    device_id = cp.cuda.runtime.getDevice

    class _OutOfMemoryError(OutOfMemoryError, oom):
        """dpt's error that CuPy's own except clauses (retries, plan caches) still catch."""

        def __init__(self, msg):
            RuntimeError.__init__(self, msg)

    _OutOfMemoryError.__name__ = _OutOfMemoryError.__qualname__ = "OutOfMemoryError"
    _OutOfMemoryError.__module__ = "dpt.cuda"

    def malloc(size):
        try:
            mem = pool.malloc(size)
        except oom as exc:
            dev = device_id()
            c = _counts.setdefault(dev, {"num_ooms": 0, "num_alloc_retries": 0})
            c["num_ooms"] += 1
            raise _OutOfMemoryError(f"CUDA out of memory on device {dev}: {exc}") from exc
        _note_peaks(pool, device_id(), size)
        return mem

    cp.cuda.set_allocator(malloc)
    _installed = cp


def _pool_on(dev: int):
    """The default pool, as seen from device dev (CuPy's pool answers for the current one)."""
    cp = _lazy.gpu()
    return cp, cp.cuda.Device(dev)


def memory_stats(device=None) -> dict:
    """memory_stats(device=None): the allocator's counters as a flat, sorted dict with torch's
    key names. dpt knows current and peak bytes (allocated = active, reserved) and the OOM
    count; torch's other counters (segments, splits, per-pool breakdowns) have no CuPy source
    and are left out. {} without a GPU, as torch."""
    if _device.gpu_module() is None:
        return collections.OrderedDict()
    dev = _lazy.index(device)
    cp, ctx = _pool_on(dev)
    with ctx:
        pool = cp.get_default_memory_pool()
        _note_peaks(pool, dev)
        used, total = pool.used_bytes(), pool.total_bytes()
    peak = _peaks[dev]
    counts = _counts.get(dev, {"num_ooms": 0, "num_alloc_retries": 0})
    stats = {
        "allocated_bytes.all.current": used, "allocated_bytes.all.peak": peak["allocated"],
        "active_bytes.all.current": used, "active_bytes.all.peak": peak["allocated"],
        "reserved_bytes.all.current": total, "reserved_bytes.all.peak": peak["reserved"],
        "inactive_split_bytes.all.current": total - used,
        "num_ooms": counts["num_ooms"], "num_alloc_retries": counts["num_alloc_retries"],
    }
    return collections.OrderedDict(sorted(stats.items()))


def memory_stats_as_nested_dict(device=None) -> dict:
    """memory_stats_as_nested_dict(device=None): memory_stats split at the dots."""
    nested: dict = {}
    for key, value in memory_stats(device).items():
        *path, last = key.split(".")
        node = nested
        for part in path:
            node = node.setdefault(part, {})
        node[last] = value
    return nested


def memory_allocated(device=None) -> int:
    """memory_allocated(device=None): bytes of GPU memory held by tensors (0 without a GPU)."""
    return memory_stats(device).get("allocated_bytes.all.current", 0)


def max_memory_allocated(device=None) -> int:
    """max_memory_allocated(device=None): the peak of memory_allocated since the start or the
    last reset_peak_memory_stats (0 without a GPU)."""
    return memory_stats(device).get("allocated_bytes.all.peak", 0)


def memory_reserved(device=None) -> int:
    """memory_reserved(device=None): bytes the memory pool holds, used or cached."""
    return memory_stats(device).get("reserved_bytes.all.current", 0)


def max_memory_reserved(device=None) -> int:
    """max_memory_reserved(device=None): the peak of memory_reserved."""
    return memory_stats(device).get("reserved_bytes.all.peak", 0)


def memory_cached(device=None) -> int:
    """Deprecated name of memory_reserved (FutureWarning)."""
    warnings.warn("`dpt.cuda.memory_cached` has been renamed to `dpt.cuda.memory_reserved`",
                  FutureWarning, stacklevel=2)
    return memory_reserved(device)


def max_memory_cached(device=None) -> int:
    """Deprecated name of max_memory_reserved (FutureWarning)."""
    warnings.warn("`dpt.cuda.max_memory_cached` has been renamed to "
                  "`dpt.cuda.max_memory_reserved`", FutureWarning, stacklevel=2)
    return max_memory_reserved(device)


def reset_peak_memory_stats(device=None) -> None:
    """reset_peak_memory_stats(device=None): peaks start again from the current usage."""
    dev = _lazy.index(device)
    cp, ctx = _pool_on(dev)
    with ctx:
        pool = cp.get_default_memory_pool()
        used = pool.used_bytes()
        _peaks[dev] = {"allocated": used, "reserved": pool.total_bytes(), "bound": used}


def reset_max_memory_allocated(device=None) -> None:
    """Deprecated: resets every peak, as reset_peak_memory_stats (FutureWarning)."""
    warnings.warn("dpt.cuda.reset_max_memory_allocated now calls dpt.cuda.reset_peak_memory_stats, "
                  "which resets /all/ peak memory stats.", FutureWarning, stacklevel=2)
    reset_peak_memory_stats(device)


def reset_max_memory_cached(device=None) -> None:
    """Deprecated: resets every peak, as reset_peak_memory_stats (FutureWarning)."""
    warnings.warn("dpt.cuda.reset_max_memory_cached now calls dpt.cuda.reset_peak_memory_stats, "
                  "which resets /all/ peak memory stats.", FutureWarning, stacklevel=2)
    reset_peak_memory_stats(device)


def reset_accumulated_memory_stats(device=None) -> None:
    """reset_accumulated_memory_stats(device=None): zero the counters (num_ooms, ...)."""
    _counts.pop(_lazy.index(device), None)


def mem_get_info(device=None) -> tuple:
    """mem_get_info(device=None): (free, total) bytes of the GPU, as the driver reports them."""
    dev = _lazy.index(device)
    cp, ctx = _pool_on(dev)
    with ctx:
        free, total = cp.cuda.runtime.memGetInfo()
    return int(free), int(total)


def set_per_process_memory_fraction(fraction, device=None) -> None:
    """set_per_process_memory_fraction(fraction, device=None): cap the pool of device at this
    fraction of its memory; allocating beyond it raises OutOfMemoryError."""
    dev = _lazy.index(device)
    if not isinstance(fraction, float):
        raise TypeError("Invalid type for fraction argument, must be `float`")
    if not 0 <= fraction <= 1:
        raise ValueError(f"Invalid fraction value: {fraction}. Allowed range: 0~1")
    cp, ctx = _pool_on(dev)
    with ctx:
        # CuPy reads a limit of 0 as "no limit"; torch's 0.0 allows nothing
        cp.get_default_memory_pool().set_limit(**({"fraction": fraction} if fraction else
                                                  {"size": 1}))
    _fractions[dev] = fraction


def get_per_process_memory_fraction(device=None) -> float:
    """get_per_process_memory_fraction(device=None): the cap set above (1.0 when none is)."""
    dev = _lazy.index(device)
    if dev in _fractions:
        return _fractions[dev]
    cp, ctx = _pool_on(dev)
    with ctx:  # a limit set through CuPy directly
        limit = cp.get_default_memory_pool().get_limit()
        total = cp.cuda.runtime.memGetInfo()[1]  # what CuPy's set_limit(fraction=) scales
    return 1.0 if limit == 0 else limit / total


def memory_snapshot(mempool_id=None, include_traces=True):
    """Not available: CuPy's memory pool does not expose its segments and blocks."""
    _lazy.gpu()
    raise NotImplementedError("dpt.cuda.memory_snapshot: CuPy's memory pool does not expose "
                              "its segments; use memory_stats() for totals and peaks")


def _fmt(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.2f} {unit}"
        n /= 1024
    return f"{n}"


def memory_summary(device=None, abbreviated: bool = False) -> str:
    """memory_summary(device=None, abbreviated=False): memory_stats as a readable table."""
    dev = _lazy.index(device)
    stats = memory_stats(dev)
    rows = [("Allocated memory", "allocated_bytes"), ("Active memory", "active_bytes"),
            ("GPU reserved memory", "reserved_bytes")]
    lines = [f"dpt CUDA memory summary, device {dev}", "-" * 60,
             f"{'Metric':<28}{'Current':>16}{'Peak':>16}", "-" * 60]
    for label, key in rows:
        lines.append(f"{label:<28}{_fmt(stats[key + '.all.current']):>16}"
                     f"{_fmt(stats[key + '.all.peak']):>16}")
    lines.append("-" * 60)
    lines.append(f"OOMs: {stats['num_ooms']}    alloc retries: {stats['num_alloc_retries']}")
    return "\n".join(lines) + "\n"


def empty_cache() -> None:
    """Return cached, unused GPU memory to the driver (no-op without a GPU)."""
    cp = _device.gpu_module()
    if cp is not None:
        cp.get_default_memory_pool().free_all_blocks()
        cp.get_default_pinned_memory_pool().free_all_blocks()


def ipc_collect() -> None:
    """Free memory that other processes held through CUDA IPC: dpt shares no GPU memory across
    processes (NCCL copies), so there is nothing to collect; raises without a GPU, as torch."""
    _lazy.gpu()


def caching_allocator_alloc(size, device=None, stream=None) -> int:
    """caching_allocator_alloc(size, device=None, stream=None): size bytes from the pool; the
    device pointer (an int) stays valid until caching_allocator_delete(ptr). CuPy's pool ties
    a block to the stream current when it is allocated, so a given stream is made current."""
    dev = _lazy.index(device)
    cp, ctx = _pool_on(dev)
    with ctx, (contextlib.nullcontext() if stream is None else stream._stream):
        mem = cp.cuda.alloc(int(size))
    _raw[mem.ptr] = mem
    return mem.ptr


def caching_allocator_delete(mem_ptr) -> None:
    """caching_allocator_delete(mem_ptr): give back memory from caching_allocator_alloc."""
    _lazy.gpu()
    mem = _raw.pop(int(mem_ptr), None)
    if mem is None:
        raise RuntimeError(f"caching_allocator_delete: {mem_ptr:#x} was not allocated by "
                           f"caching_allocator_alloc (or was already freed)")


def caching_allocator_enable(value: bool = True) -> None:
    """caching_allocator_enable(value=True): False sends allocations straight to the driver
    (no pool, no dpt peaks); True restores the pool. No-op without a GPU, as torch."""
    global _enabled, _installed
    cp = _device.gpu_module()
    _enabled = bool(value)
    if cp is None:
        return
    if _enabled:
        install_allocator(cp)
    else:
        cp.cuda.set_allocator(None)
        _installed = None


@contextlib.contextmanager
def caching_allocator_disabled():
    """with caching_allocator_disabled(): ... allocates without the pool inside the block."""
    was = _enabled
    caching_allocator_enable(False)
    try:
        yield
    finally:
        caching_allocator_enable(was)


_device.on_gpu_module(install_allocator)  # every GPU allocation goes through dpt from the start
