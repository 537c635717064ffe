"""GPU training step: dpt on cupy vs torch on CUDA (when torch with CUDA is installed).

    python benchmarks/gpu_step.py [--steps 30] [--which mlp,cnn] [--amp]

  mlp  784-512-512-10, ReLU, batch 512; cnn  1x28x28 -> conv 32 -> pool -> conv 64 -> pool
  -> linear 128 -> linear 10, batch 256; cross-entropy, SGD momentum 0.9, float32 (and with
  --amp also under autocast float16). Median ms per step after warm-up, synchronised; one line
  per (step, impl, precision) as ``RESULT name ms``, read by benchmarks/gpu_check.sh.
Target (issue 11): the dpt step within 1.5x of torch-cuda.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def batch(kind):
    rng = np.random.default_rng(0)
    if kind == "mlp":
        return rng.standard_normal((512, 784)).astype(np.float32), rng.integers(0, 10, 512)
    return rng.standard_normal((256, 1, 28, 28)).astype(np.float32), rng.integers(0, 10, 256)


def model(nn, kind):
    if kind == "mlp":
        return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
                             nn.Linear(512, 10))
    return nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))


def time_steps(lib, kind, steps, amp):
    """lib is dpt or torch: the same script runs on both (dpt is torch-shaped)."""
    dev = "cuda"
    net = model(lib.nn, kind).to(dev)
    opt = lib.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    x, y = batch(kind)
    x, y = lib.from_numpy(x).to(dev), lib.from_numpy(y).to(dev)
    sync = lib.cuda.synchronize
    times = []
    for i in range(steps + 5):
        sync()
        t0 = time.perf_counter()
        opt.zero_grad()
        if amp:
            with lib.autocast(device_type="cuda", dtype=lib.float16):
                loss = lib.nn.functional.cross_entropy(net(x), y)
        else:
            loss = lib.nn.functional.cross_entropy(net(x), y)
        loss.backward()
        opt.step()
        sync()
        if i >= 5:
            times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--which", default="mlp,cnn")
    ap.add_argument("--amp", action="store_true", help="also time under autocast(float16)")
    args = ap.parse_args(argv)
    import dpt

    if not dpt.cuda.is_available():
        print("gpu_step.py: no GPU visible to cupy", file=sys.stderr)
        return 2
    libs = [("dpt", dpt)]
    try:
        import torch
        if torch.cuda.is_available():
            libs.append(("torch", torch))
    except ImportError:
        pass
    for kind in args.which.split(","):
        for precision in (["float32", "autocast"] if args.amp else ["float32"]):
            for name, lib in libs:
                try:
                    ms = time_steps(lib, kind, args.steps, precision == "autocast")
                    print(f"RESULT {kind}-{precision}-{name} {ms:.3f}", flush=True)
                except Exception as e:  # report and go on: the summary shows what ran
                    print(f"RESULT {kind}-{precision}-{name} FAILED {type(e).__name__}: {e}",
                          flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
