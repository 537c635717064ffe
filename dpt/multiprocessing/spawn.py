"""spawn / start_processes: run fn(i, *args) in nprocs fresh processes and report the first
failure with its traceback (torch.multiprocessing.spawn)."""
from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import tempfile
import time
import traceback
import warnings

__all__ = ["ProcessContext", "ProcessException", "ProcessExitedException",
           "ProcessRaisedException", "spawn", "SpawnContext", "start_processes"]

log = logging.getLogger(__name__)
_TERMINATE_WAIT = 30.0  # seconds a failing job's other processes get after SIGTERM


class ProcessException(Exception):
    """A spawned process failed; ``error_index`` is its index, ``error_pid`` its pid."""

    def __init__(self, msg: str, error_index: int, error_pid: int):
        super().__init__(msg)
        self.msg, self.error_index, self.error_pid = msg, error_index, error_pid

    def __reduce__(self):
        return type(self), (self.msg, self.error_index, self.error_pid)


class ProcessRaisedException(ProcessException):
    """The process's fn raised; the message carries the child's traceback."""


class ProcessExitedException(ProcessException):
    """The process exited with a nonzero code or was killed by a signal (``signal_name``)."""

    def __init__(self, msg: str, error_index: int, error_pid: int, exit_code: int,
                 signal_name: str | None = None):
        super().__init__(msg, error_index, error_pid)
        self.exit_code, self.signal_name = exit_code, signal_name

    def __reduce__(self):
        return type(self), (self.msg, self.error_index, self.error_pid, self.exit_code,
                            self.signal_name)


def _child(fn, index: int, args: tuple, error_file: str) -> None:
    """The spawned process's entry: fn(index, *args); an exception's traceback goes to
    error_file for the parent, and the exit code becomes 1."""
    try:
        fn(index, *args)
    except KeyboardInterrupt:
        pass  # the parent is stopping us after another process failed
    except Exception:
        with open(error_file, "w", encoding="utf-8") as fh:
            fh.write(traceback.format_exc())
        sys.exit(1)


class ProcessContext:
    """The processes of one start_processes call; join() waits for them and raises for the
    first one that fails, after stopping the others."""

    def __init__(self, processes, error_files):
        self.processes, self.error_files = processes, error_files
        self.sentinels = {p.sentinel: i for i, p in enumerate(processes)}

    def pids(self) -> list[int]:
        return [int(p.pid) for p in self.processes]

    def join(self, timeout: float | None = None, grace_period: float | None = None) -> bool:
        """join(timeout=None, grace_period=None): True once every process has exited
        cleanly, False if some are still running after timeout seconds. When one fails,
        the others get grace_period seconds, then SIGTERM, then SIGKILL, and the failure
        is raised as ProcessRaisedException or ProcessExitedException."""
        if not self.sentinels:
            return True
        failed = None
        for sentinel in multiprocessing.connection.wait(list(self.sentinels), timeout=timeout):
            index = self.sentinels.pop(sentinel)
            self.processes[index].join()
            if self.processes[index].exitcode != 0:
                failed = index
                break
        if failed is None:
            return not self.sentinels
        self._stop_others(grace_period)
        raise self._failure(failed)

    def _wait_all(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        for p in self.processes:
            p.join(max(0.0, deadline - time.monotonic()))

    def _stop_others(self, grace_period: float | None) -> None:
        if grace_period is not None:
            self._wait_all(grace_period)
        for p in self.processes:
            if p.is_alive():
                log.warning("Terminating process %s via signal SIGTERM", p.pid)
                p.terminate()
        self._wait_all(_TERMINATE_WAIT if grace_period is None else grace_period)
        for p in self.processes:
            if p.is_alive():
                log.warning("Process %s ignored SIGTERM; killing it with SIGKILL", p.pid)
                p.kill()
            p.join()

    def _failure(self, index: int) -> ProcessException:
        proc, path = self.processes[index], self.error_files[index]
        try:
            with open(path, encoding="utf-8") as fh:
                trace = fh.read()
        except OSError:
            trace = ""
        if trace:
            return ProcessRaisedException(
                f"\n\n-- Process {index:d} terminated with the following error:\n{trace}",
                index, proc.pid)
        code = proc.exitcode
        if code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"<Unknown signal {-code}>"
            return ProcessExitedException(f"process {index:d} terminated with signal {name}",
                                          index, proc.pid, code, name)
        return ProcessExitedException(f"process {index:d} terminated with exit code {code:d}",
                                      index, proc.pid, code)

    def __del__(self):
        for path in getattr(self, "error_files", ()):
            try:
                os.unlink(path)
            except OSError:
                pass


class SpawnContext(ProcessContext):
    """The old name of ProcessContext (deprecated)."""

    def __init__(self, processes, error_files):
        warnings.warn("SpawnContext is renamed to ProcessContext since 1.4 release.",
                      stacklevel=2)
        super().__init__(processes, error_files)


def start_processes(fn, args=(), nprocs: int = 1, join: bool = True, daemon: bool = False,
                    start_method: str = "spawn"):
    """start_processes(fn, args=(), nprocs=1, join=True, daemon=False, start_method='spawn'):
    start nprocs processes (with the given start method) running fn(i, *args).

    Returns None after they all finished cleanly when join is True, else their
    ProcessContext. fn must be importable by the children (defined at a module's top level).
    """
    ctx = multiprocessing.get_context(start_method)
    processes, error_files = [], []
    for i in range(nprocs):
        fd, path = tempfile.mkstemp(prefix="dpt-spawn-error-", suffix=".txt")
        os.close(fd)
        error_files.append(path)
        p = ctx.Process(target=_child, args=(fn, i, args, path), daemon=daemon)
        p.start()
        processes.append(p)
    context = ProcessContext(processes, error_files)
    if not join:
        return context
    while not context.join():
        pass
    return None


def spawn(fn, args=(), nprocs: int = 1, join: bool = True, daemon: bool = False,
          start_method: str = "spawn"):
    """spawn(fn, args=(), nprocs=1, join=True, daemon=False, start_method='spawn'): run
    fn(i, *args) for i in range(nprocs), each in a new process started with 'spawn'.

    When one process raises, the others are stopped and join() raises
    ProcessRaisedException with its traceback; a process that exits nonzero or dies by a
    signal gives ProcessExitedException. Returns None when join is True, else the
    ProcessContext. Another start_method is ignored with a FutureWarning, as in torch (use
    start_processes for it).
    """
    if start_method != "spawn":
        warnings.warn(f"This method only supports start_method=spawn (got: {start_method}).\n"
                      "To use a different start_method use:\n\t\t "
                      "dpt.multiprocessing.start_processes(...)", FutureWarning, stacklevel=2)
    return start_processes(fn, args, nprocs, join, daemon, start_method="spawn")
