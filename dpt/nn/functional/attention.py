"""Attention: scaled_dot_product_attention and multi_head_attention_forward (the functional
core of nn.MultiheadAttention), written with dpt ops so that every gradient is differentiable.
"""
from __future__ import annotations

import math

import numpy as np

from ... import ops
from ..._device import runs_on, xp_of
from ..._tensor import Tensor
from ...ops.activation import _const
from .dropout import dropout
from .linear import linear

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]


@runs_on(0)
def _safe_softmax(scores: Tensor) -> Tensor:
    """softmax over the last dim; rows whose every score is -inf give 0 instead of nan."""
    a = scores._data
    dead = (a == -np.inf).all(-1, keepdims=True) if a.size else None
    if dead is None or not bool(dead.any()):
        return ops.softmax(scores, -1)
    dead = _const(dead)
    return ops.where(dead, 0.0, ops.softmax(ops.where(dead, 0.0, scores), -1))


def scaled_dot_product_attention(query: Tensor, key: Tensor, value: Tensor, attn_mask=None,
                                 dropout_p: float = 0.0, is_causal: bool = False, scale=None,
                                 enable_gqa: bool = False) -> Tensor:
    """scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
    is_causal=False, scale=None, enable_gqa=False): softmax(q k^T * scale + mask) v.

    query (..., L, E), key (..., S, E), value (..., S, Ev). A bool attn_mask marks the
    positions that MAY attend (True = keep); a float mask is added to the scores. Rows
    with no allowed position give zeros (torch's math backend). Dropout is always applied
    when dropout_p > 0 (the function has no training flag, as in torch).
    """
    for name, t in (("query", query), ("key", key), ("value", value)):
        if not isinstance(t, Tensor):
            raise TypeError(f"scaled_dot_product_attention(): argument '{name}' must be Tensor, "
                            f"not {type(t).__name__}")
    if query.ndim < 2 or key.ndim < 2 or value.ndim < 2:
        raise RuntimeError("scaled_dot_product_attention: query, key and value must be at least "
                           "2-D")
    if query.shape[-1] != key.shape[-1]:
        raise RuntimeError(f"scaled_dot_product_attention: query and key must have the same "
                           f"embedding size, got {query.shape[-1]} and {key.shape[-1]}")
    if key.shape[-2] != value.shape[-2]:
        raise RuntimeError(f"scaled_dot_product_attention: key and value must have the same "
                           f"sequence length, got {key.shape[-2]} and {value.shape[-2]}")
    if enable_gqa and query.ndim >= 3 and key.shape[-3] != query.shape[-3]:
        hq, hk = query.shape[-3], key.shape[-3]
        if hq % hk:
            raise RuntimeError(f"number of heads in key/value ({hk}) must divide the number of "
                               f"heads in query ({hq})")
        key, value = _repeat_heads(key, hq // hk), _repeat_heads(value, hq // hk)
    L, S = query.shape[-2], key.shape[-2]
    s = 1 / math.sqrt(query.shape[-1]) if scale is None else scale
    scores = (query @ key.mT) * s
    xp = xp_of(query._data)
    if is_causal:
        if attn_mask is not None:
            raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be "
                               "set when is_causal=True")
        attn_mask = _const(xp.tril(xp.ones((L, S), dtype=bool)))
    if attn_mask is not None:
        if attn_mask.dtype.name == "bool":
            scores = scores.masked_fill(~attn_mask, float("-inf"))
        else:
            scores = scores + attn_mask
    attn = _safe_softmax(scores)
    if dropout_p > 0.0:
        attn = dropout(attn, dropout_p, training=True)
    return attn @ value


def _repeat_heads(t: Tensor, r: int) -> Tensor:
    """(..., H, S, E) -> (..., H * r, S, E), each head repeated r times in a row."""
    shape = tuple(t.shape)
    e = t.unsqueeze(-3).expand(shape[:-2] + (r,) + shape[-2:])
    return e.reshape(shape[:-3] + (shape[-3] * r,) + shape[-2:])


