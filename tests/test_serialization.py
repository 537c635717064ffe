"""dpt.save / dpt.load: the container format, safety, atomic writes, map_location, bad files."""
import collections
import functools
import io
import json
import os
import pickle
import select
import struct
import subprocess
import sys
import tracemalloc
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dpt
import dpt.nn as nn
from dpt.serialization import CheckpointError

pytestmark = pytest.mark.timeout(30)
HAS_CUDA = dpt._device.gpu_module() is not None


class Net(nn.Module):
    """The tutorial's module: one Linear layer."""

    def __init__(self):
        super().__init__()
        self.li = nn.Linear(1, 1)

    def forward(self, x):
        return self.li(x)


class Holder:
    """A plain custom class (not data) holding a tensor."""

    def __init__(self, t):
        self.t = t


class Unpicklable:
    def __reduce__(self):
        raise RuntimeError("cannot serialise this")


def roundtrip(obj, **load_kwargs):
    buf = io.BytesIO()
    dpt.save(obj, buf)
    buf.seek(0)
    return dpt.load(buf, **load_kwargs)


def same(a, b):
    assert type(a) is type(b) and a.dtype == b.dtype and a.shape == b.shape
    assert a.requires_grad == b.requires_grad
    np.testing.assert_array_equal(a.detach().numpy().astype(np.float64)
                                  if a.dtype == dpt.bfloat16 else a.detach().numpy(),
                                  b.detach().numpy().astype(np.float64)
                                  if b.dtype == dpt.bfloat16 else b.detach().numpy())


def rewrite(path, edit):
    """Rewrite the zip at path, passing {name: bytes} through edit()."""
    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    members = edit(members)
    with zipfile.ZipFile(path, "w") as z:
        for n, data in members.items():
            z.writestr(n, data)


def edit_json(path, fn):
    def edit(m):
        meta = json.loads(m["data.json"])
        fn(meta)
        m["data.json"] = json.dumps(meta).encode()
        return m
    rewrite(path, edit)


# -- the tutorial --------------------------------------------------------------------------------

def test_tutorial_save_load_tensor_and_module(tmp_path):
    a = dpt.rand(10)
    dpt.save(a, tmp_path / "test_save_tensor.pt")
    same(dpt.load(tmp_path / "test_save_tensor.pt"), a)

    test_save_mode = Net()
    dpt.save(test_save_mode, str(tmp_path / "test_save_mode.pt"))
    test_load_mode = dpt.load(str(tmp_path / "test_save_mode.pt"), weights_only=False)
    x = dpt.rand(10, 1)
    assert isinstance(test_load_mode, Net) and isinstance(test_load_mode.li, nn.Linear)
    np.testing.assert_array_equal(test_load_mode(x).detach().numpy(),
                                  test_save_mode(x).detach().numpy())
    w = test_load_mode.li.weight
    assert isinstance(w, nn.Parameter) and w.requires_grad


def test_whole_module_needs_weights_only_false(tmp_path):
    dpt.save(Net(), tmp_path / "m.pt")
    with pytest.raises(pickle.UnpicklingError) as info:
        dpt.load(tmp_path / "m.pt")
    msg = str(info.value)
    assert "weights_only=False" in msg and "arbitrary code execution" in msg
    assert "Net" in msg and "m.pt" in msg


def test_state_dict_loads_safely_into_a_module(tmp_path):
    src, dst = Net(), Net()
    dpt.save(src.state_dict(), tmp_path / "sd.pt")
    with zipfile.ZipFile(tmp_path / "sd.pt") as z:
        assert "pickle" not in z.namelist()
    sd = dpt.load(tmp_path / "sd.pt")
    assert isinstance(sd, collections.OrderedDict) and list(sd) == ["li.weight", "li.bias"]
    dst.load_state_dict(sd)
    same(dst.li.weight.detach(), src.li.weight.detach())


# -- what round-trips as data ---------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [dpt.float32, dpt.float64, dpt.float16, dpt.bfloat16, dpt.int64,
                                   dpt.int32, dpt.int16, dpt.int8, dpt.uint8, dpt.bool,
                                   dpt.complex64, dpt.complex128])
def test_every_dtype(dtype):
    t = dpt.tensor([[1, 0, 3], [4, 5, 0]]).to(dtype)
    same(roundtrip(t), t)


def test_shapes_flags_and_non_contiguous():
    for t in [dpt.tensor(3.5), dpt.zeros(0, 4), dpt.arange(12.0).reshape(3, 4).t(),
              dpt.rand(2, 3, dtype=dpt.float64).requires_grad_()]:
        u = roundtrip(t)
        same(u, t)
        assert u.is_leaf
    y = dpt.rand(2, requires_grad=True) * 2  # a non-leaf loads as a leaf that requires grad
    u = roundtrip(y)
    assert u.is_leaf and u.requires_grad


