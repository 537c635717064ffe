"""dpt.nn: Module, Parameter, the layers, functional, init and utils (torch.nn's layout)."""
from .modules import *  # noqa: F401,F403
from .parameter import Buffer, Parameter, UninitializedBuffer, UninitializedParameter
from . import functional, init, parallel, utils
from . import attention  # noqa: F401
from . import grad  # noqa: F401
from ._factory import factory_kwargs
from .parallel import DataParallel
