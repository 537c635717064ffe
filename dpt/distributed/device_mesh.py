"""DeviceMesh: ranks laid out as an n-d array, with one process group per line of each dimension
(torch.distributed.device_mesh).

For a (2, 4) mesh named ("dp", "tp") over 8 ranks, ``mesh.get_group("tp")`` is the group of
the 4 ranks in this rank's row and ``mesh.get_group("dp")`` the 2 ranks in its column.
Building a mesh is collective (every rank of the world calls it, as in torch: the groups are
made with new_group); slicing (``mesh["tp"]``) reuses those groups and is local. Differences
from torch: no flatten/unflatten, no ``from_group``, and a 'cuda' mesh does not pick this
process's GPU (call ``dpt.cuda.set_device(dist.get_local_rank())`` first).
"""
from __future__ import annotations

import numpy as np

from .process_group import GroupMember, get_rank, get_world_size, init_process_group, is_initialized, new_group

__all__ = ["DeviceMesh", "init_device_mesh"]


class DeviceMesh:
    """DeviceMesh(device_type, mesh, *, mesh_dim_names=None, backend_override=None).

    ``mesh`` is an array-like of distinct global ranks; its shape is the mesh's shape.
    Initializes the default process group when there is none."""

    def __init__(self, device_type: str, mesh, *, mesh_dim_names=None, backend_override=None,
                 _init_backend: bool = True, _groups=None):
        self._device_type = _check_device_type(device_type)
        ranks = np.array(mesh.tolist() if hasattr(mesh, "tolist") else mesh, dtype=np.int64)
        if ranks.ndim == 0:
            raise ValueError("DeviceMesh: mesh must have at least one dimension")
        if len(np.unique(ranks)) != ranks.size:
            raise ValueError(f"DeviceMesh: mesh {ranks.tolist()} repeats a rank")
        self._ranks = ranks
        self._mesh_dim_names = tuple(mesh_dim_names) if mesh_dim_names else None
        if self._mesh_dim_names is not None and len(self._mesh_dim_names) != ranks.ndim:
            raise RuntimeError(f"DeviceMesh: {len(self._mesh_dim_names)} mesh_dim_names for a "
                               f"{ranks.ndim}-d mesh")
        if _groups is not None:  # a slice of another mesh: its groups, nothing collective
            self._groups = _groups
            return
        if not is_initialized():
            init_process_group()
        world = get_world_size()
        if ranks.size > world:
            raise RuntimeError(f"Mesh should not be bigger than default world size {world}, but "
                               f"found {ranks.size} ranks!")
        if ranks.min() < 0 or ranks.max() >= world:
            raise ValueError(f"DeviceMesh: mesh {ranks.tolist()} has ranks outside the world of "
                             f"{world}")
        backends = _backends(backend_override, ranks.ndim, self._mesh_dim_names)
        self._groups = [self._make_groups(d, backends[d]) if _init_backend else None
                        for d in range(ranks.ndim)]

    def _make_groups(self, dim: int, backend):
        """The group of this rank's line along dim: every rank calls new_group for every line,
        in the same order, as new_group requires. A rank outside the mesh gets
        NON_GROUP_MEMBER, as from new_group."""
        lines = np.moveaxis(self._ranks, dim, -1).reshape(-1, self._ranks.shape[dim])
        me, mine = get_rank(), GroupMember.NON_GROUP_MEMBER
        for line in lines:
            g = new_group(line.tolist(), backend=backend)
            if me in line:
                mine = g
        return mine

    # -- shape ------------------------------------------------------------------------------
    @property
    def device_type(self) -> str:
        return self._device_type

    @property
    def mesh(self):
        """The global ranks as an int32 tensor of the mesh's shape."""
        from .._tensor import Tensor
        return Tensor._make(self._ranks.astype(np.int32))

    @property
    def mesh_dim_names(self):
        return self._mesh_dim_names

    @property
    def ndim(self) -> int:
        return self._ranks.ndim

    @property
    def shape(self) -> tuple:
        return tuple(self._ranks.shape)

    def size(self, mesh_dim: int | None = None) -> int:
        return self._ranks.size if mesh_dim is None else self._ranks.shape[mesh_dim]

    # -- ranks and groups ------------------------------------------------------------------------
    def get_rank(self) -> int:
        """This process's global rank."""
        return get_rank()

    def get_coordinate(self):
        """This rank's index in the mesh, or None when it is not in the mesh."""
        where = np.argwhere(self._ranks == get_rank())
        return tuple(int(i) for i in where[0]) if len(where) else None

    def _dim(self, mesh_dim) -> int:
        if isinstance(mesh_dim, str):
            if not self._mesh_dim_names:
                raise KeyError("No `mesh_dim_names` found.")
            if mesh_dim not in self._mesh_dim_names:
                raise KeyError(f"Mesh dimension '{mesh_dim}' does not exist. Available mesh "
                               f"dimensions are: mesh_dim_names={self._mesh_dim_names}")
            return self._mesh_dim_names.index(mesh_dim)
        if not -self.ndim <= mesh_dim < self.ndim:
            raise IndexError(f"DeviceMesh: mesh_dim {mesh_dim} is out of range for a "
                             f"{self.ndim}-d mesh")
        return mesh_dim % self.ndim

    def _need_dim(self, mesh_dim, what: str):
        if mesh_dim is None:
            if self.ndim > 1:
                raise RuntimeError(f"Found the DeviceMesh have {self.ndim} dimensions: optional "
                                   f"kwarg `mesh_dim` needs to be specified when "
                                   f"device_mesh.ndim > 1 ({what})")
            return 0
        return self._dim(mesh_dim)

    def get_group(self, mesh_dim: int | str | None = None):
        """The process group of this rank's line along mesh_dim (optional for a 1-d mesh)."""
        dim = self._need_dim(mesh_dim, "use get_all_groups() for every group")
        group = self._groups[dim]
        if group is None:
            raise RuntimeError("DeviceMesh process groups not initialized!")
        return group

    def get_all_groups(self) -> list:
        return [self.get_group(d) for d in range(self.ndim)]

    def get_local_rank(self, mesh_dim: int | str | None = None) -> int:
        """This rank's rank within its group along mesh_dim."""
        return get_rank(self.get_group(self._need_dim(mesh_dim, "get_local_rank")))

    def __getitem__(self, mesh_dim_names) -> "DeviceMesh":
        """The sub-mesh of the named dimensions (in the mesh's order) through this rank."""
        if not self._mesh_dim_names:
            raise RuntimeError("Cannot slice a DeviceMesh without mesh_dim_names!")
        names = (mesh_dim_names,) if isinstance(mesh_dim_names, str) else tuple(mesh_dim_names)
        if names == self._mesh_dim_names:
            return self
        if not names or any(n not in self._mesh_dim_names for n in names):
            raise KeyError(f"Invalid mesh_dim_names {names} specified. Valid mesh_dim_names "
                           f"are {list(self._mesh_dim_names)}.")
        dims = [self._mesh_dim_names.index(n) for n in names]
        if dims != sorted(set(dims)):
            raise KeyError(f"Invalid mesh_dim_names {names} specified. Mesh dim indices should "
                           "be in ascending order.")
        coord = self.get_coordinate()
        if coord is None:
            raise RuntimeError(f"DeviceMesh: rank {get_rank()} is not in this mesh, so it has no "
                               f"sub-mesh {names}")
        index = tuple(slice(None) if d in dims else coord[d] for d in range(self.ndim))
        return DeviceMesh(self._device_type, self._ranks[index], mesh_dim_names=names,
                          _groups=[self._groups[d] for d in dims])

    # -- identity ----------------------------------------------------------------------------
    def __enter__(self) -> "DeviceMesh":
        _active.append(self)
        return self

    def __exit__(self, *exc) -> None:
        _active.pop()

    def _key(self):
        return (self._device_type, self.shape, tuple(self._ranks.ravel().tolist()),
                self._mesh_dim_names)

    def __eq__(self, other) -> bool:
        return isinstance(other, DeviceMesh) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        names = f", mesh_dim_names={self._mesh_dim_names}" if self._mesh_dim_names else ""
        return f"DeviceMesh('{self._device_type}', {self._ranks.tolist()}{names})"


