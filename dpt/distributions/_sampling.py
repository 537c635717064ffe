"""Draws the distributions need beyond dpt.rand/randn: gamma (with an implicit
reparameterisation gradient), Dirichlet and binomial, from dpt's generators.

On the CPU these are torch's CPU samplers, so after ``manual_seed(s)`` both libraries give
the same values: each element is drawn in turn (C order of the result), taking float64
uniforms (53 bits) and float64 normals (Box-Muller, second value cached in the generator)
one at a time from the mt19937 stream, exactly as torch's serial kernels do:

- gamma: Marsaglia and Tsang's rejection method; alpha < 1 is boosted to alpha + 1 with one
  extra uniform first (scale = (1 - u) ** (1 / alpha)). The constants are formed in the
  parameter's dtype (1 / alpha, alpha + 1 and alpha - 1/3 round to float32 for float32
  input; 1/3 and 0.0331 are float32 constants), the loop runs in float64.
- Dirichlet: float64 gammas of the float64 concentrations, divided by their sum over the
  last dim (summed in the order of torch's AVX2 sum kernel, which x86 builds pick; a torch
  running its AVX512 kernel adds 8-lane vectors and can differ in the last bit), cast, then
  clamped to [tiny, 1 - eps/2].
- binomial: inversion (sums of geometric draws) below count * p = 10, BTRS (Hormann's
  transformed rejection with a squeeze) from there on, on min(p, 1 - p); float32 input
  rounds the set-up arithmetic to float32 as torch's kernel does (log1pf from the C library).

A rejection sampler's draws depend on every earlier element's, so in general the elements
run one by one in a Python loop (about 2-5 microseconds each: 1e5 gamma draws with alpha < 1
take ~0.2-0.4 s, where torch takes ~10 ms). Parameters with few distinct values (a scalar
parameter, or a small batch expanded by sample_shape) are vectorised when every gamma alpha
is >= 1 (~40 ms for 1e5), or when every binomial takes BTRS, or every one inversion
(~100 ms for 1e5). On a GPU the
draws come from the device's Philox stream with numpy/cupy's own algorithms (no torch
counterpart to match).
"""
from __future__ import annotations

import ctypes
import ctypes.util
import functools
import math

import numpy as np
from scipy import special

from .. import _device, _mt19937
from .. import random as _random
from .._tensor import Tensor
from ..autograd.function import Function
from ..ops.arithmetic import _type_word
from ..ops.random import poisson as _poisson

f32 = np.float32
_THIRD32 = float(f32(1.0) / f32(3.0))   # torch's 1.0f / 3.0f
_K32 = float(f32(0.0331))               # torch's 0.0331f


def _generator(generator, device):
    g = _random.default_generator_for(device) if generator is None else generator
    if g.device.type != _device.as_device(device).type:
        raise RuntimeError(f"Expected a '{_device.as_device(device).type}' device type for "
                           f"generator but found '{g.device.type}'")
    return g


def _log(x: float) -> float:
    """C's log: -inf at 0 (math.log raises there)."""
    return math.log(x) if x > 0 else (-math.inf if x == 0 else math.nan)


@functools.lru_cache(maxsize=None)
def _c_log1pf():
    """The C library's float32 log1p (the one torch's float kernels call), or numpy's
    where no C math library can be loaded."""
    try:
        f = ctypes.CDLL(ctypes.util.find_library("m") or "libm.so.6").log1pf
    except (OSError, AttributeError):
        return lambda x: float(np.log1p(f32(x)))
    f.restype, f.argtypes = ctypes.c_float, [ctypes.c_float]
    return f


def _log1pf(x: float) -> float:
    return _c_log1pf()(x)


class _Stream:
    """float64 uniforms from a CPU engine as a plain list the sampling loops index (the
    per-element loops are the hot path: no calls per draw). ``more`` tops the list up;
    ``close`` leaves the engine exactly past the ones used (a rewind, then a skip)."""

    def __init__(self, e, n):
        self.e, self.used, self.chunk = e, 0, min(8192, 4 * n + 64)
        self.saved = (e.bitgen.state, e.fresh)

    def more(self, buf, pos):
        """(the unused rest of buf followed by a fresh chunk, 0)"""
        self.used += pos
        return buf[pos:] + _mt19937.uniform53(self.e, self.chunk).tolist(), 0

    def close(self, pos):
        self.e.bitgen.state, self.e.fresh = self.saved
        self.e.raw64(self.used + pos)


