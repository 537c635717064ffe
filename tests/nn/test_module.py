"""dpt.nn.Module: registration, attribute routing, walking, hooks, state_dict, moves, repr."""
import copy
import pickle
from collections import OrderedDict

import numpy as np
import pytest

import dpt
import dpt.nn as nn
from tests.helpers import assert_close


class TwoLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.L1 = nn.Linear(3, 3)
        self.L2 = nn.Linear(3, 1)

    def forward(self, x):
        return self.L2(self.L1(x))


class WithBuffers(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(2, 2)
        self.register_buffer("running", dpt.zeros(2))
        self.register_buffer("scratch", dpt.ones(2), persistent=False)
        self.register_buffer("count", dpt.tensor(0))

    def forward(self, x):
        return self.lin(x) + self.running


# -- registration and attribute routing ---------------------------------------------------
def test_registration_order_and_dicts():
    m = TwoLayer()
    assert list(m._modules) == ["L1", "L2"]
    assert m._parameters == {} and m._buffers == {}
    assert [n for n, _ in m.named_parameters()] == ["L1.weight", "L1.bias", "L2.weight", "L2.bias"]
    assert [n for n, _ in m.named_children()] == ["L1", "L2"]
    assert [n for n, _ in m.named_modules()] == ["", "L1", "L2"]
    m.add_module("L3", nn.Linear(10, 10))
    assert list(m._modules) == ["L1", "L2", "L3"]
    assert m.L3 is m._modules["L3"]


def test_setattr_routes_values():
    m = nn.Module()
    p = nn.Parameter(dpt.zeros(2))
    m.p = p
    assert m._parameters["p"] is p and "p" not in m.__dict__
    m.sub = nn.Linear(1, 1)
    assert "sub" in m._modules
    m.register_buffer("b", dpt.zeros(1))
    m.b = dpt.ones(1)  # assigning a tensor to a buffer name keeps it a buffer
    assert_close(m._buffers["b"], [1.0])
    m.plain = 3
    assert m.__dict__["plain"] == 3
    # a Parameter replaces a plain attribute, a module replaces a parameter
    m.plain = nn.Parameter(dpt.zeros(1))
    assert "plain" in m._parameters and "plain" not in m.__dict__
    with pytest.raises(TypeError, match="as parameter 'p'"):  # torch refuses this too
        m.p = nn.Linear(1, 1)
    m.p = None
    assert m._parameters["p"] is None
    m.sub = None
    assert m._modules["sub"] is None
    m.b = nn.Buffer(dpt.ones(3), persistent=False)
    assert "b" in m._non_persistent_buffers_set


def test_setattr_errors_match_torch():
    lin = nn.Linear(2, 2)
    with pytest.raises(TypeError, match=r"cannot assign 'dpt.FloatTensor' as parameter 'weight' "
                                        r"\(dpt.nn.Parameter or None expected\)"):
        lin.weight = dpt.zeros(2, 2)
    seq = nn.Sequential(nn.Linear(2, 2))
    with pytest.raises(TypeError, match=r"cannot assign 'int' as child module '0'"):
        setattr(seq, "0", 3)
    m = WithBuffers()
    with pytest.raises(TypeError, match="cannot assign 'str' as buffer 'running'"):
        m.running = "x"

    class Early(nn.Module):
        def __init__(self):
            self.p = nn.Parameter(dpt.zeros(1))

    with pytest.raises(AttributeError, match=r"cannot assign parameters before Module.__init__\(\) call"):
        Early()


def test_register_errors():
    lin = nn.Linear(2, 2)
    with pytest.raises(KeyError, match=r"buffer name can.+t contain"):
        lin.register_buffer("a.b", None)
    with pytest.raises(KeyError, match="attribute 'weight' already exists"):
        lin.register_buffer("weight", None)
    with pytest.raises(TypeError, match="buffer name should be a string"):
        lin.register_buffer(1, None)
    with pytest.raises(TypeError, match="object to buffer 'x'"):
        lin.register_buffer("x", 3)
    with pytest.raises(TypeError, match=r"cannot assign 'dpt.FloatTensor' object to parameter 'x'"):
        lin.register_parameter("x", dpt.zeros(2))
    with pytest.raises(KeyError, match=r"parameter name can.+t be empty"):
        lin.register_parameter("", None)
    with pytest.raises(TypeError, match="int is not a Module subclass"):
        lin.add_module("x", 3)
    with pytest.raises(KeyError, match=r"module name can.+t contain"):
        lin.add_module("a.b", nn.Identity())
    w = nn.Parameter(dpt.ones(2))
    with pytest.raises(ValueError, match="Cannot assign non-leaf Tensor"):
        lin.register_parameter("y", _nonleaf_param(w))
    with pytest.raises(AttributeError, match="'Linear' object has no attribute 'foo'"):
        lin.foo


def _nonleaf_param(w):
    # a Parameter object that is not a graph leaf (grad_fn set), as torch refuses
    out = w * 2
    out.__class__ = nn.Parameter
    return out


def test_delattr():
    m = WithBuffers()
    del m.running
    assert "running" not in m._buffers
    del m.scratch
    assert "scratch" not in m._non_persistent_buffers_set
    del m.lin
    assert "lin" not in m._modules
    m.x = 1
    del m.x
    assert not hasattr(m, "x")
    lin = nn.Linear(1, 1)
    del lin.bias
    assert [n for n, _ in lin.named_parameters()] == ["weight"]


def test_dir_lists_members():
    m = WithBuffers()
    d = dir(m)
    assert "lin" in d and "running" in d and "forward" in d and "training" in d
    assert "0" not in dir(nn.Sequential(nn.Identity()))


# -- walking ---------------------------------------------------------------------------------
def test_shared_parameters_deduplicated():
    m = nn.Module()
    m.a = nn.Linear(2, 2)
    m.b = nn.Linear(2, 2)
    m.b.weight = m.a.weight
    names = [n for n, _ in m.named_parameters()]
    assert names == ["a.weight", "a.bias", "b.bias"]
    assert len(list(m.named_parameters(remove_duplicate=False))) == 4
    assert [n for n, _ in m.named_parameters(prefix="net")] == ["net.a.weight", "net.a.bias",
                                                                "net.b.bias"]
    assert list(m.parameters(recurse=False)) == []
    m.c = m.a  # a module registered twice appears once
    assert [n for n, _ in m.named_modules()] == ["", "a", "b"]
    assert len(list(m.named_modules(remove_duplicate=False))) == 4
    assert len(list(m.children())) == 2


def test_buffers_and_get_submodule():
    net = nn.Sequential(WithBuffers(), nn.Linear(2, 1))
    assert [n for n, _ in net.named_buffers()] == ["0.running", "0.scratch", "0.count"]
    assert net.get_submodule("0.lin") is net[0].lin
    assert net.get_submodule("") is net
    assert net.get_parameter("1.bias") is net[1].bias
    assert net.get_buffer("0.running") is net[0].running
    with pytest.raises(AttributeError, match="Linear has no attribute `foo`"):
        net.get_submodule("0.lin.foo")
    with pytest.raises(AttributeError, match="`in_features` is not an nn.Parameter"):
        net.get_parameter("1.in_features")
    with pytest.raises(AttributeError, match="`weight` is not a buffer"):
        net.get_buffer("1.weight")
    with pytest.raises(AttributeError, match="`running` is not an nn.Module"):
        net.get_submodule("0.running")
    net.set_submodule("0.lin", nn.Identity())
    assert isinstance(net[0].lin, nn.Identity)


def test_apply_fills_linear_weights_tutorial():
    """The reference tutorial: apply visits children first, then the module itself."""
    model = TwoLayer()
    seen = []

    def fn(m):
        seen.append(type(m).__name__)
        if isinstance(m, nn.Linear):
            m.weight.data.fill_(1)
            m.bias.data.fill_(0)

    assert model.apply(fn) is model
    assert seen == ["Linear", "Linear", "TwoLayer"]
    for name, p in model.named_parameters():
        assert_close(p, np.ones(p.shape) if name.endswith("weight") else np.zeros(p.shape))
    assert "Parameter containing:\ntensor([[1., 1., 1.]" in repr(list(model.parameters())[0])


# -- modes and gradients ------------------------------------------------------------------
def test_train_eval_and_requires_grad():
    m = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.Linear(2, 2)))
    assert m.training and m[1][0].training
    assert m.eval() is m
    assert not any(sub.training for sub in m.modules())
    m.train()
    assert all(sub.training for sub in m.modules())
    with pytest.raises(ValueError, match="training mode is expected to be boolean"):
        m.train("yes")
    m.requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())


