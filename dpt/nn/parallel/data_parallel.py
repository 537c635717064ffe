"""DataParallel: one process drives several devices (scatter, replicate, run, gather)."""
from __future__ import annotations

import threading

from ... import _device
from ..._tensor import Tensor
from ...autograd import grad_mode
from ...ops.shape_copies import cat
from ..modules.module import Module


def _device_list(device_ids):
    if device_ids is None:
        n = _device.gpu_count()
        return [_device.device("cuda", i) for i in range(n)]
    devices = [_device.device("cuda", d) if isinstance(d, int) else _device.as_device(d)
               for d in device_ids]
    if not _device.gpu_available() and all(d.type == "cuda" for d in devices):
        return []  # no GPU: as in torch, the GPU ids are ignored and the module simply runs
    return devices


def scatter(inputs, devices, dim: int = 0):
    """Split every tensor in inputs into len(devices) chunks along dim, chunk i onto device i.

    Non-tensor values are repeated for every device. Differentiable: gradients of the chunks
    flow back to the original tensor.
    """
    def split(obj):
        if isinstance(obj, Tensor):
            chunks = obj.chunk(len(devices), dim)
            return [c.to(d) for c, d in zip(chunks, devices)]
        if isinstance(obj, (list, tuple)) and obj:
            parts = [split(o) for o in obj]
            return [type(obj)(p[i] for p in parts) for i in range(len(parts[0]))]
        if isinstance(obj, dict) and obj:
            parts = {k: split(v) for k, v in obj.items()}
            n = len(next(iter(parts.values())))
            return [{k: v[i] for k, v in parts.items()} for i in range(n)]
        return [obj for _ in devices]
    return split(inputs)


def replicate(module: Module, devices) -> list:
    """One copy of module per device whose parameters are differentiable copies of the
    original's, so gradients computed on any replica accumulate into the original."""
    for m in module.modules():
        if getattr(m, "has_uninitialized_params", None) and m.has_uninitialized_params():
            m._replicate_for_data_parallel()  # a lazy module refuses, as in torch

    def copy_to(m: Module, dev):
        r = m.__new__(type(m))
        r.__dict__.update(m.__dict__)
        r.__dict__["_parameters"] = {k: (None if p is None else p.to(dev))
                                     for k, p in m._parameters.items()}
        r.__dict__["_buffers"] = {k: (None if b is None else b.to(dev)) for k, b in m._buffers.items()}
        r.__dict__["_modules"] = {k: (None if c is None else copy_to(c, dev))
                                  for k, c in m._modules.items()}
        return r
    return [copy_to(module, d) for d in devices]


def parallel_apply(replicas, inputs, kwargs_list, devices):
    """Run replica i on inputs[i] in its own thread (array kernels release the GIL)."""
    results = [None] * len(replicas)
    enabled = grad_mode.is_grad_enabled()

    def run(i):
        try:
            with grad_mode.set_grad_enabled(enabled), _device.device_context(devices[i]):
                results[i] = replicas[i](*inputs[i], **kwargs_list[i])
        except BaseException as e:  # re-raised in the caller's thread with the replica named
            results[i] = e

    if len(replicas) == 1:
        run(0)
    else:
        threads = [threading.Thread(target=run, args=(i,)) for i in range(len(replicas))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    for i, r in enumerate(results):
        if isinstance(r, BaseException):
            raise RuntimeError(f"DataParallel: replica {i} on {devices[i]} failed: {r!r}") from r
    return results


def gather(outputs, target_device, dim: int = 0):
    """Concatenate the replicas' outputs along dim on target_device (differentiable)."""
    first = outputs[0]
    if isinstance(first, Tensor):
        if first.ndim == 0:
            return cat([o.to(target_device).reshape(1) for o in outputs], 0)
        return cat([o.to(target_device) for o in outputs], dim)
    if isinstance(first, (list, tuple)):
        return type(first)(gather([o[i] for o in outputs], target_device, dim)
                           for i in range(len(first)))
    if isinstance(first, dict):
        return {k: gather([o[k] for o in outputs], target_device, dim) for k in first}
    return first


class DataParallel(Module):
    """DataParallel(module, device_ids=None, output_device=None, dim=0).

    Splits each batch along ``dim`` across ``device_ids``, runs a replica of ``module`` on
    each device in its own thread, and gathers the outputs on ``output_device``. With no GPU
    (device_ids None or GPU ids only) it simply runs ``module``, as torch does. dpt also accepts
    CPU device lists (``device_ids=['cpu', 'cpu']``), which exercise the same scatter /
    replicate / gather path without a GPU.
    """

    def __init__(self, module: Module, device_ids=None, output_device=None, dim: int = 0):
        super().__init__()
        self.module = module
        self.device_ids = _device_list(device_ids)
        self.dim = dim
        self.output_device = (_device.as_device(output_device) if output_device is not None
                              else (self.device_ids[0] if self.device_ids else None))

    def forward(self, *inputs, **kwargs):
        if not self.device_ids:
            return self.module(*inputs, **kwargs)
        n = len(self.device_ids)
        ins = scatter(inputs, self.device_ids, self.dim) if inputs else [() for _ in range(n)]
        kws = scatter(kwargs, self.device_ids, self.dim) if kwargs else [{} for _ in range(n)]
        # A batch smaller than the device count gives fewer chunks: use that many replicas.
        used = min(len(ins), n) if inputs else n
        devices = self.device_ids[:used]
        if used == 1:
            return self.module(*ins[0], **kws[0])
        replicas = replicate(self.module, devices)
        outputs = parallel_apply(replicas, ins[:used], kws[:used], devices)
        return gather(outputs, self.output_device, self.dim)