@runs_on(0)
def _float_mask(mask, dtype, name: str):
    """A bool mask (True = masked out) as an additive float mask of -inf/0; floats pass through."""
    if mask is None:
        return None
    if mask.dtype.name == "bool":
        xp = xp_of(mask._data)
        return _const(xp.where(mask._data, -np.inf, 0.0).astype(dtype.np))
    if mask.dtype.category != 2:
        raise AssertionError(f"only bool and floating types of {name} are supported")
    return mask


def multi_head_attention_forward(query, key, value, embed_dim_to_check: int, num_heads: int,
                                 in_proj_weight, in_proj_bias, bias_k, bias_v,
                                 add_zero_attn: bool, dropout_p: float, out_proj_weight,
                                 out_proj_bias, training: bool = True, key_padding_mask=None,
                                 need_weights: bool = True, attn_mask=None,
                                 use_separate_proj_weight: bool = False, q_proj_weight=None,
                                 k_proj_weight=None, v_proj_weight=None, static_k=None,
                                 static_v=None, average_attn_weights: bool = True,
                                 is_causal: bool = False):
    """torch's F.multi_head_attention_forward on sequence-first inputs (L, N, E) or unbatched
    (L, E). Returns (attn_output, attn_weights or None). static_k/static_v (N * H, S,
    head_dim) replace the projected keys/values."""
    batched = query.ndim == 3
    if query.ndim not in (2, 3):
        raise AssertionError(f"query should be unbatched 2D or batched 3D tensor but received "
                             f"{query.ndim}-D query tensor")
    if key.ndim != query.ndim or value.ndim != query.ndim:
        raise AssertionError(f"For {'batched' if batched else 'unbatched'} (3-D `query`), "
                             f"expected `key` and `value` to be {query.ndim}-D, but found "
                             f"{key.ndim}-D and {value.ndim}-D tensors respectively")
    if not batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    src_len = key.shape[0]
    if embed_dim != embed_dim_to_check:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim_to_check}, but "
                             f"got {embed_dim}")
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if key.shape[:2] != value.shape[:2]:
        raise AssertionError(f"key shape {tuple(key.shape)} does not match value shape "
                             f"{tuple(value.shape)}")
    if is_causal and attn_mask is None:
        raise RuntimeError("Need attn_mask if specifying the is_causal hint. You may use the "
                           "Transformer module method `generate_square_subsequent_mask` to create "
                           "this mask.")
    # torch trusts the hint only where the fused kernel runs (no padding mask, no weights):
    # the mask is dropped for sdpa's own causal one; elsewhere the given mask is used
    causal = is_causal and key_padding_mask is None and not need_weights
    if causal:
        attn_mask = None
    dt = query.dtype
    # input projections
    if not use_separate_proj_weight:
        w_q, w_k, w_v = in_proj_weight.chunk(3)
    else:
        w_q, w_k, w_v = q_proj_weight, k_proj_weight, v_proj_weight
    b_q = b_k = b_v = None
    if in_proj_bias is not None:
        b_q, b_k, b_v = in_proj_bias.chunk(3)
    q = linear(query, w_q, b_q)
    k = linear(key, w_k, b_k)
    v = linear(value, w_v, b_v)
    attn_mask = _float_mask(attn_mask, dt, "attn_mask")
    key_padding_mask = _float_mask(key_padding_mask, dt, "key_padding_mask")
    if attn_mask is not None:
        if attn_mask.ndim == 2:
            if tuple(attn_mask.shape) != (tgt_len, src_len):
                raise RuntimeError(f"The shape of the 2D attn_mask is {tuple(attn_mask.shape)}, "
                                   f"but should be {(tgt_len, src_len)}.")
            attn_mask = attn_mask.unsqueeze(0)
        elif attn_mask.ndim == 3:
            if tuple(attn_mask.shape) != (bsz * num_heads, tgt_len, src_len):
                raise RuntimeError(f"The shape of the 3D attn_mask is {tuple(attn_mask.shape)}, "
                                   f"but should be {(bsz * num_heads, tgt_len, src_len)}.")
        else:
            raise RuntimeError(f"attn_mask's dimension {attn_mask.ndim} is not supported")
    if bias_k is not None and bias_v is not None:
        if static_k is not None or static_v is not None:
            raise AssertionError(f"bias cannot be added to static "
                                 f"{'key' if static_k is not None else 'value'}.")
        k = ops.cat([k, bias_k.expand(1, bsz, embed_dim)])
        v = ops.cat([v, bias_v.expand(1, bsz, embed_dim)])
        attn_mask = _pad_last(attn_mask)
        key_padding_mask = _pad_last(key_padding_mask)
    # (L, N, E) -> (N * H, L, head_dim)
    q = q.reshape(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    k = _heads(k, bsz, num_heads, head_dim, static_k, "static_k")
    v = _heads(v, bsz, num_heads, head_dim, static_v, "static_v")
    if add_zero_attn:
        z = ops.zeros((bsz * num_heads, 1, head_dim), dtype=dt, device=q.device)
        k, v = ops.cat([k, z], 1), ops.cat([v, z], 1)
        attn_mask = _pad_last(attn_mask)
        key_padding_mask = _pad_last(key_padding_mask)
    s_len = k.shape[1]
    if key_padding_mask is not None:
        if tuple(key_padding_mask.shape) != (bsz, s_len):
            raise AssertionError(f"expecting key_padding_mask shape of {(bsz, s_len)}, but got "
                                 f"{tuple(key_padding_mask.shape)}")
        kpm = key_padding_mask.reshape(bsz, 1, 1, s_len).expand(bsz, num_heads, 1, s_len)
        kpm = kpm.reshape(bsz * num_heads, 1, s_len)
        attn_mask = kpm if attn_mask is None else attn_mask + kpm
    if not training:
        dropout_p = 0.0
    if need_weights:
        scores = (q * math.sqrt(1.0 / head_dim)) @ k.mT
        if attn_mask is not None:
            scores = scores + attn_mask
        weights = ops.softmax(scores, -1)
        if dropout_p > 0.0:
            weights = dropout(weights, dropout_p)
        out = weights @ v
    else:
        if attn_mask is not None:
            attn_mask = attn_mask.expand(attn_mask.shape[0], tgt_len, s_len)
            if attn_mask.shape[0] == 1:
                attn_mask = attn_mask.squeeze(0)
            else:
                attn_mask = attn_mask.reshape(bsz, num_heads, tgt_len, s_len)
        out = scaled_dot_product_attention(q.reshape(bsz, num_heads, tgt_len, head_dim),
                                           k.reshape(bsz, num_heads, s_len, head_dim),
                                           v.reshape(bsz, num_heads, s_len, head_dim),
                                           attn_mask, dropout_p, causal)
        out = out.reshape(bsz * num_heads, tgt_len, head_dim)
        weights = None
    out = out.transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
    out = linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, embed_dim)
    if weights is not None:
        weights = weights.reshape(bsz, num_heads, tgt_len, s_len)
        if average_attn_weights:
            weights = weights.mean(1)
        if not batched:
            weights = weights.squeeze(0)
    if not batched:
        out = out.squeeze(1)
    return out, weights


def _heads(t, bsz, num_heads, head_dim, static, name):
    """(S, N, E) -> (N * H, S, head_dim), or the given static tensor of that shape."""
    if static is None:
        return t.reshape(t.shape[0], bsz * num_heads, head_dim).transpose(0, 1)
    if static.shape[0] != bsz * num_heads:
        raise AssertionError(f"expecting {name}.size(0) of {bsz * num_heads}, but got "
                             f"{static.shape[0]}")
    if static.shape[2] != head_dim:
        raise AssertionError(f"expecting {name}.size(2) of {head_dim}, but got "
                             f"{static.shape[2]}")
    return static


def _pad_last(mask):
    """Append one zero (= not masked) column to an additive mask."""
    if mask is None:
        return None
    z = ops.zeros(tuple(mask.shape[:-1]) + (1,), dtype=mask.dtype, device=mask.device)
    return ops.cat([mask, z], -1)
