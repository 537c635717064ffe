"""vmap: map a function over a batch dimension of its inputs.

dpt has no batched tensors, so vmap runs func once per batch element, on the slices of the
mapped inputs along their in_dims, and stacks the results along out_dims. Every result equals
torch's; speed is that of a Python loop. Because func sees ordinary tensors, data-dependent
control flow (``if x.sum() > 0``, ``.item()``) works, where torch would refuse it, and so
does an in-place write of a mapped value into an unmapped tensor (torch refuses it; here each
element writes in turn, so the last one wins). A batch of size 0 calls func once on zeros
shaped like one element to learn the shapes of the (empty) results.

randomness (the default generators only; a func that draws from an explicit
``dpt.Generator`` is not policed):

- 'error': a random draw inside func raises, as in torch;
- 'different': each batch element draws its own numbers (not torch's numbers);
- 'same': every batch element sees the numbers the first one drew.
"""
from __future__ import annotations

import contextlib
import functools

from .. import random as _random
from .._tensor import Tensor
from ..ops.comparison import equal
from ..ops.shape_copies import stack
from ._pytree import broadcast_to_and_flatten, tree_flatten, tree_unflatten

__all__ = ["vmap"]


def _name(func) -> str:
    if hasattr(func, "__name__"):
        return func.__name__
    if isinstance(func, functools.partial):
        return f"functools.partial({_name(func.func)}, ...)"
    return repr(func)


# -- randomness -----------------------------------------------------------------------------
def _check_randomness_arg(randomness) -> None:
    if randomness not in ("error", "different", "same"):
        raise RuntimeError("Only allowed values for randomness are 'error', 'different', or "
                           f"'same'. Got {randomness}")


def _generators():
    return [_random.default_generator] + list(_random._cuda_generators.values())


class _RandomGuard:
    """Applies a randomness policy around each call of func on one batch element."""

    def __init__(self, randomness: str):
        self.randomness = randomness
        self.start = None

    @contextlib.contextmanager
    def sample(self):
        gens = _generators()
        if self.randomness == "same":
            if self.start is not None:
                for g, state in self.start:
                    g.set_state(state)
                yield
                return
            # the states before the first element, replayed for the others; a device's default
            # generator created by the first element's draw started from its seed
            self.start = [(g, g.get_state()) for g in gens]
            yield
            known = {id(g) for g in gens}
            fresh = [g for g in _generators() if id(g) not in known]
            self.start += [(g, _random.Generator(g.device).manual_seed(g.initial_seed()).get_state())
                           for g in fresh]
            return
        if self.randomness == "different":
            yield
            return
        before = [(g, bytes(g.get_state().numpy())) for g in gens]
        yield
        if any(bytes(g.get_state().numpy()) != s for g, s in before) or \
                len(_generators()) != len(gens):
            raise RuntimeError("vmap: called random operation while in randomness error mode. "
                               "Please either use the 'same' or 'different' randomness flags on "
                               "vmap or perform the randomness operation out of vmap")


# -- inputs ---------------------------------------------------------------------------------
def _flat_in_dims(func, in_dims, args):
    """(batch size, flat in_dims made non-negative, flat args, args spec), checked like torch."""
    name = _name(func)
    if not isinstance(in_dims, (int, tuple)):
        raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): expected `in_dims` to "
                         f"be int or a (potentially nested) tuple matching the structure of "
                         f"inputs, got: {type(in_dims)}.")
    if len(args) == 0:
        raise ValueError(f"vmap({name})(<inputs>): got no inputs. Maybe you forgot to add inputs, "
                         f"or you are trying to vmap over a function with no inputs. The latter "
                         f"is unsupported.")
    flat_args, spec = tree_flatten(args)
    flat_dims = broadcast_to_and_flatten(in_dims, spec)
    if flat_dims is None:
        raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): in_dims is not "
                         f"compatible with the structure of `inputs`. in_dims has structure "
                         f"{tree_flatten(in_dims)[1]} but inputs has structure {spec}.")
    for i, (arg, d) in enumerate(zip(flat_args, flat_dims)):
        if d is None:
            continue
        if not isinstance(d, int) or isinstance(d, bool):
            raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={d} for "
                             f"an input but in_dim must be either an integer dimension or None.")
        if not isinstance(arg, Tensor):
            raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={d} for "
                             f"an input but the input is of type {type(arg)}. We cannot vmap over "
                             f"non-Tensor arguments, please use None as the respective in_dim")
        nd = arg.dim()
        if not -nd <= d < nd:
            raise ValueError(f"vmap({name}, in_dims={in_dims}, ...)(<inputs>): Got in_dim={d} for "
                             f"some input, but that input is a Tensor of dimensionality {nd} so "
                             f"expected in_dim to satisfy -{nd} <= in_dim < {nd}.")
        flat_dims[i] = d % nd
    sizes = [a.shape[d] for a, d in zip(flat_args, flat_dims) if d is not None]
    if not sizes:
        raise ValueError("vmap: Expected at least one Tensor to vmap over")
    if any(s != sizes[0] for s in sizes):
        raise ValueError(f"vmap: Expected all tensors to have the same size in the mapped "
                         f"dimension, got sizes {sizes} for the mapped dimension")
    return sizes[0], flat_dims, flat_args, spec


