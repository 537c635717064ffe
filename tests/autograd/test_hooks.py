"""Tensor hooks, post-accumulate-grad hooks, node hooks and queue_callback."""
import pytest

import dpt
from tests.helpers import assert_close


def test_leaf_hook_sees_and_modifies_gradient():
    x = dpt.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    x.register_hook(lambda g: seen.append(g.tolist()))
    x.register_hook(lambda g: g * 10)
    (x * 3).sum().backward()
    assert seen == [[3.0, 3.0]]
    assert_close(x.grad, [30.0, 30.0])


def test_non_leaf_hook_modifies_what_flows_on():
    x = dpt.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.register_hook(lambda g: g + 1)
    (y * y).sum().backward()  # dL/dy = 2y = [4, 8] -> [5, 9], dL/dx = 2 * that
    assert_close(x.grad, [10.0, 18.0])


def test_hook_on_non_leaf_and_retain_grad():
    x = dpt.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.retain_grad()
    y.sum().backward()
    assert_close(y.grad, [1.0, 1.0])


def test_handle_remove():
    x = dpt.tensor([1.0], requires_grad=True)
    calls = []
    h = x.register_hook(lambda g: calls.append(1))
    (x * 2).sum().backward()
    h.remove()
    h.remove()  # removing twice is harmless
    (x * 2).sum().backward()
    assert calls == [1]
    y = x * 2
    h2 = y.register_hook(lambda g: g * 0)
    h2.remove()
    x.grad = None
    y.sum().backward()
    assert x.grad.item() == 2.0


def test_hook_on_tensor_not_requiring_grad_raises():
    with pytest.raises(RuntimeError, match="cannot register a hook on a tensor that doesn't require "
                                           "gradient"):
        dpt.ones(2).register_hook(lambda g: g)


def test_hooks_also_apply_to_autograd_grad():
    x = dpt.tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: g * 2)
    (g,) = dpt.autograd.grad((x * 3).sum(), x)
    assert_close(g, [6.0, 6.0])
    assert x.grad is None


def test_post_accumulate_grad_hook():
    w = dpt.tensor([1.0, 2.0], requires_grad=True)
    seen = []

    def step(p):  # an optimizer-in-backward: update right after .grad is ready
        seen.append(p.grad.tolist())
        with dpt.no_grad():
            p -= 0.5 * p.grad
        p.grad = None

    h = w.register_post_accumulate_grad_hook(step)
    (w * w).sum().backward()
    assert seen == [[2.0, 4.0]]
    assert_close(w, [0.0, 0.0])
    assert w.grad is None
    h.remove()
    (w + 1).sum().backward()
    assert len(seen) == 1 and w.grad is not None
    with pytest.raises(RuntimeError, match="post accumulate grad hooks cannot be registered on "
                                           "non-leaf tensors"):
        (w * 2).register_post_accumulate_grad_hook(step)


def test_post_accumulate_grad_hook_not_called_by_autograd_grad():
    w = dpt.tensor([1.0], requires_grad=True)
    calls = []
    w.register_post_accumulate_grad_hook(lambda p: calls.append(1))
    dpt.autograd.grad((w * 2).sum(), w)
    assert calls == []


def test_queue_callback_runs_once_at_the_end():
    x = dpt.tensor([1.0, 2.0], requires_grad=True)
    order = []

    def hook(g):
        order.append("hook")
        if "queued" not in order:
            order.append("queued")
            dpt.autograd.queue_callback(lambda: order.append(("end", x.grad.tolist())))
    y = x * 2
    y.register_hook(hook)
    z = y * 3
    z.register_hook(hook)
    z.sum().backward()
    assert order == ["hook", "queued", "hook", ("end", [6.0, 6.0])]
    (x * 1).sum().backward()  # callbacks do not carry over to the next backward
    assert len(order) == 4


def test_queue_callback_outside_backward_raises():
    with pytest.raises(RuntimeError, match="during a backward pass"):
        dpt.autograd.queue_callback(lambda: None)


def test_node_hooks():
    x = dpt.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    seen = []
    y.grad_fn.register_prehook(lambda grads: seen.append(("pre", grads[0].tolist())))
    y.grad_fn.register_hook(lambda gin, gout: (gin[0] * 0 + 7, None))
    y.sum().backward()
    assert seen == [("pre", [1.0, 1.0])]
    assert_close(x.grad, [7.0, 7.0])
