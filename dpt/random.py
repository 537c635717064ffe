"""Random number generators: ``dpt.Generator``, one default generator per device, seeding.

Same API as ``torch.random`` / ``torch.Generator``: ``manual_seed``, ``seed``,
``initial_seed``, ``get_rng_state``/``set_rng_state`` and ``fork_rng``.

- CPU generators are torch's CPU generator (see ``dpt/_mt19937.py``): an mt19937 seeded
  like torch, the same transforms from its 32-bit stream to floats, normals, integers and
  permutations, and torch's 5056-byte state layout, so ``torch.get_rng_state()`` bytes
  resume here (and dpt's state resumes in torch). After ``dpt.manual_seed(s)`` these equal
  torch's CPU results bit for bit: rand/rand_like/uniform_, randn/randn_like/normal_/normal
  (float32 and float64, the vectorised path for >= 16 contiguous values and the one-by-one
  path with its cached second normal), randint/random_ (32- and 64-bit ranges), randperm,
  bernoulli/bernoulli_ (number or tensor p), multinomial (with and without replacement),
  exponential_, geometric_, cauchy_, log_normal_ (in-place fills of strided tensors too:
  they draw in memory order, as torch does), F.dropout and its feature/alpha forms and the
  RNNs' inter-layer dropout, nn.init's uniform/normal/kaiming/xavier/trunc_normal_/sparse_
  (so the layers start from torch's weights), and the orders of RandomSampler,
  SubsetRandomSampler, WeightedRandomSampler, DistributedSampler, random_split and a
  shuffling DataLoader; poisson, binomial, _standard_gamma and _sample_dirichlet (torch's
  rejection samplers, element by element: see dpt/distributions/_sampling.py), hence the
  samples of every dpt.distributions distribution.
  Not matched (with the reason):

  * ``orthogonal_``: same normals, but the QR factorisation is numpy's LAPACK, not torch's
    MKL, so the result agrees to rounding (~1e-6), not bit for bit.
  * float32 ``normal_`` on >= 16 values follows torch's x86 AVX2 kernel (log and sincos
    re-done step for step); torch builds without AVX2 (ARM, old x86) use libm there and can
    differ in the last bit. float64 uses numpy's log/sin/cos, equal to glibc's on the
    machines tested; a numpy whose SIMD float64 transcendental functions round differently
    can differ by one ulp.
  * ``trunc_normal_`` (torch 2.13's rejection sampler) and samplers built on float32
    ``log``/``exp`` of the draws (e.g. Gumbel, Laplace) go through numpy's float32 math,
    which may differ from torch's vectorised kernels in the last bit; a rejection test
    sitting exactly on such a value would then take another branch (not seen in tests).
  * ``randint``/``random_`` on float32 tensors with ranges past 2**24 (torch warns that
    these are out of bounds) give other values.
  * torch's MKL Bernoulli path (Intel CPUs in builds with ``FBCODE_CAFFE2`` only) is not
    followed; public torch wheels use the path matched here.
- CUDA generators work like torch's Philox generator: the state is ``(seed, offset)``;
  each draw seeds a GPU Philox stream from the pair and advances the offset by one. Their
  numbers are not torch's CUDA numbers.
"""
from __future__ import annotations

import contextlib
import math
import os

import numpy as np

from . import _device, _mt19937
from ._tensor import Tensor

__all__ = ["Generator", "default_generator", "manual_seed", "seed", "initial_seed",
           "get_rng_state", "set_rng_state", "fork_rng"]

DEFAULT_SEED = 67280421310721  # torch's default seed, so initial_seed() reads the same
_U64 = (1 << 64) - 1
_U128 = (1 << 128) - 1


def _check_seed(seed) -> int:
    """torch accepts any int in [-2**63, 2**64); negative seeds wrap to uint64."""
    seed = int(seed)
    if not -(1 << 63) <= seed <= _U64:
        raise RuntimeError(f"Overflow when unpacking long: seed {seed} does not fit in 64 bits")
    return seed & _U64


