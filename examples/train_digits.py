"""Train a classifier on scikit-learn's 8x8 handwritten digits (1797 images, shipped inside the
scikit-learn wheel, so no download) with dpt, exactly as one would with PyTorch.

    python examples/train_digits.py                   # MLP 64-128-64-10, 20 epochs
    python examples/train_digits.py --model cnn       # Conv2d/MaxPool2d net on 1x8x8 images
    python examples/train_digits.py --epochs 2 --plot /tmp/digits.png --no-progress

A seeded 80/20 split; TensorDataset + DataLoader (shuffled with a seeded generator);
CrossEntropyLoss; SGD with Nesterov momentum (or --optimizer adam) and a cosine learning-rate
schedule; a tqdm progress bar per epoch; evaluation on the held-out images after every epoch;
with --plot FILE, a loss/accuracy plot saved with matplotlib's Agg backend (no file otherwise).
The last line is "test accuracy: 0.9xxx".

Seed 0, default settings: the MLP reaches test accuracy 0.9749 after 20 epochs, the CNN
0.9833; two epochs give 0.9109 (MLP) and 0.8440 (CNN); Adam for 10 epochs gives 0.9694 (MLP)
and 0.9777 (CNN). The run prints its training time.
Needs the `examples` extra: pip install "dpt[examples]" (tqdm, matplotlib, scikit-learn).
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import dpt  # noqa: E402
from dpt import nn  # noqa: E402
from dpt.utils.data import DataLoader, TensorDataset  # noqa: E402


def load_split(seed: int, test_fraction: float = 0.2):
    """(train, test) TensorDatasets: images scaled to [0, 1] as (N, 1, 8, 8), int64 labels."""
    from sklearn.datasets import load_digits

    data = load_digits()
    x = (data.images / 16.0).astype(np.float32)[:, None]
    y = data.target.astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(x))
    n_test = int(round(len(x) * test_fraction))
    te, tr = order[:n_test], order[n_test:]
    return (TensorDataset(dpt.from_numpy(x[tr]), dpt.from_numpy(y[tr])),
            TensorDataset(dpt.from_numpy(x[te]), dpt.from_numpy(y[te])))


def make_model(kind: str) -> nn.Module:
    if kind == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64),
                             nn.ReLU(), nn.Linear(64, 10))
    if kind == "cnn":
        return nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                             nn.Flatten(), nn.Linear(32 * 2 * 2, 64), nn.ReLU(),
                             nn.Linear(64, 10))
    raise ValueError(f"unknown model {kind!r} (expected 'mlp' or 'cnn')")


def evaluate(model: nn.Module, loader: DataLoader, loss_fn) -> tuple[float, float]:
    """(mean loss, accuracy) over a loader, in eval mode and without recording a graph."""
    model.eval()
    total_loss, correct, count = 0.0, 0, 0
    with dpt.no_grad():
        for x, y in loader:
            logits = model(x)
            total_loss += loss_fn(logits, y).item() * len(y)
            correct += (logits.argmax(dim=1) == y).sum().item()
            count += len(y)
    return total_loss / count, correct / count


def save_plot(history: dict, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = range(1, len(history["train_loss"]) + 1)
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4))
    ax_loss.plot(epochs, history["train_loss"], label="train")
    ax_loss.plot(epochs, history["test_loss"], label="test")
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy", title="loss")
    ax_loss.legend()
    ax_acc.plot(epochs, history["test_acc"], color="tab:green")
    ax_acc.set(xlabel="epoch", ylabel="accuracy", title="held-out accuracy")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", choices=["mlp", "cnn"], default="mlp", help="default mlp")
    ap.add_argument("--epochs", type=int, default=20, help="default 20")
    ap.add_argument("--batch-size", type=int, default=32, help="default 32")
    ap.add_argument("--optimizer", choices=["sgd", "adam"], default="sgd", help="default sgd")
    ap.add_argument("--lr", type=float, default=None,
                    help="default 0.05 for SGD, 0.003 for Adam")
    ap.add_argument("--seed", type=int, default=0,
                    help="data split, shuffling and init (default 0)")
    ap.add_argument("--plot", default=None, metavar="FILE",
                    help="save a loss/accuracy plot (PNG) here; no plot without it")
    ap.add_argument("--no-progress", action="store_true", help="no tqdm bar")
    return ap.parse_args(argv)


def main(argv=None) -> float:
    args = parse_args(argv)
    from tqdm import tqdm

    dpt.manual_seed(args.seed)
    train_set, test_set = load_split(args.seed)
    gen = dpt.Generator().manual_seed(args.seed)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, generator=gen)
    test_loader = DataLoader(test_set, batch_size=256)

    model = make_model(args.model)
    loss_fn = nn.CrossEntropyLoss()
    if args.optimizer == "sgd":
        opt = dpt.optim.SGD(model.parameters(), lr=args.lr or 0.05, momentum=0.9, nesterov=True,
                            weight_decay=1e-4)
    else:
        opt = dpt.optim.Adam(model.parameters(), lr=args.lr or 0.003)
    sched = dpt.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.epochs)

    history = {"train_loss": [], "test_loss": [], "test_acc": []}
    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        model.train()
        running, seen = 0.0, 0
        bar = tqdm(train_loader, desc=f"epoch {epoch}/{args.epochs}", leave=False,
                   disable=args.no_progress)
        for x, y in bar:
            opt.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()
            running += loss.item() * len(y)
            seen += len(y)
            bar.set_postfix(loss=f"{running / seen:.4f}")
        sched.step()
        test_loss, test_acc = evaluate(model, test_loader, loss_fn)
        history["train_loss"].append(running / seen)
        history["test_loss"].append(test_loss)
        history["test_acc"].append(test_acc)
        print(f"epoch {epoch:3d}  train loss {running / seen:.4f}  test loss {test_loss:.4f}  "
              f"test acc {test_acc:.4f}  lr {sched.get_last_lr()[0]:.4g}")

    print(f"trained {args.model} for {args.epochs} epochs in {time.perf_counter() - start:.1f} s")
    if args.plot:
        save_plot(history, args.plot)
        print(f"plot saved to {args.plot}")
    print(f"test accuracy: {history['test_acc'][-1]:.4f}")
    return history["test_acc"][-1]


if __name__ == "__main__":
    main()
