"""ctc_loss: the connectionist temporal classification loss. The alpha-beta recursions run
in log space on raw arrays, vectorised over the batch; the gradient is scattered back onto
the classes with the device's scatter-add."""
from __future__ import annotations

import numpy as np

from ..._device import runs_on, scatter_add, xp_of
from ..._tensor import Tensor
from ...autograd.function import Function, autocast_fp32

__all__ = ["ctc_loss"]


def _lse(*arrays):
    """log(sum(exp(a))) over several same-shape arrays, -inf safe."""
    xp = xp_of(arrays[0])
    m = arrays[0]
    for a in arrays[1:]:
        m = xp.maximum(m, a)
    ms = xp.where(xp.isfinite(m), m, 0)
    s = sum(xp.exp(a - ms) for a in arrays)
    with np.errstate(divide="ignore"):
        return xp.log(s) + ms


class CTC(Function):
    """Connectionist temporal classification: -log p(target | log_probs), per batch element.

    forward(log_probs (T, N, C), targets (N, S) padded ints, input_lengths (N), target_lengths
    (N)) returns the (N,) negative log-likelihoods. The alpha and beta recursions run in log
    space over the extended label sequence (blanks between labels), vectorised over the
    batch; backward is torch's (see ctc_loss).
    """

    def forward(self, lp, targets, in_len, tg_len, *, blank, zero_infinity):
        xp = xp_of(lp)
        T, N, C = lp.shape
        lpd = lp.astype(np.float64)
        L = int(tg_len.max()) if N else 0
        S = 2 * L + 1
        ext = xp.full((N, S), blank, dtype=np.int64)
        if L:
            ext[:, 1::2] = targets[:, :L]
        s_idx = xp.arange(S)
        s_len = 2 * tg_len + 1  # extended length per batch element
        in_ext = s_idx[None, :] < s_len[:, None]
        # s may also come from s - 2 when the label differs from the one two steps back
        skip = xp.zeros((N, S), dtype=bool)
        skip[:, 2:] = (ext[:, 2:] != blank) & (ext[:, 2:] != ext[:, :-2])
        skip_next = xp.zeros((N, S), dtype=bool)  # s + 2 may follow s
        skip_next[:, :-2] = skip[:, 2:]
        ninf = -np.inf
        rows = xp.arange(N)[:, None]
        emit = lpd[:, rows, ext]  # (T, N, S): log prob of each extended label at each time
        alpha = xp.full((T, N, S), ninf)
        a0 = xp.full((N, S), ninf)
        a0[:, 0] = emit[0, :, 0] if T else ninf
        if S > 1 and T:
            a0[:, 1] = xp.where(tg_len > 0, emit[0, :, 1], ninf)
        if T:
            alpha[0] = xp.where(in_ext, a0, ninf)
        for t in range(1, T):
            prev = alpha[t - 1]
            p1 = xp.full_like(prev, ninf)
            p1[:, 1:] = prev[:, :-1]
            p2 = xp.full_like(prev, ninf)
            p2[:, 2:] = xp.where(skip[:, 2:], prev[:, :-2], ninf)
            alpha[t] = xp.where(in_ext, _lse(prev, p1, p2) + emit[t], ninf)
        last_t = xp.maximum(in_len - 1, 0)
        a_last = alpha[last_t, xp.arange(N)]  # (N, S)
        end1 = a_last[xp.arange(N), s_len - 1]
        end2 = xp.where(tg_len > 0, a_last[xp.arange(N), xp.maximum(s_len - 2, 0)], ninf)
        nll = -_lse(end1, end2)
        nll = xp.where(in_len > 0, nll, xp.where(tg_len > 0, np.inf, 0.0))
        # beta, from each element's own last time step backwards
        beta = xp.full((T, N, S), ninf)
        b_init = xp.full((N, S), ninf)
        b_init[xp.arange(N), s_len - 1] = 0.0
        b_init[xp.arange(N), xp.maximum(s_len - 2, 0)] = xp.where(
            tg_len > 0, 0.0, b_init[xp.arange(N), xp.maximum(s_len - 2, 0)])
        nxt = None
        for t in range(T - 1, -1, -1):
            start = (last_t == t)[:, None]
            if nxt is None:
                rec = xp.full((N, S), ninf)
            else:
                n1 = xp.full_like(nxt, ninf)
                n1[:, :-1] = nxt[:, 1:]
                n2 = xp.full_like(nxt, ninf)
                n2[:, :-2] = xp.where(skip_next[:, :-2], nxt[:, 2:], ninf)
                rec = _lse(nxt, n1, n2)
            cur = xp.where(start, b_init, xp.where((t < last_t)[:, None], rec, ninf))
            cur = xp.where(in_ext, cur + emit[t], ninf)
            beta[t] = cur
            nxt = cur
        self.shape, self.dtype = lp.shape, lp.dtype
        self.alpha, self.beta, self.ext, self.lpd, self.nll = alpha, beta, ext, lpd, nll
        self.in_len, self.zero_inf = in_len, zero_infinity
        out = nll
        if zero_infinity:
            out = xp.where(xp.isinf(nll), 0.0, nll)
        return out.astype(lp.dtype)

    def backward(self, g):
        xp = xp_of(self.lpd)
        T, N, C = self.shape
        ab = self.alpha + self.beta  # (T, N, S): log(alpha * beta), each includes emit once
        # log sum over the extended positions s carrying class c, per (t, n, c)
        m = ab.max(axis=2, keepdims=True) if ab.size else xp.zeros((T, N, 1))
        m = xp.where(xp.isfinite(m), m, 0)
        acc = xp.zeros((T, N, C))
        if ab.size:
            e = xp.exp(ab - m)
            idx = xp.broadcast_to(self.ext[None], ab.shape)
            tt = xp.broadcast_to(xp.arange(T)[:, None, None], ab.shape)
            nn = xp.broadcast_to(xp.arange(N)[None, :, None], ab.shape)
            scatter_add(xp, acc, (tt, nn, idx), e)
        finite = xp.isfinite(self.nll)
        nll = xp.where(finite, self.nll, 0.0)[None, :, None]
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            # torch's gradient: softmax(log_probs) minus the label posterior, i.e. the
            # gradient in the logits of a log_softmax that produced log_probs
            grad = xp.exp(self.lpd) - xp.exp(xp.log(acc) + m - self.lpd + nll)
        # an impossible alignment (infinite loss) gives nan, or 0 under zero_infinity
        grad = xp.where(finite[None, :, None], grad, 0.0 if self.zero_inf else np.nan)
        valid_t = xp.arange(T)[:, None] < self.in_len[None, :]
        grad = xp.where(valid_t[:, :, None], grad, 0.0)
        gt = Tensor._make(grad.astype(self.dtype))
        return gt * g.reshape(1, N, 1), None, None, None


