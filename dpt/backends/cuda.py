"""torch.backends.cuda stand-in: the cuBLAS, cuFFT and attention-kernel switches.

dpt's GPU math goes through CuPy, which exposes none of these choices, so the flags are
stored and reported back but change nothing; scripts that set them keep running.
Unknown attributes of ``matmul`` raise AttributeError, as in torch, so a typo is not
silently accepted.
"""
from __future__ import annotations

import contextlib

from .. import _device

__all__ = ["is_built", "matmul", "cufft_plan_cache", "preferred_linalg_library",
           "preferred_blas_library", "enable_flash_sdp", "flash_sdp_enabled",
           "enable_mem_efficient_sdp", "mem_efficient_sdp_enabled", "enable_math_sdp",
           "math_sdp_enabled", "enable_cudnn_sdp", "cudnn_sdp_enabled", "sdp_kernel"]


def is_built() -> bool:
    """Whether dpt can drive a GPU here: True when the GPU array module (CuPy) imports.

    torch answers whether it was compiled with CUDA; dpt has no build step, so the closest
    fact is whether its GPU path is installed."""
    return _device.gpu_module() is not None


class _Matmul:
    """torch.backends.cuda.matmul: allow_tf32 (default False) and the reduced-precision
    reduction flags for float16/bfloat16 products (default True)."""

    _FLAGS = {"allow_tf32": False, "allow_fp16_reduced_precision_reduction": True,
              "allow_bf16_reduced_precision_reduction": True,
              "allow_fp16_accumulation": False, "fp32_precision": "none"}

    def __init__(self):
        object.__setattr__(self, "_values", dict(self._FLAGS))

    def __getattr__(self, name):
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(f"Unknown attribute {name}") from None

    def __setattr__(self, name, value):
        if name not in self._FLAGS:
            raise AttributeError(f"Unknown attribute {name}")
        self._values[name] = value


matmul = _Matmul()

_PRECISIONS = ("highest", "high", "medium")
_float32_matmul_precision = "highest"


def set_float32_matmul_precision(precision: str) -> None:
    """dpt.set_float32_matmul_precision(precision): 'highest', 'high' or 'medium'; the last
    two set matmul.allow_tf32, as in torch. dpt's products always run in float32, so this
    is recorded only."""
    global _float32_matmul_precision
    if not isinstance(precision, str):
        raise RuntimeError(f"set_float32_matmul_precision expects a str, but got "
                           f"{type(precision).__name__}")
    if precision not in _PRECISIONS:
        import warnings
        warnings.warn(f"set_float32_matmul_precision: unknown precision {precision!r}; expected "
                      f"one of {_PRECISIONS}. Ignored.", UserWarning, stacklevel=2)
        return
    _float32_matmul_precision = precision
    matmul.allow_tf32 = precision != "highest"


def get_float32_matmul_precision() -> str:
    return _float32_matmul_precision


class _PlanCache:
    """One device's cuFFT plan cache; CuPy keeps its own, so this one is always empty."""

    def __init__(self, index: int):
        self.device_index = index
        self.max_size = 4096

    @property
    def size(self) -> int:
        return 0

    def clear(self) -> None:
        pass


class _PlanCacheManager:
    """cufft_plan_cache[i] is GPU i's plan cache; size/max_size/clear() act on the current one."""

    def __init__(self):
        self._caches: dict[int, _PlanCache] = {}

    def __getitem__(self, device) -> _PlanCache:
        idx = device if isinstance(device, int) else _device.device(device).index or 0
        count = _device_count()
        if not 0 <= idx < count:
            raise RuntimeError(f"cufft_plan_cache: expected 0 <= device index < {count}, but got "
                               f"device with index {idx}")
        return self._caches.setdefault(idx, _PlanCache(idx))

    def _current(self) -> _PlanCache:
        from .. import cuda
        return self[cuda.current_device()]  # raises without a GPU, as torch does

    def __getattr__(self, name):
        return getattr(self._current(), name)

    def __setattr__(self, name, value):
        if name == "_caches":
            object.__setattr__(self, name, value)
        else:
            setattr(self._current(), name, value)


def _device_count() -> int:
    from .. import cuda
    return cuda.device_count()


cufft_plan_cache = _PlanCacheManager()


def preferred_linalg_library(backend=None) -> str:
    """Always 'default': CuPy picks cuSOLVER itself."""
    return "default"


def preferred_blas_library(backend=None) -> str:
    """Always 'cublas': CuPy's matrix products use cuBLAS."""
    return "cublas"


# scaled_dot_product_attention kernels: dpt has one implementation (the math one)
_sdp = {"flash": True, "mem_efficient": True, "math": True, "cudnn": True}


def enable_flash_sdp(enabled: bool) -> None:
    _sdp["flash"] = bool(enabled)


def flash_sdp_enabled() -> bool:
    return _sdp["flash"]


def enable_mem_efficient_sdp(enabled: bool) -> None:
    _sdp["mem_efficient"] = bool(enabled)


def mem_efficient_sdp_enabled() -> bool:
    return _sdp["mem_efficient"]


def enable_math_sdp(enabled: bool) -> None:
    _sdp["math"] = bool(enabled)


def math_sdp_enabled() -> bool:
    return _sdp["math"]


def enable_cudnn_sdp(enabled: bool) -> None:
    _sdp["cudnn"] = bool(enabled)


def cudnn_sdp_enabled() -> bool:
    return _sdp["cudnn"]


@contextlib.contextmanager
def _sdp_flags(**flags):
    saved = dict(_sdp)
    _sdp.update(flags)
    try:
        yield
    finally:
        _sdp.clear()
        _sdp.update(saved)


def sdp_kernel(enable_flash: bool = True, enable_math: bool = True,
               enable_mem_efficient: bool = True, enable_cudnn: bool = True):
    """sdp_kernel(enable_flash=True, enable_math=True, enable_mem_efficient=True,
    enable_cudnn=True): a context manager that sets the four kernel flags and restores them.

    torch deprecates it for dpt.nn.attention.sdpa_kernel (a FutureWarning here too)."""
    import warnings
    warnings.warn("dpt.backends.cuda.sdp_kernel() is deprecated; use "
                  "dpt.nn.attention.sdpa_kernel() instead.", FutureWarning, stacklevel=2)
    return _sdp_flags(flash=bool(enable_flash), math=bool(enable_math),
                      mem_efficient=bool(enable_mem_efficient), cudnn=bool(enable_cudnn))
