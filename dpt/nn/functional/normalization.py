"""batch_norm, instance_norm, layer_norm, group_norm, rms_norm, local_response_norm.

The training-mode statistics and the normalisation run as one fused Function
(``Normalize``): forward computes the mean and variance over the reduced axes and
the affine output in one pass over raw arrays; backward is one closed-form formula,
run on raw arrays, or on Tensors when a graph of the gradient is being built
(create_graph=True), so double backward works.
"""
from __future__ import annotations

import math

from ... import ops
from ..._device import runs_on
from ..._tensor import Tensor
from ...autograd.function import Function, autocast_policy
from ...autograd.grad_mode import is_grad_enabled

__all__ = ["batch_norm", "instance_norm", "layer_norm", "group_norm", "rms_norm",
           "local_response_norm"]


class Normalize(Function):
    """y = (x - mean) / sqrt(var + eps) * w + b, statistics over ``axes`` (biased var).

    ``w``/``b`` are None or already shaped to broadcast against x. When ``stats`` is a
    list, forward appends the (mean, biased var, count) arrays it used, so callers can
    update running statistics without a second pass.

    The two reductions are methods so that a synchronised variant (SyncBatchNorm) can
    override them to sum across processes: ``_moments`` (forward statistics) and
    ``_grad_sums`` (the two per-channel sums of backward).
    """

    def _moments(self, x, axes):
        """(mean, biased var, count) over axes, keepdims."""
        count = 1
        for a in axes:
            count *= x.shape[a]
        mean = x.mean(axis=axes, keepdims=True)
        xc = x - mean
        var = (xc * xc).mean(axis=axes, keepdims=True)
        return mean, var, count, xc

    def _grad_sums(self, g, xhat, axes):
        """(mean of g, mean of g * xhat) over axes, keepdims."""
        return g.mean(axis=axes, keepdims=True), (g * xhat).mean(axis=axes, keepdims=True)

    def forward(self, x, w, b, axes, eps, stats=None):
        self.axes, self.eps = axes, eps
        mean, var, count, xc = self._moments(x, axes)
        invstd = 1.0 / (var + eps) ** 0.5
        xhat = xc * invstd
        if stats is not None:
            stats.append((mean, var, count))
        self.xhat, self.invstd = xhat, invstd
        # w is constant over the reduced axes (batch/instance/group norm) or not (layer norm)
        self.w_per_group = w is not None and _constant_over(w, x.ndim, axes)
        self.b_per_group = b is not None and _constant_over(b, x.ndim, axes)
        self.count = count
        y = xhat if w is None else xhat * w
        if b is not None:
            y = y + b
        return y.astype(x.dtype, copy=False)

    def backward(self, gy):
        x, w, b = self.inputs
        need = self.needs_input_grad
        axes = self.axes
        if is_grad_enabled():  # a graph of the gradient needs xhat and invstd as functions of x
            xc = x - x.mean(axis=axes, keepdims=True)
            invstd = ((xc * xc).mean(axis=axes, keepdims=True) + self.eps) ** -0.5
            xhat = xc * invstd
        else:
            xhat, invstd = self.xhat, self.invstd
        g, wv = self.operands(gy, w)  # raw arrays unless create_graph
        # with w constant over the reduced axes (batch/instance/group norm) the sums of g
        # serve gx and are gw/gb themselves; layer norm's w varies over them
        per_group = w is None or self.w_per_group
        gxh = g if per_group else g * wv
        mg, mgx = self._grad_sums(gxh, xhat, axes)
        gx = gw = gb = None
        if need[0]:
            gx = (gxh - mg - xhat * mgx) * (invstd if not per_group or w is None else invstd * wv)
        if w is not None and need[1]:
            gw = mgx * self.count if per_group else g * xhat
        if b is not None and need[2]:
            gb = mg * self.count if per_group and self.b_per_group else g
        return gx, gw, gb


def _constant_over(p, ndim, axes) -> bool:
    """Whether parameter array p, broadcast against an ndim array, is constant over axes."""
    shape = (1,) * (ndim - p.ndim) + tuple(p.shape)
    return all(shape[a] == 1 for a in axes)


def _channel_shape(ndim: int) -> tuple:
    return (1, -1) + (1,) * (ndim - 2)