def _lengths(v, n: int, name: str, xp):
    if isinstance(v, Tensor):
        arr = v._data
    else:
        arr = np.asarray(v)
    arr = xp.asarray(arr).astype(np.int64).reshape(-1)
    if arr.shape[0] != n:
        raise RuntimeError(f"{name} must be of size batch_size")
    return arr


@autocast_fp32
@runs_on(0)
def ctc_loss(log_probs: Tensor, targets: Tensor, input_lengths, target_lengths, blank: int = 0,
             reduction: str = "mean", zero_infinity: bool = False) -> Tensor:
    """ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction='mean',
    zero_infinity=False).

    log_probs (T, N, C) or (T, C); targets (N, S) padded or 1-D concatenated; lengths as
    tensors, lists or tuples. 'mean' divides each loss by its target length, then averages.

    The gradient is torch's: exp(log_probs) minus the label posterior, not the literal
    d loss / d log_probs (which lacks the first term). When log_probs = log_softmax(logits)
    both give the same logits gradient: each row of the difference sums to 0, and
    log_softmax's backward passes such rows through unchanged. It is 0 after each input length,
    nan for an infinite loss (0 with zero_infinity), and has no second derivative.
    """
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    unbatched = log_probs.ndim == 2
    if unbatched:
        log_probs = log_probs.unsqueeze(1)
        targets = targets.unsqueeze(0) if targets.ndim == 1 else targets
    if log_probs.ndim != 3:
        raise RuntimeError(f"ctc_loss: expected log_probs to be 2-D or 3-D, got "
                           f"{log_probs.ndim}-D")
    T, N, C = log_probs.shape
    xp = xp_of(log_probs._data)
    in_len = _lengths(input_lengths, N, "input_lengths", xp)
    tg_len = _lengths(target_lengths, N, "target_lengths", xp)
    if not 0 <= blank < C:
        raise RuntimeError("blank must be in label range")
    if in_len.size and int(in_len.max()) > T:
        raise RuntimeError(f"Expected input_lengths to have value at most {T}, but got value "
                           f"{int(in_len.max())} (while checking arguments for "
                           f"ctc_loss_allocate_outputs)")
    tg = xp.asarray(targets._data).astype(np.int64)
    L = int(tg_len.max()) if N else 0
    if targets.ndim == 1:  # concatenated targets
        if int(tg_len.sum()) > tg.shape[0]:
            raise RuntimeError("ctc_loss: targets are shorter than the sum of target_lengths")
        padded = xp.full((N, max(L, 1)), blank, dtype=np.int64)
        offs = np.concatenate([[0], np.cumsum(np.asarray(tg_len.tolist()))])
        for i in range(N):
            padded[i, :int(tg_len[i])] = tg[int(offs[i]):int(offs[i + 1])]
        tg = padded
    elif tg.shape[1] < L:
        raise RuntimeError(f"Expected tensor to have size at least {L} at dimension 1, but got "
                           f"size {tg.shape[1]} for argument #2 'targets' (while checking "
                           f"arguments for ctc_loss_allocate_outputs)")
    loss = CTC.apply(log_probs, tg, in_len, tg_len, blank=blank, zero_infinity=zero_infinity)
    if reduction == "none":
        return loss.squeeze(0) if unbatched else loss
    if reduction == "sum":
        return loss.sum()
    denom = Tensor._make(xp.maximum(tg_len, 1).astype(log_probs._data.dtype))
    return (loss / denom).mean()
