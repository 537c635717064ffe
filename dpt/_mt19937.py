"""torch's CPU random engine, re-done with numpy: the same seed gives the same numbers.

torch's CPU generator is a 32-bit Mersenne Twister (mt19937, seeded with the low 32 bits of
the seed by the standard ``init_genrand``) plus a one-value Box-Muller cache. Every CPU
sampler turns its output into values in a fixed way; this module does the same, in bulk:
the raw 32-bit stream comes from numpy's ``MT19937`` bit generator (the same twister), and
each transform below follows the order in which torch's serial kernels consume the stream.

- ``random()`` is one 32-bit draw; ``random64()`` is two, the first one the high word.
- A float in [0, 1) keeps the low 24 bits of ``random()`` (float32) or the low 53 bits of
  ``random64()`` (float64), times 2**-digits.
- ``normal_`` on >= 16 contiguous values draws all uniforms first, then runs Box-Muller on
  blocks of 16 (u1 = 1 - first 8, u2 = last 8; cos half first); a ragged tail redraws 16
  fresh uniforms for the last 16 slots. float32 uses torch's AVX2 kernel, whose Cephes-style
  log and sincos (with the compiler's fused multiply-adds) are emulated here bit for bit.
  Smaller or strided tensors take the scalar path: one pair of float64 uniforms per two
  values, the sine half cached in the generator for the next normal draw.
- The state is torch's 5056-byte layout (``THGeneratorState`` plus the float cache), so a
  state taken from ``torch.get_rng_state()`` resumes here and the other way round.
"""
from __future__ import annotations

import math
import struct

import numpy as np

_N = 624
_STATE_BYTES = 5056
_M24 = (1 << 24) - 1
_M53 = (1 << 53) - 1
f32 = np.float32


def _init_genrand(seed32: int) -> np.ndarray:
    """The standard mt19937 key for a 32-bit seed (what torch's mt19937(seed) builds)."""
    key = [seed32]
    for j in range(1, _N):
        prev = key[-1]
        key.append((1812433253 * (prev ^ (prev >> 30)) + j) & 0xFFFFFFFF)
    return np.array(key, dtype=np.uint32)


class Engine:
    """The CPU state: the twister, the seed it came from and the cached second normal."""

    def __init__(self, seed: int):
        self.bitgen = np.random.MT19937()
        self.manual_seed(seed)

    def manual_seed(self, seed: int) -> None:
        self.initial_seed = seed
        self.bitgen.state = {"bit_generator": "MT19937",
                             "state": {"key": _init_genrand(seed & 0xFFFFFFFF), "pos": _N}}
        self.fresh = True          # torch reads next=0 (not 624) until the first draw
        self.normal = None         # torch's next_double_normal_sample
        self.float_normal = None   # next_float_normal_sample: kept for the state bytes only

    # -- the stream -------------------------------------------------------------------------
    def raw32(self, n: int) -> np.ndarray:
        """n draws of torch's random(): 32-bit values in a uint64 array."""
        if n:
            self.fresh = False
        return self.bitgen.random_raw(int(n))

    def raw64(self, n: int) -> np.ndarray:
        """n draws of torch's random64(): the first 32-bit draw is the high word."""
        r = self.raw32(2 * n)
        return (r[0::2] << np.uint64(32)) | r[1::2]

    # -- torch's state bytes ----------------------------------------------------------------
    def get_state(self) -> bytes:
        st = self.bitgen.state["state"]
        pos = int(st["pos"])
        left, nxt = (1, 0 if self.fresh else _N) if pos >= _N else (_N + 1 - pos, pos)
        head = struct.pack("<QiiQ", self.initial_seed, left, 1, nxt)
        key = np.asarray(st["key"], dtype="<u8").tobytes()
        dbl = 0.0 if self.normal is None else self.normal
        tail = struct.pack("<dddi4xf?3x", 0.0, dbl, 0.0, self.normal is not None,
                           0.0 if self.float_normal is None else self.float_normal,
                           self.float_normal is not None)
        return head + key + tail

    def set_state(self, raw: bytes) -> None:
        if len(raw) != _STATE_BYTES:
            raise RuntimeError(f"Expected a CPUGeneratorImplState of size {_STATE_BYTES} but "
                               f"found the input RNG state size to be {len(raw)}")
        seed, left, _seeded, nxt = struct.unpack_from("<QiiQ", raw, 0)
        key = np.frombuffer(raw, dtype="<u8", count=_N, offset=24)
        if np.any(key >> np.uint64(32)):
            raise RuntimeError("set_rng_state: the state words must be 32-bit values")
        _x, y, _rho, valid, fnext, fvalid = struct.unpack_from("<dddi4xf?", raw, 24 + 8 * _N)
        pos = _N if left <= 1 or nxt >= _N else int(nxt)
        self.bitgen.state = {"bit_generator": "MT19937",
                             "state": {"key": key.astype(np.uint32), "pos": pos}}
        self.initial_seed = seed
        self.fresh = pos == _N and nxt == 0
        self.normal = y if valid else None
        self.float_normal = fnext if fvalid else None


