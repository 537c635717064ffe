"""torch.cuda's exception types, and check_error for raw CUDA runtime status codes."""
from __future__ import annotations

from . import _lazy


class OutOfMemoryError(RuntimeError, MemoryError):
    """The GPU ran out of memory (torch.OutOfMemoryError).

    dpt's allocator turns CuPy's OutOfMemoryError into this one (with CuPy's error as its
    cause); it is also a MemoryError, as CuPy's is, so either kind of except clause catches it."""


OutOfMemoryError.__module__ = "dpt.cuda"


class CudaError(RuntimeError):
    """CudaError(code): a CUDA runtime call returned the non-zero status code."""

    def __init__(self, code: int) -> None:
        self.code = int(code)
        super().__init__(f"{_describe(self.code)} ({self.code})")


def _describe(code: int) -> str:
    cp = _lazy.gpu()
    try:  # CuPy's runtime error spells out the driver's name and text for the code
        return str(cp.cuda.runtime.CUDARuntimeError(code))
    except Exception:
        return "CUDA error"


def check_error(res: int) -> None:
    """check_error(res): raise CudaError(res) when a CUDA runtime status code is not success."""
    _lazy.gpu()
    if int(res) != 0:
        raise CudaError(res)
