"""examples/ddp_digits.py --tensorboard: rank 0 writes the logged loss and accuracy per epoch."""
import importlib.util

import pytest

from .test_ddp_digits import epoch_log, run

pytestmark = [pytest.mark.timeout(180),
              pytest.mark.skipif(importlib.util.find_spec("tensorboard") is None,
                                 reason="tensorboard is not installed")]


def _scalars(logdir):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(logdir))
    acc.Reload()
    return {tag: [(e.step, e.value) for e in acc.Scalars(tag)] for tag in acc.Tags()["scalars"]}


def test_tensorboard_scalars_match_the_log(tmp_path):
    out = run(["--epochs", "2", "--tensorboard", str(tmp_path / "tb")], n=2)
    log = epoch_log(out)
    written = _scalars(tmp_path / "tb")
    assert set(written) == {"loss/train", "accuracy/test"}
    assert [s for s, _ in written["loss/train"]] == [0, 1]
    for (epoch, loss, acc), (_, tb_loss), (_, tb_acc) in zip(
            log, written["loss/train"], written["accuracy/test"]):
        assert tb_loss == pytest.approx(loss, abs=1e-4)
        assert tb_acc == pytest.approx(acc, abs=1e-4)


def test_a_resumed_run_continues_the_curve(tmp_path):
    ckpt, tb = str(tmp_path / "digits.ckpt"), str(tmp_path / "tb")
    run(["--epochs", "3", "--stop-after", "2", "--checkpoint", ckpt, "--tensorboard", tb])
    run(["--epochs", "3", "--checkpoint", ckpt, "--tensorboard", tb])
    assert [s for s, _ in _scalars(tb)["loss/train"]] == [0, 1, 2]
