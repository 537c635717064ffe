"""skip_init: build a module without running its parameter initialisation."""
from __future__ import annotations

import inspect

from ... import random
from ..modules.module import Module

__all__ = ["skip_init"]


def skip_init(module_cls, *args, **kwargs):
    """skip_init(module_cls, *args, **kwargs): module_cls(*args, **kwargs) with parameters and
    buffers left uninitialised.

    module_cls must take a ``device`` keyword. torch builds the module on its meta device and
    then allocates; dpt has no meta device, so it builds the module with the random generators
    forked (the draws of its initialisation leave no trace) and then gives every parameter and
    buffer fresh storage with ``to_empty`` (dpt's empty storage is zeros).
    """
    if not (isinstance(module_cls, type) and issubclass(module_cls, Module)):
        raise RuntimeError(f"Expected a Module; got {module_cls}")
    if "device" not in inspect.signature(module_cls).parameters:
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    final_device = kwargs.pop("device", "cpu")
    with random.fork_rng():
        module = module_cls(*args, device=final_device, **kwargs)
    return module.to_empty(device=final_device)
