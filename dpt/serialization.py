"""dpt.save / dpt.load: checkpoints are data, not code.

``dpt.save(obj, f)`` writes tensors, state_dicts, optimizer states and nested
containers of them to a zip archive whose structure is JSON and whose arrays are
``.npy`` files. ``dpt.load(f)`` reads it back without unpickling anything; only a
checkpoint that holds objects which are not data (a whole Module, instances of
your own classes) carries a pickle, and loading it needs ``weights_only=False``.

File format, version 1
----------------------
A zip archive with every member stored uncompressed:

``data.json``
    A UTF-8 JSON object::

        {"format": "dpt.checkpoint", "version": 1,
         "arrays": [{"file": "arrays/0.npy", "kind": "tensor", "dtype": "float32",
                     "shape": [2, 3], "device": "cpu", "requires_grad": false}, ...],
         "root": <value>,
         "pickled": ["mymodule.Net", ...]}

    ``kind`` is ``tensor``, ``parameter`` (a ``dpt.nn.Parameter``), ``ndarray`` (a
    numpy array; ``dtype`` is then numpy's dtype string, e.g. ``"<f4"``) or
    ``numpy_scalar``. ``device`` is where the tensor lived when saved (``"cuda:0"``...).
    ``pickled`` lists the classes held by the ``pickle`` member (empty when there is none).

    A ``<value>`` is JSON ``null``, ``true``/``false``, an integer, a finite float, a
    string, a list of values, or an object tagged by ``"type"``:

    ============================================  =======================================
    ``{"type": "float", "value": "nan"}``           a non-finite float ("inf", "-inf", "nan")
    ``{"type": "complex", "real": r, "imag": i}``   a python complex
    ``{"type": "bytes", "hex": "00ff"}``            bytes
    ``{"type": "tuple", "items": [...]}``           also ``set``, ``frozenset``, ``Size``
    ``{"type": "dict", "items": [[k, v], ...]}``    keys may be any value (ints, tuples...);
                                                    also ``Counter``
    ``{"type": "OrderedDict", "items": [...],``     with the ``_metadata`` attribute of a
    ``"metadata": <value>}``                        Module state_dict, when it has one
    ``{"type": "array", "index": i}``               the i-th entry of ``arrays``
    ``{"type": "dtype", "name": "float32"}``        a ``dpt.dtype``
    ``{"type": "device", "name": "cuda:0"}``        a ``dpt.device``
    ``{"type": "pickled", "index": k}``             the k-th object of the ``pickle`` member
    ============================================  =======================================

``arrays/<i>.npy``
    One array per entry of ``arrays``, in numpy's .npy format (C order, little-endian).
    bfloat16, which .npy cannot describe, is stored as its raw 16-bit patterns (``<u2``)
    and ``dtype`` in data.json says how to read them.

``pickle``
    Present only when something is not data: a pickle (protocol ``pickle_protocol``) of
    the list of those objects, in which every Tensor is a persistent reference
    ``("array", i)`` to the arrays above, so tensor data never sits inside the pickle.

Notes and deviations from torch
-------------------------------
- Identity is kept per tensor object: the same tensor saved twice is stored once and
  loads as one object. Distinct tensors that are views of one array (``x`` and
  ``x[0]``) are stored as independent copies and no longer share memory after loading.
  Containers are written by value: a list referenced twice loads as two equal lists,
  and a container that contains itself cannot be saved (a ValueError).
- Gradients (``.grad``) are not saved, as in torch; a non-leaf tensor loads as a leaf
  with its ``requires_grad`` flag.
- Writes to a path are atomic: the archive goes to a temporary file in the same
  directory, is fsynced, and replaces the target with ``os.replace``; a failure leaves
  any previous file untouched. Writes to a file object are not atomic. A save killed
  mid-write leaves its ``.NAME.HOST.PID.XXXXXXXX.tmp`` behind; the next successful save to
  that path on that host removes those whose writing process is gone.
- A callable ``map_location(tensor, location)`` receives a CPU tensor (torch passes a
  storage) and returns a tensor, or None to restore it to ``location``.
- ``mmap`` is accepted for compatibility; arrays are always read into memory.
- ``weights_only=True`` unpickles the ``pickle`` member only when every class or function
  it names is allowlisted: dpt's defaults (OrderedDict, Counter, set, frozenset, bytearray,
  complex, ``_codecs.encode``, dpt's Size, device and dtypes) plus what the caller added with
  :func:`add_safe_globals` or :func:`safe_globals`, as in torch. Objects are then built only
  by calling those; anything else raises ``pickle.UnpicklingError`` naming the global.
- A malformed file raises :class:`CheckpointError` (a RuntimeError) that names the file
  and the problem. No array is allocated before its size is checked against its .npy
  header, its zip entry and the bytes left in the file, so all arrays together never
  take more memory than the file's size: a forged shape cannot exhaust memory.
"""
from __future__ import annotations

