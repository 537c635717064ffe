"""Training-step benchmark: dpt vs the same step in raw numpy and in PyTorch (when installed).

Two steps track the engine:
  mlp  784-512-512-10, ReLU, batch 128, cross-entropy, SGD momentum 0.9
  cnn  1x28x28 -> conv 32 (3x3, pad 1) -> ReLU -> maxpool 2 -> conv 64 -> ReLU -> maxpool 2
       -> linear 128 -> ReLU -> linear 10; batch 64, cross-entropy, SGD momentum 0.9

    python benchmarks/train_step.py [--steps 50] [--threads 1] [--which mlp,cnn] [--baseline REV]

Prints ms per step (median of the timed steps after warm-up; wall clock and this process's CPU
time) and the ratios dpt/numpy and dpt/torch measured in the same run, the three
implementations taking turns step by step: each ratio is the median over rounds of that
round's ratio, so a burst of load that hits one round cancels out. Targets (issue 14): MLP
within 1.05x of numpy and no slower than torch; CNN within 1.15x of torch.

--baseline REV adds a fourth implementation to the same rounds: dpt with conv2d and max_pool2d
taken from dpt/nn/functional/{conv,pooling}.py at git revision REV (everything else as in
the tree), for an in-process before/after of those two files.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

LR, MOMENTUM = 0.01, 0.9


# ---- data ---------------------------------------------------------------------------------
def make_batch(kind: str, seed: int = 0):
    rng = np.random.default_rng(seed)
    if kind == "mlp":
        x = rng.standard_normal((128, 784)).astype(np.float32)
        y = rng.integers(0, 10, 128)
    else:
        x = rng.standard_normal((64, 1, 28, 28)).astype(np.float32)
        y = rng.integers(0, 10, 64)
    return x, y


def init_params(kind: str, seed: int = 0):
    """Torch-style uniform(-1/sqrt(fan_in), 1/sqrt(fan_in)) weights, shared by all three versions."""
    rng = np.random.default_rng(seed)

    def layer(shape):
        fan_in = int(np.prod(shape[1:]))
        bound = 1 / np.sqrt(fan_in)
        return (rng.uniform(-bound, bound, shape).astype(np.float32),
                rng.uniform(-bound, bound, shape[0]).astype(np.float32))

    if kind == "mlp":
        shapes = [(512, 784), (512, 512), (10, 512)]
    else:
        shapes = [(32, 1, 3, 3), (64, 32, 3, 3), (128, 64 * 7 * 7), (10, 128)]
    return [a for s in shapes for a in layer(s)]


# ---- raw numpy ------------------------------------------------------------------------------
def _softmax_xent_grad(logits, y):
    m = logits.max(axis=1, keepdims=True)
    e = np.exp(logits - m)
    p = e / e.sum(axis=1, keepdims=True)
    n = logits.shape[0]
    loss = -np.log(p[np.arange(n), y]).mean()
    p[np.arange(n), y] -= 1
    return loss, p / n


def _sgd(params, grads, vel):
    for p, g, v in zip(params, grads, vel):
        v *= MOMENTUM
        v += g
        p -= LR * v


def numpy_mlp_step(params, vel, x, y):
    w1, b1, w2, b2, w3, b3 = params
    h1 = x @ w1.T + b1
    a1 = np.maximum(h1, 0)
    h2 = a1 @ w2.T + b2
    a2 = np.maximum(h2, 0)
    logits = a2 @ w3.T + b3
    loss, g = _softmax_xent_grad(logits, y)
    gw3, gb3 = g.T @ a2, g.sum(0)
    g = (g @ w3) * (h2 > 0)
    gw2, gb2 = g.T @ a1, g.sum(0)
    g = (g @ w2) * (h1 > 0)
    gw1, gb1 = g.T @ x, g.sum(0)
    _sgd(params, [gw1, gb1, gw2, gb2, gw3, gb3], vel)
    return loss


def _im2col(x, k=3, pad=1):
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    win = np.lib.stride_tricks.sliding_window_view(xp, (k, k), axis=(2, 3))  # N C H W k k
    return xp, win


def _conv_fwd(x, w, b):
    _, win = _im2col(x)
    out = np.tensordot(win, w, axes=([1, 4, 5], [1, 2, 3]))  # N H W O
    return out.transpose(0, 3, 1, 2) + b[None, :, None, None], win


def _conv_bwd(g, x, w, win):
    gw = np.tensordot(g, win, axes=([0, 2, 3], [0, 2, 3]))  # O C k k
    gb = g.sum(axis=(0, 2, 3))
    # grad input: full correlation of g with the flipped kernel
    gp = np.pad(g, ((0, 0), (0, 0), (1, 1), (1, 1)))
    gwin = np.lib.stride_tricks.sliding_window_view(gp, (3, 3), axis=(2, 3))
    gx = np.tensordot(gwin, w[:, :, ::-1, ::-1], axes=([1, 4, 5], [0, 2, 3])).transpose(0, 3, 1, 2)
    return gx, gw, gb


def _pool_fwd(x):
    n, c, h, w = x.shape
    r = x.reshape(n, c, h // 2, 2, w // 2, 2)
    out = r.max(axis=(3, 5))
    mask = r == out[:, :, :, None, :, None]
    return out, mask


def _pool_bwd(g, mask, shape):
    gx = mask * g[:, :, :, None, :, None]
    return gx.reshape(shape)


def numpy_cnn_step(params, vel, x, y):
    w1, b1, w2, b2, w3, b3, w4, b4 = params
    h1, win1 = _conv_fwd(x, w1, b1)
    a1 = np.maximum(h1, 0)
    p1, m1 = _pool_fwd(a1)
    h2, win2 = _conv_fwd(p1, w2, b2)
    a2 = np.maximum(h2, 0)
    p2, m2 = _pool_fwd(a2)
    f = p2.reshape(p2.shape[0], -1)
    h3 = f @ w3.T + b3
    a3 = np.maximum(h3, 0)
    logits = a3 @ w4.T + b4
    loss, g = _softmax_xent_grad(logits, y)
    gw4, gb4 = g.T @ a3, g.sum(0)
    g = (g @ w4) * (h3 > 0)
    gw3, gb3 = g.T @ f, g.sum(0)
    g = (g @ w3).reshape(p2.shape)
    g = _pool_bwd(g, m2, a2.shape) * (h2 > 0)
    g, gw2, gb2 = _conv_bwd(g, p1, w2, win2)
    g = _pool_bwd(g, m1, a1.shape) * (h1 > 0)
    _, gw1, gb1 = _conv_bwd(g, x, w1, win1)
    _sgd(params, [gw1, gb1, gw2, gb2, gw3, gb3, gw4, gb4], vel)
    return loss


def numpy_step(kind):
    params = init_params(kind)
    vel = [np.zeros_like(p) for p in params]
    x, y = make_batch(kind)
    fn = numpy_mlp_step if kind == "mlp" else numpy_cnn_step
    return lambda: fn(params, vel, x, y)


# ---- dpt / torch (the same code: only the module differs) -----------------------------------
def framework_step(lib, kind, wrap=None):
    """The step of lib (dpt or torch) as a closure; wrap (a DDP class) wraps the model."""
    nn, F = lib.nn, lib.nn.functional
    if kind == "mlp":
        model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
                              nn.Linear(512, 10))
    else:
        model = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(),
                              nn.Linear(128, 10))
    with lib.no_grad():
        for p, v in zip(model.parameters(), init_params(kind)):
            p.copy_(lib.from_numpy(v))
    if wrap is not None:
        model = wrap(model)
    opt = lib.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    xn, yn = make_batch(kind)
    x, y = lib.from_numpy(xn), lib.from_numpy(yn)

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()
    return step


def baseline_step(rev: str, kind: str):
    """dpt's step with conv2d/max_pool2d from conv.py/pooling.py at git revision rev."""
    import subprocess
    import types

    import dpt

    mods = {}
    for name in ("conv", "pooling"):
        path = f"dpt/nn/functional/{name}.py"
        src = subprocess.run(["git", "-C", ROOT, "show", f"{rev}:{path}"], capture_output=True,
                             text=True, check=True).stdout
        mod = types.ModuleType(f"dpt.nn.functional._baseline_{name}")
        mod.__package__ = "dpt.nn.functional"  # its relative imports resolve in the tree
        exec(compile(src, f"{rev}:{path}", "exec"), mod.__dict__)
        mods[name] = mod
    classes = (dpt.nn.Conv2d, dpt.nn.MaxPool2d)
    old = (mods["conv"].conv2d, mods["pooling"].max_pool2d)
    step = framework_step(dpt, kind)

    def run():
        current = [c.__dict__["_fn"] for c in classes]
        for c, fn in zip(classes, old):
            c._fn = staticmethod(fn)
        try:
            return step()
        finally:
            for c, fn in zip(classes, current):
                c._fn = fn
    return run