_active: list = []  # meshes entered with `with mesh:`


def _check_device_type(device_type) -> str:
    if not isinstance(device_type, str) or not device_type.isalpha():
        raise RuntimeError(f"Device type with index is not supported but got {device_type}: "
                           "pass the device's type, e.g. 'cuda' or 'cpu'")
    if device_type not in ("cpu", "cuda"):
        raise RuntimeError(f"DeviceMesh: device_type must be 'cpu' or 'cuda', got "
                           f"{device_type!r}")
    return device_type


def _backends(override, ndim: int, names) -> list:
    """Per-dimension backend names from backend_override ({dim index or name: backend})."""
    out = [None] * ndim
    items = override.items() if isinstance(override, dict) else enumerate(override or ())
    for key, backend in items:
        if isinstance(key, str):
            if not names or key not in names:
                raise RuntimeError(f"Found invalid key {key!r} in backend_override: no mesh "
                                   f"dimension has that name")
            key = names.index(key)
        if not -ndim <= key < ndim:
            raise RuntimeError(f"Found invalid key {key} in backend_override for a {ndim}-d mesh")
        if isinstance(backend, tuple):
            backend = backend[0]
        if backend is not None and not isinstance(backend, str):
            raise TypeError("backend_override: dpt takes a backend name per dimension, not "
                            f"backend options ({type(backend).__name__})")
        out[key % ndim] = backend
    return out


def init_device_mesh(device_type: str, mesh_shape, *, mesh_dim_names=None,
                     backend_override=None) -> DeviceMesh:
    """init_device_mesh(device_type, mesh_shape, *, mesh_dim_names=None, backend_override=None):
    a mesh of ranks 0 .. prod(mesh_shape)-1 in row-major order. Collective: every rank calls it
    with the same arguments."""
    mesh_shape = tuple(int(s) for s in mesh_shape)
    if mesh_dim_names is not None:
        if len(set(mesh_dim_names)) != len(mesh_dim_names):
            raise RuntimeError("Each mesh_dim_name must be unique. Found repeated mesh_dim_name "
                               f"in mesh_dim_names {tuple(mesh_dim_names)}")
        if len(mesh_shape) != len(mesh_dim_names):
            raise RuntimeError("mesh_shape and mesh_dim_names should have same length! Found "
                               f"len(mesh_dim_names): {len(mesh_dim_names)} and "
                               f"len(mesh_shape):{len(mesh_shape)}.")
    _check_device_type(device_type)
    if any(s <= 0 for s in mesh_shape):
        raise ValueError(f"init_device_mesh: mesh_shape {mesh_shape} must be positive")
    ranks = np.arange(int(np.prod(mesh_shape)) if mesh_shape else 1).reshape(mesh_shape)
    return DeviceMesh(device_type, ranks, mesh_dim_names=mesh_dim_names,
                      backend_override=backend_override)