import _compat_pickle
import collections
import io
import json
import math
import os
import pickle
import pickletools
import re
import socket
import sys
import tempfile
import threading
import zipfile
from typing import IO, Any

import ml_dtypes
import numpy as np

from . import _device, _dtype
from ._tensor import Size, Tensor

__all__ = ["save", "load", "CheckpointError", "add_safe_globals", "get_safe_globals",
           "clear_safe_globals", "safe_globals"]

FORMAT = "dpt.checkpoint"
VERSION = 1
_ZIP_MAGIC = b"PK\x03\x04"
_DEFAULT_PROTOCOL = 2
_BF16_STORAGE = np.dtype("<u2")
# numpy dtype kinds an "ndarray" entry may hold (no objects, no structured/void records)
_NDARRAY_KINDS = set("biufcUS")
# what zipfile raises on a damaged or unsupported archive: bad offsets (OSError, ValueError),
# encryption (RuntimeError), unknown features or versions (NotImplementedError)
_ZIP_ERRORS = (zipfile.BadZipFile, EOFError, OSError, ValueError, OverflowError, RuntimeError,
               NotImplementedError)
_INT64 = range(-2 ** 63, 2 ** 63)
_MAX_NDIM = 64  # numpy's limit


class CheckpointError(RuntimeError):
    """A file that dpt.load cannot read as a dpt checkpoint (truncated, forged, foreign)."""


def _source_name(f) -> str:
    if isinstance(f, (str, os.PathLike)):
        return os.fspath(f)
    name = getattr(f, "name", None)
    return name if isinstance(name, str) else f"<{type(f).__name__}>"


def _parameter_class():
    """dpt.nn.Parameter if dpt.nn has been imported (it must be, to hold a Parameter)."""
    mod = sys.modules.get("dpt.nn.parameter")
    return getattr(mod, "Parameter", None)


# -- saving ----------------------------------------------------------------------------------

class _Writer:
    """Encodes an object into the JSON value tree, writing arrays as it meets them."""

    def __init__(self, zf: zipfile.ZipFile):
        self.zf = zf
        self.arrays: list[dict] = []
        self.pickled: list = []
        self._array_memo: dict[int, int] = {}
        self._pickle_memo: dict[int, int] = {}
        self._keep: list = []  # holds memoised objects so their ids stay unique
        self._active: set[int] = set()  # containers on the current path (cycle check)

    # arrays
    def array_index(self, obj) -> int:
        key = id(obj)
        if key in self._array_memo:
            return self._array_memo[key]
        index = len(self.arrays)
        if isinstance(obj, Tensor):
            param = _parameter_class()
            kind = "parameter" if param is not None and isinstance(obj, param) else "tensor"
            arr = _c_order(_device.to_numpy(obj._data))
            entry = {"kind": kind, "dtype": obj.dtype.name, "device": str(obj.device),
                     "requires_grad": bool(obj.requires_grad)}
        else:
            arr = _c_order(np.asarray(obj))
            entry = {"kind": "ndarray" if isinstance(obj, np.ndarray) else "numpy_scalar"}
        if arr.dtype == ml_dtypes.bfloat16:
            arr = arr.view(np.uint16)
        arr = arr.astype(arr.dtype.newbyteorder("<"), copy=False)
        if entry["kind"] in ("ndarray", "numpy_scalar"):
            entry["dtype"] = arr.dtype.str
        entry["shape"] = list(arr.shape)
        entry["file"] = f"arrays/{index}.npy"
        with self.zf.open(entry["file"], "w", force_zip64=True) as fh:
            np.lib.format.write_array(fh, arr, version=(1, 0) if _small_header(arr) else (2, 0),
                                      allow_pickle=False)
        self.arrays.append(entry)
        self._array_memo[key] = index
        self._keep.append(obj)
        return index

    # the value tree
    def encode(self, obj):
        t = type(obj)
        if obj is None or t is bool or t is int or t is str:
            return obj
        if t is float:
            return obj if math.isfinite(obj) else {"type": "float", "value": repr(obj)}
        if t is list:
            return self._container(obj, lambda: [self.encode(v) for v in obj])
        if t is tuple or t is Size or t is set or t is frozenset:
            name = {tuple: "tuple", Size: "Size", set: "set", frozenset: "frozenset"}[t]
            return self._container(obj, lambda: {"type": name,
                                                 "items": [self.encode(v) for v in obj]})
        if t is dict or t is collections.OrderedDict or t is collections.Counter:
            return self._container(obj, lambda: self._mapping(obj))
        if isinstance(obj, Tensor):
            return {"type": "array", "index": self.array_index(obj)}
        if (t is np.ndarray or isinstance(obj, np.generic)) and obj.dtype.kind in _NDARRAY_KINDS:
            return {"type": "array", "index": self.array_index(obj)}
        if t is complex:
            return {"type": "complex", "real": self.encode(obj.real), "imag": self.encode(obj.imag)}
        if t is bytes:
            return {"type": "bytes", "hex": obj.hex()}
        if t is _dtype.dtype:
            return {"type": "dtype", "name": obj.name}
        if t is _device.device:
            return {"type": "device", "name": str(obj)}
        return {"type": "pickled", "index": self._pickle_index(obj)}

    def _container(self, obj, build):
        if id(obj) in self._active:
            raise ValueError(f"dpt.save: the {type(obj).__name__} contains itself; "
                             "self-referencing containers cannot be saved")
        self._active.add(id(obj))
        try:
            return build()
        finally:
            self._active.discard(id(obj))

    def _mapping(self, obj):
        out = {"type": type(obj).__name__,
               "items": [[self.encode(k), self.encode(v)] for k, v in obj.items()]}
        meta = getattr(obj, "_metadata", None)
        if meta is not None:
            out["metadata"] = self.encode(meta)
        return out

    def _pickle_index(self, obj) -> int:
        key = id(obj)
        if key not in self._pickle_memo:
            self._pickle_memo[key] = len(self.pickled)
            self.pickled.append(obj)
            self._keep.append(obj)
        return self._pickle_memo[key]

    def write_pickle(self, pickle_module, protocol: int):
        buf = io.BytesIO()  # a zip member cannot be open while arrays are written
        pickler = pickle_module.Pickler(buf, protocol=protocol)
        pickler.persistent_id = self._persistent_id
        pickler.dump(self.pickled)
        self.zf.writestr("pickle", buf.getvalue())

    def _persistent_id(self, obj):
        if isinstance(obj, Tensor):
            return ("array", self.array_index(obj))
        return None


