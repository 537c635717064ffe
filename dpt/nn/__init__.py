"""dpt.nn: Module, Parameter, the layers, functional, init and utils (torch.nn's layout)."""
from .modules import *  # noqa: F401,F403
from .parameter import Buffer, Parameter, UninitializedBuffer, UninitializedParameter
from . import functional, init, parallel, utils
from . import attention  # noqa: F401
from .parallel import DataParallel
