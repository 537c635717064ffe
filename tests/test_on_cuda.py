"""The core suites on 'cuda' and 'cuda:1', against the CPU: ops forward and backward,
optimizers, DataLoader(pin_memory=True), save/load with map_location, DataParallel over two
devices, distributions and the DDP example's --device cuda branch. Every test here is marked
``cuda`` (the second device also ``multi_gpu``); with DPT_CUDA_STANDIN=1 they run on the strict
CuPy stand-in, on a GPU machine for real."""
import os
import subprocess
import sys

import numpy as np
import pytest

import dpt
import dpt.nn.functional as F
from dpt import nn

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(params=[pytest.param("cuda", marks=pytest.mark.cuda),
                        pytest.param("cuda:1", marks=[pytest.mark.cuda, pytest.mark.multi_gpu])])
def gpu(request):
    return request.param


def D(name):
    """The device a tensor made with device=name reports ('cuda' means the current GPU, 0)."""
    return dpt.device(name if ":" in name else name + ":0")


def host(t):
    return t.detach().cpu().numpy()


def _pair(arrays, gpu, requires_grad=True):
    cpu = [dpt.tensor(a, dtype=dpt.float64, requires_grad=requires_grad) for a in arrays]
    dev = [dpt.tensor(a, dtype=dpt.float64, device=gpu, requires_grad=requires_grad)
           for a in arrays]
    return cpu, dev


def _rng(*shape, seed=0, positive=False):
    a = np.random.default_rng(seed).standard_normal(shape)
    return np.abs(a) + 0.5 if positive else a


UNARY = ["abs", "neg", "exp", "expm1", "log1p", "sin", "cos", "tan", "tanh", "sigmoid", "atan",
         "asinh", "erf", "erfc", "relu", "sign", "square", "floor", "ceil", "round", "trunc",
         "frac", "softplus:F", "gelu:F", "silu:F", "elu:F", "leaky_relu:F", "hardtanh:F",
         "log_softmax:F", "softmax:F", "lgamma", "digamma"]
POSITIVE = ["log", "sqrt", "rsqrt", "reciprocal", "log2", "log10"]


def _fn(name):
    if name.endswith(":F"):
        f = getattr(F, name[:-2])
        return (lambda x: f(x, dim=-1)) if name[:-2] in ("softmax", "log_softmax") else f
    return getattr(dpt, name)


@pytest.mark.parametrize("name", UNARY + POSITIVE)
def test_unary_forward_and_backward_match_cpu(gpu, name):
    a = _rng(3, 4, positive=name in POSITIVE)
    (c,), (g,) = _pair([a], gpu)
    fc, fg = _fn(name)(c), _fn(name)(g)
    assert fg.device == D(gpu)
    np.testing.assert_allclose(host(fg), host(fc), rtol=1e-10, atol=1e-12)
    fc.sum().backward()
    fg.sum().backward()
    assert g.grad.device == D(gpu)
    np.testing.assert_allclose(host(g.grad), host(c.grad), rtol=1e-10, atol=1e-12)


BINARY = ["add", "sub", "mul", "div", "maximum", "minimum", "atan2", "pow", "hypot", "fmod",
          "remainder", "matmul"]


@pytest.mark.parametrize("name", BINARY)
def test_binary_forward_and_backward_match_cpu(gpu, name):
    a, b = _rng(3, 4), _rng(4, 4, seed=1) if name == "matmul" else _rng(1, 4, seed=1)
    if name == "pow":
        a = np.abs(a) + 0.5
    (ca, cb), (ga, gb) = _pair([a, b], gpu)
    fc, fg = getattr(dpt, name)(ca, cb), getattr(dpt, name)(ga, gb)
    np.testing.assert_allclose(host(fg), host(fc), rtol=1e-10, atol=1e-12)
    fc.sum().backward()
    fg.sum().backward()
    for c, g in ((ca, ga), (cb, gb)):
        np.testing.assert_allclose(host(g.grad), host(c.grad), rtol=1e-10, atol=1e-12)


REDUCTIONS = [("sum", {"dim": 1}), ("mean", {"dim": 0}), ("prod", {"dim": 1}),
              ("std", {"dim": 1}), ("var", {"dim": 0}), ("logsumexp", {"dim": 1}),
              ("norm", {}), ("cumsum", {"dim": 1}), ("cumprod", {"dim": 0}),
              ("amax", {"dim": 1}), ("amin", {"dim": 0})]


