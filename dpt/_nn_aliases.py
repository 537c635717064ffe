"""torch's top-level spellings of nn.functional ops: ``dpt.conv2d`` is ``F.conv2d``, and
``dpt.dropout(input, p, train)``, ``dpt.max_pool2d``, ``dpt.batch_norm(input, weight, bias,
...)``, ``dpt.embedding(weight, indices)`` take torch's top-level arguments and call the
nn.functional implementation. They sit above dpt.nn so that dpt.ops never imports it.
"""
from __future__ import annotations

from ._tensor import Tensor
from .nn import functional as F

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d", "pixel_shuffle", "pixel_unshuffle", "bilinear", "channel_shuffle",
           "dropout", "alpha_dropout", "feature_alpha_dropout", "dropout_", "alpha_dropout_",
           "feature_alpha_dropout_", "max_pool1d", "max_pool2d", "max_pool3d",
           "max_pool1d_with_indices", "avg_pool1d", "adaptive_avg_pool1d", "adaptive_max_pool1d",
           "batch_norm", "instance_norm", "layer_norm", "group_norm", "embedding",
           "constant_pad_nd", "rrelu", "rrelu_", "grid_sampler", "grid_sampler_2d",
           "grid_sampler_3d", "native_batch_norm", "native_layer_norm", "native_group_norm"]

conv1d = F.conv1d
conv2d = F.conv2d
conv3d = F.conv3d
conv_transpose1d = F.conv_transpose1d
conv_transpose2d = F.conv_transpose2d
conv_transpose3d = F.conv_transpose3d
pixel_shuffle = F.pixel_shuffle
pixel_unshuffle = F.pixel_unshuffle
bilinear = F.bilinear
channel_shuffle = F.channel_shuffle
rrelu, rrelu_ = F.rrelu, F.rrelu_
grid_sampler, grid_sampler_2d, grid_sampler_3d = (
    F.vision.grid_sampler, F.vision.grid_sampler_2d, F.vision.grid_sampler_3d)
native_batch_norm, native_layer_norm, native_group_norm = (
    F.normalization.native_batch_norm, F.normalization.native_layer_norm,
    F.normalization.native_group_norm)


def _stride(stride):
    return None if stride is None or (isinstance(stride, (tuple, list)) and not stride) else stride


def dropout(input: Tensor, p: float, train: bool) -> Tensor:
    """dropout(input, p, train): torch's positional form of nn.functional.dropout."""
    return F.dropout(input, p, train)


def alpha_dropout(input: Tensor, p: float, train: bool) -> Tensor:
    return F.alpha_dropout(input, p, train)


def feature_alpha_dropout(input: Tensor, p: float, train: bool) -> Tensor:
    return F.feature_alpha_dropout(input, p, train)


def dropout_(input: Tensor, p: float, train: bool) -> Tensor:
    return F.dropout(input, p, train, inplace=True)


def alpha_dropout_(input: Tensor, p: float, train: bool) -> Tensor:
    return F.alpha_dropout(input, p, train, inplace=True)


def feature_alpha_dropout_(input: Tensor, p: float, train: bool) -> Tensor:
    return F.feature_alpha_dropout(input, p, train, inplace=True)


def max_pool1d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False) -> Tensor:
    return F.max_pool1d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode)


def max_pool2d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False) -> Tensor:
    return F.max_pool2d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode)


def max_pool3d(input, kernel_size, stride=(), padding=0, dilation=1, ceil_mode=False) -> Tensor:
    return F.max_pool3d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode)


def max_pool1d_with_indices(input, kernel_size, stride=(), padding=0, dilation=1,
                            ceil_mode=False):
    return F.max_pool1d(input, kernel_size, _stride(stride), padding, dilation, ceil_mode,
                           return_indices=True)


def avg_pool1d(input, kernel_size, stride=(), padding=0, ceil_mode=False,
               count_include_pad=True) -> Tensor:
    return F.avg_pool1d(input, kernel_size, _stride(stride), padding, ceil_mode,
                           count_include_pad)


def adaptive_avg_pool1d(input, output_size) -> Tensor:
    return F.adaptive_avg_pool1d(input, output_size)


def adaptive_max_pool1d(input, output_size):
    """adaptive_max_pool1d(input, output_size) -> (output, indices), as torch's top level."""
    return F.adaptive_max_pool1d(input, output_size, return_indices=True)


def batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps,
               cudnn_enabled=True) -> Tensor:
    """batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps,
    cudnn_enabled): torch's top-level argument order (nn.functional's differs)."""
    return F.batch_norm(input, running_mean, running_var, weight, bias, training, momentum,
                           eps)


def instance_norm(input, weight, bias, running_mean, running_var, use_input_stats, momentum, eps,
                  cudnn_enabled=True) -> Tensor:
    return F.instance_norm(input, running_mean, running_var, weight, bias, use_input_stats,
                              momentum, eps)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5,
               cudnn_enable=True) -> Tensor:
    return F.layer_norm(input, normalized_shape, weight, bias, eps)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5, cudnn_enabled=True) -> Tensor:
    return F.group_norm(input, num_groups, weight, bias, eps)


def embedding(weight, indices, padding_idx=-1, scale_grad_by_freq=False, sparse=False) -> Tensor:
    """embedding(weight, indices, padding_idx=-1, ...): torch's top-level order (weight first;
    padding_idx -1 means none)."""
    return F.embedding(indices, weight, None if padding_idx == -1 else padding_idx,
                          scale_grad_by_freq=scale_grad_by_freq, sparse=sparse)


def constant_pad_nd(input: Tensor, pad, value=0) -> Tensor:
    """constant_pad_nd(input, pad, value=0): F.pad in 'constant' mode."""
    return F.pad(input, pad, "constant", value)
