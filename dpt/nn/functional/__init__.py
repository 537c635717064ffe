"""dpt.nn.functional: the functional forms of the layers, one file per family."""
from .linear import *  # noqa: F401,F403
from .conv import *  # noqa: F401,F403
from .activation import *  # noqa: F401,F403
from .attention import *  # noqa: F401,F403
from .dropout import *  # noqa: F401,F403
from .distance import *  # noqa: F401,F403
from .pooling import *  # noqa: F401,F403
from .vision import *  # noqa: F401,F403
from .normalization import *  # noqa: F401,F403
from .loss import *  # noqa: F401,F403
from .linear_cross_entropy import *  # noqa: F401,F403
from .ctc import *  # noqa: F401,F403
from .sparse import *  # noqa: F401,F403
from .gumbel import *  # noqa: F401,F403
