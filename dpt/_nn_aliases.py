"""torch's top-level spellings of nn.functional ops: ``dpt.conv2d`` is ``F.conv2d``, and
``dpt.dropout(input, p, train)``, ``dpt.max_pool2d``, ``dpt.batch_norm(input, weight, bias,
...)``, ``dpt.embedding(weight, indices)`` take torch's top-level arguments and call the
nn.functional implementation. They sit above dpt.nn so that dpt.ops never imports it.
"""
from __future__ import annotations

import builtins
import functools
import warnings

import numpy as np

from . import _device, _dtype, ops
from ._tensor import Tensor
from .nn import functional as F

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d", "pixel_shuffle", "pixel_unshuffle", "bilinear", "channel_shuffle",
           "dropout", "alpha_dropout", "feature_alpha_dropout", "dropout_", "alpha_dropout_",
           "feature_alpha_dropout_", "max_pool1d", "max_pool2d", "max_pool3d",
           "max_pool1d_with_indices", "avg_pool1d", "adaptive_avg_pool1d", "adaptive_max_pool1d",
           "batch_norm", "instance_norm", "layer_norm", "group_norm", "embedding",
           "constant_pad_nd", "rrelu", "rrelu_", "grid_sampler", "grid_sampler_2d",
           "grid_sampler_3d", "native_batch_norm", "native_layer_norm", "native_group_norm",
           "kl_div", "margin_ranking_loss", "cosine_embedding_loss", "hinge_embedding_loss",
           "poisson_nll_loss", "triplet_margin_loss", "binary_cross_entropy_with_logits",
           "ctc_loss", "embedding_bag", "native_dropout", "feature_dropout", "feature_dropout_",
           "rms_norm", "convolution", "native_channel_shuffle", "affine_grid_generator",
           "conv_tbc", "rnn_tanh_cell", "rnn_relu_cell", "lstm_cell", "gru_cell", "rnn_tanh",
           "rnn_relu", "lstm", "gru"]

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


# -- losses, as torch's top level spells them: reduction is an int (0 none, 1 mean, 2 sum) ----
_REDUCTIONS = ("none", "mean", "sum")


def _reduction(reduction) -> str:
    if isinstance(reduction, str):
        return reduction
    if reduction not in (0, 1, 2):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return _REDUCTIONS[reduction]


