"""The diary (ЭД) of a family: the child, the week, marks, period marks, remarks,
confirmations, the calendar, the PDF extract, messages and announcements.

The child's records (`child`) are re-exported here; the rest by module.
"""

from ejournal.domain.diary.child import *  # noqa: F403 - the package's public face
