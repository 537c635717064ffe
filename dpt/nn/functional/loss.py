"""Loss functions (torch.nn.functional's), plus one_hot; ctc_loss is in ctc.py.

cross_entropy is one fused Function (log-softmax and the weighted, smoothed negative
log-likelihood in one pass; backward = softmax * row weight - target weights, scaled).
The other losses are compositions of dpt ops, so their double backward comes free.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from ... import ops
from ..._device import runs_on, xp_of
from ..._tensor import Tensor
from ...autograd.function import Function, autocast_fp32
from ...autograd.grad_mode import is_grad_enabled, no_grad
from ...ops.distance import pairwise_distance
from .activation import logsigmoid

__all__ = ["l1_loss", "mse_loss", "smooth_l1_loss", "huber_loss", "nll_loss", "cross_entropy",
           "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div",
           "poisson_nll_loss", "gaussian_nll_loss", "margin_ranking_loss",
           "hinge_embedding_loss", "multilabel_margin_loss", "multilabel_soft_margin_loss",
           "multi_margin_loss", "soft_margin_loss", "cosine_embedding_loss",
           "triplet_margin_loss", "triplet_margin_with_distance_loss", "one_hot"]


# ---- reduction plumbing --------------------------------------------------------------------
def legacy_get_string(size_average, reduce, emit_warning: bool = True) -> str:
    """The reduction string for torch's deprecated size_average/reduce arguments."""
    warning = ("size_average and reduce args will be deprecated, please use reduction='{}' "
               "instead.")
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    ret = "mean" if (size_average and reduce) else ("sum" if reduce else "none")
    if emit_warning:
        warnings.warn(warning.format(ret), stacklevel=3)
    return ret


def _reduction(size_average, reduce, reduction: str) -> str:
    if size_average is not None or reduce is not None:
        return legacy_get_string(size_average, reduce)
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "none":
        return loss
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    raise ValueError(f"{reduction} is not a valid value for reduction")


def _size_warning(input: Tensor, target: Tensor, stacklevel: int = 3) -> None:
    if tuple(target.shape) != tuple(input.shape):
        warnings.warn(f"Using a target size ({target.size()}) that is different to the input "
                      f"size ({input.size()}). This will likely lead to incorrect results due "
                      f"to broadcasting. Please ensure they have the same size.",
                      stacklevel=stacklevel)


def _dtype_word(dt) -> str:
    return {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
            "bool": "Bool", "float32": "Float", "float64": "Double", "float16": "Half",
            "bfloat16": "BFloat16"}.get(dt.name, dt.name)


def _weighted(loss: Tensor, weight) -> Tensor:
    return loss if weight is None else loss * weight


# ---- regression losses ---------------------------------------------------------------------
@autocast_fp32
def l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
            reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """l1_loss(input, target, size_average=None, reduce=None, reduction='mean', weight=None):
    |input - target| (times weight), reduced."""
    _size_warning(input, target)
    reduction = _reduction(size_average, reduce, reduction)
    return _reduce(_weighted((input - target).abs(), weight), reduction)


@autocast_fp32
def mse_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
             reduction: str = "mean", weight: Tensor | None = None) -> Tensor:
    """mse_loss(input, target, size_average=None, reduce=None, reduction='mean', weight=None):
    (input - target)^2 (times weight), reduced."""
    _size_warning(input, target)
    reduction = _reduction(size_average, reduce, reduction)
    d = input - target
    return _reduce(_weighted(d * d, weight), reduction)