def _element(flat_args, flat_dims, b):
    """The inputs of batch element b (for b None, zero stand-ins shaped like one element)."""
    out = []
    for a, d in zip(flat_args, flat_dims):
        if d is None:
            out.append(a)
        elif b is None:
            shape = tuple(a.shape[:d]) + tuple(a.shape[d + 1:])
            out.append(a.new_zeros(shape))
        else:
            out.append(a.select(d, b))
    return out


# -- outputs --------------------------------------------------------------------------------
def _check_out_dims(func, out_dims):
    for d in tree_flatten(out_dims)[0]:
        if d is not None and (not isinstance(d, int) or isinstance(d, bool)):
            raise ValueError(f"vmap({_name(func)}, ..., out_dims={out_dims}): `out_dims` must be "
                             f"an int, None or a python collection of ints representing where in "
                             f"the outputs the vmapped dimension should appear.")


def _flat_out_dims(func, out_dims, first):
    flat, spec = tree_flatten(first)
    if isinstance(first, Tensor):
        if isinstance(out_dims, int) or out_dims is None:
            return [out_dims], spec
        if isinstance(out_dims, tuple) and len(out_dims) == 1:
            return list(out_dims), spec
        dims = None
    else:
        dims = broadcast_to_and_flatten(out_dims, spec)
    if dims is None:
        raise ValueError(f"vmap({_name(func)}, ..., out_dims={out_dims})(<inputs>): out_dims is "
                         f"not compatible with the structure of `outputs`. out_dims has structure "
                         f"{tree_flatten(out_dims)[1]} but outputs has structure {spec}.")
    return dims, spec


def _combine(func, results, out_dims, empty: bool):
    """Stack the per-element results (pytrees of one structure) along their out_dims."""
    name = _name(func)
    dims, spec = _flat_out_dims(func, out_dims, results[0])
    flats = []
    for r in results:
        flat, s = tree_flatten(r)
        if s != spec:
            raise ValueError(f"vmap({name}, ...): `{name}` returned outputs of different "
                             f"structures for different batch elements ({spec} and {s})")
        flats.append(flat)
    out = []
    for j, d in enumerate(dims):
        leaves = [f[j] for f in flats]
        if d is None:
            first = leaves[0]
            if isinstance(first, Tensor) and not all(
                    isinstance(x, Tensor) and x.shape == first.shape and equal(x, first)
                    for x in leaves[1:]):
                raise ValueError(f"vmap({name}, ...): `{name}` can not return a BatchedTensor "
                                 f"when out_dim is None")
            out.append(first)
            continue
        if not isinstance(leaves[0], Tensor):
            raise ValueError(f"vmap({name}, ...): `{name}` must only return Tensors, got type "
                             f"{type(leaves[0])}. Did you mean to set out_dims= to None for "
                             f"output?")
        if empty:  # a batch of zero: the shape of one element's result with a 0-sized dim
            t = leaves[0].unsqueeze(d)
            out.append(t.narrow(d % t.dim(), 0, 0))
        else:
            out.append(stack(leaves, d))
    return tree_unflatten(out, spec)


def vmap(func, in_dims=0, out_dims=0, randomness: str = "error", *, chunk_size=None):
    """vmap(func, in_dims=0, out_dims=0, randomness='error', *, chunk_size=None)

    Returns a function that maps func over dimension in_dims of its positional inputs
    (an int for all, or a pytree prefix of the arguments with None for unmapped ones; keyword
    arguments are never mapped) and stacks its outputs along out_dims (an int, None for an
    unmapped output, or a pytree prefix of the outputs). chunk_size is checked and accepted:
    the elements run one at a time anyway.
    """
    _check_randomness_arg(randomness)
    if not (chunk_size is None or chunk_size > 0):
        raise ValueError(f"vmap: chunk_size should be None or greater than 0. (got {chunk_size})")

    @functools.wraps(func)
    def wrapped(*args, **kwargs):
        _check_out_dims(func, out_dims)
        size, flat_dims, flat_args, spec = _flat_in_dims(func, in_dims, args)
        guard = _RandomGuard(randomness)
        results = []
        for b in range(size) if size else [None]:
            inputs = tree_unflatten(_element(flat_args, flat_dims, b), spec)
            with guard.sample():
                results.append(func(*inputs, **kwargs))
        return _combine(func, results, out_dims, size == 0)
    return wrapped