def test_zero_grad():
    m = TwoLayer()
    m(dpt.ones(2, 3)).sum().backward()
    m.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.any().item() for p in m.parameters())
    m(dpt.ones(2, 3)).sum().backward()
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())


def test_missing_forward():
    with pytest.raises(NotImplementedError, match=r'Module \[Module\] is missing the required "forward"'):
        nn.Module()(1)


def test_global_forward_hooks_and_missing_super_init():
    from dpt.nn.modules.module import register_module_forward_hook, register_module_forward_pre_hook

    seen = []
    h1 = register_module_forward_pre_hook(lambda m, args: seen.append(("pre", type(m).__name__)))
    h2 = register_module_forward_hook(lambda m, args, out: seen.append(("post", type(m).__name__)))
    nn.Sequential(nn.Identity())(dpt.zeros(1))
    h1.remove()
    h2.remove()
    nn.Identity()(dpt.zeros(1))
    assert seen == [("pre", "Sequential"), ("pre", "Identity"), ("post", "Identity"),
                    ("post", "Sequential")]

    class NoSuper(nn.Module):
        def __init__(self):
            pass

        def forward(self, x):
            return x

    with pytest.raises(AttributeError, match="super"):
        NoSuper()(1)


def test_to_empty_keeps_parameters():
    lin = nn.Linear(2, 3)
    w = lin.weight
    assert lin.to_empty(device="cpu") is lin and lin.weight is w and w.shape == (3, 2)