def _c_order(arr: np.ndarray) -> np.ndarray:
    # not np.ascontiguousarray: it turns 0-d arrays into 1-d ones
    return arr if arr.flags.c_contiguous else arr.copy(order="C")


def _small_header(arr) -> bool:
    return len(repr(arr.shape)) < 60000  # .npy 1.0 headers hold at most 65535 bytes


def _write_archive(obj, fh, pickle_module, protocol: int) -> None:
    with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        writer = _Writer(zf)
        root = writer.encode(obj)
        if writer.pickled:
            writer.write_pickle(pickle_module, protocol)
        names = [f"{type(o).__module__}.{type(o).__qualname__}" for o in writer.pickled]
        meta = {"format": FORMAT, "version": VERSION, "arrays": writer.arrays, "root": root,
                "pickled": names}
        zf.writestr("data.json", json.dumps(meta, ensure_ascii=True, allow_nan=False))


def save(obj: Any, f, pickle_module=pickle, pickle_protocol: int = _DEFAULT_PROTOCOL,
         _use_new_zipfile_serialization: bool = True,
         _disable_byteorder_record: bool = False) -> None:
    """save(obj, f, pickle_module=pickle, pickle_protocol=2): write obj to a checkpoint.

    f is a path (written atomically: temp file, fsync, rename) or a writable binary
    file object. Tensors, Parameters, numpy arrays, numbers, strings, bytes, None,
    dtypes, devices and lists/tuples/dicts/OrderedDicts of them are stored as data;
    anything else (a Module, your own classes) is pickled into the ``pickle`` member
    and needs ``weights_only=False`` to load. See the module docstring for the format.
    """
    if isinstance(f, io.TextIOBase):
        raise TypeError("dpt.save: f must be a path or a binary file object, got a text stream; "
                        "use io.BytesIO or open(path, 'wb')")
    if not isinstance(f, (str, os.PathLike)):
        if not hasattr(f, "write"):
            raise AttributeError(f"dpt.save: expected a path or a file-like object with write(), "
                                 f"got {type(f).__name__}")
        _write_archive(obj, f, pickle_module, pickle_protocol)
        return
    path = os.path.abspath(os.fspath(f))
    directory = os.path.dirname(path)
    base = os.path.basename(path)
    with _in_flight_lock:
        fd, tmp = tempfile.mkstemp(prefix=_temp_prefix(base), suffix=".tmp", dir=directory)
        _in_flight.add(tmp)
    try:
        with os.fdopen(fd, "wb") as fh:
            _write_archive(obj, fh, pickle_module, pickle_protocol)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, _new_file_mode(path))
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    finally:
        with _in_flight_lock:
            _in_flight.discard(tmp)
    _fsync_directory(directory)
    _remove_stale_temps(directory, base)


# temp files this process is writing now (threads share a pid), so a cleanup never takes them
_in_flight: set[str] = set()
_in_flight_lock = threading.Lock()
_HOST = re.sub(r"[^A-Za-z0-9.-]", "-", socket.gethostname()) or "localhost"


def _temp_prefix(base: str) -> str:
    return f".{base}.{_HOST}.{os.getpid()}."


