"""dpt.cuda's torch.cuda names: torch's CPU-only behaviour without a GPU (checked against the
venv's CPU build of torch), and the GPU behaviour on a GPU or the CuPy stand-in (cuda marker)."""
import inspect
import sys
import types
import warnings

import pytest

import dpt

no_gpu = pytest.mark.skipif(dpt.cuda.is_available(), reason="a GPU (or the stand-in) is present")


def _outcome(fn, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return "ok", fn(*args)
        except Exception as exc:  # noqa: BLE001 - the type is what is compared
            return "raised", exc


# -- without a GPU: torch's CPU build is the spec ------------------------------------------------
# Every call torch answers on the CPU, dpt answers alike; where torch raises, dpt raises
# AssertionError (torch's "not compiled with CUDA" type; torch's accidental AttributeError or
# KeyError from its missing bindings is not worth copying), which is also a RuntimeError.
RAISES = ["reset_peak_memory_stats", "mem_get_info", "reset_accumulated_memory_stats",
          "get_per_process_memory_fraction", "memory_snapshot", "memory_summary",
          "get_device_capability", "init", "default_stream", "current_stream",
          "get_rng_state", "set_sync_debug_mode", "get_sync_debug_mode", "ipc_collect",
          "current_device", "synchronize", "get_device_properties", "initial_seed",
          "is_current_stream_capturing", "graph_pool_handle", "CUDAGraph"]
RAISE_ARGS = {"set_sync_debug_mode": (0,), "get_device_properties": (0,)}


@no_gpu
@pytest.mark.parametrize("name", RAISES)
def test_gpu_only_calls_raise_like_torch(name):
    torch = pytest.importorskip("torch")
    args = RAISE_ARGS.get(name, ())
    assert _outcome(getattr(torch.cuda, name), *args)[0] == "raised"
    kind, exc = _outcome(getattr(dpt.cuda, name), *args)
    assert kind == "raised" and isinstance(exc, AssertionError) and isinstance(exc, RuntimeError)
    assert "no CUDA device is available" in str(exc)


@no_gpu
def test_two_argument_and_allocator_calls_raise_like_torch():
    torch = pytest.importorskip("torch")
    for name, args in [("can_device_access_peer", (0, 1)),
                       ("set_per_process_memory_fraction", (0.5,)),
                       ("caching_allocator_alloc", (16,)), ("caching_allocator_delete", (0,)),
                       ("check_error", (0,)), ("ExternalStream", (0,)), ("Stream", ()),
                       ("Event", ())]:
        assert _outcome(getattr(torch.cuda, name), *args)[0] == "raised", name
        kind, exc = _outcome(getattr(dpt.cuda, name), *args)
        assert kind == "raised" and isinstance(exc, RuntimeError), name


DEFAULTS = ["max_memory_allocated", "memory_allocated", "max_memory_reserved",
            "memory_reserved", "memory_stats", "memory_stats_as_nested_dict", "get_arch_list",
            "get_gencode_flags", "is_tf32_supported", "device_count", "is_available",
            "is_initialized", "get_rng_state_all", "list_gpu_processes", "empty_cache",
            "caching_allocator_enable", "seed", "seed_all"]


@no_gpu
@pytest.mark.parametrize("name", DEFAULTS)
def test_queries_answer_torchs_defaults(name):
    torch = pytest.importorskip("torch")
    want = _outcome(getattr(torch.cuda, name))
    got = _outcome(getattr(dpt.cuda, name))
    assert want[0] == got[0] == "ok"
    assert got[1] == want[1] and type(got[1]) is type(want[1])


@no_gpu
def test_deprecated_memory_aliases_warn_and_answer_zero():
    torch = pytest.importorskip("torch")
    for name in ["memory_cached", "max_memory_cached"]:
        with pytest.warns(FutureWarning, match="renamed"):
            assert getattr(dpt.cuda, name)() == 0 == getattr(torch.cuda, name)()


@no_gpu
def test_no_op_contexts_and_setters_without_a_gpu():
    x = dpt.zeros(2)
    with dpt.cuda.device_of(x), dpt.cuda.device(None), dpt.cuda.device(-1):
        pass
    with dpt.cuda.StreamContext(None) as s, dpt.cuda.stream(None):
        assert s is None
    dpt.cuda.set_stream(None)
    dpt.cuda.set_rng_state(dpt.zeros(16, dtype=dpt.uint8))
    dpt.cuda.caching_allocator_enable(True)
    with dpt.cuda.caching_allocator_disabled():
        pass
    assert dpt.cuda.default_generators == ()


@no_gpu
def test_legacy_gpu_types_without_a_gpu():
    torch = pytest.importorskip("torch")
    for name in ["FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor", "IntTensor",
                 "ShortTensor", "CharTensor", "ByteTensor", "BoolTensor", "BFloat16Tensor"]:
        with pytest.raises(TypeError):
            getattr(torch.cuda, name)(2)
        with pytest.raises(TypeError, match=f"dpt.cuda.{name} not available"):
            getattr(dpt.cuda, name)(2)
    assert not isinstance(dpt.zeros(2), dpt.cuda.FloatTensor)
    assert isinstance(dpt.zeros(2), dpt.FloatTensor)


@no_gpu
def test_nvml_readings_need_pynvml_like_torch(monkeypatch):
    torch = pytest.importorskip("torch")
    monkeypatch.setitem(sys.modules, "pynvml", None)  # as if not installed
    for name in ["utilization", "temperature", "power_draw", "clock_rate", "memory_usage",
                 "device_memory_used"]:
        with pytest.raises(ModuleNotFoundError) as want:
            getattr(torch.cuda, name)()
        with pytest.raises(ModuleNotFoundError) as got:
            getattr(dpt.cuda, name)()
        assert str(got.value) == str(want.value)
    assert dpt.cuda.list_gpu_processes() == torch.cuda.list_gpu_processes()


def test_constants_and_exception_types_match_torch():
    torch = pytest.importorskip("torch")
    assert dpt.cuda.has_half == torch.cuda.has_half and dpt.cuda.has_magma == torch.cuda.has_magma
    assert issubclass(dpt.cuda.OutOfMemoryError, RuntimeError)
    assert issubclass(dpt.cuda.OutOfMemoryError, MemoryError)  # CuPy's is a MemoryError
    assert issubclass(dpt.cuda.CudaError, RuntimeError)


SIGNATURES = ["memory_stats", "memory_summary", "max_memory_allocated", "reset_peak_memory_stats",
              "mem_get_info", "set_per_process_memory_fraction", "get_per_process_memory_fraction",
              "memory_snapshot", "list_gpu_processes", "get_device_capability",
              "can_device_access_peer", "default_stream", "set_stream", "get_rng_state",
              "set_rng_state", "check_error", "utilization", "temperature", "power_draw",
              "clock_rate", "set_sync_debug_mode", "caching_allocator_alloc",
              "caching_allocator_delete", "caching_allocator_enable", "make_graphed_callables",
              "memory_cached", "reset_max_memory_allocated", "reset_accumulated_memory_stats",
              "memory_reserved", "max_memory_reserved", "ipc_collect", "init", "device_of",
              "StreamContext", "get_arch_list", "get_gencode_flags", "is_tf32_supported"]


@pytest.mark.parametrize("name", SIGNATURES)
def test_signatures_match_torch(name):
    torch = pytest.importorskip("torch")

    def params(fn):
        return [(p.name, p.default) for p in inspect.signature(fn).parameters.values()
                if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)]
    assert params(getattr(dpt.cuda, name)) == params(getattr(torch.cuda, name))


