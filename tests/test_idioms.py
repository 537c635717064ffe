"""What scripts written for GPU machines touch, run on a CPU-only machine: device flags on
tensors, dpt.backends.*, the deprecated amp spellings, CUDA seeding, dpt.accelerator,
dpt.onnx, weights_only allowlists, torch's tensor() inputs, and the whole-model
save/load idiom. Compared with torch where it is installed."""
import array
import collections
import io
import json
import os
import pickle
import sys
import types
import warnings
import zipfile

import numpy as np
import pytest

import dpt
import dpt.onnx
from dpt import serialization
from dpt.nn.attention import SDPBackend, sdpa_kernel

requires_cpu_only = pytest.mark.skipif(dpt.cuda.is_available(),
                                       reason="checks the behaviour without a GPU")


# -- Tensor device flags ---------------------------------------------------------------------

FALSE_FLAGS = ["is_xpu", "is_mps", "is_meta", "is_mkldnn", "is_quantized", "is_vulkan", "is_ipu",
               "is_maia", "is_mtia", "is_xla", "is_sparse", "is_sparse_csr", "is_nested"]


@pytest.mark.parametrize("make", [lambda m: m.zeros(2), lambda m: m.nn.Parameter(m.ones(1))],
                         ids=["tensor", "parameter"])
def test_device_flags_are_false_on_cpu_tensors(make):
    t = make(dpt)
    for name in FALSE_FLAGS:
        assert getattr(t, name) is False, name
    assert t.is_cpu is True and t.is_cuda is False


def test_device_flags_match_torch():
    torch = pytest.importorskip("torch")
    tt, dt = torch.zeros(2), dpt.zeros(2)
    flags = [n for n in dir(tt) if n.startswith("is_") and not callable(getattr(tt, n))]
    assert set(FALSE_FLAGS) <= set(flags)
    for name in flags:
        assert getattr(dt, name) == getattr(tt, name), name


# -- dpt.backends ----------------------------------------------------------------------------

def test_backends_cuda_matmul_flags():
    m = dpt.backends.cuda.matmul
    assert m.allow_tf32 is False
    assert m.allow_fp16_reduced_precision_reduction is True
    assert m.allow_bf16_reduced_precision_reduction is True
    m.allow_tf32 = True
    try:
        assert dpt.backends.cuda.matmul.allow_tf32 is True
    finally:
        m.allow_tf32 = False
    with pytest.raises(AttributeError, match="Unknown attribute allow_tf33"):
        m.allow_tf33 = True
    with pytest.raises(AttributeError, match="Unknown attribute nope"):
        m.nope


def test_backends_cuda_defaults_match_torch():
    torch = pytest.importorskip("torch")
    tb, db = torch.backends.cuda, dpt.backends.cuda
    for name in ("allow_tf32", "allow_fp16_reduced_precision_reduction",
                 "allow_bf16_reduced_precision_reduction"):
        assert getattr(db.matmul, name) == getattr(tb.matmul, name), name
    for name in ("flash_sdp_enabled", "mem_efficient_sdp_enabled", "math_sdp_enabled",
                 "cudnn_sdp_enabled"):
        assert getattr(db, name)() == getattr(tb, name)(), name
    assert {b.name: int(b) for b in SDPBackend} == \
        {n: getattr(torch.nn.attention.SDPBackend, n).value for n in
         ("ERROR", "MATH", "FLASH_ATTENTION", "EFFICIENT_ATTENTION", "CUDNN_ATTENTION",
          "OVERRIDEABLE")}
    assert db.is_built() == dpt.cuda.is_available()
    if not (torch.cuda.is_available() or dpt.cuda.is_available()):
        assert db.is_built() == tb.is_built()


@requires_cpu_only
def test_cufft_plan_cache_needs_a_gpu():
    with pytest.raises(RuntimeError, match=r"expected 0 <= device index < 0, but got device "
                                           r"with index 0"):
        dpt.backends.cuda.cufft_plan_cache[0]
    with pytest.raises(RuntimeError, match="no CUDA device"):
        dpt.backends.cuda.cufft_plan_cache.max_size