def _remove_stale_temps(directory: str, base: str) -> None:
    """Delete temp files that earlier, killed saves to ``base`` left in ``directory``.

    A temp name records its writer's host and pid. Only this host's files are judged (a
    writer on another host sharing the filesystem cannot be checked, so its files stay). A
    file whose pid is alive may be a save in progress, or the pid was reused: kept. One with
    our own pid is ours if it is in _in_flight; otherwise an earlier process had our pid
    (pids repeat across container restarts) and it is stale.
    """
    pattern = re.compile(re.escape(f".{base}.{_HOST}.") + r"(\d{1,10})\.[a-z0-9_]+\.tmp")
    try:
        names = os.listdir(directory)
    except OSError:
        return
    for name in names:
        m = pattern.fullmatch(name)
        if m is None:
            continue
        pid, tmp = int(m.group(1)), os.path.join(directory, name)
        with _in_flight_lock:  # a save registers its temp file under this lock
            if tmp in _in_flight or pid != os.getpid() and _pid_alive(pid):
                continue
            try:
                os.unlink(tmp)
            except OSError:
                pass  # gone already, or not ours to delete: cleanup is best effort


def _pid_alive(pid: int) -> bool:
    if os.name != "posix":
        return True  # os.kill(pid, 0) would terminate the process on Windows
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OSError, OverflowError):
        return True  # exists but not ours (EPERM), or cannot tell: keep its file
    return True


def _new_file_mode(path: str) -> int:
    """The target's mode if it exists, else what open() would create (0o666 minus umask)."""
    try:
        return os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask


