"""Memory formats and layouts: ``dpt.memory_format``, ``dpt.layout`` and their values.

dpt tensors are strided numpy/cupy arrays, so a memory format is a choice of strides:

- ``contiguous_format``: row-major (C) strides.
- ``channels_last`` (4-D) / ``channels_last_3d`` (5-D): the channel dim innermost, as
  NHWC / NDHWC in memory with the NCHW / NCDHW shape. ``contiguous(memory_format=)``,
  ``clone``, ``to``/``float()``/..., ``empty``, ``*_like`` (``rand_like`` & co. draw in memory
  order, as torch) give arrays with exactly torch's strides, and
  ``is_contiguous(memory_format=)`` answers from the strides the tensor has, as torch does.
- ``preserve_format``: keep the input's strides when it is dense, else channels-last if its
  strides look so, else row-major (torch's rule).

What is not emulated: torch's kernels propagate channels-last through convolutions,
pooling and normalisations; dpt's compute in whatever layout numpy picks (elementwise ops
keep it, reductions and convolutions return row-major), and ``nn.Module.to(memory_format=)``
leaves parameters as they are. Values never depend on the format.
The only layout is ``strided`` (dpt has no sparse tensors).
"""
from __future__ import annotations

import builtins

__all__ = ["memory_format", "layout", "contiguous_format", "channels_last",
           "channels_last_3d", "preserve_format", "legacy_contiguous_format", "strided"]


class _Named:
    """A singleton that prints, compares and pickles by its dpt name."""

    __slots__ = ("_name",)

    def __new__(cls, *args, **kwargs):
        raise TypeError(f"cannot create 'dpt.{cls.__name__}' instances")

    @classmethod
    def _make(cls, name: str):
        obj = object.__new__(cls)
        obj._name = name
        return obj

    def __repr__(self):
        return f"dpt.{self._name}"

    def __reduce__(self):
        return self._name  # pickled as the module global dpt._memory_format.<name>


class memory_format(_Named):
    """The type of dpt.contiguous_format, channels_last, channels_last_3d, preserve_format."""

    __slots__ = ()
    __module__ = "dpt"


class layout(_Named):
    """The type of dpt.strided (the only layout dpt has)."""

    __slots__ = ()
    __module__ = "dpt"


contiguous_format = memory_format._make("contiguous_format")
channels_last = memory_format._make("channels_last")
channels_last_3d = memory_format._make("channels_last_3d")
preserve_format = memory_format._make("preserve_format")
legacy_contiguous_format = contiguous_format  # torch's alias, kept for old code
strided = layout._make("strided")

# dim order from innermost to outermost of each channels-last format, and its rank
_CL_ORDER = {channels_last: (1, 3, 2, 0), channels_last_3d: (1, 4, 3, 2, 0)}
_LABEL = {contiguous_format: "Contiguous", channels_last: "ChannelsLast",
          channels_last_3d: "ChannelsLast3d", preserve_format: "Preserve"}


def check_format(fmt, op: str):
    """fmt as a memory_format (None means the op's default), or a TypeError naming op."""
    if fmt is not None and not isinstance(fmt, memory_format):
        raise TypeError(f"{op}(): argument 'memory_format' must be dpt.memory_format, not "
                        f"{type(fmt).__name__}")
    return fmt


def check_layout(value, op: str) -> None:
    """Creation functions' layout=: None or dpt.strided."""
    if value is None or value is strided:
        return
    if not isinstance(value, layout):
        raise TypeError(f"{op}(): argument 'layout' must be dpt.layout, not "
                        f"{type(value).__name__}")


def _require_rank(fmt, ndim: int) -> None:
    order = _CL_ORDER.get(fmt)
    if order is not None and ndim != len(order):
        raise RuntimeError(f"required rank {len(order)} tensor to use {fmt._name} format")


