"""linear_cross_entropy: cross_entropy(linear(input, linear_weight, linear_bias), target).

Without options it is that composition. With options (an nn.LinearCrossEntropyOptions), class
index targets and no label smoothing, it runs chunked over the batch: one Function that never
keeps the (N, C) logits; backward recomputes each chunk's logits, so the memory peak is one
chunk of logits in both passes. The other cases fall back to the composition with a warning,
as torch's does.
"""
from __future__ import annotations

import math
import warnings

from ... import ops
from ..._device import runs_on, xp_of
from ..._tensor import Tensor
from ...autograd.function import Function
from .linear import linear
from .loss import cross_entropy

__all__ = ["linear_cross_entropy"]


class _ChunkedLinearCE(Function):
    """Per-row losses w[t] * (logsumexp(z) - z[t]), z = x W^T + b, chunk by chunk; 0 where the
    target is ignored. target, the class weights and the chunk size are constants."""

    def forward(self, x, W, b, *, target, class_weight, ignore_index, chunk):
        xp = xp_of(x)
        keep = target != ignore_index
        safe = xp.where(keep, target, 0)
        coef = keep.astype(x.dtype)
        if class_weight is not None:
            coef = coef * class_weight[safe]
        self.safe, self.coef, self.chunk = safe, coef, chunk
        out = xp.empty(x.shape[0], dtype=x.dtype)
        for s in range(0, x.shape[0], chunk):
            z = x[s:s + chunk] @ W.T
            if b is not None:
                z = z + b
            m = z.max(axis=1, keepdims=True)
            lse = xp.log(xp.exp(z - m).sum(axis=1)) + m[:, 0]
            zt = xp.take_along_axis(z, safe[s:s + chunk, None], 1)[:, 0]
            out[s:s + chunk] = (lse - zt) * coef[s:s + chunk]
        return out

    def backward(self, g):
        x, W, b = self.inputs
        xp = xp_of(x._data)
        n, c = x.shape[0], W.shape[0]
        gxs, gW, gb = [], None, None
        for s in range(0, n, self.chunk):
            xc = x[s:s + self.chunk]
            z = xc @ W.mT
            if b is not None:
                z = z + b
            rows = z.shape[0]
            onehot = xp.zeros((rows, c), dtype=x._data.dtype)
            onehot[xp.arange(rows), self.safe[s:s + rows]] = 1
            scale = g[s:s + rows] * Tensor._make(self.coef[s:s + rows])
            d = (ops.softmax(z, 1) - Tensor._make(onehot)) * scale.unsqueeze(1)
            gxs.append(d @ W)
            dw, db = d.mT @ xc, d.sum(0)
            gW = dw if gW is None else gW + dw
            gb = db if gb is None else gb + db
        gx = ops.cat(gxs) if gxs else ops.zeros_like(x)
        if gW is None:
            gW = ops.zeros_like(W)
            gb = ops.zeros((c,), dtype=x.dtype, device=x.device)
        return gx, gW, (gb if b is not None else None)


