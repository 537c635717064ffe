"""Dropout family: element-wise, channel-wise (1d/2d/3d) and the SELU-preserving alpha forms.

Masks are drawn from dpt's default generator of the input's device, so dpt.manual_seed makes
every dropout reproducible. As in torch, the mask is ``bernoulli_(1 - p)`` on a tensor of the
mask's shape and the input's dtype (on the CPU: the same draws as torch), divided by 1 - p;
p == 1 draws nothing. The output is input * (constant mask), so gradients (and double
gradients) come from the ordinary multiplication.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from ..._device import runs_on
from ... import _device, random as _random
from ..._tensor import Tensor

__all__ = ["dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout",
           "feature_alpha_dropout"]

_ALPHA = 1.7580993408473766  # -SELU's negative saturation value, scale * alpha


def _check_p(p) -> float:
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    return float(p)


def _keep_mask(input: Tensor, shape: tuple, p: float):
    """A 0/1 array of the given shape (broadcastable to input): 1 with probability 1 - p."""
    dev = input.device
    g = _random.default_generator_for(dev)
    with _device.device_context(dev):
        if dev.type == "cpu":  # torch: bernoulli_(1 - p), float64 uniforms < 1 - p
            return (g._uniform(shape, np.float64) < 1.0 - p).astype(input._data.dtype)
        wd = np.float64 if input.dtype.name == "float64" else np.float32
        return (g._uniform(shape, wd) >= p).astype(input._data.dtype)


def _apply(input: Tensor, mask, inplace: bool) -> Tensor:
    m = Tensor._make(mask)
    return input.mul_(m) if inplace else input * m


def _check_float(input, name: str) -> None:
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    if input.dtype.category < 2:
        raise RuntimeError(f"{name}: expected a floating point input, got {input.dtype}")


@runs_on(0)
def _dropout_impl(input: Tensor, p: float, training: bool, inplace: bool, shape,
                  name: str) -> Tensor:
    p = _check_p(p)
    _check_float(input, name)
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return _apply(input, _device.xp_of(input._data).zeros((), input._data.dtype), inplace)
    if input.numel() == 0:
        return input
    keep = _keep_mask(input, shape, p)
    if keep.dtype.itemsize < 4:  # float16/bfloat16: torch scales in float32, then rounds
        mask = (keep.astype(np.float32) / np.float32(1.0 - p)).astype(keep.dtype)
    else:
        mask = keep / keep.dtype.type(1.0 - p)
    return _apply(input, mask, inplace)


def dropout(input: Tensor, p: float = 0.5, training: bool = True,
            inplace: bool = False) -> Tensor:
    """dropout(input, p=0.5, training=True, inplace=False): zero each element with probability p
    and scale the rest by 1 / (1 - p); the identity when not training."""
    return _dropout_impl(input, p, training, inplace, tuple(input.shape), "dropout")


def _feature_shape(input: Tensor, batched_ndim: int, name: str) -> tuple:
    """Mask shape for channel-wise dropout: (N, C, 1, ...) or (C, 1, ...) when unbatched."""
    keep = 2 if input.ndim == batched_ndim else 1
    return tuple(input.shape[:keep]) + (1,) * (input.ndim - keep)


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """dropout1d(input, p=0.5, training=True, inplace=False): zero whole channels of an (N, C, L)
    or (C, L) input."""
    _check_p(p)
    if input.ndim not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {input.ndim}D "
                           f"input. Note that dropout1d exists to provide channel-wise dropout "
                           f"on inputs with 1 spatial dimension, a channel dimension, and an "
                           f"optional batch dimension (i.e. 2D or 3D inputs).")
    return _dropout_impl(input, p, training, inplace, _feature_shape(input, 3, "dropout1d"),
                         "dropout1d")


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """dropout2d(input, p=0.5, training=True, inplace=False): zero whole channels of an
    (N, C, H, W) or (C, H, W) input. As in torch, a 3-D input is treated as (N, C, L) with a
    warning."""
    _check_p(p)
    if input.ndim not in (3, 4):
        warnings.warn(f"dropout2d: Received a {input.ndim}-D input to dropout2d, which is "
                      f"deprecated and will result in an error in a future release. To retain "
                      f"the behavior and silence this warning, please use dropout instead. Note "
                      f"that dropout2d exists to provide channel-wise dropout on inputs with 2 "
                      f"spatial dimensions, a channel dimension, and an optional batch dimension "
                      f"(i.e. 3D or 4D inputs).", stacklevel=2)
    if input.ndim == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise "
                      "1D dropout behavior is desired - input is interpreted as shape (N, C, L), "
                      "where C is the channel dim. This behavior will change in a future release "
                      "to interpret the input as one without a batch dimension, i.e. shape "
                      "(C, H, W). To maintain the 1D channel-wise dropout behavior, please "
                      "switch to using dropout1d instead.", stacklevel=2)
        shape = tuple(input.shape[:2]) + (1,)
    elif input.ndim >= 2:
        shape = tuple(input.shape[:2]) + (1,) * (input.ndim - 2)
    else:
        shape = tuple(input.shape)
    return _dropout_impl(input, p, training, inplace, shape, "dropout2d")


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True,
              inplace: bool = False) -> Tensor:
    """dropout3d(input, p=0.5, training=True, inplace=False): zero whole channels of an
    (N, C, D, H, W) or (C, D, H, W) input."""
    _check_p(p)
    if input.ndim not in (4, 5):
        warnings.warn(f"dropout3d: Received a {input.ndim}-D input to dropout3d, which is "
                      f"deprecated and will result in an error in a future release. To retain "
                      f"the behavior and silence this warning, please use dropout instead. Note "
                      f"that dropout3d exists to provide channel-wise dropout on inputs with 3 "
                      f"spatial dimensions, a channel dimension, and an optional batch dimension "
                      f"(i.e. 4D or 5D inputs).", stacklevel=2)
    if input.ndim == 5:
        shape = tuple(input.shape[:2]) + (1, 1, 1)
    else:  # as torch does, any other input is unbatched: whole slices input[c] drop together
        shape = tuple(input.shape[:1]) + (1,) * (input.ndim - 1)
    return _dropout_impl(input, p, training, inplace, shape, "dropout3d")


def _alpha_impl(input: Tensor, p: float, training: bool, inplace: bool, feature: bool,
                name: str) -> Tensor:
    p = _check_p(p)
    _check_float(input, name)
    if not training or p == 0.0:
        return input
    if p == 1.0:
        out = input * 0.0
        return input.copy_(out) if inplace else out
    if feature:
        if input.ndim < 2:
            raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
        shape = tuple(input.shape[:2]) + (1,) * (input.ndim - 2)
    else:
        shape = tuple(input.shape)
    keep = _keep_mask(input, shape, p)
    a = 1.0 / math.sqrt((_ALPHA * _ALPHA * p + 1) * (1 - p))
    # kept: a * x + alpha * a * p; dropped: the saturation value, a * alpha * (p - 1)
    scale = Tensor._make((keep * a).astype(keep.dtype, copy=False))
    shift = Tensor._make(((keep - 1) * (_ALPHA * a) + _ALPHA * a * p).astype(keep.dtype,
                                                                          copy=False))
    if inplace:
        return input.mul_(scale).add_(shift)
    return input * scale + shift


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,
                  inplace: bool = False) -> Tensor:
    """alpha_dropout(input, p=0.5, training=False, inplace=False): dropout that keeps SELU's
    zero mean and unit variance (dropped units take SELU's saturation value, then an affine
    correction)."""
    return _alpha_impl(input, p, training, inplace, False, "alpha_dropout")


def feature_alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,
                          inplace: bool = False) -> Tensor:
    """feature_alpha_dropout(input, p=0.5, training=False, inplace=False): alpha dropout of whole
    channels (dim 1)."""
    return _alpha_impl(input, p, training, inplace, True, "feature_alpha_dropout")
