"""Stores: HashStore, FileStore, TCPStore, PrefixStore in one process (against torch's HashStore
where torch is installed), then shared by several processes (subprocesses, and an mpiexec job
for init_process_group(store=...))."""
import os
import subprocess
import sys
import textwrap
import threading
import time
from datetime import timedelta

import pytest

import dpt.distributed as dist
from tests.distributed.conftest import spawn_env

pytestmark = pytest.mark.timeout(60)

SHORT = timedelta(milliseconds=200)


@pytest.fixture(params=["hash", "file", "tcp", "prefix"])
def store(request, tmp_path):
    if request.param == "hash":
        return dist.HashStore()
    if request.param == "file":
        return dist.FileStore(str(tmp_path / "store"), 1)
    if request.param == "tcp":
        return dist.TCPStore("127.0.0.1", 0, 1, True, timeout=timedelta(seconds=10))
    return dist.PrefixStore("pre", dist.HashStore())


def test_set_get_add_append(store):
    store.set("a", "1")
    store.set("b", b"\x00\xff")
    assert store.get("a") == b"1" and store.get("b") == b"\x00\xff"
    assert store.add("n", 3) == 3 and store.add("n", -5) == -2 and store.get("n") == b"-2"
    store.append("s", "x")
    store.append("s", b"y")
    assert store.get("s") == b"xy"
    with pytest.raises(ValueError, match="not an integer"):
        store.add("s", 1)
    with pytest.raises(TypeError, match="keys must be str"):
        store.set(1, "x")
    with pytest.raises(TypeError, match="values must be str or bytes"):
        store.set("x", 1.5)


def test_compare_set(store):
    assert store.compare_set("k", "", "v1") == b"v1"      # missing + empty expected: set
    assert store.compare_set("k", "v1", "v2") == b"v2"    # match: set
    assert store.compare_set("k", "zz", "v3") == b"v2"    # mismatch: current value
    assert store.compare_set("gone", "e", "d") == b"e"    # missing: expected value, unset
    assert not store.check(["gone"])


def test_keys_and_multi(store):
    store.multi_set(["m1", "m2"], ["v1", b"v2"])
    assert store.multi_get(["m2", "m1"]) == [b"v2", b"v1"]
    assert store.check(["m1", "m2"]) and not store.check(["m1", "nope"])
    assert store.num_keys() == 2 and sorted(store.list_keys()) == ["m1", "m2"]
    assert store.delete_key("m1") is True and store.delete_key("m1") is False
    assert store.num_keys() == 1
    with pytest.raises(ValueError, match="2 keys but 1 values"):
        store.multi_set(["a", "b"], ["x"])


def test_timeouts(store):
    assert store.timeout == timedelta(seconds=10 if isinstance(store, dist.TCPStore) else 300)
    store.set_timeout(SHORT)
    assert store.timeout == SHORT
    for call in (lambda: store.get("missing"), lambda: store.multi_get(["missing"]),
                 lambda: store.wait(["missing"]), lambda: store.queue_pop("q")):
        t0 = time.monotonic()
        with pytest.raises(dist.DistStoreError, match="timeout"):
            call()
        assert 0.15 < time.monotonic() - t0 < 5
    with pytest.raises(dist.DistStoreError, match="timeout"):
        store.wait(["missing"], timedelta(milliseconds=50))
    assert issubclass(dist.DistStoreError, RuntimeError)


def test_queue(store):
    with pytest.raises(dist.QueueEmptyError, match="empty"):
        store.queue_pop("q", block=False)
    assert issubclass(dist.QueueEmptyError, dist.DistStoreError)
    store.queue_push("q", "1")
    store.queue_push("q", b"2")
    assert store.queue_len("q") == 2
    assert store.queue_pop("q") == b"1" and store.queue_pop("q", block=False) == b"2"
    assert store.queue_len("q") == 0