def kl_div(input, target, reduction=1, log_target=False) -> Tensor:
    """kl_div(input, target, reduction=1, log_target=False): reduction as an int; the
    top-level op does not give nn.functional's warning about 'mean'."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="reduction: 'mean' divides")
        return F.kl_div(input, target, reduction=_reduction(reduction), log_target=log_target)


def margin_ranking_loss(input1, input2, target, margin=0.0, reduction=1) -> Tensor:
    return F.margin_ranking_loss(input1, input2, target, margin, reduction=_reduction(reduction))


def cosine_embedding_loss(input1, input2, target, margin=0.0, reduction=1) -> Tensor:
    return F.cosine_embedding_loss(input1, input2, target, margin,
                                   reduction=_reduction(reduction))


def hinge_embedding_loss(input, target, margin=1.0, reduction=1) -> Tensor:
    return F.hinge_embedding_loss(input, target, margin, reduction=_reduction(reduction))


def poisson_nll_loss(input, target, log_input, full, eps, reduction) -> Tensor:
    """poisson_nll_loss(input, target, log_input, full, eps, reduction): all positional."""
    return F.poisson_nll_loss(input, target, log_input, full, eps=eps,
                              reduction=_reduction(reduction))


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False,
                        reduction=1) -> Tensor:
    return F.triplet_margin_loss(anchor, positive, negative, margin, p, eps, swap,
                                 reduction=_reduction(reduction))


def binary_cross_entropy_with_logits(input, target, weight=None, pos_weight=None,
                                     reduction=1) -> Tensor:
    return F.binary_cross_entropy_with_logits(input, target, weight,
                                              reduction=_reduction(reduction),
                                              pos_weight=pos_weight)


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction=1,
             zero_infinity=False) -> Tensor:
    return F.ctc_loss(log_probs, targets, input_lengths, target_lengths, blank,
                      _reduction(reduction), zero_infinity)


def embedding_bag(weight, indices, offsets, scale_grad_by_freq=False, mode=0, sparse=False,
                  per_sample_weights=None, include_last_offset=False, padding_idx=None):
    """embedding_bag(weight, indices, offsets, scale_grad_by_freq=False, mode=0, sparse=False,
    per_sample_weights=None, include_last_offset=False, padding_idx=None) ->
    (output, offset2bag, bag_size, max_indices): mode 0 sum, 1 mean, 2 max.

    output is nn.functional.embedding_bag's. The other three are the bookkeeping torch's CPU
    kernel returns: each index's bag (empty for float32 sums without padding_idx), the bag
    sizes with padding_idx left out (zeros for sum), and the sizes again for mean, zeros for
    sum, or for max, per bag and column, the row that gave the maximum (0 for an empty bag)."""
    if mode not in (0, 1, 2):
        raise RuntimeError(f"embedding_bag: mode must be 0 (sum), 1 (mean) or 2 (max), got {mode}")
    out = F.embedding_bag(indices, weight, offsets, None, 2, scale_grad_by_freq,
                          ("sum", "mean", "max")[mode], sparse, per_sample_weights,
                          include_last_offset, padding_idx)
    idx = np.asarray(_device.to_numpy(indices._data), dtype=np.int64)
    if idx.ndim == 2:
        starts = np.arange(0, idx.size, idx.shape[1] if idx.shape[1] else 1)[:idx.shape[0]]
        idx = idx.reshape(-1)
    else:
        starts = np.asarray(_device.to_numpy(offsets._data), dtype=np.int64)
        if include_last_offset:
            starts = starts[:-1]
    bags = len(starts)
    dev = weight.device
    long = functools.partial(ops.tensor, dtype=_dtype.int64, device=dev)
    bag_of = np.searchsorted(starts, np.arange(idx.size), side="right") - 1
    if mode == 0:  # sized by the offsets given, the last one included
        zeros = np.zeros(bags + builtins.int(builtins.bool(include_last_offset)), np.int64)
        if weight.dtype is _dtype.float32 and padding_idx is None:
            bag_of = bag_of[:0]  # torch's float32 sum kernel skips this bookkeeping
        return out, long(bag_of), long(zeros), long(zeros)
    kept = idx != padding_idx if padding_idx is not None else np.ones(idx.size, bool)
    sizes = np.bincount(bag_of[kept], minlength=bags).astype(np.int64)
    if mode == 1:
        return out, long(bag_of), long(sizes), long(sizes)
    w = _device.to_numpy(weight.detach()._data)
    best = np.zeros((bags, w.shape[1]), np.int64)
    for b in builtins.range(bags):
        rows = idx[(bag_of == b) & kept]
        if rows.size:
            best[b] = rows[np.argmax(w[rows], axis=0)]
    return out, long(bag_of), long(sizes), long(best)


# -- dropout and normalisation spellings ------------------------------------------------------
def native_dropout(input: Tensor, p: float, train):
    """native_dropout(input, p, train) -> (output, mask): the kept-element mask as bool
    (all True when not training)."""
    if not train or p == 0:
        return input.clone(), ops.ones_like(input, dtype=_dtype.bool)
    if p == 1:
        return input * 0, ops.zeros_like(input, dtype=_dtype.bool)
    mask = ops.bernoulli(ops.full_like(input, 1 - p, dtype=_dtype.float32)).to(_dtype.bool)
    return input * mask * (1.0 / (1 - p)), mask


def feature_dropout(input: Tensor, p: float, train: bool) -> Tensor:
    """feature_dropout(input, p, train): whole channels (dim 1) zeroed, as dropout2d/3d."""
    return _feature_dropout(input, p, train, False)


def feature_dropout_(input: Tensor, p: float, train: bool) -> Tensor:
    return _feature_dropout(input, p, train, True)


def _feature_dropout(input, p, train, inplace):
    if input.ndim < 2:
        raise RuntimeError(f"Feature dropout requires at least 2 dimensions in the input, got "
                           f"{input.ndim}-D")
    if p < 0 or p > 1:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not train or p == 0:
        return input
    keep = ops.bernoulli(ops.full(tuple(input.shape[:2]) + (1,) * (input.ndim - 2), 1 - p,
                                  dtype=input.dtype, device=input.device))
    scaled = keep * (1.0 / (1 - p)) if p < 1 else keep
    return input.mul_(scaled) if inplace else input * scaled


def rms_norm(input, normalized_shape, weight=None, eps=None) -> Tensor:
    return F.rms_norm(input, normalized_shape, weight, eps)


def convolution(input, weight, bias, stride, padding, dilation, transposed, output_padding,
                groups) -> Tensor:
    """convolution(input, weight, bias, stride, padding, dilation, transposed, output_padding,
    groups): conv{1,2,3}d or conv_transpose{1,2,3}d, picked by weight's rank."""
    nd = weight.ndim - 2
    if nd not in (1, 2, 3):
        raise RuntimeError(f"convolution: expected a 3-D, 4-D or 5-D weight, got "
                           f"{weight.ndim}-D")
    if transposed:
        fn = (F.conv_transpose1d, F.conv_transpose2d, F.conv_transpose3d)[nd - 1]
        return fn(input, weight, bias, stride, padding, output_padding, groups, dilation)
    fn = (F.conv1d, F.conv2d, F.conv3d)[nd - 1]
    return fn(input, weight, bias, stride, padding, dilation, groups)


def native_channel_shuffle(input: Tensor, groups: int) -> Tensor:
    return F.channel_shuffle(input, groups)


def affine_grid_generator(theta: Tensor, size, align_corners: bool) -> Tensor:
    return F.affine_grid(theta, size, align_corners)