# -- floats in [0, 1) -------------------------------------------------------------------------
def uniform53(e: Engine, n: int) -> np.ndarray:
    """n float64 uniforms as uniform_real_distribution<double> draws them."""
    return (e.raw64(n) & np.uint64(_M53)).astype(np.float64) * 2.0 ** -53


def uniform24(e: Engine, n: int) -> np.ndarray:
    """n float32 uniforms as uniform_real_distribution<float> draws them."""
    return (e.raw32(n) & np.uint64(_M24)).astype(np.float32) * f32(2.0 ** -24)


def uniform(e: Engine, n: int, double: bool) -> np.ndarray:
    return uniform53(e, n) if double else uniform24(e, n)


# -- fused multiply-add, exactly rounded, for emulating compiled kernels ----------------------
_MID_MASK, _MID = np.int64((1 << 29) - 1), np.int64(1 << 28)


def fma32(a, b, c) -> np.ndarray:
    """float32 a * b + c with one rounding, like a hardware fma.

    The product of two floats is exact in float64 and the sum rounds once there; rounding
    that again to float32 is right unless the float64 sum lies exactly halfway between two
    floats (its low 29 mantissa bits are 1000...0), where the lost remainder decides."""
    p = np.multiply(a, b, dtype=np.float64)
    s = p + c
    mid = (s.view(np.int64) & _MID_MASK) == _MID
    if mid.any():
        i = np.nonzero(mid)
        pi, ci, si = np.broadcast_to(p, s.shape)[i], np.broadcast_to(c, s.shape)[i], s[i]
        bb = si - pi
        err = (pi - (si - bb)) + (ci - bb)  # si + err == pi + ci exactly
        s[i] = np.where(err == 0, si, np.nextafter(si, np.where(err > 0, np.inf, -np.inf)))
    return s.astype(f32)


def _two_prod(a, b):
    split = 134217729.0  # 2**27 + 1: Dekker's split, no hardware fma needed
    ca, cb = split * a, split * b
    ah = ca - (ca - a)
    bh = cb - (cb - b)
    al, bl = a - ah, b - bh
    p = a * b
    return p, ((ah * bh - p) + ah * bl + al * bh) + al * bl


def fma64(a, b, c) -> np.ndarray:
    """float64 a * b + c with (all but always) one rounding, from error-free products."""
    a, b, c = (np.asarray(v, np.float64) for v in (a, b, c))
    p, pe = _two_prod(a, b)
    s = p + c
    bb = s - p
    se = (p - (s - bb)) + (c - bb)
    return s + (se + pe)


# -- torch's AVX2 float32 log and sincos (Cephes polynomials, as the compiler fuses them) -----
_LOG_P = [7.0376836292E-2, -1.1514610310E-1, 1.1676998740E-1, -1.2420140846E-1,
          1.4249322787E-1, -1.6668057665E-1, 2.0000714765E-1, -2.4999993993E-1,
          3.3333331174E-1]


