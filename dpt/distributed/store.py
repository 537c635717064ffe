"""Key-value stores (torch.distributed.Store and its kinds).

dpt's ranks rendezvous over MPI, so nothing inside dpt needs a store; they are
here for user code ported from torch (coordination, small metadata exchange)
and ``init_process_group(store=...)`` (which uses the store only for a
check-in, see process_group.py). Every store is a table of keys (str) to values
(bytes) plus named queues; each operation is one small function on that table
(``_OPS``), run atomically by an engine: in memory (HashStore, and the server
behind TCPStore) or in a locked file (FileStore). A TCPStore client sends the
operation's name and arguments to the server, which runs the same function.
Blocking operations (get, wait, multi_get, queue_pop) wait up to the store's
timeout and then raise DistStoreError.
"""
from __future__ import annotations

import base64
import fcntl
import json
import os
import socket
import socketserver
import struct
import threading
import time
import weakref
from datetime import timedelta

from .monitor import DistNetworkError, DistStoreError

__all__ = ["Store", "HashStore", "PrefixStore", "FileStore", "TCPStore", "QueueEmptyError"]

_DEFAULT_TIMEOUT = timedelta(seconds=300)


class QueueEmptyError(DistStoreError):
    """queue_pop(key, block=False) found the queue empty (torch.distributed.QueueEmptyError)."""


# -- the table and its operations ----------------------------------------------------------------
class _Table:
    """What a store holds: keys -> bytes, queues -> lists of bytes, and (TCPStore) how many
    clients have joined."""

    def __init__(self):
        self.kv, self.queues, self.joined = {}, {}, 0


def _get(t, key):
    return t.kv.get(key)


def _add(t, key, amount):
    old = t.kv.get(key, b"0")
    try:
        value = int(old) + int(amount)
    except ValueError:
        raise ValueError(f"Store.add: the value of key '{key}' is not an integer: {old!r}") from None
    t.kv[key] = str(value).encode()
    return value


def _compare_set(t, key, expected, desired):
    current = t.kv.get(key)
    if current is None:
        if expected == b"":
            t.kv[key] = desired
            return desired
        return expected
    if current == expected:
        t.kv[key] = desired
        return desired
    return current


def _multi_get(t, keys):
    values = [t.kv.get(k) for k in keys]
    return None if any(v is None for v in values) else values


def _multi_set(t, keys, values):
    t.kv.update(zip(keys, values))


def _queue_pop(t, key):
    q = t.queues.get(key)
    return q.pop(0) if q else None


def _queue_pop_nowait(t, key):
    value = _queue_pop(t, key)
    if value is None:
        raise QueueEmptyError(f"queue '{key}' is empty")
    return value


def _joined(t, n):
    return t.joined if t.joined >= n else None


def _join(t):
    t.joined += 1
    return t.joined


# name -> (function of the table and the arguments, blocking?). A blocking function returns
# None until it can answer.
_OPS = {
    "set": (lambda t, k, v: t.kv.__setitem__(k, v), False),
    "get": (_get, True),
    "add": (_add, False),
    "compare_set": (_compare_set, False),
    "wait": (lambda t, keys: True if all(k in t.kv for k in keys) else None, True),
    "check": (lambda t, keys: all(k in t.kv for k in keys), False),
    "delete_key": (lambda t, k: t.kv.pop(k, None) is not None, False),
    "num_keys": (lambda t: len(t.kv), False),
    "list_keys": (lambda t: sorted(t.kv), False),
    "multi_get": (_multi_get, True),
    "multi_set": (_multi_set, False),
    "append": (lambda t, k, v: t.kv.__setitem__(k, t.kv.get(k, b"") + v), False),
    "queue_push": (lambda t, k, v: t.queues.setdefault(k, []).append(v), False),
    "queue_pop": (_queue_pop, True),
    "queue_pop_nowait": (_queue_pop_nowait, False),
    "queue_len": (lambda t, k: len(t.queues.get(k, ())), False),
    "join": (_join, False),
    "joined": (_joined, True),
}
# Where each operation's keys are: the first argument is one key, or a list of keys.
_ONE_KEY = {"set", "get", "add", "compare_set", "delete_key", "append", "queue_push",
            "queue_pop", "queue_pop_nowait", "queue_len"}
