"""Activation functions, softmax family, scaled_dot_product_attention and multi-head attention.

torch's top-level activations (relu, sigmoid, tanh, threshold, selu, celu, hardshrink, prelu,
softmax) live in dpt/ops and are re-exported here (F.relu and F.softmax wrap them to add
torch.nn.functional's extra arguments). Each piecewise or saturating activation is one
Function: forward on raw arrays, backward
``grad * f'(x)`` with f' written in dpt ops (constant masks for the piecewise parts), so
double backward works. Smooth compositions (softsign, tanhshrink, glu) use dpt ops directly.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from ... import ops
from ..._device import xp_of
from ..._tensor import Tensor, _wrap_dim
from ...ops.activation import (_check, _const, _Elu, _maybe_inplace, _Pointwise, _Shrink, celu,
                               celu_, hardshrink, prelu, selu, selu_, threshold, threshold_)
from ...ops.pointwise import sigmoid, tanh
from ...ops.special_functions import _special
from .dropout import dropout

__all__ = ["threshold", "threshold_", "relu", "relu_", "relu6", "hardtanh", "hardtanh_",
           "leaky_relu", "leaky_relu_", "prelu", "elu", "elu_", "selu", "selu_", "celu", "celu_",
           "gelu", "silu", "mish", "sigmoid", "tanh", "softplus", "softsign", "softshrink",
           "hardshrink", "tanhshrink", "hardsigmoid", "hardswish", "glu", "logsigmoid",
           "softmax", "log_softmax", "softmin", "scaled_dot_product_attention",
           "multi_head_attention_forward"]

class _Hardtanh(_Pointwise):
    @staticmethod
    def f(xp, x, lo, hi):
        return xp.clip(x, lo, hi)

    @staticmethod
    def df(x, lo, hi):
        a = x._data
        return _const(((a > lo) & (a < hi)).astype(a.dtype))


class _LeakyRelu(_Pointwise):
    @staticmethod
    def f(xp, x, slope):
        return xp.where(x > 0, x, x * slope)

    @staticmethod
    def df(x, slope):
        a = x._data
        return _const(xp_of(a).where(a > 0, 1.0, slope).astype(a.dtype))


class _Gelu(_Pointwise):
    @staticmethod
    def f(xp, x, approximate):
        if approximate == "tanh":
            k = math.sqrt(2 / math.pi)
            return 0.5 * x * (1 + xp.tanh(k * (x + 0.044715 * x ** 3)))
        return 0.5 * x * (1 + _special(xp.asarray(x * (1 / math.sqrt(2))), "erf"))

    @staticmethod
    def df(x, approximate):
        if approximate == "tanh":
            k = math.sqrt(2 / math.pi)
            t = ops.tanh(k * (x + 0.044715 * x ** 3))
            return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * (k * (1 + 3 * 0.044715 * x * x))
        cdf = 0.5 * (1 + ops.erf(x * (1 / math.sqrt(2))))
        pdf = ops.exp(-0.5 * x * x) * (1 / math.sqrt(2 * math.pi))
        return cdf + x * pdf


class _Silu(_Pointwise):
    @staticmethod
    def f(xp, x):
        return x * _np_sigmoid(xp, x)

    @staticmethod
    def df(x):
        s = ops.sigmoid(x)
        return s * (1 + x * (1 - s))


class _Mish(_Pointwise):
    @staticmethod
    def f(xp, x):
        return x * xp.tanh(_np_softplus(xp, x))

    @staticmethod
    def df(x):
        t = ops.tanh(_softplus_t(x))
        return t + x * ops.sigmoid(x) * (1 - t * t)


class _Softplus(_Pointwise):
    @staticmethod
    def f(xp, x, beta, th):
        return xp.where(x * beta > th, x, _np_softplus(xp, x * beta) / beta)

    @staticmethod
    def df(x, beta, th):
        lin = _const(x._data * beta > th)
        return ops.where(lin, 1.0, ops.sigmoid(x * beta))


class _LogSigmoid(_Pointwise):
    @staticmethod
    def f(xp, x):
        return -_np_softplus(xp, -x)

    @staticmethod
    def df(x):
        return ops.sigmoid(-x)


class _Hardsigmoid(_Pointwise):
    @staticmethod
    def f(xp, x):
        return xp.clip(x / 6 + 0.5, 0, 1)

    @staticmethod
    def df(x):
        a = x._data
        return _const(((a > -3) & (a < 3)).astype(a.dtype) / 6)


class _Hardswish(_Pointwise):
    @staticmethod
    def f(xp, x):
        return x * xp.clip(x + 3, 0, 6) / 6

    @staticmethod
    def df(x):
        a = x._data
        mid = _const((a >= -3) & (a <= 3))
        hi = _const((a > 3).astype(a.dtype))
        return ops.where(mid, (2 * x + 3) / 6, hi)


def _np_sigmoid(xp, x):
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1 / (1 + e), e / (1 + e))


def _np_softplus(xp, x):
    """log(1 + exp(x)) without overflow."""
    return xp.maximum(x, 0) + xp.log1p(xp.exp(-xp.abs(x)))


def _softplus_t(x: Tensor) -> Tensor:
    return softplus(x)


# ---- public functions ------------------------------------------------------------------
def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """relu(input, inplace=False): max(x, 0)."""
    _check(input, "relu", floating=False)
    return input.relu_() if inplace else ops.relu(input)


def relu_(input: Tensor) -> Tensor:
    return relu(input, inplace=True)


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    """hardtanh(input, min_val=-1., max_val=1., inplace=False): x clipped to [min_val, max_val]."""
    _check(input, "hardtanh", floating=False)
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _maybe_inplace(input, _Hardtanh.apply(input, min_val, max_val), inplace, "hardtanh")


def hardtanh_(input: Tensor, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
    return hardtanh(input, min_val, max_val, inplace=True)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """relu6(input, inplace=False): min(max(0, x), 6)."""
    return hardtanh(input, 0.0, 6.0, inplace)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """leaky_relu(input, negative_slope=0.01, inplace=False): x if x > 0 else negative_slope * x."""
    _check(input, "leaky_relu")
    return _maybe_inplace(input, _LeakyRelu.apply(input, negative_slope), inplace, "leaky_relu")


def leaky_relu_(input: Tensor, negative_slope: float = 0.01) -> Tensor:
    return leaky_relu(input, negative_slope, inplace=True)


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """elu(input, alpha=1.0, inplace=False): x if x > 0 else alpha * (exp(x) - 1)."""
    _check(input, "elu")
    return _maybe_inplace(input, _Elu.apply(input, alpha, 1.0, 1.0), inplace, "elu")


def elu_(input: Tensor, alpha: float = 1.0) -> Tensor:
    return elu(input, alpha, inplace=True)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """gelu(input, approximate='none'): x * Phi(x); approximate='tanh' uses the tanh formula."""
    _check(input, "gelu")
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    return _Gelu.apply(input, approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """silu(input, inplace=False): x * sigmoid(x)."""
    _check(input, "silu")
    return _maybe_inplace(input, _Silu.apply(input), inplace, "silu")


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """mish(input, inplace=False): x * tanh(softplus(x))."""
    _check(input, "mish")
    return _maybe_inplace(input, _Mish.apply(input), inplace, "mish")


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """softplus(input, beta=1.0, threshold=20.0): log(1 + exp(beta * x)) / beta, and x itself
    where beta * x > threshold."""
    _check(input, "softplus")
    return _Softplus.apply(input, beta, threshold)


def softsign(input: Tensor) -> Tensor:
    """softsign(input): x / (1 + |x|)."""
    _check(input, "softsign")
    return input / (input.abs() + 1)


def softshrink(input: Tensor, lambd: float = 0.5) -> Tensor:
    """softshrink(input, lambd=0.5): x - lambd if x > lambd, x + lambd if x < -lambd, else 0."""
    _check(input, "softshrink")
    if lambd < 0:
        raise RuntimeError(f"softshrink: lambda must be greater or equal to 0, but found to be "
                           f"{float(lambd)}.")
    return _Shrink.apply(input, lambd, True)


def tanhshrink(input: Tensor) -> Tensor:
    """tanhshrink(input): x - tanh(x)."""
    _check(input, "tanhshrink")
    return input - ops.tanh(input)


def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """hardsigmoid(input, inplace=False): 0 if x <= -3, 1 if x >= 3, else x / 6 + 1 / 2."""
    _check(input, "hardsigmoid")
    return _maybe_inplace(input, _Hardsigmoid.apply(input), inplace, "hardsigmoid")


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """hardswish(input, inplace=False): x * relu6(x + 3) / 6."""
    _check(input, "hardswish")
    return _maybe_inplace(input, _Hardswish.apply(input), inplace, "hardswish")


def glu(input: Tensor, dim: int = -1) -> Tensor:
    """glu(input, dim=-1): a * sigmoid(b) where a, b are the halves of input along dim."""
    _check(input, "glu")
    if input.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = _wrap_dim(dim, input.ndim, "glu")
    n = input.shape[d]
    if n % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size {n}")
    a, b = input.split(n // 2, d)
    return a * ops.sigmoid(b)


def logsigmoid(input: Tensor) -> Tensor:
    """logsigmoid(input): log(1 / (1 + exp(-x))), computed without overflow."""
    _check(input, "log_sigmoid_forward")
    return _LogSigmoid.apply(input)


# ---- softmax family ----------------------------------------------------------------------
def _get_softmax_dim(name: str, ndim: int, stacklevel: int) -> int:
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call "
                  f"to include dim=X as an argument.", UserWarning, stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """softmax(input, dim=None, _stacklevel=3, dtype=None): exp(x_i) / sum_j exp(x_j) along dim.

    dim=None picks a dimension as torch does (0 for 0-, 1- and 3-d input, else 1) and warns.
    """
    if dim is None:
        dim = _get_softmax_dim("softmax", input.ndim, _stacklevel)
    return ops.softmax(input, dim, dtype=dtype)


def log_softmax(input: Tensor, dim: int | None = None, _stacklevel: int = 3,
                dtype=None) -> Tensor:
    """log_softmax(input, dim=None, _stacklevel=3, dtype=None): log(softmax(x)) along dim."""
    if dim is None:
        dim = _get_softmax_dim("log_softmax", input.ndim, _stacklevel)
    return ops.log_softmax(input, dim, dtype=dtype)


def softmin(input: Tensor, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:
    """softmin(input, dim=None, _stacklevel=3, dtype=None): softmax(-x) along dim."""
    if dim is None:
        dim = _get_softmax_dim("softmin", input.ndim, _stacklevel)
    if dtype is not None:
        input = input.to(dtype)
    return ops.softmax(-input, dim)


# ---- attention ---------------------------------------------------------------------------
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
    (L, E). Returns (attn_output, attn_weights or None). static_k/static_v are not supported."""
    from .linear import linear

    if static_k is not None or static_v is not None:
        raise NotImplementedError("multi_head_attention_forward: static_k/static_v are not "
                                  "supported by dpt")
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
        k = ops.cat([k, bias_k.expand(1, bsz, embed_dim)])
        v = ops.cat([v, bias_v.expand(1, bsz, embed_dim)])
        attn_mask = _pad_last(attn_mask)
        key_padding_mask = _pad_last(key_padding_mask)
    # (L, N, E) -> (N * H, L, head_dim)
    q = q.reshape(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    k = k.reshape(k.shape[0], bsz * num_heads, head_dim).transpose(0, 1)
    v = v.reshape(v.shape[0], bsz * num_heads, head_dim).transpose(0, 1)
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
        scores = (q * (1 / math.sqrt(head_dim))) @ k.mT
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
                                           attn_mask, dropout_p)
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


def _pad_last(mask):
    """Append one zero (= not masked) column to an additive mask."""
    if mask is None:
        return None
    z = ops.zeros(tuple(mask.shape[:-1]) + (1,), dtype=mask.dtype, device=mask.device)
    return ops.cat([mask, z], -1)
