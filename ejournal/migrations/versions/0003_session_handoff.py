"""session handoff: a login's session starts as a one-time code until the browser redeems it

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 12:50:00.000000

The session token is set by an HTTP endpoint as an HttpOnly cookie and never travels in
the websocket's state. A successful login therefore stores the hash of a short-lived
one-time code in `token_hash` with `handoff_until` set; the browser posts the code to
`/_auth/session`, which replaces it by the hash of the real token and clears
`handoff_until`. A row with `handoff_until` set is not a session yet.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("user_session") as batch:
        batch.add_column(sa.Column("handoff_until", UTCDateTime(), nullable=True))


def downgrade() -> None:
    # Unredeemed codes are not sessions: drop them rather than let them become ones.
    op.execute("DELETE FROM user_session WHERE handoff_until IS NOT NULL")
    with op.batch_alter_table("user_session") as batch:
        batch.drop_column("handoff_until")
