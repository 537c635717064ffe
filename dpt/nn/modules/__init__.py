"""Every layer, one file per family (star-imported into dpt.nn)."""
from .module import *  # noqa: F401,F403
from .container import *  # noqa: F401,F403
from .linear import *  # noqa: F401,F403
