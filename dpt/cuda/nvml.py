"""Device health readings through NVML (torch.cuda's utilization, temperature, ...).

As in torch they need the nvidia-ml-py package (module ``pynvml``); without it they raise
ModuleNotFoundError (list_gpu_processes returns a line saying so). dpt finds a GPU's NVML
handle by its PCI bus id, so CUDA_VISIBLE_DEVICES renumbering is respected.
"""
from __future__ import annotations

from . import _lazy

_NVML_TEMPERATURE_GPU = 0
_NVML_CLOCK_SM = 1


def _pynvml():
    try:
        import pynvml
    except ImportError:
        raise ModuleNotFoundError("nvidia-ml-py does not seem to be installed or it can't "
                                  "be imported.") from None
    return pynvml


def _handle(device):
    nv = _pynvml()
    idx = _lazy.index(device)
    nv.nvmlInit()
    bus_id = _lazy.gpu().cuda.Device(idx).pci_bus_id
    return nv, nv.nvmlDeviceGetHandleByPciBusId(bus_id)


def utilization(device=None) -> int:
    """utilization(device=None): percent of the last sample period a kernel was running."""
    nv, h = _handle(device)
    return nv.nvmlDeviceGetUtilizationRates(h).gpu


def memory_usage(device=None) -> int:
    """memory_usage(device=None): percent of the last sample period memory was read or written."""
    nv, h = _handle(device)
    return nv.nvmlDeviceGetUtilizationRates(h).memory


def temperature(device=None) -> int:
    """temperature(device=None): the GPU's temperature in degrees Celsius."""
    nv, h = _handle(device)
    return nv.nvmlDeviceGetTemperature(h, _NVML_TEMPERATURE_GPU)


def power_draw(device=None) -> int:
    """power_draw(device=None): the GPU's power draw in milliwatts."""
    nv, h = _handle(device)
    return nv.nvmlDeviceGetPowerUsage(h)


def clock_rate(device=None) -> int:
    """clock_rate(device=None): the streaming multiprocessors' clock in MHz."""
    nv, h = _handle(device)
    return nv.nvmlDeviceGetClockInfo(h, _NVML_CLOCK_SM)


def device_memory_used(device=None) -> int:
    """device_memory_used(device=None): bytes in use on the GPU, by every process."""
    nv, h = _handle(device)
    return nv.nvmlDeviceGetMemoryInfo(h).used


def list_gpu_processes(device=None) -> str:
    """list_gpu_processes(device=None): one line per process using the GPU, with its memory."""
    try:
        nv, h = _handle(device)
    except ModuleNotFoundError:
        return "pynvml module not found, please install nvidia-ml-py"
    lines = [f"GPU:{_lazy.index(device)}"]
    procs = nv.nvmlDeviceGetComputeRunningProcesses(h)
    for p in procs:
        mem = (p.usedGpuMemory or 0) / (1024 * 1024)
        lines.append(f"process {p.pid:>10d} uses {mem:12.3f} MB GPU memory")
    if not procs:
        lines.append("no processes are running")
    return "\n".join(lines)
