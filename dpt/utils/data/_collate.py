"""default_collate and default_convert: turning samples into batches of tensors.

default_collate stacks a list of samples into one batch, recursing into the sample's
structure; default_convert (used when automatic batching is off) only turns numpy
arrays and numpy scalars into tensors.
"""
from __future__ import annotations

import collections.abc
import copy
import re

import numpy as np

import dpt

from ..._tensor import Tensor

__all__ = ["default_collate", "default_convert"]

# numpy dtypes that hold strings or python objects, which have no tensor equivalent
_NP_STR_OBJ = re.compile(r"[SaUO]")

_COLLATE_ERR = ("default_collate: batch must contain tensors, numpy arrays, numbers, dicts or "
                "lists; found {}")


def _is_numpy(x) -> bool:
    return type(x).__module__ == "numpy" and not isinstance(x, (np.str_, np.bytes_))


def _stack(batch: list) -> Tensor:
    shapes = [tuple(t.shape) for t in batch]
    for i, s in enumerate(shapes):
        if s != shapes[0]:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{list(shapes[0])} at entry 0 and {list(s)} at entry {i}")
    return dpt.stack(batch, 0)


def default_collate(batch):
    """default_collate(batch): merge a list of samples into a batch.

    Tensors are stacked along a new first dimension; numpy arrays become tensors and
    are stacked; python floats give a float64 tensor, ints an int64 tensor, bools a
    bool tensor, numpy scalars a tensor of their dtype; strings and bytes stay a list.
    Mappings, namedtuples and sequences are collated field by field (tuples give lists,
    as in torch); every sequence in the batch must have the same length.
    """
    elem = batch[0]
    elem_type = type(elem)
    if isinstance(elem, Tensor):
        return _stack(batch)
    if _is_numpy(elem):
        if isinstance(elem, np.ndarray):
            if _NP_STR_OBJ.search(elem.dtype.str) is not None:
                raise TypeError(_COLLATE_ERR.format(elem.dtype))
            return default_collate([dpt.as_tensor(b) for b in batch])
        if isinstance(elem, np.generic):
            return dpt.as_tensor(np.asarray(batch))
    if isinstance(elem, bool):
        return dpt.tensor(batch, dtype=dpt.bool)
    if isinstance(elem, float):
        return dpt.tensor(batch, dtype=dpt.float64)
    if isinstance(elem, int):
        return dpt.tensor(batch)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        collated = {key: default_collate([d[key] for d in batch]) for key in elem}
        if isinstance(elem, collections.abc.MutableMapping):
            clone = copy.copy(elem)  # keeps the mapping's type and its extra attributes
            clone.update(collated)
            return clone
        try:
            return elem_type(collated)
        except TypeError:
            return collated
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return elem_type(*(default_collate(list(s)) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if any(len(e) != size for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        transposed = [list(s) for s in zip(*batch)]
        if isinstance(elem, tuple):
            return [default_collate(s) for s in transposed]
        if isinstance(elem, collections.abc.MutableSequence):
            clone = copy.copy(elem)
            for i, s in enumerate(transposed):
                clone[i] = default_collate(s)
            return clone
        try:
            return elem_type([default_collate(s) for s in transposed])
        except TypeError:
            return [default_collate(s) for s in transposed]
    raise TypeError(_COLLATE_ERR.format(elem_type))


def default_convert(data):
    """default_convert(data): numpy arrays and numpy scalars to tensors, recursively.

    Everything else (tensors, numbers, strings, string arrays) is returned unchanged;
    the structure of mappings, namedtuples and sequences is kept.
    """
    if isinstance(data, Tensor):
        return data
    if _is_numpy(data):
        if isinstance(data, np.ndarray) and _NP_STR_OBJ.search(data.dtype.str) is not None:
            return data
        if isinstance(data, (np.ndarray, np.generic)):
            return dpt.as_tensor(np.asarray(data))
        return data
    if isinstance(data, collections.abc.Mapping):
        converted = {k: default_convert(v) for k, v in data.items()}
        if isinstance(data, collections.abc.MutableMapping):
            clone = copy.copy(data)
            clone.update(converted)
            return clone
        try:
            return type(data)(converted)
        except TypeError:
            return converted
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        if isinstance(data, collections.abc.MutableSequence):
            clone = copy.copy(data)
            for i, d in enumerate(data):
                clone[i] = default_convert(d)
            return clone
        try:
            return type(data)([default_convert(d) for d in data])
        except TypeError:
            return [default_convert(d) for d in data]
    return data
