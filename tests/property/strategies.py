"""Shared hypothesis strategies: shapes, broadcast pairs, float arrays."""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp


def shapes(min_dims=0, max_dims=4, min_side=0, max_side=4):
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side,
                            max_side=max_side)


@st.composite
def broadcast_pair(draw, max_dims=4):
    """Two shapes that broadcast together (0-d and size-0 dims included)."""
    shape = draw(shapes(min_dims=0, max_dims=max_dims))
    bs = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, base_shape=shape, min_dims=0,
                                                max_dims=max_dims, min_side=0, max_side=4))
    return bs.input_shapes


def floats_array(shape, seed):
    """Well-conditioned float64 values (no zeros near division, no infs)."""
    rng = np.random.default_rng(seed)
    return rng.uniform(0.5, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)


seeds = st.integers(0, 2**31 - 1)
