"""Tensor.fill_diagonal_ and the CPU-only Python callbacks Tensor.map_ / Tensor.apply_."""
from __future__ import annotations

import numbers

import numpy as np

from .. import _device
from .._tensor import Tensor

__all__ = ["fill_diagonal_", "map_", "apply_"]


def _diagonal_mask(shape, wrap: bool, xp):
    mask = xp.zeros(shape, dtype=bool)
    if len(shape) == 2:
        rows, cols = shape
        if wrap:
            # torch walks the flat row-major layout with step cols + 1, so a tall matrix
            # restarts its diagonal every cols + 1 rows.
            mask.reshape(-1)[::cols + 1] = True
        else:
            n = min(rows, cols)
            mask[xp.arange(n), xp.arange(n)] = True
    else:
        idx = xp.arange(shape[0])
        mask[(idx,) * len(shape)] = True
    return mask


def fill_diagonal_(self: Tensor, fill_value, wrap: bool = False) -> Tensor:
    """fill_diagonal_(fill_value, wrap=False): write fill_value on the main diagonal.

    Needs at least 2 dimensions, all of equal length beyond 2-d. For a tall 2-d matrix,
    wrap=True starts the diagonal again after every cols + 1 rows (as numpy/torch). The
    filled elements get no gradient.
    """
    if self.ndim < 2:
        raise RuntimeError("dimensions must larger than 1")
    if self.ndim > 2 and any(s != self.shape[0] for s in self.shape):
        raise RuntimeError("all dimensions of input must be of equal length")
    if self.numel() == 0:
        return self
    xp = _device.xp_of(self._data)
    with _device.device_context(self.device):
        mask = Tensor._make(_diagonal_mask(tuple(self.shape), wrap, xp))
    return self.masked_fill_(mask, fill_value)


def _python_scalar_kind(t: Tensor):
    if t.dtype.is_complex:
        return complex
    if t.dtype.is_floating_point:
        return float
    return bool if t.dtype.name == "bool" else int


def _check_callback_target(self: Tensor, name: str, *others: Tensor) -> None:
    if not self.is_cpu:
        raise TypeError(f"{name} is only implemented on CPU tensors")
    if self.requires_grad or any(o.requires_grad for o in others):
        raise RuntimeError(f"Can't call {name}() on Variable that requires grad. Use "
                           f"var.detach().{name}() instead.")


def _write_back(self: Tensor, values: np.ndarray) -> Tensor:
    self._data[...] = values
    self._vc[0] += 1
    return self


def apply_(self: Tensor, callable) -> Tensor:
    """apply_(callable): self[i] = callable(self[i]) element by element (CPU only, slow).

    callable gets and returns Python scalars; results are cast to self's dtype.
    """
    _check_callback_target(self, "apply_")
    kind = _python_scalar_kind(self)
    flat = self._data.reshape(-1)
    out = np.array([callable(kind(v)) for v in flat.tolist()], dtype=object)
    return _write_back(self, _to_dtype(out, self).reshape(self._data.shape))


def map_(self: Tensor, tensor: Tensor, callable) -> Tensor:
    """map_(tensor, callable): self[i] = callable(self[i], tensor[i]) with tensor broadcast
    to self's shape (CPU only); both must have the same dtype."""
    _check_callback_target(self, "map_", tensor)
    if tensor.dtype is not self.dtype:
        raise TypeError(f"map_: expected {self.type()} for 'other' (got {tensor.type()})")
    other = tensor.expand(self.shape)._data
    kind = _python_scalar_kind(self)
    out = np.array([callable(kind(a), kind(b)) for a, b in
                    zip(self._data.reshape(-1).tolist(), np.asarray(other).reshape(-1).tolist())],
                   dtype=object)
    return _write_back(self, _to_dtype(out, self).reshape(self._data.shape))


def _to_dtype(values: np.ndarray, like: Tensor) -> np.ndarray:
    """Python results -> like's dtype; float results for an integer tensor truncate as torch."""
    target = like._data.dtype
    for v in values.tolist():
        if not isinstance(v, numbers.Number):
            raise TypeError(f"must be real number, not {type(v).__name__}")
    if target.kind in "iu":
        return np.array([int(v) for v in values.tolist()], dtype=target)
    if target.kind == "b":
        return np.array([bool(v) for v in values.tolist()], dtype=target)
    if target.kind == "f":
        return np.array([float(v) for v in values.tolist()], dtype=target)
    return np.array(values.tolist(), dtype=target)
