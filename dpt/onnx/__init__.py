"""dpt.onnx: torch.onnx's entry points, so scripts that import it and branch on it run.

dpt has no graph tracer or ONNX exporter: ``export`` raises NotImplementedError (before it
touches the model or the file), and ``is_in_onnx_export()`` is always False.
"""
from __future__ import annotations

import enum

__all__ = ["export", "is_in_onnx_export", "OnnxExporterError", "TrainingMode",
           "OperatorExportTypes", "register_custom_op_symbolic",
           "unregister_custom_op_symbolic"]

_UNSUPPORTED = ("dpt.onnx.export is not supported by dpt: dpt has no graph tracer or ONNX "
                "exporter. Save the weights with dpt.save(model.state_dict(), f) and export "
                "from PyTorch, or keep the model in dpt.")


class OnnxExporterError(RuntimeError):
    """An error of the ONNX exporter (dpt never raises it: it has no exporter)."""


class TrainingMode(enum.IntEnum):
    EVAL = 0
    PRESERVE = 1
    TRAINING = 2


class OperatorExportTypes(enum.IntEnum):
    ONNX = 0
    ONNX_ATEN = 1
    ONNX_ATEN_FALLBACK = 2
    ONNX_FALLTHROUGH = 3


def export(model, args=(), f=None, *, kwargs=None, **options):
    """export(model, args=(), f=None, ...): not supported by dpt; raises NotImplementedError."""
    raise NotImplementedError(_UNSUPPORTED)


def is_in_onnx_export() -> bool:
    """Whether an ONNX export is tracing now: never, in dpt."""
    return False


def register_custom_op_symbolic(symbolic_name: str, symbolic_fn, opset_version: int) -> None:
    raise NotImplementedError(_UNSUPPORTED)


def unregister_custom_op_symbolic(symbolic_name: str, opset_version: int) -> None:
    raise NotImplementedError(_UNSUPPORTED)
