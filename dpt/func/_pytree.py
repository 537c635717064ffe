"""Pytrees for dpt.func: nested tuples, lists, dicts and namedtuples with arbitrary leaves.

A transform flattens its inputs and outputs to lists of leaves, works on the tensors among
them and rebuilds the same structure. ``None`` and every other unregistered object is a leaf,
as in torch.utils._pytree.
"""
from __future__ import annotations

from collections import OrderedDict


def _is_namedtuple(x) -> bool:
    return isinstance(x, tuple) and hasattr(type(x), "_fields")


class TreeSpec:
    """The structure of a pytree: a node type, its context (dict keys) and child specs."""

    __slots__ = ("type", "context", "children", "num_leaves")

    def __init__(self, type_=None, context=None, children=()):
        self.type, self.context, self.children = type_, context, list(children)
        self.num_leaves = 1 if type_ is None else sum(c.num_leaves for c in self.children)

    def is_leaf(self) -> bool:
        return self.type is None

    def __eq__(self, other):
        return (isinstance(other, TreeSpec) and self.type is other.type
                and self.context == other.context and self.children == other.children)

    def __repr__(self):
        if self.type is None:
            return "*"
        kids = ", ".join(repr(c) for c in self.children)
        return f"TreeSpec({self.type.__name__}, {self.context}, [{kids}])"


LEAF = TreeSpec()


def tree_flatten(tree):
    """(list of leaves in order, TreeSpec)."""
    leaves: list = []
    return leaves, _flatten(tree, leaves)


def _flatten(tree, leaves):
    if isinstance(tree, dict):  # dict, OrderedDict, defaultdict: keys in insertion order
        keys = list(tree)
        return TreeSpec(type(tree), keys, [_flatten(tree[k], leaves) for k in keys])
    if isinstance(tree, (tuple, list)):
        ctx = type(tree) if _is_namedtuple(tree) else None
        return TreeSpec(type(tree), ctx, [_flatten(v, leaves) for v in tree])
    leaves.append(tree)
    return LEAF


def tree_unflatten(leaves, spec: TreeSpec):
    """Rebuild the structure described by spec from the leaves (in flatten order)."""
    if len(leaves) != spec.num_leaves:
        raise ValueError(f"tree_unflatten: expected {spec.num_leaves} leaves, got {len(leaves)}")
    it = iter(leaves)
    return _unflatten(it, spec)


def _unflatten(it, spec):
    if spec.type is None:
        return next(it)
    kids = [_unflatten(it, c) for c in spec.children]
    if issubclass(spec.type, dict):
        d = OrderedDict() if spec.type is OrderedDict else {}
        d.update(zip(spec.context, kids))
        return d if spec.type in (dict, OrderedDict) else _remake_dict(spec.type, d)
    if spec.context is not None:  # namedtuple
        return spec.type(*kids)
    return spec.type(kids)


def _remake_dict(cls, d):
    try:
        out = cls.__new__(cls)
        dict.update(out, d)
        return out
    except TypeError:
        return d


def tree_map(fn, tree):
    leaves, spec = tree_flatten(tree)
    return tree_unflatten([fn(x) for x in leaves], spec)


def broadcast_to_and_flatten(prefix, spec: TreeSpec):
    """Flatten prefix against spec: a leaf of prefix stands for the whole subtree under it.
    None when prefix's structure is not a prefix of spec."""
    out: list = []
    return out if _broadcast(prefix, spec, out) else None


def _broadcast(prefix, spec, out) -> bool:
    if not isinstance(prefix, (tuple, list, dict)):
        out.extend([prefix] * spec.num_leaves)
        return True
    if type(prefix) is not spec.type:
        return False
    if isinstance(prefix, dict):
        if set(prefix) != set(spec.context):
            return False
        return all(_broadcast(prefix[k], c, out) for k, c in zip(spec.context, spec.children))
    if len(prefix) != len(spec.children):
        return False
    return all(_broadcast(p, c, out) for p, c in zip(prefix, spec.children))