def test_blocking_get_wakes_when_another_thread_sets(store):
    threading.Timer(0.2, lambda: store.set("late", "here")).start()
    assert store.get("late") == b"here"
    threading.Timer(0.2, lambda: store.queue_push("lq", "x")).start()
    assert store.queue_pop("lq") == b"x"


def test_prefix_store():
    base = dist.HashStore()
    p = dist.PrefixStore("job", base)
    assert p.underlying_store is base and p.has_extended_api()
    p.set("k", "v")
    assert base.get("job/k") == b"v"
    nested = dist.PrefixStore("inner", p)
    nested.set("x", "1")
    assert base.get("job/inner/x") == b"1"
    with pytest.raises(TypeError, match="expected a Store"):
        dist.PrefixStore("p", {})


def test_store_base_is_abstract():
    with pytest.raises(NotImplementedError, match="Store.set"):
        dist.Store().set("a", "b")


def test_hash_store_clone_shares_data():
    s = dist.HashStore()
    s.clone().set("a", "b")
    assert s.get("a") == b"b"


def test_against_torch_hash_store(store):
    torch_dist = pytest.importorskip("torch.distributed")
    ours, theirs = store, torch_dist.HashStore()
    script = [("set", "a", "1"), ("add", "c", 4), ("add", "c", -1), ("append", "a", "z"),
              ("compare_set", "a", "1z", "q"), ("compare_set", "a", "bad", "w"),
              ("compare_set", "m", "", "n"), ("compare_set", "m2", "e", "n"),
              ("get", "a"), ("get", "c"), ("check", ["a", "c"]), ("check", ["zz"]),
              ("delete_key", "m"), ("delete_key", "m"), ("num_keys",), ("multi_set", ["x", "y"],
              ["1", b"2"]), ("multi_get", ["y", "x"]), ("queue_push", "q", "a"),
              ("queue_len", "q"), ("queue_pop", "q"), ("num_keys",)]
    for op, *args in script:
        assert getattr(ours, op)(*args) == getattr(theirs, op)(*args), (op, args)


def test_tcp_store_properties_and_clone():
    master = dist.TCPStore("127.0.0.1", 0, 1, True, timeout=timedelta(seconds=10))
    assert master.host == "127.0.0.1" and master.port > 0 and master.libuvBackend is False
    client = dist.TCPStore("127.0.0.1", master.port, is_master=False,
                           timeout=timedelta(seconds=10))
    client.set("from_client", "1")
    assert master.get("from_client") == b"1"
    master.clone().set("from_clone", "2")
    assert client.get("from_clone") == b"2"


def test_tcp_store_waits_for_workers():
    t0 = time.monotonic()
    with pytest.raises(dist.DistStoreError, match="1/2 clients joined"):
        dist.TCPStore("127.0.0.1", 0, 2, True, timeout=timedelta(milliseconds=300))
    assert time.monotonic() - t0 < 5


def test_tcp_store_connect_timeout():
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    with pytest.raises(dist.DistNetworkError, match="could not connect"):
        dist.TCPStore("127.0.0.1", port, timeout=timedelta(milliseconds=300))


def test_file_store_removes_its_file(tmp_path):
    path = tmp_path / "fs"
    a = dist.FileStore(str(path), 2)
    b = dist.FileStore(str(path), 2)
    a.set("k", "v")
    assert b.get("k") == b"v"
    a.close()
    assert path.exists()
    b.close()
    assert not path.exists()


WORKER = """
import sys
from datetime import timedelta
import dpt.distributed as dist
kind, where, rank, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
if kind == "tcp":
    store = dist.TCPStore("127.0.0.1", int(where), n + 1, False, timeout=timedelta(seconds=30))
else:
    store = dist.FileStore(where, n + 1)
store.add("arrived", 1)
store.set(f"rank{rank}", str(rank * 10))
peer = store.get(f"rank{(rank + 1) % n}")
store.set(f"seen{rank}", peer)
store.get("release")            # blocks until the parent lets everyone go
store.queue_push("done", str(rank))
"""