# -- gamma -----------------------------------------------------------------------------------
def _gamma_setup(alpha: np.ndarray, double: bool):
    """Per element: (boosted?, 1/alpha, d, c) as torch's sample_gamma forms them in the
    parameter's type (float32 or float64) before its float64 loop."""
    a = alpha.astype(np.float64 if double else f32)
    one = a.dtype.type(1)
    boost = a < one
    with np.errstate(divide="ignore", invalid="ignore"):
        recip = (one / a).astype(np.float64)
        a1 = np.where(boost, a + one, a)
        d = (a1 - a.dtype.type(_THIRD32)).astype(np.float64)
        c = 1.0 / np.sqrt(9.0 * d)
    return boost.tolist(), recip.tolist(), d.tolist(), c.tolist()


def _gamma_cpu(e, alpha: np.ndarray, double: bool) -> np.ndarray:
    """float64 results of torch's sample_gamma, one per element of alpha in C order.

    Normals are torch's normal_distribution<double>: Box-Muller on two fresh uniforms,
    the sine half kept in the generator's cache for the next normal (even across calls)."""
    flat = np.ascontiguousarray(alpha).ravel()
    boosts, recips, ds, cs = _gamma_setup(flat, double)
    if flat.size > 64 and (flat >= 1).all() and np.isfinite(flat).all():
        keys, first, cls = np.unique(flat, return_index=True, return_inverse=True)
        if keys.size <= 16:
            ds_, cs_ = [ds[i] for i in first.tolist()], [cs[i] for i in first.tolist()]
            return _gamma_runs(e, ds_, cs_, cls.ravel()).reshape(alpha.shape)
    log, log1p, sqrt, sin, cos, pow_ = math.log, math.log1p, math.sqrt, math.sin, math.cos, math.pow
    twopi, k32 = 2.0 * math.pi, _K32
    out = [0.0] * flat.size
    st = _Stream(e, flat.size)
    buf, pos = st.more([], 0)
    cache = e.normal
    try:
        for i, a in enumerate(flat.tolist()):
            if not a > 0:  # 0 draws nothing; torch loops forever on negative or NaN alpha
                out[i] = 0.0 if a == 0 else math.nan
                continue
            if len(buf) - pos < 4:
                buf, pos = st.more(buf, pos)
            d, c, scale = ds[i], cs[i], 1.0
            if boosts[i]:
                scale = pow_(1 - buf[pos], recips[i])
                pos += 1
            while True:
                if len(buf) - pos < 3:
                    buf, pos = st.more(buf, pos)
                if cache is None:
                    r = sqrt(-2.0 * log1p(-buf[pos + 1]))
                    theta = twopi * buf[pos]
                    pos += 2
                    cache, x = r * sin(theta), r * cos(theta)
                else:
                    x, cache = cache, None
                y = 1.0 + c * x
                if y <= 0:
                    continue
                v = y * y * y
                w = 1 - buf[pos]
                pos += 1
                xx = x * x
                if w < 1.0 - k32 * xx * xx or log(w) < 0.5 * xx + d * (1.0 - v + log(v)):
                    out[i] = scale * d * v
                    break
    finally:
        e.normal = cache
        st.close(pos)
    return np.array(out, dtype=np.float64).reshape(alpha.shape)


def _attempts(u, cache):
    """The attempts laid out on uniforms u when no normal gives y <= 0: (x, w, spare, head)
    with the normal x and 1 - uniform w of each attempt. A cached normal makes a first
    attempt with uniform u[0] (head = 1); then every 4 uniforms hold a fresh pair, its
    cosine attempt's uniform and its sine (cached) attempt's uniform."""
    head = int(cache is not None)
    groups = (u.size - head) // 4
    blk = u[head:head + 4 * groups].reshape(groups, 4)
    r = np.sqrt(-2.0 * np.log1p(-blk[:, 1]))
    theta = 2.0 * np.pi * blk[:, 0]
    x = np.empty(head + 2 * groups)
    w = np.empty_like(x)
    spare = r * np.sin(theta)
    x[head::2], x[head + 1::2] = r * np.cos(theta), spare
    w[head::2], w[head + 1::2] = 1 - blk[:, 2], 1 - blk[:, 3]
    if head:
        x[0], w[0] = cache, 1 - u[0]
    return x, w, spare, head


