"""dpt._standin, the strict CuPy/NCCL test double: it has exactly real CuPy's names and refuses
what CuPy refuses. These run in every lane (they import the stand-in directly)."""
import json
import os

import numpy as np
import pytest

from dpt import _standin
from dpt._standin import NAMES, _modules

cp = _standin.cupy_module()


def test_names_are_exactly_real_cupys():
    for mod, names in NAMES["modules"].items():
        m = _modules[mod]
        for n in names:
            assert hasattr(m, n) or n in dir(m), (mod, n)
    assert set(n for n in dir(cp) if not n.startswith("_")) == set(NAMES["modules"]["cupy"])
    with pytest.raises(AttributeError):
        cp.errstate  # numpy has it, CuPy does not
    with pytest.raises(AttributeError):
        cp.add.at2
    assert NAMES["cupy_version"] == cp.__version__


def test_name_list_is_checked_in_with_its_refresh_script():
    here = os.path.dirname(_standin.__file__)
    assert os.path.exists(os.path.join(here, "refresh_names.py"))
    with open(os.path.join(here, "names.json")) as f:
        assert json.load(f)["modules"]["cupy.cuda.nccl"]["NCCL_SUM"] == {"value": 0}


def test_unimplemented_real_names_raise_not_implemented():
    with pytest.raises(NotImplementedError, match="stand-in"):
        cp.ElementwiseKernel("T x", "T y", "y = x")
    with pytest.raises(NotImplementedError, match="stand-in"):
        cp.cuda.Device(0).nonexistent_but_irrelevant if False else cp.ndarray((2,)).flat


def test_no_implicit_host_conversion():
    x = cp.arange(3.0)
    assert not isinstance(x, np.ndarray)
    with pytest.raises(TypeError, match="Implicit conversion to a NumPy array is not allowed"):
        np.asarray(x)
    with pytest.raises(TypeError):
        np.add(np.ones(3), x)  # numpy operand of a device function
    with pytest.raises(TypeError):
        cp.add(x, np.ones(3))
    np.testing.assert_array_equal(x.get(), [0.0, 1.0, 2.0])
    np.testing.assert_array_equal(cp.asnumpy(x), [0.0, 1.0, 2.0])


def test_reductions_and_elements_are_0d_device_arrays():
    x = cp.arange(6.0).reshape(2, 3)
    for r in (x.sum(), cp.max(x), x.mean(), np.sum(x), x[1, 2]):
        assert isinstance(r, cp.ndarray) and r.ndim == 0
    assert float(x.sum()) == 15.0 and x[1, 2].item() == 5.0


def test_devices_are_checked():
    with cp.cuda.Device(1):
        y = cp.ones(3)
        s = cp.cuda.Stream()
    assert y.device.id == 1
    with pytest.raises(ValueError, match="Array device must be same as the current device"):
        y + 1
    with pytest.raises(ValueError):
        cp.ones(3) + y if cp.cuda.Device().id == 0 else None
    with pytest.raises(Exception, match="invalid resource handle"):
        with s:
            pass
    assert y[1:].device.id == 1  # views need no kernel
    with cp.cuda.Device(1):
        assert float((y * 2).sum()) == 6.0
    with pytest.raises(Exception, match="invalid device ordinal"):
        cp.cuda.Device(2)


def test_dtypes_cupy_lacks_are_refused():
    with pytest.raises(ValueError, match="Unsupported dtype"):
        cp.array(["a", "b"])
    with pytest.raises(ValueError, match="Unsupported dtype"):
        cp.zeros(2, dtype=object)


def test_cupyx_scatter_add_special_and_dlpack():
    import scipy.special as sps
    a = cp.zeros(3)
    _modules["cupyx"].scatter_add(a, cp.array([0, 0, 2]), cp.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(a.get(), [3.0, 0.0, 3.0])
    g = _modules["cupyx.scipy.special"].gammaln(cp.array([3.0]))
    np.testing.assert_allclose(g.get(), sps.gammaln([3.0]))
    assert a.__dlpack_device__() == (2, 0)
    assert cp.from_dlpack(a) is a
    with pytest.raises(BufferError):
        cp.from_dlpack(np.ones(2))


def test_random_state_and_events():
    rs = cp.random.RandomState(0, method=cp.cuda.curand.CURAND_RNG_PSEUDO_PHILOX4_32_10)
    u = rs.random_sample((4,), dtype=np.float32)
    assert isinstance(u, cp.ndarray) and u.dtype == np.float32
    e0, e1 = cp.cuda.Event(), cp.cuda.Event()
    e0.record(); e1.record()
    assert cp.cuda.get_elapsed_time(e0, e1) >= 0
    with pytest.raises(Exception):
        cp.cuda.get_elapsed_time(cp.cuda.Event(disable_timing=True), e1)