@pytest.mark.parametrize("kind", ["tcp", "file"])
def test_store_shared_by_processes(kind, tmp_path):
    n = 3
    if kind == "tcp":
        store = dist.TCPStore("127.0.0.1", 0, n + 1, True, timeout=timedelta(seconds=30),
                              wait_for_workers=False)
        where = str(store.port)
    else:
        where = str(tmp_path / "shared")
        store = dist.FileStore(where, n + 1)
    script = tmp_path / "worker.py"
    script.write_text(textwrap.dedent(WORKER))
    procs = [subprocess.Popen([sys.executable, str(script), kind, where, str(r), str(n)],
                              env=spawn_env(), stderr=subprocess.PIPE, text=True)
             for r in range(n)]
    try:
        store.wait([f"seen{r}" for r in range(n)], timedelta(seconds=30))
        assert store.get("arrived") == str(n).encode()
        assert [store.get(f"seen{r}") for r in range(n)] == \
            [str((r + 1) % n * 10).encode() for r in range(n)]
        assert store.queue_len("done") == 0
        store.set("release", "go")
        assert sorted(store.queue_pop("done") for _ in range(n)) == [b"0", b"1", b"2"]
        for p in procs:
            assert p.wait(timeout=30) == 0, p.stderr.read()
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    if kind == "file":
        store.close()
        assert not os.path.exists(where)


INIT_JOB = """
import sys
from datetime import timedelta
from mpi4py import MPI
import dpt, dpt.distributed as dist
rank, size = MPI.COMM_WORLD.Get_rank(), MPI.COMM_WORLD.Get_size()
kind = sys.argv[1]
if kind == "tcp":
    master = dist.TCPStore("127.0.0.1", 0, size, True, wait_for_workers=False) if rank == 0 else None
    port = MPI.COMM_WORLD.bcast(master.port if rank == 0 else None)
    store = master or dist.TCPStore("127.0.0.1", port, size, False)
elif kind == "file":
    store = dist.FileStore(sys.argv[2], size)
else:  # one private store per rank: not shared, init must say so
    store = dist.HashStore()
try:
    dist.init_process_group(store=store, rank=rank, world_size=size, timeout=timedelta(seconds=2))
except dist.DistStoreError as e:
    print(f"rank {rank}: DistStoreError: {e}", flush=True)
    sys.exit(3)
t = dpt.tensor([rank + 1.0])
dist.all_reduce(t)
dist.destroy_process_group()
dist.init_process_group(store=store, rank=rank, world_size=size)  # the store can be reused
dist.destroy_process_group()
print(f"rank {rank} ok {t.item()}", flush=True)
"""


@pytest.mark.parametrize("kind", ["tcp", "file", "private"])
def test_init_process_group_with_store(kind, mpirun, tmp_path):
    r = mpirun(2, INIT_JOB, args=(kind, str(tmp_path / "fstore")), timeout=90)
    if kind == "private":
        assert r.returncode != 0
        assert "did not check in to the store" in r.stdout + r.stderr
        assert "is it shared by all 2 ranks" in r.stdout + r.stderr
    else:
        assert r.returncode == 0, r.stdout + r.stderr
        assert "rank 0 ok 3.0" in r.stdout and "rank 1 ok 3.0" in r.stdout


def test_init_process_group_store_argument_errors():
    if dist.is_initialized():
        pytest.skip("needs a process without a default group")
    s = dist.HashStore()
    with pytest.raises(AssertionError, match="Cannot specify both init_method and store"):
        dist.init_process_group(store=s, init_method="env://", rank=0, world_size=1)
    with pytest.raises(AssertionError, match="world_size must be positive"):
        dist.init_process_group(store=s, rank=0)
    with pytest.raises(AssertionError, match="rank must be non-negative"):
        dist.init_process_group(store=s, world_size=1)
    assert not dist.is_initialized()