def _judge(x, w, d, c):
    """(y <= 0, accepted, value) of each attempt for one alpha's d and c."""
    y = 1.0 + c * x
    v = y * y * y
    xx = x * x
    with np.errstate(divide="ignore", invalid="ignore"):
        acc = (w < 1.0 - _K32 * xx * xx) | (np.log(w) < 0.5 * xx + d * (1.0 - v + np.log(v)))
    bad = y <= 0
    return bad, acc & ~bad, d * v


def _after(a, head, spare, completed):
    """(uniforms used, cached normal) once attempt a is done: completed (past its uniform),
    or stopped at its normal (y <= 0: no uniform follows)."""
    if head and a == 0:
        return int(completed), None
    g, cosine = divmod(a - head, 2)
    cosine = cosine == 0  # this attempt drew a fresh pair and cached its sine
    used = head + 4 * g + (2 if cosine else 3) + int(completed)
    return used, float(spare[g]) if cosine else None


def _gamma_runs(e, ds, cs, cls) -> np.ndarray:
    """sample_gamma for elements whose alphas (all >= 1) take a few values (class cls[i]),
    vectorised.

    Without the boost an element is a run of attempts (a normal, then a uniform) ending at
    the first its alpha accepts, so the attempts sit at fixed places in the stream whoever
    makes them, until a normal gives y <= 0 (no uniform follows it). Each class judges the
    attempts laid out from where the stream stands, the elements take them in order (one
    class: its accepted attempts in a row), and the layout starts again after a y <= 0."""
    n, ncls = cls.size, len(ds)
    saved, used = (e.bitgen.state, e.fresh), 0
    buf, pos, cache = np.empty(0), 0, e.normal
    out, got = [], 0
    # look ahead about eight runs' worth of attempts between normals with y <= 0
    p_bad = max(0.5 * special.erfc(1 / (max(cs) * math.sqrt(2))), 1e-12)
    run = 8 / p_bad
    cl = cls.tolist()
    while got < n:
        need = n - got
        span = 2 * int(min(1.1 * need, run, 1 << 20)) + 64  # bounded memory
        if buf.size - pos < span:
            used += pos
            buf = np.concatenate([buf[pos:], _mt19937.uniform53(e, max(4096, 2 * span))])
            pos = 0
        x, w, spare, head = _attempts(buf[pos:pos + span], cache)
        if ncls == 1:
            bad, acc, val = _judge(x, w, ds[0], cs[0])
            stop = int(np.argmax(bad)) if bad.any() else x.size
            take = np.flatnonzero(acc[:stop])[:need]
            out.append(val[take])
            got += take.size
            if got == n:
                a, completed = int(take[-1]), True
            else:
                a, completed = (stop, False) if stop < x.size else (x.size - 1, True)
        else:
            size, idx = x.size, np.arange(x.size)
            nxt, vals = [], []
            for d, c in zip(ds, cs):
                bad, acc, val = _judge(x, w, d, c)
                # from each attempt, the next one this class accepts (>= 0), or at which its
                # normal gives y <= 0 (-1 - index), or size: none left in the window
                stop = np.minimum.accumulate(np.where(acc | bad, idx, size)[::-1])[::-1]
                code = np.where(bad[np.minimum(stop, size - 1)], -1 - stop, stop)
                nxt.append(np.append(np.where(stop == size, size, code), size).tolist())
                vals.append(val)
            a, completed, start, taken = 0, True, got, []
            while got < n:
                a2 = nxt[cl[got]][a]
                if a2 == size:  # ran out: every attempt left was rejected
                    a = size
                    break
                if a2 < 0:
                    a, completed = -1 - a2, False
                    break
                taken.append(a2)
                got += 1
                a = a2 + 1
            out.append(np.stack(vals)[cls[start:got], taken])
            if completed:
                a -= 1  # the last attempt made (accepted, or rejected at the window's end)
        step, cache = _after(a, head, spare, completed)
        pos += step
    e.normal = cache
    e.bitgen.state, e.fresh = saved
    e.raw64(used + pos)
    return np.concatenate(out) if out else np.empty(0)


