"""Named-tuple results of ops that return several tensors, like ``torch.return_types``.

Each type is a tuple (unpacks, indexes and compares like one) whose fields are also
attributes: ``dpt.max(x, 0).values``. The repr names the op the way torch does::

    dpt.return_types.max(
    values=tensor([3, 4]),
    indices=tensor([1, 1]))
"""
from __future__ import annotations

import collections

__all__ = ["aminmax", "cummax", "cummin", "kthvalue", "max", "median", "min", "mode", "nanmedian",
           "sort", "topk"]


def _repr(self) -> str:
    body = ",\n".join(f"{name}={value!r}" for name, value in zip(self._fields, self))
    return f"{__name__}.{type(self).__name__}(\n{body})"


def _reduce(self):
    # Pickle by module-level name, so loading finds dpt.return_types.<name> again.
    return (type(self), tuple(self))


def _result_type(name: str, fields: tuple) -> type:
    base = collections.namedtuple(name, fields)
    return type(name, (base,), {"__slots__": (), "__repr__": _repr, "__reduce__": _reduce,
                                "__module__": __name__, "__qualname__": name,
                                "__doc__": f"{name}({', '.join(fields)}): result of dpt.{name}."})


aminmax = _result_type("aminmax", ("min", "max"))
cummax = _result_type("cummax", ("values", "indices"))
cummin = _result_type("cummin", ("values", "indices"))
kthvalue = _result_type("kthvalue", ("values", "indices"))
max = _result_type("max", ("values", "indices"))
median = _result_type("median", ("values", "indices"))
min = _result_type("min", ("values", "indices"))
mode = _result_type("mode", ("values", "indices"))
nanmedian = _result_type("nanmedian", ("values", "indices"))
sort = _result_type("sort", ("values", "indices"))
topk = _result_type("topk", ("values", "indices"))