def test_containers_numbers_and_torch_objects():
    obj = {"ints": [1, -2, 2 ** 70], "floats": (0.1, float("inf"), float("-inf")),
           "nan": float("nan"), "c": 1 - 2j, "s": "héllo", "b": b"\x00\xff", "none": None,
           "flags": [True, False], 3: "int key", (1, "a"): "tuple key", "set": {1, 2},
           "fs": frozenset(["x"]), "dtype": dpt.int64, "device": dpt.device("cuda", 1),
           "size": dpt.Size([2, 3]), "nested": [{"deep": ({"deeper": [dpt.ones(2)]},)}],
           "np": np.arange(4, dtype=np.uint16), "np_scalar": np.float32(2.5),
           "np_str": np.array(["ab", "c"]), "counter": collections.Counter([3, 3, 1])}
    out = roundtrip(obj)  # weights_only=True: all of it is data
    assert list(out) == list(obj)
    for k in ["ints", "floats", "c", "s", "b", "none", "flags", 3, (1, "a"), "set", "fs",
              "dtype", "device", "size", "counter"]:
        assert out[k] == obj[k] and type(out[k]) is type(obj[k])
    assert np.isnan(out["nan"])
    same(out["nested"][0]["deep"][0]["deeper"][0], dpt.ones(2))
    assert out["np"].dtype == np.uint16 and out["np"].tolist() == [0, 1, 2, 3]
    assert type(out["np_scalar"]) is np.float32 and out["np_scalar"] == 2.5
    assert out["np_str"].tolist() == ["ab", "c"]


def test_optimizer_shaped_state_dict():
    state = {"state": {0: {"momentum_buffer": dpt.rand(3)}, 1: {"step": dpt.tensor(4.0),
                                                              "exp_avg": dpt.zeros(2)}},
             "param_groups": [{"lr": 0.1, "betas": (0.9, 0.999), "params": [0, 1],
                               "foreach": None, "maximize": False}]}
    out = roundtrip(state)
    assert out["param_groups"] == state["param_groups"]
    assert set(out["state"]) == {0, 1}
    same(out["state"][0]["momentum_buffer"], state["state"][0]["momentum_buffer"])


@pytest.mark.parametrize("make_opt", [lambda p: dpt.optim.SGD(p, lr=0.1, momentum=0.9),
                                      lambda p: dpt.optim.Adam(p, lr=0.01)])
def test_resume_training_from_checkpoint(tmp_path, make_opt):
    x, y = dpt.rand(4, 2), dpt.rand(4, 1)

    def step(model, opt):
        opt.zero_grad()
        ((model(x) - y) ** 2).mean().backward()
        opt.step()

    model = nn.Linear(2, 1)
    opt = make_opt(model.parameters())
    step(model, opt)
    dpt.save({"model": model.state_dict(), "optim": opt.state_dict()}, tmp_path / "ckpt.pt")
    ckpt = dpt.load(tmp_path / "ckpt.pt")  # safe: state dicts are data
    resumed = nn.Linear(2, 1)
    resumed.load_state_dict(ckpt["model"])
    resumed_opt = make_opt(resumed.parameters())
    resumed_opt.load_state_dict(ckpt["optim"])
    step(model, opt)
    step(resumed, resumed_opt)
    np.testing.assert_allclose(resumed.weight.detach().numpy(), model.weight.detach().numpy(),
                               rtol=1e-6)


def test_parameter_kept():
    p = nn.Parameter(dpt.rand(2, 2))
    frozen = nn.Parameter(dpt.rand(2), requires_grad=False)
    out = roundtrip({"p": p, "f": frozen})
    assert type(out["p"]) is nn.Parameter and out["p"].requires_grad
    assert type(out["f"]) is nn.Parameter and not out["f"].requires_grad
    same(out["p"], p)


def test_identity_kept_views_copied():
    x = dpt.arange(6.0)
    out = roundtrip({"a": x, "b": x, "view": x[2:4]})
    assert out["a"] is out["b"]  # one tensor object: stored once, loaded once
    assert out["view"].tolist() == [2.0, 3.0]
    out["a"][2] = 100.0  # views are stored as copies: no shared memory after loading
    assert out["view"].tolist() == [2.0, 3.0]
    with zipfile.ZipFile(_saved(x)) as z:
        assert sum(n.startswith("arrays/") for n in z.namelist()) == 1


def test_self_referencing_container_is_an_error():
    a = [1]
    a.append(a)
    with pytest.raises(ValueError, match="contains itself"):
        dpt.save(a, io.BytesIO())


