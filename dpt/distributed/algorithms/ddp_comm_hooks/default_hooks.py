"""The built-in DDP communication hooks: plain all-reduce and fp16/bf16 compression.

A hook is ``hook(state, bucket) -> Future`` whose value is the averaged bucket tensor;
``state`` is the process group (None for the default group), as in torch.
"""
from __future__ import annotations

from ...._tensor import Tensor
from ....futures import Future
from ... import collectives
from ...process_group import get_world_size


def allreduce_hook(process_group, bucket) -> Future:
    """Average the bucket: divide by the world size, then all-reduce (sum)."""
    buf = bucket.buffer()
    buf._data /= get_world_size(process_group)
    work = collectives.all_reduce(buf, group=process_group, async_op=True)
    return Future.from_work(work, buf)


def _compress_hook(process_group, bucket, np_dtype) -> Future:
    buf = bucket.buffer()
    compressed = Tensor._make((buf._data / get_world_size(process_group)).astype(np_dtype))
    work = collectives.all_reduce(compressed, group=process_group, async_op=True)

    def decompress(fut):
        buf._data[...] = fut.value()._data
        return buf
    return Future.from_work(work, compressed).then(decompress)


def fp16_compress_hook(process_group, bucket) -> Future:
    """All-reduce the bucket in float16 (halving the bytes sent), then cast back.

    Over MPI the sum itself is computed in float32 (MPI has no half arithmetic); the
    values sent and the rounding are those of float16.
    """
    import numpy as np

    return _compress_hook(process_group, bucket, np.float16)


def bf16_compress_hook(process_group, bucket) -> Future:
    """All-reduce the bucket in bfloat16, then cast back (see fp16_compress_hook)."""
    import ml_dtypes

    return _compress_hook(process_group, bucket, ml_dtypes.bfloat16)