# -- on a GPU (or the stand-in) -------------------------------------------------------------------
@pytest.fixture
def pool_clean():
    """Leave the pool as found: no limit, cache freed, peaks and counters reset."""
    yield
    dpt.cuda.set_per_process_memory_fraction(1.0)
    dpt.cuda.empty_cache()
    dpt.cuda.reset_peak_memory_stats()
    dpt.cuda.reset_accumulated_memory_stats()


@pytest.mark.cuda
def test_peak_memory_is_tracked_and_reset(pool_clean):
    dpt.cuda.reset_peak_memory_stats()
    base = dpt.cuda.memory_allocated()
    ptr = dpt.cuda.caching_allocator_alloc(1 << 20)
    assert isinstance(ptr, int)
    assert dpt.cuda.memory_allocated() >= base + (1 << 20)
    assert dpt.cuda.max_memory_allocated() >= base + (1 << 20)
    assert dpt.cuda.memory_reserved() >= dpt.cuda.memory_allocated()
    dpt.cuda.caching_allocator_delete(ptr)
    assert dpt.cuda.memory_allocated() == base
    assert dpt.cuda.max_memory_allocated() >= base + (1 << 20)  # the peak stays
    assert dpt.cuda.memory_reserved() >= base + (1 << 20)  # cached by the pool
    dpt.cuda.empty_cache()
    assert dpt.cuda.memory_reserved() < base + (1 << 20)
    dpt.cuda.reset_peak_memory_stats()
    assert dpt.cuda.max_memory_allocated() == dpt.cuda.memory_allocated()
    with pytest.warns(FutureWarning):
        dpt.cuda.reset_max_memory_allocated()
    with pytest.raises(RuntimeError, match="caching_allocator_alloc"):
        dpt.cuda.caching_allocator_delete(ptr)


