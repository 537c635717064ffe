"""Tensor.fill_diagonal_, map_, apply_, pin_memory, is_pinned, record_stream and
DataLoader(pin_memory=True) without an accelerator, against torch."""
import warnings

import numpy as np
import pytest

import dpt
from dpt import _device

torch = pytest.importorskip("torch")

NO_GPU = not _device.gpu_available()


def _error(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - type and message are compared
        return type(e), str(e)
    return None


# ---- fill_diagonal_ --------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(3, 4), (4, 3), (7, 3), (8, 3), (3, 7), (1, 5), (5, 1),
                                   (3, 3, 3), (2, 2, 2, 2), (0, 0), (0, 3)])
@pytest.mark.parametrize("wrap", [False, True])
def test_fill_diagonal_matches_torch(shape, wrap):
    x = np.random.default_rng(0).standard_normal(shape)
    t, d = torch.tensor(x), dpt.tensor(x)
    assert d.fill_diagonal_(2.5, wrap=wrap) is d
    t.fill_diagonal_(2.5, wrap=wrap)
    assert np.array_equal(d.numpy(), t.numpy())


def test_fill_diagonal_non_contiguous_and_dtypes():
    t, d = torch.zeros(3, 7).t(), dpt.zeros(3, 7).t()
    t.fill_diagonal_(1, wrap=True)
    d.fill_diagonal_(1, wrap=True)
    assert np.array_equal(d.numpy(), t.numpy())
    t, d = torch.zeros(6, 6)[::2, 1::2], dpt.zeros(6, 6)[::2, 1::2]
    t.fill_diagonal_(-1)
    d.fill_diagonal_(-1)
    assert np.array_equal(d.numpy(), t.numpy())
    for tdt, ddt, value in [(torch.int64, dpt.int64, 2.7), (torch.bool, dpt.bool, True),
                            (torch.int32, dpt.int32, -3)]:
        t, d = torch.zeros(3, 3, dtype=tdt), dpt.zeros(3, 3, dtype=ddt)
        t.fill_diagonal_(value)
        d.fill_diagonal_(value)
        assert np.array_equal(d.numpy(), t.numpy()) and d.dtype is ddt


def test_fill_diagonal_writes_through_views():
    base = dpt.zeros(4, 4)
    base[1:, 1:].fill_diagonal_(5)
    expect = torch.zeros(4, 4)
    expect[1:, 1:].fill_diagonal_(5)
    assert np.array_equal(base.numpy(), expect.numpy())


def test_fill_diagonal_gradient_matches_torch():
    x = np.random.default_rng(1).standard_normal((4, 3))
    tx, dx = torch.tensor(x, requires_grad=True), dpt.tensor(x, requires_grad=True)
    ty, dy = tx * 2, dx * 2
    ty.fill_diagonal_(0.5, wrap=True)
    dy.fill_diagonal_(0.5, wrap=True)
    w = np.arange(12.0).reshape(4, 3)
    (ty * torch.tensor(w)).sum().backward()
    (dy * dpt.tensor(w)).sum().backward()
    assert np.array_equal(dx.grad.numpy(), tx.grad.numpy())

    def fn(a):
        b = a.clone()
        b.fill_diagonal_(1.0)
        return b * a

    assert dpt.autograd.gradcheck(fn, (dpt.tensor(x, requires_grad=True),))


def test_fill_diagonal_errors_match_torch():
    for shape in [(3,), (), (2, 3, 3)]:
        t = _error(lambda: torch.zeros(shape).fill_diagonal_(1))
        d = _error(lambda: dpt.zeros(shape).fill_diagonal_(1))
        assert t is not None and d == t
    # In-place on a leaf that requires grad is refused (torch words it via its view).
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        dpt.zeros(3, 3, requires_grad=True).fill_diagonal_(1)


# ---- map_ / apply_ ---------------------------------------------------------------------------
def test_apply_matches_torch():
    for tdt, ddt, fn in [(torch.float64, dpt.float64, lambda a: a * a - 1),
                         (torch.float32, dpt.float32, lambda a: a / 3),
                         (torch.int64, dpt.int64, lambda a: a * 2.7),
                         (torch.int32, dpt.int32, lambda a: -a),
                         (torch.bool, dpt.bool, lambda a: not a)]:
        x = np.arange(-3, 3).reshape(2, 3)
        t, d = torch.tensor(x).to(tdt), dpt.tensor(x).to(ddt)
        assert d.apply_(fn) is d
        t.apply_(fn)
        assert np.array_equal(d.numpy(), t.numpy()) and d.dtype is ddt


def test_apply_passes_python_scalars_and_writes_views():
    seen = []
    dpt.arange(3.0).apply_(lambda a: seen.append(type(a)) or a)
    dpt.arange(3).apply_(lambda a: seen.append(type(a)) or a)
    assert seen == [float] * 3 + [int] * 3
    base = dpt.zeros(3, 4)
    base[:, 1].apply_(lambda a: a + 7)
    assert np.array_equal(base.numpy()[:, 1], np.full(3, 7.0))
    assert base.numpy().sum() == 21
    empty = dpt.zeros(0, 2)
    assert empty.apply_(lambda a: a + 1) is empty


def test_map_matches_torch():
    x = np.arange(6.0).reshape(2, 3)
    for other in [np.ones(3) * 0.5, np.arange(6.0).reshape(2, 3), np.array([[2.0], [3.0]])]:
        t, d = torch.tensor(x), dpt.tensor(x)
        assert d.map_(dpt.tensor(other), lambda a, b: a * 10 + b) is d
        t.map_(torch.tensor(other), lambda a, b: a * 10 + b)
        assert np.array_equal(d.numpy(), t.numpy())
    t, d = torch.arange(4), dpt.arange(4)
    t.map_(torch.arange(4), lambda a, b: a * b / 2)
    d.map_(dpt.arange(4), lambda a, b: a * b / 2)
    assert np.array_equal(d.numpy(), t.numpy())


