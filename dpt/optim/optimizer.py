"""Optimizer: parameter groups, per-parameter state, zero_grad and state_dict.

Subclasses implement ``step(closure=None)``; their update rules live in plain
functions that work in place on the raw arrays (``p._data``, ``p.grad._data``),
bump each parameter's version counter, and keep per-parameter state in
``self.state[p]`` as dpt Tensors (so state_dict has torch's layout).
"""
from __future__ import annotations

import copy
import functools
import warnings
from collections import OrderedDict, defaultdict
from itertools import chain
from typing import Any

import numpy as np

from .. import _device
from .._tensor import Tensor

__all__ = ["Optimizer", "required"]


class _RequiredParameter:
    """Marks a hyper-parameter that has no default (must be given per group)."""

    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()


class _Handle:
    _next = 0

    def __init__(self, hooks: dict):
        self._hooks = hooks
        self.id = _Handle._next
        _Handle._next += 1

    def remove(self):
        self._hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def _typename(obj) -> str:
    return obj.type() if isinstance(obj, Tensor) else type(obj).__name__


def _wrap_step(step):
    @functools.wraps(step)
    def wrapper(self, *args, **kwargs):
        for hook in list(self._optimizer_step_pre_hooks.values()):
            out = hook(self, args, kwargs)
            if out is not None:
                if not (isinstance(out, tuple) and len(out) == 2):
                    raise RuntimeError(f"{step} must return None or a tuple of (new_args, "
                                       f"new_kwargs), but got {out}.")
                args, kwargs = out
        with _params_device(self):  # raw-array updates run on the parameters' GPU
            result = step(self, *args, **kwargs)
        self._opt_called = True
        for hook in list(self._optimizer_step_post_hooks.values()):
            hook(self, args, kwargs)
        return result
    wrapper._dpt_step_wrapped = True
    return wrapper


def _params_device(opt):
    """A device context for the first parameter's device (a no-op on the CPU)."""
    for group in opt.param_groups:
        for p in group["params"]:
            return _device.device_context(p.device)
    return _device.device_context(_device.CPU)


