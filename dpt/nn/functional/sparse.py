"""F.embedding and F.embedding_bag: row lookups (and per-bag reductions) of a weight matrix."""
from __future__ import annotations

from ... import ops
from ..._device import runs_on, scatter_add, xp_of
from ..._tensor import Tensor
from ...autograd.function import Function

__all__ = ["embedding", "embedding_bag"]


def _check_indices(indices: Tensor, opname: str) -> None:
    if not isinstance(indices, Tensor):
        raise TypeError(f"{opname}(): argument 'indices' must be Tensor, not "
                        f"{type(indices).__name__}")
    if indices.dtype.name not in ("int64", "int32"):
        raise RuntimeError(f"Expected tensor for argument #1 'indices' to have one of the "
                           f"following scalar types: Long, Int; but got {indices.type()} instead "
                           f"(while checking arguments for {opname})")


@runs_on(0)
def _check_range(idx, num: int) -> None:
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= num):
        raise IndexError("index out of range in self")


def _padding_idx(padding_idx, num_embeddings: int):
    if padding_idx is None:
        return None
    if padding_idx > 0:
        if padding_idx >= num_embeddings:
            raise AssertionError("Padding_idx must be within num_embeddings")
    elif padding_idx < 0:
        if padding_idx < -num_embeddings:
            raise AssertionError("Padding_idx must be within num_embeddings")
        padding_idx = num_embeddings + padding_idx
    return padding_idx


class Embedding(Function):
    """out[...] = weight[indices[...]]; the gradient of a row is the sum of the gradients of
    its lookups, zero for padding_idx and divided by the lookup count if scale_grad_by_freq."""

    def forward(self, weight, indices, *, padding_idx=None, scale_grad_by_freq=False):
        self.padding_idx, self.scale = padding_idx, scale_grad_by_freq
        return xp_of(weight).take(weight, indices, axis=0)

    def backward(self, gy):
        if not self.needs_input_grad[0]:
            return None, None
        weight, indices = self.inputs
        return embedding_dense_backward(gy, indices, weight.shape[0], self.padding_idx,
                                        self.scale), None


class EmbeddingBackward(Function):
    """grad_weight from grad_output: rows scattered-added at indices (a linear map of gy)."""

    def forward(self, gy, indices, *, num_weights, padding_idx, scale):
        xp = xp_of(gy)
        dim = gy.shape[-1]
        flat = indices.reshape(-1)
        g = gy.reshape(-1, dim) * self._row_scale(xp, flat, num_weights, padding_idx, scale,
                                                  gy.dtype)[:, None]
        self.args = (padding_idx, scale, num_weights)
        out = xp.zeros((num_weights, dim), dtype=gy.dtype)
        scatter_add(xp, out, flat, g)
        return out

    @staticmethod
    def _row_scale(xp, flat, num_weights, padding_idx, scale, dtype):
        s = xp.ones(flat.shape, dtype=dtype)
        if scale and flat.size:
            counts = xp.bincount(flat, minlength=num_weights)
            s = s / counts[flat]
        if padding_idx is not None:
            s = s * (flat != padding_idx)
        return s

    def backward(self, ggw):
        gy, indices = self.inputs
        padding_idx, scale, num_weights = self.args
        xp = xp_of(indices._data)
        flat = indices._data.reshape(-1)
        s = Tensor._make(self._row_scale(xp, flat, num_weights, padding_idx, scale,
                                         gy._data.dtype))
        rows = Embedding.apply(ggw, indices.reshape(-1))
        return (rows * s.unsqueeze(1)).reshape(gy.shape), None


def embedding_dense_backward(gy, indices, num_weights, padding_idx=None,
                             scale_grad_by_freq=False):
    return EmbeddingBackward.apply(gy, indices, num_weights=num_weights, padding_idx=padding_idx,
                                   scale=scale_grad_by_freq)


