"""dpt.amp: torch.amp's autocast and GradScaler.

Inside ``autocast(device_type, dtype)`` the ops of torch's per-device lists cast their
floating inputs first: matrix products, linear and convolutions to the region's dtype
(float16 or bfloat16), losses (and, on CUDA, softmax, exp/log, sums, norms) to float32.
Every op declares its list as ``Function.autocast`` and ``Function.apply`` casts; float64
tensors are never cast, backward runs in the dtypes forward chose, and gradients reach
float32 parameters in float32. Ops outside the lists run in their inputs' dtype, and
mixed inputs promote as usual. On the CPU numpy has no fast half-precision kernels: autocast
there saves memory, not time. bfloat16 exists only on the CPU (CuPy has no such dtype):
``autocast('cuda', dtype=dpt.bfloat16)`` and moving a bfloat16 tensor to a GPU raise.

``GradScaler`` is the full loss-scaling algorithm (scale, unscale_, step skipping on
inf/nan, update with growth and backoff); under a process group the inf/nan finding is
all-reduced, so every rank skips the same steps.
"""
from __future__ import annotations

import functools
import threading
import warnings

import numpy as np

from . import _device, _dtype
from . import distributed as _dist
from ._device import xp_of
from ._tensor import Tensor
from .autograd.grad_mode import _state as _grad_state

__all__ = ["autocast", "GradScaler", "is_autocast_enabled", "get_autocast_dtype",
           "is_autocast_available", "custom_fwd", "custom_bwd"]

_DEFAULT_DTYPE = {"cuda": _dtype.float16, "cpu": _dtype.bfloat16}
_BF16_ON_GPU = ("dpt does not support bfloat16 on CUDA devices: CuPy has no bfloat16 dtype. "
                "Use float16 there (autocast('cuda') defaults to it); bfloat16 works on the CPU.")
_state = threading.local()


def _current(device_type: str):
    stack = getattr(_state, device_type, None)
    return stack[-1] if stack else (False, _DEFAULT_DTYPE[device_type])


def is_autocast_available(device_type: str) -> bool:
    """is_autocast_available(device_type): True for 'cpu' and 'cuda'."""
    return device_type in _DEFAULT_DTYPE


def is_autocast_enabled(device_type: str = "cuda") -> bool:
    """is_autocast_enabled(device_type='cuda'): whether an autocast region for the device
    type is active."""
    return _current(device_type)[0]


def get_autocast_dtype(device_type: str = "cuda") -> _dtype.dtype:
    """get_autocast_dtype(device_type): the dtype of the innermost autocast region (or the
    device type's default: float16 on cuda, bfloat16 on cpu)."""
    return _current(device_type)[1]


def _publish() -> None:
    """Tell the ops (through the grad-mode state) which device types autocast now, to what."""
    regions = {}
    for dev in _DEFAULT_DTYPE:
        enabled, dt = _current(dev)
        if enabled:
            regions[dev] = dt.np
    _grad_state.autocast = regions or None


class autocast:
    """autocast(device_type, dtype=None, enabled=True, cache_enabled=None): a context manager
    (or decorator) for a mixed-precision region; nested regions and enabled=False work as in
    torch. ``cache_enabled`` is accepted and ignored (casts are not cached)."""

    def __init__(self, device_type: str, dtype=None, enabled: bool = True, cache_enabled=None):
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        if not is_autocast_available(device_type):
            raise RuntimeError(f"User specified an unsupported autocast device_type "
                               f"'{device_type}'")
        self.device = device_type
        self.fast_dtype = _dtype.as_dtype(dtype) if dtype is not None else \
            get_autocast_dtype(device_type)  # set_autocast_dtype may have changed it
        self._enabled = bool(enabled)
        self._cache_enabled = cache_enabled
        if device_type == "cpu" and self._enabled and \
                self.fast_dtype not in (_dtype.bfloat16, _dtype.float16):
            warnings.warn("In CPU autocast, but the target dtype is not supported. Disabling "
                          "autocast.\nCPU Autocast only supports dtype of dpt.bfloat16, "
                          "dpt.float16 currently.", UserWarning, stacklevel=2)
            self._enabled = False
        if device_type == "cuda" and self._enabled and self.fast_dtype not in (
                _dtype.float16, _dtype.bfloat16, _dtype.float32):
            raise RuntimeError(f"In CUDA autocast, but the target dtype {self.fast_dtype} is not "
                               f"supported.")
        if device_type == "cuda" and self._enabled and self.fast_dtype is _dtype.bfloat16:
            raise RuntimeError(_BF16_ON_GPU)

    def __enter__(self):
        stack = getattr(_state, self.device, None)
        if stack is None:
            stack = []
            setattr(_state, self.device, stack)
        stack.append((self._enabled, self.fast_dtype))
        _publish()
        return self

    def __exit__(self, *exc):
        getattr(_state, self.device).pop()
        _publish()
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with autocast(self.device, self.fast_dtype, self._enabled, self._cache_enabled):
                return fn(*args, **kwargs)
        return wrapper


