"""DistributedDataParallel: one model replica per rank, gradients averaged during backward.

How a step works:

* Parameters are packed into buckets in reverse registration order (the order backward
  usually produces their gradients): the first bucket holds at most 1 MiB so the first
  all-reduce starts early, the rest at most ``bucket_cap_mb``. Each bucket is one flat
  contiguous buffer. Bucket order and membership are the same on every rank.
* A post-accumulate-grad hook on each parameter copies its gradient into its bucket and,
  when the bucket is full, starts a non-blocking all-reduce on it at once (buckets are
  launched strictly in index order so every rank issues the same collectives in the same
  order). Every hook also polls the outstanding requests, which is what moves MPI
  transfers forward while backward keeps computing.
* An end-of-backward callback launches whatever is left, waits for all buckets, divides by
  the world size and writes the averaged gradient back to ``.grad`` (or leaves ``.grad`` as a
  view into the bucket with ``gradient_as_bucket_view=True``).

``state_dict()`` of the wrapper has keys prefixed with ``module.`` exactly as in torch; save
``ddp.module.state_dict()`` to load the weights into a plain, single-process model.
"""
from __future__ import annotations

import contextlib

import numpy as np

from ... import _device, distributed as dist
from ..._tensor import Tensor
from ...autograd import engine
from ...autograd.grad_mode import is_grad_enabled
from ...distributed.grad_bucket import GradBucket
from ..modules.module import Module
from .join import DDPJoin, _broadcast_flat

_FIRST_BUCKET_BYTES = 1024 * 1024


class _Bucket:
    """A flat buffer holding the gradients of a few parameters of one dtype and device."""

    def __init__(self, index: int, params: list, names: list):
        self.index = index
        self.params, self.names = params, names
        self.offsets, n = [], 0
        for p in params:
            self.offsets.append(n)
            n += p.numel()
        ref = params[0]._data
        xp = _device.xp_of(ref)
        self.device = params[0].device
        with _device.device_context(self.device):
            self.buffer = Tensor._make(xp.zeros(n, dtype=ref.dtype))
        self.views = [self.buffer._data[o:o + p.numel()].reshape(p._data.shape)
                      for o, p in zip(self.offsets, params)]
        self.pending = len(params)
        self.ready = set()
        self.future = None

    def reset(self):
        self.pending = len(self.params)
        self.ready.clear()
        self.future = None


