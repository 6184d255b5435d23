"""All SQL of the toolkit, in one place: functions that return SQL text, one module per stage.

Nothing outside this package builds SQL. Only internal table names (chosen by the toolkit, never by a
user) are formatted into the text; user values — entries, addresses, paths, flags — reach DuckDB as
registered tables or bound parameters.
"""

from .advice import *  # noqa: F401,F403
from .common import *  # noqa: F401,F403
from .common import CHANNELS, STANDARD_ADDRESS  # noqa: F401
from .compaction import *  # noqa: F401,F403
from .ingest import *  # noqa: F401,F403
from .ingest import CONFLICTS, DUPLICATES, EMPTY_RECIPIENT, LOAD_PROBLEMS, NO_RECIPIENT, SHARED_IDS  # noqa: F401
from .simulation import *  # noqa: F401,F403
from .simulation import APPLIES  # noqa: F401
from .workspace import *  # noqa: F401,F403
from .workspace import META, WORKSPACE_TABLES  # noqa: F401
