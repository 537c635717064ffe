"""dpt.nn.utils.stateless: call a module with some parameters/buffers swapped for one call."""
from __future__ import annotations

import contextlib
import warnings
from collections import defaultdict

from ..._tensor import Tensor
from ..modules.module import Module

__all__ = ["functional_call"]

_MISSING = object()


def _untie_named_tensors_map(module: Module, parameters_and_buffers: dict) -> dict:
    """Give every name tied to a given name (same tensor object) the given value too."""
    all_named = dict(module.named_parameters(remove_duplicate=False))
    all_named.update(module.named_buffers(remove_duplicate=False))
    names_of = defaultdict(set)
    for name, tensor in all_named.items():
        names_of[id(tensor)].add(name)
    tied_names_map = {}
    for tied in names_of.values():
        if len(tied) > 1:
            for name in tied:
                tied_names_map[name] = tied

    given = [name for name in parameters_and_buffers if name in tied_names_map]
    for name in given:
        tied = tied_names_map[name]
        values = {id(parameters_and_buffers[n]) for n in tied if n in parameters_and_buffers}
        if len(tied.intersection(given)) > 1 and len(values) != 1:
            raise ValueError(f"functional_call got multiple values for keys {sorted(tied)}, "
                             "which are tied. Consider using tie_weights=False")
    untied = dict(parameters_and_buffers)
    for name in given:
        for tied_name in tied_names_map[name]:
            untied[tied_name] = parameters_and_buffers[name]
    return untied


def _swap_tensor(module: Module, name: str, tensor, allow_missing: bool = False):
    """Put ``tensor`` at the dotted ``name`` and return what was there (or _MISSING)."""
    prefix, _, attr = name.rpartition(".")
    module = module.get_submodule(prefix)
    if tensor is not _MISSING and tensor is not None and not isinstance(tensor, Tensor):
        raise TypeError(f"{tensor} is not an instance of dpt.Tensor")
    # the dicts are written directly: a plain Tensor may stand in for a Parameter
    if attr in module._parameters:
        orig = module._parameters[attr]
        if tensor is _MISSING:
            del module._parameters[attr]
        else:
            module._parameters[attr] = tensor
    elif attr in module._buffers:
        orig = module._buffers[attr]
        if tensor is _MISSING:
            del module._buffers[attr]
        else:
            module._buffers[attr] = tensor
    else:
        if hasattr(module, attr):
            orig = getattr(module, attr)
        elif allow_missing:
            orig = _MISSING
        else:
            raise AttributeError(f"{module._get_name()} has no attribute `{attr}`")
        if orig is not _MISSING and orig is not None and not isinstance(orig, Tensor):
            raise TypeError(f"attribute `{attr}`: {orig} is not an instance of dpt.Tensor")
        if tensor is not _MISSING:
            setattr(module, attr, tensor)
        elif hasattr(module, attr):
            delattr(module, attr)
    return orig


def _check_keys(module: Module, keys) -> tuple[list, list]:
    keys = set(keys)
    valid = {n for n, _ in module.named_parameters(remove_duplicate=False)}
    valid |= {n for n, _ in module.named_buffers(remove_duplicate=False)}
    return sorted(valid - keys), sorted(keys - valid)


@contextlib.contextmanager
def _reparametrize_module(module: Module, parameters_and_buffers: dict, tie_weights: bool = False,
                          strict: bool = False):
    untied = (_untie_named_tensors_map(module, parameters_and_buffers) if tie_weights
              else parameters_and_buffers)
    if strict:
        missing, unexpected = _check_keys(module, untied)
        msgs = []
        if unexpected:
            msgs.append(f"Unexpected key(s): {', '.join(map(repr, unexpected))}.")
        if missing:
            msgs.append(f"Missing key(s): {', '.join(map(repr, missing))}.")
        if msgs:
            raise RuntimeError("Error(s) in reparametrizing for {}:\n\t{}".format(
                module._get_name(), "\n\t".join(msgs)))
    originals = {}
    try:
        for name, tensor in untied.items():
            originals[name] = _swap_tensor(module, name, tensor, allow_missing=True)
        yield
    finally:
        new = {}
        for name, tensor in originals.items():
            new[name] = _swap_tensor(module, name, tensor, allow_missing=True)
        # a module that re-assigned a swapped-in buffer in place (running stats) hands the new
        # value back through the caller's dict, as torch does
        parameters_and_buffers.update({k: new[k] for k in parameters_and_buffers if k in new})


def _functional_call(module: Module, parameters_and_buffers: dict, args=None, kwargs=None, *,
                     tie_weights: bool = True, strict: bool = False):
    if kwargs is None:
        kwargs = {}
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    with _reparametrize_module(module, parameters_and_buffers, tie_weights=tie_weights,
                               strict=strict):
        return module(*args, **kwargs)


def functional_call(module: Module, parameters_and_buffers: dict, args=None, kwargs=None, *,
                    tie_weights: bool = True, strict: bool = False):
    """functional_call(module, parameters_and_buffers, args=None, kwargs=None, *,
    tie_weights=True, strict=False)

    Runs ``module(*args, **kwargs)`` with the tensors named (dotted, as in state_dict) in
    ``parameters_and_buffers`` in place of the module's own, restoring them afterwards.
    Deprecated in torch in favour of dpt.func.functional_call; warns the same way.
    """
    warnings.warn("`torch.nn.utils.stateless.functional_call` is deprecated as of PyTorch 2.0 "
                  "and will be removed in a future version of PyTorch. Please use "
                  "`torch.func.functional_call` instead which is a drop-in replacement.",
                  FutureWarning, stacklevel=2)
    return _functional_call(module, parameters_and_buffers, args, kwargs,
                            tie_weights=tie_weights, strict=strict)
