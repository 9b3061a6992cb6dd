"""The operations, one file per family; this file only gathers their names.

Read apply.py first (what an op is, how it is applied and recorded), then any family. Each
family lists its public names in `__all__`, so an op added there is `ops.<name>` as well.
"""
from .apply import *  # noqa: F403
from .arithmetic import *  # noqa: F403
from .conv import *  # noqa: F403
from .conversion import *  # noqa: F403
from .elementwise import *  # noqa: F403
from .indexing import *  # noqa: F403
from .linalg import *  # noqa: F403
from .reductions import *  # noqa: F403
from .shapes import *  # noqa: F403
