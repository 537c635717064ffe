"""dpt.utils.checkpoint: both variants against the same run without checkpointing."""
import contextlib
import tracemalloc
import warnings

import numpy as np
import pytest

import dpt
from dpt import nn
from dpt.utils.checkpoint import CheckpointError, checkpoint, checkpoint_sequential

pytestmark = pytest.mark.timeout(120)
BOTH = pytest.mark.parametrize("reentrant", [True, False], ids=["reentrant", "non_reentrant"])


def _mlp(dropout=0.0):
    dpt.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Dropout(dropout), nn.Linear(8, 8),
                         nn.GELU(), nn.Dropout(dropout), nn.Linear(8, 3)).double()


def _grads(model, run, x, seed=1):
    """Gradients of x and every parameter after one backward of run(x)'s loss."""
    model.zero_grad(set_to_none=True)
    x = x.detach().requires_grad_(True)
    dpt.manual_seed(seed)
    out = run(x)
    (out ** 2).sum().backward()
    return [x.grad.cpu().numpy()] + [p.grad.cpu().numpy() for p in model.parameters()]


def _assert_same(a, b, atol=0.0):
    assert len(a) == len(b)
    for u, v in zip(a, b):
        np.testing.assert_allclose(u, v, rtol=0, atol=atol)


X = dpt.from_numpy(np.random.default_rng(0).standard_normal((6, 4)))


@BOTH
def test_gradients_equal_the_plain_run(reentrant):
    model = _mlp()
    ref = _grads(model, model, X)
    _assert_same(_grads(model, lambda x: checkpoint(model, x, use_reentrant=reentrant), X), ref)


@BOTH
def test_dropout_gets_the_same_mask_in_the_rerun(reentrant):
    model = _mlp(dropout=0.5)
    ref = _grads(model, model, X)
    got = _grads(model, lambda x: checkpoint(model, x, use_reentrant=reentrant), X)
    _assert_same(got, ref)
    # Without the restore the rerun draws fresh masks: the gradients no longer match.
    off = _grads(model, lambda x: checkpoint(model, x, use_reentrant=reentrant,
                                             preserve_rng_state=False), X)
    assert any(not np.array_equal(a, b) for a, b in zip(off, ref))


@BOTH
def test_the_rerun_leaves_the_callers_rng_where_forward_left_it(reentrant):
    model = _mlp(dropout=0.5)
    x = X.detach().requires_grad_(True)
    dpt.manual_seed(3)
    y = checkpoint(model, x, use_reentrant=reentrant)
    after_forward = dpt.rand(4)
    dpt.manual_seed(3)
    model(x)
    dpt.rand(4)
    expected_next = dpt.rand(4)
    dpt.manual_seed(3)
    y = checkpoint(model, x, use_reentrant=reentrant)
    np.testing.assert_array_equal(dpt.rand(4).numpy(), after_forward.numpy())
    y.sum().backward()
    np.testing.assert_array_equal(dpt.rand(4).numpy(), expected_next.numpy())


@BOTH
def test_several_inputs_non_tensor_args_and_tuple_outputs(reentrant):
    w = dpt.from_numpy(np.random.default_rng(1).standard_normal((4, 4))).requires_grad_(True)

    def fn(a, scale, b, tag):
        h = dpt.tanh(a @ w) * scale
        return h + b, tag, (h * b).sum(dim=1)

    def run(ckpt):
        w.grad = None
        a = X.detach().requires_grad_(True)
        b = dpt.ones(6, 4, dtype=dpt.float64, requires_grad=True)
        out = checkpoint(fn, a, 2.5, b, "tag", use_reentrant=reentrant) if ckpt else \
            fn(a, 2.5, b, "tag")
        assert out[1] == "tag"
        (out[0].pow(2).sum() + out[2].sum()).backward()
        return [a.grad.numpy(), b.grad.numpy(), w.grad.numpy()]

    _assert_same(run(True), run(False), atol=1e-12)