def _gamma_array(g, alpha):
    """Gamma(alpha, 1) draws of alpha's shape and dtype, floored at the dtype's tiny."""
    if g.device.type == "cpu":
        x = _gamma_cpu(g._engine, alpha, alpha.dtype == np.float64).astype(alpha.dtype)
        return np.maximum(x, np.finfo(alpha.dtype).tiny)
    xp = _device.xp_of(alpha)
    x = xp.asarray(g._stream().standard_gamma(alpha)).astype(alpha.dtype, copy=False)
    return xp.maximum(x, np.finfo(alpha.dtype).tiny)


# -- Dirichlet -------------------------------------------------------------------------------
def _torch_row_sum(x: np.ndarray) -> np.ndarray:
    """Sums over the last dim of float64 rows, added in the order of torch's AVX2 sum kernel:
    4-lane vectors summed as 4 interleaved rows of vectors (with its cascade of partial sums
    every 16 rows), the scalar tail first, then the lanes in order."""
    k = x.shape[-1]
    s = np.zeros(x.shape[:-1])
    if k < 4:
        for i in range(k):
            s = s + x[..., i]
        return s
    nvec = k // 4
    vecs = x[..., :nvec * 4].reshape(x.shape[:-1] + (nvec, 4))
    ilp = nvec // 4
    rows = vecs[..., :ilp * 4, :].reshape(x.shape[:-1] + (ilp, 4, 4))
    parts = _cascade_sum(rows, ilp)  # (..., 4 partial vectors, 4 lanes)
    part0 = parts[..., 0, :]
    for i in range(ilp * 4, nvec):
        part0 = part0 + vecs[..., i, :]
    lanes = ((part0 + parts[..., 1, :]) + parts[..., 2, :]) + parts[..., 3, :]
    for i in range(nvec * 4, k):
        s = s + x[..., i]
    for lane in range(4):
        s = s + lanes[..., lane]
    return s