def test_map_apply_errors_match_torch():
    cases = [
        (lambda m: m.zeros(3, requires_grad=True).apply_(lambda a: a)),
        (lambda m: m.zeros(3, requires_grad=True).map_(m.zeros(3), lambda a, b: a)),
        (lambda m: m.zeros(3).map_(m.zeros(3, requires_grad=True), lambda a, b: a)),
        (lambda m: m.zeros(3).map_(m.zeros(2), lambda a, b: a)),
        (lambda m: m.zeros(2, 3).map_(m.zeros(3, 1), lambda a, b: a)),
        (lambda m: m.zeros(3).apply_(lambda a: "x")),
    ]
    for case in cases:
        t, d = _error(lambda: case(torch)), _error(lambda: case(dpt))
        assert t is not None and d == t, (t, d)
    # dtype mismatch: same error, dpt's type names.
    t = _error(lambda: torch.zeros(3, dtype=torch.float64).map_(torch.ones(3), lambda a, b: a))
    d = _error(lambda: dpt.zeros(3, dtype=dpt.float64).map_(dpt.ones(3), lambda a, b: a))
    assert d == (TypeError, t[1].replace("torch.", "dpt."))


# ---- pin_memory / is_pinned / record_stream --------------------------------------------------
@pytest.mark.skipif(not NO_GPU, reason="torch's CPU-only behaviour")
def test_pin_memory_without_accelerator_matches_torch():
    assert torch.zeros(3).is_pinned() is dpt.zeros(3).is_pinned() is False
    assert _error(lambda: dpt.zeros(3).pin_memory()) == _error(lambda: torch.zeros(3).pin_memory())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = _error(lambda: torch.zeros(3).pin_memory("cpu"))
    with pytest.warns(DeprecationWarning, match="argument 'device' of Tensor.pin_memory"):
        d = _error(lambda: dpt.zeros(3).pin_memory("cpu"))
    assert d == t
    with pytest.warns(DeprecationWarning, match="argument 'device' of Tensor.is_pinned"):
        assert dpt.zeros(3).is_pinned("cpu") is False


def test_record_stream_errors_match_torch():
    t = _error(lambda: torch.zeros(3).record_stream(None))
    assert _error(lambda: dpt.zeros(3).record_stream(None)) == t
    assert _error(lambda: dpt.zeros(3).record_stream(1)) == t
    from dpt.cuda import Stream

    stream = Stream.__new__(Stream)  # no GPU needed: a CPU tensor is refused first
    d = _error(lambda: dpt.zeros(3).record_stream(stream))
    t = _error(lambda: torch.zeros(3).record_stream(torch.Stream("cpu")))
    assert d[0] is t[0] is NotImplementedError
    assert d[1] in t[1]


@pytest.mark.skipif(NO_GPU, reason="needs a GPU")
def test_pin_memory_and_record_stream_on_gpu():
    x = dpt.arange(6.0, requires_grad=True)
    p = x.pin_memory()
    assert p.is_pinned() and not x.is_pinned() and p.pin_memory() is p
    assert np.array_equal(p.detach().numpy(), x.detach().numpy())
    p.sum().backward()
    assert np.array_equal(x.grad.numpy(), np.ones(6))
    g = dpt.zeros(3, device="cuda")
    assert g.is_pinned() is False
    with pytest.raises(RuntimeError, match="only dense CPU tensors can be pinned"):
        g.pin_memory()
    s = dpt.cuda.Stream()
    with dpt.cuda.stream(s):
        y = g + 1
    g.record_stream(s)
    s.synchronize()
    assert float(y.sum()) == 3.0


# ---- DataLoader(pin_memory=True) on a CPU-only machine ---------------------------------------
@pytest.mark.skipif(not NO_GPU, reason="torch's CPU-only behaviour")
def test_dataloader_pin_memory_without_accelerator_matches_torch():
    def run(lib):
        data = lib.utils.data
        loader = data.DataLoader(data.TensorDataset(lib.arange(8.0).reshape(4, 2)),
                                 batch_size=2, pin_memory=True)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            made = len(caught)
            batches = [b for _ in range(2) for b in loader]
        return made, [(w.category, str(w.message)) for w in caught], batches

    tmade, twarn, tb = run(torch)
    dmade, dwarn, db = run(dpt)
    assert (dmade, dwarn) == (tmade, twarn)
    assert len(dwarn) == 2  # one per iterator, none at construction
    assert all(not b[0].is_pinned() for b in db)
    assert [b[0].numpy().tolist() for b in db] == [b[0].numpy().tolist() for b in tb]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")  # torch's default: shown once per call site
        loader = dpt.utils.data.DataLoader(dpt.utils.data.TensorDataset(dpt.zeros(4, 1)),
                                           batch_size=2, pin_memory=True)
        for _ in range(3):
            list(loader)
    assert len(caught) == 1


@pytest.mark.skipif(not NO_GPU, reason="torch's CPU-only behaviour")
def test_dataloader_pin_memory_device_is_deprecated_like_torch():
    def messages(lib):
        data = lib.utils.data
        loader = data.DataLoader(data.TensorDataset(lib.zeros(2, 1)), pin_memory=True,
                                 pin_memory_device="cuda")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            list(loader)
        return [str(w.message) for w in caught]

    assert messages(dpt) == messages(torch)