@autocast_fp32
def smooth_l1_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                   reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """smooth_l1_loss(input, target, ..., reduction='mean', beta=1.0): 0.5 d^2 / beta where
    |d| < beta, else |d| - 0.5 beta (plain L1 when beta == 0)."""
    _size_warning(input, target)
    reduction = _reduction(size_average, reduce, reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    d = (input - target).abs()
    if beta == 0:
        return _reduce(d, reduction)
    small = Tensor._make(d._data < beta)
    return _reduce(ops.where(small, 0.5 * d * d / beta, d - 0.5 * beta), reduction)


@autocast_fp32
@runs_on(0)
def huber_loss(input: Tensor, target: Tensor, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    """huber_loss(input, target, reduction='mean', delta=1.0, weight=None): 0.5 d^2 where
    |d| < delta, else delta * (|d| - 0.5 delta)."""
    _size_warning(input, target)
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if delta <= 0:
        raise RuntimeError("huber_loss does not support non-positive values for delta.")
    d = (input - target).abs()
    small = Tensor._make(d._data < delta)
    loss = ops.where(small, 0.5 * d * d, delta * (d - 0.5 * delta))
    return _reduce(_weighted(loss, weight), reduction)


# ---- classification: nll and cross entropy -------------------------------------------------
@runs_on(0)
def _class_layout(input: Tensor, target: Tensor, weight, op: str):
    """Checks input (C) / (N, C) / (N, C, d1, ...) against class-index targets and returns
    (x2 (M, C) tensor, t (M,) int array, output shape for reduction='none')."""
    if input.ndim < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {input.ndim})")
    if input.ndim == 1:
        if target.ndim > 1 or target.numel() != 1:
            raise ValueError(f"For 1D input, 1D target must have size 1, but got target size: "
                             f"{target.numel()}")
        out_shape = tuple(target.shape)
        x2, t = input.unsqueeze(0), target._data.reshape(1)
    else:
        n = input.shape[0]
        tn = target.shape[0] if target.ndim else 0
        if tn != n:
            raise ValueError(f"Expected input batch_size ({n}) to match target batch_size "
                             f"({tn}).")
        expected = (n,) + tuple(input.shape[2:])
        if tuple(target.shape) != expected:
            if input.ndim == 2:
                raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
            raise RuntimeError(f"Expected target size {list(expected)}, got "
                               f"{list(target.shape)}")
        out_shape = expected
        c = input.shape[1]
        x2 = input if input.ndim == 2 else input.movedim(1, -1).reshape(-1, c)
        t = target._data.reshape(-1)
    if target.dtype.category != 1:
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got "
                           f"{_dtype_word(target.dtype)}")
    c = x2.shape[1]
    if weight is not None and (weight.ndim != 1 or weight.numel() != c):
        raise RuntimeError(f"weight tensor should be defined either for all {c} classes or no "
                           f"classes but got weight tensor of shape: {list(weight.shape)}")
    return x2, t.astype(np.int64, copy=False), out_shape


@runs_on(0)
def _target_weights(t, c: int, weight, ignore_index: int, dtype):
    """(safe targets, per-row target weight with ignored rows 0, valid mask) as arrays."""
    xp = xp_of(t)
    valid = t != ignore_index
    if t.size:
        bad = valid & ((t < 0) | (t >= c))
        if bool(bad.any()):
            raise IndexError(f"Target {int(t[bad][0])} is out of bounds.")
    safe = xp.where(valid, t, 0)
    wt = valid.astype(dtype) if weight is None else weight[safe] * valid
    return safe, wt.astype(dtype, copy=False), valid


def _log_softmax_rows(x):
    """(log_softmax(x) over dim 1, exp(x - max), its row sums), shifted by the row max."""
    xp = xp_of(x)
    m = x.max(axis=1, keepdims=True) if x.size else xp.zeros((x.shape[0], 1), x.dtype)
    s = x - m  # a row of all -inf (or with +inf) gives nan, as in torch
    e = xp.exp(s)
    se = e.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore"):
        return s - xp.log(se), e, se


