"""Shared fixtures: the device parametrisation (cuda runs only where cupy sees a GPU)."""
import numpy as np
import pytest

import dpt
from dpt._device import gpu_module
from tests.gpu_bugs import BUGS as GPU_BUGS

HAS_CUDA = gpu_module() is not None
N_GPUS = gpu_module().cuda.runtime.getDeviceCount() if HAS_CUDA else 0


def pytest_collection_modifyitems(config, items):
    # "mpi and cuda" tests belong to the mpiexec run: deselect them elsewhere, so that the
    # plain cuda lane (pytest -m cuda) runs every test it selects and skips none.
    if not config.getoption("--with-mpi", default=False):
        away = [i for i in items if "mpi" in i.keywords and "cuda" in i.keywords]
        if away:
            config.hook.pytest_deselected(items=away)
            items[:] = [i for i in items if i not in away]
    skip = pytest.mark.skip(reason="needs cupy and a CUDA device")
    skip_multi = pytest.mark.skip(reason="needs two CUDA devices")
    for item in items:
        if "cuda" in item.keywords and not HAS_CUDA:
            item.add_marker(skip)
        elif "multi_gpu" in item.keywords and N_GPUS < 2:
            item.add_marker(skip_multi)
        elif "cuda" in item.keywords and item.nodeid in GPU_BUGS:
            item.add_marker(pytest.mark.xfail(
                strict=True, reason="GPU bug: " + GPU_BUGS[item.nodeid]))


@pytest.fixture(params=["cpu", pytest.param("cuda", marks=pytest.mark.cuda),
                        pytest.param("cuda:1", marks=[pytest.mark.cuda, pytest.mark.multi_gpu])])
def device(request):
    """Run a test once on the CPU and, where a GPU exists, once on cuda; 'cuda:1' (a device that
    is not the current one) where there are two, as under the stand-in (DPT_CUDA_STANDIN=1)."""
    return request.param


@pytest.fixture(autouse=True)
def _seed_and_default_dtype():
    dpt.manual_seed(0) if hasattr(dpt, "manual_seed") else None
    np.random.seed(0)
    prev = dpt.get_default_dtype()
    yield
    dpt.set_default_dtype(prev)