@pytest.mark.parametrize("name,kw", REDUCTIONS, ids=[r[0] for r in REDUCTIONS])
def test_reductions_match_cpu(gpu, name, kw):
    (c,), (g,) = _pair([_rng(3, 4)], gpu)
    fc, fg = getattr(dpt, name)(c, **kw), getattr(dpt, name)(g, **kw)
    np.testing.assert_allclose(host(fg), host(fc), rtol=1e-10, atol=1e-12)
    fc.sum().backward()
    fg.sum().backward()
    np.testing.assert_allclose(host(g.grad), host(c.grad), rtol=1e-10, atol=1e-12)


def test_reduction_to_python_scalars(gpu):
    t = dpt.arange(6, dtype=dpt.float32, device=gpu)
    assert t.sum().item() == 15.0 and float(t.max()) == 5.0 and int(t.argmax()) == 5
    assert bool((t > 2).any()) and t.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]


def test_conv_pool_norm_layers_match_cpu(gpu):
    dpt.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.BatchNorm2d(3), nn.ReLU(),
                          nn.MaxPool2d(2), nn.Conv2d(3, 2, 3), nn.AdaptiveAvgPool2d(1),
                          nn.Flatten(), nn.LayerNorm(2), nn.Linear(2, 2)).double()
    import copy
    dev = copy.deepcopy(model).to(gpu)
    x = _rng(2, 2, 8, 8)
    yc = model(dpt.tensor(x))
    yg = dev(dpt.tensor(x, device=gpu))
    np.testing.assert_allclose(host(yg), host(yc), rtol=1e-9, atol=1e-10)
    yc.square().sum().backward()
    yg.square().sum().backward()
    for (n, pc), pg in zip(model.named_parameters(), dev.parameters()):
        assert pg.grad.device == D(gpu), n
        np.testing.assert_allclose(host(pg.grad), host(pc.grad), rtol=1e-8, atol=1e-10, err_msg=n)


def test_embedding_and_cross_entropy_match_cpu(gpu):
    dpt.manual_seed(0)
    emb = nn.Embedding(10, 4).double()
    import copy
    emb_g = copy.deepcopy(emb).to(gpu)
    idx = np.array([[1, 2, 2], [0, 9, 1]])
    target = np.array([1, 3])
    lc = F.cross_entropy(emb(dpt.tensor(idx)).sum(1), dpt.tensor(target))
    lg = F.cross_entropy(emb_g(dpt.tensor(idx, device=gpu)).sum(1), dpt.tensor(target, device=gpu))
    np.testing.assert_allclose(host(lg), host(lc), rtol=1e-12)
    lc.backward()
    lg.backward()
    np.testing.assert_allclose(host(emb_g.weight.grad), host(emb.weight.grad), rtol=1e-12)


def test_higher_order_grad(gpu):
    (c,), (g,) = _pair([_rng(5)], gpu)
    for t in (c, g):
        (d1,) = dpt.autograd.grad((t ** 3).sum(), t, create_graph=True)
        (d2,) = dpt.autograd.grad(d1.sum(), t)
        t.d2 = host(d2)
    np.testing.assert_allclose(g.d2, c.d2, rtol=1e-12)


