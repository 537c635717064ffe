"""Tensor: a CPU or GPU array plus dtype/device and the autograd fields.

This is the bottom of the engine: Tensor knows its data, its graph position and how
to start a backward pass, and imports no op. The math methods (``x.sum()``, ``x + y``,
the in-place ``x.add_(y)``) are the op functions themselves, given to Tensor by
dpt/_tensor_methods.py once the ops are imported.
"""
from __future__ import annotations

import numpy as np

from . import _device, _dtype, _memory_format, _tensor_str
from ._device import CPU


_ndarray = np.ndarray
_new = object.__new__
_BY_NP = _dtype._BY_NP


class Tensor:
    """Tensor(*sizes) / Tensor(data): the legacy constructor makes default-dtype tensors.

    Prefer ``dpt.tensor(data)``, which infers the dtype like torch.
    """

    __slots__ = ("_data", "_requires_grad", "grad_fn", "_output_nr", "_grad", "_vc", "_base",
                 "_hooks", "_post_acc_hooks", "_retains_grad", "_accumulator", "__dict__",
                 "__weakref__")
    __array_priority__ = 1000  # numpy defers to our reflected operators

    def __new__(cls, *args, device=None, dtype=None):
        d = _dtype.as_dtype(dtype) if dtype is not None else _dtype.get_default_dtype()
        dev = _device.as_device(device)
        xp = _device.array_module(dev)
        if len(args) == 1 and isinstance(args[0], Tensor):
            return cls._make_subclass(args[0]._data)
        if len(args) == 1 and not isinstance(args[0], (int, np.integer, Size)):
            with _device.device_context(dev):
                arr = xp.array(_as_array_data(args[0]), dtype=d.np)
        else:
            sizes = args[0] if len(args) == 1 and isinstance(args[0], Size) else args or (0,)
            with _device.device_context(dev):
                # torch leaves this memory uninitialised; dpt zeroes it (deterministic)
                arr = xp.zeros(tuple(int(s) for s in sizes), dtype=d.np)
        return cls._make_subclass(arr)

    def __init__(self, *args, **kwargs):
        pass

    # -- construction ---------------------------------------------------------------
    @classmethod
    def _make(cls, arr, requires_grad=False, base=None):
        """Wrap an array without copying (the hot path of every op)."""
        if type(arr) is not _ndarray and isinstance(arr, np.generic):
            arr = np.asarray(arr)
        t = _new(Tensor)
        t._data = arr
        t._requires_grad = requires_grad
        t.grad_fn = None
        t._output_nr = 0
        t._grad = None
        if base is None:
            t._vc, t._base = [0], None
        else:
            t._vc, t._base = base._vc, (base._base if base._base is not None else base)
        t._hooks = t._post_acc_hooks = t._accumulator = None
        t._retains_grad = False
        return t

    @classmethod
    def _make_subclass(cls, arr, requires_grad=False):
        t = Tensor._make(arr, requires_grad)
        if cls is not Tensor:
            t.__class__ = cls
        return t

    # -- basic attributes -----------------------------------------------------------
    @property
    def shape(self):
        return Size(self._data.shape)

    def size(self, dim: int | None = None):
        """size(dim=None): the shape, or one dimension's length."""
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_wrap_dim(dim, self._data.ndim, "size")]

    @property
    def dtype(self) -> _dtype.dtype:
        try:
            return _BY_NP[self._data.dtype]
        except KeyError:
            return _dtype.from_numpy_dtype(self._data.dtype)  # raises its TypeError

    @property
    def device(self) -> _device.device:
        return CPU if isinstance(self._data, np.ndarray) else _device.device_of(self._data)

    @property
    def is_cuda(self) -> bool:
        return not isinstance(self._data, np.ndarray)

    @property
    def is_cpu(self) -> bool:
        return isinstance(self._data, np.ndarray)

    # devices and layouts dpt has none of: scripts written for them test these flags
    is_xpu = is_mps = is_meta = is_mkldnn = is_quantized = is_vulkan = is_ipu = is_maia = \
        is_mtia = is_xla = is_sparse = is_sparse_csr = is_nested = property(lambda self: False)

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    ndimension = dim

    def numel(self) -> int:
        return int(self._data.size)

    nelement = numel

    def element_size(self) -> int:
        return self._data.dtype.itemsize

    @property
    def itemsize(self) -> int:
        return self._data.dtype.itemsize

    @property
    def nbytes(self) -> int:
        return int(self._data.nbytes)

    def is_floating_point(self) -> bool:
        return self.dtype.is_floating_point

    def is_complex(self) -> bool:
        return self.dtype.is_complex

    def is_signed(self) -> bool:
        return self.dtype.is_signed

    def stride(self, dim: int | None = None):
        """stride(dim=None): strides in elements, like torch (numpy counts bytes)."""
        item = self._data.dtype.itemsize
        strides = tuple(s // item for s in self._data.strides)
        return strides if dim is None else strides[_wrap_dim(dim, self._data.ndim, "stride")]

    def storage_offset(self) -> int:
        base = _device.root_array(self._data)
        return (_device.data_ptr(self._data) - _device.data_ptr(base)) // self._data.dtype.itemsize

    def is_contiguous(self, memory_format=None) -> bool:
        """is_contiguous(memory_format=dpt.contiguous_format): whether the strides are
        row-major (or, for channels_last/channels_last_3d, channel-innermost)."""
        if memory_format is None:
            return bool(self._data.flags.c_contiguous)
        return _memory_format.is_contiguous(self._data, memory_format)

    @property
    def layout(self):
        return _memory_format.strided

    def data_ptr(self) -> int:
        return _device.data_ptr(self._data)

    def untyped_storage(self):
        return _device.root_array(self._data)

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __hash__(self):
        return id(self)

    # -- autograd fields -------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool):
        if self.grad_fn is not None and not value:
            raise RuntimeError("you can only change requires_grad flags of leaf variables. If you "
                               "want to use a computed variable in a subgraph that doesn't require "
                               "differentiation use var_no_grad = var.detach().")
        if value and self.dtype.category < 2:
            raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
        self._requires_grad = bool(value) or self.grad_fn is not None

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        self.requires_grad = requires_grad
        return self

    @property
    def _version(self) -> int:
        """How many in-place writes this tensor (and every view of its storage) has seen."""
        return self._vc[0]

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def output_nr(self) -> int:
        return self._output_nr

    @property
    def grad(self):
        if self._grad is None and self.grad_fn is not None and not self._retains_grad:
            _function.warn_nonleaf_grad()
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of type "
                                f"{type(value).__name__}")
            if value.shape != self.shape:
                raise RuntimeError(f"assigned grad has data of a different size: {list(value.shape)} "
                                   f"vs {list(self.shape)}")
        self._grad = value

    @property
    def data(self) -> "Tensor":
        """The same storage as a tensor that does not require grad (the old Variable API)."""
        return Tensor._make(self._data, base=self)

    @data.setter
    def data(self, value: "Tensor"):
        self._data = value._data if isinstance(value, Tensor) else value

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad

    def _edge(self):
        """(node, output_nr) through which a gradient reaches this tensor."""
        if self.grad_fn is not None:
            return self.grad_fn, self._output_nr
        if self._accumulator is None:
            self._accumulator = _function.AccumulateGrad(self)
        return self._accumulator, 0

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """backward(gradient=None, retain_graph=None, create_graph=False, inputs=None)."""
        _api.backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def register_hook(self, hook):
        """hook(grad) -> Tensor or None, called when the gradient for this tensor is computed."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is None:
            if self._hooks is None:
                self._hooks = []
            hooks = self._hooks
        else:
            pre = self.grad_fn.__dict__.setdefault("_pre_hooks", {})
            hooks = pre.setdefault(self._output_nr, [])
        hooks.append(hook)
        return _function._RemovableHandle(hooks, hook)

    def register_post_accumulate_grad_hook(self, hook):
        """hook(tensor), called on a leaf after its .grad has been accumulated."""
        if self.grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
        if self._post_acc_hooks is None:
            self._post_acc_hooks = []
        self._post_acc_hooks.append(hook)
        return _function._RemovableHandle(self._post_acc_hooks, hook)

    def retain_grad(self) -> None:
        """Keep .grad for this non-leaf tensor after backward."""
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self.grad_fn is None or self._retains_grad:
            return
        self._retains_grad = True
        import weakref

        ref = weakref.ref(self)

        def keep(grad):
            t = ref()
            if t is not None:
                if t._grad is None:
                    t._grad = grad.detach() if not grad.requires_grad else grad
                    if t._grad._data is grad._data:
                        t._grad = Tensor._make(grad._data.copy())
                else:
                    t._grad = t._grad + grad
        self.register_hook(keep)

    def detach(self) -> "Tensor":
        """A new tensor on the same storage, cut from the graph."""
        return Tensor._make(self._data, base=self)

    def detach_(self) -> "Tensor":
        self.grad_fn = None
        self._requires_grad = False
        return self

    # -- in-place plumbing ------------------------------------------------------------
    def _check_inplace(self, op: str):
        if self._requires_grad and self.grad_fn is None and is_grad_enabled():
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                               f"operation. ({op})")

    # -- conversion ------------------------------------------------------------------
    def numpy(self, *, force: bool = False) -> np.ndarray:
        """The numpy array behind the tensor (shared memory on the CPU)."""
        if self._requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. "
                               "Use tensor.detach().numpy() instead.")
        if not isinstance(self._data, np.ndarray):
            if not force:
                raise TypeError(f"can't convert {self.device} device type tensor to numpy. "
                                "Use Tensor.cpu() to copy the tensor to host memory first.")
            return self._data.get()
        return self._data

    def __array__(self, dtype=None, copy=None):
        arr = self.numpy()
        if dtype is not None:
            arr = arr.astype(dtype, copy=bool(copy))
        return arr.copy() if copy and arr is self._data else arr

    def __array_wrap__(self, array, context=None, return_scalar=False):
        """numpy ufuncs applied to tensors (np.sin(t)) give tensors back, as in torch."""
        return Tensor._make(np.asarray(array))

    def __dlpack__(self, *args, **kwargs):
        if self._requires_grad:
            raise RuntimeError("Can't export tensors that require gradient, use tensor.detach()")
        return self._data.__dlpack__(*args, **kwargs)

    def __dlpack_device__(self):
        return self._data.__dlpack_device__()

    def item(self):
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted to Scalar")
        v = self._data.reshape(()).item() if isinstance(self._data, np.ndarray) else self._data.item()
        return float(v) if self._data.dtype.name == "bfloat16" else v

    def tolist(self):
        arr = _device.to_numpy(self._data)
        if arr.dtype.name == "bfloat16":
            arr = arr.astype(np.float32)
        return arr.tolist()

    def __bool__(self):
        if self._data.size == 0:
            raise RuntimeError("Boolean value of Tensor with no values is ambiguous")
        if self._data.size > 1:
            raise RuntimeError("Boolean value of Tensor with more than one value is ambiguous")
        return bool(self.item())

    def _one_value(self):
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return self.item()

    def __float__(self):
        return float(self._one_value())

    def __int__(self):
        return int(self._one_value())

    def __complex__(self):
        return complex(self._one_value())

    def __index__(self):
        if self.dtype.category > 1 or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __format__(self, spec):
        if self._data.ndim == 0:
            return self.item().__format__(spec)
        return repr(self)

    def __repr__(self):
        return _tensor_str.tensor_repr(self)

    def __reduce_ex__(self, proto):
        state = self.__dict__ or None
        return (_rebuild, (_device.to_numpy(self._data), str(self.device), self._requires_grad,
                           type(self), state))

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        if self.grad_fn is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support "
                               "the deepcopy protocol at the moment.")
        t = Tensor._make_subclass(self._data.copy(), self._requires_grad)
        t.__class__ = self.__class__
        if self._grad is not None:
            t._grad = Tensor._make(self._grad._data.copy())
        t.__dict__.update(__import__("copy").deepcopy(self.__dict__, memo))
        memo[id(self)] = t
        return t

    def type(self, dtype=None, non_blocking=False):
        """type() -> 'dpt.FloatTensor'; type(dtype) converts."""
        if dtype is None:
            prefix = "dpt." if self.is_cpu else "dpt.cuda."
            return prefix + _TYPE_NAMES[self.dtype.name]
        if isinstance(dtype, _LegacyTensorType):
            return self.to("cpu").to(dtype.dtype)
        if isinstance(dtype, str):
            name = dtype.removeprefix("dpt.").removeprefix("torch.")
            on_cuda = name.startswith("cuda.")
            name = name.removeprefix("cuda.")
            if name not in _LEGACY:
                raise ValueError(f"invalid type: '{dtype}'")
            return self.to("cuda" if on_cuda else "cpu").to(_LEGACY[name])
        return self.to(dtype)

    def cpu(self) -> "Tensor":
        return self.to("cpu")

    def get_device(self) -> int:
        """The CUDA device index, or -1 for a CPU tensor."""
        return -1 if self.is_cpu else self.device.index

    def cuda(self, device=None, non_blocking=False) -> "Tensor":
        return self.to(_device.device("cuda", device) if isinstance(device, int) else (device or "cuda"))

    # dtype shorthands; memory_format as in to() (dpt/_memory_format.py)
    def float(self, memory_format=None):
        return self.to(_dtype.float32, memory_format=memory_format)

    def double(self, memory_format=None):
        return self.to(_dtype.float64, memory_format=memory_format)

    def half(self, memory_format=None):
        return self.to(_dtype.float16, memory_format=memory_format)

    def bfloat16(self, memory_format=None):
        return self.to(_dtype.bfloat16, memory_format=memory_format)

    def long(self, memory_format=None):
        return self.to(_dtype.int64, memory_format=memory_format)

    def int(self, memory_format=None):
        return self.to(_dtype.int32, memory_format=memory_format)

    def short(self, memory_format=None):
        return self.to(_dtype.int16, memory_format=memory_format)

    def char(self, memory_format=None):
        return self.to(_dtype.int8, memory_format=memory_format)

    def byte(self, memory_format=None):
        return self.to(_dtype.uint8, memory_format=memory_format)

    def bool(self, memory_format=None):
        return self.to(_dtype.bool, memory_format=memory_format)

    def cfloat(self, memory_format=None):
        return self.to(_dtype.complex64, memory_format=memory_format)

    def cdouble(self, memory_format=None):
        return self.to(_dtype.complex128, memory_format=memory_format)

    def type_as(self, other):
        return self.to(other.dtype)


class Size(tuple):
    """The shape of a tensor: a tuple that prints as dpt.Size([2, 3])."""

    def __repr__(self):
        return f"dpt.Size({list(self)})"

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, i):
        out = tuple.__getitem__(self, i)
        return Size(out) if isinstance(i, slice) else out

    def __add__(self, other):
        return Size(tuple(self) + tuple(other))


def _wrap_dim(dim: int, ndim: int, op: str) -> int:
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"{op}: Dimension out of range (expected to be in range of "
                         f"[{-n}, {n - 1}], but got {dim})")
    return dim % n


def _as_array_data(data):
    """Turn nested lists/tuples of Tensors and numbers into something np.asarray takes."""
    if isinstance(data, Tensor):
        return _device.to_numpy(data._data)
    if isinstance(data, (list, tuple)) and any(isinstance(x, (Tensor, list, tuple)) for x in data):
        return [_as_array_data(x) for x in data]
    return data


def _rebuild(arr, device, requires_grad, cls=None, state=None):
    t = Tensor._make(_device.move(arr, _device.as_device(device)))
    t._requires_grad = requires_grad
    if cls is not None and cls is not Tensor:
        t.__class__ = cls
    if state:
        t.__dict__.update(state)
    return t


_TYPE_NAMES = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
               "bfloat16": "BFloat16Tensor", "int64": "LongTensor", "int32": "IntTensor",
               "int16": "ShortTensor", "int8": "CharTensor", "uint8": "ByteTensor",
               "bool": "BoolTensor", "complex64": "ComplexFloatTensor",
               "complex128": "ComplexDoubleTensor", "uint16": "UInt16Tensor",
               "uint32": "UInt32Tensor", "uint64": "UInt64Tensor"}
_LEGACY = {v: getattr(_dtype, k) for k, v in _TYPE_NAMES.items()}


class _LegacyTensorType(type):
    """The metaclass of dpt.FloatTensor & co: callable constructors that isinstance() checks.

    ``FloatTensor(2, 3)`` / ``FloatTensor([1, 2])`` build float32 CPU tensors like the legacy
    ``Tensor`` constructor, and ``isinstance(t, dpt.FloatTensor)`` is true for any float32 CPU
    tensor, as in torch. They are not Tensor subclasses: every tensor is a plain Tensor.
    """

    def __call__(cls, *args, device=None):
        return Tensor(*args, dtype=cls.dtype, device=device)

    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj.is_cpu and obj.dtype is cls.dtype

    def __repr__(cls):
        return f"<class 'dpt.{cls.__name__}'>"


def _legacy_type(dt: _dtype.dtype):
    name = _TYPE_NAMES[dt.name]
    return _LegacyTensorType(name, (), {"dtype": dt, "__module__": "dpt", "__slots__": (),
                                        "__doc__": f"{name}(*sizes) / {name}(data): {dt} tensors."})


FloatTensor = _legacy_type(_dtype.float32)
DoubleTensor = _legacy_type(_dtype.float64)
HalfTensor = _legacy_type(_dtype.float16)
BFloat16Tensor = _legacy_type(_dtype.bfloat16)
LongTensor = _legacy_type(_dtype.int64)
IntTensor = _legacy_type(_dtype.int32)
ShortTensor = _legacy_type(_dtype.int16)
CharTensor = _legacy_type(_dtype.int8)
ByteTensor = _legacy_type(_dtype.uint8)
BoolTensor = _legacy_type(_dtype.bool)

# The autograd core builds Tensors, so it comes after the class (only method bodies
# use these names).
from .autograd import api as _api  # noqa: E402
from .autograd import function as _function  # noqa: E402
from .autograd.grad_mode import is_grad_enabled  # noqa: E402
