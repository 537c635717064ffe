"""dpt.multiprocessing: the stdlib re-exports, shared-memory tensors and spawn (torch's
torch.multiprocessing). Tests that start processes bound every wait and carry a timeout."""
import multiprocessing
import os
import pickle
import signal
import sys
from multiprocessing.reduction import ForkingPickler

import numpy as np
import pytest

import dpt
import dpt.multiprocessing as mp
from dpt.multiprocessing import _shared_memory

WAIT = 60  # seconds any single cross-process wait may take
STRATEGIES = sorted(mp.get_all_sharing_strategies())


@pytest.fixture(params=STRATEGIES)
def strategy(request):
    old = mp.get_sharing_strategy()
    mp.set_sharing_strategy(request.param)
    yield request.param
    mp.set_sharing_strategy(old)


def _roundtrip(obj):
    """What a receiving process gets: multiprocessing's pickler, then plain unpickling
    (the same process may receive its own handles)."""
    return pickle.loads(ForkingPickler.dumps(obj))


# -- the module surface -------------------------------------------------------------------

def test_reexports_the_stdlib_api():
    for name in ("Process", "Queue", "SimpleQueue", "Pool", "Pipe", "Event", "Lock", "Manager",
                 "get_context", "set_start_method", "get_start_method", "cpu_count",
                 "current_process", "Value", "Array", "Barrier"):
        assert getattr(mp, name) is getattr(multiprocessing, name), name
        assert name in mp.__all__
    for name in ("spawn", "start_processes", "ProcessContext", "ProcessRaisedException",
                 "ProcessExitedException", "set_sharing_strategy", "get_sharing_strategy",
                 "get_all_sharing_strategies"):
        assert name in mp.__all__
    assert dpt.multiprocessing is mp


def test_sharing_strategies_match_torch():
    torch_mp = pytest.importorskip("torch.multiprocessing")
    assert mp.get_all_sharing_strategies() == torch_mp.get_all_sharing_strategies()
    assert mp.get_sharing_strategy() == torch_mp.get_sharing_strategy()


def test_set_sharing_strategy_rejects_unknown_names(strategy):
    with pytest.raises(AssertionError, match="invalid sharing strategy 'nope'"):
        mp.set_sharing_strategy("nope")
    assert mp.get_sharing_strategy() == strategy


# -- share_memory_ / is_shared --------------------------------------------------------------

@pytest.mark.parametrize("dtype", [dpt.float32, dpt.float64, dpt.int64, dpt.bool, dpt.uint8,
                                   dpt.complex64, dpt.bfloat16, dpt.float16])
def test_share_memory_keeps_values_and_dtype(strategy, dtype):
    t = dpt.arange(6).reshape(2, 3).to(dtype).clone()
    ref = t.tolist()
    assert not t.is_shared()
    assert t.share_memory_() is t
    assert t.is_shared() and t.dtype is dtype and t.shape == (2, 3) and t.tolist() == ref
    t.share_memory_()  # a second call keeps the same memory
    assert t.tolist() == ref


@pytest.mark.parametrize("make", [lambda: dpt.tensor(3.5), lambda: dpt.zeros(0, 4),
                                  lambda: dpt.arange(12.).reshape(3, 4).t()],
                         ids=["0-d", "empty", "non-contiguous"])
def test_share_memory_edge_shapes(strategy, make):
    t = make()
    ref, stride = t.tolist(), t.stride()
    t.share_memory_()
    assert t.is_shared() and t.tolist() == ref and t.stride() == stride


def test_view_shares_its_base_and_stays_a_view(strategy):
    base = dpt.zeros(4, 5)
    view = base[1:, ::2]
    view.share_memory_()
    assert base.is_shared() and view.is_shared()
    view.fill_(7.0)
    expected = np.zeros((4, 5), np.float32)
    expected[1:, ::2] = 7
    np.testing.assert_array_equal(base.numpy(), expected)