def time_steps(steps: dict, n: int, warmup: int = 5):
    """({name: (median wall ms per step, median CPU ms per step, last loss)},
    {name: (median over rounds of dpt/name wall time, the same for CPU time)}).

    The implementations take turns step by step, so a burst of load on a shared machine hits
    all of them alike; the CPU time of this process (process_time) is reported too, as it is
    much less disturbed by other processes than the wall clock (with one thread the two agree
    on an idle machine)."""
    loss = {}
    for name, step in steps.items():
        for _ in range(warmup):
            loss[name] = step()
    wall = {name: [] for name in steps}
    cpu = {name: [] for name in steps}
    for _ in range(n):
        for name, step in steps.items():
            c0, t0 = time.process_time(), time.perf_counter()
            loss[name] = step()
            wall[name].append(time.perf_counter() - t0)
            cpu[name].append(time.process_time() - c0)
    rows = {name: (statistics.median(wall[name]) * 1e3, statistics.median(cpu[name]) * 1e3,
                   float(loss[name])) for name in steps}
    return rows, {name: (statistics.median(a / b for a, b in zip(wall["dpt"], wall[name])),
                         statistics.median(a / b for a, b in zip(cpu["dpt"], cpu[name])))
                  for name in steps}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--threads", type=int, default=1, help="BLAS/torch threads (default 1)")
    ap.add_argument("--which", default="mlp,cnn")
    ap.add_argument("--baseline", default=None, metavar="REV",
                    help="also time dpt with conv.py/pooling.py from this git revision")
    args = ap.parse_args(argv)

    try:
        from threadpoolctl import threadpool_limits
        threadpool_limits(args.threads)
    except ImportError:
        pass
    try:
        import torch
        torch.set_num_threads(args.threads)
    except ImportError:
        torch = None
    import dpt

    print(f"{'step':6} {'impl':6} {'ms/step':>9} {'cpu ms':>9} {'loss':>9}   "
          f"ratios dpt/other (wall, cpu)")
    for kind in args.which.split(","):
        steps = {"numpy": numpy_step(kind), "dpt": framework_step(dpt, kind)}
        if torch is not None:
            steps["torch"] = framework_step(torch, kind)
        if args.baseline:
            steps["base"] = baseline_step(args.baseline, kind)
        rows, ratios = time_steps(steps, args.steps)
        for impl, (ms, cpu, loss) in rows.items():
            ratio = "" if impl == "dpt" else \
                f"   dpt/{impl} = {ratios[impl][0]:.3f}x, {ratios[impl][1]:.3f}x"
            print(f"{kind:6} {impl:6} {ms:9.2f} {cpu:9.2f} {loss:9.4f}{ratio}")


if __name__ == "__main__":
    main()