def _cascade_sum(rows: np.ndarray, size: int) -> np.ndarray:
    """Sum over axis -3 of rows, as torch's multi_row_sum: four levels of accumulators,
    the first flushed into the next every 2**power rows (and so on up)."""
    power = max(4, (size - 1).bit_length() // 4 if size > 1 else 0)
    step, mask = 1 << power, (1 << power) - 1
    acc = [np.zeros(rows.shape[:-3] + rows.shape[-2:]) for _ in range(4)]
    i = 0
    while i + step <= size:
        for _ in range(step):
            acc[0] = acc[0] + rows[..., i, :, :]
            i += 1
        for j in range(1, 4):
            acc[j] = acc[j] + acc[j - 1]
            acc[j - 1] = np.zeros_like(acc[j - 1])
            if i & (mask << (j * power)):
                break
    for i in range(i, size):
        acc[0] = acc[0] + rows[..., i, :, :]
    for j in range(1, 4):
        acc[0] = acc[0] + acc[j]
    return acc[0]


def _dirichlet_array(g, alpha):
    """(sample, float64 gammas it was made from) for concentrations alpha (..., K)."""
    if g.device.type == "cpu":
        gam = np.maximum(_gamma_cpu(g._engine, alpha, True), np.finfo(np.float64).tiny)
        total = _torch_row_sum(gam)[..., None]
    else:
        xp = _device.xp_of(alpha)
        gam = xp.asarray(g._stream().standard_gamma(alpha.astype(np.float64)))
        gam = xp.maximum(gam, np.finfo(np.float64).tiny)
        total = gam.sum(-1, keepdims=True)
    xp = _device.xp_of(gam)
    dt = alpha.dtype.type
    x = (gam / total).astype(alpha.dtype)
    return xp.clip(x, np.finfo(alpha.dtype).tiny, np.nextafter(dt(1), dt(0))), gam


# -- binomial ----------------------------------------------------------------------------------
_TAIL = [0.0810614667953272, 0.0413406959554092, 0.0276779256849983, 0.02079067210376509,
         0.0166446911898211, 0.0138761288230707, 0.0118967099458917, 0.0104112652619720,
         0.00925546218271273, 0.00833056343336287]


def _stirling_tail(k: float) -> float:
    """log(k!) minus its Stirling approximation (a table up to 9)."""
    if k <= 9:
        return _TAIL[int(k)]
    kp1sq = (k + 1) * (k + 1)
    return (1.0 / 12 - (1.0 / 360 - 1.0 / 1260 / kp1sq) / kp1sq) / (k + 1)


def _binomial_setup(n: np.ndarray, p: np.ndarray):
    """Branch, flip and BTRS constants per element, in the parameters' type as torch."""
    t = n.dtype.type
    one = t(1)
    with np.errstate(all="ignore"):
        flip = p > 0.5
        q = np.where(flip, (1.0 - p.astype(np.float64)).astype(n.dtype), p)  # qprob: scalar_t
        mean = n * q
        btrs = mean >= 10.0
        zero = (n <= 0) | (p <= 0)
        full = ~zero & (p >= 1)
        stddev = np.sqrt(n * q * (one - q)).astype(np.float64)
        b = 1.15 + 2.53 * stddev
        a = -0.0873 + 0.0248 * b + 0.01 * q.astype(np.float64)
        c = mean.astype(np.float64) + 0.5
        v_r = 0.92 - 4.2 / b
        r = (q / (one - q)).astype(np.float64)
        alpha = (2.83 + 5.1 / b) * stddev
        m = np.floor((n + one) * q).astype(np.float64)
    return flip, q, btrs, zero, full, (b, a, c, v_r, r, alpha, m)


def _btrs_accepts(uu, v, count, consts):
    """BTRS on arrays of attempts (uu = u - 1/2, v) for one parameter set: (k, accepted),
    the same float64 steps as the scalar loop (exact-integer counts only)."""
    b, a, c, v_r, r, alpha, m = consts
    with np.errstate(all="ignore"):
        us = 0.5 - np.abs(uu)
        k = np.floor((2 * a / us + b) * uu + c)
        ok = (us != 0) & (k >= 0) & (k <= count)
        quick = ok & (us >= 0.07) & (v <= v_r)
        slow = np.nonzero(ok & ~quick)[0]
        ks, uss, nk1 = k[slow], us[slow], count - k[slow] + 1
        lhs = np.log(v[slow] * alpha / (a / (uss * uss) + b))

        def tail(x):
            big = np.maximum(x, 9.0)
            kp1sq = (big + 1) * (big + 1)
            far = (1.0 / 12 - (1.0 / 360 - 1.0 / 1260 / kp1sq) / kp1sq) / (big + 1)
            return np.where(x <= 9, np.take(_TAIL, np.clip(x, 0, 9).astype(np.int64)), far)
        bound = ((m + 0.5) * math.log((m + 1) / (r * (count - m + 1)))
                 + (count + 1) * np.log((count - m + 1) / nk1)
                 + (ks + 0.5) * np.log(r * nk1 / (ks + 1))
                 + _stirling_tail(m) + _stirling_tail(count - m) - tail(ks) - tail(count - ks))
    quick[slow] = lhs <= bound
    return k, quick


def _btrs_chase(e, n, cls, ncls, consts):
    """All-BTRS binomial draws of elements whose parameters take few distinct values (class
    cls[i] of each element): every attempt takes exactly two uniforms, so each class's
    verdict on every pair of a block is computed at once, and the elements then walk the
    pairs in order (element i takes the first pair its class accepts after the last one
    taken)."""
    count = [float(n[np.argmax(cls == j)]) for j in range(ncls)]
    rows = [[v[np.argmax(cls == j)] for v in consts] for j in range(ncls)]
    saved, used = (e.bitgen.state, e.fresh), 0
    out, cl, i, total = [0.0] * n.size, cls.tolist(), 0, n.size
    while i < total:
        pairs = min(1 << 16, max(256, 3 * (total - i)))
        u = _mt19937.uniform53(e, 2 * pairs)
        nxt, ks = [], []
        for j in range(ncls):
            k, acc = _btrs_accepts(u[0::2] - 0.5, u[1::2], count[j], rows[j])
            first = np.where(acc, np.arange(pairs), pairs)
            nxt.append(np.minimum.accumulate(first[::-1])[::-1].tolist() + [pairs])
            ks.append(k.tolist())
        j = 0
        while i < total:
            c = cl[i]
            j = nxt[c][j]
            if j == pairs:
                break
            out[i] = ks[c][j]
            j += 1
            i += 1
        used += j  # pairs taken from this block (all of them when an element ran past it)
    e.bitgen.state, e.fresh = saved
    e.raw64(2 * used)
    return out


def _inversion_chase(e, counts, logqs, cls, per_element):
    """All-inversion binomial draws for elements of few distinct (count, p) (class cls[i]):
    the geometric gap of every uniform is computed at once per class, and the elements then
    take gaps in order until their sum passes their count."""
    saved, used = (e.bitgen.state, e.fresh), 0
    total, n = cls.size, 0
    out, cl, i, acc, k = [0.0] * cls.size, cls.tolist(), 0, 0.0, 0.0
    while i < total:
        size = min(1 << 16, max(256, int(per_element * (total - i))))
        u = _mt19937.uniform53(e, size)
        with np.errstate(divide="ignore"):
            gaps = [np.ceil(np.log(u) / lq).tolist() for lq in logqs]
        j = 0
        while i < total:
            gap, count = gaps[cl[i]], counts[cl[i]]
            while j < size:
                acc += gap[j]
                j += 1
                if acc > count:
                    break
                k += 1
            else:  # the block ran out inside this element: carry its sum over
                break
            out[i], i, acc, k = k, i + 1, 0.0, 0.0
        used += j
    e.bitgen.state, e.fresh = saved
    e.raw64(used)
    return out


def _binomial_cpu(e, n: np.ndarray, p: np.ndarray) -> np.ndarray:
    """torch's sample_binomial for each (count, prob) pair (same shape and float dtype)."""
    n, p = np.ascontiguousarray(n).ravel(), np.ascontiguousarray(p).ravel()
    exact = n.dtype == np.float64 or not n.size or bool(
        (np.abs(n) < 1 << 24).all() and (n == np.floor(n)).all())
    # float32 counts and draws add and subtract as floats: exact for integers below 2**24
    rnd = float if exact else (lambda x: float(f32(x)))
    flip, q, btrs, zero, full, consts = _binomial_setup(n, p)
    if exact and n.size > 64 and btrs.all() and not (zero | full).any():
        un, in_ = np.unique(n, return_inverse=True)
        uq, iq = np.unique(q, return_inverse=True)
        if un.size * uq.size <= 16:
            _, cls = np.unique(in_.ravel() * uq.size + iq.ravel(), return_inverse=True)
            k = np.array(_btrs_chase(e, n, cls.ravel(), int(cls.max()) + 1, consts), n.dtype)
            return np.where(flip, n - k, k)
    if n.size > 64 and not (btrs | zero | full).any() and not np.isnan(n + p).any():
        un, in_ = np.unique(n, return_inverse=True)
        uq, iq = np.unique(q, return_inverse=True)
        if un.size * uq.size <= 16:
            key, cls = np.unique(in_.ravel() * uq.size + iq.ravel(), return_inverse=True)
            counts = un[key // uq.size].tolist()
            qs = uq[key % uq.size].tolist()
            logqs = [math.log1p(-x) if n.dtype == np.float64 else _log1pf(-x) for x in qs]
            per = float((n * q).astype(np.float64).mean()) + 2.0
            k = np.array(_inversion_chase(e, counts, logqs, cls.ravel(), per), n.dtype)
            return np.where(flip, n - k, k)
    b_, a_, c_, vr_, r_, al_, m_ = (v.tolist() for v in consts)
    if n.dtype == np.float64:
        logq_ = [math.log1p(-x) for x in q.tolist()]
    else:
        logq_ = [_log1pf(-x) for x in q.tolist()]
    flip, btrs, zero, full = flip.tolist(), btrs.tolist(), zero.tolist(), full.tolist()
    log, floor, ceil, tail = _log, math.floor, math.ceil, _stirling_tail
    out = [0.0] * n.size
    st = _Stream(e, n.size)
    buf, pos = st.more([], 0)
    try:
        for i, count in enumerate(n.tolist()):
            if zero[i]:
                continue
            if full[i]:
                out[i] = count
                continue
            if logq_[i] != logq_[i] or count != count:  # torch: NaN, or an endless loop
                out[i] = math.nan
                continue
            if btrs[i]:  # Hormann's BTRS
                b, a, c, v_r, r, alpha, m = b_[i], a_[i], c_[i], vr_[i], r_[i], al_[i], m_[i]
                while True:
                    if len(buf) - pos < 2:
                        buf, pos = st.more(buf, pos)
                    uu, v = buf[pos] - 0.5, buf[pos + 1]
                    pos += 2
                    us = 0.5 - abs(uu)
                    if us == 0:  # C gets k = -inf here: rejected
                        continue
                    k = rnd(floor((2 * a / us + b) * uu + c))
                    if k < 0 or k > count:
                        continue
                    if us >= 0.07 and v <= v_r:
                        break
                    v = log(v * alpha / (a / (us * us) + b))
                    nk1 = rnd(rnd(count - k) + 1)
                    bound = ((m + 0.5) * log((m + 1) / (r * (count - m + 1)))
                             + rnd(count + 1) * log((count - m + 1) / nk1)
                             + (k + 0.5) * log(r * nk1 / rnd(k + 1))
                             + tail(m) + tail(count - m) - tail(k) - tail(rnd(count - k)))
                    if v <= bound:
                        break
            else:  # inversion: how many geometric gaps fit in count
                logq, total, k = logq_[i], 0.0, 0.0
                while True:
                    if pos == len(buf):
                        buf, pos = st.more(buf, pos)
                    gap = log(buf[pos]) / logq
                    pos += 1
                    if gap == math.inf:  # a zero uniform (or a tiny p): C's ceil keeps inf
                        break
                    total += ceil(gap)
                    if total > count:
                        break
                    k += 1
            out[i] = rnd(count - k) if flip[i] else k
    finally:
        st.close(pos)
    return np.array(out, dtype=n.dtype)


# -- Functions -------------------------------------------------------------------------------
def _dgammainc_da(a, x):
    """d/da of the regularised lower incomplete gamma P(a, x), by central differences in
    float64 on whichever of P and Q = 1 - P is smaller (the one known to full precision)."""
    h = 1e-5 * np.maximum(a, 1.0)
    h = np.minimum(h, 0.5 * a)
    use_p = special.gammainc(a, x) < 0.5
    p_hi, p_lo = special.gammainc(a + h, x), special.gammainc(a - h, x)
    q_hi, q_lo = special.gammaincc(a + h, x), special.gammaincc(a - h, x)
    return np.where(use_p, p_hi - p_lo, q_lo - q_hi) / (2 * h)


def _gamma_sample_grad(a, x):
    """dx/dalpha for x ~ Gamma(alpha, 1) holding the CDF value P(alpha, x) fixed (float64)."""
    log_pdf = (a - 1) * np.log(x) - x - special.gammaln(a)
    return -_dgammainc_da(a, x) * np.exp(-log_pdf)


class _StandardGamma(Function):
    """x ~ Gamma(alpha, 1), drawn in forward; backward is the implicit reparameterisation
    gradient dx/dalpha = -(dP(alpha, x)/dalpha) / p(x; alpha), which holds the CDF value of
    the sample fixed. The gradient is treated as a constant (no double backward)."""

    def forward(self, alpha, generator=None):
        g = _generator(generator, _device.device_of(alpha))
        self.sample = _gamma_array(g, alpha)
        return self.sample

    def backward(self, gz):
        if not self.needs_input_grad[0]:
            return None
        alpha, = self.inputs
        a = _device.to_numpy(alpha._data).astype(np.float64)
        x = _device.to_numpy(self.sample).astype(np.float64)
        grad = _device.move(_gamma_sample_grad(a, x).astype(self.sample.dtype), alpha.device)
        return gz * Tensor._make(grad)


class _Dirichlet(Function):
    """x ~ Dirichlet(alpha) over the last dim; backward differentiates x = g / sum(g)
    through the gammas g it was drawn from, each with its implicit gradient."""

    def forward(self, alpha, generator=None):
        g = _generator(generator, _device.device_of(alpha))
        x, self.gammas = _dirichlet_array(g, alpha)
        return x

    def backward(self, gz):
        if not self.needs_input_grad[0]:
            return None
        alpha, = self.inputs
        gam = _device.to_numpy(self.gammas)
        dg = _gamma_sample_grad(_device.to_numpy(alpha._data).astype(np.float64), gam)
        total = gam.sum(-1, keepdims=True)
        x = Tensor._make(_device.move((gam / total).astype(alpha._data.dtype), alpha.device))
        scale = Tensor._make(_device.move((dg / total).astype(alpha._data.dtype), alpha.device))
        return scale * (gz - (gz * x).sum(-1, keepdim=True))


class _Drawn(Function):
    """A draw made outside autograd, tied to its inputs as torch ties its samplers without a
    derivative: the result requires grad when an input does, and backward refuses."""

    def forward(self, *inputs, sample, name):
        self.name = name
        return sample

    def backward(self, gz):
        raise RuntimeError(f"derivative for aten::{self.name} is not implemented")


def _check_float(t, kernel, arg="input"):
    """torch's CPU kernels here are compiled for float32 and float64 only."""
    if not isinstance(t, Tensor):
        raise TypeError(f"{kernel.split('_')[0]}(): argument '{arg}' must be Tensor, not "
                        f"{type(t).__name__}")
    if t.dtype.name not in ("float32", "float64"):
        raise NotImplementedError(f"\"{kernel}\" not implemented for '{_type_word(t.dtype)}'")


def standard_gamma(alpha: Tensor, generator=None) -> Tensor:
    """Samples of Gamma(alpha, 1), one per element of alpha, differentiable in alpha."""
    _check_float(alpha, "gamma_cpu")
    return _StandardGamma.apply(alpha, generator=generator)


def _standard_gamma(input: Tensor, generator=None) -> Tensor:
    """_standard_gamma(input, generator=None): Gamma(input, 1) draws, differentiable."""
    return standard_gamma(input, generator)


def dirichlet(alpha: Tensor, generator=None) -> Tensor:
    """Dirichlet(alpha) draws over the last dim of alpha, differentiable in alpha."""
    _check_float(alpha, "dirichlet")
    return _Dirichlet.apply(alpha, generator=generator)


def _sample_dirichlet(input: Tensor, generator=None) -> Tensor:
    """_sample_dirichlet(input, generator=None): Dirichlet draws over input's last dim."""
    _check_float(input, "dirichlet")
    g = _generator(generator, input.device)
    with _device.device_context(input.device):
        x, _ = _dirichlet_array(g, input._data)
    return _Drawn.apply(input, sample=x, name="_sample_dirichlet")


@_device.runs_on(0)
def binomial(count: Tensor, prob: Tensor, generator=None) -> Tensor:
    """binomial(count, prob, generator=None): Binomial(count, prob) counts of count's dtype
    (count and prob of one float dtype, broadcast together)."""
    for name, t in (("count", count), ("prob", prob)):
        if not isinstance(t, Tensor):
            raise TypeError(f"binomial(): argument '{name}' must be Tensor, not "
                            f"{type(t).__name__}")
        if not t.dtype.is_floating_point:
            raise ValueError(f"binomial only supports floating-point dtypes for {name}, got: "
                             f"{_type_word(t.dtype)}")
    if prob.dtype != count.dtype:
        raise RuntimeError(f"Found dtype {_type_word(prob.dtype)} but expected "
                           f"{_type_word(count.dtype)}")
    _check_float(count, "binomial_cpu")
    # torch's output takes count's shape, resized (with a deprecation warning) to the
    # broadcast shape when prob is bigger; both then broadcast to it
    shape = tuple(np.broadcast_shapes(tuple(count.shape), tuple(prob.shape)))
    dev = count.device
    g = _generator(generator, dev)
    xp = _device.xp_of(count._data)
    n = xp.broadcast_to(count._data, shape)
    p = xp.broadcast_to(_device.move(prob._data, dev), shape)
    with _device.device_context(dev):
        if g.device.type == "cpu":
            arr = _binomial_cpu(g._engine, n, p).reshape(shape)
        else:
            draws = g._stream().binomial(n.astype(np.int64), p.astype(np.float64))
            arr = xp.asarray(draws).astype(n.dtype)
    return _Drawn.apply(count, prob, sample=arr, name="binomial")


def poisson(rate: Tensor) -> Tensor:
    """Poisson(rate) draws of rate's shape and dtype (dpt.poisson: torch's sampler)."""
    return _poisson(rate)
