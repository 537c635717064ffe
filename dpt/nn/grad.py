"""dpt.nn.grad: gradients of the convolutions with respect to their input or weight.

Each is the vector-Jacobian product of F.conv*d with grad_output; a convolution is linear in
each argument, so the product comes from differentiating it at a zero input (or weight) of
the given size. The result is differentiable in weight/input and grad_output.
"""
from __future__ import annotations

from .. import autograd, ops
from ..autograd.grad_mode import enable_grad, is_grad_enabled
from . import functional as F

__all__ = ["conv1d_input", "conv1d_weight", "conv2d_input", "conv2d_weight", "conv3d_input",
           "conv3d_weight"]


def _vjp(conv, input, weight, grad_output, wrt, stride, padding, dilation, groups):
    create_graph = is_grad_enabled() and any(
        t.requires_grad for t in (input, weight, grad_output))
    target = input if wrt == 0 else weight
    target = target.detach().requires_grad_(True)
    with enable_grad():
        args = (target, weight) if wrt == 0 else (input, target)
        out = conv(*args, None, stride, padding, dilation, groups)
        (grad,) = autograd.grad(out, target, grad_output, create_graph=create_graph)
    return grad


def _input_fn(conv):
    def fn(input_size, weight, grad_output, stride=1, padding=0, dilation=1, groups=1):
        zeros = ops.zeros(tuple(input_size), dtype=grad_output.dtype, device=grad_output.device)
        return _vjp(conv, zeros, weight, grad_output, 0, stride, padding, dilation, groups)
    return fn


def _weight_fn(conv):
    def fn(input, weight_size, grad_output, stride=1, padding=0, dilation=1, groups=1):
        zeros = ops.zeros(tuple(weight_size), dtype=grad_output.dtype, device=grad_output.device)
        return _vjp(conv, input, zeros, grad_output, 1, stride, padding, dilation, groups)
    return fn


def _named(fn, name, doc):
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc
    return fn


conv1d_input = _named(_input_fn(F.conv1d), "conv1d_input",
                      "conv1d_input(input_size, weight, grad_output, stride=1, padding=0, "
                      "dilation=1, groups=1): the gradient of conv1d with respect to its input.")
conv1d_weight = _named(_weight_fn(F.conv1d), "conv1d_weight",
                       "conv1d_weight(input, weight_size, grad_output, stride=1, padding=0, "
                       "dilation=1, groups=1): the gradient of conv1d with respect to its weight.")
conv2d_input = _named(_input_fn(F.conv2d), "conv2d_input",
                      "conv2d_input(input_size, weight, grad_output, stride=1, padding=0, "
                      "dilation=1, groups=1): the gradient of conv2d with respect to its input.")
conv2d_weight = _named(_weight_fn(F.conv2d), "conv2d_weight",
                       "conv2d_weight(input, weight_size, grad_output, stride=1, padding=0, "
                       "dilation=1, groups=1): the gradient of conv2d with respect to its weight.")
conv3d_input = _named(_input_fn(F.conv3d), "conv3d_input",
                      "conv3d_input(input_size, weight, grad_output, stride=1, padding=0, "
                      "dilation=1, groups=1): the gradient of conv3d with respect to its input.")
conv3d_weight = _named(_weight_fn(F.conv3d), "conv3d_weight",
                       "conv3d_weight(input, weight_size, grad_output, stride=1, padding=0, "
                       "dilation=1, groups=1): the gradient of conv3d with respect to its weight.")
