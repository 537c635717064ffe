"""GradBucket: what a DDP communication hook receives (torch.distributed.GradBucket)."""
from __future__ import annotations

from .._tensor import Tensor

__all__ = ["GradBucket"]


class GradBucket:
    """One bucket of gradients handed to a communication hook: its index, its flat buffer,
    the per-parameter views into it, the parameters, and whether it is the last of the
    iteration. ``bucket`` is DDP's own bucket (index, buffer, views, params)."""

    def __init__(self, bucket, is_last: bool):
        self._bucket, self._is_last = bucket, is_last

    def index(self) -> int:
        return self._bucket.index

    def buffer(self) -> Tensor:
        return self._bucket.buffer

    def set_buffer(self, tensor: Tensor) -> None:
        self._bucket.buffer._data[...] = tensor._data

    def gradients(self) -> list:
        return [Tensor._make(v, base=self._bucket.buffer) for v in self._bucket.views]

    def parameters(self) -> list:
        return list(self._bucket.params)

    def is_last(self) -> bool:
        return self._is_last