def test_sdp_flags_and_context_managers():
    cuda = dpt.backends.cuda
    cuda.enable_flash_sdp(False)
    try:
        assert cuda.flash_sdp_enabled() is False
    finally:
        cuda.enable_flash_sdp(True)
    with pytest.warns(FutureWarning, match="sdpa_kernel"):
        ctx = cuda.sdp_kernel(enable_flash=False, enable_mem_efficient=False)
    with ctx:
        assert (cuda.flash_sdp_enabled(), cuda.mem_efficient_sdp_enabled(),
                cuda.math_sdp_enabled()) == (False, False, True)
    assert cuda.flash_sdp_enabled() and cuda.mem_efficient_sdp_enabled()
    with sdpa_kernel(SDPBackend.MATH):
        assert (cuda.flash_sdp_enabled(), cuda.mem_efficient_sdp_enabled(),
                cuda.math_sdp_enabled(), cuda.cudnn_sdp_enabled()) == (False, False, True, False)
    with sdpa_kernel([SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION]):
        assert (cuda.flash_sdp_enabled(), cuda.math_sdp_enabled()) == (True, False)
    assert cuda.math_sdp_enabled() and cuda.cudnn_sdp_enabled()
    with pytest.raises(TypeError, match="SDPBackend"):
        with sdpa_kernel("math"):
            pass
    # attention itself runs as before inside the block
    q = dpt.randn(1, 2, 3, 4)
    with sdpa_kernel(SDPBackend.FLASH_ATTENTION):
        out = dpt.nn.functional.scaled_dot_product_attention(q, q, q)
    assert out.shape == (1, 2, 3, 4)


def test_sdpa_kernel_flags_match_torch():
    torch = pytest.importorskip("torch")
    from torch.nn.attention import SDPBackend as TB, sdpa_kernel as tk
    names = ("flash_sdp_enabled", "mem_efficient_sdp_enabled", "math_sdp_enabled",
             "cudnn_sdp_enabled")
    for chosen in (["MATH"], ["FLASH_ATTENTION", "CUDNN_ATTENTION"], []):
        with tk([getattr(TB, n) for n in chosen]), sdpa_kernel([SDPBackend[n] for n in chosen]):
            assert [getattr(dpt.backends.cuda, n)() for n in names] == \
                [getattr(torch.backends.cuda, n)() for n in names], chosen


def test_cudnn_mkldnn_mps_openmp():
    b = dpt.backends
    assert (b.cudnn.enabled, b.cudnn.benchmark, b.cudnn.deterministic, b.cudnn.allow_tf32) == \
        (True, False, False, True)
    assert b.cudnn.is_available() is False and b.cudnn.version() is None
    b.cudnn.benchmark = True  # the usual one-liner of GPU scripts
    b.cudnn.benchmark = False
    with b.cudnn.flags(enabled=False, deterministic=True):
        assert b.cudnn.enabled is False and b.cudnn.deterministic is True
    assert b.cudnn.enabled is True and b.cudnn.deterministic is False
    assert b.mkldnn.is_available() is False and b.mkldnn.enabled is True
    with b.mkldnn.flags(enabled=False):
        assert b.mkldnn.enabled is False
    assert b.mkldnn.enabled is True
    assert b.mps.is_available() is False and b.mps.is_built() is False
    assert isinstance(b.openmp.is_available(), bool)


def test_cudnn_defaults_match_torch():
    torch = pytest.importorskip("torch")
    for name in ("enabled", "benchmark", "deterministic", "allow_tf32"):
        assert getattr(dpt.backends.cudnn, name) == getattr(torch.backends.cudnn, name), name
    for name in ("enabled", "deterministic"):
        assert getattr(dpt.backends.mkldnn, name) == getattr(torch.backends.mkldnn, name), name
    assert dpt.backends.mps.is_available() == torch.backends.mps.is_available()


# -- deprecated amp spellings ----------------------------------------------------------------