@pytest.mark.cuda
def test_peak_is_exact_under_mixed_allocations_and_frees(pool_clean):
    pool = dpt._device.gpu_module().get_default_memory_pool()
    dpt.cuda.reset_peak_memory_stats()
    true_peak, live = pool.used_bytes(), []
    sizes = [3000, 70000, 512, 1, 250000, 4096, 99999, 12345, 800000, 7]
    for step in range(60):
        size = sizes[(step * 7) % len(sizes)]
        if step % 3 == 2 and live:  # frees interleaved, so usage goes up and down
            dpt.cuda.caching_allocator_delete(live.pop((step * 5) % len(live)))
        else:
            live.append(dpt.cuda.caching_allocator_alloc(size))
        true_peak = max(true_peak, pool.used_bytes())
    assert dpt.cuda.max_memory_allocated() == true_peak
    for ptr in live:
        dpt.cuda.caching_allocator_delete(ptr)


@pytest.mark.cuda
def test_memory_stats_keys_nested_and_summary(pool_clean):
    ptr = dpt.cuda.caching_allocator_alloc(4096)
    stats = dpt.cuda.memory_stats()
    assert list(stats) == sorted(stats)
    assert stats["allocated_bytes.all.current"] == dpt.cuda.memory_allocated() >= 4096
    assert stats["reserved_bytes.all.peak"] >= stats["reserved_bytes.all.current"]
    nested = dpt.cuda.memory_stats_as_nested_dict()
    assert nested["allocated_bytes"]["all"]["current"] == stats["allocated_bytes.all.current"]
    assert nested["num_ooms"] == stats["num_ooms"]
    summary = dpt.cuda.memory_summary()
    assert "Allocated memory" in summary and "device 0" in summary
    assert dpt.cuda.memory_stats("cuda:1")["allocated_bytes.all.current"] == \
        dpt.cuda.memory_allocated(1)
    dpt.cuda.caching_allocator_delete(ptr)
    with pytest.raises(NotImplementedError, match="segments"):
        dpt.cuda.memory_snapshot()


@pytest.mark.cuda
def test_memory_fraction_caps_the_pool_and_oom_is_dpts(pool_clean):
    assert dpt.cuda.get_per_process_memory_fraction() == 1.0
    free, total = dpt.cuda.mem_get_info()
    assert 0 <= free <= total
    dpt.cuda.set_per_process_memory_fraction(0.25)
    assert dpt.cuda.get_per_process_memory_fraction() == pytest.approx(0.25)
    assert dpt.cuda.get_per_process_memory_fraction(1) == 1.0  # per device
    with pytest.raises(dpt.cuda.OutOfMemoryError) as err:
        dpt.cuda.caching_allocator_alloc(int(total * 0.3))
    assert isinstance(err.value, MemoryError) and "out of memory" in str(err.value).lower()
    assert isinstance(err.value, dpt._device.gpu_module().cuda.memory.OutOfMemoryError)
    assert type(err.value.__cause__) is dpt._device.gpu_module().cuda.memory.OutOfMemoryError
    assert dpt.cuda.memory_stats()["num_ooms"] == 1
    dpt.cuda.reset_accumulated_memory_stats()
    assert dpt.cuda.memory_stats()["num_ooms"] == 0
    dpt.cuda.set_per_process_memory_fraction(0.0)  # torch: nothing may be allocated
    assert dpt.cuda.get_per_process_memory_fraction() == 0.0
    with pytest.raises(dpt.cuda.OutOfMemoryError):
        dpt.cuda.caching_allocator_alloc(1)
    with pytest.raises(TypeError, match="float"):
        dpt.cuda.set_per_process_memory_fraction(1)
    with pytest.raises(ValueError, match="fraction"):
        dpt.cuda.set_per_process_memory_fraction(1.5)