class CrossEntropyIndex(Function):
    """Fused log-softmax + weighted nll (+ label smoothing) over (M, C) logits and class ids.

    loss_i = -sum_c T[i, c] * logp[i, c] with T = (1 - eps) * w[y_i] * onehot(y_i)
    + eps / C * w (rows with ignore_index are 0); mean divides by sum_i w[y_i].
    The gradient in the logits is (p * rowsum(T) - T) * scale.
    """

    def forward(self, x, t, weight, *, ignore_index, eps, reduction):
        xp = xp_of(x)
        m, c = x.shape
        with np.errstate(invalid="ignore"):
            logp, self.e, self.se = _log_softmax_rows(x)
        safe, wt, valid = _target_weights(t, c, weight, ignore_index, x.dtype)
        rows = xp.arange(m)
        loss = -logp[rows, safe] * wt
        w = weight
        if eps > 0:
            smooth = -(logp.sum(1) if w is None else (logp * w).sum(1)) * valid
            loss = (1 - eps) * loss + (eps / c) * smooth
        self.rows, self.safe, self.wt, self.valid, self.w = rows, safe, wt, valid, w
        self.eps, self.reduction = eps, reduction
        if reduction == "none":
            return loss.astype(x.dtype, copy=False)
        total = loss.sum()
        if reduction == "mean":
            self.denom = wt.sum()
            with np.errstate(invalid="ignore", divide="ignore"):
                total = total / self.denom
        return xp.asarray(total, dtype=x.dtype)

    def _targets(self):
        """T as an (M, C) array and its row sums."""
        xp = xp_of(self.e)
        m, c = self.e.shape
        eps = self.eps
        tmat = xp.zeros((m, c), dtype=self.e.dtype)
        tmat[self.rows, self.safe] = (1 - eps) * self.wt
        if eps > 0:
            wrow = xp.ones(c, dtype=tmat.dtype) if self.w is None else self.w
            tmat += (eps / c) * wrow[None, :] * self.valid[:, None]
        return tmat, tmat.sum(1, keepdims=True)

    def backward(self, g):
        if not self.needs_input_grad[0]:
            return (None,) * 3
        m = self.e.shape[0]
        if self.reduction == "none":
            scale = g.reshape(m, 1)
        elif self.reduction == "mean":
            scale = g / Tensor._make(self.denom)
        else:
            scale = g
        if is_grad_enabled():
            tmat, rowsum = self._targets()
            p = ops.softmax(self.inputs[0], 1)
            return (p * Tensor._make(rowsum) - Tensor._make(tmat)) * scale, None, None
        with np.errstate(invalid="ignore", divide="ignore"):
            gx = self.e / self.se
        if self.eps == 0:  # T is one weight per row: no dense target matrix needed
            gx *= self.wt[:, None]
            gx[self.rows, self.safe] -= self.wt
        else:
            tmat, rowsum = self._targets()
            gx *= rowsum
            gx -= tmat
        gx *= scale._data
        return Tensor._make(gx), None, None


class CrossEntropyProb(Function):
    """Fused log-softmax + soft-target cross entropy over (M, C) logits and (M, C) targets."""

    def forward(self, x, target, weight, *, eps, reduction):
        xp = xp_of(x)
        m, c = x.shape
        with np.errstate(invalid="ignore"):
            logp = _log_softmax_rows(x)[0]
        tt = target * (1 - eps) + eps / c if eps > 0 else target
        if weight is not None:
            tt = tt * weight
        loss = -(tt * logp).sum(1)
        self.logp, self.tt, self.eps, self.reduction = logp, tt, eps, reduction
        if reduction == "none":
            return loss.astype(x.dtype, copy=False)
        total = loss.sum()
        if reduction == "mean":
            with np.errstate(invalid="ignore", divide="ignore"):
                total = total / m
        return xp.asarray(total, dtype=x.dtype)

    def backward(self, g):
        x, target, weight = (self.inputs + (None,))[:3]
        m, c = self.logp.shape
        if self.reduction == "none":
            scale = g.reshape(m, 1)
        elif self.reduction == "mean":
            scale = g / m
        else:
            scale = g
        eps = self.eps
        if is_grad_enabled():
            tt = target * (1 - eps) + eps / c if eps > 0 else target
            if weight is not None:
                tt = tt * weight
            logp = ops.log_softmax(x, 1)
            p = ops.softmax(x, 1)
        else:
            tt, logp = Tensor._make(self.tt), Tensor._make(self.logp)
            p = Tensor._make(xp_of(self.logp).exp(self.logp))
        gx = (p * tt.sum(1, keepdim=True) - tt) * scale if self.needs_input_grad[0] else None
        gt = None
        if self.needs_input_grad[1]:
            wl = logp if weight is None else logp * weight
            gt = -(1 - eps) * wl * scale
        return gx, gt, None


