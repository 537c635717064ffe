"""convert_conv2d/3d_weight_memory_format (torch.nn.utils.memory_format).

dpt tensors have one (C-contiguous, strided) layout and no channels_last storage, so the
conversions give the weights a fresh contiguous copy of the same values and accept any
memory_format.
"""
from __future__ import annotations

from ...autograd.grad_mode import no_grad
from ..modules.conv import Conv2d, Conv3d, ConvTranspose2d, ConvTranspose3d

__all__ = ["convert_conv2d_weight_memory_format", "convert_conv3d_weight_memory_format"]


def _convert(module, memory_format, kinds):
    if isinstance(module, kinds):
        with no_grad():
            module.weight.data = module.weight.detach().clone()
    for child in module.children():
        _convert(child, memory_format, kinds)
    return module


def convert_conv2d_weight_memory_format(module, memory_format):
    """convert_conv2d_weight_memory_format(module, memory_format): the weights of every
    Conv2d/ConvTranspose2d in module (recursively) in memory_format; returns module.
    In dpt only a contiguous copy (no channels_last layout exists)."""
    return _convert(module, memory_format, (Conv2d, ConvTranspose2d))


def convert_conv3d_weight_memory_format(module, memory_format):
    """convert_conv3d_weight_memory_format(module, memory_format): as the 2-d form, for
    Conv3d/ConvTranspose3d. In dpt only a contiguous copy (no channels_last_3d layout)."""
    return _convert(module, memory_format, (Conv3d, ConvTranspose3d))
