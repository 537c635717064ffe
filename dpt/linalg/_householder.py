"""Householder reflectors in LAPACK's packed form: geqrf, linalg.householder_product, ormqr.

geqrf stores Q = H_1 ... H_k of A = QR as reflectors H_i = I - tau_i v_i v_i^H, v_i being 1 at
row i, A's column i below it and 0 above (LAPACK's dgeqrf/zgeqrf convention, from its dlarfg
choice beta = -sign(Re alpha) |(alpha, x)|). householder_product builds Q's first columns from
them and ormqr multiplies a matrix by Q or Q^H; both are compositions of dpt ops, so they are
differentiable (geqrf is not, as in torch).
"""
from __future__ import annotations

from .._device import runs_on, xp_of
from .._tensor import Tensor
from ..return_types import _result_type
from ._common import _TITLE, _ZeroGrad, _check, _const, _with_out

geqrf_result = _result_type("geqrf", ("a", "tau"))


@runs_on(0)
def _geqrf_raw(a):
    """Householder QR of a stack of matrices, column by column, vectorized over the batch."""
    xp = xp_of(a)
    a = a.copy()
    m, n = a.shape[-2:]
    k = min(m, n)
    tau = xp.zeros(a.shape[:-2] + (k,), a.dtype)
    for i in range(k):
        alpha = a[..., i, i].copy()
        x = a[..., i + 1:, i]
        xnorm = xp.sqrt((xp.abs(x) ** 2).sum(-1))
        # no reflection needed (H = I, tau = 0) when the column is already zero below i
        keep = (xnorm == 0) & (alpha.imag == 0)
        beta = -xp.copysign(xp.sqrt(xp.abs(alpha) ** 2 + xnorm ** 2), alpha.real)
        beta = xp.where(keep, 1, beta)
        diff = xp.where(keep, 1, alpha - beta)
        tau[..., i] = xp.where(keep, 0, (beta - alpha) / beta)
        a[..., i + 1:, i] = xp.where(keep[..., None], x, x / diff[..., None])
        a[..., i, i] = xp.where(keep, alpha, beta)
        if i + 1 < n:  # apply H_i^H to the columns on the right
            v = xp.concatenate([xp.ones(a.shape[:-2] + (1,), a.dtype), a[..., i + 1:, i]], -1)
            c = a[..., i:, i + 1:]
            w = (xp.conj(v)[..., :, None] * c).sum(-2)
            c -= xp.conj(tau[..., i])[..., None, None] * v[..., :, None] * w[..., None, :]
    return a, tau


