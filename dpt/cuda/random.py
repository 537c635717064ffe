"""The GPUs' random number generators (torch.cuda.random) on dpt.random's per-GPU generators."""
from __future__ import annotations

from .. import _device
from ..random import default_generator_for
from . import _lazy


def _generator(device):
    if isinstance(device, str) and device == "cuda":
        device = None
    return default_generator_for(_device.device("cuda", _lazy.index(device)))


def get_rng_state(device="cuda"):
    """get_rng_state(device='cuda'): the GPU generator's state as a uint8 tensor."""
    return _generator(device).get_state()


def set_rng_state(new_state, device="cuda") -> None:
    """set_rng_state(new_state, device='cuda'): restore a state from get_rng_state. Without a
    GPU this does nothing, as in torch (CPU runs of GPU scripts go on)."""
    if _device.gpu_module() is None:
        return
    _generator(device).set_state(new_state)


def get_rng_state_all() -> list:
    """Every GPU generator's state, one uint8 tensor per GPU ([] without a GPU)."""
    return [default_generator_for(_device.device("cuda", i)).get_state()
            for i in range(_device.gpu_count())]


def set_rng_state_all(new_states) -> None:
    """Restore the states get_rng_state_all() returned, GPU by GPU."""
    for i, state in enumerate(new_states):
        default_generator_for(_device.device("cuda", i)).set_state(state)


def default_generators() -> tuple:
    """Each GPU's default generator, in device order (() without a GPU)."""
    return tuple(default_generator_for(_device.device("cuda", i))
                 for i in range(_device.gpu_count()))


def manual_seed(seed: int) -> None:
    """Seed the generator of the current GPU (dpt.manual_seed seeds all devices).

    Without a GPU this does nothing, as in torch, so CPU runs of GPU scripts go on."""
    seed = int(seed)
    if _device.gpu_available():
        _generator(None).manual_seed(seed)


def manual_seed_all(seed: int) -> None:
    """Seed every GPU's generator (nothing to seed without a GPU)."""
    seed = int(seed)
    for g in default_generators():
        g.manual_seed(seed)


def seed() -> None:
    """Seed the current GPU's generator from the OS's entropy (a no-op without a GPU)."""
    if _device.gpu_available():
        _generator(None).seed()


def seed_all() -> None:
    """Seed every GPU's generator from one draw of the OS's entropy (no-op without a GPU)."""
    if _device.gpu_available():
        manual_seed_all(default_generator_for(_device.device("cuda", 0)).seed())


def initial_seed() -> int:
    """The current GPU generator's seed; raises without a GPU, as torch."""
    return _generator(None).initial_seed()