def test_init_rejects_arguments():
    with pytest.raises(TypeError, match="unexpected keyword argument 'x'"):
        nn.Module(x=1)


# -- hooks --------------------------------------------------------------------------------
def test_forward_hooks_and_removal():
    lin = nn.Linear(2, 2)
    calls = []
    h1 = lin.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
    h2 = lin.register_forward_hook(lambda m, args, out: calls.append(out.shape) or out + 1)
    out = lin(dpt.ones(1, 2))
    assert_close(out, (lin.bias + 1).detach().numpy()[None])
    assert calls == [dpt.Size([1, 2])]
    h1.remove()
    h2.remove()
    assert_close(lin(dpt.zeros(1, 2)), lin.bias.detach().numpy()[None])


def test_forward_hooks_with_kwargs_prepend_and_always_call():
    class Scale(nn.Module):
        def forward(self, x, scale=1.0):
            if scale < 0:
                raise ValueError("negative")
            return x * scale

    m = Scale()
    order = []
    m.register_forward_pre_hook(lambda mod, args, kwargs: (args, {"scale": 3.0}), with_kwargs=True)
    m.register_forward_hook(lambda mod, args, out: order.append("second"))
    m.register_forward_hook(lambda mod, args, out: order.append("first"), prepend=True)
    m.register_forward_hook(lambda mod, args, kwargs, out: out + kwargs["scale"], with_kwargs=True)
    assert_close(m(dpt.ones(1)), [6.0])
    assert order == ["first", "second"]

    failing = Scale()
    seen = []
    failing.register_forward_hook(lambda mod, args, out: seen.append(out), always_call=True)
    with pytest.raises(ValueError, match="negative"):
        failing(dpt.ones(1), scale=-1.0)
    assert seen == [None]


def test_full_backward_hook_grad_input_and_output():
    lin = nn.Linear(3, 2).double()
    with dpt.no_grad():
        lin.weight.copy_(dpt.tensor(np.arange(6.0).reshape(2, 3) / 10))
    record = {}

    def hook(mod, grad_input, grad_output):
        record["gi"] = None if grad_input[0] is None else grad_input[0].numpy().copy()
        record["go"] = grad_output[0].numpy().copy()
        return None if grad_input[0] is None else (grad_input[0] * 10,)

    pre = []
    handle = lin.register_full_backward_hook(hook)
    lin.register_full_backward_pre_hook(lambda mod, go: pre.append(len(go)))
    x = dpt.ones(2, 3, dtype=dpt.float64, requires_grad=True)
    weights = np.array([[1.0, 2.0], [3.0, 4.0]])
    (lin(x) * dpt.tensor(weights)).sum().backward()
    w = np.arange(6.0).reshape(2, 3) / 10
    np.testing.assert_allclose(record["go"], weights)
    np.testing.assert_allclose(record["gi"], weights @ w)
    assert_close(x.grad, 10 * weights @ w)  # the hook's replacement reached x
    assert pre == [1]
    # no input requires grad: the hook still fires, with grad_input = (None,)
    record.clear()
    lin(dpt.ones(1, 3, dtype=dpt.float64)).sum().backward()
    assert record["go"].shape == (1, 2) and record["gi"] is None
    handle.remove()


