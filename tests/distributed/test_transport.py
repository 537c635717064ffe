"""The transport seam: a stand-in transport registered from this file is used by the generic
collectives, the interface is enforced, and generic code names no particular transport.
Runs in the plain pytest process (a world of one)."""
import ast
import os

import numpy as np
import pytest

import dpt
import dpt.distributed as dist
from dpt.distributed.backends import Backend, Transport, parse_backend, register_transport

pytestmark = pytest.mark.timeout(60)

PKG = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                   "dpt", "distributed")


@register_transport("recorder")
class Recorder(Transport):
    """A world-of-one transport that records what it was asked to do."""

    devices = frozenset({"cpu"})
    reduce_ops = frozenset({dist.ReduceOp.SUM})
    calls = []

    def all_reduce(self, work, arr, op):
        self.calls.append(("all_reduce", op.name, arr.shape))

    def broadcast(self, work, arr, root):
        self.calls.append(("broadcast", root))

    def reduce(self, work, arr, op, root):
        self.calls.append(("reduce", op.name, root))

    def all_gather(self, work, out, inp):
        out.reshape(-1)[...] = inp.reshape(-1)
        self.calls.append(("all_gather",))

    def reduce_scatter(self, work, out, inp, op):
        out.reshape(-1)[...] = inp.reshape(-1)
        self.calls.append(("reduce_scatter", op.name))

    def gather(self, work, out, inp, root):
        out.reshape(-1)[...] = inp.reshape(-1)
        self.calls.append(("gather", root))

    def scatter(self, work, out, inp, root):
        out.reshape(-1)[...] = inp.reshape(-1)
        self.calls.append(("scatter", root))

    def all_to_all(self, work, out, inp, out_rows, in_rows):
        out[...] = inp
        self.calls.append(("all_to_all",))

    def barrier(self, work):
        self.calls.append(("barrier",))

    def send(self, work, arr, peer, tag):
        raise RuntimeError("no peers")

    def recv(self, work, arr, peer, tag):
        raise RuntimeError("no peers")


@pytest.fixture
def recorder_group():
    if not dist.is_initialized():
        dist.init_process_group()
    group = dist.new_group(backend="recorder")
    Recorder.calls.clear()
    yield group
    dist.destroy_process_group(group)


def test_registered_name_is_a_backend():
    assert Backend("Recorder") == "recorder" and "recorder" in Backend.backend_list
    assert parse_backend("recorder") == {"cpu": "recorder", "cuda": "mpi"}
    assert parse_backend("cpu:recorder,cuda:mpi") == {"cpu": "recorder", "cuda": "mpi"}
    with pytest.raises(ValueError, match="cannot move cuda tensors"):
        parse_backend("cuda:recorder")
    with pytest.raises(ValueError, match="Invalid backend"):
        parse_backend("pigeon")


def test_the_interface_is_enforced():
    class Half(Transport):
        def all_reduce(self, work, arr, op):
            pass

    with pytest.raises(TypeError, match="abstract"):
        Half(None)
    with pytest.raises(TypeError, match="not a Transport"):
        register_transport("bad")(object)


def test_generic_collectives_use_the_stand_in(recorder_group):
    g = recorder_group
    assert dist.get_backend(g) == "recorder"
    t = dpt.ones(3)
    dist.all_reduce(t, group=g)
    dist.broadcast(t, src=0, group=g)
    dist.reduce(t, dst=0, group=g)
    out = dpt.zeros(3)
    dist.all_gather_into_tensor(out, dpt.tensor([1., 2., 3.]), group=g)
    assert out.tolist() == [1., 2., 3.]
    outs = [dpt.zeros(2)]
    dist.all_gather(outs, dpt.tensor([4., 5.]), group=g)
    assert outs[0].tolist() == [4., 5.]
    dist.barrier(group=g)
    work = dist.all_reduce(t, group=g, async_op=True)
    assert work.wait() and work.result() == [t]
    assert Recorder.calls == [("all_reduce", "SUM", (3,)), ("broadcast", 0), ("reduce", "SUM", 0),
                              ("all_gather",), ("all_gather",), ("barrier",),
                              ("all_reduce", "SUM", (3,))]


def test_declared_reduce_ops_are_checked_before_anything_is_sent(recorder_group):
    with pytest.raises(RuntimeError, match="ReduceOp.MAX is not supported by the recorder"):
        dist.all_reduce(dpt.ones(2), op=dist.ReduceOp.MAX, group=recorder_group)
    assert Recorder.calls == []


def _imports(path):
    tree = ast.parse(open(path).read())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            yield ("." * node.level) + (node.module or ""), [a.name for a in node.names]
        elif isinstance(node, ast.Import):
            for a in node.names:
                yield a.name, []


@pytest.mark.parametrize("name", ["collectives.py", "process_group.py", "hierarchical.py",
                                  "object_collectives.py", "work.py", "monitor.py"])
def test_generic_code_names_no_particular_transport(name):
    """mpi4py may appear (MPI is the control plane); a transport module may not."""
    for module, names in _imports(os.path.join(PKG, name)):
        assert not module.startswith("cupy"), (name, module)
        assert not module.endswith(("backends.mpi", "backends.nccl")), (name, module)
        assert not (module.endswith("backends") and {"mpi", "nccl"} & set(names)), (name, module)


def test_only_the_nccl_transport_names_cupy():
    for root, _, files in os.walk(PKG):
        for f in files:
            if f.endswith(".py") and f != "nccl.py":
                src = open(os.path.join(root, f)).read()
                assert "import cupy" not in src and "from cupy" not in src, f