def _fsync_directory(directory: str) -> None:
    """Make the rename itself durable (best effort: not every platform can open a directory)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# -- loading ---------------------------------------------------------------------------------

_UNSAFE_MSG = (
    "Weights only load failed: {name} holds objects that are not plain data ({types}), stored "
    "as a pickle, and unpickling them can execute arbitrary code from the file. This file can "
    "still be loaded: re-running dpt.load with weights_only=False will likely succeed, but it "
    "can result in arbitrary code execution. Do it only if you got the file from a trusted "
    "source. If you trust these classes, you can instead allowlist them with "
    "dpt.serialization.add_safe_globals([...]) or the dpt.serialization.safe_globals([...]) "
    "context manager and keep weights_only=True.")


def _unsafe_global_msg(name: str, key: str) -> str:
    return (f"Weights only load failed: {name}: unsupported global: GLOBAL {key} is not an "
            f"allowed global by default. If you trust this class/function, allowlist it with "
            f"dpt.serialization.add_safe_globals([{key}]) or the "
            f"dpt.serialization.safe_globals([{key}]) context manager; or re-run dpt.load with "
            f"weights_only=False, which can result in arbitrary code execution: do it only if "
            f"you got the file from a trusted source.")


# allowlisted globals added by the user: what was passed (an object, or (object, "mod.name"))
_user_safe_globals: list = []


def _qualified_name(obj) -> str:
    module, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
    if not isinstance(module, str) or not isinstance(qualname, str):
        raise TypeError(f"add_safe_globals: {obj!r:.60} has no __module__/__qualname__; pass "
                        "(obj, 'module.name') to give its name")
    return f"{module}.{qualname}"


def _entry_name(entry) -> str:
    if isinstance(entry, tuple):
        if len(entry) != 2 or not isinstance(entry[1], str):
            raise ValueError("add_safe_globals: a tuple entry must be (callable, 'module.name'), "
                             f"got {entry!r:.80}")
        return entry[1]
    return _qualified_name(entry)


def add_safe_globals(safe_globals: list) -> None:
    """add_safe_globals(safe_globals): allow ``dpt.load(..., weights_only=True)`` to build
    these classes and call these functions. Each entry is a class/function, or a tuple
    ``(obj, "module.name")`` to allow obj under the name a file uses for it."""
    if not isinstance(safe_globals, (list, tuple)):
        raise TypeError(f"add_safe_globals: expected a list, got {type(safe_globals).__name__}")
    for entry in safe_globals:
        _entry_name(entry)  # validate all before adding any
    for entry in safe_globals:
        if entry not in _user_safe_globals:
            _user_safe_globals.append(entry)


def get_safe_globals() -> list:
    """The entries added with add_safe_globals (dpt's defaults are not listed)."""
    return list(_user_safe_globals)


def clear_safe_globals() -> None:
    """Forget every entry added with add_safe_globals."""
    _user_safe_globals.clear()


class safe_globals:
    """with safe_globals([Cls, fn, (obj, "module.name")]): the entries are allowlisted for
    weights_only loads inside the block and removed after (process-wide, as in torch)."""

    def __init__(self, safe_globals: list):
        self.safe_globals = safe_globals

    def __enter__(self):
        self._saved = list(_user_safe_globals)
        add_safe_globals(self.safe_globals)
        return self

    def __exit__(self, *exc):
        _user_safe_globals[:] = self._saved
        return False


def _default_safe_globals() -> dict:
    """What a weights_only load may build without being told: plain data and dpt's own
    value types (Module state pickles its hooks in _HookDict)."""
    import _codecs

    from .nn.modules.module import _HookDict
    allowed = [collections.OrderedDict, collections.Counter, set, frozenset, bytearray, complex,
               _codecs.encode, Size, _device.device, _dtype._lookup_by_name, _HookDict]
    return {_qualified_name(obj): obj for obj in allowed}


def _allowed_globals() -> dict:
    allowed = _default_safe_globals()
    for entry in _user_safe_globals:
        allowed[_entry_name(entry)] = entry[0] if isinstance(entry, tuple) else entry
    return allowed


class _WeightsOnlyUnpickler(pickle.Unpickler):
    """An unpickler that resolves only allowlisted globals, so the only callables a file can
    reach are the ones allowlisted (every object it builds comes from calling one of them)."""

    def __init__(self, file, name: str, **kwargs):
        super().__init__(file, **kwargs)
        self._name = name
        self._allowed = _allowed_globals()

    def find_class(self, module: str, name: str):
        # pickles written with protocol < 3 name Python 2 modules (__builtin__, copy_reg)
        if (module, name) in _compat_pickle.NAME_MAPPING:
            module, name = _compat_pickle.NAME_MAPPING[(module, name)]
        elif module in _compat_pickle.IMPORT_MAPPING:
            module = _compat_pickle.IMPORT_MAPPING[module]
        key = f"{module}.{name}"
        try:
            return self._allowed[key]
        except (KeyError, TypeError):
            raise pickle.UnpicklingError(_unsafe_global_msg(self._name, key)) from None


def _refuse_extension_codes(raw: bytes, name: str) -> None:
    """The EXT opcodes fetch objects from copyreg's extension cache without asking
    find_class, so a weights_only load refuses any pickle that uses them."""
    try:
        for op, _, _ in pickletools.genops(raw):
            if op.name.startswith("EXT"):
                raise pickle.UnpicklingError(f"Weights only load failed: {name}: the pickle uses "
                                             f"the {op.name} opcode (copyreg extension codes), "
                                             "which a weights_only load does not accept")
    except (ValueError, EOFError) as e:  # what genops raises on a malformed stream
        raise pickle.UnpicklingError(f"Weights only load failed: {name}: malformed pickle: "
                                     f"{e}") from None


class _Reader:
    """Decodes data.json's value tree, reading each array (once) when first referenced."""

    def __init__(self, zf: zipfile.ZipFile, meta: dict, name: str, archive_size: int,
                 map_location, weights_only: bool, pickle_module, pickle_load_args: dict):
        self.zf, self.name, self.archive_size = zf, name, archive_size
        self.map_location, self.weights_only = map_location, weights_only
        self.pickle_module, self.pickle_load_args = pickle_module, pickle_load_args
        self.arrays = _expect(meta.get("arrays"), list, "arrays", self)
        self.pickled_names = _expect(meta.get("pickled", []), list, "pickled", self)
        if not all(isinstance(n, str) for n in self.pickled_names):
            raise self.fail("malformed data.json: 'pickled' holds a non-string class name")
        self._loaded: dict[int, Any] = {}
        # bytes the arrays may still take: never more than the file holds, so duplicated or
        # overlapping members cannot multiply the memory a small file makes us allocate
        self._budget = archive_size
        self._unpickled: list | None = None

    def fail(self, problem: str) -> CheckpointError:
        return CheckpointError(f"dpt.load: {self.name}: {problem}")

    # the value tree
    def decode(self, v):
        if v is None or isinstance(v, (bool, int, str)):
            return v
        if isinstance(v, float):
            return v
        if isinstance(v, list):
            return [self.decode(x) for x in v]
        if not isinstance(v, dict):
            raise self.fail(f"malformed data.json: unexpected value {v!r:.60}")
        kind = v.get("type")
        if kind in ("tuple", "set", "frozenset", "Size"):
            items = [self.decode(x) for x in _expect(v.get("items"), list, kind, self)]
            if kind in ("set", "frozenset"):
                for x in items:
                    self._hashable(x, f"{kind} item")
            if kind == "Size" and not all(type(x) is int and x in _INT64 for x in items):
                raise self.fail(f"malformed data.json: bad Size {items!r:.60}")
            return {"tuple": tuple, "set": set, "frozenset": frozenset, "Size": Size}[kind](items)
        if kind in ("dict", "OrderedDict", "Counter"):
            out = {"dict": dict, "OrderedDict": collections.OrderedDict,
                   "Counter": collections.Counter}[kind]()
            for pair in _expect(v.get("items"), list, kind, self):
                if not isinstance(pair, list) or len(pair) != 2:
                    raise self.fail(f"malformed data.json: a {kind} item is not a [key, value] pair")
                key = self._hashable(self.decode(pair[0]), f"{kind} key")
                out[key] = self.decode(pair[1])
            if "metadata" in v:
                out._metadata = self._metadata(kind, v["metadata"])
            return out
        if kind == "array":
            return self.array(v.get("index"))
        if kind == "float":
            value = v.get("value")
            if value not in ("inf", "-inf", "nan"):
                raise self.fail(f"malformed data.json: bad float {value!r:.40}")
            return float(value)
        if kind == "complex":
            re, im = self.decode(v.get("real")), self.decode(v.get("imag"))
            if not (type(re) is float and type(im) is float):  # what save writes
                raise self.fail("malformed data.json: bad complex number")
            return complex(re, im)
        try:
            if kind == "bytes":
                return bytes.fromhex(_expect(v.get("hex"), str, "bytes", self))
            if kind == "dtype":
                return _dtype.as_dtype(_expect(v.get("name"), str, "dtype", self))
            if kind == "device":
                return self._saved_device(v.get("name"))
        except (ValueError, TypeError, RuntimeError) as e:
            if isinstance(e, CheckpointError):
                raise
            raise self.fail(f"malformed data.json: bad {kind}: {e}") from None
        if kind == "pickled":
            return self.pickled(v.get("index"))
        raise self.fail(f"malformed data.json: unknown value type {kind!r:.40}")

    def _hashable(self, value, what: str):
        try:
            hash(value)
        except TypeError:
            raise self.fail(f"malformed data.json: unhashable {what}") from None
        return value

    def _metadata(self, kind: str, raw):
        """A Module state_dict's _metadata: {module prefix: {name: value}}, on an OrderedDict."""
        meta = self.decode(raw)
        if kind != "OrderedDict" or not isinstance(meta, dict) or \
                not all(type(k) is str and isinstance(m, dict) for k, m in meta.items()):
            raise self.fail(f"malformed data.json: bad {kind} metadata")
        return meta

    def _saved_device(self, name) -> _device.device:
        """A device written by save: its canonical name, with an index that fits CUDA's int."""
        name = _expect(name, str, "device", self)
        try:
            dev = _device.device(name)
        except (RuntimeError, ValueError, TypeError):
            dev = None
        if dev is None or str(dev) != name or (dev.index or 0) >= 2 ** 31:
            raise self.fail(f"malformed data.json: bad device {name!r:.40}")
        return dev

    # pickled objects
    def pickled(self, index):
        if self._unpickled is None:
            try:
                raw = self.zf.read("pickle")
            except KeyError:
                raise self.fail("data.json refers to a pickle member that is missing") from None
            except _ZIP_ERRORS as e:
                raise self.fail(f"the pickle member is corrupted: {type(e).__name__}: {e}") \
                    from None
            if self.weights_only:
                _refuse_extension_codes(raw, self.name)
                unpickler = _WeightsOnlyUnpickler(io.BytesIO(raw), self.name,
                                                  **self.pickle_load_args)
            else:
                unpickler = self.pickle_module.Unpickler(io.BytesIO(raw), **self.pickle_load_args)
            unpickler.persistent_load = self._persistent_load
            try:
                self._unpickled = unpickler.load()
            except (CheckpointError, pickle.UnpicklingError):
                raise
            except Exception as e:
                if not self.weights_only:
                    raise
                # an allowlisted callable refused its arguments, or the opcodes are malformed
                raise pickle.UnpicklingError(f"Weights only load failed: {self.name}: "
                                             f"{type(e).__name__}: {e}") from e
            if not isinstance(self._unpickled, list):
                raise self.fail("the pickle member does not hold a list")
        if not isinstance(index, int) or not 0 <= index < len(self._unpickled):
            raise self.fail(f"malformed data.json: pickled object index {index!r:.20} out of range")
        return self._unpickled[index]

    def _persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) == 2 and pid[0] == "array"):
            raise pickle.UnpicklingError(f"unsupported persistent id {pid!r:.60}")
        return self.array(pid[1])

    # arrays
    def array(self, index):
        if not isinstance(index, int) or isinstance(index, bool) or \
                not 0 <= index < len(self.arrays):
            raise self.fail(f"malformed data.json: array index {index!r:.20} out of range")
        if index not in self._loaded:
            self._loaded[index] = self._build(self.arrays[index])
        return self._loaded[index]

    def _build(self, entry):
        if not isinstance(entry, dict):
            raise self.fail("malformed data.json: an arrays entry is not an object")
        kind = entry.get("kind")
        dt_name = _expect(entry.get("dtype"), str, "dtype", self)
        shape = _expect(entry.get("shape"), list, "shape", self)
        if len(shape) > _MAX_NDIM or not all(type(s) is int and s >= 0 for s in shape):
            raise self.fail(f"malformed data.json: bad shape {shape!r:.80}")
        if kind in ("tensor", "parameter"):
            try:
                dt = _dtype.as_dtype(dt_name)
            except TypeError:
                raise self.fail(f"unknown tensor dtype {dt_name!r:.40}") from None
            storage = _BF16_STORAGE if dt is _dtype.bfloat16 else dt.np.newbyteorder("<")
        elif kind in ("ndarray", "numpy_scalar"):
            try:
                storage = np.dtype(dt_name)
            except TypeError:
                raise self.fail(f"unknown numpy dtype {dt_name!r:.40}") from None
            if storage.kind not in _NDARRAY_KINDS or storage.fields is not None or \
                    storage.itemsize == 0:
                raise self.fail(f"unsupported numpy dtype {dt_name!r:.40}")
        else:
            raise self.fail(f"malformed data.json: unknown array kind {kind!r:.40}")
        # numpy refuses, even for 0 elements, a shape whose nonzero extents overflow its sizes
        if math.prod(max(s, 1) for s in shape) * storage.itemsize > np.iinfo(np.intp).max:
            raise self.fail(f"malformed data.json: shape {shape!r:.80} is too large for an array")
        arr = self._read_npy(_expect(entry.get("file"), str, "file", self), storage, tuple(shape))
        if kind == "ndarray":
            return arr
        if kind == "numpy_scalar":
            if arr.ndim != 0:
                raise self.fail("malformed data.json: a numpy scalar with a non-empty shape")
            return arr[()]
        if dt is _dtype.bfloat16:
            arr = arr.view(ml_dtypes.bfloat16)
        return self._tensor(arr, entry, kind, dt)

    def _tensor(self, arr, entry, kind, dt):
        saved_dev = self._saved_device(entry.get("device"))
        requires_grad = entry.get("requires_grad", False)
        if not isinstance(requires_grad, bool) or (requires_grad and dt.category < 2):
            raise self.fail(f"bad requires_grad {requires_grad!r:.20} for dtype {dt.name}")
        t = Tensor._make(arr)
        ml = self.map_location
        if callable(ml) and not isinstance(ml, (str, _device.device)):
            mapped = ml(t, str(saved_dev))
            if mapped is not None and not isinstance(mapped, Tensor):
                raise TypeError(f"dpt.load: map_location returned {type(mapped).__name__}; "
                                "expected a Tensor or None")
            t = mapped if mapped is not None else _restore(t, saved_dev)
        else:
            if ml is None:
                target = saved_dev
            elif isinstance(ml, dict):
                target = ml.get(str(saved_dev), saved_dev)
            else:
                target = ml
            t = _restore(t, _device.device(target))
        if kind == "parameter":
            param = _parameter_class()
            if param is None:
                from .nn.parameter import Parameter as param
            return param(t, requires_grad)
        if requires_grad:
            t.requires_grad_(True)
        return t

    def _read_npy(self, member: str, storage: np.dtype, shape: tuple):
        try:
            info = self.zf.getinfo(member)
        except KeyError:
            raise self.fail(f"array member {member!r:.60} is missing") from None
        if info.compress_type != zipfile.ZIP_STORED:
            raise self.fail(f"array member {member} is compressed; dpt checkpoints store arrays "
                            "uncompressed")
        if info.file_size > self.archive_size or info.compress_size != info.file_size:
            raise self.fail(f"array member {member} declares {info.file_size} bytes "
                            f"({info.compress_size} stored) in a file of {self.archive_size} bytes")
        nbytes = math.prod(shape) * storage.itemsize
        try:
            with self.zf.open(info) as fh:
                try:
                    version = np.lib.format.read_magic(fh)
                    if version == (1, 0):
                        header = np.lib.format.read_array_header_1_0(fh)
                    elif version == (2, 0):
                        header = np.lib.format.read_array_header_2_0(fh, max_header_size=1 << 20)
                    else:
                        raise ValueError(f"unsupported .npy format version {version}")
                except (ValueError, EOFError, SyntaxError) as e:
                    raise self.fail(f"array member {member} has a bad .npy header: {e}") from None
                h_shape, fortran, h_dtype = header
                if tuple(h_shape) != shape or h_dtype != storage:
                    raise self.fail(f"array member {member}: its .npy header says shape "
                                    f"{tuple(h_shape)} dtype {h_dtype.str}, data.json says shape "
                                    f"{shape} dtype {storage.str}")
                header_len = fh.tell()
                if info.file_size != header_len + nbytes:
                    raise self.fail(f"array member {member} holds {info.file_size - header_len} "
                                    f"bytes of data; shape {shape} of dtype {storage.str} needs "
                                    f"{nbytes}")
                if nbytes > self._budget:
                    raise self.fail(f"array member {member}: the arrays add up to more bytes than "
                                    "the file holds (duplicated or overlapping members)")
                self._budget -= nbytes
                buf = bytearray(nbytes)
                got = fh.readinto(buf) if nbytes else 0
                if got != nbytes:
                    raise self.fail(f"array member {member} is truncated: {got} of {nbytes} bytes")
        except CheckpointError:
            raise
        except _ZIP_ERRORS as e:
            raise self.fail(f"array member {member} is corrupted: {type(e).__name__}: {e}") \
                from None
        arr = np.frombuffer(buf, dtype=storage)
        return arr.reshape(shape, order="F" if fortran else "C")