class Generator:
    """Generator(device='cpu'): a random stream with its own seed and state.

    ``manual_seed``/``seed`` return the generator itself (as torch does) so calls chain:
    ``g = dpt.Generator().manual_seed(0)``.
    """

    def __init__(self, device="cpu"):
        dev = _device.as_device(device)
        if dev.type == "cuda":
            _device.array_module(dev)  # a clear error when there is no GPU
        self._device = dev
        self._seed = DEFAULT_SEED
        self._reset()

    @property
    def device(self) -> _device.device:
        return self._device

    def _reset(self):
        if self._device.type == "cpu":
            self._engine = _mt19937.Engine(self._seed)
        else:
            self._offset = 0

    def manual_seed(self, seed) -> "Generator":
        self._seed = _check_seed(seed)
        self._reset()
        return self

    def seed(self) -> int:
        """Seed from the operating system's entropy; returns the new seed."""
        s = int.from_bytes(os.urandom(8), "little") & ((1 << 63) - 1)
        self.manual_seed(s)
        return s

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self):
        """The full state as a uint8 tensor (torch returns a ByteTensor too)."""
        if self._device.type == "cpu":  # torch's CPUGeneratorImplState bytes
            raw = self._engine.get_state()
            return Tensor._make(np.frombuffer(raw, dtype=np.uint8).copy())
        words, sizes = [self._seed, self._offset], (8, 8)
        raw = b"".join(int(w).to_bytes(n, "little") for w, n in zip(words, sizes))
        return Tensor._make(np.frombuffer(raw, dtype=np.uint8).copy())

    def set_state(self, new_state) -> "Generator":
        if not isinstance(new_state, Tensor) or new_state.dtype.name != "uint8":
            got = new_state.type() if isinstance(new_state, Tensor) else type(new_state).__name__
            raise TypeError(f"expected a dpt.ByteTensor, but got {got}")
        raw = _device.to_numpy(new_state._data).tobytes()
        if self._device.type == "cpu":
            self._engine.set_state(raw)
            self._seed = self._engine.initial_seed
            return self
        expected = 16
        if len(raw) != expected:
            raise RuntimeError(f"Generator.set_state: expected a state of {expected} bytes for a "
                               f"{self._device.type} generator, got {len(raw)}")

        def word(lo, hi):
            return int.from_bytes(raw[lo:hi], "little")

        self._seed = word(0, 8)
        self._offset = word(8, 16)
        return self

    def __repr__(self):
        return f"<dpt.Generator object at {id(self):#x}>"

    def __reduce__(self):
        return (_rebuild_generator, (str(self._device), self.get_state()))

    # -- the primitives every sampler in dpt.ops.random is built from --------------------
    # On the CPU each one is torch's CPU algorithm (dpt/_mt19937.py); on a GPU, a Philox draw.
    def _stream(self):
        """A numpy-style stream: numpy's Generator on the CPU twister, or a fresh GPU Philox."""
        if self._device.type == "cpu":
            self._engine.fresh = False
            return np.random.Generator(self._engine.bitgen)
        sub = np.random.SeedSequence([self._seed, self._offset]).generate_state(1, np.uint64)[0]
        self._offset += 1
        return _device.philox_stream(self._device, int(sub))

    def _uniform(self, shape, np_dtype):
        """Floats in [0, 1) of dtype float32 or float64 (torch: 24 / 53 random bits)."""
        if self._device.type == "cpu":
            n = math.prod(shape)
            return _mt19937.uniform(self._engine, n, np_dtype == np.float64).reshape(shape)
        return self._stream().random_sample(shape, dtype=np_dtype)

    def _normal(self, shape, np_dtype, mean=0.0, std=1.0, contiguous=True, half=False):
        """N(mean, std**2) floats of dtype float32 or float64; ``contiguous=False`` draws the
        way torch fills a strided tensor (one by one), ``half`` the way it fills float16 and
        bfloat16 ones."""
        if self._device.type == "cpu":
            z = _mt19937.normal(self._engine, math.prod(shape), mean, std,
                                np_dtype == np.float64, contiguous, half)
            return z.astype(np_dtype, copy=False).reshape(shape)
        z = self._stream().standard_normal(shape, dtype=np_dtype)
        return z if (mean, std) == (0.0, 1.0) else (z * std + mean).astype(np_dtype, copy=False)

    def _integers(self, low: int, high: int, shape, wide: bool = True):
        """int64 values in [low, high] (both ends included). On the CPU, as torch's random_:
        draw % range + low, with 64-bit draws when the range needs them and ``wide`` (the
        target dtype is int64, float64, float32 or bfloat16)."""
        if self._device.type == "cpu":
            n = math.prod(shape)
            return _mt19937.integers(self._engine, n, high - low + 1, low, wide).reshape(shape)
        s = self._stream()
        if high - low < (1 << 63) - 1:
            return s.randint(low, high + 1, shape, dtype=np.int64)
        # the full int64 range: two 32-bit halves
        hi = s.randint(0, 1 << 31, shape, dtype=np.int64)
        lo = s.randint(0, 1 << 32, shape, dtype=np.int64)
        return (hi << 32) | lo

    def _permutation(self, n: int):
        if self._device.type == "cpu":
            return _mt19937.randperm(self._engine, n)
        return self._stream().permutation(n).astype(np.int64, copy=False)

    def _poisson(self, lam):
        if self._device.type == "cpu":  # torch's sampler, one rate after another
            return _mt19937.poisson(self._engine, lam)
        return self._stream().poisson(lam)


def _rebuild_generator(device, state):
    return Generator(device).set_state(state)


# -- default generators: one for the CPU, one per CUDA device (created on first use) ------
default_generator = Generator("cpu")
_cuda_generators: dict = {}
_cuda_seed = DEFAULT_SEED


def default_generator_for(device) -> Generator:
    dev = _device.as_device(device)
    if dev.type == "cpu":
        return default_generator
    g = _cuda_generators.get(dev.index)
    if g is None:
        g = _cuda_generators[dev.index] = Generator(dev).manual_seed(_cuda_seed)
    return g


def manual_seed(seed) -> Generator:
    """Seed the CPU generator and every CUDA generator; returns the CPU generator."""
    global _cuda_seed
    seed = _check_seed(seed)
    _cuda_seed = seed
    for g in _cuda_generators.values():
        g.manual_seed(seed)
    return default_generator.manual_seed(seed)


def seed() -> int:
    """Seed every default generator from the OS's entropy; returns the seed."""
    s = default_generator.seed()
    manual_seed(s)
    return s


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state():
    """The CPU generator's state as a uint8 tensor."""
    return default_generator.get_state()


def set_rng_state(new_state) -> None:
    default_generator.set_state(new_state)


@contextlib.contextmanager
def fork_rng(devices=None, enabled: bool = True, device_type: str = "cuda"):
    """Run a block whose random draws leave the default generators as they were."""
    if not enabled:
        yield
        return
    cuda = list(_cuda_generators.values()) if devices is None else \
        [default_generator_for(_device.device("cuda", int(d))) for d in devices]
    saved = [(g, g.get_state()) for g in [default_generator] + cuda]
    try:
        yield
    finally:
        for g, st in saved:
            g.set_state(st)
