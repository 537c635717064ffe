"""The one gate of dpt.cuda: the GPU array module or torch's "no CUDA" error, and device
arguments turned into GPU indices."""
from __future__ import annotations

from .. import _device


class NoCudaError(AssertionError, RuntimeError):
    """What GPU-only calls raise without a GPU: an AssertionError, as torch's CPU build raises
    ("Torch not compiled with CUDA enabled"), that is also a RuntimeError (dpt's older
    behaviour, which scripts may catch)."""


class InvalidDeviceError(AssertionError, ValueError):
    """A GPU index out of range: torch asserts ("Invalid device id") in some calls and raises
    ValueError in others, so this is both."""


def gpu():
    """The GPU array module; NoCudaError without one."""
    cp = _device.gpu_module()
    if cp is None:
        raise NoCudaError("dpt.cuda: no CUDA device is available (no GPU array module, or it "
                          "sees no GPU); install dpt[cuda12] or dpt[cuda13] on a machine "
                          "with a GPU")
    return cp


def index(device=None, optional: bool = True) -> int:
    """The GPU index a torch.cuda device argument names: None (the current GPU when optional),
    an int, 'cuda', 'cuda:N' or a dpt.device of type cuda."""
    cp = gpu()
    if device is None and optional:
        return cp.cuda.Device().id
    if isinstance(device, int) and not isinstance(device, bool):
        idx = device
    else:
        d = _device.device(device) if isinstance(device, str) else device
        if not isinstance(d, _device.device):
            raise ValueError(f"Expected a cuda device, but got: {device!r}")
        if d.type != "cuda":
            raise ValueError(f"Expected a cuda device, but got: {d}")
        idx = cp.cuda.Device().id if d.index is None else d.index
    count = cp.cuda.runtime.getDeviceCount()
    if not 0 <= idx < count:
        raise InvalidDeviceError(f"Invalid device id {idx}: dpt sees {count} CUDA device(s)")
    return idx
