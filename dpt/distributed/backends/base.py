"""The transport seam: what a transport implements, and the registry that finds one by name.

A transport moves the raw arrays (CPU or GPU) of one process group's
collectives. The generic code (collectives.py) has already checked the
arguments, numbered the call, checked that every rank makes the same call and
made a ``Work``; the transport only launches the operation and registers with
that Work how to tell when it is done (``work.add_request`` for an MPI request,
``work.add_test`` for anything else), what to do afterwards (``work.then``:
write-backs, AVG scaling) and which buffers must live until then
(``work.keep``). Nothing may block: the Work is polled under the group's
timeout.

A new transport is one file::

    @register_transport("mine")
    class MyTransport(Transport):
        devices = frozenset({"cpu"})
        ...                              # every abstract method below

after which ``init_process_group("mine")`` or ``new_group(backend="mine")``
uses it. ``mpi`` and ``nccl`` are found here by name and imported on first use.
"""
from __future__ import annotations

import abc
import importlib

import numpy as np

from ..._device import xp_of
from ..reduce_op import BITWISE, ReduceOp

__all__ = ["Backend", "Transport", "register_transport", "transport_class", "average"]

# Transports that ship with dpt, imported the first time they are named.
_BUILTIN = ("mpi", "nccl")
_ALIASES = {"gloo": "mpi"}
_registry: dict = {}


class Backend(str):
    """Backend names, as torch.distributed.Backend: ``Backend('MPI') == 'mpi'``.

    ``gloo`` is accepted as a synonym of ``mpi`` so that CPU scripts written for
    torch run unchanged; a registered transport's name is valid too.
    """

    UNDEFINED = "undefined"
    MPI = "mpi"
    NCCL = "nccl"
    GLOO = "gloo"
    backend_list = ["mpi", "nccl", "gloo"]

    def __new__(cls, name: str):
        if not isinstance(name, str):
            raise ValueError(f"Backend constructor parameter must be string-ish, got {name!r}")
        value = name.lower()
        if value not in cls.backend_list and ":" not in value:
            raise ValueError(f"Invalid backend: '{name}' (dpt.distributed has "
                             f"{', '.join(cls.backend_list)})")
        return str.__new__(cls, value)


class Transport(abc.ABC):
    """One process group's mover of arrays on the devices in ``devices``.

    Arrays are raw CPU or GPU arrays, possibly non-contiguous; results are
    written into them in place by the time the Work completes. ``root``,
    ``peer`` and the row counts are ranks within the group (``self.pg``).
    Subclasses set ``name`` and ``devices`` and may narrow ``reduce_ops``.
    """

    name: str = ""
    devices: frozenset = frozenset()          # device types it moves: 'cpu', 'cuda'
    reduce_ops: frozenset = frozenset({ReduceOp.SUM, ReduceOp.AVG, ReduceOp.PRODUCT,
                                       ReduceOp.MIN, ReduceOp.MAX, ReduceOp.BAND,
                                       ReduceOp.BOR, ReduceOp.BXOR})
    requires = ""                             # what is missing when is_available() is False
    # True when a collective may be launched before the check that every rank makes the same
    # call has completed (dpt.distributed.fingerprint): a mismatched launch must fail or finish
    # without writing past the buffers, and may not hang the device.
    speculative_check = False

    def __init__(self, pg):
        self.pg = pg

    @classmethod
    def is_available(cls) -> bool:
        """Can this process use the transport at all (libraries, devices)?"""
        return True

    def close(self) -> None:
        """Release communicators and streams (the group is being destroyed)."""

    def check_reduce(self, op, dtype: np.dtype):
        """Reject, before anything is sent, a reduction this transport cannot do on dtype
        (as torch does); returns op."""
        if op not in self.reduce_ops:
            raise RuntimeError(f"ReduceOp.{op.name} is not supported by the {self.name} backend")
        if op in BITWISE and dtype.kind not in "biu":
            raise RuntimeError(f"Cannot use ReduceOp.{op.name} with non-integral dtype {dtype}")
        if op in (ReduceOp.MIN, ReduceOp.MAX) and dtype.kind == "c":
            raise RuntimeError(f"Cannot use ReduceOp.{op.name} with complex inputs")
        return op

    # -- collectives --------------------------------------------------------------------------
    @abc.abstractmethod
    def all_reduce(self, work, arr, op) -> None:
        """Reduce arr over the group in place (AVG: the sum divided by the group size)."""

    @abc.abstractmethod
    def broadcast(self, work, arr, root: int) -> None:
        """Copy root's arr into every rank's arr (raw bytes: any dtype)."""

    @abc.abstractmethod
    def reduce(self, work, arr, op, root: int) -> None:
        """Reduce arr over the group into root's arr; the others' arr are left unchanged."""

    @abc.abstractmethod
    def all_gather(self, work, out, inp) -> None:
        """out holds size * inp, rank-major: block r is rank r's inp."""

    @abc.abstractmethod
    def reduce_scatter(self, work, out, inp, op) -> None:
        """inp holds size * out, rank-major; rank r gets the reduction of block r."""

    @abc.abstractmethod
    def gather(self, work, out, inp, root: int) -> None:
        """On root, out holds size * inp, rank-major; out is None elsewhere."""

    @abc.abstractmethod
    def scatter(self, work, out, inp, root: int) -> None:
        """root's inp holds size * out, rank-major; rank r gets block r. inp is None
        elsewhere."""

    @abc.abstractmethod
    def all_to_all(self, work, out, inp, out_rows, in_rows) -> None:
        """Rows along dim 0: block r of inp goes to rank r, block r of out comes from rank r;
        out_rows/in_rows give the block sizes (None: equal blocks)."""

    @abc.abstractmethod
    def barrier(self, work) -> None:
        """Complete once every rank of the group has called it."""

    # -- point to point -----------------------------------------------------------------------
    @abc.abstractmethod
    def send(self, work, arr, peer: int, tag: int) -> None:
        """Send arr to peer."""

    @abc.abstractmethod
    def recv(self, work, arr, peer, tag: int) -> None:
        """Receive into arr from peer (None: any source); set ``work.source_rank`` to the
        sender's group rank, or pass an MPI status to ``work.add_request``."""


def register_transport(name: str):
    """Class decorator: make a Transport subclass available under name."""
    def register(cls):
        if not (isinstance(cls, type) and issubclass(cls, Transport)):
            raise TypeError(f"register_transport({name!r}): {cls!r} is not a Transport")
        cls.name = name
        _registry[name] = cls
        if name not in Backend.backend_list:
            Backend.backend_list.append(name)
        return cls
    return register


def transport_class(name: str) -> type:
    """The Transport registered under name (or its alias, e.g. 'gloo' -> 'mpi')."""
    name = _ALIASES.get(name, name)
    cls = _registry.get(name)
    if cls is None and name in _BUILTIN:
        importlib.import_module(f"{__package__}.{name}")  # registers itself
        cls = _registry.get(name)
    if cls is None:
        raise ValueError(f"Invalid backend: '{name}' (dpt.distributed has "
                         f"{', '.join(Backend.backend_list)})")
    return cls


# -- helpers every transport may use ---------------------------------------------------------
def average(arr, n: int) -> None:
    """arr / n in place; integers round toward zero (as NCCL's average does)."""
    if arr.dtype.kind in "iu":
        xp = np if isinstance(arr, np.ndarray) else xp_of(arr)
        arr[...] = xp.sign(arr) * (xp.abs(arr) // n)
    elif arr.dtype != np.bool_:
        arr /= n
