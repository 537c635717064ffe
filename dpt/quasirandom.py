"""dpt.quasirandom.SobolEngine: Sobol' low-discrepancy sequences, like torch.quasirandom.

Direction numbers are Joe and Kuo's (new-joe-kuo-6.21201), read from the table scipy ships
(scipy is a core dependency), so up to 21201 dimensions are supported. Point p of the
unscrambled sequence is the XOR of the direction numbers selected by the Gray code of p,
which gives torch's sequence: 0, 0.5, 0.75 / 0.25, ... in every dimension's first points.

Scrambling is Owen-style: each dimension's direction numbers are multiplied (over GF(2)) by a
random lower-triangular binary matrix with unit diagonal, and the points get a random
digital shift. The random bits come from numpy's generator seeded with ``seed``, so
scrambled points are reproducible within dpt but differ from torch's.
"""
from __future__ import annotations

import os

import numpy as np

from ._dtype import as_dtype, get_default_dtype
from ._tensor import Tensor

__all__ = ["SobolEngine"]

_TABLE = None


def _direction_table():
    """(poly, vinit) for all 21201 dimensions (loaded once)."""
    global _TABLE
    if _TABLE is None:
        import scipy.stats

        path = os.path.join(os.path.dirname(scipy.stats.__file__), "_sobol_direction_numbers.npz")
        with np.load(path) as data:
            _TABLE = (data["poly"].astype(np.int64), data["vinit"].astype(np.int64))
    return _TABLE


def _direction_numbers(dimension: int, maxbit: int) -> np.ndarray:
    """v[d, j] = m_{j+1} << (maxbit - j - 1): the direction numbers as maxbit-bit integers."""
    poly, vinit = _direction_table()
    m = np.zeros((dimension, maxbit), np.int64)
    m[0] = 1  # the first dimension is van der Corput's sequence
    for d in range(1, dimension):
        p = int(poly[d])
        s = p.bit_length() - 1
        m[d, :s] = vinit[d, :s]
        for j in range(s, maxbit):
            # m_j = 2 a_1 m_{j-1} ^ 4 a_2 m_{j-2} ^ ... ^ 2^s m_{j-s} ^ m_{j-s}
            new = m[d, j - s] ^ (m[d, j - s] << s)
            for k in range(1, s):
                if (p >> (s - k)) & 1:
                    new ^= m[d, j - k] << k
            m[d, j] = new
    return m << (maxbit - 1 - np.arange(maxbit, dtype=np.int64))


class SobolEngine:
    """SobolEngine(dimension, scramble=False, seed=None): draws from a Sobol' sequence.

    Methods as in torch: draw(n=1, out=None, dtype=None) -> (n, dimension) tensor,
    draw_base2(m), fast_forward(n), reset().
    """

    MAXBIT = 30
    MAXDIM = 21201

    def __init__(self, dimension: int, scramble: bool = False, seed: int | None = None):
        if dimension > self.MAXDIM or dimension < 1:
            raise ValueError(f"Supported range of dimensionality for SobolEngine is "
                             f"[1, {self.MAXDIM}]")
        self.seed = seed
        self.scramble = scramble
        self.dimension = dimension
        self.sobolstate = _direction_numbers(dimension, self.MAXBIT)
        self.shift = np.zeros(dimension, np.int64)
        if scramble:
            self._scramble()
        self.num_generated = 0

    def _scramble(self) -> None:
        rng = np.random.default_rng(self.seed)
        nb = self.MAXBIT
        self.shift = (rng.integers(0, 2, (self.dimension, nb)) <<
                      (nb - 1 - np.arange(nb))).sum(-1).astype(np.int64)
        ltm = np.tril(rng.integers(0, 2, (self.dimension, nb, nb)), -1) + np.eye(nb, dtype=np.int64)
        # Bits of each direction number, most significant first: bits[d, j, p].
        place = nb - 1 - np.arange(nb)
        bits = (self.sobolstate[:, :, None] >> place) & 1
        scrambled = np.einsum("dqp,djp->djq", ltm, bits) & 1
        self.sobolstate = (scrambled << place).sum(-1).astype(np.int64)

    def _points(self, start: int, n: int) -> np.ndarray:
        """Points start .. start + n - 1 as integers: shift ^ XOR of v over gray(p)'s bits."""
        p = np.arange(start, start + n, dtype=np.int64)
        gray = p ^ (p >> 1)
        out = np.broadcast_to(self.shift, (n, self.dimension)).copy()
        for j in range(self.MAXBIT):
            sel = ((gray >> j) & 1).astype(bool)
            if sel.any():
                out[sel] ^= self.sobolstate[:, j]
        return out

    def draw(self, n: int = 1, out: Tensor | None = None, dtype=None) -> Tensor:
        """draw(n=1, out=None, dtype=None): the next n points, shape (n, dimension), in the
        default dtype unless dtype is given."""
        dt = get_default_dtype() if dtype is None else as_dtype(dtype)
        ints = self._points(self.num_generated, n)
        self.num_generated += n
        result = Tensor._make((ints * (2.0 ** -self.MAXBIT)).astype(dt.np))
        if out is not None:
            if tuple(out.shape) != tuple(result.shape):
                out.resize_(tuple(result.shape))
            out.copy_(result)
            return out
        return result

    def draw_base2(self, m: int, out: Tensor | None = None, dtype=None) -> Tensor:
        """draw_base2(m): the next 2**m points; the total drawn must stay a power of 2."""
        n = 2 ** m
        total_n = self.num_generated + n
        if total_n & (total_n - 1):
            raise ValueError(f"The balance properties of Sobol' points require n to be a power "
                             f"of 2. {self.num_generated} points have been previously generated, "
                             f"then: n={self.num_generated}+2**{m}={total_n}. If you still want "
                             f"to do this, please use 'SobolEngine.draw()' instead.")
        return self.draw(n=n, out=out, dtype=dtype)

    def reset(self) -> "SobolEngine":
        """reset(): back to the first point."""
        self.num_generated = 0
        return self

    def fast_forward(self, n: int) -> "SobolEngine":
        """fast_forward(n): skip the next n points."""
        self.num_generated += n
        return self

    def __repr__(self) -> str:
        fmt = [f"dimension={self.dimension}"]
        if self.scramble:
            fmt.append("scramble=True")
        if self.seed is not None:
            fmt.append(f"seed={self.seed}")
        return f"{type(self).__name__}({', '.join(fmt)})"
