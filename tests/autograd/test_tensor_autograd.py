"""The autograd surface of Tensor: requires_grad, leaves, grad_fn, .grad, detach, backward()."""
import warnings

import numpy as np
import pytest

import dpt
from tests.helpers import assert_close


# ---- requires_grad ---------------------------------------------------------------------------
def test_requires_grad_at_creation_and_by_method():
    assert not dpt.tensor([1.0]).requires_grad
    assert dpt.tensor([1.0], requires_grad=True).requires_grad
    assert dpt.ones(2, requires_grad=True).requires_grad
    t = dpt.zeros(2)
    assert t.requires_grad_() is t and t.requires_grad
    t.requires_grad_(False)
    assert not t.requires_grad
    t.requires_grad = True
    assert t.requires_grad


@pytest.mark.parametrize("make", [lambda: dpt.tensor([1, 2], requires_grad=True),
                                  lambda: dpt.tensor([1, 2]).requires_grad_(),
                                  lambda: dpt.tensor([True]).requires_grad_()])
def test_integer_and_bool_tensors_cannot_require_grad(make):
    with pytest.raises(RuntimeError, match="Only Tensors of floating point and complex dtype can "
                                           "require gradients"):
        make()


def test_requires_grad_propagates_and_int_results_do_not_require_grad():
    x = dpt.tensor([1.0, -2.0], requires_grad=True)
    assert (x * 2).requires_grad and (x + dpt.ones(2)).requires_grad
    assert not (x > 0).requires_grad
    assert not (dpt.ones(2) * 2).requires_grad


def test_cannot_clear_requires_grad_of_non_leaf():
    y = dpt.tensor([1.0], requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="you can only change requires_grad flags of leaf variables"):
        y.requires_grad_(False)


# ---- leaves, grad_fn, next_functions --------------------------------------------------------
def test_is_leaf_and_grad_fn_names():
    x = dpt.tensor([2.0])
    w = dpt.tensor([1.5], requires_grad=True)
    b = dpt.tensor([0.5], requires_grad=True)
    y = dpt.mul(w, x)
    z = dpt.add(y, b)
    assert [t.is_leaf for t in (x, w, b, y, z)] == [True, True, True, False, False]
    assert x.grad_fn is None and w.grad_fn is None and b.grad_fn is None
    assert y.grad_fn.name() == "MulBackward0"
    assert z.grad_fn.name() == "AddBackward0"
    assert "AddBackward0" in repr(z.grad_fn)
    assert z.sum().grad_fn.name() == "SumBackward0"
    assert dpt.mm(w.reshape(1, 1), x.reshape(1, 1)).grad_fn.name() == "MmBackward0"
    # a result computed without any input requiring grad is a leaf
    assert (x * 2).is_leaf and (x * 2).grad_fn is None


def test_next_functions_walk_the_graph():
    w = dpt.tensor([1.5], requires_grad=True)
    b = dpt.tensor([0.5], requires_grad=True)
    x = dpt.tensor([2.0])
    z = w * x + b
    (mul, _), (acc_b, _) = z.grad_fn.next_functions
    assert mul.name() == "MulBackward0"
    assert acc_b.name() == "AccumulateGrad" and acc_b.variable is b
    (acc_w, nr), (none, _) = mul.next_functions
    assert acc_w.variable is w and nr == 0
    assert none is None


# ---- .grad --------------------------------------------------------------------------------------
def test_grad_accumulates_across_backward_calls_and_zero_():
    x = dpt.tensor([1.0, 2.0], requires_grad=True)
    assert x.grad is None
    (x * x).sum().backward()
    (3 * x).sum().backward()
    assert_close(x.grad, [5.0, 7.0])
    x.grad.zero_()
    (x * x).sum().backward()
    assert_close(x.grad, [2.0, 4.0])
    x.grad = None
    x.sum().backward()
    assert_close(x.grad, [1.0, 1.0])


def test_grad_does_not_alias_gradients_or_other_leaves():
    a = dpt.tensor([1.0, 2.0], requires_grad=True)
    b = dpt.tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()
    a.grad.add_(10.0)
    assert_close(b.grad, [1.0, 1.0])
    g = dpt.tensor([1.0, 1.0])
    c = dpt.tensor([0.0, 0.0], requires_grad=True)
    (c * 1).backward(g)
    c.grad.add_(1.0)
    assert_close(g, [1.0, 1.0])


