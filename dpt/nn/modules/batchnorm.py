"""_NormBase and BatchNorm1d/2d/3d: per-channel normalisation with running statistics."""
from __future__ import annotations

from ... import distributed as dist, ops
from ..._device import runs_on, xp_of
from ..._dtype import int64
from ..._tensor import Tensor
from ...autograd.grad_mode import is_grad_enabled, no_grad
from .. import functional as F
from ..functional.normalization import Normalize, _batch_norm_train
from .module import Module
from .normalization import _register_affine, _reset_affine

__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "SyncBatchNorm"]


class _NormBase(Module):
    """Parameters (weight = 1, bias = 0; no bias with the keyword bias=False) and buffers
    (running_mean = 0, running_var = 1, num_batches_tracked = 0) shared by batch and instance
    normalisation."""

    _version = 2

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, device=None,
                 dtype=None, *, bias: bool = True) -> None:
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        _register_affine(self, affine, bias, num_features, device, dtype)
        if track_running_stats:
            self.register_buffer("running_mean", ops.zeros(num_features, device=device,
                                                           dtype=dtype))
            self.register_buffer("running_var", ops.ones(num_features, device=device,
                                                         dtype=dtype))
            self.register_buffer("num_batches_tracked", ops.tensor(0, dtype=int64,
                                                                   device=device))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            with no_grad():
                self.running_mean.zero_()
                self.running_var.fill_(1)
                self.num_batches_tracked.zero_()

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        _reset_affine(self, self.affine)

    def _check_input_dim(self, input: Tensor) -> None:
        raise NotImplementedError

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        version = local_metadata.get("version", None)
        key = prefix + "num_batches_tracked"
        if (version is None or version < 2) and self.track_running_stats and key not in state_dict:
            # checkpoints older than the num_batches_tracked buffer
            state_dict[key] = ops.tensor(0, dtype=int64)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)