def test_keyword_arguments_need_the_non_reentrant_variant():
    w = dpt.ones(4, 2, dtype=dpt.float64, requires_grad=True)

    def fn(x, *, weight, bias=0.0):
        return dpt.sin(x @ weight) + bias

    x = X.detach().requires_grad_(True)
    checkpoint(fn, x, weight=w, bias=1.0, use_reentrant=False).sum().backward()
    expected = np.cos(X.numpy() @ np.ones((4, 2))) @ np.ones((2, 4))
    np.testing.assert_allclose(x.grad.numpy(), expected, atol=1e-12)
    with pytest.raises(ValueError, match="Unexpected keyword arguments: weight,bias"):
        checkpoint(fn, x, weight=w, bias=1.0, use_reentrant=True)


@BOTH
def test_checkpoint_sequential_matches(reentrant):
    model = _mlp(dropout=0.3)
    ref = _grads(model, model, X)
    for segments in (1, 2, 3, 7):
        got = _grads(model, lambda x: checkpoint_sequential(model, segments, x,
                                                            use_reentrant=reentrant), X)
        _assert_same(got, ref)
    as_list = list(model.children())
    _assert_same(_grads(model, lambda x: checkpoint_sequential(as_list, 2, x,
                                                               use_reentrant=reentrant), X), ref)
    with pytest.raises(ValueError, match="Unexpected keyword arguments: foo"):
        checkpoint_sequential(model, 2, X, use_reentrant=reentrant, foo=1)


def _peak_of_a_training_step(run) -> int:
    dpt.manual_seed(0)
    layers = []
    for _ in range(24):
        layers += [nn.Linear(64, 64), nn.Tanh()]
    model = nn.Sequential(*layers).double()
    x = dpt.randn(2048, 64, dtype=dpt.float64, requires_grad=True)
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        run(model, x).pow(2).mean().backward()
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


@BOTH
def test_a_deep_mlp_step_peaks_lower(reentrant):
    plain = _peak_of_a_training_step(lambda m, x: m(x))
    ckpt = _peak_of_a_training_step(
        lambda m, x: checkpoint_sequential(m, 6, x, use_reentrant=reentrant))
    act = 2048 * 64 * 8  # one activation: 1 MiB
    # Plain keeps two activations per layer (48 MiB); checkpointed keeps the 6 segment
    # boundaries plus one segment's worth while it is recomputed.
    assert plain > 40 * act
    assert ckpt < plain / 2, (plain, ckpt)


def test_without_use_reentrant_it_warns_and_uses_the_reentrant_variant():
    torch = pytest.importorskip("torch")
    import torch.utils.checkpoint as tc

    with pytest.warns(UserWarning, match="use_reentrant parameter should be passed") as rec:
        y = checkpoint(lambda t: t * 2, X.detach().requires_grad_(True))
    assert y.grad_fn.name() == "CheckpointFunctionBackward"
    with pytest.warns(UserWarning, match="use_reentrant parameter should be passed"):
        checkpoint_sequential([nn.Tanh()], 1, X)
    # torch 2.13 still warns (not raises) and picks reentrant; so must dpt
    with pytest.warns(UserWarning, match="use_reentrant parameter should be passed"):
        ty = tc.checkpoint(lambda t: t * 2, torch.ones(2, requires_grad=True))
    assert type(ty.grad_fn).__name__ == "CheckpointFunctionBackward"
    assert rec[0].filename == __file__


def test_reentrant_without_an_input_needing_grad_warns_and_gives_no_gradients():
    model = _mlp()
    with pytest.warns(UserWarning, match="None of the inputs have requires_grad=True"):
        y = checkpoint(model, X, use_reentrant=True)
    assert not y.requires_grad
    # the non-reentrant variant records the parameters' graph as a plain run does
    y = checkpoint(model, X, use_reentrant=False)
    y.sum().backward()
    ref = _mlp()
    ref(X).sum().backward()
    _assert_same([p.grad.numpy() for p in model.parameters()],
                 [p.grad.numpy() for p in ref.parameters()])


