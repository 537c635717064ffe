"""The stand-in's device array and the rules every call obeys.

A stand-in array is a numpy array in a box that remembers its device. The box is
not an ndarray, and it refuses what CuPy refuses: implicit conversion to numpy
(``__array__`` raises TypeError), numpy arrays as operands of device functions,
arrays of another device than the current one, and dtypes CuPy has no kernels for
(object, strings, datetimes, bfloat16 and other extension types). Reductions and
integer indexing give 0-d device arrays, never Python or numpy scalars.
"""
from __future__ import annotations

import threading

import numpy as np

N_DEVICES = 2
_SUPPORTED_KINDS = set("biufc")
_NATIVE_TYPES = {np.dtype(t).type for t in (
    np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32,
    np.uint64, np.float16, np.float32, np.float64, np.complex64, np.complex128)}


class CUDARuntimeError(RuntimeError):
    """cupy_backends.cuda.api.runtime.CUDARuntimeError."""

    def __init__(self, status: int, name: str, msg: str):
        self.status = status
        super().__init__(f"{name}: {msg}")


def check_device_id(i) -> int:
    i = int(i)
    if not 0 <= i < N_DEVICES:
        raise CUDARuntimeError(101, "cudaErrorInvalidDevice", "invalid device ordinal")
    return i


# -- per-thread current device, and the current stream of each device --------------------------
_tls = threading.local()


def current_device_id() -> int:
    return getattr(_tls, "device", 0)


def set_current_device_id(i: int) -> None:
    _tls.device = check_device_id(i)


def current_stream_of(dev: int):
    stacks = getattr(_tls, "streams", None)
    if stacks is None:
        stacks = _tls.streams = {}
    return stacks.get(dev)


def set_current_stream_of(dev: int, stream) -> None:
    if getattr(_tls, "streams", None) is None:
        _tls.streams = {}
    _tls.streams[dev] = stream


def not_implemented(qualname: str):
    return NotImplementedError(
        f"{qualname} exists in CuPy but is not implemented by dpt's CuPy stand-in "
        "(dpt._standin, a test double used with DPT_CUDA_STANDIN=1); implement it there "
        "with CuPy's semantics before dpt relies on it")


def check_dtype(dt) -> np.dtype:
    """CuPy's dtype rules: numeric and bool numpy types only."""
    dt = np.dtype(dt)
    if dt.kind not in _SUPPORTED_KINDS or dt.type not in _NATIVE_TYPES:
        raise ValueError(f"Unsupported dtype {dt}")
    return dt


