"""dpt.utils.tensorboard: write events, read them back with TensorBoard's own reader."""
import importlib.util
import os
import struct
import subprocess
import sys
import zlib

import numpy as np
import pytest

import dpt

pytestmark = pytest.mark.timeout(120)
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_import_without_tensorboard_says_how_to_install():
    code = ("import sys; sys.modules['tensorboard'] = None\n"
            "try:\n"
            "    import dpt.utils.tensorboard\n"
            "except ImportError as e:\n"
            "    print('IMPORTERROR', e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, env={**os.environ, "PYTHONPATH": ROOT + os.pathsep
                                          + os.environ.get("PYTHONPATH", "")})
    assert "IMPORTERROR" in out.stdout, out.stderr
    assert "pip install tensorboard" in out.stdout


HAVE_TENSORBOARD = importlib.util.find_spec("tensorboard") is not None
if HAVE_TENSORBOARD:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    from dpt.utils.tensorboard import SummaryWriter
needs_tensorboard = pytest.mark.skipif(not HAVE_TENSORBOARD, reason="tensorboard is not installed")


def _read(path):
    acc = EventAccumulator(str(path), size_guidance={"scalars": 0, "histograms": 0,
                                                     "images": 0, "tensors": 0})
    acc.Reload()
    return acc


def _png_pixels(data: bytes) -> np.ndarray:
    """Decode the 8-bit, filter-0 PNGs the writer makes (checks every chunk's CRC)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat = 8, b""
    while pos < len(data):
        n, = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
        crc, = struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF
        if kind == b"IHDR":
            w, h, depth, color = struct.unpack(">IIBB", body[:10])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    c = {2: 3, 6: 4}[color]
    rows = np.frombuffer(zlib.decompress(idat), np.uint8).reshape(h, 1 + w * c)
    assert depth == 8 and not rows[:, 0].any()
    return rows[:, 1:].reshape(h, w, c)


@needs_tensorboard
def test_scalars_histogram_image_text_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    values = rng.standard_normal(1000)
    img_chw = rng.random((3, 5, 7)).astype(np.float32)
    with SummaryWriter(log_dir=tmp_path) as w:
        for step in range(5):
            w.add_scalar("loss", dpt.tensor(1.0 / (step + 1)), step)
        w.add_scalar("acc", np.float64(0.75), global_step=np.int64(7), walltime=123.0)
        w.add_scalar("exact", 0.1, 0, new_style=True, double_precision=True)
        w.add_histogram("weights", dpt.from_numpy(values), 3)
        w.add_histogram("weights_np", values, 4, bins=10)
        w.add_image("chw", dpt.from_numpy(img_chw), 1)
        w.add_image("hwc", (img_chw.transpose(1, 2, 0) * 255).astype(np.uint8), 2,
                    dataformats="HWC")
        w.add_image("gray", np.arange(12, dtype=np.uint8).reshape(3, 4), dataformats="HW")
        w.add_text("note", "hello **dpt**", 9)
    acc = _read(tmp_path)
    tags = acc.Tags()
    assert set(tags["scalars"]) == {"loss", "acc"}

    loss = acc.Scalars("loss")
    assert [e.step for e in loss] == list(range(5))
    np.testing.assert_allclose([e.value for e in loss], [1 / (s + 1) for s in range(5)],
                               rtol=1e-7)
    acc_ev, = acc.Scalars("acc")
    assert (acc_ev.step, acc_ev.wall_time, acc_ev.value) == (7, 123.0, 0.75)
    exact, = acc.Tensors("exact")
    assert exact.tensor_proto.double_val[0] == 0.1

    h, = acc.Histograms("weights")
    hv = h.histogram_value
    assert h.step == 3 and hv.num == 1000
    assert hv.min == values.min() and hv.max == values.max()
    np.testing.assert_allclose([hv.sum, hv.sum_squares], [values.sum(), values @ values])
    assert sum(hv.bucket) == 1000 and hv.bucket[0] == 0
    # each bucket counts the values up to its right edge (and above the previous one)
    limits = np.array(hv.bucket_limit)
    np.testing.assert_array_equal(hv.bucket[1:], np.histogram(values, bins=limits)[0])
    h10, = acc.Histograms("weights_np")
    counts, edges = np.histogram(values, bins=10)
    assert list(h10.histogram_value.bucket) == [0] + counts.tolist()
    np.testing.assert_allclose(h10.histogram_value.bucket_limit, edges)

    chw, = acc.Images("chw")
    assert (chw.step, chw.height, chw.width) == (1, 5, 7)
    expected = (img_chw.transpose(1, 2, 0) * 255).clip(0, 255).astype(np.uint8)
    np.testing.assert_array_equal(_png_pixels(chw.encoded_image_string), expected)
    hwc, = acc.Images("hwc")
    np.testing.assert_array_equal(_png_pixels(hwc.encoded_image_string), expected)
    gray, = acc.Images("gray")
    np.testing.assert_array_equal(_png_pixels(gray.encoded_image_string),
                                  np.repeat(np.arange(12, dtype=np.uint8).reshape(3, 4, 1), 3, 2))
    PIL = pytest.importorskip("PIL.Image")
    import io
    with PIL.open(io.BytesIO(chw.encoded_image_string)) as im:
        np.testing.assert_array_equal(np.asarray(im), expected)

    note, = acc.Tensors("note/text_summary")
    assert note.step == 9 and note.tensor_proto.string_val[0] == b"hello **dpt**"
    assert acc.SummaryMetadata("note/text_summary").plugin_data.plugin_name == "text"


@needs_tensorboard
def test_add_scalars_writes_one_run_per_key(tmp_path):
    w = SummaryWriter(str(tmp_path))
    for step in range(3):
        w.add_scalars("run/curves", {"train": step, "val": 2 * step}, step)
    w.close()
    w.close()  # a second close is harmless
    for key, factor in (("train", 1), ("val", 2)):
        events = _read(tmp_path / f"run_curves_{key}").Scalars("run/curves")
        assert [e.value for e in events] == [factor * s for s in range(3)]


@needs_tensorboard
def test_flush_makes_events_visible_and_close_reopens(tmp_path):
    w = SummaryWriter(tmp_path, flush_secs=3600)
    w.add_scalar("x", 1.0, 0)
    w.flush()
    assert [e.value for e in _read(tmp_path).Scalars("x")] == [1.0]
    w.close()
    w.add_scalar("x", 2.0, 1)  # a new event file
    w.close()
    assert len([f for f in os.listdir(tmp_path) if "tfevents" in f]) == 2
    assert [e.value for e in _read(tmp_path).Scalars("x")] == [1.0, 2.0]


@needs_tensorboard
def test_default_log_dir_comment_and_suffix(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    w = SummaryWriter(comment="_lr0.1", filename_suffix=".dpt")
    w.close()
    run, = os.listdir(tmp_path / "runs")
    assert run.endswith("_lr0.1")
    assert os.listdir(tmp_path / "runs" / run)[0].endswith(".dpt")
    assert w.get_logdir() == os.path.join("runs", run)


@needs_tensorboard
def test_purge_step_writes_the_restart_marker(tmp_path):
    with SummaryWriter(tmp_path) as w:
        for s in range(10):
            w.add_scalar("x", float(s), s)
    with SummaryWriter(tmp_path, purge_step=5) as w:
        w.add_scalar("x", 50.0, 5)
    # TensorBoard's reader drops the first run's steps >= 5 when it meets the marker
    events = _read(tmp_path).Scalars("x")
    assert [(e.step, e.value) for e in events] == [(s, float(s)) for s in range(5)] + [(5, 50.0)]


@needs_tensorboard
def test_hparams(tmp_path):
    from tensorboard.plugins.hparams import plugin_data_pb2

    with SummaryWriter(tmp_path) as w:
        w.add_hparams({"lr": 0.1, "opt": "sgd", "nesterov": True, "skip": None},
                      {"hparam/acc": 0.9}, run_name="trial")
    acc = _read(tmp_path / "trial")
    assert acc.Scalars("hparam/acc")[0].value == pytest.approx(0.9)
    meta = acc.SummaryMetadata("_hparams_/session_start_info")
    data = plugin_data_pb2.HParamsPluginData.FromString(meta.plugin_data.content)
    hp = data.session_start_info.hparams
    assert (hp["lr"].number_value, hp["opt"].string_value, hp["nesterov"].bool_value) == \
        (0.1, "sgd", True)
    assert "skip" not in hp
    with pytest.raises(TypeError, match="should be dictionary"):
        SummaryWriter(tmp_path).add_hparams([("lr", 1)], {})


@needs_tensorboard
def test_bad_inputs(tmp_path):
    with SummaryWriter(tmp_path) as w:
        with pytest.raises(AssertionError, match="one element"):
            w.add_scalar("x", dpt.ones(3))
        with pytest.raises(ValueError, match="no element"):
            w.add_histogram("h", np.array([]))
        with pytest.raises(ValueError, match="does not match dataformats 'CHW'"):
            w.add_image("i", np.zeros((4, 4)))
        with pytest.raises(ValueError, match="permutation of CHW"):
            w.add_image("i", np.zeros((3, 4, 4)), dataformats="CCW")
        with pytest.raises(ValueError, match="1, 3 or 4 channels"):
            w.add_image("i", np.zeros((2, 4, 4)))


@needs_tensorboard
def test_torch_reads_the_same_as_dpt_writes(tmp_path):
    """Differential: torch's SummaryWriter and dpt's write the same histogram and image."""
    pytest.importorskip("torch")
    pytest.importorskip("PIL")
    from torch.utils.tensorboard import SummaryWriter as TorchWriter

    values = np.random.default_rng(1).standard_normal(500)
    img = np.random.default_rng(2).random((3, 4, 6)).astype(np.float32)
    for cls, sub in ((SummaryWriter, "dpt"), (TorchWriter, "torch")):
        with cls(str(tmp_path / sub)) as w:
            w.add_histogram("h", values, 0)
            w.add_histogram("h10", values, 0, bins=10, max_bins=4)
            w.add_image("i", img, 0)
    a, b = _read(tmp_path / "dpt"), _read(tmp_path / "torch")
    for tag in ("h", "h10"):
        ha, hb = a.Histograms(tag)[0].histogram_value, b.Histograms(tag)[0].histogram_value
        assert list(ha.bucket) == list(hb.bucket)
        np.testing.assert_allclose(ha.bucket_limit, hb.bucket_limit)
        np.testing.assert_allclose([ha.min, ha.max, ha.num, ha.sum, ha.sum_squares],
                                   [hb.min, hb.max, hb.num, hb.sum, hb.sum_squares])
    import io

    import PIL.Image
    ia, ib = a.Images("i")[0], b.Images("i")[0]
    with PIL.Image.open(io.BytesIO(ib.encoded_image_string)) as im:
        np.testing.assert_array_equal(_png_pixels(ia.encoded_image_string), np.asarray(im))