_KEY_LIST = {"wait", "check", "multi_get", "multi_set"}


def _timeout_error(op, args, seconds):
    what = f", keys: {args[0]}" if op in _ONE_KEY | _KEY_LIST and args else ""
    return DistStoreError(f"Store.{op}: wait timeout after {seconds * 1000:.0f}ms{what}")


def _apply(engine, op, args, seconds):
    fn, blocking = _OPS[op]
    if blocking:
        return engine.wait(lambda t: fn(t, *args), seconds, lambda: _timeout_error(op, args,
                                                                                   seconds))
    return engine.run(lambda t: fn(t, *args))


class _Memory:
    """A table in this process, shared by threads; blocking operations sleep on a condition."""

    def __init__(self):
        self.table, self.cond = _Table(), threading.Condition()

    def run(self, fn):
        with self.cond:
            try:
                return fn(self.table)
            finally:
                self.cond.notify_all()

    def wait(self, fn, seconds, error):
        deadline = time.monotonic() + seconds
        with self.cond:
            while True:
                result = fn(self.table)
                if result is not None:
                    self.cond.notify_all()
                    return result
                left = deadline - time.monotonic()
                if left <= 0:
                    raise error()
                self.cond.wait(left)


class _File:
    """A table in a file, shared by processes: every operation locks the file (flock), reads
    it, applies itself and writes it back; blocking operations poll."""

    def __init__(self, path):
        self.path = path

    def run(self, fn):
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            raw = b""
            while chunk := os.read(fd, 1 << 20):
                raw += chunk
            table = _load_table(raw)
            result = fn(table)
            new = _dump_table(table)
            if new != raw:
                os.lseek(fd, 0, os.SEEK_SET)
                os.ftruncate(fd, 0)
                os.write(fd, new)
            return result
        finally:
            os.close(fd)  # releases the lock

    def wait(self, fn, seconds, error):
        deadline, pause = time.monotonic() + seconds, 0.001
        while True:
            result = self.run(fn)
            if result is not None:
                return result
            if time.monotonic() >= deadline:
                raise error()
            time.sleep(min(pause, max(deadline - time.monotonic(), 0)))
            pause = min(pause * 2, 0.05)


# Values travel (TCPStore) and rest (FileStore) as JSON, bytes as base64 under a marker key.
def _to_json(x):
    if isinstance(x, bytes):
        return {"$b": base64.b64encode(x).decode()}
    if isinstance(x, (list, tuple)):
        return [_to_json(v) for v in x]
    return x


def _from_json(x):
    if isinstance(x, dict) and "$b" in x:
        return base64.b64decode(x["$b"])
    if isinstance(x, list):
        return [_from_json(v) for v in x]
    return x


def _load_table(raw: bytes) -> _Table:
    t = _Table()
    if raw:
        doc = json.loads(raw)
        t.kv = {k: _from_json(v) for k, v in doc["kv"].items()}
        t.queues = {k: _from_json(v) for k, v in doc["queues"].items()}
        t.joined = doc.get("users", 0)
    return t


def _dump_table(t: _Table) -> bytes:
    return json.dumps({"kv": {k: _to_json(v) for k, v in t.kv.items()},
                       "queues": {k: _to_json(v) for k, v in t.queues.items()},
                       "users": t.joined}).encode()


# -- the public stores -------------------------------------------------------------------------
def _as_key(key) -> str:
    if not isinstance(key, str):
        raise TypeError(f"Store: keys must be str, got {type(key).__name__}")
    return key


def _as_value(value) -> bytes:
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, list) and all(isinstance(v, int) for v in value):
        return bytes(value)
    raise TypeError(f"Store: values must be str or bytes, got {type(value).__name__}")