@runs_on(0)
def _renorm_(weight: Tensor, idx, max_norm: float, norm_type: float) -> None:
    """Rescale (in place, outside autograd) the looked-up rows whose norm exceeds max_norm."""
    xp = xp_of(weight._data)
    rows = xp.unique(idx.reshape(-1))
    if rows.size == 0:
        return
    w = weight._data
    sel = w[rows]
    if norm_type == float("inf"):
        norms = xp.abs(sel).max(axis=1)
    else:
        norms = (xp.abs(sel) ** norm_type).sum(axis=1) ** (1.0 / norm_type)
    over = norms > max_norm
    if bool(over.any()):
        factor = (max_norm / (norms[over] + 1e-7)).astype(w.dtype)
        w[rows[over]] = sel[over] * factor[:, None]
        weight._vc[0] += 1


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
    scale_grad_by_freq=False, sparse=False): weight[input], shape input.shape + (dim,).

    padding_idx rows get no gradient; max_norm renormalises the looked-up rows of weight
    in place. sparse=True is accepted but the gradient is dense (dpt has no sparse tensors).
    """
    _check_indices(input, "embedding")
    if weight.ndim != 2:
        raise RuntimeError(f"'weight' must be 2-D, got {weight.ndim}-D weight of shape "
                           f"{list(weight.shape)}")
    padding_idx = _padding_idx(padding_idx, weight.shape[0])
    idx = input._data
    _check_range(idx, weight.shape[0])
    if max_norm is not None:
        _renorm_(weight, idx, max_norm, norm_type)
    return Embedding.apply(weight, input, padding_idx=padding_idx,
                           scale_grad_by_freq=scale_grad_by_freq)


@runs_on(1)
def embedding_bag(input: Tensor, weight: Tensor, offsets: Tensor | None = None,
                  max_norm: float | None = None, norm_type: float = 2,
                  scale_grad_by_freq: bool = False, mode: str = "mean", sparse: bool = False,
                  per_sample_weights: Tensor | None = None, include_last_offset: bool = False,
                  padding_idx: int | None = None) -> Tensor:
    """embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2,
    scale_grad_by_freq=False, mode='mean', sparse=False, per_sample_weights=None,
    include_last_offset=False, padding_idx=None): sums, means or maxima of bags of rows.

    input is 2-D (B, L: B bags of L indices, offsets None) or 1-D with offsets giving where
    each bag starts. Entries equal to padding_idx are left out of their bag; empty bags give
    zeros. per_sample_weights (same shape as input) scale the rows, mode='sum' only.
    sparse=True is accepted but the gradient is dense.
    """
    _check_indices(input, "embedding_bag")
    if weight.ndim != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension "
                         f"{weight.ndim}")
    if per_sample_weights is not None and tuple(input.shape) != tuple(per_sample_weights.shape):
        raise ValueError(f"embedding_bag: If per_sample_weights ({list(per_sample_weights.shape)}"
                         f") is not None, then it must have the same shape as the input "
                         f"({list(input.shape)})")
    if input.ndim == 2:
        if offsets is not None:
            raise ValueError(f"if input is 2D, then offsets has to be None, as input is treated "
                             f"is a mini-batch of fixed length sequences. However, found offsets "
                             f"of type {type(offsets).__name__}")
        nbags, length = input.shape
        idx = input._data.reshape(-1)
        xp = xp_of(idx)
        starts = xp.arange(nbags, dtype=idx.dtype) * length
        if per_sample_weights is not None:
            per_sample_weights = per_sample_weights.reshape(-1)
    elif input.ndim == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.ndim != 1:
            raise ValueError("offsets has to be a 1D Tensor")
        idx = input._data
        xp = xp_of(idx)
        starts = offsets._data.astype(idx.dtype, copy=False)
        if include_last_offset:
            if starts.size == 0:
                raise RuntimeError("embedding_bag: include_last_offset requires at least one "
                                   "offset")
            starts = starts[:-1]
        nbags = int(starts.size)
        if nbags and int(starts[0]) != 0:
            raise RuntimeError(f"offsets[0] has to be 0, i.e., the first sequence in the "
                               f"mini-batch has to start from position 0. However, got "
                               f"{int(starts[0])}")
        if nbags and (bool((starts[1:] < starts[:-1]).any()) or int(starts[-1]) > idx.size):
            raise RuntimeError("embedding_bag: offsets must be non-decreasing and at most the "
                               f"number of indices ({idx.size}), got {starts.tolist()}")
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension "
                         f"{input.ndim}")
    if mode not in ("sum", "mean", "max"):
        raise ValueError("mode has to be one of sum, mean or max")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(f"embedding_bag: per_sample_weights was not None. "
                                  f"per_sample_weights is only supported for mode='sum' "
                                  f"(got mode='{mode}'). Please open a feature request on GitHub.")
    num = weight.shape[0]
    padding_idx = _padding_idx(padding_idx, num)
    _check_range(idx, num)
    if max_norm is not None:
        _renorm_(weight, idx, max_norm, norm_type)

    # which bag each index falls in; with include_last_offset, entries past the last
    # offset belong to no bag
    end = idx.size
    if input.ndim == 1 and include_last_offset:
        end = int(offsets._data[-1])
    pos = xp.arange(idx.size)
    bag = xp.searchsorted(starts, pos, side="right") - 1
    keep = (pos < end) & (bag >= 0)
    if padding_idx is not None:
        keep &= idx != padding_idx
    keep_pos = xp.nonzero(keep)[0]
    idx_k, bag_k = idx[keep_pos], bag[keep_pos]
    dim = weight.shape[1]
    rows = Embedding.apply(weight, Tensor._make(idx_k),
                           scale_grad_by_freq=scale_grad_by_freq and mode != "max")
    if mode == "max":
        return _bag_max(rows, bag_k, nbags, weight)
    if per_sample_weights is not None:
        psw = per_sample_weights[Tensor._make(keep_pos)]
        rows = rows * psw.to(rows.dtype).unsqueeze(1)
    out = ops.zeros((nbags, dim), dtype=weight.dtype, device=weight.device)
    out = out.index_add(0, Tensor._make(bag_k), rows)
    if mode == "mean":
        counts = xp.bincount(bag_k, minlength=nbags)[:nbags] if bag_k.size else \
            xp.zeros(nbags, dtype=idx.dtype)
        inv = (1.0 / xp.maximum(counts, 1)).astype(weight._data.dtype)
        out = out * Tensor._make(inv[:, None])
    return out


def _bag_max(rows: Tensor, bag, nbags: int, weight: Tensor) -> Tensor:
    """Per-bag, per-feature maximum of rows (bags contiguous and in order); zeros if empty."""
    xp = xp_of(bag)
    dim = weight.shape[1]
    counts = xp.bincount(bag, minlength=nbags)[:nbags] if bag.size else \
        xp.zeros(nbags, dtype=xp.int64)
    width = int(counts.max()) if nbags and bag.size else 0
    if width == 0:
        return ops.zeros((nbags, dim), dtype=weight.dtype, device=weight.device)
    first = xp.concatenate([xp.zeros(1, dtype=counts.dtype), xp.cumsum(counts)[:-1]])
    slot = xp.arange(bag.size) - first[bag]
    # dense (nbags, width) table of row numbers; missing slots point at a -inf sentinel row
    table = xp.full((nbags, width), bag.size, dtype=xp.int64)
    table[bag, slot] = xp.arange(bag.size)
    sentinel = ops.full((1, dim), float("-inf"), dtype=weight.dtype, device=weight.device)
    ext = ops.cat([rows, sentinel], 0)
    best = ext[Tensor._make(table)].amax(1)
    empty = Tensor._make((counts == 0)[:, None])
    return ops.where(empty, ops.zeros((), dtype=weight.dtype, device=weight.device), best)