def custom_fwd(fwd=None, *, device_type: str = "cuda", cast_inputs=None):
    """custom_fwd(fwd=None, *, device_type, cast_inputs=None): decorator for the forward of a
    custom autograd.Function. Inside an autocast region, with cast_inputs, the floating
    tensor arguments are cast to it and forward runs with autocast off; without, forward
    runs under the region and custom_bwd runs backward under the same one."""
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)

    @functools.wraps(fwd)
    def wrapper(ctx, *args, **kwargs):
        ctx._autocast_dtype = get_autocast_dtype(device_type)
        enabled = is_autocast_enabled(device_type)
        ctx._fwd_used_autocast = enabled and cast_inputs is None
        if cast_inputs is None or not enabled:
            return fwd(ctx, *args, **kwargs)
        dt = _dtype.as_dtype(cast_inputs)

        def cast(v):
            return v.to(dt) if isinstance(v, Tensor) and v.dtype.is_floating_point else v

        with autocast(device_type, enabled=False):
            return fwd(ctx, *(cast(a) for a in args), **{k: cast(v) for k, v in kwargs.items()})
    return wrapper


def custom_bwd(bwd=None, *, device_type: str = "cuda"):
    """custom_bwd(bwd=None, *, device_type): decorator for a custom backward: it runs under
    the autocast state its forward saw (see custom_fwd)."""
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)

    @functools.wraps(bwd)
    def wrapper(ctx, *args, **kwargs):
        with autocast(device_type, dtype=getattr(ctx, "_autocast_dtype", None),
                      enabled=getattr(ctx, "_fwd_used_autocast", False)):
            return bwd(ctx, *args, **kwargs)
    return wrapper


# ---- GradScaler ---------------------------------------------------------------------------------
def _on_any_rank(found: bool) -> bool:
    """found on any rank of the default process group, so that every rank skips the same
    steps (with sharded gradients one rank alone may see the inf)."""
    if not (_dist.is_initialized() and _dist.get_world_size() > 1):
        return found
    flag = Tensor._make(np.array([1.0 if found else 0.0]))
    _dist.all_reduce(flag, op=_dist.ReduceOp.MAX)
    return bool(flag._data[0])


_READY, _UNSCALED, _STEPPED = 0, 1, 2


def _cuda_available() -> bool:
    return _device.gpu_available()