# -- the array ----------------------------------------------------------------------------------
class ndarray:
    """cupy.ndarray for the stand-in: numpy storage, a device id, CuPy's refusals."""

    __slots__ = ("_a", "_dev", "_base", "__weakref__")
    __array_priority__ = 100

    def __init__(self, shape, dtype=float, memptr=None, strides=None, order="C"):
        if memptr is not None or strides is not None:
            raise not_implemented("cupy.ndarray(memptr=/strides=)")
        self._a = np.empty(shape, check_dtype(dtype), order=order)
        self._dev = current_device_id()
        self._base = None

    # attributes
    shape = property(lambda self: self._a.shape, lambda self, s: setattr(self._a, "shape", s))
    dtype = property(lambda self: self._a.dtype)
    ndim = property(lambda self: self._a.ndim)
    size = property(lambda self: self._a.size)
    itemsize = property(lambda self: self._a.itemsize)
    nbytes = property(lambda self: self._a.nbytes)
    strides = property(lambda self: self._a.strides)
    flags = property(lambda self: _Flags(self._a.flags))
    base = property(lambda self: self._base)
    T = property(lambda self: _view_of(self, self._a.T))
    mT = property(lambda self: _view_of(self, self._a.mT))

    @property
    def device(self):
        from .cuda import Device
        return Device(self._dev)

    @property
    def data(self):
        from .cuda import MemoryPointer
        return MemoryPointer(self)

    @property
    def real(self):
        return _view_of(self, self._a.real) if self.dtype.kind == "c" else self

    @real.setter
    def real(self, value):
        _check_current(self)
        self._a.real = _setitem_value(value)

    @property
    def imag(self):
        if self.dtype.kind == "c":
            return _view_of(self, self._a.imag)
        return wrap(np.zeros_like(self._a))

    @imag.setter
    def imag(self, value):
        _check_current(self)
        self._a.imag = _setitem_value(value)

    @property
    def flat(self):
        raise not_implemented("cupy.ndarray.flat")

    @property
    def __cuda_array_interface__(self):
        return {"shape": self.shape, "typestr": self.dtype.str, "version": 3, "stream": 1,
                "data": (self.data.ptr, False),
                "strides": None if self._a.flags.c_contiguous else self.strides}

    # CuPy refuses implicit host conversion: np.asarray(x), np.sum(np_array, x), ...
    def __array__(self, dtype=None, copy=None):
        raise TypeError("Implicit conversion to a NumPy array is not allowed. "
                        "Please use `.get()` to construct a NumPy array explicitly.")

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        from . import cupy_module
        cp_ufunc = getattr(cupy_module(), ufunc.__name__, None)
        if not isinstance(cp_ufunc, Ufunc):
            return NotImplemented
        if "out" in kwargs:
            out = kwargs["out"]
            kwargs["out"] = out[0] if isinstance(out, tuple) and len(out) == 1 else out
        return getattr(cp_ufunc, method)(*inputs, **kwargs) if method != "__call__" \
            else cp_ufunc(*inputs, **kwargs)

    def __array_function__(self, func, types, args, kwargs):
        from . import cupy_module
        mod = cupy_module()
        try:
            for part in func.__module__.split(".")[1:]:
                mod = getattr(mod, part)
            cp_func = getattr(mod, func.__name__)
        except (AttributeError, NotImplementedError):
            return NotImplemented
        if any(t is not ndarray for t in types):
            return NotImplemented
        return cp_func(*args, **kwargs)

    # host transfers, the only explicit ways out
    def get(self, stream=None, order="C", out=None, blocking=True):
        if out is not None:
            out[...] = self._a
            return out
        return np.array(self._a, order=order, copy=True)

    def set(self, arr, stream=None):
        if not isinstance(arr, np.ndarray):
            raise TypeError(f"Only numpy.ndarray can be set to cupy.ndarray, got {type(arr)}")
        if arr.shape != self.shape or arr.dtype != self.dtype:
            raise ValueError("Shape mismatch" if arr.shape != self.shape else "dtype mismatch")
        self._a[...] = arr

    def tolist(self):
        return self._a.tolist()

    def item(self, *args):
        return self._a.item(*args)

    def tobytes(self, order="C"):
        return self._a.tobytes(order)

    def __bool__(self):
        return bool(self._a)

    def __int__(self):
        return int(self._a)

    def __float__(self):
        return float(self._a)

    def __complex__(self):
        return complex(self._a)

    def __index__(self):
        return self._a.__index__()

    def __len__(self):
        return len(self._a)

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d array")
        return (self[i] for i in range(len(self)))

    def __repr__(self):
        return repr(self._a)

    def __str__(self):
        return str(self._a)

    def __format__(self, spec):
        return format(self._a.item(), spec) if self.ndim == 0 and spec else str(self)

    __hash__ = None

    def __reduce__(self):
        return (_rebuild, (self._a, self._dev))

    def __copy__(self):
        return self.copy()

    def __deepcopy__(self, memo):
        return self.copy()

    # indexing
    def __getitem__(self, key):
        # basic indexing makes a view (no kernel, any device); advanced indexing runs a kernel
        key = _index(key, self._dev)
        r = self._a[key]
        if isinstance(r, np.generic):  # an element: CuPy gives a 0-d view of it
            r = self._a[(key if isinstance(key, tuple) else (key,)) + (Ellipsis,)]
        if isinstance(r, np.ndarray) and r.base is not None and np.may_share_memory(r, self._a):
            return _view_of(self, r)
        _check_current(self)
        return wrap(r)

    def __setitem__(self, key, value):
        _check_current(self)
        self._a[_index(key)] = _setitem_value(value)

    # DLPack: a CUDA device (kDLCUDA = 2)
    def __dlpack_device__(self):
        return (2, self._dev)

    def __dlpack__(self, stream=None, max_version=None, dl_device=None, copy=None):
        return _DLPackCapsule(self)

    def toDlpack(self):
        return _DLPackCapsule(self)

    # methods that behave like numpy's, with device-array results
    def _call(self, name, *args, **kwargs):
        args, kwargs = unwrap_args(args, kwargs, name=f"cupy.ndarray.{name}")
        with np.errstate(all="ignore"):
            r = getattr(self._a, name)(*args, **kwargs)
        if isinstance(r, np.ndarray) and r.base is not None and np.may_share_memory(r, self._a):
            return _view_of(self, r)  # a view: no kernel ran, so any device will do
        if name != "copy":  # CuPy's copy() copies onto the current device; kernels refuse
            _check_current(self)
        return wrap_result(r)

    def view(self, dtype=None):
        if dtype is None:
            return _view_of(self, self._a.view())
        return _view_of(self, self._a.view(check_dtype(dtype)))

    def astype(self, dtype, order="K", casting=None, subok=None, copy=True):
        _check_current(self)
        kw = {} if casting is None else {"casting": casting}
        r = self._a.astype(check_dtype(dtype), order=order, copy=copy, **kw)
        return self if r is self._a else wrap(r)

    def scatter_add(self, slices, value):
        from .cupyx import scatter_add
        scatter_add(self, slices, value)

    def scatter_max(self, slices, value):
        from .cupyx import scatter_max
        scatter_max(self, slices, value)

    def scatter_min(self, slices, value):
        from .cupyx import scatter_min
        scatter_min(self, slices, value)