def conv_tbc(input: Tensor, weight: Tensor, bias: Tensor, pad: int = 0) -> Tensor:
    """conv_tbc(input, weight, bias, pad=0): a 1-D convolution in time-batch-channel layout:
    input (T, B, C_in), weight (K, C_in, C_out), bias (C_out,) -> (T', B, C_out)."""
    if input.ndim != 3 or weight.ndim != 3 or bias.ndim != 1:
        raise RuntimeError(f"conv_tbc: expected a 3-D input and weight and a 1-D bias, got "
                           f"{input.ndim}-D, {weight.ndim}-D and {bias.ndim}-D")
    out = F.conv1d(input.permute(1, 2, 0), weight.permute(2, 1, 0), bias, padding=pad)
    return out.permute(2, 0, 1)


# -- recurrent cells and layers, on torch's flat parameter lists ------------------------------
def _affine(x, w, b):
    y = ops.matmul(x, w.t())
    return y if b is None else y + b


def rnn_tanh_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None) -> Tensor:
    """rnn_tanh_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None): tanh(x W_ih^T + b_ih +
    h W_hh^T + b_hh)."""
    return ops.tanh(_affine(input, w_ih, b_ih) + _affine(hx, w_hh, b_hh))


def rnn_relu_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None) -> Tensor:
    return ops.relu(_affine(input, w_ih, b_ih) + _affine(hx, w_hh, b_hh))


def lstm_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """lstm_cell(input, (h, c), w_ih, w_hh, b_ih=None, b_hh=None) -> (h', c'); the gates are
    stacked input, forget, cell, output in the weights' rows."""
    h, c = hx
    i, f, g, o = (_affine(input, w_ih, b_ih) + _affine(h, w_hh, b_hh)).chunk(4, -1)
    c = ops.sigmoid(f) * c + ops.sigmoid(i) * ops.tanh(g)
    return ops.sigmoid(o) * ops.tanh(c), c


def gru_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None) -> Tensor:
    """gru_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None): reset, update, new gates
    stacked in that order; h' = (1 - z) * n + z * h."""
    xr, xz, xn = _affine(input, w_ih, b_ih).chunk(3, -1)
    hr, hz, hn = _affine(hx, w_hh, b_hh).chunk(3, -1)
    r, z = ops.sigmoid(xr + hr), ops.sigmoid(xz + hz)
    n = ops.tanh(xn + r * hn)
    return (1 - z) * n + z * hx


def _run_layers(cell, input, hx, params, has_biases, num_layers, dropout, train, bidirectional,
                batch_first):
    """The stacked (bi)directional loop of rnn_tanh/rnn_relu/lstm/gru: hx is a tuple of
    (layers * directions, batch, hidden) states; returns (output, final states)."""
    if input.ndim != 3:
        raise RuntimeError(f"input must have 3 dimensions, got {input.ndim}")
    x = input.transpose(0, 1) if batch_first else input
    dirs = 2 if bidirectional else 1
    per = 4 if has_biases else 2
    if len(params) != per * dirs * num_layers:
        raise RuntimeError(f"expected {per * dirs * num_layers} parameters for {num_layers} "
                           f"layers, got {len(params)}")
    finals = [[] for _ in hx]
    for layer in builtins.range(num_layers):
        outs = []
        for d in builtins.range(dirs):
            k = (layer * dirs + d) * per
            w = params[k:k + per] if has_biases else tuple(params[k:k + 2]) + (None, None)
            state = tuple(h[layer * dirs + d] for h in hx)
            steps = builtins.range(x.shape[0] - 1, -1, -1) if d else builtins.range(x.shape[0])
            seq = [None] * x.shape[0]
            for t in steps:
                state = cell(x[t], state[0] if len(state) == 1 else state, *w)
                state = state if isinstance(state, tuple) else (state,)
                seq[t] = state[0]
            outs.append(ops.stack(seq) if seq else x.new_zeros((0,) + tuple(state[0].shape)))
            for i, s in enumerate(state):
                finals[i].append(s)
        x = outs[0] if dirs == 1 else ops.cat(outs, -1)
        if dropout and train and layer < num_layers - 1:
            x = F.dropout(x, dropout, True)
    out = x.transpose(0, 1) if batch_first else x
    return (out,) + tuple(ops.stack(f) for f in finals)


def rnn_tanh(input, hx, params, has_biases, num_layers, dropout, train, bidirectional,
             batch_first):
    """rnn_tanh(input, hx, params, has_biases, num_layers, dropout, train, bidirectional,
    batch_first) -> (output, h_n), params flat as nn.RNN's _flat_weights (packed sequences
    are not taken)."""
    return _run_layers(rnn_tanh_cell, input, (hx,), params, has_biases, num_layers, dropout,
                       train, bidirectional, batch_first)


def rnn_relu(input, hx, params, has_biases, num_layers, dropout, train, bidirectional,
             batch_first):
    return _run_layers(rnn_relu_cell, input, (hx,), params, has_biases, num_layers, dropout,
                       train, bidirectional, batch_first)


def lstm(input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first):
    """lstm(input, (h0, c0), params, ...) -> (output, h_n, c_n) (no projections)."""
    return _run_layers(lstm_cell, input, tuple(hx), params, has_biases, num_layers, dropout,
                       train, bidirectional, batch_first)


def gru(input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first):
    return _run_layers(gru_cell, input, (hx,), params, has_biases, num_layers, dropout, train,
                       bidirectional, batch_first)
