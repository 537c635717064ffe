"""The stand-in's ``cupy``, ``cupy.random``, ``cupy.linalg``, ``cupy.fft``, ``cupy.lib`` and
``cupyx`` modules: handwritten where CuPy differs from numpy, numpy's twins elsewhere."""
from __future__ import annotations

import numpy as np

from . import NAMES, _core, build_module, np_function
from ._core import (_DLPackCapsule, check_dtype, current_device_id, ndarray, not_implemented,
                    unwrap, wrap)


# -- moving data onto and off the device --------------------------------------------------------
def _to_device(obj, dtype=None, copy=True, order="K", ndmin=0):
    if isinstance(obj, ndarray):
        src = obj._a
        if obj._dev != current_device_id():
            copy = True  # a peer copy onto the current device
        elif not copy and (dtype is None or np.dtype(dtype) == obj.dtype):
            return obj
    else:
        if isinstance(obj, (list, tuple)) and any(isinstance(v, ndarray) for v in obj):
            obj = [v.get() if isinstance(v, ndarray) else v for v in obj]
        src = obj
    r = np.array(src, dtype=None if dtype is None else check_dtype(dtype), copy=True,
                 order=order, ndmin=ndmin)
    return wrap(r)


def array(obj, dtype=None, copy=True, order="K", subok=False, ndmin=0, *, blocking=False):
    return _to_device(obj, dtype, copy, order, ndmin)


def asarray(a, dtype=None, order=None, *, blocking=False):
    return _to_device(a, dtype, False, order or "K")


def ascontiguousarray(a, dtype=None):
    r = _to_device(a, dtype, False)
    return r if r._a.flags.c_contiguous and r._a.ndim >= 1 else wrap(
        np.ascontiguousarray(r._a), r._dev)


def asfortranarray(a, dtype=None):
    r = _to_device(a, dtype, False)
    return wrap(np.asfortranarray(r._a), r._dev)


def asnumpy(a, stream=None, order="C", out=None, *, blocking=True):
    if isinstance(a, ndarray):
        return a.get(stream=stream, order=order, out=out)
    if hasattr(a, "__cuda_array_interface__"):
        raise not_implemented("cupy.asnumpy(<foreign CUDA array>)")
    r = np.asarray(a, order=order)
    if out is not None:
        out[...] = r
        return out
    return r


def get_array_module(*args):
    from . import cupy_module
    return cupy_module() if any(isinstance(a, ndarray) for a in args) else np


def from_dlpack(x, *, device=None, copy=None):
    if isinstance(x, _DLPackCapsule):
        return x.array
    if not hasattr(x, "__dlpack_device__"):
        raise TypeError(f"from_dlpack: {type(x).__name__} does not implement the DLPack protocol")
    kind, dev = x.__dlpack_device__()
    if kind != 2:  # kDLCPU and the rest: CuPy 14 refuses unless asked to copy
        raise BufferError("from_dlpack: the array is not on a CUDA device "
                          f"(DLPack device type {int(kind)}); use cupy.asarray to copy it")
    cap = x.__dlpack__()
    if not isinstance(cap, _DLPackCapsule):
        raise not_implemented("cupy.from_dlpack(<foreign CUDA DLPack capsule>)")
    return cap.array


def fromDlpack(capsule):
    return from_dlpack(capsule)


def copyto(dst, src, casting="same_kind", where=True):
    if not isinstance(dst, ndarray):
        raise TypeError(f"Unsupported type {type(dst)}")
    if isinstance(src, np.ndarray) and src.ndim > 0:
        raise TypeError(f"Unsupported type {type(src)}")
    np.copyto(unwrap(dst), unwrap(src), casting=casting, where=unwrap(where))


def _like(np_fn, name):
    def fn(a, *args, **kwargs):
        if not isinstance(a, ndarray):
            raise TypeError(f"cupy.{name}: Unsupported type {type(a)}")
        return np_function(np_fn, f"cupy.{name}")(a, *args, **kwargs)
    fn.__name__ = name
    return fn