class _Flags:
    __slots__ = ("_f",)

    def __init__(self, f):
        self._f = f

    c_contiguous = property(lambda self: self._f.c_contiguous)
    f_contiguous = property(lambda self: self._f.f_contiguous)
    owndata = property(lambda self: self._f.owndata)

    def __getitem__(self, key):
        return {"C_CONTIGUOUS": self._f.c_contiguous, "F_CONTIGUOUS": self._f.f_contiguous,
                "OWNDATA": self._f.owndata}[key]

    def __repr__(self):
        return f"  C_CONTIGUOUS : {self.c_contiguous}\n  F_CONTIGUOUS : {self.f_contiguous}\n" \
               f"  OWNDATA : {self.owndata}"


class _DLPackCapsule:
    """What __dlpack__ hands out: only the stand-in's from_dlpack can open it."""

    __slots__ = ("array",)

    def __init__(self, array):
        self.array = array


def _rebuild(a, dev):
    r = ndarray.__new__(ndarray)
    r._a, r._dev, r._base = a, dev, None
    return r


def _numpy_method(name):
    def method(self, *args, **kwargs):
        return self._call(name, *args, **kwargs)
    method.__name__ = name
    method.__qualname__ = f"ndarray.{name}"
    return method


def _missing_method(name):
    def method(self, *args, **kwargs):
        raise not_implemented(f"cupy.ndarray.{name}")
    method.__name__ = name
    return method


def _binary(name, ufunc_name, reflected=False, inplace=False):
    def method(self, other):
        from . import cupy_module
        if isinstance(other, (np.ndarray, list, tuple)) and not isinstance(other, ndarray):
            if isinstance(other, np.ndarray):
                return NotImplemented if not reflected else _unsupported(other)
        uf = getattr(cupy_module(), ufunc_name)
        if inplace:
            return uf(self, other, out=self)
        return uf(other, self) if reflected else uf(self, other)
    method.__name__ = name
    return method


def _unsupported(x):
    raise TypeError(f"Unsupported type {type(x)}")


_BINARY = {"add": "add", "sub": "subtract", "mul": "multiply", "truediv": "true_divide",
           "floordiv": "floor_divide", "mod": "remainder", "pow": "power", "and": "bitwise_and",
           "or": "bitwise_or", "xor": "bitwise_xor", "lshift": "left_shift",
           "rshift": "right_shift", "matmul": "matmul", "divmod": "divmod"}
for _n, _u in _BINARY.items():
    setattr(ndarray, f"__{_n}__", _binary(f"__{_n}__", _u))
    setattr(ndarray, f"__r{_n}__", _binary(f"__r{_n}__", _u, reflected=True))
    if _n not in ("divmod",):
        setattr(ndarray, f"__i{_n}__", _binary(f"__i{_n}__", _u, inplace=True))
del ndarray.__imatmul__  # CuPy has no in-place matmul
for _n, _u in {"eq": "equal", "ne": "not_equal", "lt": "less", "le": "less_equal",
               "gt": "greater", "ge": "greater_equal"}.items():
    setattr(ndarray, f"__{_n}__", _binary(f"__{_n}__", _u))
for _n, _u in {"neg": "negative", "pos": "positive", "abs": "absolute", "invert": "invert"}.items():
    setattr(ndarray, f"__{_n}__", (lambda u: lambda self: getattr(__import__(
        "dpt._standin", fromlist=["cupy_module"]).cupy_module(), u)(self))(_u))


def install_ndarray_methods(names) -> None:
    """Give ndarray every public method real CuPy's has: numpy's where numpy has it."""
    for name in names:
        if name.startswith("_") or name in ndarray.__dict__:
            continue
        if callable(getattr(np.ndarray, name, None)):
            setattr(ndarray, name, _numpy_method(name))
        else:
            setattr(ndarray, name, _missing_method(name))


# -- boxing and unboxing ------------------------------------------------------------------------
def wrap(a, dev: int | None = None):
    """A numpy result -> a device array on the current device (numpy scalars become 0-d)."""
    if isinstance(a, np.generic):
        a = np.asarray(a)
    check_dtype(a.dtype)
    r = ndarray.__new__(ndarray)
    r._a, r._dev, r._base = a, current_device_id() if dev is None else dev, None
    return r


