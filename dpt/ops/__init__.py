"""dpt.ops: every differentiable primitive and tensor function, files by family."""
from .arithmetic import *  # noqa: F401,F403
from .blas import *  # noqa: F401,F403
from .comparison import *  # noqa: F401,F403
from .conversion import *  # noqa: F401,F403
from .creation import *  # noqa: F401,F403
from .indexing import *  # noqa: F401,F403
from .pointwise import *  # noqa: F401,F403
from .reduction import *  # noqa: F401,F403
from .shape import *  # noqa: F401,F403
from . import arithmetic, blas, comparison, conversion, creation, indexing, pointwise, reduction, shape

__all__ = [name for mod in (arithmetic, blas, comparison, conversion, creation, indexing, pointwise,
                            reduction, shape) for name in mod.__all__]
from .random import *  # noqa: F401,F403,E402
from . import random  # noqa: E402

__all__ += random.__all__
from .sorting import *  # noqa: F401,F403,E402
from . import sorting  # noqa: E402

__all__ += sorting.__all__
from .activation import *  # noqa: F401,F403,E402
from .distance import *  # noqa: F401,F403,E402
from . import activation, distance  # noqa: E402

__all__ += activation.__all__ + distance.__all__
from .windows import *  # noqa: F401,F403,E402
from . import windows  # noqa: E402

__all__ += windows.__all__
from .misc import *  # noqa: F401,F403,E402
from . import misc  # noqa: E402

__all__ += misc.__all__
