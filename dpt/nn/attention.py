"""dpt.nn.attention: torch.nn.attention's kernel choice for scaled_dot_product_attention.

dpt computes attention one way (the math kernel, on CPU or GPU arrays); the backends a
script asks for are recorded in dpt.backends.cuda's flags, which nothing else reads.
"""
from __future__ import annotations

import contextlib
import enum
from typing import Iterable

from ..backends import cuda as _cuda_flags

__all__ = ["SDPBackend", "sdpa_kernel"]


class SDPBackend(enum.IntEnum):
    """The attention kernels torch knows, with torch's numbering."""

    ERROR = -1
    MATH = 0
    FLASH_ATTENTION = 1
    EFFICIENT_ATTENTION = 2
    CUDNN_ATTENTION = 3
    OVERRIDEABLE = 4


_FLAG = {SDPBackend.MATH: "math", SDPBackend.FLASH_ATTENTION: "flash",
         SDPBackend.EFFICIENT_ATTENTION: "mem_efficient", SDPBackend.CUDNN_ATTENTION: "cudnn"}


@contextlib.contextmanager
def sdpa_kernel(backends: SDPBackend | Iterable[SDPBackend], set_priority: bool = False):
    """sdpa_kernel(backends, set_priority=False): inside the block only the listed kernels
    are enabled (the others' flags in dpt.backends.cuda read False); restored on exit.

    Unlike torch (an AssertionError) a non-SDPBackend argument raises TypeError."""
    chosen = [backends] if isinstance(backends, SDPBackend) else \
        list(backends) if isinstance(backends, (list, tuple, set)) else None
    if chosen is None or not all(isinstance(b, SDPBackend) for b in chosen):
        raise TypeError("sdpa_kernel: backend must be an SDPBackend or a list of SDPBackends, "
                        f"got {type(backends).__name__}")
    flags = {name: backend in chosen for backend, name in _FLAG.items()}
    with _cuda_flags._sdp_flags(**flags):
        yield
