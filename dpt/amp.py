"""dpt.amp: torch.amp's autocast and GradScaler.

Deviation from torch: ``autocast`` records its state (``is_autocast_enabled``,
``get_autocast_dtype``) and validates its arguments like torch, but does not cast: every op
runs in the dtype of its inputs. Mixed precision in dpt is explicit: convert the model and
inputs with ``.to(dpt.float16)`` / ``.half()`` yourself. On the CPU numpy has no fast
half-precision matmul, so casting would make training slower, not faster.

``GradScaler`` is the full loss-scaling algorithm (scale, unscale_, step skipping on
inf/nan, update with growth and backoff); it works with any dtype and on either device.
"""
from __future__ import annotations

import functools
import threading
import warnings

import numpy as np

from . import _dtype
from ._device import xp_of
from ._tensor import Tensor

__all__ = ["autocast", "GradScaler", "is_autocast_enabled", "get_autocast_dtype",
           "is_autocast_available", "custom_fwd", "custom_bwd"]

_DEFAULT_DTYPE = {"cuda": _dtype.float16, "cpu": _dtype.bfloat16}
_state = threading.local()


def _current(device_type: str):
    stack = getattr(_state, device_type, None)
    return stack[-1] if stack else (False, _DEFAULT_DTYPE[device_type])


def is_autocast_available(device_type: str) -> bool:
    """is_autocast_available(device_type): True for 'cpu' and 'cuda'."""
    return device_type in _DEFAULT_DTYPE


def is_autocast_enabled(device_type: str = "cuda") -> bool:
    """is_autocast_enabled(device_type='cuda'): whether an autocast region for the device
    type is active (dpt records the region but does not cast, see the module docstring)."""
    return _current(device_type)[0]


def get_autocast_dtype(device_type: str = "cuda") -> _dtype.dtype:
    """get_autocast_dtype(device_type): the dtype of the innermost autocast region (or the
    device type's default: float16 on cuda, bfloat16 on cpu)."""
    return _current(device_type)[1]


class autocast:
    """autocast(device_type, dtype=None, enabled=True, cache_enabled=None): a context manager
    (or decorator) marking a mixed-precision region.

    dpt does not cast inside the region (see the module docstring); it checks the arguments
    as torch does and reports the region through is_autocast_enabled / get_autocast_dtype.
    """

    def __init__(self, device_type: str, dtype=None, enabled: bool = True, cache_enabled=None):
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type)}`")
        if not is_autocast_available(device_type):
            raise RuntimeError(f"User specified an unsupported autocast device_type "
                               f"'{device_type}'")
        self.device = device_type
        self.fast_dtype = _dtype.as_dtype(dtype) if dtype is not None else \
            _DEFAULT_DTYPE[device_type]
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

    def __enter__(self):
        stack = getattr(_state, self.device, None)
        if stack is None:
            stack = []
            setattr(_state, self.device, stack)
        stack.append((self._enabled, self.fast_dtype))
        return self

    def __exit__(self, *exc):
        getattr(_state, self.device).pop()
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with autocast(self.device, self.fast_dtype, self._enabled, self._cache_enabled):
                return fn(*args, **kwargs)
        return wrapper


def custom_fwd(fwd=None, *, device_type: str = "cuda", cast_inputs=None):
    """custom_fwd(fwd=None, *, device_type, cast_inputs=None): decorator for the forward of a
    custom autograd.Function. With cast_inputs, floating tensor arguments are cast to it
    (dpt's autocast does not cast, so this is the only casting that happens)."""
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)
    if cast_inputs is None:
        return fwd
    dt = _dtype.as_dtype(cast_inputs)

    def cast(v):
        return v.to(dt) if isinstance(v, Tensor) and v.dtype.category == 2 else v

    @functools.wraps(fwd)
    def wrapper(*args, **kwargs):
        return fwd(*(cast(a) for a in args), **{k: cast(v) for k, v in kwargs.items()})
    return wrapper


def custom_bwd(bwd=None, *, device_type: str = "cuda"):
    """custom_bwd(bwd=None, *, device_type): decorator for a custom backward (unchanged)."""
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)
    return bwd


# ---- GradScaler ---------------------------------------------------------------------------------
_READY, _UNSCALED, _STEPPED = 0, 1, 2


def _cuda_available() -> bool:
    from ._device import cupy_module

    return cupy_module() is not None


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
                arr *= arr.dtype.type(inv)
                if not found and not bool(xp_of(arr).isfinite(arr).all()):
                    found = True
        st["found_inf"] = found
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