def _chunk_size(options, n: int, in_features: int, num_classes: int) -> int:
    """options.batch_chunk_size, else the aspect-ratio heuristic (the chunk's logits about
    the size of the input, divided by N of 'aspect_ratio:N'; 'auto' is 'aspect_ratio:2'),
    else one chunk."""
    size = getattr(options, "batch_chunk_size", None)
    if size is not None:
        return max(1, int(size))
    method = getattr(options, "chunking_method", "auto")
    if method is None or n == 0:
        return max(n, 1)
    method = "aspect_ratio:2" if method == "auto" else str(method)
    factor = int(method.split(":", 1)[1]) if ":" in method else 1
    target = -(-n // -(-num_classes // max(in_features, 1)))
    return max(1, min((1 << (target - 1).bit_length()) // factor, n))


def linear_cross_entropy(input: Tensor, linear_weight: Tensor, target: Tensor, *,
                         linear_bias: Tensor | None = None, weight: Tensor | None = None,
                         reduction: str = "mean", ignore_index: int | None = None,
                         label_smoothing: float = 0.0, options=None) -> Tensor:
    """linear_cross_entropy(input, linear_weight, target, *, linear_bias=None, weight=None,
    reduction='mean', ignore_index=None, label_smoothing=0.0, options=None).

    input (in_features) or (N, in_features); linear_weight (C, in_features) or
    (C, d1, ..., dK, in_features) for a K-dimensional loss over logits (N, C, d1, ..., dK);
    target class indices or probabilities as for cross_entropy (ignore_index None means
    -100, and may not be given with probabilities). options chunks the batch (see module).
    """
    if input.ndim < 1 or input.ndim > 2:
        raise RuntimeError(f"expected input with dimensionality 1 or 2, got {input.ndim}")
    if linear_weight.ndim < 2:
        raise RuntimeError(f"expected linear_weight with dimensionality at least 2, got "
                           f"{linear_weight.ndim}")
    batches, in_features = tuple(input.shape[:-1]), input.shape[-1]
    if in_features != linear_weight.shape[-1]:
        raise RuntimeError(f"expected equal input and linear_weight last dimensions "
                           f"(in_features), got {in_features} and {linear_weight.shape[-1]}, "
                           f"respectively")
    num_classes = linear_weight.shape[0]
    out_features = tuple(linear_weight.shape[1:-1])
    if linear_bias is not None and tuple(linear_bias.shape) != (num_classes, *out_features):
        raise RuntimeError(f"expected linear_bias shape {(num_classes, *out_features)}, got "
                           f"{tuple(linear_bias.shape)}")
    if out_features and not batches:
        raise RuntimeError(f"K-dimensional loss defined by linear_weight shape "
                           f"{tuple(linear_weight.shape)} requires batched input, "
                           f"(N, {in_features}), got unbatched input with shape "
                           f"{tuple(input.shape)}")
    logits_shape = (*batches, num_classes, *out_features)
    probabilities = tuple(target.shape) == logits_shape
    if probabilities and ignore_index is not None:
        raise RuntimeError("ignore_index cannot be specified when target contains probabilities")
    ignore_index = -100 if ignore_index is None else ignore_index
    if options is not None:
        chunkable = (not out_features and reduction in ("mean", "sum", "none")
                     and label_smoothing == 0.0 and target.dtype.name == "int64")
        if chunkable:
            return _chunked(input, linear_weight, target, linear_bias, weight, reduction,
                            ignore_index, options)
        warnings.warn(f"linear_cross_entropy: options ignored; chunking needs reduction in "
                      f"('mean', 'sum', 'none'), label_smoothing == 0, int64 class targets and "
                      f"a 2-D linear_weight. Got reduction={reduction!r}, label_smoothing="
                      f"{label_smoothing}, target dtype {target.dtype.name}, out_features="
                      f"{out_features}.", stacklevel=2)
    w2 = linear_weight.reshape(math.prod(logits_shape[len(batches):]), in_features)
    b2 = linear_bias.reshape(-1) if linear_bias is not None else None
    logits = linear(input, w2, b2).reshape(logits_shape)
    return cross_entropy(logits, target, weight, ignore_index=ignore_index,
                         reduction=reduction, label_smoothing=label_smoothing)


@runs_on(0)  # raw array work on the target below
def _chunked(input, linear_weight, target, linear_bias, weight, reduction, ignore_index,
             options):
    unbatched = input.ndim == 1
    if unbatched:
        input, target = input.unsqueeze(0), target.reshape(1)
    n = input.shape[0]
    if tuple(target.shape) != (n,):
        raise RuntimeError(f"linear_cross_entropy: expected target of shape {(n,)}, got "
                           f"{tuple(target.shape)}")
    t = target._data
    bad = (t != ignore_index) & ((t < 0) | (t >= linear_weight.shape[0]))
    if bool(bad.any()):
        raise IndexError(f"Target {int(t[bad][0])} is out of bounds.")
    cw = weight._data.astype(input._data.dtype) if weight is not None else None
    chunk = _chunk_size(options, n, input.shape[1], linear_weight.shape[0])
    loss = _ChunkedLinearCE.apply(input, linear_weight, linear_bias, target=t, class_weight=cw,
                                  ignore_index=ignore_index, chunk=chunk)
    if reduction == "none":
        return loss.squeeze(0) if unbatched else loss
    total = loss.sum()
    if reduction == "sum":
        return total
    keep = t != ignore_index
    denom = (cw[xp_of(t).where(keep, t, 0)] * keep).sum() if cw is not None else keep.sum()
    return total / Tensor._make(xp_of(t).asarray(denom, dtype=input._data.dtype))