def _saved(obj) -> io.BytesIO:
    buf = io.BytesIO()
    dpt.save(obj, buf)
    buf.seek(0)
    return buf


# -- the container ---------------------------------------------------------------------------

def test_documented_layout(tmp_path):
    t = dpt.tensor([1.5, 2.5], dtype=dpt.bfloat16)
    dpt.save({"w": dpt.arange(6).reshape(2, 3), "h": t}, tmp_path / "c.pt")
    with zipfile.ZipFile(tmp_path / "c.pt") as z:
        assert sorted(z.namelist()) == ["arrays/0.npy", "arrays/1.npy", "data.json"]
        assert all(i.compress_type == zipfile.ZIP_STORED for i in z.infolist())
        meta = json.loads(z.read("data.json"))
        a0 = np.load(io.BytesIO(z.read("arrays/0.npy")), allow_pickle=False)
        a1 = np.load(io.BytesIO(z.read("arrays/1.npy")), allow_pickle=False)
    assert meta["format"] == "dpt.checkpoint" and meta["version"] == 1 and meta["pickled"] == []
    assert meta["arrays"][0] == {"kind": "tensor", "dtype": "int64", "device": "cpu",
                                 "requires_grad": False, "shape": [2, 3],
                                 "file": "arrays/0.npy"}
    assert meta["root"] == {"type": "dict", "items": [["w", {"type": "array", "index": 0}],
                                                      ["h", {"type": "array", "index": 1}]]}
    assert a0.tolist() == [[0, 1, 2], [3, 4, 5]]
    assert meta["arrays"][1]["dtype"] == "bfloat16" and a1.dtype == np.uint16
    assert a1.tobytes() == t.numpy().tobytes()  # bfloat16 kept bit for bit


def test_pickled_objects_keep_tensors_outside_the_pickle():
    t = dpt.rand(1000)
    buf = _saved({"h": Holder(t), "t": t})
    with zipfile.ZipFile(buf) as z:
        assert len(z.read("pickle")) < 1000  # 4000 bytes of floats live in arrays/0.npy
        assert json.loads(z.read("data.json"))["pickled"] == [f"{__name__}.Holder"]
    buf.seek(0)
    out = dpt.load(buf, weights_only=False)
    assert isinstance(out["h"], Holder) and out["h"].t is out["t"]
    same(out["t"], t)


def test_save_to_non_seekable_stream():
    class Sink(io.RawIOBase):
        def __init__(self):
            self.chunks = []

        def writable(self):
            return True

        def seekable(self):
            return False

        def write(self, b):
            self.chunks.append(bytes(b))
            return len(b)

    sink = Sink()
    dpt.save({"w": dpt.arange(3)}, sink)
    out = dpt.load(io.BytesIO(b"".join(sink.chunks)))
    assert out["w"].tolist() == [0, 1, 2]


def test_file_objects_and_non_seekable_streams():
    buf = _saved([dpt.ones(2)])

    class Stream(io.RawIOBase):
        def __init__(self, data):
            self.data = io.BytesIO(data)

        def readable(self):
            return True

        def seekable(self):
            return False

        def readinto(self, b):
            chunk = self.data.read(len(b))
            b[:len(chunk)] = chunk
            return len(chunk)

    out = dpt.load(Stream(buf.getvalue()))
    same(out[0], dpt.ones(2))
    with pytest.raises(TypeError, match="binary file object"):
        dpt.save(1, io.StringIO())


def test_weights_only_false_and_pickle_module_arguments(tmp_path):
    dpt.save({"x": 1}, tmp_path / "d.pt")
    assert dpt.load(tmp_path / "d.pt", weights_only=False) == {"x": 1}
    assert dpt.load(tmp_path / "d.pt", pickle_module=pickle) == {"x": 1}
    with pytest.raises(RuntimeError, match="Can not safely load weights when explicit "
                                           "pickle_module is specified"):
        dpt.load(tmp_path / "d.pt", pickle_module=pickle, weights_only=True)


# -- map_location ----------------------------------------------------------------------------

def _cuda_checkpoint(path):
    """A checkpoint of tensors saved from cuda:0 (written on the CPU, device field set)."""
    dpt.save({"w": dpt.arange(3.0), "b": dpt.ones(1)}, path)
    edit_json(path, lambda meta: [a.update(device="cuda:0") for a in meta["arrays"]])


