"""The audit trail: the hash chain and its vocabulary (`chain`), searching it (`query`),
and reading it in Russian (`text`); before/after from the model (`before_after`). The chain's
names and `changes`/`snapshot` are re-exported here.
"""

from ejournal.domain.audit.before_after import changes as changes
from ejournal.domain.audit.before_after import snapshot as snapshot
from ejournal.domain.audit.chain import *  # noqa: F403 - the package's public face