def _view_of(owner: ndarray, a: np.ndarray) -> ndarray:
    r = wrap(a, owner._dev)
    r._base = owner if owner._base is None else owner._base
    return r


def wrap_result(r, owner: ndarray | None = None):
    if isinstance(r, (np.ndarray, np.generic)):
        if owner is not None and isinstance(r, np.ndarray) and r.base is not None \
                and np.may_share_memory(r, owner._a):
            return _view_of(owner, r)
        return wrap(r)
    if isinstance(r, tuple):
        return type(r)(*(wrap_result(x) for x in r)) if hasattr(r, "_fields") else \
            tuple(wrap_result(x) for x in r)
    if isinstance(r, list):
        return [wrap_result(x) for x in r]
    return r


def _check_current(a: ndarray) -> None:
    cur = current_device_id()
    if a._dev != cur:
        raise ValueError(f"Array device must be same as the current device: "
                         f"array device = {a._dev} while current = {cur}")


def unwrap(x, name: str = "cupy"):
    """A device array's storage (checked to be on the current device); numpy arrays refused."""
    if isinstance(x, ndarray):
        _check_current(x)
        return x._a
    if isinstance(x, np.ndarray):
        raise TypeError(f"Unsupported type {type(x)}")
    if isinstance(x, (list, tuple)):
        return type(x)(unwrap(v, name) for v in x) if not hasattr(x, "_fields") else x
    if isinstance(x, dict):
        return {k: unwrap(v, name) for k, v in x.items()}
    return x


def unwrap_args(args, kwargs, name="cupy"):
    return tuple(unwrap(a, name) for a in args), {k: unwrap(v, name) for k, v in kwargs.items()}


def _index(key, dev=None):
    """Indices may be device arrays (of the indexed array's device), numpy arrays or Python values."""
    if isinstance(key, tuple):
        return tuple(_index(k, dev) for k in key)
    if isinstance(key, ndarray):
        if dev is None:
            _check_current(key)
        elif key._dev != dev:
            raise ValueError(f"Array device must be same as the current device: "
                             f"array device = {key._dev} while current = {dev}")
        return key._a
    return key


def _setitem_value(value):
    if isinstance(value, ndarray):
        _check_current(value)
        return value._a
    if isinstance(value, np.ndarray):  # host -> device copy, as CuPy allows on assignment
        check_dtype(value.dtype)
    return value


# -- ufuncs -------------------------------------------------------------------------------------
class Ufunc:
    """cupy.ufunc: a numpy ufunc on device arrays; .at/.reduce/... as CuPy 14 offers them."""

    def __init__(self, np_ufunc):
        self._u = np_ufunc
        self.__name__ = self.name = np_ufunc.__name__
        self.nin, self.nout, self.nargs = np_ufunc.nin, np_ufunc.nout, np_ufunc.nargs
        self.types = np_ufunc.types
        self.__doc__ = np_ufunc.__doc__

    def __repr__(self):
        return f"<ufunc '{self.name}'>"

    def _run(self, fn, args, kwargs):
        for a in args:  # CuPy's ufuncs take device arrays and scalars, nothing host-shaped
            if not isinstance(a, ndarray) and not (np.isscalar(a) or isinstance(a, np.generic)):
                _unsupported(a)
        out = kwargs.get("out")
        args, kwargs = unwrap_args(args, kwargs, name=f"cupy.{self.name}")
        with np.errstate(all="ignore"):
            r = fn(*args, **kwargs)
        return out if out is not None else wrap_result(r)

    def __call__(self, *args, **kwargs):
        if kwargs.get("dtype") is not None:
            check_dtype(kwargs["dtype"])
        out = kwargs.get("out")
        if out is not None and not isinstance(out, ndarray):
            _unsupported(out)
        return self._run(self._u, args, kwargs)

    def reduce(self, *args, **kwargs):
        return self._run(self._u.reduce, args, kwargs)

    def accumulate(self, *args, **kwargs):
        return self._run(self._u.accumulate, args, kwargs)

    def reduceat(self, *args, **kwargs):
        return self._run(self._u.reduceat, args, kwargs)

    def outer(self, *args, **kwargs):
        return self._run(self._u.outer, args, kwargs)

    def at(self, a, indices, b=None):
        if not isinstance(a, ndarray):
            _unsupported(a)
        _check_current(a)
        args = (a._a, _index(indices)) + (() if b is None else (unwrap(b),))
        with np.errstate(all="ignore"):
            self._u.at(*args)