def test_module_share_memory_shares_parameters_and_buffers(strategy):
    net = dpt.nn.Sequential(dpt.nn.Linear(3, 2), dpt.nn.BatchNorm1d(2))
    params = list(net.parameters())
    assert net.share_memory() is net
    assert all(p.is_shared() for p in net.parameters())
    assert all(b.is_shared() for b in net.buffers())
    assert [id(p) for p in net.parameters()] == [id(p) for p in params]  # same Parameters
    assert all(type(p) is dpt.nn.Parameter and p.requires_grad for p in net.parameters())


# -- pickling through multiprocessing ---------------------------------------------------------

def test_pickled_tensor_shares_memory_with_the_original(strategy):
    t = dpt.arange(6.).reshape(2, 3).clone()
    got = _roundtrip(t)
    assert t.is_shared() and got.is_shared()  # sending moved t into shared memory
    got[0, 0] = 100.0
    assert t[0, 0].item() == 100.0
    t[1, 2] = -1.0
    assert got[1, 2].item() == -1.0


def test_pickled_view_and_parameter(strategy):
    t = dpt.zeros(3, 4)
    got = _roundtrip(t[:, 1])
    assert got.shape == (3,) and got.is_shared()
    got.fill_(2.0)
    assert t[:, 1].tolist() == [2.0] * 3 and t[:, 0].tolist() == [0.0] * 3
    p = dpt.nn.Parameter(dpt.ones(2))
    q = _roundtrip(p)
    assert type(q) is dpt.nn.Parameter and q.requires_grad
    with dpt.no_grad():
        q.mul_(3)
    assert p.tolist() == [3.0, 3.0]


def test_pickled_tensor_keeps_requires_grad_and_attributes(strategy):
    t = dpt.ones(2, requires_grad=True)
    t.note = "kept"
    got = _roundtrip(t)
    assert got.requires_grad and got.is_leaf and got.note == "kept"


def test_non_leaf_requiring_grad_is_refused():
    y = dpt.ones(2, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="Cowardly refusing to serialize non-leaf tensor"):
        ForkingPickler.dumps(y)
    assert _roundtrip(y.detach()).tolist() == [2.0, 2.0]


def test_plain_pickle_still_copies():
    t = dpt.arange(3.)
    got = pickle.loads(pickle.dumps(t))
    got[0] = 5.0
    assert t[0].item() == 0.0 and not t.is_shared()


# -- across processes -------------------------------------------------------------------------

def _add_one(queue, done, count):
    for _ in range(count):
        t = queue.get(timeout=WAIT)
        with dpt.no_grad():
            t.add_(1)
        done.put((type(t).__name__, t.is_shared(), t.requires_grad))


def _make_and_send(queue, ack):
    t = dpt.full((2, 2), 5.0)
    queue.put(t)
    ack.get(timeout=WAIT)  # stay alive until the parent has the tensor (it maps our memory)
    done = t.tolist()
    queue.put(done)


@pytest.mark.timeout(180)
@pytest.mark.parametrize("method", ["spawn", "fork"])
def test_child_writes_are_seen_by_the_parent(strategy, method):
    if method not in multiprocessing.get_all_start_methods():
        pytest.skip(f"no {method} start method here")
    ctx = mp.get_context(method)
    queue, done = ctx.Queue(), ctx.Queue()
    x = dpt.zeros(3, 4)
    model = dpt.nn.Linear(2, 2)
    model.share_memory()
    before = model.weight.detach().clone()
    proc = ctx.Process(target=_add_one, args=(queue, done, 2))
    proc.start()
    try:
        queue.put(x[1])
        assert done.get(timeout=WAIT) == ("Tensor", True, False)
        queue.put(model.weight)
        assert done.get(timeout=WAIT) == ("Parameter", True, True)
    finally:
        proc.join(WAIT)
        if proc.is_alive():
            proc.kill()
    assert proc.exitcode == 0
    assert x.tolist() == [[0.0] * 4, [1.0] * 4, [0.0] * 4]
    np.testing.assert_allclose(model.weight.detach().numpy(), before.numpy() + 1)


