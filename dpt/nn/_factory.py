"""factory_kwargs: torch.nn's helper that gathers device/dtype/memory_format arguments."""
from __future__ import annotations

__all__ = ["factory_kwargs"]

_SIMPLE = {"device", "dtype", "memory_format"}


def factory_kwargs(kwargs):
    """factory_kwargs(kwargs): a new dict of the device, dtype and memory_format entries of
    kwargs, merged with those of its 'factory_kwargs' entry; any other key is a TypeError, and
    so is a key given both ways."""
    if kwargs is None:
        return {}
    allowed = _SIMPLE | {"factory_kwargs"}
    if not kwargs.keys() <= allowed:
        raise TypeError(f"unexpected kwargs {kwargs.keys() - allowed}")
    out = dict(kwargs.get("factory_kwargs", {}))
    for key in _SIMPLE:
        if key in kwargs:
            if key in out:
                raise TypeError(f"{key} specified twice, in **kwargs and in factory_kwargs")
            out[key] = kwargs[key]
    return out
