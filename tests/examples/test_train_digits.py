"""examples/train_digits.py: a short run learns the digits, saves its plot, prints the accuracy."""
import os
import runpy

import pytest

pytest.importorskip("sklearn")
pytest.importorskip("matplotlib")
pytest.importorskip("tqdm")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "examples", "train_digits.py")


@pytest.mark.parametrize("model, floor", [("mlp", 0.85), ("cnn", 0.7)])
def test_train_digits_two_epochs(tmp_path, capsys, model, floor):
    plot = tmp_path / "digits.png"
    main = runpy.run_path(SCRIPT)["main"]
    acc = main(["--model", model, "--epochs", "2", "--no-progress", "--plot", str(plot)])
    out = capsys.readouterr().out
    assert acc > floor  # chance is 0.1; the seeded run gives 0.91 (mlp) and 0.84 (cnn)
    assert out.strip().splitlines()[-1] == f"test accuracy: {acc:.4f}"
    assert len([line for line in out.splitlines() if line.startswith("epoch")]) == 2
    assert plot.exists() and plot.stat().st_size > 1000
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_train_digits_adam_and_bad_model(tmp_path):
    main = runpy.run_path(SCRIPT)["main"]
    acc = main(["--optimizer", "adam", "--epochs", "1", "--no-progress", "--plot", ""])
    assert acc > 0.8
    with pytest.raises(SystemExit):
        main(["--model", "resnet"])


def test_no_plot_file_without_plot_flag(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    main = runpy.run_path(SCRIPT)["main"]
    main(["--epochs", "1", "--no-progress"])
    assert "plot saved" not in capsys.readouterr().out
    assert list(tmp_path.iterdir()) == []
