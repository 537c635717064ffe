"""Padding layers: constant/zero, reflection, replication and circular, 1-3 dims."""
from __future__ import annotations

from ..._tensor import Tensor
from .. import functional as F
from ..functional.conv import _ntuple
from .module import Module

__all__ = ["ZeroPad1d", "ZeroPad2d", "ZeroPad3d", "ConstantPad1d", "ConstantPad2d",
           "ConstantPad3d", "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d",
           "ReplicationPad1d", "ReplicationPad2d", "ReplicationPad3d", "CircularPad1d",
           "CircularPad2d", "CircularPad3d"]


class _PadNd(Module):
    """padding: an int (all sides) or a 2*nd tuple (left, right, top, bottom, front, back)."""

    _nd = 0
    _mode = "constant"

    def __init__(self, padding) -> None:
        super().__init__()
        self.padding = _ntuple(padding, 2 * self._nd, "padding")

    def forward(self, input: Tensor) -> Tensor:
        nd = self._nd
        if input.ndim not in (nd + 1, nd + 2):
            raise ValueError(f"{type(self).__name__}: expected {nd + 1}D or {nd + 2}D input "
                             f"(got {input.ndim}D input of size {list(input.shape)})")
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding, value: float) -> None:
        super().__init__(padding)
        self.value = value

    def forward(self, input: Tensor) -> Tensor:
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """ConstantPad1d(padding, value): pads the last dim with value."""

    _nd = 1


class ConstantPad2d(_ConstantPadNd):
    """ConstantPad2d(padding, value): pads the last two dims with value."""

    _nd = 2


class ConstantPad3d(_ConstantPadNd):
    """ConstantPad3d(padding, value): pads the last three dims with value."""

    _nd = 3


class ZeroPad1d(ConstantPad1d):
    """ZeroPad1d(padding)."""

    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad2d(ConstantPad2d):
    """ZeroPad2d(padding)."""

    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad3d(ConstantPad3d):
    """ZeroPad3d(padding)."""

    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ReflectionPad1d(_PadNd):
    """ReflectionPad1d(padding): mirror padding (edge not repeated) of the last dim."""

    _nd, _mode = 1, "reflect"


class ReflectionPad2d(_PadNd):
    """ReflectionPad2d(padding)."""

    _nd, _mode = 2, "reflect"


class ReflectionPad3d(_PadNd):
    """ReflectionPad3d(padding)."""

    _nd, _mode = 3, "reflect"


class ReplicationPad1d(_PadNd):
    """ReplicationPad1d(padding): repeats the edge value."""

    _nd, _mode = 1, "replicate"


class ReplicationPad2d(_PadNd):
    """ReplicationPad2d(padding)."""

    _nd, _mode = 2, "replicate"


class ReplicationPad3d(_PadNd):
    """ReplicationPad3d(padding)."""

    _nd, _mode = 3, "replicate"


class CircularPad1d(_PadNd):
    """CircularPad1d(padding): wraps around."""

    _nd, _mode = 1, "circular"


class CircularPad2d(_PadNd):
    """CircularPad2d(padding)."""

    _nd, _mode = 2, "circular"


class CircularPad3d(_PadNd):
    """CircularPad3d(padding)."""

    _nd, _mode = 3, "circular"
