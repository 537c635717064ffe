"""Switches for module-conversion behaviour, as in ``torch.__future__``.

By default ``Module._apply`` (``.to()``, ``.double()``, ``.cuda()``, ...) keeps each
Parameter object and replaces its data, so optimizers built before a move keep working.
With the overwrite flag set, every converted parameter becomes a new Parameter object.
"""

_overwrite_module_params_on_conversion: bool = False


def set_overwrite_module_params_on_conversion(value: bool) -> None:
    """Make Module conversions assign new Parameter objects (True) or update in place (False)."""
    global _overwrite_module_params_on_conversion
    _overwrite_module_params_on_conversion = bool(value)


def get_overwrite_module_params_on_conversion() -> bool:
    """Whether Module conversions assign new Parameter objects (default False)."""
    return _overwrite_module_params_on_conversion
