"""DataParallel's scatter / replicate / run / gather on CPU device lists, and the no-GPU path."""
import numpy as np
import pytest

import dpt
from dpt import nn
from dpt.nn.parallel import gather, replicate, scatter


def _model():
    dpt.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))


def test_without_gpus_it_runs_the_module_itself():
    model = _model()
    dp = nn.DataParallel(model)
    x = dpt.randn(5, 4)
    assert dp.device_ids == [] and np.allclose(dp(x).detach().numpy(), model(x).detach().numpy())


@pytest.mark.parametrize("n", [2, 3])
def test_cpu_device_list_matches_single_device_forward_and_grads(n):
    model, ref = _model(), _model()
    x = dpt.randn(7, 4)
    dp = nn.DataParallel(model, device_ids=["cpu"] * n)
    out = dp(x)
    expected = ref(x)
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=1e-5, atol=1e-6)
    out.pow(2).sum().backward()
    expected.pow(2).sum().backward()
    for p, q in zip(model.parameters(), ref.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_input_gradient_flows_back_through_scatter():
    model = _model()
    x = dpt.randn(6, 4, requires_grad=True)
    nn.DataParallel(model, device_ids=["cpu", "cpu"])(x).sum().backward()
    assert x.grad is not None and x.grad.shape == x.shape


def test_scatter_splits_tensors_and_repeats_the_rest():
    parts = scatter((dpt.arange(6).reshape(6, 1), "tag"), [dpt.device("cpu")] * 3)
    assert [p[0].shape[0] for p in parts] == [2, 2, 2]
    assert all(p[1] == "tag" for p in parts)


def test_replicas_share_values_and_gather_concatenates():
    model = _model()
    reps = replicate(model, [dpt.device("cpu")] * 2)
    assert len(reps) == 2
    assert np.array_equal(reps[1][0].weight.detach().numpy(), model[0].weight.detach().numpy())
    out = gather([dpt.ones(2, 3), dpt.zeros(1, 3)], dpt.device("cpu"))
    assert out.shape == (3, 3)


def test_batch_smaller_than_device_count():
    model = _model()
    out = nn.DataParallel(model, device_ids=["cpu"] * 4)(dpt.randn(2, 4))
    assert out.shape == (2, 3)


def test_replica_errors_name_the_replica():
    class Boom(nn.Module):
        def forward(self, x):
            raise ValueError("boom")

    with pytest.raises(RuntimeError, match="replica 0 on cpu failed"):
        nn.DataParallel(Boom(), device_ids=["cpu", "cpu"])(dpt.ones(4, 1))