def test_cuda_amp_aliases_warn_and_behave_as_dpt_amp():
    with pytest.warns(FutureWarning, match=r"`dpt.cuda.amp.autocast\(args...\)` is deprecated. "
                                           r"Please use `dpt.amp.autocast\('cuda', args...\)`"):
        ac = dpt.cuda.amp.autocast()
    assert isinstance(ac, dpt.amp.autocast) and ac.device == "cuda"
    assert ac.fast_dtype is dpt.float16
    with ac:
        assert dpt.is_autocast_enabled("cuda")
    assert not dpt.is_autocast_enabled("cuda")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scaler = dpt.cuda.amp.GradScaler(init_scale=8.0)
    assert any(w.category is FutureWarning and "dpt.amp.GradScaler('cuda'" in str(w.message)
               for w in caught)
    assert isinstance(scaler, dpt.amp.GradScaler)
    if not dpt.cuda.is_available():
        assert not scaler.is_enabled()  # as torch: no GPU, scaling disabled


def test_cuda_amp_custom_fwd_bwd_warn():
    with pytest.warns(FutureWarning, match="custom_fwd"):
        fwd = dpt.cuda.amp.custom_fwd(lambda ctx, x: x * 2)
    with pytest.warns(FutureWarning, match="custom_bwd"):
        bwd = dpt.cuda.amp.custom_bwd(lambda ctx, g: g * 2)

    class Double(dpt.autograd.Function):
        forward = staticmethod(fwd)
        backward = staticmethod(bwd)

    x = dpt.ones(2, requires_grad=True)
    Double.apply(x).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]
    with pytest.warns(FutureWarning):
        dec = dpt.cuda.amp.custom_fwd(cast_inputs=dpt.float32)
    assert callable(dec)


def test_cpu_amp_aliases():
    with pytest.warns(FutureWarning, match=r"dpt.amp.autocast\('cpu'"):
        ac = dpt.cpu.amp.autocast()
    assert isinstance(ac, dpt.amp.autocast) and ac.fast_dtype is dpt.bfloat16
    a = dpt.randn(2, 3)
    with ac:
        assert (a @ a.t()).dtype is dpt.bfloat16
    with pytest.warns(FutureWarning, match=r"dpt.amp.GradScaler\('cpu'"):
        scaler = dpt.cpu.amp.GradScaler()
    assert scaler.is_enabled() and scaler.get_scale() == 2.0 ** 16
    assert dpt.cpu.is_available() and dpt.cpu.device_count() == 1
    assert dpt.cpu.current_device() == "cpu" and dpt.cpu.synchronize() is None


def test_amp_alias_warnings_match_torch():
    torch = pytest.importorskip("torch")

    def messages(mod, make):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            make(mod)
        return [str(w.message).replace(mod.__name__, "X") for w in caught
                if w.category is FutureWarning]
    for make in (lambda m: m.cuda.amp.autocast(), lambda m: m.cpu.amp.autocast(),
                 lambda m: m.cuda.amp.GradScaler(), lambda m: m.cpu.amp.GradScaler()):
        assert messages(dpt, make) == messages(torch, make)


# -- CUDA seeding without a GPU ----------------------------------------------------------------

@requires_cpu_only
def test_cuda_seeding_is_a_no_op_without_gpu():
    state = dpt.get_rng_state()
    assert dpt.cuda.manual_seed(0) is None
    assert dpt.cuda.manual_seed_all(1) is None
    assert dpt.cuda.seed() is None and dpt.cuda.seed_all() is None
    assert dpt.equal(dpt.get_rng_state(), state)  # the CPU generator is untouched
    with pytest.raises(RuntimeError, match="no CUDA device"):
        dpt.cuda.initial_seed()
    with pytest.raises(ValueError):
        dpt.cuda.manual_seed("x")


def test_more_cuda_queries_without_gpu():
    assert dpt.cuda.is_bf16_supported() is False  # CuPy has no bfloat16, GPU or not
    assert dpt.cuda.is_initialized() == dpt.cuda.is_available()
    states = dpt.cuda.get_rng_state_all()
    assert len(states) == dpt.cuda.device_count()
    dpt.cuda.set_rng_state_all(states)
    if not dpt.cuda.is_available():
        assert states == []