class _BatchNorm(_NormBase):
    @runs_on(1)
    def forward(self, input: Tensor) -> Tensor:
        self._check_input_dim(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked._data += 1
            self.num_batches_tracked._vc[0] += 1
            if self.momentum is None:  # cumulative moving average
                factor = 1.0 / float(self.num_batches_tracked.item())
        bn_training = self.training or (self.running_mean is None and self.running_var is None)
        use_running = not self.training or self.track_running_stats
        running_mean = self.running_mean if use_running else None
        running_var = self.running_var if use_running else None
        if bn_training:
            size = input.shape
            n = size[0]
            for s in size[2:]:
                n *= s
            if n == 1:
                raise ValueError(f"Expected more than 1 value per channel when training, got "
                                 f"input size {size}")
            self._check_channels(input)
            return self._batch_norm_training(input, running_mean, running_var, factor)
        return F.batch_norm(input, running_mean, running_var, self.weight, self.bias, False,
                            factor, self.eps)

    def _check_channels(self, input: Tensor) -> None:
        if input.shape[1] != self.num_features:
            raise RuntimeError(f"{type(self).__name__}: expected input with {self.num_features} "
                               f"channels (dim 1), but got input of shape {list(input.shape)}")

    def _batch_norm_training(self, input: Tensor, running_mean, running_var,
                             momentum: float) -> Tensor:
        """Normalise with batch statistics, updating the running ones: the one place that
        computes statistics (a synchronised subclass overrides it)."""
        return _batch_norm_train(input, running_mean, running_var, self.weight, self.bias,
                                 momentum, self.eps)


class BatchNorm1d(_BatchNorm):
    """BatchNorm1d(num_features, eps=1e-5, momentum=0.1, affine=True,
    track_running_stats=True): batch normalisation of (N, C) or (N, C, L) input.

    momentum=None averages all batches seen so far (cumulative moving average).
    """

    def _check_input_dim(self, input: Tensor) -> None:
        if input.ndim not in (2, 3):
            raise ValueError(f"expected 2D or 3D input (got {input.ndim}D input)")


class BatchNorm2d(_BatchNorm):
    """BatchNorm2d(num_features, eps=1e-5, momentum=0.1, affine=True,
    track_running_stats=True): batch normalisation of (N, C, H, W) input."""

    def _check_input_dim(self, input: Tensor) -> None:
        if input.ndim != 4:
            raise ValueError(f"expected 4D input (got {input.ndim}D input)")


class BatchNorm3d(_BatchNorm):
    """BatchNorm3d(num_features, eps=1e-5, momentum=0.1, affine=True,
    track_running_stats=True): batch normalisation of (N, C, D, H, W) input."""

    def _check_input_dim(self, input: Tensor) -> None:
        if input.ndim != 5:
            raise ValueError(f"expected 5D input (got {input.ndim}D input)")


class _SyncNormalize(Normalize):
    """Batch norm whose statistics span every rank of a process group.

    Forward all-reduces [sum(x), sum(x^2), count] per channel in one buffer; backward
    all-reduces [sum(g), sum(g * xhat)]. The weight and bias gradients stay local sums: DDP
    averages them across ranks like every other parameter gradient.
    """

    group = None  # set on the per-group subclass made by _sync_normalize

    def _allreduce(self, arr):
        t = Tensor._make(arr)
        dist.all_reduce(t, group=self.group)
        return t._data

    def _moments(self, x, axes):
        local = 1
        for a in axes:
            local *= x.shape[a]
        s = x.sum(axis=axes, keepdims=True)
        xp = xp_of(x)
        packed = self._allreduce(xp.concatenate([s.reshape(-1), (x * x).sum(axis=axes).reshape(-1),
                                                 xp.asarray([local], dtype=s.dtype)]))
        c = s.size
        count = int(round(float(packed[-1])))
        mean = (packed[:c] / count).reshape(s.shape).astype(x.dtype, copy=False)
        var = xp.maximum(packed[c:2 * c].reshape(s.shape) / count - mean * mean, 0)
        return mean, var.astype(x.dtype, copy=False), count, x - mean

    def backward(self, gy):
        if is_grad_enabled():
            raise RuntimeError("SyncBatchNorm does not support double backward (create_graph=True)")
        x, w, b = self.inputs
        need = self.needs_input_grad
        g, xhat, axes = gy._data, self.xhat, self.axes
        sum_g = g.sum(axis=axes, keepdims=True)
        sum_gx = (g * xhat).sum(axis=axes, keepdims=True)
        gw = Tensor._make(sum_gx) if w is not None and need[1] else None
        gb = Tensor._make(sum_g) if b is not None and need[2] else None
        gx = None
        if need[0]:
            c = sum_g.size
            packed = self._allreduce(xp_of(g).concatenate([sum_g.reshape(-1), sum_gx.reshape(-1)]))
            mg = (packed[:c] / self.count).reshape(sum_g.shape)
            mgx = (packed[c:] / self.count).reshape(sum_g.shape)
            scale = self.invstd if w is None else self.invstd * w._data
            gx = Tensor._make(((g - mg - xhat * mgx) * scale).astype(x._data.dtype, copy=False))
        return gx, gw, gb

    def name(self):
        return "SyncBatchNormBackward0"


_SYNC_FNS = {}


def _sync_normalize(group):
    key = id(group)
    if key not in _SYNC_FNS:
        _SYNC_FNS[key] = type("SyncNormalize", (_SyncNormalize,), {"group": group})
    return _SYNC_FNS[key]


class SyncBatchNorm(_BatchNorm):
    """SyncBatchNorm(num_features, eps=1e-5, momentum=0.1, affine=True,
    track_running_stats=True, process_group=None).

    Batch norm over the union of every rank's batch in training (statistics all-reduced
    across the process group); the same as BatchNorm in eval() or in a world of one. Takes
    (N, C, *) input of any rank >= 2.
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, process_group=None,
                 device=None, dtype=None):
        super().__init__(num_features, eps, momentum, affine, track_running_stats,
                         device=device, dtype=dtype)
        self.process_group = process_group

    def _check_input_dim(self, input: Tensor) -> None:
        if input.ndim < 2:
            raise ValueError(f"expected at least 2D input (got {input.ndim}D input)")

    def _batch_norm_training(self, input, running_mean, running_var, momentum):
        if not dist.is_initialized() or dist.get_world_size(self.process_group) == 1:
            return super()._batch_norm_training(input, running_mean, running_var, momentum)
        return _batch_norm_train(input, running_mean, running_var, self.weight, self.bias,
                                 momentum, self.eps, fn=_sync_normalize(self.process_group))

    @classmethod
    def convert_sync_batchnorm(cls, module: Module, process_group=None) -> Module:
        """Return module with every BatchNorm*d replaced by a SyncBatchNorm that shares its
        parameters and buffers (the module itself if it is a BatchNorm)."""
        out = module
        if isinstance(module, _BatchNorm) and not isinstance(module, SyncBatchNorm):
            out = cls(module.num_features, module.eps, module.momentum, module.affine,
                      module.track_running_stats, process_group)
            if module.affine:
                with no_grad():
                    out.weight = module.weight
                    out.bias = module.bias
            out.running_mean = module.running_mean
            out.running_var = module.running_var
            out.num_batches_tracked = module.num_batches_tracked
            out.training = module.training
        for name, child in module.named_children():
            out.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        return out
