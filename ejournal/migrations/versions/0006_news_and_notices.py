"""news: a per-user «seen» marker and e-mail choices; announcements may name their event day

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 16:30:00.000000

Families see what is new since their last visit, with a count on the menu, and may turn on
e-mails about new items and a weekly digest [issue 12, item 5]. An announcement about an
event (a meeting on 3 December) keeps showing until that day [issue 12, item 10].
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "user_notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("seen_before", UTCDateTime(), nullable=True),
        sa.Column("last_active_at", UTCDateTime(), nullable=True),
        sa.Column("email_new", sa.Boolean(), nullable=False),
        sa.Column("email_digest", sa.Boolean(), nullable=False),
        sa.Column("notified_until", UTCDateTime(), nullable=True),
        sa.Column("digest_sent_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id"),
    )
    with op.batch_alter_table("announcement") as batch:
        batch.add_column(sa.Column("event_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("announcement") as batch:
        batch.drop_column("event_on")
    op.drop_table("user_notice")
