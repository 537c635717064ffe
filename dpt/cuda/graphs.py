"""CUDA graphs (torch.cuda.graphs): not available in dpt.

Capturing a graph needs every kernel of a step to be launched on the capturing stream with
memory that outlives the capture; dpt's ops allocate through CuPy's pool and call library
routines (cuBLAS, cuRAND, cuFFT) whose capture safety CuPy does not guarantee, so a captured
replay could read freed memory. Rather than replay something subtly wrong, these names raise
NotImplementedError on a GPU (and torch's errors without one).
"""
from __future__ import annotations

from . import _lazy

_WHY = ("dpt does not support CUDA graph capture (CuPy's pool and library calls are not "
        "capture-safe); run the callable eagerly instead")


def is_current_stream_capturing() -> bool:
    """False: dpt never captures a graph. Raises without a GPU, as torch."""
    _lazy.gpu()
    return False


def graph_pool_handle():
    """Not supported (see the module docstring)."""
    _lazy.gpu()
    raise NotImplementedError(f"graph_pool_handle: {_WHY}")


class CUDAGraph:
    """CUDAGraph(keep_graph=False): not supported (see the module docstring)."""

    def __init__(self, keep_graph: bool = False):
        _lazy.gpu()
        raise NotImplementedError(f"CUDAGraph: {_WHY}")


class graph:
    """graph(cuda_graph, pool=None, stream=None, capture_error_mode='global'): not supported."""

    def __init__(self, cuda_graph, pool=None, stream=None, capture_error_mode: str = "global",
                 **kwargs):
        _lazy.gpu()
        raise NotImplementedError(f"graph: {_WHY}")


def make_graphed_callables(callables, sample_args, num_warmup_iters: int = 3,
                           allow_unused_input: bool = False, pool=None):
    """Not supported (see the module docstring)."""
    _lazy.gpu()
    raise NotImplementedError(f"make_graphed_callables: {_WHY}")