class Optimizer:
    """Optimizer(params, defaults): base class of every optimizer.

    params is an iterable of Tensors, or of dicts (parameter groups) with a
    'params' entry and per-group options that override ``defaults``.
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if step is not None and not getattr(step, "_dpt_step_wrapped", False):
            cls.step = _wrap_step(step)

    def __init__(self, params, defaults: dict[str, Any]) -> None:
        self.defaults = defaults
        self._optimizer_step_pre_hooks: dict = OrderedDict()
        self._optimizer_step_post_hooks: dict = OrderedDict()
        self._opt_called = False
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            "Tensors or dicts, but got " + _typename(params))
        self.state: defaultdict = defaultdict(dict)
        self.param_groups: list[dict[str, Any]] = []
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    def __getstate__(self) -> dict:
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self.__dict__.setdefault("_optimizer_step_pre_hooks", OrderedDict())
        self.__dict__.setdefault("_optimizer_step_post_hooks", OrderedDict())
        self.__dict__.setdefault("_opt_called", False)

    def __repr__(self) -> str:
        text = type(self).__name__ + " ("
        for i, group in enumerate(self.param_groups):
            text += "\n"
            text += f"Parameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    text += f"    {key}: {group[key]}\n"
        text += ")"
        return text

    # -- groups -------------------------------------------------------------------------
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own options (missing ones come from defaults)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but "
                            "the ordering of tensors in sets will change between runs. Please use "
                            "a list instead.")
        else:
            param_group["params"] = list(params)
        for param in param_group["params"]:
            if not isinstance(param, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is "
                                + _typename(param))
            if not self.defaults.get("differentiable", None) and not (
                    param.is_leaf or param.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required "
                                 f"optimization parameter {name}")
            param_group.setdefault(name, default)
        params = param_group["params"]
        if len(params) != len({id(p) for p in params}):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in "
                          "future, this will cause an error; see "
                          "github.com/pytorch/pytorch/issues/40967 for more information",
                          stacklevel=3)
        seen = {id(p) for group in self.param_groups for p in group["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # -- gradients ------------------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of all optimized parameters (to None by default)."""
        for group in self.param_groups:
            for p in group["params"]:
                g = p._grad
                if g is None:
                    continue
                if set_to_none:
                    p._grad = None
                else:
                    if g.grad_fn is not None:
                        g.detach_()
                    else:
                        g._requires_grad = False
                    g._data[...] = 0
                    g._vc[0] += 1

    def step(self, closure=None):
        raise NotImplementedError

    def _group_state(self, group: dict[str, Any], buffers=(), scalars=None):
        """(params, raw grads, states) for the parameters of group that have a gradient.

        A parameter seen for the first time gets its state here: the 'step' counter, each
        0-d float32 entry of ``scalars`` (name -> initial value), then a zero buffer shaped
        like the parameter for each name in ``buffers``. The order is torch's, so
        state_dict() lists the keys as torch does.
        """
        params, grads, states = [], [], []
        for p in group["params"]:
            if p._grad is None:
                continue
            st = self.state[p]
            if len(st) == 0:
                st["step"] = _scalar_state()
                for name, value in (scalars or {}).items():
                    st[name] = _scalar_state(value)
                for name in buffers:
                    st[name] = _zeros_like(p)
            params.append(p)
            grads.append(p._grad._data)
            states.append(st)
        return params, grads, states

    # -- hooks ----------------------------------------------------------------------------
    def register_step_pre_hook(self, hook) -> _Handle:
        """hook(optimizer, args, kwargs) -> None | (new_args, new_kwargs), before each step."""
        handle = _Handle(self._optimizer_step_pre_hooks)
        self._optimizer_step_pre_hooks[handle.id] = hook
        return handle

    def register_step_post_hook(self, hook) -> _Handle:
        """hook(optimizer, args, kwargs), after each step."""
        handle = _Handle(self._optimizer_step_post_hooks)
        self._optimizer_step_post_hooks[handle.id] = hook
        return handle

    # -- state dict -----------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """{'state': {index: {...}}, 'param_groups': [{..., 'params': [indices]}]}.

        Parameters are numbered in group order; the state tensors are references,
        not copies, as in torch.
        """
        index: dict[int, int] = {}
        next_index = 0
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                if id(p) not in index:
                    index[id(p)] = next_index
                    next_index += 1
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {(index[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()}
        return {"state": state, "param_groups": groups}

    @staticmethod
    def _cast_state(param: Tensor, value, key=None):
        """Move loaded state onto the parameter's device (and float dtype, except 'step')."""
        if isinstance(value, Tensor):
            if key == "step":
                return value.clone()
            if param.is_floating_point() and value.is_floating_point():
                out = value.to(dtype=param.dtype, device=param.device)
            else:
                out = value.to(device=param.device)
            return out.clone() if out is value else out
        if isinstance(value, dict):
            return {k: Optimizer._cast_state(param, v, key=k) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(Optimizer._cast_state(param, v, key=key) for v in value)
        return value

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load what state_dict() returned (from this or an identically built optimizer)."""
        state_dict = dict(state_dict)
        groups = self.param_groups
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match the "
                             "size of optimizer's group")
        id_map = dict(zip(chain.from_iterable(s["params"] for s in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))
        state: defaultdict = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                param = id_map[k]
                state[param] = self._cast_state(param, v)
            else:
                state[k] = v
        new_groups = []
        for group, saved in zip(groups, saved_groups):
            saved["params"] = group["params"]
            new_groups.append(saved)
        self.state = state
        self.param_groups = new_groups


# --------------------------------------------------------------------------------------
# Helpers shared by the update functions
# --------------------------------------------------------------------------------------
def _scalar_state(value: float = 0.0) -> Tensor:
    """A 0-d float32 CPU tensor: how torch keeps 'step' (and NAdam's mu_product)."""
    return Tensor._make(np.array(value, dtype=np.float32))


def _zeros_like(p: Tensor) -> Tensor:
    xp = _device.xp_of(p._data)
    return Tensor._make(xp.zeros_like(p._data))


def _real(arr):
    """Complex arrays are optimized as pairs of reals, as torch does (view_as_real)."""
    if arr.dtype.kind == "c":
        return arr.view(arr.real.dtype)
    return arr


def _start_update(p: Tensor, g, state: dict, maximize: bool):
    """Begin one parameter's update: advance its step counter and return (w, g, step), the
    real views of the weight and gradient, g negated when maximizing."""
    w = _real(p._data)
    g = _real(g)
    if maximize:
        g = -g
    state["step"]._data += 1
    return w, g, float(state["step"]._data)


def _params_with_grad(group):
    """(param, raw grad array) for the group's parameters that have a gradient."""
    out = []
    for p in group["params"]:
        g = p._grad
        if g is not None:
            out.append((p, g._data))
    return out


def _closure_loss(closure):
    if closure is None:
        return None
    from ..autograd.grad_mode import enable_grad

    with enable_grad():
        return closure()


def _lerp_(a, b, weight: float) -> None:
    """a.lerp_(b, weight) in place, with torch's two-sided formula for accuracy."""
    diff = b - a
    if weight < 0.5:
        diff *= weight
        a += diff
    else:
        diff *= 1 - weight
        a[...] = b
        a -= diff


def _check_nonnegative(**hyperparameters) -> None:
    """Raise torch's ValueError for the first negative value, in the order given."""
    for name, value in hyperparameters.items():
        if not 0.0 <= value:
            what = _HYPERPARAMETER_NAMES.get(name, name + " value")
            raise ValueError(f"Invalid {what}: {value}")


_HYPERPARAMETER_NAMES = {"lr": "learning rate", "eps": "epsilon value"}


def _check_betas(betas) -> None:
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")


def _add_weight_decay(w, g, lr: float, weight_decay: float, decoupled: bool = False):
    """Apply weight decay; returns the gradient to use.

    Decoupled decay (AdamW and friends) shrinks the weights in place and leaves the gradient
    alone; L2 decay adds weight_decay * w to a new gradient array, never to p.grad itself.
    """
    if weight_decay == 0:
        return g
    if decoupled:
        w *= 1 - lr * weight_decay
        return g
    return g + weight_decay * w