def test_cuda_checkpoint_onto_cpu(tmp_path):
    path = tmp_path / "gpu.pt"
    _cuda_checkpoint(path)
    for ml in ["cpu", dpt.device("cpu"), {"cuda:0": "cpu"}]:
        out = dpt.load(path, map_location=ml)
        assert out["w"].device == dpt.device("cpu") and out["w"].tolist() == [0.0, 1.0, 2.0]
    seen = []
    out = dpt.load(path, map_location=lambda t, loc: seen.append(loc) or t)
    assert seen == ["cuda:0", "cuda:0"] and out["b"].is_cpu
    if not HAS_CUDA:
        with pytest.raises(RuntimeError, match="Attempting to deserialize object on a CUDA device "
                                               "but dpt.cuda.is_available\\(\\) is False"):
            dpt.load(path)
        with pytest.raises(RuntimeError, match="Attempting to deserialize object on a CUDA"):
            dpt.load(path, map_location={"cuda:1": "cpu"})  # unmapped locations stay put


@pytest.mark.cuda
def test_cuda_roundtrip_and_map_location(tmp_path):
    t = dpt.arange(4.0, device="cuda")
    dpt.save(t, tmp_path / "g.pt")
    assert dpt.load(tmp_path / "g.pt").device == dpt.device("cuda", 0)
    cpu = dpt.load(tmp_path / "g.pt", map_location="cpu")
    assert cpu.is_cpu and cpu.tolist() == [0.0, 1.0, 2.0, 3.0]
    back = dpt.load(_saved(dpt.ones(2)), map_location="cuda:0")
    assert back.device == dpt.device("cuda", 0)


# -- atomic writes -------------------------------------------------------------------------------

def test_failed_save_leaves_previous_file_intact(tmp_path):
    path = tmp_path / "ckpt.pt"
    dpt.save({"epoch": 1, "w": dpt.ones(3)}, path)
    before = path.read_bytes()
    # the tensors are written, then pickling the last object fails half-way through the file
    with pytest.raises(RuntimeError, match="cannot serialise this"):
        dpt.save({"epoch": 2, "w": dpt.zeros(1000), "bad": Unpicklable()}, path)
    assert path.read_bytes() == before
    assert dpt.load(path)["epoch"] == 1
    assert os.listdir(tmp_path) == ["ckpt.pt"]  # no temporary file left behind