def _avx_log(x: np.ndarray) -> np.ndarray:
    """Natural log of positive float32 x, rounding step by step like torch's log256_ps."""
    x = np.maximum(x, f32(1.17549435e-38))
    bits = x.view(np.int32)
    e = ((bits >> 23) - 127).astype(f32) + f32(1)
    m = ((bits & ~0x7F800000) | 0x3F000000).view(f32)   # mantissa in [0.5, 1)
    small = m < f32(0.707106781186547524)
    m = (m - f32(1)) + np.where(small, m, f32(0))
    e = e - small.astype(f32)
    z = m * m
    y = np.full_like(m, f32(_LOG_P[0]))
    for p in _LOG_P[1:]:
        y = fma32(y, m, f32(p))
    y = fma32(y * m, z, e * f32(-2.12194440e-4))
    y = y - z * f32(0.5)
    return (m + y) + e * f32(0.693359375)  # an exact product: the fma rounds only the sum


def _avx_sincos(x: np.ndarray):
    """(sin, cos) of non-negative float32 x, like torch's sincos256_ps."""
    j = (x * f32(1.27323954473516)).astype(np.int32)
    j = (j + 1) & ~1
    y = j.astype(f32)
    x = x + y * f32(-0.78515625)  # y <= 8: these two products are exact, so no fma needed
    x = x + y * f32(-2.4187564849853515625e-4)
    x = fma32(y, f32(-3.77489497744594108e-8), x)
    z = x * x
    c = fma32(f32(2.443315711809948E-005), z, f32(-1.388731625493765E-003))
    c = fma32(c, z, f32(4.166664568298827E-002))
    c = fma32(c * z, z, -(z * f32(0.5))) + f32(1)
    s = fma32(f32(-1.9515295891E-4), z, f32(8.3321608736E-3))
    s = fma32(s, z, f32(-1.6666654611E-1))
    s = fma32(s * z, x, x)
    poly = (j & 2) == 0
    sin, cos = np.where(poly, s, c), np.where(poly, c, s)
    sin = np.where((j & 4) != 0, -sin, sin)
    cos = np.where(((~(j - 2)) & 4) != 0, -cos, cos)
    return sin, cos


def _box_muller16(u: np.ndarray, mean: float, std: float, double: bool) -> np.ndarray:
    """torch's normal_fill_16 on rows of 16 uniforms (in place of u)."""
    if double:
        u1, u2 = 1.0 - u[:, :8], u[:, 8:]
        radius = np.sqrt(-2.0 * np.log(u1))
        theta = (2.0 * np.pi) * u2
        a, b = radius * np.cos(theta), radius * np.sin(theta)
        if std != 1.0 or mean != 0.0:
            a, b = fma64(a, std, mean), fma64(b, std, mean)
    else:
        u1, u2 = f32(1) - u[:, :8], u[:, 8:]
        radius = np.sqrt(f32(-2) * _avx_log(u1))
        sin, cos = _avx_sincos(f32(2.0 * np.pi) * u2)
        a, b = radius * cos, radius * sin
        if std != 1.0 or mean != 0.0:
            a, b = fma32(a, f32(std), f32(mean)), fma32(b, f32(std), f32(mean))
    u[:, :8], u[:, 8:] = a, b
    return u


_ROWS = 8192


def normal_fill(e: Engine, n: int, mean: float, std: float, double: bool,
                half: bool = False) -> np.ndarray:
    """n >= 16 normals of a contiguous tensor: float64, or float32 (also the working type of
    float16/bfloat16, which draw block by block: ``half`` skips the tail's unused uniforms).

    torch draws all n uniforms, then transforms; drawing and transforming slice by slice
    consumes the stream in the same order and keeps each slice in cache."""
    whole = n // 16 * 16
    out = np.empty(n, np.float64 if double else f32)
    for i in range(0, whole, 16 * _ROWS):
        j = min(i + 16 * _ROWS, whole)
        rows = out[i:j].reshape(-1, 16)
        rows[...] = uniform(e, j - i, double).reshape(-1, 16)
        _box_muller16(rows, mean, std, double)
    if not half:
        e.raw32((n - whole) * (2 if double else 1))  # drawn, then overwritten by the tail
    if n % 16:
        out[n - 16:] = _box_muller16(uniform(e, 16, double).reshape(1, 16), mean, std,
                                     double).ravel()
    return out