def test_float32_matmul_precision(recwarn):
    assert dpt.get_float32_matmul_precision() == "highest"
    try:
        dpt.set_float32_matmul_precision("high")
        assert dpt.get_float32_matmul_precision() == "high"
        assert dpt.backends.cuda.matmul.allow_tf32 is True
        dpt.set_float32_matmul_precision("medium")
        assert dpt.get_float32_matmul_precision() == "medium"
        with pytest.warns(UserWarning, match="unknown precision"):
            dpt.set_float32_matmul_precision("low")
        assert dpt.get_float32_matmul_precision() == "medium"
        with pytest.raises(RuntimeError, match="expects a str, but got int"):
            dpt.set_float32_matmul_precision(3)
    finally:
        dpt.set_float32_matmul_precision("highest")
    assert dpt.backends.cuda.matmul.allow_tf32 is False


# -- dpt.accelerator ---------------------------------------------------------------------------

@requires_cpu_only
def test_accelerator_without_gpu():
    acc = dpt.accelerator
    assert acc.current_accelerator() is None and acc.current_accelerator(True) is None
    assert acc.is_available() is False and acc.device_count() == 0
    msg = "Cannot access accelerator device when none is available."
    for call in (acc.current_device_index, acc.synchronize, lambda: acc.set_device_index(0),
                 acc.empty_cache, acc.memory_allocated, acc.current_stream):
        with pytest.raises(RuntimeError, match=msg):
            call()
    with pytest.warns(FutureWarning, match="current_device_index"):
        with pytest.raises(RuntimeError):
            acc.current_device_idx()
    with acc.device_index(None):
        pass
    with pytest.raises(RuntimeError, match=msg):
        with acc.device_index(0):
            pass
    # the device-agnostic idiom picks the CPU
    dev = acc.current_accelerator() or dpt.device("cpu")
    assert dpt.ones(1, device=dev).is_cpu


@requires_cpu_only
def test_accelerator_matches_torch():
    torch = pytest.importorskip("torch")
    if torch.accelerator.is_available():
        pytest.skip("torch sees an accelerator")
    assert dpt.accelerator.current_accelerator() == torch.accelerator.current_accelerator()
    assert dpt.accelerator.device_count() == torch.accelerator.device_count()
    for name in ("current_device_index", "synchronize"):
        with pytest.raises(RuntimeError) as ours:
            getattr(dpt.accelerator, name)()
        with pytest.raises(RuntimeError) as theirs:
            getattr(torch.accelerator, name)()
        assert str(ours.value) == str(theirs.value)


# -- dpt.onnx --------------------------------------------------------------------------------

def test_onnx_export_is_a_clear_error(tmp_path):
    model = dpt.nn.Linear(2, 2)
    path = tmp_path / "m.onnx"
    with pytest.raises(NotImplementedError, match="not supported by dpt"):
        dpt.onnx.export(model, (dpt.ones(1, 2),), str(path), input_names=["x"],
                        opset_version=17, dynamic_axes={"x": {0: "batch"}})
    assert not path.exists()
    assert dpt.onnx.is_in_onnx_export() is False
    assert issubclass(dpt.onnx.OnnxExporterError, RuntimeError)


# -- NonDynamicallyQuantizableLinear -----------------------------------------------------------

def test_non_dynamically_quantizable_linear():
    from dpt.nn.modules.linear import Linear, NonDynamicallyQuantizableLinear
    m = NonDynamicallyQuantizableLinear(3, 2, bias=False, dtype=dpt.float64)
    assert isinstance(m, Linear) and m.bias is None and m.weight.dtype is dpt.float64
    x = dpt.randn(4, 3, dtype=dpt.float64)
    np.testing.assert_allclose(m(x).detach().numpy(), x.numpy() @ m.weight.detach().numpy().T)
    assert repr(m) == "NonDynamicallyQuantizableLinear(in_features=3, out_features=2, bias=False)"
    assert type(dpt.nn.MultiheadAttention(4, 2).out_proj) is NonDynamicallyQuantizableLinear
    assert not hasattr(dpt.nn, "NonDynamicallyQuantizableLinear")  # as in torch


# -- dpt.tensor from any sequence ----------------------------------------------------------