@autocast_fp32
def cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                  size_average=None, ignore_index: int = -100, reduce=None,
                  reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100,
    reduce=None, reduction='mean', label_smoothing=0.0): log_softmax + nll_loss, fused.

    input (C), (N, C) or (N, C, d1, ...) logits; target class indices (N, d1, ...) or class
    probabilities of input's shape. One Function, numerically stable.
    """
    reduction = _reduction(size_average, reduce, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: "
                           f"{label_smoothing}")
    if input.dtype.category != 2:
        raise RuntimeError(f"\"log_softmax_lastdim_kernel_impl\" not implemented for "
                           f"'{_dtype_word(input.dtype)}'")
    if tuple(input.shape) == tuple(target.shape) and target.dtype.category == 2:
        return _cross_entropy_prob(input, target, weight, reduction, label_smoothing)
    x2, t, out_shape = _class_layout(input, target, weight, "cross_entropy")
    loss = CrossEntropyIndex.apply(x2, t, weight, ignore_index=ignore_index,
                                   eps=float(label_smoothing), reduction=reduction)
    return loss.reshape(out_shape) if reduction == "none" else loss


def _cross_entropy_prob(input, target, weight, reduction, eps):
    c = input.shape[1] if input.ndim > 1 else input.shape[0]
    if weight is not None and (weight.ndim != 1 or weight.numel() != c):
        raise RuntimeError(f"weight tensor should be defined either for all {c} classes or no "
                           f"classes but got weight tensor of shape: {list(weight.shape)}")
    if input.ndim == 1:
        x2, t2, out_shape = input.unsqueeze(0), target.unsqueeze(0), ()
    elif input.ndim == 2:
        x2, t2, out_shape = input, target, (input.shape[0],)
    else:
        x2 = input.movedim(1, -1).reshape(-1, c)
        t2 = target.movedim(1, -1).reshape(-1, c)
        out_shape = (input.shape[0],) + tuple(input.shape[2:])
    if reduction == "mean" and input.ndim > 2:
        loss = CrossEntropyProb.apply(x2, t2, weight, eps=float(eps), reduction="sum")
        return loss / input.shape[0] / math.prod(input.shape[2:])
    loss = CrossEntropyProb.apply(x2, t2, weight, eps=float(eps), reduction=reduction)
    return loss.reshape(out_shape) if reduction == "none" else loss


@autocast_fp32
def nll_loss(input: Tensor, target: Tensor, weight: Tensor | None = None, size_average=None,
             ignore_index: int = -100, reduce=None, reduction: str = "mean") -> Tensor:
    """nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
    reduction='mean'): -weight[y] * input[y] per element; mean divides by the summed weights.

    input (C), (N, C) or (N, C, d1, ...) log-probabilities; target (N, d1, ...) class ids.
    """
    reduction = _reduction(size_average, reduce, reduction)
    x2, t, out_shape = _class_layout(input, target, weight, "nll_loss")
    safe, wt, _ = _target_weights(t, x2.shape[1], None if weight is None else weight._data,
                                  ignore_index, x2._data.dtype)
    idx = Tensor._make(safe.reshape(-1, 1))
    picked = x2.gather(1, idx).reshape(-1)
    loss = -picked * Tensor._make(wt)
    if reduction == "none":
        return loss.reshape(out_shape)
    if reduction == "sum":
        return loss.sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        return loss.sum() / Tensor._make(wt).sum()


@runs_on(0)
def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """one_hot(tensor, num_classes=-1): int64 tensor of shape (*tensor.shape, num_classes) with
    a 1 at each class index; num_classes=-1 uses max + 1."""
    if not isinstance(tensor, Tensor) or tensor.dtype.name != "int64":
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    a = tensor._data
    xp = xp_of(a)
    if a.size and bool((a < 0).any()):
        raise RuntimeError("Class values must be non-negative.")
    if a.size == 0 and num_classes <= 0:
        raise RuntimeError("Can not infer total number of classes from empty tensor.")
    if num_classes == -1:
        num_classes = int(a.max()) + 1
    elif num_classes < -1:
        raise RuntimeError("num_classes should be positive")
    elif a.size and int(a.max()) >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    out = (a[..., None] == xp.arange(num_classes)).astype(np.int64)
    return Tensor._make(out)


# ---- binary classification ---------------------------------------------------------------
class BinaryCrossEntropy(Function):
    """-(t log x + (1 - t) log(1 - x)), each log clamped to >= -100 as torch does."""

    def forward(self, x, t):
        xp = xp_of(x)
        with np.errstate(divide="ignore"):
            lx = xp.maximum(xp.log(x), -100)
            l1x = xp.maximum(xp.log1p(-x), -100)
        return (-(t * lx + (1 - t) * l1x)).astype(x.dtype, copy=False)

    def backward(self, g):
        x, t = self.inputs
        gx = gt = None
        if self.needs_input_grad[0]:
            gx = g * (x - t) / ((1 - x) * x).clamp_min(1e-12)
        if self.needs_input_grad[1]:
            gt = g * ((1 - x).log().clamp_min(-100) - x.log().clamp_min(-100))
        return gx, gt


@autocast_fp32
@runs_on(0)
def binary_cross_entropy(input: Tensor, target: Tensor, weight: Tensor | None = None,
                         size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
    reduction='mean'): -w (t log x + (1 - t) log(1 - x)) with the logs clamped to >= -100."""
    reduction = _reduction(size_average, reduce, reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Using a target size ({target.size()}) that is different to the input "
                         f"size ({input.size()}) is deprecated. Please ensure they have the same "
                         f"size.")
    a = input._data
    if a.size and not bool(((a >= 0) & (a <= 1)).all()):
        raise RuntimeError("all elements of input should be between 0 and 1")
    if target.dtype is not input.dtype:
        target = target.to(input.dtype)
    loss = BinaryCrossEntropy.apply(input, target)
    return _reduce(_weighted(loss, weight), reduction)