def _check_per_channel(name, t, c):
    if t is not None and t.numel() != c:
        raise RuntimeError(f"{name}: expected {name.split('.')[-1]} of size {c} (one per "
                           f"channel), but got {list(t.shape)}")


@runs_on(0)
def _update_running(running, new, momentum):
    """running = (1 - momentum) * running + momentum * new, in place, outside autograd."""
    arr = running._data
    arr *= (1 - momentum)
    arr += (momentum * new).astype(arr.dtype, copy=False)
    running._vc[0] += 1


def _normalize_with_running(input, running_mean, running_var, weight, bias, eps):
    """Eval-mode normalisation: one scale and one shift per channel."""
    shape = _channel_shape(input.ndim)
    scale = (running_var.to(input.dtype) + eps).rsqrt()
    if weight is not None:
        scale = scale * weight
    shift = -running_mean.to(input.dtype) * scale
    if bias is not None:
        shift = shift + bias
    return input * scale.reshape(shape) + shift.reshape(shape)


def _batch_norm_train(input, running_mean, running_var, weight, bias, momentum, eps,
                      fn=Normalize):
    shape = _channel_shape(input.ndim)
    axes = (0,) + tuple(range(2, input.ndim))
    w = weight.reshape(shape) if weight is not None else None
    b = bias.reshape(shape) if bias is not None else None
    stats = [] if running_mean is not None or running_var is not None else None
    y = fn.apply(input, w, b, axes=axes, eps=eps, stats=stats)
    if stats:
        mean, var, count = stats[0]
        if running_mean is not None:
            _update_running(running_mean, mean.reshape(-1), momentum)
        if running_var is not None:
            unbiased = var.reshape(-1) * (count / max(count - 1, 1))
            _update_running(running_var, unbiased, momentum)
    return y


def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
    momentum=0.1, eps=1e-5): normalise each channel (dim 1) of (N, C, *).

    In training the batch statistics are used and the running ones (if given) are
    updated in place with momentum and the unbiased batch variance.
    """
    if input.ndim < 2:
        return _batch_norm_1d(input, running_mean, running_var, weight, bias, training)
    c = input.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        _check_per_channel(f"batch_norm.{name}", t, c)
    if training:
        size = input.shape
        if size[0] * math.prod(size[2:]) == 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input "
                             f"size {size}")
        return _batch_norm_train(input, running_mean, running_var, weight, bias, momentum, eps)
    if running_mean is None or running_var is None:
        raise RuntimeError("batch_norm: running_mean and running_var must be defined in "
                           "evaluation mode")
    return _normalize_with_running(input, running_mean, running_var, weight, bias, eps)


def _batch_norm_1d(input, running_mean, running_var, weight, bias, training) -> Tensor:
    """torch reads a 1-D input's channel count from dim 1: only an empty one without weight
    or bias gets through (as a copy); any other is an IndexError."""
    if training and input.ndim == 1 and input.shape[0] == 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input size "
                         f"{input.shape}")
    if input.ndim == 0 or input.numel():
        n = max(input.ndim, 1)
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got 1)")
    for name, t in (("running_mean", running_mean), ("running_var", running_var)):
        if t is not None and t.numel():
            raise RuntimeError(f"{name} should contain 0 elements not {t.numel()}")
    if weight is not None or bias is not None:
        raise IndexError("select(): index 0 out of range for tensor of size [0] at dimension 0")
    return input.clone()


@runs_on(0)
def instance_norm(input: Tensor, running_mean: Tensor | None = None,
                  running_var: Tensor | None = None, weight: Tensor | None = None,
                  bias: Tensor | None = None, use_input_stats: bool = True, momentum: float = 0.1,
                  eps: float = 1e-5) -> Tensor:
    """instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
    use_input_stats=True, momentum=0.1, eps=1e-5): normalise each (sample, channel) of
    (N, C, *) over its spatial dims. Running statistics, if given, are updated with the
    per-instance statistics averaged over the batch.
    """
    if input.ndim < 3:
        raise ValueError(f"instance_norm: expected input with at least 3 dimensions (N, C, *), "
                         f"got {input.ndim}D input")
    c = input.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        _check_per_channel(f"instance_norm.{name}", t, c)
    if not use_input_stats:
        if running_mean is None or running_var is None:
            raise RuntimeError("Expected running_mean and running_var to be defined when "
                               "use_input_stats is false")
        return _normalize_with_running(input, running_mean, running_var, weight, bias, eps)
    spatial = math.prod(input.shape[2:])
    if spatial == 1:
        raise ValueError(f"Expected more than 1 spatial element when training, got input size "
                         f"{input.shape}")
    shape = _channel_shape(input.ndim)
    axes = tuple(range(2, input.ndim))
    w = weight.reshape(shape) if weight is not None else None
    b = bias.reshape(shape) if bias is not None else None
    stats = [] if running_mean is not None or running_var is not None else None
    y = Normalize.apply(input, w, b, axes=axes, eps=eps, stats=stats)
    if stats:
        mean, var, count = stats[0]
        if running_mean is not None:
            _update_running(running_mean, mean.reshape(input.shape[:2]).mean(0), momentum)
        if running_var is not None:
            unbiased = var.reshape(input.shape[:2]) * (count / max(count - 1, 1))
            _update_running(running_var, unbiased.mean(0), momentum)
    return y


def _as_shape(normalized_shape) -> tuple:
    if isinstance(normalized_shape, int):
        return (normalized_shape,)
    return tuple(int(s) for s in normalized_shape)


def _check_normalized_shape(input, shape):
    k = len(shape)
    if k == 0 or tuple(input.shape[input.ndim - k:]) != shape or input.ndim < k:
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape "
                           f"[*, {', '.join(map(str, shape))}], but got input of size"
                           f"{list(input.shape)}")


@autocast_policy("fp32_cuda")  # torch's CUDA autocast list
def layer_norm(input: Tensor, normalized_shape, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5): normalise
    over the last len(normalized_shape) dims; weight/bias have shape normalized_shape."""
    shape = _as_shape(normalized_shape)
    _check_normalized_shape(input, shape)
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != shape:
            raise RuntimeError(f"layer_norm: expected {name} of shape {list(shape)}, but got "
                               f"{list(t.shape)}")
    axes = tuple(range(input.ndim - len(shape), input.ndim))
    return Normalize.apply(input, weight, bias, axes=axes, eps=eps)


