"""dpt.cuda and dpt.backends answer sensibly with and without a GPU."""
import pytest

import dpt


def test_queries_work_without_a_gpu():
    assert isinstance(dpt.cuda.is_available(), bool)
    assert dpt.cuda.device_count() == (dpt.cuda.device_count() if dpt.cuda.is_available() else 0)
    dpt.cuda.empty_cache()
    assert dpt.backends.cudnn.is_available() is False
    assert dpt.backends.mps.is_available() is False
    assert isinstance(dpt.backends.mkl.is_available(), bool)
    dpt.backends.cudnn.benchmark = True  # accepted, ignored
    dpt.backends.cudnn.benchmark = False  # the default again, for the tests that follow


def test_gpu_only_calls_say_why_without_a_gpu():
    if dpt.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(RuntimeError, match="no CUDA device is available"):
        dpt.cuda.synchronize()


@pytest.mark.cuda
def test_device_control_on_a_gpu():
    dpt.cuda.set_device(0)
    assert dpt.cuda.current_device() == 0
    x = dpt.ones(3, device="cuda")
    dpt.cuda.synchronize()
    start, end = dpt.cuda.Event(enable_timing=True), dpt.cuda.Event(enable_timing=True)
    start.record()
    (x * 2).sum()
    end.record()
    end.synchronize()
    assert start.elapsed_time(end) >= 0
    assert isinstance(dpt.cuda.get_device_name(), str)