@pytest.mark.cuda
def test_caching_allocator_alloc_on_a_stream(pool_clean):
    s = dpt.cuda.Stream()
    ptr = dpt.cuda.caching_allocator_alloc(512, device=0, stream=s)
    assert dpt.cuda.current_stream() == dpt.cuda.default_stream()
    assert dpt.cuda.memory_allocated(0) >= 512
    dpt.cuda.caching_allocator_delete(ptr)


@pytest.mark.cuda
def test_caching_allocator_disabled_bypasses_the_pool(pool_clean):
    before = dpt.cuda.memory_allocated()
    with dpt.cuda.caching_allocator_disabled():
        ptr = dpt.cuda.caching_allocator_alloc(1 << 16)
        assert dpt.cuda.memory_allocated() == before
        dpt.cuda.caching_allocator_delete(ptr)
    ptr = dpt.cuda.caching_allocator_alloc(1 << 16)
    assert dpt.cuda.memory_allocated() > before
    dpt.cuda.caching_allocator_delete(ptr)


@pytest.mark.cuda
def test_device_queries():
    major, minor = dpt.cuda.get_device_capability()
    assert (major, minor) == dpt.cuda.get_device_capability("cuda:0")
    assert f"sm_{major}{minor}" in dpt.cuda.get_arch_list()
    assert f"-gencode compute=compute_{major}{minor},code=sm_{major}{minor}" in \
        dpt.cuda.get_gencode_flags()
    assert dpt.cuda.is_tf32_supported() == ((major, minor) >= (8, 0))
    dpt.cuda.init()
    assert dpt.cuda.can_device_access_peer(0, 0) is False
    if dpt.cuda.device_count() > 1:
        assert isinstance(dpt.cuda.can_device_access_peer(0, "cuda:1"), bool)
    with pytest.raises(AssertionError, match="Invalid device id"):
        dpt.cuda.get_device_capability(99)
    with pytest.raises(ValueError, match="Expected a cuda device"):
        dpt.cuda.get_device_capability("cpu")


@pytest.mark.cuda
def test_streams_default_set_context_and_external():
    default = dpt.cuda.default_stream()
    assert default.cuda_stream == 0 and default == dpt.cuda.current_stream()
    s = dpt.cuda.Stream()
    dpt.cuda.set_stream(s)
    try:
        assert dpt.cuda.current_stream() == s
    finally:
        dpt.cuda.set_stream(default)
    assert dpt.cuda.current_stream() == default
    with dpt.cuda.StreamContext(s) as entered:
        assert entered is s and dpt.cuda.current_stream() == s
    assert dpt.cuda.current_stream() == default
    ext = dpt.cuda.ExternalStream(s.cuda_stream)
    assert ext.cuda_stream == s.cuda_stream and ext.device == dpt.device("cuda", 0)
    e = s.record_event()
    ext.wait_event(e)
    s.wait_stream(ext)
    assert s.query() and e.query()


@pytest.mark.cuda
@pytest.mark.multi_gpu
def test_stream_context_and_device_of_switch_devices():
    s1 = dpt.cuda.Stream(device=1)
    assert s1.device == dpt.device("cuda", 1)
    with dpt.cuda.stream(s1):
        assert dpt.cuda.current_device() == 1 and dpt.cuda.current_stream() == s1
        with s1:  # re-entrant
            assert dpt.cuda.current_stream() == s1
    assert dpt.cuda.current_device() == 0
    x = dpt.ones(2, device="cuda:1")
    with dpt.cuda.device_of(x):
        assert dpt.cuda.current_device() == 1
    with dpt.cuda.device_of(dpt.ones(2)):
        assert dpt.cuda.current_device() == 0
    assert dpt.cuda.default_stream(1).device == dpt.device("cuda", 1)


