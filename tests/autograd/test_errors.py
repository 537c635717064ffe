"""Autograd errors carry torch's types and messages."""
import numpy as np
import pytest

import dpt
from tests.helpers import assert_close


def test_second_backward_through_freed_graph():
    x = dpt.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).mean()
    y.backward()
    with pytest.raises(RuntimeError, match=r"Trying to backward through the graph a second time \(or "
                                           r"directly access saved tensors after they have already "
                                           r"been freed\)"):
        y.backward()
    with pytest.raises(RuntimeError, match="Specify retain_graph=True"):
        dpt.autograd.grad(y, x)


def test_grad_then_backward_also_frees():
    x = dpt.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    dpt.autograd.grad(y, x)
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_implicit_grad_of_non_scalar():
    a = dpt.tensor([1.0, 2.0, 3.0], requires_grad=True)
    d = a * 2
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        d.backward()
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        dpt.autograd.grad(d, a)
    d.sum().backward()  # the exercise's fix
    assert_close(a.grad, [2.0, 2.0, 2.0])


def test_implicit_grad_of_complex_scalar():
    z = dpt.tensor([1.0], requires_grad=True).to(dpt.complex64).sum()
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for real scalar outputs"):
        z.backward()


def test_backward_of_tensor_not_requiring_grad():
    with pytest.raises(RuntimeError, match="element 0 of tensors does not require grad and does not "
                                           "have a grad_fn"):
        dpt.tensor([1.0]).sum().backward()
    x = dpt.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="element 1 of tensors does not require grad"):
        dpt.autograd.backward([x.sum(), dpt.ones(1).sum()])


def test_gradient_shape_mismatch():
    x = dpt.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Mismatch in shape: grad_output\[0\] has a shape of "
                                           r"dpt.Size\(\[3\]\) and output\[0\] has a shape of "
                                           r"dpt.Size\(\[2\]\)"):
        (x * 2).backward(dpt.ones(3))


def test_in_place_modification_of_saved_tensor():
    a = dpt.tensor([1.0, 2.0], requires_grad=True)
    b = a * 1
    c = b * b  # saves b
    b.add_(1)
    with pytest.raises(RuntimeError, match=r"one of the variables needed for gradient computation has "
                                           r"been modified by an inplace operation: .* is at version 1; "
                                           r"expected version 0 instead"):
        c.sum().backward()


def test_in_place_on_tensor_not_saved_is_fine():
    a = dpt.tensor([1.0, 2.0], requires_grad=True)
    b = a * 2
    c = b + 1  # add does not need b
    d = c * a
    c.mul_(3)  # c itself is saved by d: error expected there, not for b
    b.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        d.sum().backward()
    a2 = dpt.tensor([1.0, 2.0], requires_grad=True)
    y = a2 * 2
    z = y.exp()  # exp's backward is recomputed from its input y
    y2 = y + 1
    y2.add_(1)
    (z.sum() + y2.sum()).backward()
    assert_close(a2.grad, 2 * np.exp([2.0, 4.0]) + 2)


def test_in_place_on_leaf_requiring_grad():
    a = dpt.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an "
                                           "in-place operation."):
        a.add_(1)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        a += 1
    with dpt.no_grad():
        a.add_(1)
    assert_close(a, [2.0, 3.0])


def test_grad_input_errors():
    x = dpt.tensor([1.0], requires_grad=True)
    y = dpt.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="One of the differentiated Tensors appears to not have been "
                                           "used in the graph. Set allow_unused=True"):
        dpt.autograd.grad((x * 2).sum(), [x, y])
    with pytest.raises(RuntimeError, match="One of the differentiated Tensors does not require grad"):
        dpt.autograd.grad((x * 2).sum(), [dpt.ones(1)])
