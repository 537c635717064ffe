"""Transports, one file each, found by name (base.py declares the interface and the registry).
``mpi`` (mpi4py) moves every array and is the control plane; ``nccl`` (the GPU library's NCCL binding) moves GPU
arrays. A process group picks one per tensor device."""
from __future__ import annotations

from .base import Backend, Transport, average, register_transport, transport_class

__all__ = ["Backend", "Transport", "average", "register_transport", "transport_class",
           "is_mpi_available", "is_nccl_available", "parse_backend", "is_backend_available",
           "is_ucc_available", "is_xccl_available", "get_default_backend_for_device"]

_DEVICES = ("cpu", "cuda")


def is_mpi_available() -> bool:
    return transport_class("mpi").is_available()


def is_nccl_available() -> bool:
    """True when a GPU is visible and the GPU array library was built with NCCL."""
    return transport_class("nccl").is_available()


def is_ucc_available() -> bool:
    """False: dpt has no UCC transport."""
    return False


def is_xccl_available() -> bool:
    """False: dpt has no XCCL (Intel GPU) transport."""
    return False


def is_backend_available(backend: str) -> bool:
    """is_backend_available(backend) -> bool: True when every transport named in backend
    ('mpi', 'nccl', 'gloo', a registered name, or a 'cpu:mpi,cuda:nccl' table) can run here."""
    names = [part.partition(":")[2] or part for part in str(backend).lower().split(",")]
    for name in names:
        try:
            if not transport_class(name.strip()).is_available():
                return False
        except ValueError:
            return False
    return True


def get_default_backend_for_device(device) -> str:
    """get_default_backend_for_device(device) -> str: the transport dpt picks for tensors on
    device ('mpi' for cpu; 'nccl' for cuda where NCCL is available, else 'mpi')."""
    from ..._device import as_device

    kind = as_device(device).type
    if kind not in _DEVICES:
        raise ValueError(f"Default backend not registered for device : {device}")
    return _default_for(kind)


def _default_for(device: str) -> str:
    return "nccl" if device == "cuda" and is_nccl_available() else "mpi"


def parse_backend(backend) -> dict:
    """{device type: transport name} from None, 'mpi', 'nccl', 'gloo', another registered
    name, or a table such as 'cpu:mpi,cuda:nccl'."""
    if backend is None:
        return {dev: _default_for(dev) for dev in _DEVICES}
    spec = Backend(str(backend))
    if ":" in spec:
        table = {}
        for part in spec.split(","):
            dev, _, name = part.partition(":")
            dev, name = dev.strip(), transport_class(Backend(name.strip())).name
            if dev not in _DEVICES:
                raise ValueError(f"Invalid device type {dev!r} in backend string {backend!r}")
            if dev not in transport_class(name).devices:
                raise ValueError(f"the {name} backend cannot move {dev} tensors "
                                 f"(backend string {backend!r})")
            table[dev] = name
        for dev in _DEVICES:
            table.setdefault(dev, "mpi")
    else:
        cls = transport_class(spec)
        # What the named transport cannot move goes over MPI (the control plane is always there).
        table = {dev: cls.name if dev in cls.devices else "mpi" for dev in _DEVICES}
    for name in set(table.values()):
        cls = transport_class(name)
        if not cls.is_available():
            raise RuntimeError(f"Distributed package doesn't have {name.upper()} built in: "
                               f"{cls.requires}")
    return table