class GradScaler:
    """GradScaler(device='cuda', init_scale=2.**16, growth_factor=2.0, backoff_factor=0.5,
    growth_interval=2000, enabled=True): dynamic loss scaling.

    ``scaler.scale(loss).backward(); scaler.step(optimizer); scaler.update()``: the loss is
    multiplied by the scale, step() divides the gradients by it (or unscale_() does it
    earlier, e.g. before gradient clipping) and skips optimizer.step() when any gradient is
    inf or nan; update() halves the scale after a skipped step and doubles it after
    growth_interval clean steps. Disabled (enabled=False, or device 'cuda' without a GPU, as
    torch does), every method is a pass-through and step() just calls optimizer.step().
    """

    def __init__(self, device: str = "cuda", init_scale: float = 2.0 ** 16,
                 growth_factor: float = 2.0, backoff_factor: float = 0.5,
                 growth_interval: int = 2000, enabled: bool = True):
        self._device = device
        self._enabled = bool(enabled)
        if device == "cuda" and self._enabled and not _cuda_available():
            warnings.warn("dpt.amp.GradScaler is enabled, but CUDA is not available. "
                          "Disabling.", UserWarning, stacklevel=2)
            self._enabled = False
        if self._enabled:
            if growth_factor <= 1.0:
                raise ValueError("The growth factor must be > 1.0.")
            if backoff_factor >= 1.0:
                raise ValueError("The backoff factor must be < 1.0.")
        self._scale = float(init_scale)
        self._init_scale = float(init_scale)
        self._growth_factor = float(growth_factor)
        self._backoff_factor = float(backoff_factor)
        self._growth_interval = int(growth_interval)
        self._growth_tracker = 0
        self._per_optimizer: dict = {}

    def _opt_state(self, optimizer) -> dict:
        return self._per_optimizer.setdefault(id(optimizer), {"stage": _READY, "found_inf": False})

    def scale(self, outputs):
        """outputs (a tensor or nested lists/tuples of tensors) times the current scale."""
        if not self._enabled:
            return outputs
        if isinstance(outputs, Tensor):
            return outputs * self._scale
        if isinstance(outputs, (list, tuple)):
            return type(outputs)(self.scale(o) for o in outputs)
        raise ValueError("outputs must be a Tensor or an iterable of Tensors")

    def unscale_(self, optimizer) -> None:
        """Divide optimizer's gradients by the scale in place and note whether any is inf/nan."""
        if not self._enabled:
            return
        st = self._opt_state(optimizer)
        if st["stage"] == _UNSCALED:
            raise RuntimeError("unscale_() has already been called on this optimizer since the "
                               "last update().")
        if st["stage"] == _STEPPED:
            raise RuntimeError("unscale_() is being called after step().")
        inv = np.float64(1.0) / np.float64(self._scale)
        found = False
        for group in optimizer.param_groups:
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                if g.dtype is _dtype.float16:
                    raise ValueError("Attempting to unscale FP16 gradients.")
                arr = g._data
                with _device.device_context(g.device):
                    arr *= arr.dtype.type(inv)
                    if not found and not bool(xp_of(arr).isfinite(arr).all()):
                        found = True
        st["found_inf"] = _on_any_rank(found)
        st["stage"] = _UNSCALED

    def step(self, optimizer, *args, **kwargs):
        """unscale_ (unless done already), then optimizer.step(*args, **kwargs) unless a
        gradient was inf/nan; returns what optimizer.step returned (None when skipped)."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise RuntimeError("Closure use is not currently supported if GradScaler is enabled.")
        st = self._opt_state(optimizer)
        if st["stage"] == _STEPPED:
            raise RuntimeError("step() has already been called since the last update().")
        if st["stage"] == _READY:
            self.unscale_(optimizer)
        result = None if st["found_inf"] else optimizer.step(*args, **kwargs)
        st["stage"] = _STEPPED
        return result

    def update(self, new_scale=None) -> None:
        """Adjust the scale from the steps since the last update (or set it to new_scale)."""
        if not self._enabled:
            return
        if new_scale is not None:
            self._scale = float(new_scale.item() if isinstance(new_scale, Tensor) else new_scale)
        else:
            stepped = [s for s in self._per_optimizer.values() if s["stage"] != _READY]
            if not stepped:
                raise AssertionError("No inf checks were recorded prior to update.")
            if any(s["found_inf"] for s in stepped):
                self._scale *= self._backoff_factor
                self._growth_tracker = 0
            else:
                self._growth_tracker += 1
                if self._growth_tracker == self._growth_interval:
                    self._scale *= self._growth_factor
                    self._growth_tracker = 0
        self._per_optimizer = {}

    # -- accessors, as torch names them ----------------------------------------------------
    def get_scale(self) -> float:
        return self._scale if self._enabled else 1.0

    def get_growth_factor(self) -> float:
        return self._growth_factor

    def set_growth_factor(self, new_factor: float) -> None:
        self._growth_factor = float(new_factor)

    def get_backoff_factor(self) -> float:
        return self._backoff_factor

    def set_backoff_factor(self, new_factor: float) -> None:
        self._backoff_factor = float(new_factor)

    def get_growth_interval(self) -> int:
        return self._growth_interval

    def set_growth_interval(self, new_interval: int) -> None:
        self._growth_interval = int(new_interval)

    def is_enabled(self) -> bool:
        return self._enabled

    def state_dict(self) -> dict:
        if not self._enabled:
            return {}
        return {"scale": self._scale, "growth_factor": self._growth_factor,
                "backoff_factor": self._backoff_factor, "growth_interval": self._growth_interval,
                "_growth_tracker": self._growth_tracker}

    def load_state_dict(self, state_dict: dict) -> None:
        if not self._enabled:
            return
        if len(state_dict) == 0:
            raise RuntimeError("The source state dict is empty, possibly because it was saved "
                               "from a disabled instance of GradScaler.")
        self._scale = float(state_dict["scale"])
        self._growth_factor = float(state_dict["growth_factor"])
        self._backoff_factor = float(state_dict["backoff_factor"])
        self._growth_interval = int(state_dict["growth_interval"])
        self._growth_tracker = int(state_dict["_growth_tracker"])