def test_state_dict_hooks():
    lin = nn.Linear(1, 1)
    lin._register_state_dict_hook(lambda m, sd, prefix, meta: sd.__setitem__(prefix + "extra", 1))
    assert "extra" in lin.state_dict()
    seen = []
    lin2 = nn.Linear(1, 1)
    lin2.register_load_state_dict_post_hook(lambda m, keys: seen.append(tuple(keys.missing_keys)))
    lin2.load_state_dict({"weight": dpt.ones(1, 1)}, strict=False)
    assert seen == [("bias",)]


# -- state_dict / load_state_dict ---------------------------------------------------------
def test_state_dict_layout():
    m = nn.Sequential(WithBuffers(), nn.Linear(2, 1))
    sd = m.state_dict()
    assert isinstance(sd, OrderedDict)
    assert list(sd) == ["0.running", "0.count", "0.lin.weight", "0.lin.bias", "1.weight", "1.bias"]
    assert not sd["1.weight"].requires_grad and not isinstance(sd["1.weight"], nn.Parameter)
    assert np.shares_memory(sd["1.weight"].numpy(), m[1].weight.detach().numpy())
    assert isinstance(m.state_dict(keep_vars=True)["1.weight"], nn.Parameter)
    assert list(m.state_dict(prefix="model.")) [0] == "model.0.running"
    assert sd._metadata[""] == {"version": 1} and "0.lin" in sd._metadata


def test_load_state_dict_tutorial_and_copy():
    model = TwoLayer()
    other = TwoLayer()
    result = model.load_state_dict(other.state_dict())
    assert repr(result) == "<All keys matched successfully>"
    assert result.missing_keys == [] and result.unexpected_keys == []
    for (n, a), (_, b) in zip(model.named_parameters(), other.named_parameters()):
        assert_close(a, b.detach().numpy())
        assert a is not b  # copied into the existing parameters


def test_load_state_dict_errors():
    model = TwoLayer()
    sd = model.state_dict()
    sd.pop("L1.bias")
    sd["foo"] = dpt.zeros(1)
    sd["L2.weight"] = dpt.zeros(2, 3)
    with pytest.raises(RuntimeError) as info:
        model.load_state_dict(sd)
    msg = str(info.value)
    assert msg.startswith("Error(s) in loading state_dict for TwoLayer:\n\t"
                          'Missing key(s) in state_dict: "L1.bias". \n\t'
                          'Unexpected key(s) in state_dict: "foo". \n\t')
    assert ("size mismatch for L2.weight: copying a param with shape dpt.Size([2, 3]) from "
            "checkpoint, the shape in current model is dpt.Size([1, 3]).") in msg
    sd["L2.weight"] = dpt.zeros(1, 3)
    keys = model.load_state_dict(sd, strict=False)
    assert keys.missing_keys == ["L1.bias"] and keys.unexpected_keys == ["foo"]
    assert_close(model.L2.weight, np.zeros((1, 3)))
    with pytest.raises(TypeError, match="Expected state_dict to be dict-like"):
        model.load_state_dict([1, 2])


def test_load_state_dict_buffers_dtype_and_assign():
    m = WithBuffers()
    sd = {k: v.clone() for k, v in m.state_dict().items()}
    sd["running"] = dpt.tensor([1.0, 2.0], dtype=dpt.float64)  # cast on copy
    m.load_state_dict(sd)
    assert m.running.dtype == dpt.float32
    assert_close(m.running, [1.0, 2.0])
    w = dpt.ones(2, 2)
    m.load_state_dict({**sd, "lin.weight": w}, assign=True)
    assert isinstance(m.lin.weight, nn.Parameter) and m.lin.weight.requires_grad
    assert np.shares_memory(m.lin.weight.detach().numpy(), w.numpy())


def test_extra_state_roundtrip():
    class Counter(nn.Module):
        def __init__(self):
            super().__init__()
            self.n = 0

        def get_extra_state(self):
            return {"n": self.n}

        def set_extra_state(self, state):
            self.n = state["n"]

    a, b = Counter(), Counter()
    a.n = 7
    sd = a.state_dict()
    assert sd["_extra_state"] == {"n": 7}
    b.load_state_dict(sd)
    assert b.n == 7
    with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "_extra_state"'):
        b.load_state_dict({})


# -- moves ---------------------------------------------------------------------------------
def test_double_float_and_to_keep_parameter_objects():
    m = TwoLayer()
    m(dpt.ones(1, 3)).sum().backward()
    w = m.L1.weight
    assert m.double() is m
    assert m.L1.weight is w and w.dtype == dpt.float64 and w.grad.dtype == dpt.float64
    out = m(dpt.rand(1, 1).double().expand(1, 3))  # the tutorial: model.double()(a)
    assert out.dtype == dpt.float64
    m.to(dpt.float32)
    assert w.dtype == dpt.float32
    m.to(device="cpu", dtype=dpt.float64)
    assert w.dtype == dpt.float64
    m.to(dpt.zeros(1, dtype=dpt.float32))
    assert w.dtype == dpt.float32
    m.half()
    assert w.dtype == dpt.float16
    m.float()
    with pytest.raises(TypeError, match="nn.Module.to only accepts floating point or complex dtypes"):
        m.to(dpt.int64)