@pytest.mark.cuda
def test_rng_state_round_trip_and_default_generators():
    gens = dpt.cuda.default_generators
    assert isinstance(gens, tuple) and len(gens) == dpt.cuda.device_count()
    state = dpt.cuda.get_rng_state()
    assert state.dtype == dpt.uint8 and state.device == dpt.device("cpu")
    a = dpt.rand(4, device="cuda")
    dpt.cuda.set_rng_state(state)
    b = dpt.rand(4, device="cuda")
    assert dpt.equal(a, b)
    assert dpt.equal(dpt.cuda.get_rng_state("cuda:0"), dpt.cuda.get_rng_state(0))
    with pytest.raises(TypeError, match="ByteTensor"):
        dpt.cuda.set_rng_state(dpt.zeros(16))


@pytest.mark.cuda
def test_legacy_gpu_tensor_types():
    f = dpt.cuda.FloatTensor(2, 3)
    assert f.shape == (2, 3) and f.dtype == dpt.float32 and f.is_cuda
    assert isinstance(f, dpt.cuda.FloatTensor) and not isinstance(f, dpt.FloatTensor)
    assert not isinstance(f, dpt.cuda.DoubleTensor)
    n = dpt.cuda.LongTensor([1, 2])
    assert n.dtype == dpt.int64 and n.tolist() == [1, 2] and isinstance(n, dpt.cuda.LongTensor)
    assert not isinstance(dpt.zeros(2), dpt.cuda.FloatTensor)
    assert not isinstance(3, dpt.cuda.FloatTensor)
    with pytest.raises(RuntimeError, match="expects device type: cuda"):
        dpt.cuda.FloatTensor(2, device="cpu")


@pytest.mark.cuda
def test_graphs_are_refused_clearly():
    assert dpt.cuda.is_current_stream_capturing() is False
    for call in [lambda: dpt.cuda.CUDAGraph(), lambda: dpt.cuda.graph(None),
                 lambda: dpt.cuda.make_graphed_callables(lambda x: x, (dpt.zeros(1),)),
                 dpt.cuda.graph_pool_handle]:
        with pytest.raises(NotImplementedError, match="graph capture"):
            call()


@pytest.mark.cuda
def test_sync_debug_mode_and_errors():
    assert dpt.cuda.get_sync_debug_mode() == 0
    dpt.cuda.set_sync_debug_mode("warn")
    try:
        assert dpt.cuda.get_sync_debug_mode() == 1
        with pytest.raises(RuntimeError, match="invalid value of debug_mode"):
            dpt.cuda.set_sync_debug_mode("loud")
    finally:
        dpt.cuda.set_sync_debug_mode(0)
    dpt.cuda.check_error(0)
    with pytest.raises(dpt.cuda.CudaError, match=r"\(2\)") as err:
        dpt.cuda.check_error(2)
    assert err.value.code == 2
    dpt.cuda.ipc_collect()


@pytest.mark.cuda
def test_nvml_readings_through_pynvml(monkeypatch):
    seen = []

    class FakeNvml(types.ModuleType):
        def nvmlInit(self):
            pass

        def nvmlDeviceGetHandleByPciBusId(self, bus_id):
            seen.append(bus_id)
            return "h"

        def nvmlDeviceGetUtilizationRates(self, h):
            return types.SimpleNamespace(gpu=37, memory=12)

        def nvmlDeviceGetTemperature(self, h, sensor):
            return 55 if sensor == 0 else -1

        def nvmlDeviceGetPowerUsage(self, h):
            return 120000

        def nvmlDeviceGetClockInfo(self, h, clock):
            return 1400 if clock == 1 else -1

        def nvmlDeviceGetMemoryInfo(self, h):
            return types.SimpleNamespace(used=1 << 30)

        def nvmlDeviceGetComputeRunningProcesses(self, h):
            return [types.SimpleNamespace(pid=4242, usedGpuMemory=3 << 20)]

    fake = FakeNvml("pynvml")
    for n in dir(FakeNvml):
        if n.startswith("nvml"):
            setattr(fake, n, getattr(fake, n))
    monkeypatch.setitem(sys.modules, "pynvml", fake)
    assert dpt.cuda.utilization() == 37 and dpt.cuda.memory_usage() == 12
    assert dpt.cuda.temperature() == 55 and dpt.cuda.power_draw() == 120000
    assert dpt.cuda.clock_rate() == 1400 and dpt.cuda.device_memory_used() == 1 << 30
    out = dpt.cuda.list_gpu_processes()
    assert out.splitlines()[0] == "GPU:0" and "4242" in out and "3.000 MB" in out
    assert seen[0] == dpt._device.gpu_module().cuda.Device(0).pci_bus_id
