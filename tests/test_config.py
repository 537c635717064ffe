"""dpt.__config__ and the thread controls."""
import pytest

import dpt


def test_show_and_parallel_info():
    text = dpt.__config__.show()
    assert isinstance(text, str)
    for word in ("dpt", "NumPy", "BLAS", "MPI", "cupy"):
        assert word in text
    info = dpt.__config__.parallel_info()
    assert "get_num_threads" in info and "OMP_NUM_THREADS" in info


def test_num_threads_round_trip():
    before = dpt.get_num_threads()
    assert before >= 1
    try:
        dpt.set_num_threads(1)
        assert dpt.get_num_threads() == 1
    finally:
        dpt.set_num_threads(before)
    assert dpt.get_num_threads() == before
    with pytest.raises(RuntimeError, match="positive"):
        dpt.set_num_threads(0)
    with pytest.raises(TypeError):
        dpt.set_num_threads(1.5)


def test_interop_threads():
    assert dpt.get_num_interop_threads() == 1
    dpt.set_num_interop_threads(2)
    assert dpt.get_num_interop_threads() == 2
    dpt.set_num_interop_threads(1)