def test_to_leaves_integer_buffers_and_type_casts_all():
    m = WithBuffers()
    m.double()
    assert m.count.dtype == dpt.int64 and m.running.dtype == dpt.float64
    m.type(dpt.float32)
    assert m.count.dtype == dpt.float32 and m.lin.weight.dtype == dpt.float32
    assert m.cpu() is m


def test_apply_custom_fn():
    m = nn.Linear(2, 2)
    m._apply(lambda t: t * 0)
    assert_close(m.weight, np.zeros((2, 2)))


@pytest.mark.cuda
def test_cuda_moves_parameters_and_back():
    m = TwoLayer()
    w = m.L1.weight
    m.cuda()
    assert w.is_cuda and m.L1.weight is w
    out = m(dpt.ones(2, 3, device="cuda"))
    assert out.is_cuda
    m.to("cpu")
    assert w.is_cpu


def test_to_device_roundtrip(device):
    m = WithBuffers().to(device)
    assert m.lin.weight.device.type == device.split(":")[0] and m.running.device.type == device.split(":")[0]
    assert m(dpt.ones(1, 2, device=device)).shape == (1, 2)


# -- copying, pickling, printing ------------------------------------------------------------
def test_deepcopy_and_pickle():
    m = WithBuffers()
    m2 = copy.deepcopy(m)
    assert m2.lin.weight is not m.lin.weight and isinstance(m2.lin.weight, nn.Parameter)
    assert_close(m2.lin.weight, m.lin.weight.detach().numpy())
    assert m2._non_persistent_buffers_set == {"scratch"}
    m3 = pickle.loads(pickle.dumps(m))
    assert isinstance(m3.lin.bias, nn.Parameter) and m3.lin.bias.requires_grad
    assert_close(m3(dpt.ones(1, 2)), m(dpt.ones(1, 2)).detach().numpy())


def test_repr_layout():
    m = TwoLayer()
    assert repr(m) == ("TwoLayer(\n"
                       "  (L1): Linear(in_features=3, out_features=3, bias=True)\n"
                       "  (L2): Linear(in_features=3, out_features=1, bias=True)\n"
                       ")")

    class WithExtra(nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = nn.Sequential(nn.Linear(1, 2, bias=False))

        def extra_repr(self):
            return "a=1"

    assert repr(WithExtra()) == ("WithExtra(\n"
                                 "  a=1\n"
                                 "  (inner): Sequential(\n"
                                 "    (0): Linear(in_features=1, out_features=2, bias=False)\n"
                                 "  )\n"
                                 ")")
    assert repr(nn.Module()) == "Module()"


def test_parameter_basics():
    p = nn.Parameter(dpt.zeros(2))
    assert p.requires_grad and isinstance(p, dpt.Tensor)
    assert repr(p) == "Parameter containing:\ntensor([0., 0.], requires_grad=True)"
    q = nn.Parameter(dpt.zeros(2), requires_grad=False)
    assert not q.requires_grad
    assert nn.Parameter().shape == (0,)
    data = dpt.ones(3)
    assert np.shares_memory(nn.Parameter(data).detach().numpy(), data.numpy())
    c = copy.deepcopy(p)
    assert isinstance(c, nn.Parameter) and c.requires_grad
    r = pickle.loads(pickle.dumps(q))
    assert isinstance(r, nn.Parameter) and not r.requires_grad
    with pytest.raises(RuntimeError, match="floating point"):
        nn.Parameter(dpt.tensor([1, 2]))
    assert not nn.Parameter(dpt.tensor([1, 2]), requires_grad=False).requires_grad


def test_named_parameters_keys_and_sgd_step_tutorial():
    """The tutorial's SGD check: new = old - lr * grad."""
    model = TwoLayer()
    old = {n: p.detach().numpy().copy() for n, p in model.named_parameters()}
    opt = dpt.optim.SGD(model.parameters(), lr=2)
    model(dpt.rand(1, 3)).sum().backward()
    opt.step()
    for n, p in model.named_parameters():
        assert_close(p, old[n] - 2 * p.grad.numpy())
