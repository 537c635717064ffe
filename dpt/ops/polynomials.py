"""Classical orthogonal polynomials of torch.special: Chebyshev (T, U, V, W and their shifted
forms on [0, 1]), Hermite (physicists' H, probabilists' He), Laguerre L and Legendre P.

Each takes (input, n) where either may be a number, broadcasts, and computes in the promoted
float dtype (integers and bools in the default dtype). As in torch, n is truncated to an
integer, a negative (or non-finite) n gives 0, values come from the three-term recurrence
(so they overflow to inf and then nan for large |x| and n) except that the Chebyshev
families switch to their trigonometric forms for |x| < 1 and larger n, and nothing is
differentiable: the result never requires grad. Deviation: a nan input gives nan for n >= 1
(torch's CPU kernel sometimes returns a neighbour's value there).
"""
from __future__ import annotations

import numpy as np

from .. import _dtype
from .._device import xp_of
from .._tensor import Tensor
from .arithmetic import _type_word, _with_out
from .pointwise import _float_binary

__all__ = ["chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v",
           "chebyshev_polynomial_w", "shifted_chebyshev_polynomial_t",
           "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
           "shifted_chebyshev_polynomial_w", "hermite_polynomial_h", "hermite_polynomial_he",
           "laguerre_polynomial_l", "legendre_polynomial_p"]


# ---- the recurrence, vectorised ------------------------------------------------------------
def _recurrence(x, n, first, step):
    """P_n(x) for arrays x, n (int64, n >= 2) of one shape, from P_0 = 1, P_1 = first(x) and
    P_{k+1} = step(k, x, P_k, P_{k-1}).

    Elements are sorted by degree so that the ones still running are always a suffix: the
    work is sum(n), not max(n) * size, as with torch's per-element loop."""
    xp = xp_of(x)
    order = xp.argsort(n)
    xs, ns = x[order], n[order]
    out = xp.empty_like(xs)
    p, q = xp.ones_like(xs), first(xs)
    start, k = 0, 1
    size = ns.shape[0]
    while start < size:
        stop = int(xp.searchsorted(ns, k, side="right"))
        done = stop - start  # these reached their degree k; the rest run on
        out[start:stop] = q[:done]
        if stop == size:
            break
        xs, p, q, start = xs[done:], p[done:], q[done:], stop
        if k % 64 == 0 and bool(xp.isnan(p).all()) and bool(xp.isnan(q).all()):
            out[start:] = np.nan  # overflowed into nan: every later step stays nan
            break
        p, q = q, step(k, xs, q, p)
        k += 1
    result = xp.empty_like(out)
    result[order] = out
    return result


def _evaluate(x, n, first, step, special=None):
    """The polynomial over broadcast x and (float) n: n < 0 -> 0, n == 0 -> 1, n == 1 ->
    first(x), then special(x, n) -> (mask, values) for closed forms, then the recurrence."""
    xp = xp_of(x)
    x, nf = xp.broadcast_arrays(x, n)
    finite = xp.isfinite(nf) & (xp.abs(nf) < 2.0 ** 63)
    n = xp.where(finite, xp.trunc(xp.where(finite, nf, -1)), -1).astype(np.int64)
    out = xp.where(n == 0, xp.ones((), x.dtype), xp.zeros((), x.dtype)).astype(x.dtype)
    todo = n >= 1
    if special is not None:
        done, values = special(x, n)
        done &= todo
        out = xp.where(done, values, out).astype(x.dtype, copy=False)
        todo &= ~done
    one = todo & (n == 1)
    out[one] = first(x[one])
    many = todo & (n >= 2)
    if many.any():
        out[many] = _recurrence(x[many], n[many], first, step)
    return out


def _polynomial(name: str, input, n, out, first, step, special=None) -> Tensor:
    a, b, rt = _float_binary(input, n, name)
    if rt.category != 2 or rt.name in ("float16", "bfloat16"):
        raise NotImplementedError(f"\"{name}_cpu\" not implemented for '{_type_word(rt)}'")
    like = (a if isinstance(a, Tensor) else b)._data
    xp = xp_of(like)
    x, nn = (xp.asarray(v._data if isinstance(v, Tensor) else v, dtype=rt.np) for v in (a, b))
    with np.errstate(all="ignore"):
        r = _evaluate(x, nn, first, step, special)
    return _with_out(Tensor._make(r), out, name)


# ---- Chebyshev polynomials ---------------------------------------------------------------------
def _chebyshev_step(k, x, q, p):
    return (x + x) * q - p


def _chebyshev_special(kind: str, trig_from: int):
    """Closed forms of the Chebyshev polynomial of the given kind: exact values at x = +-1, and
    for |x| < 1 and n > trig_from the trigonometric form in theta = acos(x)."""

    def special(x, n):
        xp = xp_of(n)  # x may be a numpy scalar (x + x - 1 of a 0-d array)
        m = n.astype(x.dtype)
        even = n % 2 == 0
        at_end = xp.abs(x) == 1
        up = x > 0
        if kind == "t":
            end = xp.where(up | even, 1, -1)
        elif kind == "u":
            end = xp.where(up | even, m + 1, -(m + 1))
        elif kind == "v":
            end = xp.where(up, 1, xp.where(even, m + m + 1, -(m + m + 1)))
        else:
            end = xp.where(up, m + m + 1, xp.where(even, 1, -1))
        inside = (xp.abs(x) < 1) & (n > trig_from)
        theta = xp.arccos(xp.where(inside, x, 0))
        if kind == "t":
            trig = xp.cos(m * theta)
        elif kind == "u":
            s = xp.sin(theta)
            trig = xp.where(s != 0, xp.sin((m + 1) * theta) / xp.where(s != 0, s, 1),
                            (m + 1) * xp.cos((m + 1) * theta) / x)
        elif kind == "v":
            trig = xp.cos((m + 0.5) * theta) / xp.cos(theta / 2)
        else:
            trig = xp.sin((m + 0.5) * theta) / xp.sin(theta / 2)
        return at_end | inside, xp.where(at_end, end, trig).astype(x.dtype, copy=False)

    return special


