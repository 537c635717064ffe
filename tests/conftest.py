"""Shared fixtures: the device parametrisation (cuda runs only where cupy sees a GPU)."""
import numpy as np
import pytest

import dpt
from dpt._device import gpu_module

HAS_CUDA = gpu_module() is not None


def pytest_collection_modifyitems(config, items):
    skip = pytest.mark.skip(reason="needs cupy and a CUDA device")
    for item in items:
        if "cuda" in item.keywords and not HAS_CUDA:
            item.add_marker(skip)


@pytest.fixture(params=["cpu", pytest.param("cuda", marks=pytest.mark.cuda)])
def device(request):
    """Run a test once on the CPU and, where a GPU exists, once on cuda."""
    return request.param


@pytest.fixture(autouse=True)
def _seed_and_default_dtype():
    dpt.manual_seed(0) if hasattr(dpt, "manual_seed") else None
    np.random.seed(0)
    prev = dpt.get_default_dtype()
    yield
    dpt.set_default_dtype(prev)