TENSOR_INPUTS = {
    "deque": lambda m: collections.deque([1, 2, 3]),
    "range": lambda m: range(5),
    "empty_range": lambda m: range(0),
    "tuple_of_tensors": lambda m: (m.tensor(1.), m.tensor(2.)),
    "one_element_tensors": lambda m: [m.tensor([1.]), m.tensor([[2.]])],
    "int32_tensor_and_int": lambda m: [m.tensor(1, dtype=m.int32), 2],
    "int8_and_int16_tensors": lambda m: [m.tensor(1, dtype=m.int8), m.tensor(2, dtype=m.int16)],
    "float64_tensor_and_float": lambda m: [m.tensor(1., dtype=m.float64), 2.5],
    "numpy_float32_scalars": lambda m: [np.float32(1), np.float32(2)],
    "numpy_int_scalars": lambda m: [np.int32(1), np.int16(2)],
    "numpy_scalar_and_float": lambda m: [np.float32(1), 2.5],
    "numpy_float64_and_int": lambda m: [np.float64(1), 2],
    "numpy_0d_scalar": lambda m: np.float16(3),
    "numpy_bools": lambda m: [np.bool_(True), False],
    "numpy_complex": lambda m: [np.complex64(1 + 2j), 1],
    "nested_mix": lambda m: [(1, 2), [3, 4], range(5, 7)],
    "nested_deque": lambda m: [collections.deque([1., 2.]), (3, 4)],
    "list_of_arrays": lambda m: [np.array([1, 2]), np.array([3, 4])],
    "array_array": lambda m: array.array("d", [1, 2]),
    "memoryview": lambda m: memoryview(b"ab"),
    "tensor_in_nested_list": lambda m: [[m.tensor(1, dtype=m.uint8)], [3]],
    "nested_empty": lambda m: [[], []],
    "bool_and_int": lambda m: [True, 2],
    # errors
    "multi_element_int_tensors": lambda m: [m.tensor([1, 2]), m.tensor([3, 4])],
    "multi_element_float_tensor": lambda m: [m.tensor([1., 2.])],
    "ragged": lambda m: [[1, 2], [3]],
    "ragged_deeper": lambda m: [[[1], [2]], [[3], [4, 5]]],
    "str_in_list": lambda m: ["a"],
    "str": lambda m: "abc",
    "dict": lambda m: {1: 2},
    "set": lambda m: {1, 2},
    "none_in_list": lambda m: [None],
    "generator": lambda m: (i for i in range(3)),
    "too_big": lambda m: [2 ** 64],
}


def _outcome(mod, make):
    try:
        r = mod.tensor(make(mod))
    except Exception as e:  # noqa: BLE001  (the error is the result compared)
        msg = str(e).replace("new(): ", "tensor(): ")
        return type(e).__name__, msg.split(": Python int")[0]
    return str(r.dtype).split(".")[-1], tuple(r.shape), r.tolist()


@pytest.mark.parametrize("name", sorted(TENSOR_INPUTS))
def test_tensor_accepts_what_torch_accepts(name):
    torch = pytest.importorskip("torch")
    make = TENSOR_INPUTS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert _outcome(dpt, make) == _outcome(torch, make)


def test_tensor_from_sequences_without_torch():
    assert dpt.tensor(range(3)).dtype is dpt.int64
    assert dpt.tensor(collections.deque([1.5])).dtype is dpt.float32
    t = dpt.tensor([dpt.tensor(1, dtype=dpt.int16), np.int8(2)])
    assert t.dtype is dpt.int16 and t.tolist() == [1, 2]
    with pytest.raises(ValueError, match=r"expected sequence of length 2 at dim 1 \(got 1\)"):
        dpt.tensor([[1, 2], [3]])
    with pytest.raises(RuntimeError, match="Could not infer dtype of generator"):
        dpt.tensor(x for x in range(2))
    with pytest.raises(ValueError, match="only one element tensors"):
        dpt.tensor([dpt.ones(2)])


# -- weights_only allowlists -------------------------------------------------------------------

class Point:
    def __init__(self, x, y):
        self.x, self.y, self.tags = x, y, {"a", "b"}


class Holder:
    def __init__(self, inner):
        self.inner = inner


class Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


@pytest.fixture
def clean_safe_globals():
    serialization.clear_safe_globals()
    yield
    serialization.clear_safe_globals()


def _saved(obj) -> io.BytesIO:
    buf = io.BytesIO()
    dpt.save(obj, buf)
    buf.seek(0)
    return buf