def test_failed_array_write_leaves_previous_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.pt"
    dpt.save([dpt.ones(2)], path)
    before = path.read_bytes()
    real = np.lib.format.write_array
    calls = []

    def failing(fp, array, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            fp.write(b"\x93NUMPY partial")
            raise OSError("disk full")
        return real(fp, array, *args, **kwargs)

    monkeypatch.setattr(np.lib.format, "write_array", failing)
    with pytest.raises(OSError, match="disk full"):
        dpt.save([dpt.zeros(5), dpt.zeros(5)], path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["ckpt.pt"]


# A child that saves to argv[1] and stops for good half-way through writing the archive.
_STALLED_SAVE = """
import sys, time
import numpy as np
import dpt
real = np.lib.format.write_array
def stall(*args, **kwargs):
    real(*args, **kwargs)
    print("writing", flush=True)
    time.sleep(120)
np.lib.format.write_array = stall
dpt.save({"w": dpt.ones(1000)}, sys.argv[1])
"""
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _stalled_writer(path):
    """A child process caught mid-save to path (it has begun writing its temp file)."""
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen([sys.executable, "-c", _STALLED_SAVE, str(path)], env=env,
                            stdout=subprocess.PIPE, text=True)
    try:
        ready, _, _ = select.select([proc.stdout], [], [], 20)
        assert ready and proc.stdout.readline() == "writing\n", "the child did not start saving"
    except BaseException:
        proc.kill()
        proc.wait(timeout=10)
        raise
    return proc


def _temps(directory):
    return sorted(n for n in os.listdir(directory) if n.endswith(".tmp"))


@pytest.mark.timeout(120)  # two child processes import dpt
def test_next_save_removes_temp_files_of_killed_saves(tmp_path):
    path = tmp_path / "w.pt"
    dead = _stalled_writer(path)
    dead.kill()  # SIGKILL mid-write: no cleanup runs in the child
    dead.wait(timeout=10)
    left = _temps(tmp_path)
    assert len(left) == 1 and left[0].startswith(".w.pt.") and str(dead.pid) in left[0]
    host = dpt.serialization._HOST
    keep = [".w.pt.other.tmp", ".OTHER.xyz.tmp", f".w.pt.{host}.x.abcdefgh.tmp",
            f".w.pt.otherhost.{dead.pid}.abcdefgh.tmp",  # another host's writer: cannot tell
            f".v.pt.{host}.{dead.pid}.abcdefgh.tmp"]   # another target
    # our own pid, but not a save of ours: an earlier process that had our pid
    stale_own = f".w.pt.{host}.{os.getpid()}.abcdefgh.tmp"
    for name in keep + [stale_own]:
        (tmp_path / name).write_bytes(b"x")
    alive = _stalled_writer(path)  # a concurrent save to the same path, still in progress
    try:
        in_progress = [n for n in _temps(tmp_path) if f".{alive.pid}." in n]
        assert len(in_progress) == 1
        dpt.save({"w": dpt.zeros(2)}, path)
        assert dpt.load(path)["w"].tolist() == [0.0, 0.0]
        assert _temps(tmp_path) == sorted(keep + in_progress)
    finally:
        alive.kill()
        alive.wait(timeout=10)
    dpt.save({"w": dpt.ones(2)}, path)
    assert _temps(tmp_path) == sorted(keep)


def test_new_file_gets_normal_permissions(tmp_path):
    dpt.save(1, tmp_path / "p.pt")
    mask = os.umask(0)
    os.umask(mask)
    assert (tmp_path / "p.pt").stat().st_mode & 0o777 == 0o666 & ~mask


# -- bad files ----------------------------------------------------------------------------------

def _good(tmp_path, obj=None):
    path = tmp_path / "good.pt"
    dpt.save({"w": dpt.arange(10.0)} if obj is None else obj, path)
    return path


@pytest.mark.parametrize("cut", [0.5, 0.9, -1])
def test_truncated(tmp_path, cut):
    path = _good(tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[:int(len(data) * cut)] if cut > 0 else data[:cut])
    with pytest.raises(CheckpointError, match="good.pt"):
        dpt.load(path)


@pytest.mark.parametrize("content, match", [
    (b"", "wrong magic.*empty file"),
    (b"hello world", "wrong magic"),
    (pickle.dumps({"a": 1}, protocol=2), "wrong magic.*pickle"),
])
def test_wrong_magic(tmp_path, content, match):
    (tmp_path / "bad.pt").write_bytes(content)
    with pytest.raises(CheckpointError, match=match):
        dpt.load(tmp_path / "bad.pt")


def test_zip_without_data_json(tmp_path):
    with zipfile.ZipFile(tmp_path / "other.zip", "w") as z:
        z.writestr("archive/data.pkl", b"x")
    with pytest.raises(CheckpointError, match="no data.json member"):
        dpt.load(tmp_path / "other.zip")


@pytest.mark.parametrize("tamper, match", [
    (lambda m: m.update({"data.json": b"{not json"}), "data.json is corrupted"),
    (lambda m: m.update({"data.json": b"[1, 2]"}), "not a dpt checkpoint"),
    (lambda m: m.update({"data.json": b"[" * 100000 + b"]" * 100000}), "data.json"),
])
def test_tampered_json_text(tmp_path, tamper, match):
    path = _good(tmp_path)
    rewrite(path, lambda m: tamper(m) or m)
    with pytest.raises(CheckpointError, match=match):
        dpt.load(path)


@pytest.mark.parametrize("tamper, match", [
    (lambda meta: meta.update(version=99), "unsupported checkpoint format version 99"),
    (lambda meta: meta.update(root={"type": "array", "index": 5}), "array index 5 out of range"),
    (lambda meta: meta.update(root={"type": "array", "index": True}), "array index"),
    (lambda meta: meta.update(root={"type": "evil"}), "unknown value type 'evil'"),
    (lambda meta: meta.update(root={"type": "dict", "items": [[[1], 2]]}), "unhashable dict key"),
    (lambda meta: meta.update(root={"type": "device", "name": "tpu"}), "bad device"),
    (lambda meta: meta["arrays"][0].update(shape=[3]), r"header says shape \(10,\)"),
    (lambda meta: meta["arrays"][0].update(shape=[-1]), "bad shape"),
    (lambda meta: meta["arrays"][0].update(dtype="float64"), "dtype"),
    (lambda meta: meta["arrays"][0].update(dtype="object"), "unknown tensor dtype"),
    (lambda meta: meta["arrays"][0].update(kind="ndarray", dtype="|O"), "unsupported numpy dtype"),
    (lambda meta: meta["arrays"][0].update(file="arrays/9.npy"), "is missing"),
    (lambda meta: meta["arrays"][0].update(device=7), "'device' is int"),
    (lambda meta: meta.update(pickled=["os.system"]), "weights_only=False"),
])
def test_tampered_json_fields(tmp_path, tamper, match):
    path = _good(tmp_path)
    edit_json(path, tamper)
    with pytest.raises((CheckpointError, pickle.UnpicklingError), match=match):
        dpt.load(path)


def test_npy_size_disagrees_with_header(tmp_path):
    path = _good(tmp_path)

    def shorten(m):
        m["arrays/0.npy"] = m["arrays/0.npy"][:-8]  # the header still says 10 float32s
        return m

    rewrite(path, shorten)
    with pytest.raises(CheckpointError, match=r"holds 32 bytes of data; shape \(10,\) of dtype <f4 "
                                              "needs 40"):
        dpt.load(path)


def test_huge_declared_shape_allocates_nothing(tmp_path):
    path = _good(tmp_path)
    huge = [10 ** 6, 10 ** 6, 10 ** 3]  # 4 exabytes of float32

    def forge(m):
        header = io.BytesIO()
        np.lib.format.write_array_header_1_0(
            header, {"descr": "<f4", "fortran_order": False, "shape": tuple(huge)})
        m["arrays/0.npy"] = header.getvalue() + b"\0" * 40
        meta = json.loads(m["data.json"])
        meta["arrays"][0]["shape"] = huge
        m["data.json"] = json.dumps(meta).encode()
        return m

    rewrite(path, forge)
    with pytest.raises(CheckpointError, match="holds 40 bytes of data"):
        dpt.load(path)


def test_arrays_cannot_take_more_than_the_file(tmp_path):
    big = dpt.zeros(5000)  # 20 kB, referenced by 100 entries: 2 MB from a 20 kB file
    path = _good(tmp_path, {"w": big})
    edit_json(path, lambda meta: (meta["arrays"].extend([meta["arrays"][0]] * 99),
                                  meta.update(root=[{"type": "array", "index": i}
                                                    for i in range(100)])))
    with pytest.raises(CheckpointError, match="more bytes than the file holds"):
        dpt.load(path)


def test_corrupted_array_bytes_fail_the_crc(tmp_path):
    path = _good(tmp_path)
    data = bytearray(path.read_bytes())
    offset = data.find(np.arange(10, dtype=np.float32).tobytes())  # the array's payload
    assert offset > 0
    data[offset + 5] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="corrupted"):
        dpt.load(path)


def test_compressed_members_rejected(tmp_path):
    path = _good(tmp_path)
    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for n, d in members.items():
            z.writestr(n, d)
    with pytest.raises(CheckpointError, match="compressed"):
        dpt.load(path)


def test_missing_pickle_member(tmp_path):
    path = _good(tmp_path, {"h": Holder(1)})
    rewrite(path, lambda m: m.pop("pickle") and m)
    with pytest.raises(CheckpointError, match="pickle member that is missing"):
        dpt.load(path, weights_only=False)


# -- crafted files: each once gave another exception type than CheckpointError ------------------

_TUPLE_WITH_LIST = {"type": "tuple", "items": [[1]]}


@pytest.mark.parametrize("root, match", [
    ({"type": "set", "items": [[1]]}, "unhashable set item"),  # TypeError
    ({"type": "frozenset", "items": [[1]]}, "unhashable frozenset item"),
    ({"type": "dict", "items": [[_TUPLE_WITH_LIST, 1]]}, "unhashable dict key"),
    ({"type": "set", "items": [_TUPLE_WITH_LIST]}, "unhashable set item"),
    ({"type": "dict", "items": [], "metadata": {"type": "dict", "items": []}},  # AttributeError
     "bad dict metadata"),
    ({"type": "OrderedDict", "items": [], "metadata": 1}, "bad OrderedDict metadata"),
    ({"type": "OrderedDict", "items": [], "metadata": {"type": "dict", "items": [["", 5]]}},
     "bad OrderedDict metadata"),
    ({"type": "complex", "real": 10 ** 400, "imag": 0.0}, "bad complex"),  # OverflowError
    ({"type": "complex", "real": "1", "imag": 0.0}, "bad complex"),
    ({"type": "Size", "items": ["a"]}, "bad Size"),
    ({"type": "Size", "items": [True]}, "bad Size"),
    ({"type": "Size", "items": [2 ** 64]}, "bad Size"),
    ({"type": "device", "name": "cuda:" + "9" * 30}, "bad device"),
    ({"type": "device", "name": "cuda:1_0"}, "bad device"),
    ({"type": "device", "name": "cuda:-1"}, "bad device"),
])
def test_crafted_values(tmp_path, root, match):
    path = _good(tmp_path)
    edit_json(path, lambda meta: meta.update(root=root))
    with pytest.raises(CheckpointError, match=f"good.pt: malformed data.json: {match}"):
        dpt.load(path)


def test_pickled_class_names_must_be_strings(tmp_path):
    path = _good(tmp_path)  # was the refusal to unpickle, naming the objects by str([...])
    edit_json(path, lambda meta: meta.update(pickled=[[1]]))
    with pytest.raises(CheckpointError, match="good.pt: .*'pickled' holds a non-string"):
        dpt.load(path)


def _forge_array(path, payload=b"", **entry):
    """Update the one arrays entry and give its member a matching .npy header, then payload."""
    def forge(m):
        meta = json.loads(m["data.json"])
        e = meta["arrays"][0]
        e.update(entry)
        header = io.BytesIO()
        np.lib.format.write_array_header_1_0(header, {
            "descr": e["dtype"] if e["kind"] == "ndarray" else "<f4", "fortran_order": False,
            "shape": tuple(e["shape"])})
        m["arrays/0.npy"] = header.getvalue() + payload
        m["data.json"] = json.dumps(meta).encode()
        return m
    rewrite(path, forge)


@pytest.mark.parametrize("entry, nbytes, match", [
    # zero-itemsize dtypes with huge shapes: ValueError from numpy
    (dict(kind="ndarray", dtype="<U0", shape=[10 ** 15, 10 ** 15]), 0, "unsupported numpy dtype"),
    (dict(kind="ndarray", dtype="|S0", shape=[5]), 0, "unsupported numpy dtype"),
    (dict(shape=[0, 10 ** 30]), 0, "too large for an array"),  # no elements, still a ValueError
    (dict(shape=[0, 2 ** 62, 4]), 0, "too large for an array"),
    (dict(shape=[1] * 65), 4, "bad shape"),  # numpy's limit is 64 dimensions
    (dict(device="cuda:" + "9" * 30), 40, "bad device"),
    (dict(device="cuda:01"), 40, "bad device"),
])
def test_crafted_array_entries(tmp_path, entry, nbytes, match):
    path = _good(tmp_path)
    _forge_array(path, b"\0" * nbytes, **entry)
    with pytest.raises(CheckpointError, match=f"good.pt: .*{match}"):
        dpt.load(path, map_location="cpu")


def _central_header(data: bytes, member: str) -> int:
    """Offset of member's entry in the zip's central directory."""
    i = data.find(b"PK\x01\x02")
    while i >= 0:
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", data, i + 28)
        if data[i + 46:i + 46 + name_len] == member.encode():
            return i
        i = data.find(b"PK\x01\x02", i + 46 + name_len + extra_len + comment_len)
    raise KeyError(member)


@pytest.mark.parametrize("member", ["data.json", "arrays/0.npy"])
@pytest.mark.parametrize("field, value, match", [  # each was the exception type in the comment
    (8, 0x01, "encrypted, password required"),  # general-purpose flags: RuntimeError
    (8, 0x41, "strong encryption"),  # NotImplementedError
    (8, 0x20, "compressed patched data"),  # NotImplementedError
    (6, 109, "zip file version 10.9"),  # version needed to extract: NotImplementedError
])
def test_corrupt_zip_headers(tmp_path, member, field, value, match):
    path = _good(tmp_path)
    data = bytearray(path.read_bytes())
    struct.pack_into("<H", data, _central_header(data, member) + field, value)
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match=f"good.pt: .*{match}"):
        dpt.load(path)


