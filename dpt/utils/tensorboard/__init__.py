"""dpt.utils.tensorboard: TensorBoard event files (torch.utils.tensorboard).

Written with the ``tensorboard`` package's own event writer and protos, the reference
implementation of the file format; it is an optional extra: ``pip install tensorboard``
or ``pip install 'dpt[tensorboard]'``.
"""
try:
    import tensorboard as _tensorboard
except ImportError as e:
    raise ImportError("TensorBoard logging requires the tensorboard package, which is not "
                      "installed: pip install tensorboard (or pip install 'dpt[tensorboard]')"
                      ) from e


def _version(v: str) -> tuple:
    return tuple(int(p) if p.isdigit() else 0 for p in v.split(".")[:2])


if _version(getattr(_tensorboard, "__version__", "0")) < (1, 15):
    raise ImportError("TensorBoard logging requires TensorBoard version 1.15 or above")
del _tensorboard

from .writer import FileWriter, SummaryWriter  # noqa: E402

__all__ = ["FileWriter", "SummaryWriter"]