def test_weights_only_refuses_unlisted_classes(clean_safe_globals):
    buf = _saved({"p": Point(1, 2), "w": dpt.ones(2)})
    with pytest.raises(pickle.UnpicklingError, match=r"test_idioms.Point.*add_safe_globals"):
        dpt.load(buf)
    buf.seek(0)
    assert dpt.load(buf, weights_only=False)["p"].y == 2


def test_add_get_clear_safe_globals(clean_safe_globals):
    serialization.add_safe_globals([Point])
    serialization.add_safe_globals([Point])  # no duplicates
    assert serialization.get_safe_globals() == [Point]
    got = dpt.load(_saved({"p": Point(1, dpt.ones(2)), "n": 3}))
    assert type(got["p"]) is Point and got["p"].y.tolist() == [1.0, 1.0]
    assert got["p"].tags == {"a", "b"} and got["n"] == 3  # set via protocol 2's __builtin__
    serialization.clear_safe_globals()
    assert serialization.get_safe_globals() == []
    with pytest.raises(pickle.UnpicklingError):
        dpt.load(_saved(Point(1, 2)))
    with pytest.raises(TypeError):
        serialization.add_safe_globals(Point)
    with pytest.raises(ValueError):
        serialization.add_safe_globals([(Point, 3)])


def test_safe_globals_context_manager_and_nested_classes(clean_safe_globals):
    buf = _saved(Holder(Point(1, 2)))
    with serialization.safe_globals([Holder]):
        assert serialization.get_safe_globals() == [Holder]
        with pytest.raises(pickle.UnpicklingError, match="GLOBAL tests.test_idioms.Point"):
            dpt.load(buf)  # the nested class must be allowlisted too
        buf.seek(0)
        with serialization.safe_globals([Point]):
            assert dpt.load(buf).inner.x == 1
        assert serialization.get_safe_globals() == [Holder]
    assert serialization.get_safe_globals() == []


def test_safe_globals_under_another_name(clean_safe_globals, monkeypatch):
    # a checkpoint written when the class lived in a module that no longer exists
    old = types.ModuleType("old_place")
    old.Point = type("Point", (), {"__module__": "old_place"})
    monkeypatch.setitem(sys.modules, "old_place", old)
    p = old.Point()
    p.x, p.y = 1, 2
    raw = _saved(p).getvalue()
    monkeypatch.delitem(sys.modules, "old_place")
    with pytest.raises(ModuleNotFoundError):
        dpt.load(io.BytesIO(raw), weights_only=False)
    with serialization.safe_globals([(Point, "old_place.Point")]):
        got = dpt.load(io.BytesIO(raw))
    assert type(got) is Point and (got.x, got.y) == (1, 2)


def test_allowlisting_never_lets_other_callables_run(clean_safe_globals, tmp_path):
    with pytest.raises(pickle.UnpicklingError, match="Evil"):
        dpt.load(_saved(Evil()))
    with serialization.safe_globals([Evil]):  # the class is trusted, os.system is not
        with pytest.raises(pickle.UnpicklingError, match=r"GLOBAL posix\.system is not an "):
            dpt.load(_saved(Evil()))
    # a forged file: data.json names an allowlisted class, the pickle calls os.system
    marker = tmp_path / "ran"
    payload = pickle.dumps([_Forged(str(marker))], protocol=2)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("pickle", payload)
        zf.writestr("data.json", json.dumps({
            "format": "dpt.checkpoint", "version": 1, "arrays": [],
            "root": {"type": "pickled", "index": 0}, "pickled": ["tests.test_idioms.Point"]}))
    with serialization.safe_globals([Point]):
        with pytest.raises(pickle.UnpicklingError, match="is not an allowed global"):
            dpt.load(io.BytesIO(buf.getvalue()))
    assert not marker.exists()


def test_weights_only_refuses_extension_opcodes(clean_safe_globals):
    import copyreg
    copyreg.add_extension("tests.test_idioms", "Point", 0x7ffff0)
    try:
        raw = _saved(Point(1, 2)).getvalue()
    finally:
        copyreg.remove_extension("tests.test_idioms", "Point", 0x7ffff0)
    with serialization.safe_globals([Point]):
        with pytest.raises(pickle.UnpicklingError, match="EXT4 opcode"):
            dpt.load(io.BytesIO(raw))