@autocast_fp32
def binary_cross_entropy_with_logits(input: Tensor, target: Tensor,
                                     weight: Tensor | None = None, size_average=None,
                                     reduce=None, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """binary_cross_entropy_with_logits(input, target, weight=None, size_average=None,
    reduce=None, reduction='mean', pos_weight=None): sigmoid + BCE computed stably,
    (1 - t) x - (1 + (pos_weight - 1) t) logsigmoid(x)."""
    reduction = _reduction(size_average, reduce, reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Target size ({target.size()}) must be the same as input size "
                         f"({input.size()})")
    ls = logsigmoid(input)
    if pos_weight is None:
        loss = (1 - target) * input - ls
    else:
        loss = (1 - target) * input - ((pos_weight - 1) * target + 1) * ls
    return _reduce(_weighted(loss, weight), reduction)


# ---- distribution losses ------------------------------------------------------------------
@autocast_fp32
def kl_div(input: Tensor, target: Tensor, size_average=None, reduce=None,
           reduction: str = "mean", log_target: bool = False) -> Tensor:
    """kl_div(input, target, size_average=None, reduce=None, reduction='mean', log_target=False):
    target * (log(target) - input) pointwise (input holds log-probabilities); 'batchmean'
    divides the sum by the batch size."""
    if size_average is not None or reduce is not None:
        reduction = legacy_get_string(size_average, reduce)
    elif reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the "
                      "support size.'batchmean' divides only by the batch size, and aligns with "
                      "the KL div math definition.'mean' will be changed to behave the same as "
                      "'batchmean' in the next major release.", stacklevel=2)
    if reduction not in ("none", "mean", "sum", "batchmean"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if log_target:
        loss = ops.exp(target) * (target - input)
    else:
        loss = ops.xlogy(target, target) - target * input
    if reduction == "batchmean":
        return loss.sum() / input.shape[0] if input.ndim else loss.sum()
    return _reduce(loss, reduction)


@autocast_fp32
@runs_on(0)
def poisson_nll_loss(input: Tensor, target: Tensor, log_input: bool = True, full: bool = False,
                     size_average=None, eps: float = 1e-8, reduce=None,
                     reduction: str = "mean") -> Tensor:
    """poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8,
    reduce=None, reduction='mean'): exp(x) - t x (log_input) or x - t log(x + eps), plus the
    Stirling term t log t - t + 0.5 log(2 pi t) for t > 1 when full."""
    reduction = _reduction(size_average, reduce, reduction)
    if log_input:
        loss = ops.exp(input) - target * input
    else:
        loss = input - target * ops.log(input + eps)
    if full:
        ta = target._data
        xp = xp_of(ta)
        with np.errstate(divide="ignore", invalid="ignore"):
            st = ta * xp.log(ta) - ta + 0.5 * xp.log(2 * math.pi * ta)
        st = xp.where(ta > 1, st, 0).astype(ta.dtype, copy=False)
        stirling = Tensor._make(st)
        if target.requires_grad and is_grad_enabled():
            safe = ops.where(Tensor._make(ta > 1), target, 2.0)
            term = safe * ops.log(safe) - safe + 0.5 * ops.log(2 * math.pi * safe)
            stirling = ops.where(Tensor._make(ta > 1), term, 0.0)
        loss = loss + stirling
    return _reduce(loss, reduction)


@autocast_fp32
@runs_on(0)
def gaussian_nll_loss(input: Tensor, target: Tensor, var, full: bool = False,
                      eps: float = 1e-6, reduction: str = "mean") -> Tensor:
    """gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction='mean'):
    0.5 (log(max(var, eps)) + (input - target)^2 / max(var, eps)) (+ 0.5 log(2 pi) if full).

    var: same shape as input, input's shape with the last dim dropped or 1 (one variance per
    sample), or a float. The clamp to eps is a constant shift (the gradient passes as if var
    were unclamped), as in torch.
    """
    if not isinstance(var, Tensor):
        var = ops.full_like(input, float(var))
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif not (tuple(input.shape[:-1]) == tuple(var.shape[:-1]) and var.shape[-1] == 1):
            raise ValueError("var is of incorrect size")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if var.numel() and bool((var._data < 0).any()):
        raise ValueError("var has negative entry/entries")
    with no_grad():
        shift = var.clamp_min(eps) - var
    v = var + shift
    d = input - target
    loss = 0.5 * (ops.log(v) + d * d / v)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


# ---- margin and embedding losses ----------------------------------------------------------
@autocast_fp32
def margin_ranking_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0,
                        size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """margin_ranking_loss(input1, input2, target, margin=0, ...): max(0, -y (x1 - x2) + margin)."""
    reduction = _reduction(size_average, reduce, reduction)
    if not input1.ndim == input2.ndim == target.ndim:
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension "
                           f"but got sizes: input1: {input1.size()}, input2: {input2.size()}, "
                           f"target: {target.size()} ")
    return _reduce((-target * (input1 - input2) + margin).clamp_min(0), reduction)


