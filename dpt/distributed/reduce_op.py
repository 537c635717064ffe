"""ReduceOp: the reductions a collective can apply (torch.distributed.ReduceOp)."""
from __future__ import annotations

import enum


class ReduceOp:
    """``ReduceOp.SUM``, ``PRODUCT``, ``MIN``, ``MAX``, ``AVG``, ``BAND``, ``BOR``, ``BXOR``.

    As in torch the members are values of the nested ``RedOpType`` enum and
    ``ReduceOp(ReduceOp.SUM)`` wraps one. ``PREMUL_SUM`` exists for name
    compatibility but no backend implements it.
    """

    class RedOpType(enum.IntEnum):
        SUM = 0
        AVG = 1
        PRODUCT = 2
        MIN = 3
        MAX = 4
        BAND = 5
        BOR = 6
        BXOR = 7
        PREMUL_SUM = 8
        UNUSED = 9

        def __repr__(self) -> str:
            return f"<RedOpType.{self.name}: {self.value}>"

        def __str__(self) -> str:
            return f"RedOpType.{self.name}"

    SUM = RedOpType.SUM
    AVG = RedOpType.AVG
    PRODUCT = RedOpType.PRODUCT
    MIN = RedOpType.MIN
    MAX = RedOpType.MAX
    BAND = RedOpType.BAND
    BOR = RedOpType.BOR
    BXOR = RedOpType.BXOR
    PREMUL_SUM = RedOpType.PREMUL_SUM
    UNUSED = RedOpType.UNUSED

    def __init__(self, op: "ReduceOp.RedOpType" = RedOpType.SUM):
        self.op = as_red_op(op)

    def __eq__(self, other):
        try:
            return self.op == as_red_op(other)
        except TypeError:
            return NotImplemented

    def __hash__(self):
        return hash(self.op)

    def __repr__(self) -> str:
        return f"ReduceOp.{self.op.name}"


BITWISE = (ReduceOp.BAND, ReduceOp.BOR, ReduceOp.BXOR)


def as_red_op(op) -> ReduceOp.RedOpType:
    """The RedOpType behind a ReduceOp, a RedOpType or its name ('sum', 'SUM')."""
    if isinstance(op, ReduceOp):
        return op.op
    if isinstance(op, ReduceOp.RedOpType):
        return op
    if isinstance(op, str) and op.upper() in ReduceOp.RedOpType.__members__:
        return ReduceOp.RedOpType[op.upper()]
    raise TypeError(f"expected a dpt.distributed.ReduceOp, got {op!r}")


def supports_complex(reduceOp) -> bool:
    """supports_complex(reduceOp) -> bool: whether op is meaningful on complex tensors (which are
    reduced as their real and imaginary parts): SUM and AVG are; MIN, MAX, PRODUCT and the
    bitwise ops are not."""
    return as_red_op(reduceOp) not in (ReduceOp.MIN, ReduceOp.MAX, ReduceOp.PRODUCT,
                                       ReduceOp.BAND, ReduceOp.BOR, ReduceOp.BXOR)