def _expect(value, typ, what: str, reader: _Reader):
    if not isinstance(value, typ) or isinstance(value, bool) and typ is not bool:
        raise reader.fail(f"malformed data.json: {what!r} is {type(value).__name__}, "
                          f"expected {typ.__name__}")
    return value


def _restore(t: Tensor, dev: _device.device) -> Tensor:
    if dev.type == "cuda" and not _device.gpu_available():
        raise RuntimeError("Attempting to deserialize object on a CUDA device but "
                           "dpt.cuda.is_available() is False. If you are running on a CPU-only "
                           "machine, please use dpt.load with map_location=dpt.device('cpu') to "
                           "map your storages to the CPU.")
    if dev.type == "cpu":
        return t
    return Tensor._make(_device.move(t._data, _device.as_device(dev)))


def load(f, map_location=None, pickle_module=None, *, weights_only: bool | None = None,
         mmap: bool | None = None, **pickle_load_args) -> Any:
    """load(f, map_location=None, pickle_module=None, *, weights_only=True, mmap=None, ...).

    f is a path or a readable binary file object holding a dpt.save checkpoint.
    map_location moves tensors: a device or string (everything there), a dict from saved
    location to new location (``{'cuda:1': 'cuda:0'}``), or ``fn(tensor, location)``.
    With the default ``weights_only=True`` nothing is unpickled: a checkpoint whose
    ``pickle`` member is needed raises ``pickle.UnpicklingError`` telling you to pass
    ``weights_only=False`` (only for files you trust). A malformed file raises
    :class:`CheckpointError`.
    """
    if weights_only is None:
        weights_only = pickle_module is None
    if weights_only and pickle_module is not None:
        raise RuntimeError("Can not safely load weights when explicit pickle_module is specified")
    if isinstance(map_location, dict):
        map_location = {str(_device.device(k)): _device.device(v)
                        for k, v in map_location.items()}
    elif isinstance(map_location, (str, _device.device)):
        map_location = _device.device(map_location)
    name = _source_name(f)
    if isinstance(f, (str, os.PathLike)):
        with open(f, "rb") as fh:
            return _load(fh, name, map_location, pickle_module or pickle, weights_only,
                         pickle_load_args)
    if isinstance(f, io.TextIOBase):
        raise TypeError("dpt.load: f must be a path or a binary file object, got a text stream")
    if not (hasattr(f, "seekable") and f.seekable()):
        f = io.BytesIO(f.read())
    return _load(f, name, map_location, pickle_module or pickle, weights_only, pickle_load_args)