class DistributedDataParallel(Module):
    """DistributedDataParallel(module, device_ids=None, output_device=None, dim=0,
    broadcast_buffers=True, process_group=None, bucket_cap_mb=None,
    find_unused_parameters=False, check_reduction=False, gradient_as_bucket_view=False,
    static_graph=False).

    Wrap a model on every rank after ``dist.init_process_group()``; train as usual. At
    construction every rank checks that the parameter shapes agree and receives rank 0's
    parameters and buffers. ``static_graph`` is accepted and changes nothing (dpt re-derives
    readiness every iteration).
    """

    def __init__(self, module: Module, device_ids=None, output_device=None, dim: int = 0,
                 broadcast_buffers: bool = True, process_group=None, bucket_cap_mb=None,
                 find_unused_parameters: bool = False, check_reduction: bool = False,
                 gradient_as_bucket_view: bool = False, static_graph: bool = False, **unused):
        super().__init__()
        if not dist.is_initialized():
            raise RuntimeError("Default process group has not been initialized, please make sure "
                               "to call init_process_group.")
        self.module = module
        self.process_group = process_group
        self.device_ids = list(device_ids) if device_ids else None
        self.output_device = output_device
        self.dim = dim
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.gradient_as_bucket_view = gradient_as_bucket_view
        self.static_graph = static_graph
        self.require_backward_grad_sync = True
        self.bucket_bytes_cap = int((25 if bucket_cap_mb is None else bucket_cap_mb) * 1024 * 1024)
        self._dist = dist
        self._world = dist.get_world_size(process_group)
        self._rank = dist.get_rank(process_group)
        self._named_params = [(n, p) for n, p in module.named_parameters() if p.requires_grad]
        if not self._named_params:
            raise RuntimeError("DistributedDataParallel is not needed when a module doesn't have "
                               "any parameter that requires a gradient.")
        self._comm_hook = None
        self._join = None
        self._overlap = True  # False: reduce only at the end of backward (for benchmarks)
        self._sync_this_pass = False
        self._pass_open = False
        self._predivide = None  # 1/world while a pass divides gradients as they enter buckets

        self._verify_same_model()
        self._sync_module_states()
        self._buckets = self._build_buckets()
        self._param_slot = {}
        for bucket in self._buckets:
            for i, p in enumerate(bucket.params):
                self._param_slot[id(p)] = (bucket, i)
        self._hook_handles = [p.register_post_accumulate_grad_hook(self._on_grad_ready)
                              for _, p in self._named_params]

    # -- construction ------------------------------------------------------------------
    def _verify_same_model(self):
        """Every rank must hold the same parameter names, shapes and dtypes as rank 0."""
        mine = [(n, tuple(p.shape), p.dtype.name) for n, p in self._named_params]
        gathered = [None] * self._world
        self._dist.all_gather_object(gathered, mine, group=self.process_group)
        for rank, theirs in enumerate(gathered):
            if theirs != gathered[0]:
                diff = next(((a, b) for a, b in zip(gathered[0], theirs) if a != b),
                            (f"{len(gathered[0])} parameters", f"{len(theirs)} parameters"))
                raise RuntimeError(
                    f"DistributedDataParallel: the model on rank {rank} differs from rank 0's: "
                    f"rank 0 has {diff[0]}, rank {rank} has {diff[1]}. Every rank must build the "
                    f"same model before wrapping it.")

    def _module_states(self):
        return [p for _, p in self.module.named_parameters()] + \
               [b for _, b in self.module.named_buffers()]

    def _sync_module_states(self):
        """Copy rank 0's parameters and buffers to every rank (one flat broadcast per dtype)."""
        if self._world > 1:
            _broadcast_flat(self._dist, self._module_states(), self.process_group)

    def _build_buckets(self):
        # The first bucket is small so its all-reduce starts early (never above the cap).
        buckets, current, names, size = [], [], [], 0
        cap = min(_FIRST_BUCKET_BYTES, self.bucket_bytes_cap)
        for name, p in reversed(self._named_params):
            nbytes = p.numel() * p.element_size()
            starts_new = current and (size + nbytes > cap or p.dtype is not current[0].dtype
                                      or p.device != current[0].device)
            if starts_new:
                buckets.append(_Bucket(len(buckets), current, names))
                current, names, size, cap = [], [], 0, self.bucket_bytes_cap
            current.append(p)
            names.append(name)
            size += nbytes
        if current:
            buckets.append(_Bucket(len(buckets), current, names))
        return buckets

    # -- forward -----------------------------------------------------------------------
    def forward(self, *inputs, **kwargs):
        if self._join is not None:
            self._join.notify_active()
        if self.broadcast_buffers and self._world > 1:
            buffers = [b for _, b in self.module.named_buffers()]
            if buffers:
                _broadcast_flat(self._dist, buffers, self.process_group)
        if self.device_ids:
            dev = _device.as_device(self.device_ids[0])
            inputs = tuple(x.to(dev) if isinstance(x, Tensor) else x for x in inputs)
        self._sync_this_pass = is_grad_enabled() and self.require_backward_grad_sync
        return self.module(*inputs, **kwargs)

    @contextlib.contextmanager
    def no_sync(self):
        """Inside this context backward accumulates gradients locally, without communication;
        the first backward after it reduces the accumulated sum."""
        old = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = old

    # -- gradient readiness ------------------------------------------------------------
    def _on_grad_ready(self, param: Tensor) -> None:
        if not self._sync_this_pass:
            return
        if not self._pass_open:
            self._pass_open = True
            # without a comm hook or a join, the divisor is the world size, known up front
            self._predivide = 1.0 / self._world if self._comm_hook is None and \
                self._join is None and self._world != 1 else None
            for bucket in self._buckets:
                bucket.reset()
            self._next_launch = 0
            engine.queue_callback_outermost(self._finish_backward)
        bucket, i = self._param_slot[id(param)]
        if i in bucket.ready:
            raise RuntimeError(
                f"DistributedDataParallel: parameter {bucket.names[i]} was marked ready twice in one "
                f"backward pass; this happens when backward runs twice over one forward "
                f"(retain_graph) before gradients are reduced")
        self._copy_in(bucket, i, param)
        bucket.ready.add(i)
        bucket.pending -= 1
        if self._overlap:
            self._launch_ready()
            self._poll()

    @_device.runs_on(3)
    def _copy_in(self, bucket: _Bucket, i: int, param: Tensor) -> None:
        """Gradient into its bucket slot, divided by the world size on the way in (as torch
        does before the all-reduce), so averaging costs no extra pass over the bucket."""
        view = bucket.views[i]
        grad = param._grad
        if grad is None:
            view[...] = 0
        elif self._predivide is None:
            if grad._data is not view:
                view[...] = grad._data
        else:
            _device.xp_of(view).multiply(grad._data, self._predivide, out=view)

    def _launch_ready(self) -> None:
        while self._next_launch < len(self._buckets) and \
                self._buckets[self._next_launch].pending == 0:
            self._launch(self._buckets[self._next_launch])
            self._next_launch += 1

    def _launch(self, bucket: _Bucket) -> None:
        if self._comm_hook is not None:
            state, hook = self._comm_hook
            last = bucket.index == len(self._buckets) - 1
            with _device.device_context(bucket.device):  # a hook's raw work
                bucket.future = hook(state, GradBucket(bucket, last))
        else:
            work = self._dist.all_reduce(bucket.buffer, group=self.process_group, async_op=True)
            bucket.future = _WorkFuture(work, bucket.buffer)

    def _poll(self) -> None:
        for bucket in self._buckets[:self._next_launch]:
            if not bucket.future.done():
                break

    def _finish_backward(self) -> None:
        """End of backward: launch the rest, wait, average, write .grad."""
        self._pass_open = False
        missing = [(b, i) for b in self._buckets for i in range(len(b.params)) if i not in b.ready]
        if missing and not self.find_unused_parameters:
            for bucket in self._buckets[:self._next_launch]:
                bucket.future.wait()
            names = [b.names[i] for b, i in missing]
            raise RuntimeError(
                "DistributedDataParallel: these parameters received no gradient in this "
                f"backward pass on rank {self._rank}: {names}. This error indicates that your "
                "module has parameters that were not used in producing loss; pass "
                "find_unused_parameters=True to DistributedDataParallel, or make sure all "
                "forward outputs take part in calculating the loss.")
        local_used = self._local_usage() if self.find_unused_parameters else None
        for bucket, i in missing:  # locally unused: contribute zeros so no rank waits
            with _device.device_context(bucket.device):
                bucket.views[i][...] = 0
            bucket.ready.add(i)
            bucket.pending -= 1
        self._launch_ready()
        divisor = self._join.divisor() if self._join is not None else self._world
        for bucket in self._buckets:
            with _device.device_context(bucket.device):  # the future's callbacks run here too
                result = bucket.future.wait()
                if result is not None and result._data is not bucket.buffer._data:
                    bucket.buffer._data[...] = result._data
                if self._comm_hook is None and divisor != 1 and self._predivide is None:
                    bucket.buffer._data /= divisor
        # After every bucket, so all ranks issue their collectives in the same order.
        used = self._global_usage(local_used) if local_used is not None else None
        for bucket in self._buckets:
            with _device.device_context(bucket.device):
                self._copy_out(bucket, used)

    def _local_usage(self) -> np.ndarray:
        return np.array([i in b.ready for b in self._buckets for i in range(len(b.params))],
                        dtype=np.int32)

    def _global_usage(self, local: np.ndarray):
        """Which parameters got a gradient on at least one rank (an all-reduced bitmap)."""
        self._dist.all_reduce(Tensor._make(local), group=self.process_group)
        return iter(local > 0)

    def _copy_out(self, bucket: _Bucket, used) -> None:
        for i, p in enumerate(bucket.params):
            if used is not None and not next(used):
                continue
            view = bucket.views[i]
            if self.gradient_as_bucket_view:
                if p._grad is None or p._grad._data is not view:
                    p._grad = Tensor._make(view, base=bucket.buffer)
            elif p._grad is None:
                p._grad = Tensor._make(view.copy())
            else:
                p._grad._data[...] = view

    # -- communication hooks and joins -------------------------------------------------
    def register_comm_hook(self, state, hook) -> None:
        """register_comm_hook(state, hook): hook(state, GradBucket) -> Future of the reduced
        bucket tensor. The hook is responsible for averaging (see default_hooks)."""
        if self._comm_hook is not None:
            raise RuntimeError("register_comm_hook or register_builtin_comm_hook can only be called once.")
        if not callable(hook):
            raise TypeError(f"comm hook must be callable, got {type(hook).__name__}")
        self._comm_hook = (state, hook)

    def join(self, divide_by_initial_world_size: bool = True, enable: bool = True,
             throw_on_early_termination: bool = False):
        """Context manager for uneven inputs: a rank that runs out of batches keeps matching
        the others' collectives (with zero gradients) until every rank has finished."""
        return DDPJoin(self, divide_by_initial_world_size, enable, throw_on_early_termination)

    def _shadow_step(self) -> None:
        """One training step's collectives with zero gradients, in the order active ranks
        issue them (buffers, buckets, usage bitmap); used by ranks that have joined."""
        if self.broadcast_buffers and self._world > 1:
            buffers = [b for _, b in self.module.named_buffers()]
            if buffers:
                _broadcast_flat(self._dist, buffers, self.process_group)
        for bucket in self._buckets:
            bucket.reset()
            with _device.device_context(bucket.device):
                bucket.buffer._data[...] = 0
            self._launch(bucket)
        for bucket in self._buckets:
            with _device.device_context(bucket.device):
                bucket.future.wait()
        if self.find_unused_parameters:
            self._global_usage(np.zeros(sum(len(b.params) for b in self._buckets), dtype=np.int32))

    def extra_repr(self) -> str:
        return ""


DDP = DistributedDataParallel


class _WorkFuture:
    """The minimal future of a plain all_reduce: done() polls, wait() returns the buffer."""

    __slots__ = ("_work", "_value")

    def __init__(self, work, value):
        self._work, self._value = work, value

    def done(self) -> bool:
        return self._work is None or self._work.is_completed()

    def wait(self):
        if self._work is not None:
            self._work.wait()
        return self._value