@pytest.mark.parametrize("as_file", [True, False])
def test_central_directory_offset_past_its_place(tmp_path, as_file):
    """The end record moves the central directory: member offsets go negative (an OSError
    seeking a file, a ValueError seeking a BytesIO)."""
    path = _good(tmp_path)
    data = bytearray(path.read_bytes())
    end = data.rfind(b"PK\x05\x06")
    struct.pack_into("<I", data, end + 16, struct.unpack_from("<I", data, end + 16)[0] + 1000)
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="data.json is corrupted"):
        dpt.load(path if as_file else io.BytesIO(bytes(data)))


# -- fuzzing: dpt.load either succeeds or raises CheckpointError -------------------------------

@functools.lru_cache(maxsize=None)
def _fuzz_corpus() -> tuple:
    """Realistic checkpoints: a module's and an optimizer's state_dicts, nested containers."""
    dpt.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 1))
    opt = dpt.optim.Adam(net.parameters(), lr=0.1)
    net(dpt.randn(5, 3)).sum().backward()
    opt.step()
    nested = {"t": {"f32": dpt.randn(2, 3), "i64": dpt.arange(5), "f16": dpt.ones(2).half(),
                    "bf16": dpt.ones(3, dtype=dpt.bfloat16), "bool": dpt.ones(1, dtype=dpt.bool),
                    "c64": dpt.ones(2, dtype=dpt.complex64), "p": nn.Parameter(dpt.zeros(2))},
              "misc": (1, 2.5, float("nan"), 1j, b"\x01", {1, 2}, frozenset("a"), dpt.Size([2, 3]),
                       dpt.float64, dpt.device("cuda:1"), collections.Counter("aab")),
              "np": [np.arange(3), np.float32(2), np.array(["ab"])]}
    return tuple(_saved(obj).getvalue() for obj in (net.state_dict(), opt.state_dict(), nested))