def normal_scalar(e: Engine, n: int, mean: float = 0.0, std: float = 1.0) -> np.ndarray:
    """n float64 normals drawn one by one (normal_distribution<double>), using the cache."""
    out = np.empty(n, np.float64)
    k = 0
    if n and e.normal is not None:
        out[0], e.normal, k = e.normal, None, 1
    rest = n - k
    if rest:
        pairs = (rest + 1) // 2
        u = uniform53(e, 2 * pairs)
        r = np.sqrt(-2.0 * np.log1p(-u[1::2]))
        theta = 2.0 * np.pi * u[0::2]
        z = np.empty(2 * pairs)
        z[0::2], z[1::2] = r * np.cos(theta), r * np.sin(theta)
        out[k:] = z[:rest]
        if rest % 2:
            e.normal = float(z[-1])
    if std != 1.0 or mean != 0.0:
        out = fma64(out, std, mean)
    return out


def normal(e: Engine, n: int, mean: float, std: float, double: bool, contiguous=True,
           half: bool = False):
    """normal_kernel: the vectorised fill for >= 16 contiguous values, else one by one."""
    if n >= 16 and contiguous:
        return normal_fill(e, n, mean, std, double, half)
    return normal_scalar(e, n, mean, std)


# -- integers ------------------------------------------------------------------------------
def integers(e: Engine, n: int, range_: int, base: int, wide: bool) -> np.ndarray:
    """uniform_int_from_to: (draw % range) + base as int64; 64-bit draws when range >= 2**32
    and the dtype is wide (int64, float64, float32, bfloat16)."""
    if range_ >= 1 << 64:  # random_(-2**63, None): every int64
        return e.raw64(n).view(np.int64)
    r = e.raw64(n) if wide and range_ >= 1 << 32 else e.raw32(n)
    return (r % np.uint64(range_)).astype(np.int64) + np.int64(base)  # wraps like torch's


def _stable_argsort(j: np.ndarray) -> np.ndarray:
    """np.argsort(j, kind="stable") for 0 <= j < 2**32, as two 16-bit radix passes (numpy
    radix-sorts 16-bit keys), a few times faster than its merge sort on int64."""
    order = np.argsort((j & 0xFFFF).astype(np.uint16), kind="stable")
    if j.size and j.max() >= 1 << 16:
        order = order[np.argsort((j >> 16).astype(np.uint16)[order], kind="stable")]
    return order


def _forward_swaps(j: np.ndarray) -> np.ndarray:
    """The permutation of 0..m that swapping a[i] with a[j[i]] (i <= j[i]) for i = 0..m-1 in
    turn leaves, without the sequential loop.

    Step i puts at i the value position j[i] holds just then. That value is j[i] itself when
    no earlier step targeted j[i], else what the latest such step k moved there: the value
    position k held just before step k, W(k). W(p) is p when no step before p targeted p,
    else W(latest step that did): a chain of pointers, followed by repeated doubling."""
    m = j.size
    n = m + 1
    steps = np.arange(m)
    order = _stable_argsort(j)                   # steps grouped by target, each in step order
    js = j[order]
    same = js[1:] == js[:-1]
    prev = np.full(m, -1)                         # the latest earlier step with the same target
    prev[order[1:][same]] = order[:-1][same]
    last = np.full(n, -1)
    beyond = j > steps                            # steps that moved a value past themselves
    np.maximum.at(last, j[beyond], steps[beyond])  # position p <- latest step k < p targeting p
    ptr = np.where(last >= 0, last, np.arange(n))
    while True:
        nxt = ptr[ptr]
        if np.array_equal(nxt, ptr):
            break
        ptr = nxt
    out = np.empty(n, np.int64)
    out[:m] = np.where(j == steps, ptr[:m], np.where(prev >= 0, ptr[np.maximum(prev, 0)], j))
    out[m] = ptr[m]
    return out


