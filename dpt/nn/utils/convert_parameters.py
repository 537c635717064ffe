"""parameters_to_vector / vector_to_parameters: one flat vector for all parameters."""
from __future__ import annotations

from ... import _device
from ..._tensor import Tensor
from ...autograd.function import Function

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def _check_same_device(params) -> None:
    dev = None
    for p in params:
        if dev is None:
            dev = p.device
        elif p.device != dev:
            raise TypeError("Found two parameters on different devices, this is currently not "
                            "supported.")


class _FlatCat(Function):
    """Concatenate the flattened inputs; the gradient is split back and reshaped."""

    def forward(self, *arrays):
        xp = _device.xp_of(arrays[0])
        self.shapes = [a.shape for a in arrays]
        return xp.concatenate([a.reshape(-1) for a in arrays])

    def backward(self, g):
        grads, offset = [], 0
        for shape, need in zip(self.shapes, self.needs_input_grad):
            n = 1
            for s in shape:
                n *= s
            grads.append(g[offset:offset + n].reshape(shape) if need else None)
            offset += n
        return tuple(grads)


def parameters_to_vector(parameters) -> Tensor:
    """Flatten and concatenate the parameters into one 1-D tensor (differentiable)."""
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    _check_same_device(params)
    if not params:
        raise RuntimeError("parameters_to_vector: expected a non-empty list of tensors")
    return _FlatCat.apply(*params)


def vector_to_parameters(vec: Tensor, parameters) -> None:
    """Copy slices of vec into the parameters' data (each parameter becomes a view of vec)."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected dpt.Tensor, but got: {type(vec).__name__}")
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    _check_same_device(params)
    total = sum(p.numel() for p in params)
    if vec.numel() != total:
        raise RuntimeError(f"vector_to_parameters: vec has {vec.numel()} elements but the "
                           f"parameters need {total}")
    arr = vec._data.reshape(-1)
    pointer = 0
    for p in params:
        n = p.numel()
        p._data = arr[pointer:pointer + n].reshape(p._data.shape)
        pointer += n