_FUZZ_VALUES = st.one_of(
    st.sampled_from([None, True, -1, 0, 2 ** 31, 2 ** 63, 10 ** 30, 1e308, "", "cuda:1",
                     "cuda:99999999999", "float32", "bfloat16", "<U0", "|S0", "|O", "<f4",
                     "arrays/0.npy", [], {}, [[1]], {"type": "tuple", "items": [[1]]},
                     {"type": "Size", "items": [-1]}, {"type": "array", "index": 0},
                     {"type": "pickled", "index": 0}, {"type": "OrderedDict", "items": []}]),
    st.sampled_from(["tuple", "set", "frozenset", "Size", "dict", "OrderedDict", "Counter",
                     "array", "float", "complex", "bytes", "dtype", "device", "tensor",
                     "parameter", "ndarray", "numpy_scalar"]),
    st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
                 | st.text(max_size=4),
                 lambda inner: st.lists(inner, max_size=3)
                 | st.dictionaries(st.text(max_size=4), inner, max_size=3), max_leaves=4))


def _json_slots(value, out):
    """Every (container, key) in a JSON tree, for replacing or deleting one."""
    items = enumerate(value) if isinstance(value, list) else value.items()
    for key, child in items:
        out.append((value, key))
        if isinstance(child, (list, dict)):
            _json_slots(child, out)
    return out


