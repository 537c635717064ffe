"""Strict CuPy and NCCL stand-ins: a TEST DOUBLE, not a GPU implementation.

With DPT_CUDA_STANDIN=1, ``dpt._device.gpu_module()`` returns this package's ``cupy``
module (and ``install()`` registers it, ``cupyx`` and ``cupy.cuda.nccl`` in
``sys.modules``), so that every CUDA path of dpt runs on a machine without a GPU:
two stand-in devices, arrays stored in numpy, NCCL collectives over MPI with host copies.

It exists to make dpt's GPU code fail here the way it would fail on real CuPy. It
therefore exposes exactly the names of real CuPy (names.json, generated from the real
package by refresh_names.py), refuses what CuPy refuses (implicit conversion to numpy,
numpy operands, arrays of another device than the current one, dtypes CuPy lacks), and
answers a real CuPy name it does not implement with NotImplementedError instead of
borrowing numpy semantics that CuPy lacks. A bug it finds is fixed in dpt, never here.
Nothing here is fast, and nothing here touches a GPU.

Its modules import each other inside functions on purpose: the array type, the devices and
the namespaces refer to one another, and the namespaces are built only when installed.
The word cupy appears here and in the device module and the NCCL transport only.
"""
from __future__ import annotations

import functools
import json
import os
import sys
import types

import numpy as np

from . import _core
from ._core import ndarray, not_implemented, Ufunc, wrap, wrap_result, unwrap, check_dtype

with open(os.path.join(os.path.dirname(__file__), "names.json")) as _f:
    NAMES = json.load(_f)

_modules: dict[str, types.ModuleType] = {}


class StandinModule(types.ModuleType):
    """A module that has exactly real CuPy's names; unimplemented ones raise when used."""

    def __getattr__(self, name):
        real = NAMES["modules"].get(self.__name__, {})
        if name in real:
            raise not_implemented(f"{self.__name__}.{name}")
        raise AttributeError(f"module '{self.__name__}' has no attribute '{name}'")

    def __dir__(self):
        return sorted(set(NAMES["modules"].get(self.__name__, {})) | set(self.__dict__))


class _Missing:
    """A real CuPy name the stand-in does not implement: any use raises NotImplementedError."""

    def __init__(self, qualname):
        self._q = qualname

    def __call__(self, *args, **kwargs):
        raise not_implemented(self._q)

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        raise not_implemented(f"{self._q}.{name}")

    def __repr__(self):
        return f"<not implemented by the CuPy stand-in: {self._q}>"


def np_function(fn, qualname):
    """numpy's fn on device arrays: operands must be on the current device, numpy arrays refused."""
    @functools.wraps(fn)
    def call(*args, **kwargs):
        args, kwargs = _core.unwrap_args(args, kwargs, name=qualname)
        if kwargs.get("dtype") is not None:
            check_dtype(kwargs["dtype"])
        with np.errstate(all="ignore"):
            return wrap_result(fn(*args, **kwargs))
    call.__qualname__ = call.__name__ = qualname.rsplit(".", 1)[-1]
    call.__module__ = qualname.rsplit(".", 1)[0]
    return call


def build_module(name, np_mod, handwritten: dict, submodules: dict | None = None):
    """Fill a stand-in module: handwritten names, then numpy's twins, then _Missing stubs."""
    mod = _modules.get(name) or StandinModule(name, f"CuPy stand-in for {name} (dpt._standin)")
    _modules[name] = mod
    for n, kind in NAMES["modules"][name].items():
        if n in handwritten:
            setattr(mod, n, handwritten[n])
        elif kind == "module":
            setattr(mod, n, submodules[n] if submodules and n in submodules
                    else _Missing(f"{name}.{n}"))  # hasattr() is True, any use raises
        elif isinstance(kind, dict):
            setattr(mod, n, kind["value"])
        elif np_mod is not None and hasattr(np_mod, n):
            obj = getattr(np_mod, n)
            if isinstance(obj, np.ufunc):
                setattr(mod, n, Ufunc(obj))
            elif kind == "class" and isinstance(obj, type) and (
                    issubclass(obj, (np.generic, np.dtype)) or obj in (np.finfo, np.iinfo)):
                setattr(mod, n, obj)  # CuPy reuses numpy's scalar types and dtype classes
            elif kind == "function" and callable(obj) and not isinstance(obj, type):
                setattr(mod, n, np_function(obj, f"{name}.{n}"))
            elif kind == "constant" and n in ("newaxis", "index_exp", "s_"):
                setattr(mod, n, obj)
            else:
                setattr(mod, n, _Missing(f"{name}.{n}"))
        else:
            setattr(mod, n, _Missing(f"{name}.{n}"))
    return mod


def cupy_module():
    """The stand-in's top-level ``cupy`` module (built on first use)."""
    if "cupy" not in _modules:
        from ._cupy import build
        build()
    return _modules["cupy"]


def install():
    """Register the stand-in as ``cupy``, ``cupyx``, ``cupy.cuda.nccl``, ... in sys.modules."""
    cp = cupy_module()
    for name, mod in _modules.items():
        sys.modules[name] = mod
    return cp
