"""The coalesced collectives torch keeps for old code (and warns about): many tensors in one
collective, packed into a flat buffer, run with the ordinary collective, then unpacked."""
from __future__ import annotations

import warnings

from .._device import xp_of
from .._tensor import Tensor
from .collectives import _bump, _same_device, _tensor_list, all_gather_into_tensor, all_reduce
from .process_group import resolve
from .reduce_op import ReduceOp, supports_complex

__all__ = ["all_reduce_coalesced", "all_gather_coalesced"]


def _deprecated(name: str) -> None:
    warnings.warn(f"`dpt.distributed.{name}` will be deprecated (as in torch); use one "
                  "collective per tensor or pack the tensors yourself", FutureWarning,
                  stacklevel=3)


def _one_dtype(op: str, tensors) -> None:
    dtypes = {t.dtype for t in tensors}
    if len(dtypes) > 1:
        raise ValueError(f"{op}: every tensor must have the same dtype, found "
                         f"{sorted(d.name for d in dtypes)}")


def _flat(tensors):
    xp = xp_of(tensors[0]._data)
    return xp.concatenate([xp.ravel(t._data) for t in tensors])


def _unpack(flat, tensors):
    offset = 0
    for t in tensors:
        n = t.numel()
        t._data[...] = flat[offset:offset + n].reshape(t._data.shape)
        offset += n


def _finish(work, async_op: bool, copy_out):
    if work is None:
        return None
    work.then(copy_out)
    if async_op:
        return work.get_future()
    work.wait()
    return None


def all_reduce_coalesced(tensors, op=ReduceOp.SUM, group=None, async_op: bool = False):
    """all_reduce_coalesced(tensors, op=ReduceOp.SUM, group=None, async_op=False): all_reduce
    each tensor (a tensor or a list of them, one dtype) in one collective; with async_op a
    Future. Deprecated in torch: warns FutureWarning."""
    _deprecated("all_reduce_coalesced")
    name = "all_reduce_coalesced"
    tensors = [tensors] if isinstance(tensors, Tensor) else _tensor_list(tensors, "tensor", name)
    _one_dtype(name, tensors)
    if resolve(group) is None or not tensors:
        return None
    _same_device(name, *tensors)
    if tensors[0].is_complex() and not supports_complex(op):
        raise ValueError(f"all_reduce does not support {op} on complex tensors")
    buf = Tensor._make(_flat(tensors))
    work = all_reduce(buf, op, group, async_op=True)
    _bump(*tensors)
    return _finish(work, async_op, lambda: _unpack(buf._data, tensors))


def all_gather_coalesced(output_tensor_lists, input_tensor_list, group=None,
                         async_op: bool = False):
    """all_gather_coalesced(output_tensor_lists, input_tensor_list, group=None, async_op=False):
    output_tensor_lists[r][i] = rank r's input_tensor_list[i], in one collective; with async_op
    a Future. Deprecated in torch: warns FutureWarning."""
    _deprecated("all_gather_coalesced")
    name = "all_gather_coalesced"
    pg = resolve(group)
    if pg is None:
        return None
    ins = _tensor_list(input_tensor_list, "input_tensor_list", name)
    _one_dtype(name, ins)
    if not isinstance(output_tensor_lists, list):
        raise TypeError("Invalid function argument: output_tensor_lists should be a list")
    outs = [_tensor_list(lst, "output_tensor_lists", name) for lst in output_tensor_lists]
    if len(outs) != pg.size():
        raise ValueError(f"{name}: output_tensor_lists has {len(outs)} lists but the group has "
                         f"{pg.size()} ranks")
    for lst in outs:
        _one_dtype(name, lst + ins)
        if [t.numel() for t in lst] != [t.numel() for t in ins]:
            raise RuntimeError(f"{name}: each list in output_tensor_lists must match "
                               f"input_tensor_list's sizes {[list(t.shape) for t in ins]}, got "
                               f"{[list(t.shape) for t in lst]}")
    if not ins:
        return None
    _same_device(name, *ins, *(t for lst in outs for t in lst))
    flat = _flat(ins)
    every = Tensor._make(xp_of(flat).empty((pg.size(), flat.size), dtype=flat.dtype))
    work = all_gather_into_tensor(every, Tensor._make(flat), group, async_op=True)
    _bump(*(t for lst in outs for t in lst))

    def copy_out():
        for r, lst in enumerate(outs):
            _unpack(every._data[r], lst)
    return _finish(work, async_op, copy_out)