def _load(fh: IO[bytes], name, map_location, pickle_module, weights_only, pickle_load_args):
    start = fh.tell()
    magic = fh.read(4)
    size = fh.seek(0, io.SEEK_END) - start
    fh.seek(start)
    if magic != _ZIP_MAGIC:
        hint = " (an empty file)" if not magic else \
            " (it looks like a pickle, e.g. a legacy torch file)" if magic[:1] == b"\x80" else ""
        raise CheckpointError(f"dpt.load: {name}: not a dpt checkpoint: wrong magic {magic!r}, "
                              f"expected a zip archive starting with {_ZIP_MAGIC!r}{hint}")
    try:
        zf = zipfile.ZipFile(fh, "r")
    except _ZIP_ERRORS as e:
        raise CheckpointError(f"dpt.load: {name}: unreadable zip archive (truncated or "
                              f"corrupted): {e}") from None
    with zf:
        try:
            info = zf.getinfo("data.json")
        except KeyError:
            raise CheckpointError(f"dpt.load: {name}: not a dpt checkpoint: the archive has no "
                                  "data.json member") from None
        if info.compress_type != zipfile.ZIP_STORED or info.file_size > size:
            raise CheckpointError(f"dpt.load: {name}: data.json is compressed or larger than "
                                  "the file")
        try:
            meta = json.loads(zf.read(info).decode("utf-8"))
        except _ZIP_ERRORS as e:  # also JSON's ValueError and RecursionError
            raise CheckpointError(f"dpt.load: {name}: data.json is corrupted: "
                                  f"{type(e).__name__}: {e}") from None
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            raise CheckpointError(f"dpt.load: {name}: not a dpt checkpoint: data.json has no "
                                  f"'format': '{FORMAT}' field")
        if meta.get("version") != VERSION:
            raise CheckpointError(f"dpt.load: {name}: unsupported checkpoint format version "
                                  f"{meta.get('version')!r:.20}; this dpt reads version {VERSION}")
        reader = _Reader(zf, meta, name, size, map_location, weights_only, pickle_module,
                         pickle_load_args)
        if "root" not in meta:
            raise reader.fail("malformed data.json: no 'root'")
        if weights_only and reader.pickled_names:
            # refuse before touching anything when the file says it holds a class nobody
            # allowlisted (the restricted unpickler checks everything nested as well)
            allowed = _allowed_globals()
            unsafe = [n for n in reader.pickled_names if n not in allowed]
            if unsafe:
                raise pickle.UnpicklingError(_UNSAFE_MSG.format(name=name,
                                                                types=", ".join(unsafe)))
        try:
            return reader.decode(meta["root"])
        except RecursionError:
            raise reader.fail("data.json is nested too deeply") from None