def test_reentrant_refuses_autograd_grad_and_backward_inputs():
    x = X.detach().requires_grad_(True)
    y = checkpoint(dpt.sin, x, use_reentrant=True)
    with pytest.raises(RuntimeError, match=r"incompatible with \.grad\(\) or passing an `inputs`"):
        dpt.autograd.grad(y.sum(), x)
    y = checkpoint(dpt.sin, x, use_reentrant=True)
    with pytest.raises(RuntimeError, match="incompatible with"):
        y.sum().backward(inputs=[x])


def test_non_reentrant_supports_autograd_grad_and_double_backward():
    w = dpt.from_numpy(np.random.default_rng(2).standard_normal((4, 3))).requires_grad_(True)

    def fn(x):
        return dpt.tanh(x @ w).pow(3)

    def second(run):
        x = X.detach().requires_grad_(True)
        g, = dpt.autograd.grad(run(x).sum(), x, create_graph=True)
        return list(dpt.autograd.grad((g ** 2).sum(), [x, w]))

    got = second(lambda x: checkpoint(fn, x, use_reentrant=False))
    ref = second(fn)
    _assert_same([t.numpy() for t in got], [t.numpy() for t in ref], atol=1e-12)


def test_non_reentrant_frees_or_recomputes_like_torch():
    model = _mlp()
    ref = _grads(model, model, X)
    model.zero_grad(set_to_none=True)
    x = X.detach().requires_grad_(True)
    out = checkpoint(model, x, use_reentrant=False)
    loss = (out ** 2).sum()
    loss.backward(retain_graph=True)
    # even with retain_graph, the recomputed values are let go at the end of the backward...
    assert "_inputs" not in out.grad_fn.__dict__
    loss.backward()  # ...and the second backward recomputes them
    np.testing.assert_allclose(x.grad.numpy(), 2 * ref[0], atol=1e-12)
    np.testing.assert_allclose(model[0].weight.grad.numpy(), 2 * ref[1], atol=1e-12)
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        loss.backward()


def test_saved_values_are_dropped_after_forward():
    model = _mlp()
    y = checkpoint(model, X.detach().requires_grad_(True), use_reentrant=False)
    node = y.grad_fn
    assert set(node.__dict__) <= {"_edges", "needs_input_grad", "_in_meta", "_out_meta",
                                  "_out_versions", "_pre_hooks_all"}


@BOTH
def test_inplace_change_of_an_input_is_caught(reentrant):
    x = X.detach().requires_grad_(True)
    h = x * 1.0
    y = checkpoint(dpt.sin, h, use_reentrant=reentrant)
    h.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


def test_a_rerun_that_records_another_graph_raises_checkpoint_error():
    calls = []

    def fickle(x):
        calls.append(1)
        return x.sin() if len(calls) == 1 else x.sin().cos()

    x = X.detach().requires_grad_(True)
    with pytest.raises(CheckpointError, match="different number of graph nodes"):
        checkpoint(fickle, x, use_reentrant=False).sum().backward()

    calls.clear()

    def reshaped(x):
        calls.append(1)
        return x.exp().sum(dim=0 if len(calls) == 1 else 1)

    with pytest.raises(CheckpointError, match="different metadata"):
        checkpoint(reshaped, x, use_reentrant=False).sum().backward()
    calls.clear()
    with pytest.raises(CheckpointError, match="Ops recorded during forward"):
        checkpoint(reshaped, x, use_reentrant=False, debug=True).sum().backward()
    calls.clear()
    y = checkpoint(lambda t: (t.exp() if not calls else t.exp() + 0 * calls.append(1)),
                   x, use_reentrant=False, determinism_check="none")
    y.sum().backward()
    with pytest.raises(ValueError, match="determinism_check should be one of"):
        checkpoint(dpt.sin, x, use_reentrant=False, determinism_check="strict")
    with pytest.raises(ValueError, match="only supported when use_reentrant=False"):
        checkpoint(dpt.sin, x, use_reentrant=True, debug=True)


