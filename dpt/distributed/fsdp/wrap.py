"""Auto-wrap policies: which submodules become FSDP units of their own.

A policy is called as ``policy(module=m, recurse=..., nonwrapped_numel=n)``: with
``recurse=True`` it answers whether to look inside m, with ``recurse=False`` whether to
wrap m itself, n being the number of m's parameters not already in a nested unit.
"""
from __future__ import annotations

import contextlib
from typing import Iterable

from ...nn import modules
from ...nn.modules.module import Module

__all__ = ["ModuleWrapPolicy", "always_wrap_policy", "enable_wrap", "lambda_auto_wrap_policy",
           "size_based_auto_wrap_policy", "wrap"]


def always_wrap_policy(module: Module, recurse: bool, nonwrapped_numel: int, **kwargs) -> bool:
    """Wrap every submodule."""
    return True


def lambda_auto_wrap_policy(module: Module, recurse: bool, nonwrapped_numel: int,
                            lambda_fn) -> bool:
    """Wrap the modules for which lambda_fn(module) is true."""
    return True if recurse else bool(lambda_fn(module))


def size_based_auto_wrap_policy(module: Module, recurse: bool, nonwrapped_numel: int,
                                min_num_params: int = int(1e8), force_leaf_modules=None,
                                exclude_wrap_modules=None) -> bool:
    """Wrap a module once at least min_num_params of its parameters are not yet wrapped
    (bind min_num_params with functools.partial). Modules of the force_leaf_modules classes
    are not looked into; exclude_wrap_modules are never wrapped."""
    force_leaf = tuple(force_leaf_modules) if force_leaf_modules is not None else \
        size_based_auto_wrap_policy.FORCE_LEAF_MODULES
    exclude = tuple(exclude_wrap_modules) if exclude_wrap_modules is not None else \
        size_based_auto_wrap_policy.EXCLUDE_WRAP_MODULES
    if recurse:
        return not isinstance(module, force_leaf)
    return nonwrapped_numel >= min_num_params and not isinstance(module, exclude)


def _defaults():
    leaf = tuple(c for c in (getattr(modules, "MultiheadAttention", None),) if c is not None)
    exclude = tuple(c for c in (getattr(modules, "ModuleList", None),
                                getattr(modules, "ModuleDict", None)) if c is not None)
    return leaf, exclude


size_based_auto_wrap_policy.FORCE_LEAF_MODULES, size_based_auto_wrap_policy.EXCLUDE_WRAP_MODULES \
    = _defaults()


class ModuleWrapPolicy:
    """ModuleWrapPolicy(module_classes): wrap every module that is an instance of one of them."""

    def __init__(self, module_classes: Iterable[type]):
        self._module_classes = tuple(set(module_classes))

    def __call__(self, module: Module, recurse: bool, nonwrapped_numel: int) -> bool:
        return True if recurse else isinstance(module, self._module_classes)

    def __repr__(self):
        return f"ModuleWrapPolicy({sorted(c.__name__ for c in self._module_classes)})"


def _recursive_wrap(module: Module, policy, kwargs: dict, only_wrap_children: bool = False,
                    memo: dict | None = None):
    """Wrap, bottom-up, the submodules policy picks; returns (module, wrapped numel). A
    module reached twice (shared) is wrapped once."""
    # the FSDP class imports this module to wrap its children: reach it at call time
    from .fully_sharded_data_parallel import FullyShardedDataParallel as FSDP

    memo = {} if memo is None else memo
    if id(module) in memo:
        return memo[id(module)][0], 0

    nonwrapped = sum(p.numel() for p in module.parameters())
    if not policy(module=module, recurse=True, nonwrapped_numel=nonwrapped):
        return module, 0
    wrapped_numel = 0
    for name, child in list(module._modules.items()):
        if child is None or isinstance(child, FSDP):
            continue
        new, n = _recursive_wrap(child, policy, kwargs, memo=memo)
        memo[id(child)] = (new, n)
        module._modules[name] = new
        wrapped_numel += n
    remainder = nonwrapped - wrapped_numel
    if not only_wrap_children and policy(module=module, recurse=False,
                                         nonwrapped_numel=remainder):
        return FSDP(module, **kwargs), nonwrapped
    return module, wrapped_numel


_wrap_kwargs: list = []


@contextlib.contextmanager
def enable_wrap(*, wrapper_cls=None, **wrapper_kwargs):
    """Within the context, wrap(module) wraps with wrapper_cls (FSDP) and these kwargs."""
    from .fully_sharded_data_parallel import FullyShardedDataParallel  # see _recursive_wrap

    _wrap_kwargs.append((wrapper_cls or FullyShardedDataParallel, wrapper_kwargs))
    try:
        yield
    finally:
        _wrap_kwargs.pop()


def wrap(module: Module, **wrap_overrides) -> Module:
    """Wrap module inside enable_wrap(); outside it, return module unchanged."""
    if not _wrap_kwargs:
        return module
    cls, kwargs = _wrap_kwargs[-1]
    return cls(module, **{**kwargs, **wrap_overrides})
