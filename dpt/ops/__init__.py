"""dpt.ops: every differentiable primitive and tensor function, files by family.

No module name here equals a function name (complex_numbers, gather_scatter): a submodule
import would rebind dpt.ops.<name> to the module.
"""
from . import (activation, arithmetic, blas, calculus, comparison, complex_numbers, conversion,
               counting, creation, distance, floating, gather_scatter, indexing, inplace_functions,
               norms, pointwise, predicates, random, reduction, scans, settings, shape,
               shape_copies, sorting, special_functions, statistics, view_copies, windows)
from .activation import *  # noqa: F401,F403
from .arithmetic import *  # noqa: F401,F403
from .blas import *  # noqa: F401,F403
from .calculus import *  # noqa: F401,F403
from .comparison import *  # noqa: F401,F403
from .complex_numbers import *  # noqa: F401,F403
from .conversion import *  # noqa: F401,F403
from .counting import *  # noqa: F401,F403
from .creation import *  # noqa: F401,F403
from .distance import *  # noqa: F401,F403
from .floating import *  # noqa: F401,F403
from .gather_scatter import *  # noqa: F401,F403
from .indexing import *  # noqa: F401,F403
from .inplace_functions import *  # noqa: F401,F403
from .norms import *  # noqa: F401,F403
from .pointwise import *  # noqa: F401,F403
from .predicates import *  # noqa: F401,F403
from .random import *  # noqa: F401,F403
from .reduction import *  # noqa: F401,F403
from .scans import *  # noqa: F401,F403
from .settings import *  # noqa: F401,F403
from .shape import *  # noqa: F401,F403
from .shape_copies import *  # noqa: F401,F403
from .sorting import *  # noqa: F401,F403
from .special_functions import *  # noqa: F401,F403
from .statistics import *  # noqa: F401,F403
from .view_copies import *  # noqa: F401,F403
from .windows import *  # noqa: F401,F403

__all__ = [name for mod in (activation, arithmetic, blas, calculus, comparison, complex_numbers,
                            conversion, counting, creation, distance, floating, gather_scatter,
                            indexing, inplace_functions, norms, pointwise, predicates, random,
                            reduction, scans, settings, shape, shape_copies, sorting,
                            special_functions, statistics, view_copies, windows)
           for name in mod.__all__]
