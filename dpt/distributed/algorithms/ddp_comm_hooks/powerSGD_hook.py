"""PowerSGD gradient compression for DDP (torch's powerSGD_hook and batched_powerSGD_hook).

Each gradient matrix M (n x m, a parameter's gradient viewed as shape[0] rows) is sent as
two thin factors instead of itself: P = M Q (n x r) is all-reduced and orthogonalised, then
Q = M^T P (m x r) is all-reduced, and every rank rebuilds the average as P Q^T / world.
That is (n + m) r numbers instead of n m. Error feedback adds what the approximation
missed to the next step's gradient; warm start reuses the last Q as the next starting
point. Vectors (biases) and matrices that would not shrink by ``min_compression_rate``
are all-reduced as they are, in the same message as the P factors. The batched variant
compresses the whole bucket as one square matrix.

The first ``start_powerSGD_iter`` iterations run the plain all-reduce (a warm-up, as in
the paper and in torch). Random starting Q come from ``random_seed``, the same on every
rank. The P all-reduce overlaps with the rest of backward; the Q all-reduce runs when DDP
waits for the bucket.
"""
from __future__ import annotations

import logging
import math

import numpy as np

from ...._device import xp_of
from ...._tensor import Tensor
from ....futures import Future
from ... import collectives
from ...process_group import get_world_size
from .default_hooks import allreduce_hook

__all__ = ["PowerSGDState", "powerSGD_hook", "batched_powerSGD_hook"]

_log = logging.getLogger(__name__)


class PowerSGDState:
    """PowerSGDState(process_group, matrix_approximation_rank=1, start_powerSGD_iter=1_000,
    min_compression_rate=2, use_error_feedback=True, warm_start=True,
    orthogonalization_epsilon=0, random_seed=0, compression_stats_logging_frequency=10_000,
    batch_tensors_with_same_shape=False).

    ``batch_tensors_with_same_shape`` is accepted and changes nothing (dpt compresses
    tensor by tensor).
    """

    def __init__(self, process_group, matrix_approximation_rank: int = 1,
                 start_powerSGD_iter: int = 1_000, min_compression_rate: float = 2,
                 use_error_feedback: bool = True, warm_start: bool = True,
                 orthogonalization_epsilon: float = 0, random_seed: int = 0,
                 compression_stats_logging_frequency: int = 10_000,
                 batch_tensors_with_same_shape: bool = False):
        if (use_error_feedback or warm_start) and start_powerSGD_iter <= 1:
            raise ValueError("Expect `start_powerSGD_iter` > 1 if `use_error_feedback` or "
                             "`warm_start` is enabled, because PowerSGD can only be applied "
                             "after the learning rate warmup.")
        self.process_group = process_group
        self.matrix_approximation_rank = matrix_approximation_rank
        self.start_powerSGD_iter = start_powerSGD_iter
        self.min_compression_rate = min_compression_rate
        self.use_error_feedback = use_error_feedback
        self.warm_start = warm_start
        self.orthogonalization_epsilon = orthogonalization_epsilon
        self.rng = np.random.RandomState(random_seed)
        self.compression_stats_logging_frequency = max(1, compression_stats_logging_frequency)
        self.batch_tensors_with_same_shape = batch_tensors_with_same_shape
        self.error_dict: dict = {}
        self.q_memory_dict: dict = {}
        self.iter = 0
        self.total_numel_before_compression = 0
        self.total_numel_after_compression = 0
        self.next_stats_report = 0

    def maybe_increase_iter(self, bucket) -> None:
        """Count an iteration once its last bucket is handled."""
        if bucket.is_last():
            self.iter += 1
            if self.iter == self.start_powerSGD_iter:
                _log.info("Start to apply PowerSGD after %d iterations.", self.iter)

    def compression_stats(self) -> tuple:
        """(compression rate, numel before, numel after) over every compressed bucket so far."""
        after = self.total_numel_after_compression
        rate = self.total_numel_before_compression / after if after else 0
        return rate, self.total_numel_before_compression, after

    def _record(self, before: int, after: int) -> None:
        self.total_numel_before_compression += before
        self.total_numel_after_compression += after
        if self.iter >= self.next_stats_report:
            self.next_stats_report = self.iter + self.compression_stats_logging_frequency
            _log.info("Compression stats: iter %d, total before compression %d, total after "
                      "compression %d, rate %.2f", self.iter, *self.compression_stats()[1:],
                      self.compression_stats()[0])

    def _starting_q(self, key, shape, dtype, xp):
        """A fresh orthonormal Q, or (warm start) the one this tensor ended with last time."""
        q = self.q_memory_dict.get(key) if self.warm_start else None
        if q is None or q.shape != shape:
            seed = self.rng.randint(1_000_000_000)  # the same draw on every rank
            q = xp.asarray(np.random.default_rng(seed).standard_normal(shape).astype(dtype))
            _orthogonalize(q, self.orthogonalization_epsilon)
        return q


def _orthogonalize(matrix, epsilon: float = 0) -> None:
    """Gram-Schmidt on the columns, in place."""
    xp = xp_of(matrix)
    for i in range(matrix.shape[1]):
        col = matrix[:, i:i + 1]
        col /= xp.sqrt((col * col).sum()) + epsilon
        if i + 1 < matrix.shape[1]:
            rest = matrix[:, i + 1:]
            rest -= (col * rest).sum(axis=0, keepdims=True) * col


