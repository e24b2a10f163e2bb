"""login throttling by address: index login events by address, two new event kinds

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 10:00:00.000000

Failures are now counted per client address as well as per account (from the login
events themselves), which needs an index on (ip, at); refused-unchecked attempts and the
administrator's clearing are recorded as the event kinds 'throttled' and 'cleared'.
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

OLD_KINDS = "kind IN ('success', 'failure', 'logout', 'lock', 'password_change')"
NEW_KINDS = (
    "kind IN ('success', 'failure', 'logout', 'lock', 'password_change', 'throttled', 'cleared')"
)


def upgrade() -> None:
    with op.batch_alter_table("login_event") as batch:
        batch.drop_constraint("ck_login_event_kind", type_="check")
        batch.create_check_constraint("ck_login_event_kind", NEW_KINDS)
    op.create_index("ix_login_event_ip_at", "login_event", ["ip", "at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_login_event_ip_at", table_name="login_event")
    # Rows of the new kinds would break the old constraint; they only record refusals.
    op.execute("DELETE FROM login_event WHERE kind IN ('throttled', 'cleared')")
    with op.batch_alter_table("login_event") as batch:
        batch.drop_constraint("ck_login_event_kind", type_="check")
        batch.create_check_constraint("ck_login_event_kind", OLD_KINDS)
