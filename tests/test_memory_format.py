"""dpt/_memory_format.py: memory formats and layouts give torch's strides and answers."""
import pickle

import numpy as np
import pytest

import dpt
from tests.helpers import check_gradients, randn

torch = pytest.importorskip("torch")


def _pair(shape, make=None):
    a = np.arange(float(np.prod(shape))).reshape(shape)
    return dpt.tensor(a), torch.tensor(a)


VIEWS = [
    ("plain", lambda t, m: t),
    ("permuted_nhwc", lambda t, m: t.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2)),
    ("transposed", lambda t, m: t.transpose(2, 3)),
    ("sliced", lambda t, m: t[:, :, ::2]),
    ("one_channel", lambda t, m: t[:, :1]),
    ("one_spatial", lambda t, m: t[:, :, :1, :1]),
    ("empty", lambda t, m: t[:0]),
]


@pytest.mark.parametrize("name,view", VIEWS, ids=[v[0] for v in VIEWS])
def test_is_contiguous_answers_like_torch(name, view):
    d, t = _pair((2, 3, 4, 5))
    dv, tv = view(d, dpt), view(t, torch)
    assert dv.stride() == tv.stride()
    for dfmt, tfmt in [(dpt.contiguous_format, torch.contiguous_format),
                       (dpt.channels_last, torch.channels_last),
                       (dpt.channels_last_3d, torch.channels_last_3d),
                       (dpt.preserve_format, torch.preserve_format)]:
        assert dv.is_contiguous(memory_format=dfmt) == tv.is_contiguous(memory_format=tfmt), dfmt
    assert dv.is_contiguous() == tv.is_contiguous()


@pytest.mark.parametrize("name,view", VIEWS, ids=[v[0] for v in VIEWS])
def test_conversions_give_torch_strides(name, view):
    d, t = _pair((2, 3, 4, 5))
    dv, tv = view(d, dpt), view(t, torch)
    pairs = [
        (dv.contiguous(memory_format=dpt.channels_last),
         tv.contiguous(memory_format=torch.channels_last)),
        (dv.contiguous(), tv.contiguous()),
        (dv.clone(), tv.clone()),
        (dv.clone(memory_format=dpt.channels_last), tv.clone(memory_format=torch.channels_last)),
        (dv.clone(memory_format=dpt.contiguous_format),
         tv.clone(memory_format=torch.contiguous_format)),
        (dv.to(memory_format=dpt.channels_last), tv.to(memory_format=torch.channels_last)),
        (dv.to(dpt.float32), tv.to(torch.float32)),
        (dpt.empty_like(dv), torch.empty_like(tv)),
        (dpt.zeros_like(dv, memory_format=dpt.channels_last),
         torch.zeros_like(tv, memory_format=torch.channels_last)),
        (dpt.ones_like(dv, memory_format=dpt.contiguous_format),
         torch.ones_like(tv, memory_format=torch.contiguous_format)),
        (dpt.full_like(dv, 2.0), torch.full_like(tv, 2.0)),
    ]
    for i, (a, b) in enumerate(pairs):
        assert tuple(a.shape) == tuple(b.shape)
        if a.numel():
            assert a.stride() == b.stride(), (i, a.stride(), b.stride())
    for a, b in pairs[:7]:
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_contiguous_returns_self_when_already_in_format():
    x = dpt.randn(2, 3, 4, 5).contiguous(memory_format=dpt.channels_last)
    assert x.contiguous(memory_format=dpt.channels_last) is x
    assert x.to(memory_format=dpt.channels_last) is x
    y = x.contiguous()
    assert y is not x and y.is_contiguous()
    assert not y.is_contiguous(memory_format=dpt.channels_last)


def test_creation_with_memory_format():
    for shape, dfmt, tfmt in [((2, 3, 4, 5), dpt.channels_last, torch.channels_last),
                              ((2, 3, 4, 5, 6), dpt.channels_last_3d, torch.channels_last_3d),
                              ((2, 3), dpt.contiguous_format, torch.contiguous_format)]:
        a = dpt.empty(*shape, memory_format=dfmt)
        b = torch.empty(*shape, memory_format=tfmt)
        assert a.stride() == b.stride() and a.is_contiguous(memory_format=dfmt)
        assert float(a.abs().sum()) == 0.0  # dpt's empty is zeroed


def test_memory_format_errors_match_torch():
    x2 = dpt.randn(2, 3)
    for fn in [lambda: x2.contiguous(memory_format=dpt.channels_last),
               lambda: x2.clone(memory_format=dpt.channels_last_3d),
               lambda: x2.to(memory_format=dpt.channels_last),
               lambda: dpt.empty(2, 3, memory_format=dpt.channels_last),
               lambda: dpt.empty_like(x2, memory_format=dpt.channels_last)]:
        with pytest.raises(RuntimeError, match="required rank"):
            fn()
    with pytest.raises(RuntimeError, match="unsupported memory format Preserve"):
        dpt.empty(2, 3, memory_format=dpt.preserve_format)
    with pytest.raises(TypeError, match="memory_format"):
        x2.contiguous(memory_format="channels_last")
    with pytest.raises(TypeError, match="layout"):
        dpt.zeros(2, layout=3)
    with pytest.raises(TypeError, match="cannot create"):
        dpt.memory_format()
    assert not x2.is_contiguous(memory_format=dpt.channels_last)