# -- random: one Philox-backed RandomState per device -----------------------------------------
_GEN_NAMES = {"random_sample": "random", "random": "random", "ranf": "random",
              "sample": "random", "randint": "integers"}
_DTYPE_OK = {"random", "standard_normal", "standard_exponential", "standard_gamma", "integers"}


class RandomState:
    """cupy.random.RandomState(seed, method): numpy's Philox underneath, device results."""

    def __init__(self, seed=None, method=100):
        self._dev = current_device_id()
        self.seed(seed)

    def seed(self, seed=None):
        self._g = np.random.Generator(np.random.Philox(seed))

    def _draw(self, name, *args, dtype=None, **kwargs):
        if current_device_id() != self._dev:
            raise ValueError(f"RandomState of device {self._dev} used while device "
                             f"{current_device_id()} is current")
        args = tuple(unwrap(a) for a in args)
        kwargs = {k: unwrap(v) for k, v in kwargs.items()}
        gname = _GEN_NAMES.get(name, name)
        if dtype is not None:
            dtype = check_dtype(dtype)
            if gname in _DTYPE_OK:
                kwargs["dtype"] = dtype
        r = np.asarray(getattr(self._g, gname)(*args, **kwargs))
        if dtype is not None and r.dtype != dtype:
            r = r.astype(dtype)
        elif dtype is None and r.dtype == np.int64 and name in ("randint",):
            r = r.astype(np.int_)
        return wrap(r)

    def rand(self, *size, dtype=float):
        return self._draw("random", size, dtype=dtype)

    def randn(self, *size, dtype=float):
        return self._draw("standard_normal", size, dtype=dtype)

    def randint(self, low, high=None, size=None, dtype=int):
        if high is None:
            low, high = 0, low
        return self._draw("integers", low, high, size, dtype=dtype)

    def permutation(self, num):
        if isinstance(num, ndarray):
            return wrap(self._g.permutation(num._a))
        return wrap(self._g.permutation(int(num)))

    def shuffle(self, a):
        if not isinstance(a, ndarray):
            raise TypeError("The array must be cupy.ndarray")
        self._g.shuffle(unwrap(a))


def _random_method(name):
    def method(self, *args, **kwargs):
        return self._draw(name, *args, **kwargs)
    method.__name__ = name
    return method


def _install_random_methods():
    g = np.random.Generator
    for name in NAMES["classes"]["cupy.random.RandomState"]:
        if name.startswith("_") or name in RandomState.__dict__:
            continue
        if hasattr(g, _GEN_NAMES.get(name, name)):
            setattr(RandomState, name, _random_method(name))
        else:
            setattr(RandomState, name, (lambda q: lambda self, *a, **k: (_ for _ in ()).throw(
                not_implemented(q)))(f"cupy.random.RandomState.{name}"))


_random_states: dict[int, RandomState] = {}


def get_random_state():
    dev = current_device_id()
    if dev not in _random_states:
        _random_states[dev] = RandomState()
    return _random_states[dev]


def _random_module():
    hand = {"RandomState": RandomState, "get_random_state": get_random_state,
            "seed": lambda seed=None: get_random_state().seed(seed),
            "reset_states": _random_states.clear}

    def set_random_state(rs):
        _random_states[current_device_id()] = rs
    hand["set_random_state"] = set_random_state
    for name, kind in NAMES["modules"]["cupy.random"].items():
        if kind == "function" and name not in hand and hasattr(RandomState, name):
            hand[name] = (lambda n: lambda *a, **k: getattr(get_random_state(), n)(*a, **k))(name)
    return build_module("cupy.random", None, hand)


