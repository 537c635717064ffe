"""The random draws samplers and loaders make, through dpt's generators.

Everything goes through a ``dpt.Generator``: the one given, or a fresh one seeded from
the default generator, as torch does, so ``dpt.manual_seed(s)`` (or the same
``generator=``) reproduces every shuffle.
"""
from __future__ import annotations

import dpt

def random_seed(generator=None) -> int:
    """A 63-bit seed drawn from generator (the default generator when None), the way torch
    draws one: ``empty((), dtype=int64).random_()``, so the same seed gives torch's orders."""
    return int(dpt.empty((), dtype=dpt.int64).random_(generator=generator).item())


def seeded_generator(generator=None):
    """generator itself, or a new Generator seeded from the default generator."""
    if generator is not None:
        return generator
    g = dpt.Generator()
    g.manual_seed(random_seed())
    return g


def randperm(n: int, generator=None) -> list:
    return dpt.randperm(n, generator=generator).tolist()


def randint(high: int, size: int, generator=None) -> list:
    return dpt.randint(0, high, (size,), dtype=dpt.int64, generator=generator).tolist()


def multinomial(weights, num_samples: int, replacement: bool, generator=None) -> list:
    return dpt.multinomial(weights, num_samples, replacement, generator=generator).tolist()