@autocast_policy("fp32_cuda")  # torch's CUDA autocast list
def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """group_norm(input, num_groups, weight=None, bias=None, eps=1e-5): split the C
    channels of (N, C, *) into num_groups groups and normalise each group of each sample."""
    if input.ndim < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received "
                           f"{input.ndim}")
    n, c = input.shape[:2]
    if c % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, "
                           f"but got input of shape {list(input.shape)} and num_groups="
                           f"{num_groups}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and t.numel() != c:
            raise RuntimeError(f"group_norm: expected {name} to be a vector of size {c} (the "
                               f"number of channels), but got {list(t.shape)}")
    spatial = math.prod(input.shape[2:])
    x = input.reshape(n, num_groups, c // num_groups, spatial)
    gshape = (1, num_groups, c // num_groups, 1)
    w = weight.reshape(gshape) if weight is not None else None
    b = bias.reshape(gshape) if bias is not None else None
    return Normalize.apply(x, w, b, axes=(2, 3), eps=eps).reshape(input.shape)


def rms_norm(input: Tensor, normalized_shape, weight: Tensor | None = None,
             eps: float | None = None) -> Tensor:
    """rms_norm(input, normalized_shape, weight=None, eps=None): x / sqrt(mean(x^2) + eps) * w
    over the last dims; eps=None means the machine epsilon of input's dtype."""
    shape = _as_shape(normalized_shape)
    _check_normalized_shape(input, shape)
    if eps is None:
        import numpy as np

        eps = float(np.finfo(input.dtype.np).eps)
    dims = list(range(input.ndim - len(shape), input.ndim))
    y = input * ((input * input).mean(dims, keepdim=True) + eps).rsqrt()
    return y * weight if weight is not None else y


def local_response_norm(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75,
                        k: float = 1.0) -> Tensor:
    """local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    b_c = a_c / (k + alpha / size * sum_{c' in window(c)} a_{c'}^2) ** beta, the window
    running over size//2 channels before and (size-1)//2 after c (zero padded)."""
    if input.ndim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality input (got {input.ndim} "
                         f"dimensions)")
    if input.numel() == 0:
        return input
    c = input.shape[1]
    sq = input * input
    before, after = size // 2, (size - 1) // 2
    parts = []
    if before:
        parts.append(ops.zeros((input.shape[0], before) + tuple(input.shape[2:]),
                               dtype=input.dtype, device=input.device))
    parts.append(sq)
    if after:
        parts.append(ops.zeros((input.shape[0], after) + tuple(input.shape[2:]),
                               dtype=input.dtype, device=input.device))
    padded = ops.cat(parts, 1) if len(parts) > 1 else sq
    total = padded[:, 0:c]
    for j in range(1, size):
        total = total + padded[:, j:j + c]
    div = (total * (alpha / size) + k) ** beta
    return input / div



# ---- torch's top-level native_* forms: the output and the statistics it used ----------------
@runs_on(0)
def _stats(x, axes, eps):
    """(mean, 1 / sqrt(biased var + eps)) over axes, keepdims, as constant Tensors."""
    a = x._data
    mean = a.mean(axis=axes, keepdims=True)
    var = ((a - mean) ** 2).mean(axis=axes, keepdims=True)
    return Tensor._make(mean), Tensor._make((1.0 / (var + eps) ** 0.5).astype(a.dtype))


def native_batch_norm(input: Tensor, weight: Tensor | None, bias: Tensor | None,
                      running_mean: Tensor | None, running_var: Tensor | None, training: bool,
                      momentum: float, eps: float):
    """native_batch_norm(input, weight, bias, running_mean, running_var, training, momentum,
    eps) -> (output, save_mean, save_invstd): the batch's per-channel mean and
    1 / sqrt(var + eps) in training (running statistics updated as batch_norm does), empty
    tensors in evaluation. The statistics carry no gradient, as torch's."""
    if input.ndim < 2:
        raise RuntimeError(f"native_batch_norm: expected input with at least 2 dimensions "
                           f"(N, C, *), got {input.ndim}D input")
    c = input.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        _check_per_channel(f"native_batch_norm.{name}", t, c)
    if training:
        axes = (0,) + tuple(range(2, input.ndim))
        mean, invstd = _stats(input, axes, eps)
        out = _batch_norm_train(input, running_mean, running_var, weight, bias, momentum, eps)
        return out, mean.reshape(c), invstd.reshape(c)
    if running_mean is None or running_var is None:
        raise RuntimeError("native_batch_norm: running_mean and running_var must be defined "
                           "in evaluation mode")
    out = _normalize_with_running(input, running_mean, running_var, weight, bias, eps)
    empty = ops.empty((0,), dtype=input.dtype, device=input.device)
    return out, empty, empty.clone()


def native_layer_norm(input: Tensor, normalized_shape, weight: Tensor | None,
                      bias: Tensor | None, eps: float):
    """native_layer_norm(input, normalized_shape, weight, bias, eps) -> (output, mean, rstd),
    mean and rstd of shape input.shape[:-k] + (1,) * k, without gradient (as torch's)."""
    shape = _as_shape(normalized_shape)
    out = layer_norm(input, shape, weight, bias, eps)
    mean, rstd = _stats(input, tuple(range(input.ndim - len(shape), input.ndim)), eps)
    return out, mean, rstd


def native_group_norm(input: Tensor, weight: Tensor | None, bias: Tensor | None, N: int, C: int,
                      HxW: int, group: int, eps: float):
    """native_group_norm(input, weight, bias, N, C, HxW, group, eps) -> (output, mean, rstd),
    mean and rstd of shape (N, group); unlike layer norm's, they are differentiable."""
    if tuple(input.shape[:2]) != (N, C)[:input.ndim] or N * C * HxW != input.numel():
        raise RuntimeError(f"Expected input of shape (N={N}, C={C}, *) with {HxW} elements per "
                           f"channel, got {list(input.shape)}")
    out = group_norm(input, group, weight, bias, eps)
    xg = input.reshape(N, group, C // group * HxW)
    mean = xg.mean(-1, keepdim=True)
    xc = xg - mean
    rstd = ((xc * xc).mean(-1) + eps).rsqrt()
    return out, mean.squeeze(-1), rstd
