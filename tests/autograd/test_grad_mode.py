"""no_grad, enable_grad, set_grad_enabled, inference_mode, is_grad_enabled."""
import threading

import dpt


def _x():
    return dpt.tensor([1.0, 2.0], requires_grad=True)


def test_no_grad_context():
    x = _x()
    assert dpt.is_grad_enabled()
    with dpt.no_grad():
        assert not dpt.is_grad_enabled()
        y = x * 2
        assert not y.requires_grad and y.grad_fn is None
    assert dpt.is_grad_enabled()
    assert (x * 2).requires_grad


def test_no_grad_decorator_with_and_without_call():
    x = _x()

    @dpt.no_grad()
    def f(t):
        return t * 2

    @dpt.no_grad
    def g(t):
        return t * 2

    assert not f(x).requires_grad and not g(x).requires_grad
    assert f.__name__ == "f" and g.__name__ == "g"
    assert dpt.is_grad_enabled()


def test_enable_grad_inside_no_grad():
    x = _x()
    with dpt.no_grad():
        with dpt.enable_grad():
            assert (x * 2).requires_grad
        assert not (x * 2).requires_grad

    @dpt.enable_grad()
    def f():
        return x * 2

    with dpt.no_grad():
        assert f().requires_grad


def test_set_grad_enabled_function_context_and_decorator():
    x = _x()
    with dpt.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert dpt.is_grad_enabled()
    dpt.set_grad_enabled(False)
    try:
        assert not dpt.is_grad_enabled()
    finally:
        dpt.set_grad_enabled(True)

    @dpt.set_grad_enabled(False)
    def f():
        return x * 2

    assert dpt.is_grad_enabled()  # decorating does not change the mode
    assert not f().requires_grad
    assert dpt.is_grad_enabled()


def test_mode_restored_after_exception():
    try:
        with dpt.no_grad():
            raise ValueError
    except ValueError:
        pass
    assert dpt.is_grad_enabled()


def test_inference_mode():
    x = _x()
    with dpt.inference_mode():
        assert dpt.is_inference_mode_enabled() and not dpt.is_grad_enabled()
        assert not (x * 2).requires_grad
    assert not dpt.is_inference_mode_enabled() and dpt.is_grad_enabled()
    with dpt.inference_mode(False):
        assert (x * 2).requires_grad
    with dpt.no_grad(), dpt.inference_mode(False):
        assert not dpt.is_grad_enabled()  # inference_mode(False) changes nothing

    @dpt.inference_mode()
    def f():
        return x * 2

    @dpt.inference_mode
    def g():
        return x * 2

    assert not f().requires_grad and not g().requires_grad


def test_grad_mode_is_per_thread():
    seen = []
    with dpt.no_grad():
        t = threading.Thread(target=lambda: seen.append(dpt.is_grad_enabled()))
        t.start()
        t.join()
    assert seen == [True]


def test_backward_inside_no_grad_still_computes_gradients():
    x = _x()
    y = (x * x).sum()
    with dpt.no_grad():
        y.backward()
    assert x.grad.tolist() == [2.0, 4.0]