@autocast_fp32
@runs_on(0)
def hinge_embedding_loss(input: Tensor, target: Tensor, margin: float = 1.0, size_average=None,
                         reduce=None, reduction: str = "mean") -> Tensor:
    """hinge_embedding_loss(input, target, margin=1.0, ...): x where y == 1, max(0, margin - x)
    where y == -1."""
    reduction = _reduction(size_average, reduce, reduction)
    t = target._data
    not_pos = Tensor._make(t != 1)
    not_neg = Tensor._make(t != -1)
    out = (ops.where(not_pos, (margin - input).clamp_min(0), 0.0)
           + ops.where(not_neg, input, 0.0))
    return _reduce(out, reduction)


@runs_on(0)
def _multilabel_counts(input: Tensor, target: Tensor):
    """(counts (N, C): how often each class is a target, is_target (N, C)) from -1 padded ids."""
    t = target._data
    xp = xp_of(t)
    c = input.shape[-1]
    t2 = t.reshape(-1, c)
    stop = xp.cumsum(t2 < 0, axis=1) > 0  # everything from the first -1 on is ignored
    valid = ~stop
    if bool(((t2 >= c) & valid).any()):
        raise RuntimeError(f"multilabel_margin_loss: target values must be in [-1, {c - 1}]")
    safe = xp.where(valid, t2, 0)
    counts = (((safe[:, :, None] == xp.arange(c)) & valid[:, :, None]).sum(1))
    return counts, counts > 0