def _as_seconds(timeout) -> float:
    if isinstance(timeout, timedelta):
        return timeout.total_seconds()
    if isinstance(timeout, (int, float)):
        return float(timeout)
    raise TypeError(f"Store: timeout must be a datetime.timedelta, got {type(timeout).__name__}")


class Store:
    """Store(): the key-value store interface (torch.distributed.Store). Keys are str, values
    bytes (str values are stored UTF-8 encoded). A subclass implements ``_call``."""

    def __init__(self, timeout: timedelta = _DEFAULT_TIMEOUT):
        self._timeout = timeout

    @property
    def timeout(self) -> timedelta:
        return self._timeout

    def set_timeout(self, timeout: timedelta) -> None:
        """The default wait of blocking operations (get, wait, multi_get, queue_pop)."""
        _as_seconds(timeout)
        self._timeout = timeout

    def _call(self, op: str, args: tuple, seconds: float):
        raise NotImplementedError(f"{type(self).__name__} does not implement Store.{op}")

    def _do(self, op, *args, timeout=None):
        return self._call(op, args, _as_seconds(self._timeout if timeout is None else timeout))

    def set(self, key: str, value) -> None:
        self._do("set", _as_key(key), _as_value(value))

    def get(self, key: str) -> bytes:
        """The value of key, waiting up to the timeout for it to be set."""
        return self._do("get", _as_key(key))

    def add(self, key: str, amount: int) -> int:
        """Add amount to the integer stored at key (0 when missing); returns the new value."""
        return self._do("add", _as_key(key), int(amount))

    def compare_set(self, key: str, expected_value, desired_value) -> bytes:
        """Set key to desired_value if it holds expected_value (or is missing and expected_value
        is empty); returns the value the key then holds (expected_value when it is missing)."""
        return self._do("compare_set", _as_key(key), _as_value(expected_value),
                        _as_value(desired_value))

    def wait(self, keys, timeout: timedelta | None = None) -> None:
        """Wait until every key is set (DistStoreError after timeout, default the store's)."""
        self._do("wait", [_as_key(k) for k in keys], timeout=timeout)

    def check(self, keys) -> bool:
        """True when every key is set (does not wait)."""
        return self._do("check", [_as_key(k) for k in keys])

    def delete_key(self, key: str) -> bool:
        return self._do("delete_key", _as_key(key))

    def num_keys(self) -> int:
        return self._do("num_keys")

    def list_keys(self) -> list:
        return self._do("list_keys")

    def multi_get(self, keys) -> list:
        """The values of every key, waiting up to the timeout for all of them."""
        return self._do("multi_get", [_as_key(k) for k in keys])

    def multi_set(self, keys, values) -> None:
        keys, values = list(keys), list(values)
        if len(keys) != len(values):
            raise ValueError(f"Store.multi_set: {len(keys)} keys but {len(values)} values")
        self._do("multi_set", [_as_key(k) for k in keys], [_as_value(v) for v in values])

    def append(self, key: str, value) -> None:
        """Append value to key's value (set it when missing)."""
        self._do("append", _as_key(key), _as_value(value))

    def queue_push(self, key: str, value) -> None:
        self._do("queue_push", _as_key(key), _as_value(value))

    def queue_pop(self, key: str, block: bool = True) -> bytes:
        """The oldest value of queue key; waits up to the timeout, or with block=False raises
        QueueEmptyError at once when it is empty."""
        return self._do("queue_pop" if block else "queue_pop_nowait", _as_key(key))

    def queue_len(self, key: str) -> int:
        return self._do("queue_len", _as_key(key))

    def has_extended_api(self) -> bool:
        return True

    def clone(self) -> "Store":
        """A store on the same data (TCPStore: a new connection)."""
        raise NotImplementedError(f"{type(self).__name__}.clone")