def randperm(e: Engine, n: int) -> np.ndarray:
    """torch's CPU randperm: below 2**32 / 20, a[i] swaps with a[i + random() % (n - i)] for
    i = 0..n-2; above, an inside-out shuffle with random64() % (i + 1)."""
    if n < 0xFFFFFFFF // 20:
        if n <= 1:
            return np.arange(n, dtype=np.int64)
        z = (e.raw32(n - 1) % np.arange(n, 1, -1, dtype=np.uint64)).astype(np.int64)
        return _forward_swaps(z + np.arange(n - 1, dtype=np.int64))
    out = [0] * n
    z = (e.raw64(n) % np.arange(1, n + 1, dtype=np.uint64)).astype(np.int64).tolist()
    for i, j in enumerate(z):
        out[i] = out[j]
        out[j] = i
    return np.array(out, dtype=np.int64)


# -- poisson ---------------------------------------------------------------------------------
class _Uniforms:
    """float64 uniforms taken one at a time, drawn from the engine in chunks; ``close``
    leaves the engine exactly past the ones used (a rewind, then a skip of that many)."""

    def __init__(self, e: Engine, chunk: int = 4096):
        self.e, self.chunk, self.used = e, chunk, 0
        self.saved = (e.bitgen.state, e.fresh)
        self.buf, self.pos = [], 0

    def __call__(self) -> float:
        if self.pos == len(self.buf):
            self.buf, self.pos = uniform53(self.e, self.chunk).tolist(), 0
        self.pos += 1
        self.used += 1
        return self.buf[self.pos - 1]

    def close(self) -> None:
        self.e.bitgen.state, self.e.fresh = self.saved
        self.e.raw64(self.used)


def _poisson_one(lam: float, uniform) -> int:
    """torch's sample_poisson (numpy's legacy algorithm): Knuth's product of uniforms below
    10, Hoermann's transformed rejection (PTRS) from 10 on; plain float64 steps, no fma."""
    if lam >= 10:
        slam, loglam = math.sqrt(lam), math.log(lam)
        b = 0.931 + 2.53 * slam
        a = -0.059 + 0.02483 * b
        invalpha = 1.1239 + 1.1328 / (b - 3.4)
        vr = 0.9277 - 3.6224 / (b - 2)
        while True:
            u = uniform() - 0.5
            v = uniform()
            us = 0.5 - abs(u)
            if us == 0:  # a uniform of exactly 0: C's k is -inf there, which it rejects
                continue
            k = math.floor((2 * a / us + b) * u + lam + 0.43)
            if us >= 0.07 and v <= vr:
                return k
            if k < 0 or (us < 0.013 and v > us):
                continue
            if ((math.log(v) if v > 0 else -math.inf) + math.log(invalpha)
                    - math.log(a / (us * us) + b)
                    <= -lam + k * loglam - math.lgamma(k + 1)):
                return k
    if lam == 0:
        return 0
    enlam, x, prod = math.exp(-lam), 0, 1.0
    while True:
        prod *= uniform()
        if prod > enlam:
            x += 1
        else:
            return x


def poisson(e: Engine, rates) -> np.ndarray:
    """One Poisson draw per rate (float64 array, C order), in torch's order."""
    rates = np.asarray(rates, np.float64)
    uniform = _Uniforms(e, min(4096, 4 * rates.size + 16))
    try:
        out = [_poisson_one(r, uniform) for r in rates.ravel().tolist()]
    finally:
        uniform.close()
    return np.array(out, dtype=np.float64).reshape(rates.shape)