class _Forged:
    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (os.system, (f"touch {self.path}",))


def test_safe_globals_api_matches_torch():
    torch = pytest.importorskip("torch")
    import inspect
    for name in ("add_safe_globals", "get_safe_globals", "clear_safe_globals"):
        assert list(inspect.signature(getattr(serialization, name)).parameters) == \
            list(inspect.signature(getattr(torch.serialization, name)).parameters), name
    assert list(inspect.signature(serialization.safe_globals).parameters) == \
        list(inspect.signature(torch.serialization.safe_globals).parameters)


# -- whole-model save/load (the word-language-model idiom) -----------------------------------

class RNNModel(dpt.nn.Module):
    def __init__(self, ntoken=11, ninp=6, nhid=5, nlayers=2):
        super().__init__()
        self.encoder = dpt.nn.Embedding(ntoken, ninp)
        self.rnn = dpt.nn.LSTM(ninp, nhid, nlayers, dropout=0.2)
        self.decoder = dpt.nn.Linear(nhid, ntoken)
        self.nhid, self.nlayers = nhid, nlayers

    def forward(self, tokens, hidden):
        out, hidden = self.rnn(self.encoder(tokens), hidden)
        return self.decoder(out), hidden

    def init_hidden(self, bsz):
        weight = next(self.parameters())
        return (weight.new_zeros(self.nlayers, bsz, self.nhid),
                weight.new_zeros(self.nlayers, bsz, self.nhid))


def test_save_whole_model_and_load_it_back(tmp_path, clean_safe_globals):
    model = RNNModel().eval()
    tokens = dpt.randint(0, 11, (7, 3))
    expected, _ = model(tokens, model.init_hidden(3))
    path = tmp_path / "model.pt"
    with open(path, "wb") as f:
        dpt.save(model, f)
    with open(path, "rb") as f:
        loaded = dpt.load(f, weights_only=False)
    loaded.rnn.flatten_parameters()
    assert type(loaded) is RNNModel and type(loaded.rnn) is dpt.nn.LSTM
    assert loaded.nhid == 5 and not loaded.training
    for (k, a), (k2, b) in zip(model.state_dict().items(), loaded.state_dict().items()):
        assert k == k2 and dpt.equal(a, b)
    assert all(type(p) is dpt.nn.Parameter and p.requires_grad for p in loaded.parameters())
    got, _ = loaded(tokens, loaded.init_hidden(3))
    np.testing.assert_array_equal(got.detach().numpy(), expected.detach().numpy())
    with pytest.raises(pickle.UnpicklingError, match="weights_only=False"):
        dpt.load(path)  # the default stays safe
    with serialization.safe_globals([RNNModel, dpt.nn.Embedding, dpt.nn.LSTM, dpt.nn.Linear]):
        again = dpt.load(path)
    np.testing.assert_array_equal(again(tokens, again.init_hidden(3))[0].detach().numpy(),
                                  expected.detach().numpy())
    loaded.train()
    out, _ = loaded(tokens, loaded.init_hidden(3))
    out.sum().backward()  # the loaded model trains
    assert loaded.decoder.weight.grad is not None


# -- backend='nccl' without GPUs -----------------------------------------------------------------

@pytest.mark.skipif(dpt.distributed.is_nccl_available(), reason="NCCL is available here")
@pytest.mark.timeout(120)
def test_nccl_backend_without_gpu_is_torchs_error():
    """In a fresh process: the tests of tests/distributed keep a default group in this one."""
    import subprocess

    code = """
import dpt, dpt.distributed as dist
for backend in ("nccl", "cpu:mpi,cuda:nccl"):
    try:
        dist.init_process_group(backend)
    except RuntimeError as e:
        assert "Distributed package doesn't have NCCL built in" in str(e), e
    else:
        raise SystemExit("no error")
    assert not dist.is_initialized()
print("ok")
"""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    for k in ("PMI_RANK", "PMI_SIZE", "OMPI_COMM_WORLD_RANK", "RANK", "WORLD_SIZE"):
        env.pop(k, None)
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                       timeout=100)
    assert p.returncode == 0 and p.stdout.strip() == "ok", p.stdout + p.stderr