def test_grad_of_non_leaf_is_none_with_torch_warning():
    x = dpt.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.sum().backward()
    with pytest.warns(UserWarning, match=r"The \.grad attribute of a Tensor that is not a leaf "
                                         r"Tensor is being accessed"):
        assert y.grad is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert x.grad is not None  # leaves never warn


def test_retain_grad_keeps_non_leaf_gradient_without_warning():
    x = dpt.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    y.retain_grad()
    assert y.retains_grad and not x.retains_grad
    (y * y).sum().backward(retain_graph=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert_close(y.grad, [6.0, 12.0])
    (y * y).sum().backward()
    assert_close(y.grad, [12.0, 24.0])


def test_grad_setter_checks():
    x = dpt.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="assigned grad has data of a different size"):
        x.grad = dpt.zeros(3)
    with pytest.raises(TypeError, match="assigned grad expected to be a Tensor or None"):
        x.grad = [0.0, 0.0]


# ---- detach ---------------------------------------------------------------------------------------
def test_detach_shares_memory_and_cuts_the_graph():
    x = dpt.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * x
    u = y.detach()
    assert not u.requires_grad and u.is_leaf and u.grad_fn is None
    u[0] = 100.0
    assert y[0].item() == 100.0  # same storage
    z = u * x
    z.sum().backward()
    assert_close(x.grad, u.numpy())


def test_detach_in_place():
    x = dpt.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    assert y.detach_() is y
    assert y.is_leaf and not y.requires_grad and y.grad_fn is None


def test_data_is_a_grad_free_view():
    x = dpt.tensor([1.0, 2.0], requires_grad=True)
    d = x.data
    assert not d.requires_grad
    d.mul_(2)
    assert_close(x, [2.0, 4.0])


# ---- backward() arguments --------------------------------------------------------------------------
def test_backward_with_gradient_argument():
    x = dpt.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * x
    y.backward(dpt.tensor([1.0, 0.1, 0.01]))
    assert_close(x.grad, [2.0, 0.4, 0.06])
    z = dpt.tensor([1.0, 2.0], requires_grad=True)
    (z * 3).backward(dpt.ones(2, dtype=dpt.float64))  # gradient is cast to the output dtype
    assert z.grad.dtype == dpt.float32


def test_backward_on_scalar_leaf_and_list_of_roots():
    x = dpt.tensor(2.0, requires_grad=True)
    x.backward()
    assert x.grad.item() == 1.0
    a = dpt.tensor([1.0, 2.0], requires_grad=True)
    dpt.autograd.backward([(a * 2).sum(), (a * a).sum()])
    assert_close(a.grad, [4.0, 6.0])
    a.grad = None
    dpt.autograd.backward([a * 2, a * 3], [dpt.ones(2), dpt.full((2,), 2.0)])
    assert_close(a.grad, [8.0, 8.0])


def test_retain_graph():
    x = dpt.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    assert_close(x.grad, [4.0, 8.0])


def test_backward_create_graph_gives_differentiable_grad():
    x = dpt.tensor([1.0, 2.0], dtype=dpt.float64, requires_grad=True)
    (x ** 3).sum().backward(create_graph=True)
    g = x.grad
    assert g.requires_grad
    assert_close(g, [3.0, 12.0])
    x.grad = None
    g.sum().backward()
    assert_close(x.grad, [6.0, 12.0])


def test_backward_inputs_accumulates_only_there():
    x = dpt.tensor([1.0, 2.0], requires_grad=True)
    w = dpt.tensor([3.0, 4.0], requires_grad=True)
    y = x * w
    z = (y * y).sum()
    z.backward(inputs=[x], retain_graph=True)
    assert_close(x.grad, [18.0, 64.0])  # 2 x w^2
    assert w.grad is None
    z.backward(inputs=y)  # a non-leaf input gets its .grad
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert_close(y.grad, [6.0, 16.0])  # 2 y
    assert w.grad is None
    with pytest.raises(RuntimeError, match="'inputs' argument to backward\\(\\) cannot be empty"):
        (x * 2).sum().backward(inputs=[])


def test_higher_derivatives_of_sin():
    x = dpt.tensor(np.linspace(-2, 2, 5), requires_grad=True)
    (d1,) = dpt.autograd.grad(dpt.sin(x).sum(), x, create_graph=True)
    (d2,) = dpt.autograd.grad(d1.sum(), x, create_graph=True)
    (d3,) = dpt.autograd.grad(d2.sum(), x)
    xs = np.linspace(-2, 2, 5)
    assert_close(d1, np.cos(xs))
    assert_close(d2, -np.sin(xs))
    assert_close(d3, -np.cos(xs))