class HashStore(Store):
    """HashStore(): a store in this process's memory, shared by its threads."""

    def __init__(self):
        super().__init__()
        self._engine = _Memory()

    def _call(self, op, args, seconds):
        return _apply(self._engine, op, args, seconds)

    def clone(self) -> "HashStore":
        other = HashStore.__new__(HashStore)
        Store.__init__(other, self._timeout)
        other._engine = self._engine
        return other


class PrefixStore(Store):
    """PrefixStore(prefix, store): ``store`` with every key read and written as
    ``prefix + '/' + key``."""

    def __init__(self, prefix: str, store: Store):
        if not isinstance(store, Store):
            raise TypeError(f"PrefixStore: expected a Store, got {type(store).__name__}")
        super().__init__(store.timeout)
        self._prefix, self._store = str(prefix), store

    @property
    def underlying_store(self) -> Store:
        return self._store

    def _call(self, op, args, seconds):
        if op in _ONE_KEY:
            args = (f"{self._prefix}/{args[0]}",) + args[1:]
        elif op in _KEY_LIST:
            args = ([f"{self._prefix}/{k}" for k in args[0]],) + args[1:]
        result = self._store._call(op, args, seconds)
        if op == "list_keys":
            head = self._prefix + "/"
            result = [k[len(head):] for k in result if k.startswith(head)]
        return result

    def clone(self) -> "PrefixStore":
        return PrefixStore(self._prefix, self._store.clone())


class FileStore(Store):
    """FileStore(file_name, world_size=-1): a store in a file that every process using it can
    open (a shared file system across nodes). The file is removed when the last FileStore
    on it is closed or collected; ``world_size`` is recorded, not enforced (torch accepts more
    users too)."""

    def __init__(self, file_name: str, world_size: int = -1):
        super().__init__()
        self.path, self.world_size = os.fspath(file_name), int(world_size)
        self._engine = _File(self.path)
        self._engine.run(_join)
        self._finalizer = weakref.finalize(self, _release_file, self._engine)

    def _call(self, op, args, seconds):
        return _apply(self._engine, op, args, seconds)

    def close(self) -> None:
        self._finalizer()

    def clone(self) -> "FileStore":
        return FileStore(self.path, self.world_size)


def _leave(t):
    t.joined -= 1
    return t.joined


def _release_file(engine):
    try:
        if engine.run(_leave) <= 0:
            os.unlink(engine.path)
    except FileNotFoundError:
        pass


# -- TCPStore ----------------------------------------------------------------------------------
def _send_frame(sock, obj) -> None:
    data = json.dumps(_to_json(obj)).encode()
    sock.sendall(struct.pack(">I", len(data)) + data)


def _recv_exact(sock, n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("connection closed")
        buf += chunk
    return buf


def _recv_frame(sock):
    (n,) = struct.unpack(">I", _recv_exact(sock, 4))
    return _from_json(json.loads(_recv_exact(sock, n)))


# Errors the server sends back, by name; anything else arrives as DistStoreError.
_ERRORS = {"DistStoreError": DistStoreError, "QueueEmptyError": QueueEmptyError,
           "ValueError": ValueError}


class _Handler(socketserver.BaseRequestHandler):
    def handle(self):
        engine = self.server.engine
        while True:
            try:
                op, args, seconds = _recv_frame(self.request)
            except (ConnectionError, OSError, struct.error, ValueError):
                return
            try:
                if op not in _OPS:
                    raise ValueError(f"TCPStore: unknown operation {op!r}")
                reply = ["ok", _apply(engine, op, tuple(args), seconds)]
            except Exception as e:  # sent back to the client, which raises it
                reply = ["error", type(e).__name__, str(e)]
            try:
                _send_frame(self.request, reply)
            except OSError:
                return


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, listen_fd=None):
        if listen_fd is None:
            super().__init__(address, _Handler)
        else:
            super().__init__(address, _Handler, bind_and_activate=False)
            self.socket.close()
            self.socket = socket.socket(fileno=listen_fd)
        self.engine = _Memory()
        self.thread = threading.Thread(target=self.serve_forever, name="dpt-tcpstore",
                                       daemon=True)
        self.thread.start()


