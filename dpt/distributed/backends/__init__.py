"""Transports. ``mpi`` (mpi4py) moves every array and is the control plane;
``nccl`` (cupy.cuda.nccl) moves GPU arrays. A process group picks one per tensor device."""
from __future__ import annotations


class Backend(str):
    """Backend names, as torch.distributed.Backend: ``Backend('MPI') == 'mpi'``.

    ``gloo`` is accepted as a synonym of ``mpi`` so that CPU scripts written for
    torch run unchanged.
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


def is_mpi_available() -> bool:
    try:
        from mpi4py import MPI  # noqa: F401
    except ImportError:
        return False
    return True


def is_nccl_available() -> bool:
    """True when cupy sees a GPU and was built with NCCL."""
    from ..._device import cupy_module

    cp = cupy_module()
    if cp is None:
        return False
    try:
        from cupy.cuda import nccl  # noqa: F401
    except Exception:
        return False
    return getattr(nccl, "available", True)


def parse_backend(backend) -> dict:
    """{device type: transport} from None, 'mpi', 'nccl', 'gloo' or 'cpu:mpi,cuda:nccl'."""
    if backend is None:
        return {"cpu": "mpi", "cuda": "nccl" if is_nccl_available() else "mpi"}
    spec = Backend(str(backend))
    if ":" in spec:
        table = {}
        for part in spec.split(","):
            dev, _, name = part.partition(":")
            dev, name = dev.strip(), Backend(name.strip())
            if dev not in ("cpu", "cuda"):
                raise ValueError(f"Invalid device type {dev!r} in backend string {backend!r}")
            table[dev] = "mpi" if name == "gloo" else str(name)
        table.setdefault("cpu", "mpi")
        table.setdefault("cuda", "mpi")
    elif spec == "nccl":
        # CPU tensors still travel over MPI (the control plane is always there).
        table = {"cpu": "mpi", "cuda": "nccl"}
    else:
        table = {"cpu": "mpi", "cuda": "mpi"}
    if "nccl" in table.values() and not is_nccl_available():
        raise RuntimeError("Distributed package doesn't have NCCL built in: the nccl backend "
                           "needs cupy with NCCL and a CUDA device")
    return table