def _elem_strides(arr):
    item = arr.dtype.itemsize
    return tuple(s // item for s in arr.strides)


def is_contiguous(arr, fmt) -> bool:
    """torch's is_contiguous(memory_format=fmt) for an array's shape and strides."""
    check_format(fmt, "is_contiguous")
    if fmt is None or fmt is contiguous_format or fmt is preserve_format:
        return builtins.bool(arr.flags.c_contiguous)
    order = _CL_ORDER[fmt]
    if arr.ndim != len(order):
        return False
    if arr.size == 0:
        return False  # torch's channels-last flag stays unset on empty tensors
    strides, expected = _elem_strides(arr), 1
    for d in order:
        n = arr.shape[d]
        if n != 1:
            if strides[d] != expected:
                return False
            expected *= n
    return True


def _is_dense(arr) -> bool:
    """Non-overlapping and dense: some permutation of the dims is row-major contiguous."""
    dims = sorted((d for d in builtins.range(arr.ndim) if arr.shape[d] != 1),
                  key=lambda d: arr.strides[d])
    expected = arr.dtype.itemsize
    for d in dims:
        if arr.strides[d] != expected:
            return False
        expected *= arr.shape[d]
    return True


def suggest(arr):
    """The format preserve_format resolves to for arr (None: keep arr's own strides)."""
    if arr.size == 0 or arr.flags.c_contiguous:
        return contiguous_format
    if _is_dense(arr):
        return None
    for fmt, order in _CL_ORDER.items():
        if arr.ndim == len(order) and _looks_channels_last(arr, order):
            return fmt
    return contiguous_format


def _looks_channels_last(arr, order) -> bool:
    strides = [arr.strides[d] for d in order if arr.shape[d] != 1]
    return strides == sorted(strides) and arr.strides[1] < arr.strides[-1]


def _restride(arr, fmt):
    """A copy of arr with fmt's strides."""
    if fmt is contiguous_format:
        return arr.copy(order="C")
    return _in_order(arr, _CL_ORDER[fmt][::-1])


def _in_order(arr, order):
    """A copy of arr whose dims lie in memory in order (outermost first)."""
    return arr.transpose(order).copy(order="C").transpose(inverse(order))


def convert(arr, fmt, op: str, copy: bool):
    """arr laid out in fmt (None or preserve_format: torch's preserve rule); a copy when
    copy is true or the strides must change, else arr itself."""
    check_format(fmt, op)
    if fmt is None or fmt is preserve_format:
        fmt = suggest(arr)
        if fmt is None:
            return arr.copy(order="K") if copy else arr
    _require_rank(fmt, arr.ndim)
    if not copy and is_contiguous(arr, fmt):
        return arr
    return _restride(arr, fmt)


def physical_order(template, fmt, op: str):
    """The dims, outermost first, in which a *_like result of template lies in memory for fmt
    (default preserve_format), or None for row-major."""
    check_format(fmt, op)
    if fmt is None or fmt is preserve_format:
        fmt = suggest(template)
        if fmt is None:
            return tuple(sorted(builtins.range(template.ndim), key=lambda d: -template.strides[d]))
    if fmt is contiguous_format:
        return None
    _require_rank(fmt, template.ndim)
    return _CL_ORDER[fmt][::-1]


def like(template, arr, fmt, op: str):
    """A freshly made row-major arr, given the strides that fmt (default preserve) asks for,
    copying template's stride order for preserve_format as torch's *_like functions do."""
    order = physical_order(template, fmt, op)
    return arr if order is None else _in_order(arr, order)


def inverse(order):
    """The permutation that undoes order."""
    return tuple(order.index(d) for d in builtins.range(len(order)))


def for_new(arr, fmt, op: str):
    """empty(..., memory_format=fmt): preserve_format makes no sense without an input."""
    check_format(fmt, op)
    if fmt is None or fmt is contiguous_format:
        return arr
    if fmt is preserve_format:
        raise RuntimeError("unsupported memory format Preserve")
    _require_rank(fmt, arr.ndim)
    return _restride(arr, fmt)
