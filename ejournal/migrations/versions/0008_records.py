"""records: nightly backups, sealed periods, promotion decisions approved, closed years

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 17:50:00.000000

Records that outlive the school year [issue 14]: the schedule's backups and how each ended
(a failure is shown to the administrator) with how many to keep [004 §9.2.2]; a term closed
for a class is sealed with a hash in the audit chain [004 §8.2]; the promotion decision is
approved by the director with the council's protocol [004 §5.33–5.36]; a finished year is
closed read-only once archived [002 §9.2].
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlmodel.sql.sqltypes import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("school") as batch:
        for name, default in (
            ("backup_hour", "2"),
            ("backup_keep_daily", "7"),
            ("backup_keep_monthly", "12"),
        ):
            batch.add_column(sa.Column(name, sa.Integer(), nullable=False, server_default=default))
    with op.batch_alter_table("academic_year") as batch:
        batch.add_column(sa.Column("closed_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("closed_by", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_academic_year_closed_by", "app_user", ["closed_by"], ["id"])
    with op.batch_alter_table("year_outcome") as batch:
        batch.add_column(
            sa.Column("debt_subjects", sa.String(300), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("approved_by", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("approved_at", UTCDateTime(), nullable=True))
        batch.add_column(
            sa.Column("council_protocol", sa.String(32), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("council_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        batch.create_foreign_key("fk_year_outcome_approved_by", "app_user", ["approved_by"], ["id"])
    op.create_table(
        "period_seal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("period_id", sa.Integer(), nullable=False),
        sa.Column("sealed_at", UTCDateTime(), nullable=False),
        sa.Column("sealed_by", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("counts", sa.String(200), nullable=False),
        sa.ForeignKeyConstraint(["class_id"], ["class_group.id"]),
        sa.ForeignKeyConstraint(["period_id"], ["period.id"]),
        sa.ForeignKeyConstraint(["sealed_by"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("class_id", "period_id", name="uq_period_seal"),
    )
    op.create_index("ix_period_seal_class_id", "period_seal", ["class_id"])
    op.create_index("ix_period_seal_period_id", "period_seal", ["period_id"])
    op.create_table(
        "backup_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("ok", sa.Boolean(), nullable=True),
        sa.Column("path", sa.String(500), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=True),
        sa.Column("error", sa.String(1000), nullable=False),
        sa.Column("requested_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["requested_by"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("backup_run")
    op.drop_index("ix_period_seal_period_id", table_name="period_seal")
    op.drop_index("ix_period_seal_class_id", table_name="period_seal")
    op.drop_table("period_seal")
    with op.batch_alter_table("year_outcome") as batch:
        batch.drop_constraint("fk_year_outcome_approved_by", type_="foreignkey")
        for name in (
            "version",
            "council_on",
            "council_protocol",
            "approved_at",
            "approved_by",
            "debt_subjects",
        ):
            batch.drop_column(name)
    with op.batch_alter_table("academic_year") as batch:
        batch.drop_constraint("fk_academic_year_closed_by", type_="foreignkey")
        batch.drop_column("closed_by")
        batch.drop_column("closed_at")
    with op.batch_alter_table("school") as batch:
        for name in ("backup_keep_monthly", "backup_keep_daily", "backup_hour"):
            batch.drop_column(name)
