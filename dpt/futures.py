"""dpt.futures.Future: a value that becomes available later (torch.futures.Future).

DDP's communication hooks return one: the value is the reduced gradient bucket, ready
once the all-reduce behind it has finished.
"""
from __future__ import annotations

_UNSET = object()


class Future:
    """Future(): complete it with set_result, or build one over a pending operation.

    ``Future.from_work(work, value)`` is done when ``work`` is; ``then(fn)`` chains
    ``fn(fut)`` to run on the finished future and returns a future of its result.
    """

    def __init__(self, *, devices=None):
        self._value = _UNSET
        self._error = None
        self._poll = None    # () -> bool: True once the underlying operation finished
        self._produce = None  # () -> value, called once after the operation finished
        self._callbacks = []

    @classmethod
    def from_work(cls, work, value) -> "Future":
        fut = cls()
        fut._poll = work.is_completed
        fut._produce = lambda: (work.wait(), value)[1]
        return fut

    def done(self) -> bool:
        """True once the value (or an error) is available; polling also drives progress."""
        if self._value is not _UNSET or self._error is not None:
            return True
        return self._poll is not None and self._poll()

    def wait(self):
        """Block until the value is available and return it (re-raising a failure)."""
        if self._value is _UNSET and self._error is None:
            if self._produce is None:
                raise RuntimeError("Future.wait(): the future was never completed (no set_result "
                                   "and no underlying operation)")
            try:
                self._value = self._produce()
            except Exception as e:  # kept so every waiter sees the same failure
                self._error = e
            self._produce = self._poll = None
            for cb in self._callbacks:
                cb(self)
        if self._error is not None:
            raise self._error
        return self._value

    def value(self):
        if not self.done():
            raise RuntimeError("Future.value(): the value is not ready yet; call wait()")
        return self.wait()

    def set_result(self, result) -> None:
        if self._value is not _UNSET:
            raise RuntimeError("Future.set_result(): the future is already completed")
        self._value = result
        for cb in self._callbacks:
            cb(self)

    def set_exception(self, error: BaseException) -> None:
        self._error = error

    def then(self, callback) -> "Future":
        """A future of callback(self), computed when the result is waited for."""
        child = Future()
        child._poll = self.done
        child._produce = lambda: callback(self._finished())
        return child

    def add_done_callback(self, callback) -> None:
        self._callbacks.append(callback)

    def _finished(self) -> "Future":
        self.wait()
        return self


def wait_all(futures) -> list:
    """The values of all futures, waiting for each in order."""
    return [f.wait() for f in futures]
