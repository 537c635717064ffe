"""dist.breakpoint: stop one rank in pdb while the others wait at a barrier."""
from __future__ import annotations

import pdb
import sys
import traceback
from datetime import timedelta

from . import process_group as _pg

__all__ = ["breakpoint"]

_skipped: dict = {}


class _RankPdb(pdb.Pdb):
    """pdb reading the terminal even when the launcher gave this process no stdin."""

    def interaction(self, *args, **kwargs):
        saved = sys.stdin
        try:
            with open("/dev/stdin") as tty:
                sys.stdin = tty
                self.stdin = tty
                super().interaction(*args, **kwargs)
        except OSError:
            super().interaction(*args, **kwargs)
        finally:
            sys.stdin = saved


def breakpoint(rank: int = 0, skip: int = 0, timeout_s=3600):  # noqa: A001 (torch's name)
    """breakpoint(rank=0, skip=0, timeout_s=3600): enter pdb on ``rank`` only; every rank then
    waits at a barrier until the debugging rank continues. The first ``skip`` calls from one
    place are ignored; ``timeout_s`` (None keeps them) becomes every group's timeout so the
    waiting ranks do not time out during the session."""
    if skip > 0:
        where = "".join(traceback.format_stack()[:-1])
        _skipped[where] = _skipped.get(where, 0) + 1
        if _skipped[where] <= skip:
            return
    if timeout_s is not None:
        for g in _pg._state.groups:
            g.timeout = timedelta(seconds=timeout_s)
    from .collectives import barrier

    if _pg.get_rank() == rank:
        debugger = _RankPdb()
        debugger.message(f"\ndpt.distributed.breakpoint(rank={rank}): type 'up' to reach the "
                         "caller's frame\n")
        debugger.set_trace()
    barrier()