def _shifted_special(kind: str, trig_from: int):
    """Closed forms of the shifted polynomial P*(x) = P(2x - 1): exact at x = 1 and x = 0."""
    plain = _chebyshev_special(kind, trig_from)

    def special(x, n):
        return plain(x + x - 1, n)

    return special


_CHEBYSHEV_FIRST = {"t": lambda x: x, "u": lambda x: x + x, "v": lambda x: x + x - 1,
                    "w": lambda x: x + x + 1}


def _chebyshev(kind: str, trig_from: int, shifted: bool):
    first = _CHEBYSHEV_FIRST[kind]
    if shifted:
        name = f"shifted_chebyshev_polynomial_{kind}"
        special = _shifted_special(kind, trig_from)

        def f(x):
            return first(x + x - 1)

        def step(k, x, q, p):
            y = x + x - 1
            return (y + y) * q - p
    else:
        name = f"chebyshev_polynomial_{kind}"
        special, f, step = _chebyshev_special(kind, trig_from), first, _chebyshev_step

    def op(input, n, *, out=None) -> Tensor:
        return _polynomial(name, input, n, out, f, step, special)

    op.__name__ = op.__qualname__ = name
    op.__module__ = __name__
    return op


chebyshev_polynomial_t = _chebyshev("t", 6, False)
chebyshev_polynomial_u = _chebyshev("u", 8, False)
chebyshev_polynomial_v = _chebyshev("v", 8, False)
chebyshev_polynomial_w = _chebyshev("w", 8, False)
shifted_chebyshev_polynomial_t = _chebyshev("t", 6, True)
shifted_chebyshev_polynomial_u = _chebyshev("u", 6, True)
shifted_chebyshev_polynomial_v = _chebyshev("v", 6, True)
shifted_chebyshev_polynomial_w = _chebyshev("w", 4, True)

_KINDS = {"t": "first kind: T_n(cos t) = cos(n t)",
          "u": "second kind: U_n(cos t) = sin((n + 1) t) / sin t",
          "v": "third kind: V_n(cos t) = cos((n + 1/2) t) / cos(t / 2)",
          "w": "fourth kind: W_n(cos t) = sin((n + 1/2) t) / sin(t / 2)"}
for _kind, _text in _KINDS.items():
    globals()[f"chebyshev_polynomial_{_kind}"].__doc__ = (
        f"chebyshev_polynomial_{_kind}(input, n, *, out=None): the Chebyshev polynomial of the "
        f"{_text}.")
    globals()[f"shifted_chebyshev_polynomial_{_kind}"].__doc__ = (
        f"shifted_chebyshev_polynomial_{_kind}(input, n, *, out=None): the Chebyshev "
        f"polynomial of the {_kind.upper()} kind on [0, 1], "
        f"chebyshev_polynomial_{_kind}(2 input - 1, n).")


# ---- Hermite, Laguerre, Legendre ---------------------------------------------------------------
def hermite_polynomial_h(input, n, *, out=None) -> Tensor:
    """hermite_polynomial_h(input, n, *, out=None): the physicists' Hermite polynomial,
    H_{k+1} = 2x H_k - 2k H_{k-1}."""
    return _polynomial("hermite_polynomial_h", input, n, out, lambda x: x + x,
                       lambda k, x, q, p: (x + x) * q - (k + k) * p)


def hermite_polynomial_he(input, n, *, out=None) -> Tensor:
    """hermite_polynomial_he(input, n, *, out=None): the probabilists' Hermite polynomial,
    He_{k+1} = x He_k - k He_{k-1}."""
    return _polynomial("hermite_polynomial_he", input, n, out, lambda x: x,
                       lambda k, x, q, p: x * q - k * p)


def _laguerre_special(x, n):
    xp = xp_of(n)
    return x == 0, xp.ones((), x.dtype)


def laguerre_polynomial_l(input, n, *, out=None) -> Tensor:
    """laguerre_polynomial_l(input, n, *, out=None): the Laguerre polynomial,
    (k + 1) L_{k+1} = (2k + 1 - x) L_k - k L_{k-1}; 1 at x = 0."""
    return _polynomial("laguerre_polynomial_l", input, n, out, lambda x: 1 - x,
                       lambda k, x, q, p: (((k + k) + (1 - x)) * q - k * p) / (k + 1),
                       _laguerre_special)


def _legendre_special(x, n):
    xp = xp_of(n)
    end = xp.where((x > 0) | (n % 2 == 0), 1, -1).astype(x.dtype)
    return xp.abs(x) == 1, end


def legendre_polynomial_p(input, n, *, out=None) -> Tensor:
    """legendre_polynomial_p(input, n, *, out=None): the Legendre polynomial,
    (k + 1) P_{k+1} = (2k + 1) x P_k - k P_{k-1}; exactly +-1 at x = +-1."""
    return _polynomial("legendre_polynomial_p", input, n, out, lambda x: x,
                       lambda k, x, q, p: ((k + k + 1) * x * q - k * p) / (k + 1),
                       _legendre_special)
