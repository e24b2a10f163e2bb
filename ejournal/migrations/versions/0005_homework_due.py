"""homework is shown on the day it is due: lessons record that day

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 15:20:00.000000

Diaries show homework under the lesson it is due for [issue 12]: by default the next lesson
of the same subject for the same class or subgroup, or a day the teacher picks. NULL means
«the next lesson» (derived when read); existing lessons keep NULL.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("lesson") as batch:
        batch.add_column(sa.Column("homework_due_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("lesson") as batch:
        batch.drop_column("homework_due_on")
