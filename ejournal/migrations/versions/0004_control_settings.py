"""control: the checklist's thresholds in the school's settings; lessons record that
attendance was taken and that no homework was set

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 14:40:00.000000

The deputy's checklist [000 §4.3.1], [004 §5.3, §5.6, §5.10, §5.18–5.23] needs to tell a
lesson where nobody was absent from one where nobody checked (`attendance_taken_at`) and
homework «не задано» from homework forgotten (`homework_none`). Existing lessons that have
an absence row get the time of their first one; the rest stay unknown.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_THRESHOLDS = (
    ("control_mark_gap_days", "14"),
    ("control_retest_lessons", "2"),
    ("control_oral_percent", "20"),
    ("control_absence_percent", "30"),
)


def upgrade() -> None:
    with op.batch_alter_table("school") as batch:
        for name, default in _THRESHOLDS:
            batch.add_column(
                sa.Column(name, sa.Integer(), nullable=False, server_default=sa.text(default))
            )
    with op.batch_alter_table("lesson") as batch:
        batch.add_column(
            sa.Column("homework_none", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("attendance_taken_at", UTCDateTime(), nullable=True))
    op.execute(
        "UPDATE lesson SET attendance_taken_at = "
        "(SELECT MIN(a.created_at) FROM attendance a WHERE a.lesson_id = lesson.id)"
    )


def downgrade() -> None:
    with op.batch_alter_table("lesson") as batch:
        batch.drop_column("attendance_taken_at")
        batch.drop_column("homework_none")
    with op.batch_alter_table("school") as batch:
        for name, _ in reversed(_THRESHOLDS):
            batch.drop_column(name)
