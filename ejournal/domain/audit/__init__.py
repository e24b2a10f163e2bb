"""The audit trail: the hash chain and its vocabulary (`chain`), searching it (`query`),
and reading it in Russian (`text`). The chain's names are re-exported here.
"""

from ejournal.domain.audit.chain import *  # noqa: F403 - the package's public face