@autocast_fp32
@runs_on(0)
def multilabel_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                           reduction: str = "mean") -> Tensor:
    """multilabel_margin_loss(input, target, ...): sum over target classes j (the ids before
    the first -1) and non-target classes k of max(0, 1 - (x[j] - x[k])), divided by C."""
    reduction = _reduction(size_average, reduce, reduction)
    if target.dtype.name != "int64":
        raise RuntimeError(f"expected scalar type Long but found {_dtype_word(target.dtype)}")
    if input.ndim > 2 or tuple(target.shape) != tuple(input.shape):
        raise RuntimeError(f"inconsistent target size: {list(target.shape)} for input of size: "
                           f"{list(input.shape)}")
    c = input.shape[-1] if input.ndim else 1
    x = input.reshape(-1, c)
    counts, is_t = _multilabel_counts(x, target)
    pair = Tensor._make((counts[:, :, None] * (~is_t)[:, None, :]).astype(x._data.dtype))
    hinge = (1 - x.unsqueeze(2) + x.unsqueeze(1)).clamp_min(0)
    loss = (hinge * pair).sum((1, 2)) / c
    loss = loss.reshape(tuple(input.shape[:-1]) if input.ndim else ())
    return _reduce(loss, reduction)


@autocast_fp32
def multilabel_soft_margin_loss(input: Tensor, target: Tensor, weight: Tensor | None = None,
                                size_average=None, reduce=None,
                                reduction: str = "mean") -> Tensor:
    """multilabel_soft_margin_loss(input, target, weight=None, ...): the mean over classes of
    -(y log sigmoid(x) + (1 - y) log sigmoid(-x))."""
    reduction = _reduction(size_average, reduce, reduction)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    loss = _weighted(loss, weight)
    class_dim = input.ndim - 1
    loss = loss.sum(class_dim) / input.shape[class_dim]
    return _reduce(loss, reduction)


