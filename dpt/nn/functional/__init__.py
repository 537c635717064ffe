"""dpt.nn.functional: the functional forms of the layers, one file per family."""
from .linear import *  # noqa: F401,F403
