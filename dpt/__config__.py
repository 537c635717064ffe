"""dpt.__config__: how this dpt was built and runs (torch.__config__), and thread control.

show() and parallel_info() return text (print it) describing numpy and its BLAS, the BLAS and
OpenMP thread pools (through threadpoolctl), MPI (mpi4py) and the GPU array module.
get_num_threads / set_num_threads act on the BLAS/OpenMP pools through threadpoolctl: numpy's
matrix products and factorizations are where dpt's CPU time goes, and those pools are the only
intra-op threads dpt has. dpt has no inter-op pool: get_num_interop_threads reports 1 and
set_num_interop_threads only validates and records its argument.
"""
from __future__ import annotations

import os
import platform
import sys

import numpy as np

from . import _device

__all__ = ["show", "parallel_info", "get_num_threads", "set_num_threads",
           "get_num_interop_threads", "set_num_interop_threads"]

_limits = None      # the threadpoolctl limiter set_num_threads keeps alive
_interop = 1


def _pools() -> list:
    import threadpoolctl

    return threadpoolctl.threadpool_info()


def get_num_threads() -> int:
    """get_num_threads(): threads the BLAS/OpenMP pools use (the largest pool's), or the CPU
    count when numpy links no pool threadpoolctl can see."""
    counts = [p.get("num_threads", 1) for p in _pools()]
    return max(counts) if counts else (os.cpu_count() or 1)


def set_num_threads(num: int) -> None:
    """set_num_threads(int): limit every BLAS/OpenMP pool to num threads (process-wide)."""
    import threadpoolctl

    global _limits
    if isinstance(num, bool) or not isinstance(num, int):
        raise TypeError(f"set_num_threads(): argument 'int' (position 1) must be int, not "
                        f"{type(num).__name__}")
    if num <= 0:
        raise RuntimeError("Expected number of threads to be positive, but got " + str(num))
    _limits = threadpoolctl.threadpool_limits(limits=num)


def get_num_interop_threads() -> int:
    """get_num_interop_threads(): 1, dpt runs ops one after another."""
    return _interop


def set_num_interop_threads(num: int) -> None:
    """set_num_interop_threads(int): validated and recorded; dpt has no inter-op pool."""
    global _interop
    if isinstance(num, bool) or not isinstance(num, int) or num <= 0:
        raise RuntimeError("Expected number of threads to be positive, but got " + str(num))
    _interop = num


def _numpy_blas() -> str:
    try:
        cfg = np.show_config(mode="dicts")
        blas = cfg.get("Build Dependencies", {}).get("blas", {})
        lapack = cfg.get("Build Dependencies", {}).get("lapack", {})
        return (f"BLAS: {blas.get('name', '?')} {blas.get('version', '')}".rstrip() +
                f", LAPACK: {lapack.get('name', '?')} {lapack.get('version', '')}".rstrip())
    except Exception as exc:  # older numpy without mode="dicts"
        return f"BLAS: unknown ({type(exc).__name__})"


def _mpi() -> str:
    try:
        import mpi4py
        from mpi4py import MPI
    except Exception as exc:
        return f"not available ({type(exc).__name__}: {exc})"
    version = MPI.Get_library_version().strip().splitlines()[0]
    major, minor = MPI.Get_version()
    return f"mpi4py {mpi4py.__version__}, MPI {major}.{minor}, {version}"


def show() -> str:
    """show(): the build and runtime configuration as text."""
    from . import __version__  # deliberate lazy load: dpt/__init__ sets it after importing us

    lines = [f"dpt {__version__}",
             f"  - Python {platform.python_version()} ({sys.implementation.name}) on "
             f"{platform.system()} {platform.machine()}",
             f"  - NumPy {np.__version__}",
             f"  - {_numpy_blas()}",
             f"  - MPI: {_mpi()}",
             f"  - CUDA: {_device.gpu_description()}",
             f"  - CPU threads: {get_num_threads()} (intra-op, BLAS/OpenMP via threadpoolctl)"]
    return "\n".join(lines) + "\n"


def parallel_info() -> str:
    """parallel_info(): the thread pools and the environment variables that size them."""
    lines = ["dpt/Parallel:",
             f"\tdpt.get_num_threads() : {get_num_threads()}",
             f"\tdpt.get_num_interop_threads() : {get_num_interop_threads()}",
             f"\tos.cpu_count() : {os.cpu_count()}"]
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        lines.append(f"\t{var} : {os.environ.get(var, '[not set]')}")
    for p in _pools():
        lines.append(f"\t{p.get('user_api')} pool: {p.get('internal_api')} "
                     f"{p.get('version') or ''} with {p.get('num_threads')} threads "
                     f"({p.get('filepath')})")
    return "\n".join(lines) + "\n"