@pytest.mark.parametrize("opt", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"])
def test_optimizer_steps_match_cpu(gpu, opt):
    kw = {"lr": 0.1, "momentum": 0.9} if opt == "SGD" else {"lr": 0.01}
    (c,), (g,) = _pair([_rng(4, 3)], gpu)
    oc, og = getattr(dpt.optim, opt)([c], **kw), getattr(dpt.optim, opt)([g], **kw)
    for _ in range(3):
        for t, o in ((c, oc), (g, og)):
            o.zero_grad()
            (t.sin() * t).sum().backward()
            o.step()
    assert g.device == D(gpu)
    np.testing.assert_allclose(host(g), host(c), rtol=1e-10, atol=1e-12)


def test_dataloader_pin_memory_then_to_device(gpu):
    ds = dpt.utils.data.TensorDataset(dpt.arange(12.0).reshape(6, 2), dpt.arange(6))
    loader = dpt.utils.data.DataLoader(ds, batch_size=4, pin_memory=True)
    seen = []
    for x, y in loader:
        assert x.is_cpu and x.is_pinned()
        x, y = x.to(gpu, non_blocking=True), y.to(gpu)
        assert x.device == D(gpu)
        seen.append(host(x))
    np.testing.assert_array_equal(np.concatenate(seen), np.arange(12.0).reshape(6, 2))


def test_save_load_with_map_location(gpu, tmp_path):
    path = str(tmp_path / "t.pt")
    t = dpt.arange(6.0, device=gpu).reshape(2, 3)
    lin = nn.Linear(3, 2).to(gpu)
    dpt.save({"t": t, "sd": lin.state_dict()}, path)
    same = dpt.load(path)
    assert same["t"].device == D(gpu)
    for loc in ("cpu", "cuda:0", "cuda:1", {gpu: "cpu"}, lambda s, l: s):
        back = dpt.load(path, map_location=loc)
        np.testing.assert_array_equal(host(back["t"]), host(t))
    back = dpt.load(path, map_location="cpu")
    assert dpt.load(path, map_location="cpu")["t"].is_cpu
    assert dpt.load(path, map_location="cuda:1")["t"].device == dpt.device("cuda:1")
    lin2 = nn.Linear(3, 2)
    lin2.load_state_dict(back["sd"])  # a GPU state_dict into a CPU module
    np.testing.assert_array_equal(host(lin2.weight), host(lin.weight))
    dpt.save(dpt.ones(2), path)
    assert dpt.load(path, map_location=gpu).device == D(gpu)


@pytest.mark.cuda
@pytest.mark.multi_gpu
def test_data_parallel_over_two_devices_matches_one():
    dpt.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2)).double()
    import copy
    ref = copy.deepcopy(model)
    dp = nn.DataParallel(model.to("cuda:0"), device_ids=[0, 1])
    x = _rng(6, 4)
    out = dp(dpt.tensor(x, device="cuda:0"))
    assert out.device == dpt.device("cuda:0")
    want = ref(dpt.tensor(x))
    np.testing.assert_allclose(host(out), host(want), rtol=1e-12)
    out.square().sum().backward()
    want.square().sum().backward()
    for pg, pc in zip(model.parameters(), ref.parameters()):
        assert pg.grad.device == dpt.device("cuda:0")
        np.testing.assert_allclose(host(pg.grad), host(pc.grad), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("make", [
    lambda d: dpt.distributions.Normal(dpt.zeros(3, device=d), dpt.ones(3, device=d)),
    lambda d: dpt.distributions.Bernoulli(probs=dpt.full((3,), 0.3, device=d)),
    lambda d: dpt.distributions.Categorical(probs=dpt.tensor([0.2, 0.3, 0.5], device=d)),
    lambda d: dpt.distributions.Gamma(dpt.full((3,), 2.0, device=d), dpt.ones(3, device=d)),
    lambda d: dpt.distributions.Poisson(dpt.full((3,), 4.0, device=d)),
    lambda d: dpt.distributions.Dirichlet(dpt.ones(3, device=d)),
    lambda d: dpt.distributions.Uniform(dpt.zeros(3, device=d), dpt.ones(3, device=d)),
], ids=["Normal", "Bernoulli", "Categorical", "Gamma", "Poisson", "Dirichlet", "Uniform"])
def test_distribution_sample_and_log_prob_on_device(gpu, make):
    d_gpu, d_cpu = make(gpu), make("cpu")
    s = d_gpu.sample((5,))
    assert s.device == D(gpu)
    lp_gpu = d_gpu.log_prob(s)
    lp_cpu = d_cpu.log_prob(s.cpu())
    assert lp_gpu.device == D(gpu)
    np.testing.assert_allclose(host(lp_gpu), host(lp_cpu), rtol=1e-5, atol=1e-6)


@pytest.mark.cuda
@pytest.mark.timeout(240)
def test_ddp_example_gpu_branch():
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
               PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    for k in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "DPT_RUN_ID"):
        env.pop(k, None)
    script = os.path.join(ROOT, "examples", "ddp_digits.py")
    args = [sys.executable, script, "--no-progress", "--epochs", "1"]
    gpu = subprocess.run(["mpiexec", "-n", "2", *args, "--device", "cuda"], capture_output=True,
                         text=True, timeout=200, env=env)
    assert gpu.returncode == 0, gpu.stdout + gpu.stderr
    cpu = subprocess.run(["mpiexec", "-n", "2", *args], capture_output=True, text=True,
                         timeout=200, env=env)
    assert cpu.returncode == 0, cpu.stdout + cpu.stderr
    def accuracy(out):  # the line without its wall time, which differs between runs
        return [line.split(" (")[0] for line in out.splitlines() if "final test accuracy" in line]

    assert accuracy(gpu.stdout) and accuracy(gpu.stdout) == accuracy(cpu.stdout)