_FORMAT_KEYS = ["type", "items", "metadata", "real", "imag", "name", "index", "hex", "value",
                "kind", "dtype", "shape", "device", "file", "requires_grad", "arrays", "pickled"]


def _mutate_json(blob: bytes, data) -> bytes:
    with zipfile.ZipFile(io.BytesIO(blob)) as z:
        members = {n: z.read(n) for n in z.namelist()}
    meta = json.loads(members["data.json"])
    for _ in range(data.draw(st.integers(1, 3))):
        slots = _json_slots(meta, [])
        container, key = slots[data.draw(st.integers(0, len(slots) - 1))]
        how = data.draw(st.sampled_from(["replace", "delete", "format key", "append"]))
        if how == "delete" and isinstance(container, dict):
            del container[key]
            continue
        other = slots[data.draw(st.integers(0, len(slots) - 1))]
        value = json.loads(json.dumps(  # a new value, or a copy of another part of the tree
            data.draw(st.one_of(_FUZZ_VALUES, st.just(other[0][other[1]])))))
        if how == "format key" and isinstance(container, dict):
            container[data.draw(st.sampled_from(_FORMAT_KEYS))] = value
        elif how == "append" and isinstance(container[key], list):
            container[key].append(value)
        else:
            container[key] = value
    members["data.json"] = json.dumps(meta).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, content in members.items():
            z.writestr(name, content)
    return out.getvalue()


def _find_all(data: bytes, sub: bytes):
    i = data.find(sub)
    while i >= 0:
        yield i
        i = data.find(sub, i + 1)


@pytest.mark.timeout(90)  # a few seconds, more on a loaded CI machine
@settings(max_examples=250, derandomize=True, database=None, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_fuzzed_checkpoints_load_or_raise_checkpoint_error(data):
    corpus = _fuzz_corpus()
    blob = bytearray(corpus[data.draw(st.integers(0, len(corpus) - 1), label="checkpoint")])
    # byte positions: anywhere, or in the zip's record headers, where few bytes do a lot
    headers = [i + k for sig in (b"PK\x03\x04", b"PK\x01\x02", b"PK\x05\x06", b"PK\x06\x06")
               for i in _find_all(blob, sig) for k in range(46) if i + k < len(blob)]
    position = st.one_of(st.integers(0, len(blob) - 1), st.sampled_from(headers))
    how = data.draw(st.sampled_from(["flip", "set", "truncate", "json"]))
    if how == "flip":
        for _ in range(data.draw(st.integers(1, 4))):
            blob[data.draw(position)] ^= 1 << data.draw(st.integers(0, 7))
    elif how == "set":
        blob[data.draw(position)] = data.draw(st.integers(0, 255))
    elif how == "truncate":
        del blob[data.draw(st.integers(0, len(blob) - 1)):]
    else:
        blob = _mutate_json(bytes(blob), data)
    tracemalloc.start()
    try:
        # map_location: a CUDA tensor on a CPU-only machine is a valid file, not a bad one
        dpt.load(io.BytesIO(bytes(blob)), map_location="cpu")
    except CheckpointError:
        pass
    except pickle.UnpicklingError as e:  # only the refusal to unpickle: nothing is unpickled
        assert str(e).startswith("Weights only load failed"), e
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert peak < 16 * 2 ** 20, f"dpt.load allocated {peak} bytes for a {len(blob)}-byte file"