def test_layout_and_format_objects():
    assert repr(dpt.channels_last) == "dpt.channels_last" and repr(dpt.strided) == "dpt.strided"
    assert isinstance(dpt.preserve_format, dpt.memory_format)
    assert isinstance(dpt.strided, dpt.layout)
    assert dpt.randn(2).layout is dpt.strided
    assert repr(dpt.legacy_contiguous_format) == "dpt.contiguous_format"  # an alias, as torch's
    for obj in (dpt.channels_last, dpt.contiguous_format, dpt.strided):
        assert pickle.loads(pickle.dumps(obj)) is obj
    assert dpt.zeros(2, layout=dpt.strided).layout is dpt.strided
    assert dpt.ones_like(dpt.ones(2), layout=dpt.strided).shape == (2,)


def test_formats_keep_values_and_gradients():
    a = randn(2, 3, 4, 5)

    def f(x):
        y = x.contiguous(memory_format=dpt.channels_last) * 2
        return y.clone(memory_format=dpt.contiguous_format).to(memory_format=dpt.channels_last)

    check_gradients(f, a, gradgrad=True)
    x = dpt.tensor(a, requires_grad=True)
    f(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full(a.shape, 2.0))


def test_dtype_shorthands_take_memory_format():
    d, t = _pair((2, 3, 4, 5))
    for name in ("float", "double", "half", "long", "int", "bool"):
        got = getattr(d, name)(memory_format=dpt.channels_last)
        want = getattr(t, name)(memory_format=torch.channels_last)
        assert got.stride() == want.stride() and got.tolist() == want.tolist()
    assert d.double() is d  # nothing to change: self, as to() gives


@pytest.mark.parametrize("make", [
    lambda layout: dpt.arange(3, layout=layout), lambda layout: dpt.eye(2, layout=layout),
    lambda layout: dpt.linspace(0, 1, 3, layout=layout),
    lambda layout: dpt.empty_strided((2,), (1,), layout=layout),
    lambda layout: dpt.tril_indices(3, 3, layout=layout),
    lambda layout: dpt.full((2,), 1.0, layout=layout)])
def test_creation_functions_check_layout(make):
    assert make(dpt.strided).layout is dpt.strided
    assert make(None).layout is dpt.strided
    with pytest.raises(TypeError, match="argument 'layout' must be dpt.layout"):
        make("strided")


@pytest.mark.cuda
def test_memory_formats_on_a_gpu():
    """The same strides on a GPU (a real one, or the CuPy stand-in under DPT_CUDA_STANDIN=1)."""
    if not dpt.cuda.is_available():
        pytest.skip("no CUDA device (set DPT_CUDA_STANDIN=1 for the stand-in)")
    x = dpt.arange(120.0, device="cuda").reshape(2, 3, 4, 5)
    y = x.contiguous(memory_format=dpt.channels_last)
    assert y.stride() == (60, 1, 15, 3) and y.device.type == "cuda"
    assert y.is_contiguous(memory_format=dpt.channels_last) and not y.is_contiguous()
    assert y.clone().stride() == (60, 1, 15, 3)
    assert dpt.empty_like(y).stride() == (60, 1, 15, 3)
    assert x.cpu().to("cuda", memory_format=dpt.channels_last).stride() == (60, 1, 15, 3)
    assert y.to(dpt.float64).stride() == (60, 1, 15, 3)
    assert dpt.empty(2, 3, 4, 5, device="cuda", memory_format=dpt.channels_last).stride() == \
        (60, 1, 15, 3)
    np.testing.assert_array_equal(y.cpu().numpy(), x.cpu().numpy())


@pytest.mark.parametrize("fn", ["rand_like", "randint_like"])
def test_random_like_fills_memory_in_torchs_order(fn):
    args = (10,) if fn == "randint_like" else ()
    cases = [
        (dpt.empty(2, 3, 4, 5).contiguous(memory_format=dpt.channels_last),
         torch.empty(2, 3, 4, 5).contiguous(memory_format=torch.channels_last), {}, {}),
        (dpt.empty(3, 4).t(), torch.empty(3, 4).t(), {}, {}),
        (dpt.empty(2, 3, 4, 5), torch.empty(2, 3, 4, 5),
         {"memory_format": dpt.channels_last}, {"memory_format": torch.channels_last}),
        (dpt.empty(3, 4).t(), torch.empty(3, 4).t(),
         {"memory_format": dpt.contiguous_format}, {"memory_format": torch.contiguous_format}),
    ]
    for d, t, dkw, tkw in cases:
        dpt.manual_seed(3)
        torch.manual_seed(3)
        got = getattr(dpt, fn)(d, *args, **dkw)
        want = getattr(torch, fn)(t, *args, **tkw)
        assert got.stride() == want.stride()
        np.testing.assert_array_equal(got.numpy(), want.numpy())
    x = dpt.randn_like(cases[0][0], requires_grad=True)
    assert x.is_leaf and x.requires_grad and x.stride() == (60, 1, 15, 3)
    with pytest.raises(TypeError, match="layout"):
        dpt.rand_like(dpt.ones(2), layout="strided")
    with pytest.raises(RuntimeError, match="required rank"):
        dpt.randn_like(dpt.ones(2), memory_format=dpt.channels_last)
