"""dpt.autograd.graph: the recorded graph's nodes, and collecting the ones a block records.

torch.autograd.graph's ``saved_tensors_hooks`` has no dpt twin: dpt's ops keep what their
backward needs as plain attributes of their node (the instance is the context), not as
separately packed tensors. What activation checkpointing needs instead is
``record_nodes()``: the nodes one block of code recorded, in order, so that their saved
state can be dropped after forward and refilled from a recomputation before backward.
"""
from __future__ import annotations

import contextlib

from .function import Node
from .grad_mode import _state

__all__ = ["Node", "record_nodes"]


@contextlib.contextmanager
def record_nodes():
    """Yield a list that fills, in order, with every node recorded inside the block.

    Blocks nest: a node goes to the innermost list only, so a nested checkpoint keeps
    its own nodes to itself.
    """
    nodes = []
    prev = _state.recorder
    _state.recorder = nodes
    try:
        yield nodes
    finally:
        _state.recorder = prev