def test_hessian_vector_product_by_double_backward():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 3))
    A = a + a.T
    v = rng.standard_normal(3)
    x = dpt.tensor(rng.standard_normal(3), requires_grad=True)
    At = dpt.tensor(A)
    f = 0.5 * (x @ (At @ x)) + (x ** 3).sum()  # H = A + diag(6x)
    (g,) = dpt.autograd.grad(f, x, create_graph=True)
    (hv,) = dpt.autograd.grad(g @ dpt.tensor(v), x)
    assert_close(hv, (A + np.diag(6 * x.detach().numpy())) @ v)


# ---- manual SGD --------------------------------------------------------------------------------------
def test_manual_sgd_on_leaves_under_no_grad():
    w = dpt.tensor([0.0], requires_grad=True)
    b = dpt.tensor([0.0], requires_grad=True)
    wid = id(w)
    xs = dpt.tensor([1.0, 2.0, 3.0, 4.0])
    ys = 2 * xs + 1
    for _ in range(500):
        loss = ((w * xs + b - ys) ** 2).mean()
        loss.backward()
        with dpt.no_grad():
            w -= 0.05 * w.grad
            b -= 0.05 * b.grad
        w.grad.zero_()
        b.grad.zero_()
    assert id(w) == wid and w.is_leaf and w.requires_grad
    assert abs(w.item() - 2.0) < 1e-2 and abs(b.item() - 1.0) < 3e-2


# ---- the old Variable API -----------------------------------------------------------------------------
def test_variable_old_api():
    from dpt.autograd import Variable

    tensor = dpt.FloatTensor([[1, 2], [3, 4]]) if hasattr(dpt, "FloatTensor") else \
        dpt.tensor([[1.0, 2.0], [3.0, 4.0]])
    variable = Variable(tensor, requires_grad=True)
    assert isinstance(variable, Variable) and isinstance(tensor, Variable)
    assert variable.requires_grad and not tensor.requires_grad
    t_out = dpt.mean(tensor * tensor)
    v_out = dpt.mean(variable * variable)
    assert t_out.item() == 7.5 and v_out.item() == 7.5
    v_out.backward()
    assert_close(variable.grad, [[0.5, 1.0], [1.5, 2.0]])
    assert not variable.data.requires_grad
    assert variable.data.numpy().tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert Variable(tensor).requires_grad is False


def test_autograd_grad_options():
    x = dpt.tensor([1.0, 2.0], requires_grad=True)
    w = dpt.tensor([3.0, 4.0], requires_grad=True)
    y = x * w
    # grad_outputs weights a non-scalar output; .grad is left alone
    gx, gw = dpt.autograd.grad(y, (x, w), grad_outputs=dpt.tensor([1.0, 10.0]), retain_graph=True)
    assert_close(gx, [3.0, 40.0])
    assert_close(gw, [1.0, 20.0])
    assert x.grad is None and w.grad is None
    # several outputs, each with its own grad_output
    (g,) = dpt.autograd.grad([y.sum(), (x * x).sum()], [x], retain_graph=True)
    assert_close(g, [3.0 + 2.0, 4.0 + 4.0])
    # a single input gives a 1-tuple; create_graph makes the result differentiable
    res = dpt.autograd.grad((x ** 2).sum(), x, create_graph=True)
    assert isinstance(res, tuple) and len(res) == 1 and res[0].requires_grad
    # allow_unused / materialize_grads
    z = dpt.tensor([1.0], requires_grad=True)
    gx, gz = dpt.autograd.grad(y.sum(), [x, z], allow_unused=True, retain_graph=True)
    assert gz is None
    gx, gz = dpt.autograd.grad(y.sum(), [x, z], materialize_grads=True)
    assert gz.tolist() == [0.0]


def test_create_graph_grad_never_aliases_the_callers_gradient():
    x = dpt.tensor([1.0, 2.0], requires_grad=True)
    v = dpt.tensor([1.0, 1.0])
    x.backward(v, create_graph=True)
    x.backward(v)
    assert_close(v, [1.0, 1.0])
    assert_close(x.grad, [2.0, 2.0])