# -- cupyx ----------------------------------------------------------------------------------------
def _scatter(np_ufunc, name):
    def fn(a, slices, value):
        if not isinstance(a, ndarray):
            raise TypeError(f"cupyx.{name}: Unsupported type {type(a)}")
        _core._check_current(a)
        v = value._a if isinstance(value, ndarray) and (_core._check_current(value) or True) \
            else unwrap(value)
        np_ufunc.at(a._a, _core._index(slices), v)
    fn.__name__ = name
    return fn


scatter_add = _scatter(np.add, "scatter_add")
scatter_max = _scatter(np.maximum, "scatter_max")
scatter_min = _scatter(np.minimum, "scatter_min")


def _pinned(np_fn):
    def fn(*args, **kwargs):
        args = tuple(a.get() if isinstance(a, ndarray) else a for a in args)
        return np_fn(*args, **kwargs)  # a host (numpy) array, as in CuPy
    return fn


class _Errstate:
    def __init__(self, **kwargs):
        self._ctx = np.errstate(**kwargs)

    def __enter__(self):
        return self._ctx.__enter__()

    def __exit__(self, *exc):
        return self._ctx.__exit__(*exc)


def _cupyx_module(special):
    import scipy.special as sps

    mod_special = build_module("cupyx.scipy.special", sps, {})
    scipy = build_module("cupyx.scipy", None, {}, {"special": mod_special})
    return build_module("cupyx", None, {
        "scatter_add": scatter_add, "scatter_max": scatter_max, "scatter_min": scatter_min,
        "empty_pinned": _pinned(np.empty), "zeros_pinned": _pinned(np.zeros),
        "empty_like_pinned": _pinned(np.empty_like), "zeros_like_pinned": _pinned(np.zeros_like),
        "errstate": _Errstate, "seterr": np.seterr, "geterr": np.geterr,
        "rsqrt": np_function(lambda x, out=None: np.reciprocal(np.sqrt(x), out=out), "cupyx.rsqrt"),
    }, {"scipy": scipy})


# -- assembling ---------------------------------------------------------------------------------
def build():
    from . import cuda as _cuda

    _core.install_ndarray_methods(NAMES["classes"]["cupy.ndarray"])
    _install_random_methods()
    cuda = _cuda.build()
    random = _random_module()
    linalg = build_module("cupy.linalg", np.linalg, {})
    fft = build_module("cupy.fft", np.fft, {})
    stride_tricks = build_module("cupy.lib.stride_tricks", np.lib.stride_tricks, {
        "as_strided": _as_strided})
    lib = build_module("cupy.lib", None, {}, {"stride_tricks": stride_tricks})
    hand = {
        "ndarray": ndarray, "ufunc": _core.Ufunc, "array": array, "asarray": asarray,
        "asanyarray": asarray, "ascontiguousarray": ascontiguousarray,
        "asfortranarray": asfortranarray, "asnumpy": asnumpy,
        "get_array_module": get_array_module, "from_dlpack": from_dlpack,
        "fromDlpack": fromDlpack, "copyto": copyto,
        "empty_like": _like(np.empty_like, "empty_like"),
        "zeros_like": _like(np.zeros_like, "zeros_like"),
        "ones_like": _like(np.ones_like, "ones_like"),
        "full_like": _like(np.full_like, "full_like"),
        "get_default_memory_pool": _cuda.get_default_memory_pool,
        "get_default_pinned_memory_pool": _cuda.get_default_pinned_memory_pool,
        "is_available": lambda: True,
        "show_config": lambda **k: print("dpt CuPy stand-in (a test double; no GPU)"),
    }
    cp = build_module("cupy", np, hand, {"cuda": cuda, "random": random, "linalg": linalg,
                                         "fft": fft, "lib": lib})
    cp.__version__ = NAMES["cupy_version"]
    cp._standin = True
    _cupyx_module(None)


def _as_strided(x, shape=None, strides=None):
    if not isinstance(x, ndarray):
        raise TypeError(f"Unsupported type {type(x)}")
    _core._check_current(x)
    return _core._view_of(x, np.lib.stride_tricks.as_strided(x._a, shape, strides))