def geqrf(input: Tensor, *, out=None):
    """geqrf(input) -> (a, tau): QR in LAPACK's packed form, R on and above a's diagonal and the
    Householder vectors below it (see householder_product). Not differentiable, as in torch."""
    if not isinstance(input, Tensor):
        raise TypeError(f"geqrf(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    if input.ndim < 2:
        raise RuntimeError("torch.geqrf: input must have at least 2 dimensions.")
    if input.dtype.category < 2 or input.dtype.name in ("float16", "bfloat16"):
        raise NotImplementedError(f'"geqrf_cpu" not implemented for '
                                  f"'{_TITLE.get(input.dtype.name, input.dtype.name)}'")
    a, tau = _geqrf_raw(input._data)
    return geqrf_result(_const(a), _const(tau))


@runs_on(0)
def _reflectors(input: Tensor, k: int) -> Tensor:
    """V: column i is the Householder vector v_i (1 at row i, input's column i below)."""
    m = input.shape[-2]
    xp = xp_of(input._data)
    return input[..., :, :k].tril(-1) + _const(xp.eye(m, k, dtype=input._data.dtype))


def _reflect(c: Tensor, v: Tensor, t: Tensor, left: bool) -> Tensor:
    """(I - t v v^H) c when left, else c (I - t v v^H); v (..., m), t (...)."""
    t = t[..., None, None]
    if left:
        return c - t * v[..., :, None] * (v.conj()[..., None, :] @ c)
    return c - t * (c @ v[..., :, None]) * v.conj()[..., None, :]


def _check_pair(op: str, input: Tensor, tau: Tensor) -> None:
    _check(input, op, name="input")
    if tau.ndim != input.ndim - 1:
        raise RuntimeError(f"{op}: Expected tau to have one dimension less than input, but got "
                           f"tau.ndim equal to {tau.ndim} and input.ndim is equal to {input.ndim}")
    if tuple(tau.shape[:-1]) != tuple(input.shape[:-2]):
        raise RuntimeError(f"{op}: Expected batch dimensions of tau to be equal to "
                           f"input.shape[:-2], but got {list(tau.shape[:-1])}")
    if tau.dtype is not input.dtype:
        raise RuntimeError(f"{op}: tau dtype {_TITLE.get(tau.dtype.name, tau.dtype.name)} does not "
                           f"match input dtype {_TITLE.get(input.dtype.name, input.dtype.name)}")


@runs_on(0)
def householder_product(A: Tensor, tau: Tensor, *, out=None) -> Tensor:
    """linalg.householder_product(A, tau): the first n columns of H_1 ... H_k, with
    H_i = I - tau_i v_i v_i^H and v_i read from A's column i below the diagonal (k =
    tau.shape[-1] <= n <= m). Differentiable in A and tau."""
    op = "torch.linalg.householder_product"
    if A.ndim < 2:
        raise RuntimeError(f"{op}: input must have at least 2 dimensions.")
    _check_pair(op, A, tau)
    m, n = A.shape[-2:]
    if m < n:
        raise RuntimeError(f"{op}: input.shape[-2] must be greater than or equal to "
                           f"input.shape[-1]")
    if n < tau.shape[-1]:
        raise RuntimeError(f"{op}: input.shape[-1] must be greater than or equal to "
                           f"tau.shape[-1]")
    k = tau.shape[-1]
    xp = xp_of(A._data)
    eye = xp.broadcast_to(xp.eye(m, n, dtype=A._data.dtype), A.shape)
    if k == 0:
        return _with_out(_ZeroGrad.apply(A, tau, value=eye.copy()), out)
    q = _const(eye)
    V = _reflectors(A, k)
    for i in reversed(range(k)):  # Q E = H_1 (H_2 (... (H_k E)))
        q = _reflect(q, V[..., :, i], tau[..., i], left=True)
    return _with_out(q, out)


def ormqr(input: Tensor, tau: Tensor, other: Tensor, left: bool = True,
          transpose: bool = False, *, out=None) -> Tensor:
    """ormqr(input, tau, other, left=True, transpose=False): other multiplied by Q = H_1 ... H_k
    (geqrf's reflectors in input and tau) on the left or right, Q^H when transpose.
    Differentiable in all three."""
    op = "torch.ormqr"
    if input.ndim < 2:
        raise RuntimeError(f"{op}: input must have at least 2 dimensions.")
    if other.ndim < 2:
        raise RuntimeError(f"{op}: other must have at least 2 dimensions.")
    side = -2 if left else -1
    if other.shape[side] != input.shape[-2]:
        raise RuntimeError(f"{op}: other.shape[{side}] must be equal to input.shape[-2]")
    if tau.shape[-1] != min(other.shape[side], input.shape[-1]):
        raise RuntimeError(f"{op}: tau.shape[-1] must be equal to min(other.shape[{side}], "
                           f"input.shape[-1])")
    if tau.ndim != input.ndim - 1:
        raise RuntimeError(f"{op}: Expected tau to have one dimension less than input, but got "
                           f"tau.ndim equal to {tau.ndim} and input.ndim is equal to {input.ndim}")
    if other.ndim != input.ndim:
        raise RuntimeError(f"{op}: Expected other to have the same number of dimensions as "
                           f"input, but got other.ndim equal to {other.ndim} and input.ndim is "
                           f"equal to {input.ndim}")
    if tuple(tau.shape[:-1]) != tuple(input.shape[:-2]):
        raise RuntimeError(f"{op}: Expected batch dimensions of tau to be equal to "
                           f"input.shape[:-2], but got {list(tau.shape[:-1])}")
    if tuple(other.shape[:-2]) != tuple(input.shape[:-2]):
        raise RuntimeError(f"{op}: Expected batch dimensions of other to be equal to "
                           f"input.shape[:-2], but got {list(other.shape[:-2])}")
    for name, t in (("tau", tau), ("other", other)):
        if t.dtype is not input.dtype:
            raise RuntimeError(f"{op}: Expected input and {name} to have the same dtype, but input "
                               f"has dtype{_TITLE.get(input.dtype.name)} and {name} has dtype "
                               f"{_TITLE.get(t.dtype.name, t.dtype.name)}")
    if input.dtype.category < 2 or input.dtype.name in ("float16", "bfloat16"):
        raise NotImplementedError(f'"ormqr_cpu" not implemented for '
                                  f"'{_TITLE.get(input.dtype.name, input.dtype.name)}'")
    k = tau.shape[-1]
    V = _reflectors(input, k)
    t = tau.conj() if transpose else tau
    # Q = H_1 ... H_k and Q^H = H_k^H ... H_1^H: the reflector nearest to other goes first.
    order = range(k) if left == bool(transpose) else reversed(range(k))
    c = other
    for i in order:
        c = _reflect(c, V[..., :, i], t[..., i], left)
    return _with_out(c if k else other.clone(), out)