@pytest.mark.timeout(180)
def test_parent_writes_are_seen_by_the_child(strategy):
    ctx = mp.get_context("spawn")
    queue, ack = ctx.Queue(), ctx.Queue()
    proc = ctx.Process(target=_make_and_send, args=(queue, ack))
    proc.start()
    try:
        t = queue.get(timeout=WAIT)
        assert t.tolist() == [[5.0, 5.0], [5.0, 5.0]] and t.is_shared()
        t[0, 1] = -3.0
        ack.put(True)
        assert queue.get(timeout=WAIT) == [[5.0, -3.0], [5.0, 5.0]]
    finally:
        proc.join(WAIT)
        if proc.is_alive():
            proc.kill()
    assert proc.exitcode == 0


def _hogwild_step(model, done):
    with dpt.no_grad():
        for p in model.parameters():
            p.add_(1)
    done.put(all(p.is_shared() for p in model.parameters()))


@pytest.mark.timeout(180)
def test_hogwild_model_passed_as_process_argument(strategy):
    ctx = mp.get_context("spawn")
    model = dpt.nn.Linear(3, 2)
    model.share_memory()
    before = [p.detach().clone() for p in model.parameters()]
    done = ctx.Queue()
    procs = [ctx.Process(target=_hogwild_step, args=(model, done)) for _ in range(2)]
    for p in procs:
        p.start()
    try:
        assert [done.get(timeout=WAIT) for _ in procs] == [True, True]
    finally:
        for p in procs:
            p.join(WAIT)
            if p.is_alive():
                p.kill()
    assert [p.exitcode for p in procs] == [0, 0]
    for p, b in zip(model.parameters(), before):
        np.testing.assert_allclose(p.detach().numpy(), b.numpy() + 2)


# -- spawn --------------------------------------------------------------------------------

def _record(i, out, scale):
    out.put((i, i * scale))


def _fail_on(i, bad):
    if i == bad:
        raise ValueError(f"process {i} is bad")


def _exit_with(i, code):
    sys.exit(code)


def _kill_self(i):
    os.kill(os.getpid(), signal.SIGKILL)


@pytest.mark.timeout(180)
def test_spawn_runs_fn_with_index_and_args():
    out = mp.get_context("spawn").SimpleQueue()
    assert mp.spawn(_record, args=(out, 10), nprocs=2) is None
    assert sorted(out.get() for _ in range(2)) == [(0, 0), (1, 10)]


@pytest.mark.timeout(180)
def test_spawn_raises_the_childs_traceback():
    with pytest.raises(mp.ProcessRaisedException) as info:
        mp.spawn(_fail_on, args=(1,), nprocs=2)
    err = info.value
    assert err.error_index == 1 and isinstance(err.error_pid, int)
    assert "\n\n-- Process 1 terminated with the following error:\nTraceback" in str(err)
    assert "ValueError: process 1 is bad" in str(err)
    assert pickle.loads(pickle.dumps(err)).error_index == 1


@pytest.mark.timeout(180)
def test_exit_code_and_signal_give_process_exited_exception():
    ctx = mp.start_processes(_exit_with, args=(3,), nprocs=1, join=False, start_method="fork")
    assert isinstance(ctx, mp.ProcessContext) and len(ctx.pids()) == 1
    with pytest.raises(mp.ProcessExitedException,
                       match=r"^process 0 terminated with exit code 3$") as info:
        while not ctx.join(timeout=WAIT):
            pass
    assert info.value.exit_code == 3 and info.value.signal_name is None
    with pytest.raises(mp.ProcessExitedException,
                       match=r"^process 0 terminated with signal SIGKILL$") as info:
        mp.start_processes(_kill_self, nprocs=1, start_method="fork")
    assert info.value.exit_code == -signal.SIGKILL and info.value.signal_name == "SIGKILL"


@pytest.mark.timeout(180)
def test_join_false_and_other_start_methods():
    out = mp.get_context("fork").SimpleQueue()
    ctx = mp.start_processes(_record, args=(out, 2), nprocs=2, join=False, start_method="fork")
    while not ctx.join(timeout=WAIT):
        pass
    assert ctx.join() is True
    assert sorted(out.get() for _ in range(2)) == [(0, 0), (1, 2)]
    spawn_out = mp.get_context("spawn").SimpleQueue()
    with pytest.warns(FutureWarning, match="only supports start_method=spawn"):
        mp.spawn(_record, args=(spawn_out, 1), nprocs=1, start_method="fork")
    assert spawn_out.get() == (0, 0)