@autocast_fp32
@runs_on(0)
def multi_margin_loss(input: Tensor, target: Tensor, p: int = 1, margin: float = 1.0,
                      weight: Tensor | None = None, size_average=None, reduce=None,
                      reduction: str = "mean") -> Tensor:
    """multi_margin_loss(input, target, p=1, margin=1.0, weight=None, ...): sum over j != y of
    max(0, margin - x[y] + x[j])^p (times weight[y]), divided by C."""
    reduction = _reduction(size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    if weight is not None and weight.ndim != 1:
        raise ValueError("weight must be one-dimensional")
    if input.ndim > 2:
        raise RuntimeError(f"Expected non-empty vector or matrix with optional 0-dim batch size, "
                           f"but got: {list(input.shape)}")
    c = input.shape[-1] if input.ndim else 1
    x = input.reshape(-1, c)
    t = target._data.reshape(-1).astype(np.int64)
    if t.shape[0] != x.shape[0]:
        raise RuntimeError(f"inconsistent target size, expected {x.shape[0]} but got "
                           f"{list(target.shape)}")
    if t.size and bool(((t < 0) | (t >= c)).any()):
        raise RuntimeError("target out of range")
    xp = xp_of(t)
    idx = Tensor._make(t.reshape(-1, 1))
    xy = x.gather(1, idx)
    h = (margin - xy + x).clamp_min(0)
    if p == 2:
        h = h * h
    other = Tensor._make((t[:, None] != xp.arange(c)).astype(x._data.dtype))
    h = h * other
    if weight is not None:
        h = h * weight.gather(0, Tensor._make(t)).unsqueeze(1)
    loss = h.sum(1) / c
    loss = loss.reshape(tuple(input.shape[:-1]) if input.ndim else ())
    return _reduce(loss, reduction)


@autocast_fp32
def soft_margin_loss(input: Tensor, target: Tensor, size_average=None, reduce=None,
                     reduction: str = "mean") -> Tensor:
    """soft_margin_loss(input, target, ...): log(1 + exp(-y x)), computed stably."""
    reduction = _reduction(size_average, reduce, reduction)
    return _reduce(-logsigmoid(target * input), reduction)


@autocast_fp32
@runs_on(2)
def cosine_embedding_loss(input1: Tensor, input2: Tensor, target: Tensor, margin: float = 0,
                          size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """cosine_embedding_loss(input1, input2, target, margin=0, ...): 1 - cos(x1, x2) where
    y == 1, max(0, cos(x1, x2) - margin) where y == -1 (cos over the last dimension)."""
    reduction = _reduction(size_average, reduce, reduction)
    if input1.ndim != input2.ndim or input1.ndim not in (1, 2):
        raise RuntimeError(f"cosine_embedding_loss: expected 1D or 2D inputs of the same "
                           f"dimension, got {input1.ndim}D and {input2.ndim}D")
    if input1.ndim == 2 and target.ndim != 1 or input1.ndim == 1 and target.ndim != 0:
        raise RuntimeError(f"{input1.ndim}D target tensor expects {input1.ndim - 1}D target "
                           f"tensor, but got {target.ndim}D target tensor")
    d = input1.ndim - 1
    eps = 1e-12
    prod = (input1 * input2).sum(d)
    m1 = (input1 * input1).sum(d) + eps
    m2 = (input2 * input2).sum(d) + eps
    cos = prod / (m1 * m2).sqrt()
    t = target._data
    pos = ops.where(Tensor._make(t == 1), 1 - cos, 0.0)
    neg = ops.where(Tensor._make(t == -1), (cos - margin).clamp_min(0), 0.0)
    return _reduce(pos + neg, reduction)


@autocast_fp32
def triplet_margin_loss(anchor: Tensor, positive: Tensor, negative: Tensor, margin: float = 1.0,
                        p: float = 2, eps: float = 1e-6, swap: bool = False, size_average=None,
                        reduce=None, reduction: str = "mean") -> Tensor:
    """triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False,
    ...): max(0, d(a, p) - d(a, n) + margin) with the pairwise p-norm distance; swap uses
    min(d(a, n), d(p, n))."""
    reduction = _reduction(size_average, reduce, reduction)
    a, po, ne = anchor.ndim, positive.ndim, negative.ndim
    if not a == po == ne:
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the "
                           f"same number of dimensions, but got: anchor {a}D, positive {po}D, "
                           f"and negative {ne}D inputs")
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    d_pos = pairwise_distance(anchor, positive, p, eps)
    d_neg = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_neg = ops.minimum(d_neg, pairwise_distance(positive, negative, p, eps))
    return _reduce((margin + d_pos - d_neg).clamp_min(0), reduction)


def triplet_margin_with_distance_loss(anchor: Tensor, positive: Tensor, negative: Tensor, *,
                                      distance_function=None, margin: float = 1.0,
                                      swap: bool = False, reduction: str = "mean") -> Tensor:
    """triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None,
    margin=1.0, swap=False, reduction='mean'): max(0, d(a, p) - d(a, n) + margin) with any
    distance d (default pairwise_distance); swap uses min(d(a, n), d(p, n))."""
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    a, po, ne = anchor.ndim, positive.ndim, negative.ndim
    if not a == po == ne:
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the "
                           f"same number of dimensions, but got: anchor {a}D, positive {po}D, "
                           f"and negative {ne}D inputs")
    dist = pairwise_distance if distance_function is None else distance_function
    d_pos, d_neg = dist(anchor, positive), dist(anchor, negative)
    if swap:
        d_neg = ops.minimum(d_neg, dist(positive, negative))
    return _reduce((margin + d_pos - d_neg).clamp_min(0), reduction)