def _warm_up(state, bucket) -> Future:
    """Before start_powerSGD_iter: the plain all-reduce, counting the iteration."""
    state.maybe_increase_iter(bucket)
    return allreduce_hook(state.process_group, bucket)


def _start_compression(state, bucket):
    """Error feedback in, the buffer's value before compression kept (or None)."""
    x = bucket.buffer()._data
    if not state.use_error_feedback:
        return None
    err = state.error_dict.get(bucket.index())
    if err is not None and err.shape == x.shape:
        x += err
    return x.copy()


def _finish_compression(state, bucket, before) -> Tensor:
    buf = bucket.buffer()
    if before is not None:
        state.error_dict[bucket.index()] = before - buf._data
    state.maybe_increase_iter(bucket)
    return buf


def _allreduce_sum(arrays, pg, async_op):
    """One all-reduce (sum) of the concatenated arrays; (work or None, flat Tensor)."""
    xp = xp_of(arrays[0])
    flat = Tensor._make(xp.concatenate([a.reshape(-1) for a in arrays]))
    return collectives.all_reduce(flat, group=pg, async_op=async_op), flat


def _split(flat, shapes):
    out, off = [], 0
    for shape in shapes:
        n = math.prod(shape)
        out.append(flat[off:off + n].reshape(shape))
        off += n
    return out


def powerSGD_hook(state: PowerSGDState, bucket) -> Future:
    """powerSGD_hook(state, bucket): rank-r PowerSGD of each gradient matrix of the bucket."""
    pg = state.process_group
    if state.iter < state.start_powerSGD_iter:
        return _warm_up(state, bucket)
    world = get_world_size(pg)
    before = _start_compression(state, bucket)
    plain, mats = [], []
    for g in bucket.gradients():
        a = g._data
        if a.ndim > 1:
            n, m = a.shape[0], a.size // a.shape[0]
            r = min(n, m, state.matrix_approximation_rank)
            if n * m >= state.min_compression_rate * (n + m) * r:
                mats.append((a.reshape(n, m), r))
                continue
        plain.append(a)
    state._record(bucket.buffer()._data.size,
                  sum(a.size for a in plain) + sum((m.shape[0] + m.shape[1]) * r for m, r in mats))
    xp = xp_of(bucket.buffer()._data)
    qs = [state._starting_q((bucket.index(), i), (m.shape[1], r), m.dtype, xp)
          for i, (m, r) in enumerate(mats)]
    ps = [m @ q for (m, _), q in zip(mats, qs)]
    if not plain and not ps:
        return Future.from_work(collectives.all_reduce(bucket.buffer(), group=pg, async_op=True),
                                bucket.buffer())
    work, flat = _allreduce_sum(plain + ps, pg, async_op=True)

    def decompress(_):
        parts = _split(flat._data, [a.shape for a in plain] + [p.shape for p in ps])
        for a, s in zip(plain, parts):
            a[...] = s / world
        ps_sum = parts[len(plain):]
        for p in ps_sum:
            _orthogonalize(p, state.orthogonalization_epsilon)
        new_qs = [m.T @ p for (m, _), p in zip(mats, ps_sum)]
        if new_qs:
            _, qflat = _allreduce_sum(new_qs, pg, async_op=False)
            new_qs = _split(qflat._data, [q.shape for q in new_qs])
        for i, ((m, _), p, q) in enumerate(zip(mats, ps_sum, new_qs)):
            m[...] = (p @ q.T) / world
            if state.warm_start:
                state.q_memory_dict[(bucket.index(), i)] = q.copy()
        return _finish_compression(state, bucket, before)

    return Future.from_work(work, flat).then(decompress)


def batched_powerSGD_hook(state: PowerSGDState, bucket) -> Future:
    """batched_powerSGD_hook(state, bucket): the whole bucket, zero-padded to a square
    matrix, compressed at rank r (fewer, larger products than powerSGD_hook; coarser)."""
    pg = state.process_group
    if state.iter < state.start_powerSGD_iter:
        return _warm_up(state, bucket)
    world = get_world_size(pg)
    before = _start_compression(state, bucket)
    x = bucket.buffer()._data
    xp = xp_of(x)
    side = math.isqrt(x.size - 1) + 1 if x.size else 0
    r = min(side, state.matrix_approximation_rank)
    state._record(x.size, 2 * side * r)
    padded = xp.zeros(side * side, dtype=x.dtype)
    padded[:x.size] = x
    m = padded.reshape(side, side)
    q = state._starting_q((bucket.index(), "batched"), (side, r), x.dtype, xp)
    work, p = _allreduce_sum([m @ q], pg, async_op=True)

    def decompress(_):
        pm = p._data.reshape(side, r)
        _orthogonalize(pm, state.orthogonalization_epsilon)
        _, qt = _allreduce_sum([m.T @ pm], pg, async_op=False)
        qm = qt._data.reshape(side, r)
        x[...] = ((pm @ qm.T) / world).reshape(-1)[:x.size]
        if state.warm_start:
            state.q_memory_dict[(bucket.index(), "batched")] = qm.copy()
        return _finish_compression(state, bucket, before)

    return Future.from_work(work, p).then(decompress)