def test_context_fn_wraps_forward_and_rerun():
    seen = []

    def ctx(name):
        @contextlib.contextmanager
        def cm():
            seen.append(name)
            yield
        return cm()

    x = X.detach().requires_grad_(True)
    y = checkpoint(dpt.sin, x, use_reentrant=False,
                   context_fn=lambda: (ctx("forward"), ctx("recompute")))
    assert seen == ["forward"]
    y.sum().backward()
    assert seen == ["forward", "recompute"]
    np.testing.assert_allclose(x.grad.numpy(), np.cos(X.numpy()))
    with pytest.raises(ValueError, match="debug=True is incompatible with non-default context_fn"):
        checkpoint(dpt.sin, x, use_reentrant=False, debug=True, context_fn=lambda: (ctx("a"),
                                                                                    ctx("b")))


def test_under_no_grad_it_just_runs():
    x = X.detach().requires_grad_(True)
    with dpt.no_grad():
        y = checkpoint(dpt.sin, x, use_reentrant=False)
    assert not y.requires_grad
    np.testing.assert_allclose(y.numpy(), np.sin(X.numpy()))


def test_custom_function_and_nested_checkpoints():
    class Cube(dpt.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return 3 * x ** 2 * g

    def inner(x):
        return Cube.apply(dpt.tanh(x))

    def outer(x):
        return checkpoint(inner, x * 2, use_reentrant=False).sin()

    def run(fn):
        x = X.detach().requires_grad_(True)
        fn(x).sum().backward()
        return x.grad.numpy()

    ref = run(lambda x: inner(x * 2).sin())
    np.testing.assert_allclose(run(lambda x: checkpoint(outer, x, use_reentrant=False)), ref,
                               atol=1e-12)
    np.testing.assert_allclose(run(lambda x: checkpoint(inner, x, use_reentrant=False)),
                               run(inner), atol=1e-12)


@BOTH
def test_autocast_state_is_restored_for_the_rerun(reentrant):
    dpt.manual_seed(0)
    lin = nn.Linear(4, 4)
    x32 = X.float()

    def run(fn):
        lin.zero_grad(set_to_none=True)
        x = x32.detach().requires_grad_(True)
        with dpt.autocast("cpu", dtype=dpt.bfloat16):
            y = fn(x)
        assert y.dtype == dpt.bfloat16
        y.float().sum().backward()
        return [x.grad.numpy(), lin.weight.grad.numpy()]

    _assert_same(run(lambda x: checkpoint(lin, x, use_reentrant=reentrant)), run(lin))


def test_torch_gives_the_same_gradients():
    torch = pytest.importorskip("torch")
    import torch.utils.checkpoint as tc

    rng = np.random.default_rng(4)
    w1, w2 = rng.standard_normal((4, 8)), rng.standard_normal((8, 2))
    x = rng.standard_normal((5, 4))

    def block(lib, a, b, c):
        return (lib.tanh(a @ b) @ c).pow(2)

    results = []
    for lib, ck, mk in ((dpt, checkpoint, dpt.tensor), (torch, tc.checkpoint, torch.tensor)):
        a, b, c = (mk(v, dtype=lib.float64, requires_grad=True) for v in (x, w1, w2))
        ck(lambda *t: block(lib, *t), a, b, c, use_reentrant=False).sum().backward()
        results.append([t.grad.numpy() for t in (a, b, c)])
    _assert_same(results[0], results[1], atol=1e-12)


def test_no_warning_when_use_reentrant_is_given():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        checkpoint(dpt.sin, X.detach().requires_grad_(True), use_reentrant=False)
        checkpoint_sequential([nn.Tanh(), nn.Tanh()], 2, X.detach().requires_grad_(True),
                              use_reentrant=False)


@BOTH
def test_on_every_device_dropout_and_gradients_match(device, reentrant):
    model = _mlp(dropout=0.5).to(device)
    x = X.to(device)

    ref = _grads(model, model, x)
    _assert_same(_grads(model, lambda t: checkpoint(model, t, use_reentrant=reentrant), x), ref)


def test_inputs_are_freed_with_the_graph_without_the_cycle_collector():
    import gc
    import weakref

    gc.disable()
    try:
        h = X.detach().requires_grad_(True) * 2
        alive = weakref.ref(h)
        out = checkpoint(dpt.sin, h, use_reentrant=False)
        del h
        assert alive() is not None  # kept for the rerun
        del out
        assert alive() is None
    finally:
        gc.enable()