def _stop_server(server):
    server.shutdown()
    server.server_close()


def _close_all(socks):
    for sock in socks:
        sock.close()


_tenants: dict = {}  # port -> server shared by multi_tenant masters in this process


class TCPStore(Store):
    """TCPStore(host_name, port, world_size=None, is_master=False, timeout=timedelta(seconds=300),
    wait_for_workers=True, multi_tenant=False, master_listen_fd=None, use_libuv=True).

    The master runs the store's server on ``port`` (0: a free port, see ``.port``) in a
    thread of its process; every instance, the master's too, is a client connected to
    ``host_name:port``. With ``world_size`` and ``wait_for_workers`` the master's
    constructor waits until ``world_size`` clients have connected. ``use_libuv`` is
    accepted; the server is Python's socketserver (``libuvBackend`` is False)."""

    def __init__(self, host_name: str, port: int, world_size: int | None = None,
                 is_master: bool = False, timeout: timedelta = _DEFAULT_TIMEOUT,
                 wait_for_workers: bool = True, multi_tenant: bool = False,
                 master_listen_fd: int | None = None, use_libuv: bool = True):
        super().__init__(timeout)
        seconds = _as_seconds(timeout)
        self._host, self._port, self._world_size = host_name, int(port), world_size
        self._server = None
        if is_master:
            self._server = _tenants.get(self._port) if multi_tenant else None
            if self._server is None:
                try:
                    self._server = _Server(("", self._port), master_listen_fd)
                except OSError as e:
                    raise DistNetworkError(f"TCPStore: the master cannot listen on port "
                                           f"{self._port}: {e}") from None
                self._port = self._server.server_address[1]
                if multi_tenant:
                    _tenants[self._port] = self._server
                else:
                    weakref.finalize(self, _stop_server, self._server)
        # One connection per thread, so a thread blocked in get() does not hold up the others.
        self._local, self._socks = threading.local(), []
        self._connection(seconds)
        weakref.finalize(self, _close_all, self._socks)
        self._do("join")
        if is_master and wait_for_workers and world_size:
            try:
                self._do("joined", int(world_size))
            except DistStoreError:
                joined = self._do("joined", 0)
                raise DistStoreError(f"TCPStore: timed out after {seconds:g} seconds waiting for "
                                     f"clients: {joined}/{world_size} clients joined") from None

    def _connection(self, seconds: float):
        sock = getattr(self._local, "sock", None)
        if sock is None:
            sock = self._local.sock = self._connect(seconds)
            self._socks.append(sock)
        return sock

    def _connect(self, seconds: float):
        deadline, last = time.monotonic() + seconds, None
        while True:
            try:
                sock = socket.create_connection((self._host, self._port),
                                                timeout=max(deadline - time.monotonic(), 0.1))
                sock.settimeout(None)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                return sock
            except OSError as e:
                last = e
            if time.monotonic() >= deadline:
                raise DistNetworkError(f"TCPStore: could not connect to {self._host}:{self._port} "
                                       f"within {seconds:g} seconds: {last}")
            time.sleep(0.05)

    @property
    def host(self) -> str:
        return self._host

    @property
    def port(self) -> int:
        return self._port

    @property
    def libuvBackend(self) -> bool:  # noqa: N802 (torch's name)
        return False

    def _call(self, op, args, seconds):
        sock = self._connection(_as_seconds(self._timeout))
        try:
            _send_frame(sock, [op, list(args), seconds])
            reply = _recv_frame(sock)
        except (ConnectionError, OSError) as e:
            raise DistNetworkError(f"TCPStore: lost the connection to {self._host}:"
                                   f"{self._port} during {op}: {e}") from None
        if reply[0] == "ok":
            return reply[1]
        raise _ERRORS.get(reply[1], DistStoreError)(reply[2])

    def clone(self) -> "TCPStore":
        return TCPStore(self._host, self._port, self._world_size, False, self._timeout)
